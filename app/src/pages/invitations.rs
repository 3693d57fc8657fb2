//! Invitation links: create one with a role, see pending ones, revoke.

use super::settings::SettingsNav;
use crate::components::csrf::CsrfField;
use crate::components::forms::{SubmitButton, TextField};
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::invitations::{
    CreateInvitation, InvitationsView, RevokeInvitation, list_invitations,
};
use leptos::prelude::*;
use msgbuddy_domain::Role;

#[component]
pub fn InvitationsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let create = ServerAction::<CreateInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_invitations(ws.clone()));
    let error = move || {
        create
            .value()
            .get()
            .map(|r| r.map(|_| ()))
            .or_else(|| revoke.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Invitations" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="invitations-page" class="max-w-4xl space-y-6">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="invitations" />
                            {error}
                            {view.new_link.clone().map(|l| view! {
                                <div class="rounded-md bg-emerald-50 p-3 text-sm" data-testid="invite-created">
                                    "Share this link with the person you invite (it works once): "
                                    <a href=l.clone() data-testid="invite-link" class="break-all font-mono text-indigo-700 underline">{l.clone()}</a>
                                </div>
                            })}
                            {view.can_manage.then(|| view! { <InviteForm create workspace_id=ws_id.clone() /> })}
                            <PendingList view revoke workspace_id=ws_id.clone() />
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn InviteForm(create: ServerAction<CreateInvitation>, workspace_id: String) -> impl IntoView {
    let options = Role::ALL
        .iter()
        .map(|r| view! { <option value=r.as_str() selected=*r == Role::Agent>{r.label()}</option> })
        .collect_view();
    view! {
        <ActionForm action=create attr:class="flex flex-wrap items-end gap-3" attr:data-testid="invite-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <TextField label="Email (optional: only this person can accept)" name="email" kind="email" />
            <div class="space-y-1">
                <label for="invite-role" class="block text-sm font-medium text-slate-700">"Role"</label>
                <select id="invite-role" name="role" data-testid="invite-role" class="rounded-md border border-slate-300 px-3 py-2 text-sm">{options}</select>
            </div>
            <SubmitButton label="Create invitation link" testid="invite-submit" />
        </ActionForm>
    }
}

#[component]
fn PendingList(
    view: InvitationsView,
    revoke: ServerAction<RevokeInvitation>,
    workspace_id: String,
) -> impl IntoView {
    if view.invitations.is_empty() {
        return view! { <EmptyState title="No pending invitations" hint="Invitation links you create show here until they are used, revoked or expire." /> }.into_any();
    }
    let can_manage = view.can_manage;
    let rows = view
        .invitations
        .into_iter()
        .map(|i| {
            let ws = workspace_id.clone();
            view! {
                <li data-testid="invitation-row" class="flex items-center justify-between border-t border-slate-200 py-2 text-sm">
                    <span>{i.email.clone().unwrap_or_else(|| "Anyone with the link".to_owned())} " · " {i.role.label()}</span>
                    {can_manage.then(|| view! {
                        <ActionForm action=revoke>
                            <CsrfField />
                            <input type="hidden" name="workspace_id" value=ws />
                            <input type="hidden" name="invitation_id" value=i.id.clone() />
                            <button type="submit" data-testid="invitation-revoke" class="rounded border border-red-300 px-2 py-1 text-xs text-red-700">"Revoke"</button>
                        </ActionForm>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <div>
            <h2 class="text-lg font-medium">"Pending invitations"</h2>
            <ul data-testid="invitations-list">{rows}</ul>
        </div>
    }
    .into_any()
}
