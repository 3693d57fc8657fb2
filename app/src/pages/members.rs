//! The members list: roles and removal.

use super::settings::SettingsNav;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::members::{ChangeRole, MembersView, RemoveMember, list_members};
use leptos::prelude::*;
use msgbuddy_domain::Role;

#[component]
pub fn MembersPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_members(ws.clone()));
    let error = move || {
        change
            .value()
            .get()
            .or_else(|| remove.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Members" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="members-page" class="max-w-4xl">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="members" />
                            {error}
                            <MembersTable view change remove workspace_id=ws_id.clone() />
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn MembersTable(
    view: MembersView,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
    workspace_id: String,
) -> impl IntoView {
    let can_manage = view.can_manage;
    let rows = view
        .members
        .into_iter()
        .map(|m| {
            let ws = workspace_id.clone();
            let ws2 = workspace_id.clone();
            let uid = m.user_id.clone();
            let uid2 = m.user_id.clone();
            let options = Role::ALL
                .iter()
                .map(|r| view! { <option value=r.as_str() selected=*r == m.role>{r.label()}</option> })
                .collect_view();
            let email = m.email.clone();
            view! {
                <tr data-testid="member-row" data-email=m.email.clone() class="border-t border-slate-200">
                    <td class="py-2 pr-4">
                        <div class="font-medium">{m.name.clone()}</div>
                        <div class="text-xs text-slate-500">{m.email.clone()}</div>
                    </td>
                    <td class="py-2 pr-4" data-testid="member-role">{m.role.label()}</td>
                    {can_manage.then(|| view! {
                        <td class="py-2 pr-4">
                            <ActionForm action=change attr:class="flex items-center gap-2">
                                <CsrfField />
                                <input type="hidden" name="workspace_id" value=ws />
                                <input type="hidden" name="user_id" value=uid />
                                <label class="sr-only" for=format!("role-{}", m.user_id)>{format!("Role for {email}")}</label>
                                <select id=format!("role-{}", m.user_id) name="role" data-testid="role-select" class="rounded border border-slate-300 px-2 py-1 text-sm">
                                    {options}
                                </select>
                                <button type="submit" data-testid="role-save" class="rounded bg-slate-800 px-2 py-1 text-xs text-white">"Change role"</button>
                            </ActionForm>
                        </td>
                        <td class="py-2">
                            <ActionForm action=remove>
                                <CsrfField />
                                <input type="hidden" name="workspace_id" value=ws2 />
                                <input type="hidden" name="user_id" value=uid2 />
                                <button type="submit" data-testid="member-remove" class="rounded border border-red-300 px-2 py-1 text-xs text-red-700">"Remove"</button>
                            </ActionForm>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="w-full text-left text-sm" data-testid="members-table">
            <thead>
                <tr class="text-xs uppercase text-slate-500">
                    <th class="py-2">"Member"</th>
                    <th class="py-2">"Role"</th>
                    {can_manage.then(|| view! { <th class="py-2">"Change role"</th><th class="py-2"><span class="sr-only">"Remove"</span></th> })}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
