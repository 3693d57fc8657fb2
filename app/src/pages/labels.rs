//! Settings > Labels: the workspace's labels with their colour, description and parent;
//! those who edit settings add, change and delete them (deleting a parent deletes its
//! children). Everyone else sees the list.

use super::settings::SettingsNav;
use crate::components::colour_dot::ColourDot;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::labels::{CreateLabel, DeleteLabel, UpdateLabel, list_labels};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::message::Label;

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const FIELD: &str = "flex flex-col text-xs font-medium text-slate-700";

#[component]
pub fn LabelsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_labels(ws.clone()));
    let create = ServerAction::<CreateLabel>::new();
    let update = ServerAction::<UpdateLabel>::new();
    let delete = ServerAction::<DeleteLabel>::new();
    let error = move || {
        create
            .value()
            .get()
            .or_else(|| update.value().get())
            .or_else(|| delete.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Labels" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => {
                        let parents: Vec<Label> = view.labels.iter().filter(|l| l.parent_id.is_none()).cloned().collect();
                        view! {
                            <section data-testid="labels-page" class="max-w-4xl space-y-6">
                                <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                                <SettingsNav current="labels" />
                                {error}
                                {view.can_edit.then(|| view! {
                                    <form method="post" action=CreateLabel::url() class="flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="label-form">
                                        <CsrfField />
                                        <input type="hidden" name="workspace_id" value=ws_id.clone() />
                                        <LabelFields label=None parents=parents.clone() />
                                        <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="label-create">"Add label"</button>
                                    </form>
                                })}
                                {if view.labels.is_empty() {
                                    view! { <EmptyState title="No labels yet" hint="Labels sort conversations: billing, returns, VIP..." /> }.into_any()
                                } else {
                                    view! {
                                        <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="label-list">
                                            {view.labels.iter().cloned().map(|l| view! {
                                                <LabelRow label=l workspace_id=ws_id.clone() parents=parents.clone() can_edit=view.can_edit />
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

/// Name, colour, description and parent inputs, filled in from `label` when editing.
#[component]
fn LabelFields(label: Option<Label>, parents: Vec<Label>) -> impl IntoView {
    let id = label
        .as_ref()
        .map_or_else(|| "new".to_owned(), |l| l.id.clone());
    let current_parent = label.as_ref().and_then(|l| l.parent_id.clone());
    let own_id = label.as_ref().map(|l| l.id.clone());
    let options = parents
        .into_iter()
        .filter(|p| Some(&p.id) != own_id.as_ref())
        .map(|p| {
            let selected = current_parent.as_deref() == Some(p.id.as_str());
            view! { <option value=p.id.clone() selected=selected>{p.name}</option> }
        })
        .collect_view();
    view! {
        <label class=FIELD for=format!("label-name-{id}")>"Name"</label>
        <input id=format!("label-name-{id}") name="name" required maxlength="40" class=INPUT data-testid="label-name" value=label.as_ref().map(|l| l.name.clone()) />
        <label class=FIELD for=format!("label-colour-{id}")>"Colour"</label>
        <input id=format!("label-colour-{id}") name="colour" type="color" class="h-8 w-12" data-testid="label-colour" value=label.as_ref().map_or_else(|| "#4f46e5".to_owned(), |l| l.colour.clone()) />
        <label class=FIELD for=format!("label-description-{id}")>"Description"</label>
        <input id=format!("label-description-{id}") name="description" maxlength="200" class=INPUT data-testid="label-description" value=label.as_ref().map(|l| l.description.clone()) />
        <label class=FIELD for=format!("label-parent-{id}")>"Under"</label>
        <select id=format!("label-parent-{id}") name="parent_id" class=INPUT data-testid="label-parent">
            <option value="">"Top level"</option>
            {options}
        </select>
    }
}

#[component]
fn LabelRow(
    label: Label,
    workspace_id: String,
    parents: Vec<Label>,
    can_edit: bool,
) -> impl IntoView {
    let nested = label.parent_id.is_some();
    view! {
        <li class=if nested { "px-4 py-3 pl-10" } else { "px-4 py-3" } data-testid="label-row" data-id=label.id.clone()>
            <p class="flex items-center gap-2">
                <ColourDot colour=label.colour.clone() />
                <span class="font-medium" data-testid="label-row-name">{label.name.clone()}</span>
                <span class="text-sm text-slate-600">{label.description.clone()}</span>
            </p>
            {can_edit.then(|| view! {
                <details class="mt-2">
                    <summary class="cursor-pointer text-sm text-indigo-700">"Edit"</summary>
                    <form method="post" action=UpdateLabel::url() class="mt-2 flex flex-wrap items-end gap-3">
                        <CsrfField />
                        <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                        <input type="hidden" name="label_id" value=label.id.clone() />
                        <LabelFields label=Some(label.clone()) parents=parents.clone() />
                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="label-save">"Save"</button>
                    </form>
                    <form method="post" action=DeleteLabel::url() class="mt-2">
                        <CsrfField />
                        <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                        <input type="hidden" name="label_id" value=label.id.clone() />
                        <button type="submit" class="text-sm text-red-700 underline" data-testid="label-delete">
                            {if nested { "Delete label" } else { "Delete label (and those under it)" }}
                        </button>
                    </form>
                </details>
            })}
        </li>
    }
}
