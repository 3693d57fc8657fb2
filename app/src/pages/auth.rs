//! Log in and sign up. Plain HTML forms: they work without JavaScript, and a successful
//! submit is a full page load so the new session takes effect everywhere.

use super::CardPage;
use crate::components::csrf::CsrfField;
use crate::components::forms::{SubmitButton, TextField};
use crate::components::states::ErrorBanner;
use crate::serverfns::auth::{LogIn, SignUp};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

fn next_param() -> String {
    use_query_map()
        .read_untracked()
        .get("next")
        .unwrap_or_else(|| "/".to_owned())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    // Created under the router, so a failed no-JS submit shows its error here.
    let action = ServerAction::<LogIn>::new();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    view! {
        <crate::components::head::PageTitle text="Log in" />
        <CardPage title="Log in to msgbuddy">
            {error}
            <form method="post" action=LogIn::url() class="space-y-4" data-testid="login-form">
                <CsrfField />
                <input type="hidden" name="next" value=next_param() />
                <TextField label="Email" name="email" kind="email" autocomplete="username" required=true />
                <TextField label="Password" name="password" kind="password" autocomplete="current-password" required=true />
                <SubmitButton label="Log in" testid="login-submit" />
            </form>
            <p class="text-sm text-slate-600">
                "New here? " <a href="/signup" class="text-indigo-600 underline" data-testid="signup-link">"Create an account"</a>
            </p>
        </CardPage>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    view! {
        <crate::components::head::PageTitle text="Sign up" />
        <CardPage title="Create your msgbuddy account">
            {error}
            <form method="post" action=SignUp::url() class="space-y-4" data-testid="signup-form">
                <CsrfField />
                <input type="hidden" name="next" value=next_param() />
                <TextField label="Your name" name="name" autocomplete="name" required=true />
                <TextField label="Email" name="email" kind="email" autocomplete="username" required=true />
                <TextField
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    hint="8 to 128 characters."
                />
                <SubmitButton label="Sign up" testid="signup-submit" />
            </form>
            <p class="text-sm text-slate-600">
                "Already have an account? " <a href="/login" class="text-indigo-600 underline">"Log in"</a>
            </p>
        </CardPage>
    }
}
