//! Empty, loading and error states, the same everywhere.

use leptos::prelude::*;
use msgbuddy_domain::{AppError, ErrorCode};

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p data-testid="loading" class="p-6 text-sm text-slate-500" aria-busy="true">
            "Loading…"
        </p>
    }
}

#[component]
pub fn EmptyState(title: &'static str, #[prop(into)] hint: String) -> impl IntoView {
    view! {
        <div data-testid="empty-state" class="rounded-lg border border-dashed border-slate-300 p-8 text-center">
            <p class="font-medium text-slate-700">{title}</p>
            <p class="mt-1 text-sm text-slate-500">{hint}</p>
        </div>
    }
}

/// A page-level error: 403 and 404 get their own wording and set the HTTP status.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(error.code.http_status());
    let (title, testid) = match error.code {
        ErrorCode::Forbidden => ("You don't have access to this page", "forbidden"),
        ErrorCode::NotFound => ("Page not found", "not-found"),
        _ => ("Something went wrong", "error-page"),
    };
    view! {
        <section data-testid=testid class="mx-auto max-w-lg p-10 text-center">
            <h1 class="text-xl font-semibold">{title}</h1>
            <p class="mt-2 text-slate-600">{error.message.clone()}</p>
            <a href="/" class="mt-6 inline-block text-indigo-600 underline">"Go to your workspace"</a>
        </section>
    }
}

/// An inline error for a form or a section.
#[component]
pub fn ErrorBanner(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <p data-testid="form-error" role="alert" class="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {message}
        </p>
    }
}
