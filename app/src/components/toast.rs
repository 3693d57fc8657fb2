//! Toasts: short notices after an action ("Settings saved"), announced to screen readers.

use leptos::prelude::*;

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

#[derive(Debug, Clone, Copy)]
pub struct ToastQueue(RwSignal<Vec<Toast>>);

pub fn provide_toasts() {
    provide_context(ToastQueue(RwSignal::new(Vec::new())));
}

/// Shows a toast that disappears after a few seconds.
pub fn show_toast(kind: ToastKind, message: impl Into<String>) {
    let Some(ToastQueue(queue)) = use_context::<ToastQueue>() else {
        return;
    };
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

#[component]
pub fn Toasts() -> impl IntoView {
    let queue = use_context::<ToastQueue>()
        .map(|q| q.0)
        .unwrap_or_else(|| RwSignal::new(Vec::new()));
    // Effects run only in the browser, once the page is hydrated: tests (and users' own
    // Playwright suites) wait for `data-hydrated="true"` before using interactive controls.
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
