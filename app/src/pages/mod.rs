//! One module per page.

pub mod account;
pub mod admin;
pub mod api_keys;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod channels;
pub mod composer_caret;
pub mod contact;
pub mod contact_duplicates;
pub mod contact_fields;
pub mod contacts;
pub mod conversations;
pub mod conversations_bulk;
pub mod conversations_saved;
pub mod groups;
pub mod home;
pub mod import_progress;
pub mod imports;
pub mod invitations;
pub mod invite_accept;
pub mod labels;
pub mod members;
pub mod not_found;
pub mod notification_preferences;
pub mod notifications;
pub mod quick_replies;
pub mod search;
pub mod segments;
pub mod settings;
pub mod starred;
pub mod tags;
pub mod thread;
pub mod thread_actions;
pub mod thread_contact;
pub mod thread_draft;
pub mod thread_emoji;
pub mod thread_marks;
pub mod thread_older;
pub mod thread_optimistic;
pub mod thread_presence;
pub mod thread_quick_replies;
pub mod thread_template;
pub mod workspace;
pub mod workspace_new;

use leptos::prelude::*;
use leptos_router::components::Redirect;
use msgbuddy_domain::{AppError, ErrorCode};

/// Where a logged-out visitor goes: the login page, coming back here afterwards.
pub fn login_redirect() -> impl IntoView {
    let path = leptos_router::hooks::use_location()
        .pathname
        .get_untracked();
    let next = msgbuddy_domain::values::query_value(&path);
    view! { <Redirect path=format!("/login?next={next}") /> }
}

/// The usual answer to a failed page load: log in, or an error page.
pub fn error_view(error: AppError) -> AnyView {
    if error.code == ErrorCode::Unauthenticated {
        login_redirect().into_any()
    } else {
        view! { <crate::components::states::ErrorPage error /> }.into_any()
    }
}

/// A centred card for pages outside a workspace (login, sign up, new workspace).
#[component]
pub fn CardPage(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="flex min-h-full items-center justify-center px-4 py-12">
            <div class="w-full max-w-md space-y-6 rounded-xl bg-white p-8 shadow">
                <h1 class="text-2xl font-bold tracking-tight">{title}</h1>
                {children()}
            </div>
        </main>
    }
}
