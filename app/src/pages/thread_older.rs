//! Older messages at the top of a thread. Without JavaScript it is a link to the page of
//! messages before the oldest shown (`?before=`). With it, the next page is fetched and
//! put above the others in place, on a click or as soon as the member scrolls near the
//! top, so a long history reads as one list and only a page at a time is ever loaded.

use crate::serverfns::conversations::older_messages;
use leptos::prelude::*;
use msgbuddy_domain::message::MessageView;

/// How near the top of the page (in CSS pixels) scrolling fetches the next page.
#[cfg(feature = "hydrate")]
const NEAR_TOP_PX: f64 = 400.0;

/// The control, inside the thread's island. `prepend` puts a fetched page above the list.
#[component]
pub fn OlderMessages<F>(
    workspace_id: String,
    conversation_id: String,
    /// The oldest message shown, while there are older ones.
    older: Option<String>,
    /// The page's JavaScript runs.
    ready: RwSignal<bool>,
    prepend: F,
) -> impl IntoView
where
    F: Fn(Vec<MessageView>) + Copy + Send + Sync + 'static,
{
    let older = RwSignal::new(older);
    let loading = RwSignal::new(false);
    let ids = StoredValue::new((workspace_id, conversation_id));
    let load = move || {
        let Some(before) = older.get_untracked() else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let (ws, id) = ids.get_value();
        leptos::task::spawn_local(async move {
            match older_messages(ws, id, before).await {
                Ok(page) => {
                    prepend(page.messages);
                    older.set(page.older);
                }
                Err(e) => {
                    use crate::components::toast::{ToastKind, show_toast};
                    show_toast(ToastKind::Error, e.message);
                }
            }
            loading.set(false);
        });
    };
    #[cfg(feature = "hydrate")]
    {
        let _ = window_event_listener(leptos::ev::scroll, move |_| {
            let near_top = web_sys::window()
                .and_then(|w| w.scroll_y().ok())
                .is_some_and(|y| y < NEAR_TOP_PX);
            if near_top {
                load();
            }
        });
    }
    view! {
        <Show when=move || older.with(Option::is_some)>
            {move || if ready.get() {
                view! {
                    <button type="button" on:click=move |_| load() data-testid="older-messages" class="mx-auto block min-h-6 text-sm text-indigo-700 underline">
                        {move || if loading.get() { "Loading older messages…" } else { "Older messages" }}
                    </button>
                }.into_any()
            } else {
                let before = older.get_untracked().unwrap_or_default();
                view! {
                    <a href=format!("?before={before}") data-testid="older-messages" class="mx-auto block text-center text-sm text-indigo-700 underline">"Older messages"</a>
                }.into_any()
            }}
        </Show>
    }
}
