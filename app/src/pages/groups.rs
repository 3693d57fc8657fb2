//! Contacts > Groups: hand-picked lists of contacts. Groups are made and removed here and
//! filled from the contact list (the ticked contacts, or every one a filter matches); a
//! group's name opens the list filtered to it.

use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::groups::{CreateGroup, DeleteGroup, load_groups};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const LABEL: &str = "flex flex-col gap-1 text-xs font-medium text-slate-700";

#[component]
pub fn GroupsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| load_groups(ws.clone()));
    let create = ServerAction::<CreateGroup>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let error = move || {
        create
            .value()
            .get()
            .or_else(|| delete.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Groups" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => {
                        let contacts = format!("/w/{ws_id}/contacts");
                        let can_edit = view.can_edit;
                        view! {
                            <section data-testid="groups-page" class="flex max-w-3xl flex-col gap-4">
                                <div class="flex flex-wrap items-center justify-between gap-2">
                                    <h1 class="text-2xl font-semibold">"Groups"</h1>
                                    <a href=contacts.clone() class="text-sm text-indigo-700 underline">"All contacts"</a>
                                </div>
                                <p class="text-sm text-slate-700">
                                    "A group is a list you pick by hand. Fill it from the contact list: tick contacts, or choose every contact a filter matches, then Add to group."
                                </p>
                                {error}
                                {can_edit.then(|| view! {
                                    <form method="post" action=CreateGroup::url() class="flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="group-form">
                                        <CsrfField />
                                        <input type="hidden" name="workspace_id" value=ws_id.clone() />
                                        <label class=LABEL>"Name" <input name="name" required maxlength="40" class=INPUT data-testid="group-name" /></label>
                                        <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="group-create">"Make group"</button>
                                    </form>
                                })}
                                {if view.groups.is_empty() {
                                    view! { <EmptyState title="No groups yet" hint="Groups hold hand-picked audiences: a launch guest list, this week's callbacks..." /> }.into_any()
                                } else {
                                    view! {
                                        <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="group-list">
                                            {view.groups.iter().map(|g| view! {
                                                <li class="flex items-center justify-between gap-3 px-4 py-2" data-testid="group-row">
                                                    <a href=format!("{contacts}?group={}", g.id) class="font-medium text-indigo-700 underline" data-testid="group-link">{g.name.clone()}</a>
                                                    <span class="text-sm text-slate-700" data-testid="group-count">{format!("{} contact{}", g.contacts, if g.contacts == 1 { "" } else { "s" })}</span>
                                                    {can_edit.then(|| view! {
                                                        <form method="post" action=DeleteGroup::url()>
                                                            <CsrfField />
                                                            <input type="hidden" name="workspace_id" value=ws_id.clone() />
                                                            <input type="hidden" name="group_id" value=g.id.clone() />
                                                            <button type="submit" class="text-sm text-red-700 underline" aria-label=format!("Delete the group {}", g.name)>"Delete"</button>
                                                        </form>
                                                    })}
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}
