//! Toasts: short notices ("Your role is now Admin."), announced to screen readers.
//!
//! The page hydrates as islands, and islands share no reactive context unless nested, so
//! the queue is one page-wide signal: any island may call [`show_toast`], and the
//! [`Toasts`] island shows it. Only the browser adds toasts (from events and effects); on
//! the server the queue stays empty, so it never carries anything between requests.

use leptos::prelude::*;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub message: String,
}

static QUEUE: LazyLock<ArcRwSignal<Vec<Toast>>> = LazyLock::new(|| ArcRwSignal::new(Vec::new()));

/// Shows a toast that disappears after a few seconds. Does nothing during server rendering.
pub fn show_toast(kind: ToastKind, message: impl Into<String>) {
    if cfg!(not(feature = "hydrate")) {
        return;
    }
    let queue = QUEUE.clone();
    let id = queue.with_untracked(|q| q.iter().map(|t| t.id).max().unwrap_or(0) + 1);
    queue.update(|q| {
        q.push(Toast {
            id,
            kind,
            message: message.into(),
        })
    });
    set_timeout(
        move || queue.update(|q| q.retain(|t| t.id != id)),
        std::time::Duration::from_secs(5),
    );
}

/// The toast region, on every page. It is an island, so it also says when the page's
/// WASM has started: tests (and users' own Playwright suites) wait for
/// `data-hydrated="true"` before using interactive controls.
#[island]
pub fn Toasts() -> impl IntoView {
    let queue = QUEUE.clone();
    // Effects run only in the browser, once the island is hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div
            data-testid="toasts"
            data-hydrated=move || hydrated.get().to_string()
            class="pointer-events-none fixed bottom-4 right-4 z-50 flex flex-col gap-2"
            role="status"
            aria-live="polite"
        >
            <For each=move || queue.get() key=|t| t.id let:toast>
                <div
                    data-testid="toast"
                    class=match toast.kind {
                        ToastKind::Success => "pointer-events-auto rounded-md bg-emerald-600 px-4 py-2 text-sm text-white shadow",
                        ToastKind::Error => "pointer-events-auto rounded-md bg-red-600 px-4 py-2 text-sm text-white shadow",
                    }
                >
                    {toast.message.clone()}
                </div>
            </For>
        </div>
    }
}
