//! Keyboard shortcuts for the inbox, an island in the workspace frame: `j`/`k` move
//! through the conversation list, `Enter` opens (the focused row is a link), `r` replies
//! (focuses the composer), `e` resolves, `a` assigns (or claims), `/` searches, `?` shows
//! them all. Keys typed into a field are the field's. Without JavaScript every action is a
//! link or a button anyway.

use leptos::prelude::*;

/// The shortcuts as the `?` panel lists them.
const KEYS: [(&str, &str); 7] = [
    ("j / k", "Next / previous conversation in the list"),
    ("Enter", "Open the conversation"),
    ("r", "Reply: go to the composer"),
    ("e", "Resolve the conversation"),
    ("a", "Assign the conversation (or claim it)"),
    ("/", "Search messages"),
    ("?", "Show or hide these shortcuts"),
];

#[island]
pub fn Shortcuts(workspace_id: String) -> impl IntoView {
    let open = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    listen(workspace_id, open);
    #[cfg(not(feature = "hydrate"))]
    let _ = workspace_id;
    view! {
        <Show when=move || open.get()>
            <div role="dialog" aria-labelledby="shortcuts-title" data-testid="shortcuts" class="fixed inset-x-4 top-20 z-50 mx-auto max-w-md rounded-lg border border-slate-200 bg-white p-4 shadow-lg">
                <div class="mb-2 flex items-center justify-between">
                    <h2 id="shortcuts-title" class="font-semibold">"Keyboard shortcuts"</h2>
                    <button type="button" class="rounded px-2 text-slate-700 hover:bg-slate-100" aria-label="Close the shortcuts" on:click=move |_| open.set(false)>"×"</button>
                </div>
                <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                    {KEYS.into_iter().map(|(key, what)| view! {
                        <dt><kbd class="rounded border border-slate-300 bg-slate-50 px-1.5 font-mono text-xs">{key}</kbd></dt>
                        <dd class="text-slate-700">{what}</dd>
                    }).collect_view()}
                </dl>
            </div>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
fn listen(workspace_id: String, open: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement};
    let _ = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.is_composing() {
            return;
        }
        let typing = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el.has_attribute("contenteditable")
            });
        if typing {
            return;
        }
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let find = |selector: &str| {
            document
                .query_selector(selector)
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<HtmlElement>().ok())
        };
        let handled = match ev.key().as_str() {
            "j" | "k" => {
                let rows = document
                    .query_selector_all("[data-testid=conversation-row] > a")
                    .ok();
                let links: Vec<HtmlElement> = rows
                    .map(|list| {
                        (0..list.length())
                            .filter_map(|i| list.item(i))
                            .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
                            .collect()
                    })
                    .unwrap_or_default();
                let active = document.active_element();
                let at = links.iter().position(|l| {
                    active
                        .as_ref()
                        .is_some_and(|a| a == l.unchecked_ref::<Element>())
                });
                let next = match (ev.key().as_str(), at) {
                    (_, None) => 0,
                    ("j", Some(i)) => (i + 1).min(links.len().saturating_sub(1)),
                    (_, Some(i)) => i.saturating_sub(1),
                };
                links.get(next).map(|l| l.focus()).is_some()
            }
            "r" => find("#composer-text").map(|t| t.focus()).is_some(),
            "e" => find("[data-testid=resolve]").map(|b| b.click()).is_some(),
            "a" => match find("[data-testid=assign-select]") {
                Some(select) => select.focus().is_ok(),
                None => find("[data-testid=claim]").map(|b| b.click()).is_some(),
            },
            "/" => {
                match find("[data-testid=search-input]") {
                    Some(input) => {
                        let _ = input.focus();
                    }
                    None => {
                        let _ = web_sys::window()
                            .map(|w| w.location().set_href(&format!("/w/{workspace_id}/search")));
                    }
                }
                true
            }
            "?" => {
                open.update(|o| *o = !*o);
                true
            }
            "Escape" if open.get_untracked() => {
                open.set(false);
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });
}
