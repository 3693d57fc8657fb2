//! Likely duplicates, a group per form: the member picks the contact to keep, ticks the
//! ones to fold into it, and where their details or fields differ, whose value wins.

use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::contacts::{MergeContacts, list_duplicates};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::contact::ContactDetail;

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";

#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_duplicates(ws.clone()));
    let merge = ServerAction::<MergeContacts>::new();
    let error = move || {
        merge
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Duplicate contacts" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="duplicates-page" class="flex max-w-4xl flex-col gap-4">
                            <a href=format!("/w/{ws_id}/contacts") class="text-sm text-indigo-700 underline">"← All contacts"</a>
                            <h1 class="text-2xl font-semibold">"Duplicate contacts"</h1>
                            <p class="text-sm text-slate-700">
                                "Contacts with the same name, or whose phone or email another contact keeps in a field. "
                                "Merging moves conversations, messages, tags, groups and opt-outs to the contact you keep."
                            </p>
                            {error}
                            {if view.groups.is_empty() {
                                view! { <EmptyState title="No likely duplicates" hint="Contacts that look like the same person show up here." /> }.into_any()
                            } else {
                                view.groups.into_iter().map(|group| view! {
                                    <Group workspace_id=ws_id.clone() group can_edit=view.can_edit />
                                }).collect_view().into_any()
                            }}
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

/// What each contact of the group has for `key`: a detail or a custom field.
fn value_of(c: &ContactDetail, key: &str) -> Option<String> {
    match key {
        "name" => Some(c.row.name.clone()),
        "phone" => c.row.phone.clone(),
        "email" => c.row.email.clone(),
        "telegram_id" => c.row.telegram_id.clone(),
        "language" => c.language.clone(),
        field => c
            .fields
            .iter()
            .find(|f| f.key == field)
            .map(|f| f.value.clone()),
    }
}

#[component]
fn Group(workspace_id: String, group: Vec<ContactDetail>, can_edit: bool) -> impl IntoView {
    let mut keys: Vec<(String, String)> = ["name", "phone", "email", "telegram_id", "language"]
        .iter()
        .map(|k| ((*k).to_owned(), k.replace('_', " ")))
        .collect();
    for c in &group {
        for f in &c.fields {
            if !keys.iter().any(|(k, _)| *k == f.key) {
                keys.push((f.key.clone(), f.label.clone()));
            }
        }
    }
    // Only what differs needs a choice.
    let conflicts: Vec<(String, String)> = keys
        .into_iter()
        .filter(|(key, _)| {
            let mut values: Vec<String> = group.iter().filter_map(|c| value_of(c, key)).collect();
            values.dedup();
            values.len() > 1
        })
        .collect();
    let first = group.first().map(|c| c.row.id.clone()).unwrap_or_default();
    view! {
        <form method="post" action=MergeContacts::url() class="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="duplicate-group">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id.clone() />
            <table class="text-sm">
                <thead class="text-left text-xs text-slate-700">
                    <tr><th scope="col" class="pr-3">"Keep"</th><th scope="col" class="pr-3">"Merge in"</th><th scope="col">"Contact"</th></tr>
                </thead>
                <tbody>
                    {group.iter().map(|c| {
                        let id = c.row.id.clone();
                        view! {
                            <tr data-testid="duplicate-contact" data-id=id.clone()>
                                <td class="pr-3"><input type="radio" name="survivor" value=id.clone() checked=id == first class="h-5 w-5" aria-label=format!("Keep {}", c.row.name) data-testid="duplicate-keep" /></td>
                                <td class="pr-3"><input type="checkbox" name=format!("merge[{id}]") value="1" checked=true class="h-5 w-5" aria-label=format!("Merge {}", c.row.name) data-testid="duplicate-merge" /></td>
                                <td>
                                    <a href=format!("/w/{workspace_id}/contacts/{id}") class="font-medium text-indigo-700 underline">{c.row.name.clone()}</a>
                                    <span class="ml-2 text-xs text-slate-600">{[c.row.phone.clone(), c.row.email.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</span>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(!conflicts.is_empty()).then(|| view! {
                <fieldset class="grid gap-2 sm:grid-cols-2">
                    <legend class="mb-1 text-sm font-semibold text-slate-800">"Where they differ, keep"</legend>
                    {conflicts.into_iter().map(|(key, label)| {
                        let id = format!("pick-{first}-{key}");
                        let for_id = id.clone();
                        view! {
                            <label for=for_id class="flex flex-col gap-1 text-xs font-medium text-slate-700">
                                {label}
                                <select id=id name=format!("pick[{key}]") class=INPUT data-testid=format!("duplicate-pick-{key}")>
                                    {group.iter().filter_map(|c| value_of(c, &key).map(|v| (c.row.id.clone(), v))).map(|(cid, v)| view! {
                                        <option value=cid>{v}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            {can_edit.then(|| view! {
                <div><button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="duplicate-merge-submit">"Merge"</button></div>
            })}
        </form>
    }
}
