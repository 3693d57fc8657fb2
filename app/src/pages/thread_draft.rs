//! The composer's draft and keys: an island that keeps what a member types per
//! conversation in the browser's storage (so a reload or a detour loses nothing), puts it
//! back when the thread opens, forgets it once sent, and sends on Enter (Shift+Enter for
//! a new line). Without JavaScript the composer is the same plain form, without these.

use leptos::prelude::*;

/// The composer's `id`s in the thread page, which this island works on.
pub const TEXT_ID: &str = "composer-text";
pub const FORM_ID: &str = "composer";

#[island]
pub fn ComposerDraft(
    workspace_id: String,
    conversation_id: String,
    /// The member, named on a message shown before the server has it.
    user_name: String,
) -> impl IntoView {
    let ready = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        super::thread_optimistic::take_over(workspace_id, conversation_id.clone(), user_name);
        keep(conversation_id, ready);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (workspace_id, conversation_id, user_name);
    view! {
        <Show when=move || ready.get()>
            <p class="text-xs text-slate-600" data-testid="composer-keys">
                "Enter sends, Shift+Enter starts a new line. Your draft is kept in this browser until it is sent."
            </p>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
fn keep(conversation_id: String, ready: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlElement, HtmlFormElement};
    let key = format!("msgbuddy:draft:{conversation_id}");
    let storage = || web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    let document = || web_sys::window().and_then(|w| w.document());
    let text = super::composer_caret::composer;
    // Put the draft back, unless the page came with words of its own.
    if let (Some(area), Some(store)) = (text(), storage())
        && area.value().is_empty()
        && let Ok(Some(draft)) = store.get_item(&key)
    {
        area.set_value(&draft);
    }
    // After hydration: the server rendered the island without the line.
    Effect::new(move |_| ready.set(true));
    let is_composer = |target: Option<web_sys::EventTarget>| {
        target
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.id() == TEXT_ID)
    };
    let saving = key.clone();
    let _ = window_event_listener(leptos::ev::input, move |ev| {
        if !is_composer(ev.target()) {
            return;
        }
        if let (Some(area), Some(store)) = (text(), storage()) {
            // Storage may be full or refused; the composer works without it.
            let _ = if area.value().is_empty() {
                store.remove_item(&saving)
            } else {
                store.set_item(&saving, &area.value())
            };
        }
    });
    let _ = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() != "Enter"
            || ev.shift_key()
            || ev.is_composing()
            || ev.default_prevented()
            || !is_composer(ev.target())
        {
            return;
        }
        let Some(area) = text() else { return };
        // The quick-reply list is open: its Enter inserts the reply.
        if area.has_attribute(super::thread_quick_replies::OPEN_ATTR) {
            return;
        }
        ev.prevent_default();
        if area.value().trim().is_empty() {
            return;
        }
        let form = area.form();
        let send = document()
            .and_then(|d| {
                d.query_selector("[data-testid=composer-send]")
                    .ok()
                    .flatten()
            })
            .and_then(|b| b.dyn_into::<HtmlElement>().ok());
        if let (Some(form), Some(send)) = (form, send) {
            let _ = form.request_submit_with_submitter(Some(&send));
        }
    });
    let _ = window_event_listener(leptos::ev::submit, move |ev| {
        let sent = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            .is_some_and(|f| f.id() == FORM_ID);
        if sent && let Some(store) = storage() {
            let _ = store.remove_item(&key);
        }
    });
}
