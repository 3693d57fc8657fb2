//! `/invite/:token`: what the invitation is, and joining.

use super::CardPage;
use crate::components::csrf::CsrfField;
use crate::components::forms::SubmitButton;
use crate::components::states::{ErrorBanner, ErrorPage, Loading};
use crate::serverfns::account::get_me;
use crate::serverfns::invitations::{AcceptInvitation, get_invitation_preview};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_location, use_params_map};
use msgbuddy_domain::AppError;

#[component]
pub fn InviteAcceptPage() -> impl IntoView {
    let token = use_params_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let t = token.clone();
    let data = Resource::new(
        || (),
        move |_| {
            let t = t.clone();
            async move { Ok::<_, AppError>((get_invitation_preview(t).await?, get_me().await?)) }
        },
    );
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = move || {
        accept
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let here = msgbuddy_domain::values::query_value(&use_location().pathname.get_untracked());
    view! {
        <crate::components::head::PageTitle text="Invitation" />
        <Suspense fallback=Loading>
            {move || {
                let (token, here) = (token.clone(), here.clone());
                Suspend::new(async move {
                    match data.await {
                        Ok((preview, me)) => view! {
                            <CardPage title="You're invited">
                                <p data-testid="invite-summary">
                                    "Join " <strong>{preview.workspace_name.clone()}</strong> " as " <strong>{preview.role.label()}</strong> "."
                                </p>
                                {error}
                                {match me {
                                    Some(me) => view! {
                                        <form method="post" action=AcceptInvitation::url() class="space-y-3">
                                            <CsrfField />
                                            <input type="hidden" name="token" value=token />
                                            <p class="text-sm text-slate-600">"You are logged in as " {me.user.email.clone()} "."</p>
                                            <SubmitButton label="Accept invitation" testid="invite-accept" />
                                        </form>
                                    }.into_any(),
                                    None => view! {
                                        <p class="text-sm">
                                            <a href=format!("/signup?next={here}") class="text-indigo-600 underline" data-testid="invite-signup">"Create an account"</a>
                                            " or "
                                            <a href=format!("/login?next={here}") class="text-indigo-600 underline" data-testid="invite-login">"log in"</a>
                                            " to accept."
                                        </p>
                                    }.into_any(),
                                }}
                            </CardPage>
                        }.into_any(),
                        Err(e) if e.code == msgbuddy_domain::ErrorCode::Forbidden => view! { <ErrorPage error=e /> }.into_any(),
                        Err(_) => view! {
                            <ErrorPage error=AppError::new(msgbuddy_domain::ErrorCode::NotFound, "This invitation link is invalid, expired, revoked or already used.") />
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
