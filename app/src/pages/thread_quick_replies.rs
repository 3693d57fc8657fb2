//! Quick replies in the composer. With JavaScript, typing `/` (at the start or after a
//! space) opens the replies whose shortcut starts with what follows; arrows move, Enter
//! or Tab inserts, Escape closes, and a click inserts too. Without it, the composer has a
//! plain "Insert a quick reply" form that reloads the thread with the reply in the
//! composer (`?quick=<id>`).

use leptos::prelude::*;
use msgbuddy_domain::quick_reply::QuickReply;

#[cfg(feature = "hydrate")]
/// The most replies listed at once while typing.
const SHOWN: usize = 8;
/// Set on the composer's text area while the list is open, so Enter inserts, not sends.
pub const OPEN_ATTR: &str = "data-quick-open";

/// The list that opens under the composer while a shortcut is typed.
#[island]
pub fn QuickReplyPicker(
    replies: Vec<QuickReply>,
    contact_name: String,
    agent_name: String,
) -> impl IntoView {
    let shown = RwSignal::new(Vec::<QuickReply>::new());
    let active = RwSignal::new(0usize);
    let names = StoredValue::new((contact_name, agent_name));
    #[cfg(feature = "hydrate")]
    listen(replies, names, shown, active);
    #[cfg(not(feature = "hydrate"))]
    let _ = replies;
    let choose = move |reply: QuickReply| {
        names.with_value(|(contact, agent)| insert(&reply.filled(contact, agent)));
        close(shown);
    };
    let count = move || match shown.with(Vec::len) {
        0 => String::new(),
        1 => "1 quick reply: arrows to choose, Enter to insert, Escape to close.".to_owned(),
        n => format!("{n} quick replies: arrows to choose, Enter to insert, Escape to close."),
    };
    view! {
        <div class="relative">
            <p class="sr-only" aria-live="polite">{count}</p>
            <Show when=move || !shown.with(Vec::is_empty)>
                <ul aria-label="Quick replies" data-testid="quick-reply-options" class="absolute z-20 mt-1 w-full overflow-hidden rounded-md border border-slate-300 bg-white shadow-lg">
                    <For each=move || shown.get().into_iter().enumerate() key=|(i, r)| (*i, r.id.clone()) let:((i, reply))>
                        {
                            let picked = reply.clone();
                            let shown_as = names.with_value(|(contact, agent)| preview(&reply.filled(contact, agent)));
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        data-testid="quick-reply-option"
                                        aria-current=move || (active.get() == i).then_some("true")
                                        class=move || if active.get() == i { "block min-h-6 w-full bg-indigo-50 px-3 py-2 text-left text-sm" } else { "block min-h-6 w-full px-3 py-2 text-left text-sm hover:bg-slate-50" }
                                        // mousedown, not click: the text area keeps its caret.
                                        on:mousedown=move |ev| { ev.prevent_default(); choose(picked.clone()); }
                                    >
                                        <code class="font-semibold">"/" {reply.shortcut.clone()}</code>
                                        " "
                                        <span class="text-slate-700">{shown_as}</span>
                                    </button>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
        </div>
    }
}

fn preview(body: &str) -> String {
    let one_line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

fn close(shown: RwSignal<Vec<QuickReply>>) {
    shown.set(Vec::new());
    #[cfg(feature = "hydrate")]
    if let Some(area) = super::composer_caret::composer() {
        let _ = area.remove_attribute(OPEN_ATTR);
    }
}

/// Replaces the `/shortcut` before the caret with `text`.
fn insert(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use msgbuddy_domain::quick_reply::typed_shortcut;
        let typed = super::composer_caret::before_caret()
            .and_then(|before| typed_shortcut(&before).map(|t| t.len() + 1))
            .unwrap_or(0);
        super::composer_caret::replace_before_caret(typed, text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

#[cfg(feature = "hydrate")]
fn listen(
    replies: Vec<QuickReply>,
    names: StoredValue<(String, String)>,
    shown: RwSignal<Vec<QuickReply>>,
    active: RwSignal<usize>,
) {
    use msgbuddy_domain::quick_reply::{matching, typed_shortcut};
    use wasm_bindgen::JsCast;
    let in_composer = |target: Option<web_sys::EventTarget>| {
        target
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.id() == super::thread_draft::TEXT_ID)
    };
    let _ = window_event_listener(leptos::ev::input, move |ev| {
        if !in_composer(ev.target()) {
            return;
        }
        let Some(area) = super::composer_caret::composer() else {
            return;
        };
        let (value, caret) = super::composer_caret::text_and_caret(&area);
        let found: Vec<QuickReply> = typed_shortcut(&value[..caret])
            .map(|typed| {
                matching(&replies, typed)
                    .into_iter()
                    .take(SHOWN)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if found.is_empty() {
            close(shown);
        } else {
            let _ = area.set_attribute(OPEN_ATTR, "true");
            active.set(0);
            shown.set(found);
        }
    });
    let _ = window_event_listener(leptos::ev::keydown, move |ev| {
        if shown.with_untracked(Vec::is_empty) || !in_composer(ev.target()) {
            return;
        }
        let count = shown.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" => active.update(|a| *a = (*a + 1) % count),
            "ArrowUp" => active.update(|a| *a = (*a + count - 1) % count),
            "Enter" | "Tab" => {
                let reply = shown.with_untracked(|s| s.get(active.get_untracked()).cloned());
                if let Some(reply) = reply {
                    names.with_value(|(contact, agent)| insert(&reply.filled(contact, agent)));
                }
                close(shown);
            }
            "Escape" => close(shown),
            _ => return,
        }
        ev.prevent_default();
    });
}

#[cfg(test)]
mod tests {
    use super::preview;

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("Hello\n  there"), "Hello there");
        let long = "é".repeat(100);
        assert_eq!(preview(&long).chars().count(), 81);
    }
}
