//! The user's account: change password.

use super::CardPage;
use crate::components::csrf::CsrfField;
use crate::components::forms::{SubmitButton, TextField};
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::account::{ChangePassword, get_me};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    let action = ServerAction::<ChangePassword>::new();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let changed = move || use_query_map().read().get("changed").is_some();
    view! {
        <crate::components::head::PageTitle text="Account" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => view! {
                        <CardPage title="Your account">
                            <p class="text-sm text-slate-600" data-testid="account-email">{me.user.email.clone()}</p>
                            <Show when=changed>
                                <p role="status" data-testid="password-changed" class="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                                    "Password changed. You were logged out everywhere else."
                                </p>
                            </Show>
                            {error}
                            <form method="post" action=ChangePassword::url() class="space-y-4" data-testid="password-form">
                                <CsrfField />
                                <TextField label="Current password" name="current_password" kind="password" autocomplete="current-password" required=true />
                                <TextField label="New password" name="new_password" kind="password" autocomplete="new-password" required=true hint="8 to 128 characters." />
                                <SubmitButton label="Change password" testid="password-submit" />
                            </form>
                            <a href="/" class="text-sm text-indigo-600 underline">"Back to your workspace"</a>
                        </CardPage>
                    }.into_any(),
                    Ok(None) => super::login_redirect().into_any(),
                    Err(e) => super::error_view(e),
                }
            })}
        </Suspense>
    }
}
