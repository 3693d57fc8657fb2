//! The contact list: search, filters and sort as a GET form (a filtered list is a link),
//! keyset pages, and tagging (or grouping) the ticked contacts or every one the filter
//! matches. A deleted contact is offered back here
//! for the undo window.

use crate::components::colour_dot::ColourDot;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::contacts::{RestoreContact, TagContacts, list_contacts};
use crate::serverfns::groups::GroupContacts;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use msgbuddy_domain::contact::{ContactFilter, ContactRow, Group, Tag};
use msgbuddy_domain::message::ChannelKind;
use msgbuddy_domain::values::query_value;

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const LABEL: &str = "flex flex-col text-xs font-medium text-slate-700";

/// The filter as the page's query string gives it.
fn filter_from(q: &leptos_router::params::ParamsMap) -> ContactFilter {
    let get = |k: &str| q.get(k).unwrap_or_default();
    ContactFilter {
        q: get("q"),
        tag: get("tag"),
        segment: get("segment"),
        group: get("group"),
        channel: get("channel"),
        opted_out: get("opted_out"),
        blocked: get("blocked"),
        field: get("field"),
        value: get("value"),
        sort: get("sort"),
    }
}

/// The filter as a query string, to carry it to the next page.
fn query_of(f: &ContactFilter) -> String {
    [
        ("q", &f.q),
        ("tag", &f.tag),
        ("segment", &f.segment),
        ("group", &f.group),
        ("channel", &f.channel),
        ("opted_out", &f.opted_out),
        ("blocked", &f.blocked),
        ("field", &f.field),
        ("value", &f.value),
        ("sort", &f.sort),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("&{k}={}", query_value(v)))
    .collect()
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let query = use_query_map();
    let ws = ctx.id.clone();
    let data = Resource::new(
        move || (filter_from(&query.read()), query.read().get("after")),
        move |(filter, after)| list_contacts(ws.clone(), filter, after),
    );
    let tag = ServerAction::<TagContacts>::new();
    let group = ServerAction::<GroupContacts>::new();
    let restore = ServerAction::<RestoreContact>::new();
    let error = move || {
        tag.value()
            .get()
            .or_else(|| group.value().get())
            .or_else(|| restore.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Contacts" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                let filter = filter_from(&query.read_untracked());
                let deleted = query.read_untracked().get("deleted");
                match data.await {
                    Ok(view) => {
                        let base = format!("/w/{ws_id}/contacts");
                        let here = format!("{base}?{}", query_of(&filter).trim_start_matches('&'));
                        view! {
                            <section data-testid="contacts-page" class="flex max-w-5xl flex-col gap-4">
                                <div class="flex flex-wrap items-center justify-between gap-2">
                                    <h1 class="text-2xl font-semibold">"Contacts"</h1>
                                    <div class="flex flex-wrap items-center gap-2 text-sm">
                                        <a href=format!("{base}/segments") class="text-indigo-700 underline" data-testid="segments-link">"Segments"</a>
                                        <a href=format!("{base}/groups") class="text-indigo-700 underline" data-testid="groups-link">"Groups"</a>
                                        <a href=format!("{base}/duplicates") class="text-indigo-700 underline" data-testid="duplicates-link">"Duplicates"</a>
                                        {view.can_export.then(|| { let query = query_of(&filter); view! {
                                            <a href=format!("/w/{ws_id}/exports/contacts.csv?{}", query.trim_start_matches('&')) class="text-indigo-700 underline" data-testid="export-csv" download>"Export CSV"</a>
                                            <a href=format!("/w/{ws_id}/exports/contacts.json?{}", query.trim_start_matches('&')) class="text-indigo-700 underline" data-testid="export-json" download>"Export JSON"</a>
                                        }})}
                                        {view.can_edit.then(|| view! {
                                            <a href=format!("{base}/imports") class="text-indigo-700 underline" data-testid="import-link">"Import"</a>
                                            <a href=format!("{base}/new") class="rounded-md bg-indigo-600 px-3 py-1.5 font-semibold text-white hover:bg-indigo-500" data-testid="new-contact">"New contact"</a>
                                        })}
                                    </div>
                                </div>
                                {error}
                                {deleted.map(|id| view! { <UndoDelete workspace_id=ws_id.clone() contact_id=id /> })}
                                <FilterForm base=base.clone() filter=filter.clone() tags=view.tags.clone() segments=view.segments.clone() groups=view.groups.clone() fields=view.fields.clone() />
                                <p class="text-sm text-slate-700" data-testid="contacts-total">
                                    {format!("{} contact{}", view.page.total, if view.page.total == 1 { "" } else { "s" })}
                                </p>
                                {if view.page.rows.is_empty() {
                                    view! { <EmptyState title="No contacts here" hint="Contacts arrive with every customer who writes; add one by hand or import a file." /> }.into_any()
                                } else {
                                    view! {
                                        <ContactTable workspace_id=ws_id.clone() rows=view.page.rows.clone() tags=view.tags.clone() groups=view.groups.clone() filter=filter.clone() total=view.page.total can_edit=view.can_edit back=here.clone() />
                                    }.into_any()
                                }}
                                {view.page.next.clone().map(|after| view! {
                                    <a href=format!("{base}?after={}{}", query_value(&after), query_of(&filter)) class="text-sm text-indigo-700 underline" data-testid="next-page">"More contacts"</a>
                                })}
                            </section>
                        }.into_any()
                    }
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn UndoDelete(workspace_id: String, contact_id: String) -> impl IntoView {
    view! {
        <form method="post" action=RestoreContact::url() class="flex items-center gap-3 rounded-md bg-slate-800 px-3 py-2 text-sm text-white" data-testid="undo-delete">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="contact_id" value=contact_id />
            <span>"Contact deleted. You can undo this for ten minutes."</span>
            <button type="submit" class="font-semibold underline" data-testid="undo-delete-button">"Undo"</button>
        </form>
    }
}

#[component]
fn FilterForm(
    base: String,
    filter: ContactFilter,
    tags: Vec<Tag>,
    segments: Vec<(String, String)>,
    groups: Vec<Group>,
    fields: Vec<(String, String)>,
) -> impl IntoView {
    let option = |value: String, label: String, current: &str| {
        let selected = value == current;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let yes_no = |name: &'static str, label: &'static str, current: String| {
        view! {
            <label class=LABEL>
                {label}
                <select name=name class=INPUT data-testid=format!("filter-{name}")>
                    {option(String::new(), "Any".into(), &current)}
                    {option("yes".into(), "Yes".into(), &current)}
                    {option("no".into(), "No".into(), &current)}
                </select>
            </label>
        }
    };
    view! {
        <form method="get" action=base class="flex flex-wrap items-end gap-3 rounded-lg bg-white p-3 shadow-sm" data-testid="contact-filters" role="search">
            <label class=LABEL>
                "Search"
                <input type="search" name="q" value=filter.q.clone() maxlength="200" placeholder="Name, phone or email" class=INPUT data-testid="contact-search" />
            </label>
            <label class=LABEL>
                "Tag"
                <select name="tag" class=INPUT data-testid="filter-tag">
                    {option(String::new(), "Any".into(), &filter.tag)}
                    {tags.into_iter().map(|t| option(t.id, t.name, &filter.tag)).collect_view()}
                </select>
            </label>
            <label class=LABEL>
                "Segment"
                <select name="segment" class=INPUT data-testid="filter-segment">
                    {option(String::new(), "Everyone".into(), &filter.segment)}
                    {segments.into_iter().map(|(id, name)| option(id, name, &filter.segment)).collect_view()}
                </select>
            </label>
            <label class=LABEL>
                "Group"
                <select name="group" class=INPUT data-testid="filter-group">
                    {option(String::new(), "Any".into(), &filter.group)}
                    {groups.into_iter().map(|g| option(g.id, g.name, &filter.group)).collect_view()}
                </select>
            </label>
            <label class=LABEL>
                "Reachable on"
                <select name="channel" class=INPUT data-testid="filter-channel">
                    {option(String::new(), "Any channel".into(), &filter.channel)}
                    {ChannelKind::ALL.into_iter().map(|k| option(k.as_str().into(), k.label().into(), &filter.channel)).collect_view()}
                </select>
            </label>
            {yes_no("opted_out", "Opted out", filter.opted_out.clone())}
            {yes_no("blocked", "Blocked", filter.blocked.clone())}
            <label class=LABEL>
                "Field"
                <select name="field" class=INPUT data-testid="filter-field">
                    {option(String::new(), "Any".into(), &filter.field)}
                    {fields.into_iter().map(|(key, label)| option(key, label, &filter.field)).collect_view()}
                </select>
            </label>
            <label class=LABEL>
                "Field value"
                <input type="text" name="value" value=filter.value.clone() maxlength="200" placeholder="Any value" class=INPUT data-testid="filter-value" />
            </label>
            <label class=LABEL>
                "Sort"
                <select name="sort" class=INPUT data-testid="filter-sort">
                    {option("newest".into(), "Newest first".into(), if filter.sort.is_empty() { "newest" } else { &filter.sort })}
                    {option("name".into(), "Name".into(), &filter.sort)}
                </select>
            </label>
            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="contact-filter-apply">"Apply"</button>
        </form>
    }
}

/// The filter as hidden fields of the bulk form, for "every contact the filter matches".
fn filter_fields(f: &ContactFilter) -> impl IntoView + use<> {
    [
        ("q", &f.q),
        ("tag", &f.tag),
        ("segment", &f.segment),
        ("group", &f.group),
        ("channel", &f.channel),
        ("opted_out", &f.opted_out),
        ("blocked", &f.blocked),
        ("field", &f.field),
        ("value", &f.value),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| view! { <input type="hidden" name=format!("filter[{k}]") value=v.clone() /> })
    .collect_view()
}

/// The rows, in a form that tags or groups the ticked ones (or every match).
#[component]
fn ContactTable(
    workspace_id: String,
    rows: Vec<ContactRow>,
    tags: Vec<Tag>,
    groups: Vec<Group>,
    filter: ContactFilter,
    total: i64,
    can_edit: bool,
    back: String,
) -> impl IntoView {
    let base = format!("/w/{workspace_id}/contacts");
    let form_id = "contact-bulk";
    let button = "rounded-md border border-slate-300 px-3 py-1 text-sm";
    view! {
        {can_edit.then(|| view! {
            <form id=form_id method="post" action=TagContacts::url() class="flex flex-wrap items-end gap-2 rounded-lg bg-white p-3 shadow-sm" data-testid="contact-bulk">
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                <input type="hidden" name="back" value=back.clone() />
                {filter_fields(&filter)}
                <label class="flex items-center gap-2 self-center text-sm">
                    <input type="checkbox" name="every" value="1" class="h-5 w-5" data-testid="bulk-every" />
                    {format!("Every contact the filter matches ({total}), not only the ticked ones")}
                </label>
                <label class=LABEL>
                    "Tag"
                    <select name="tag_id" class=INPUT data-testid="bulk-tag">
                        {tags.iter().map(|t| view! { <option value=t.id.clone()>{t.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" name="action" value="add" class=button data-testid="bulk-tag-add">"Add tag"</button>
                <button type="submit" name="action" value="remove" class=button data-testid="bulk-tag-remove">"Remove tag"</button>
                <label class=LABEL>
                    "Group"
                    <select name="group_id" class=INPUT data-testid="bulk-group">
                        {groups.iter().map(|g| view! { <option value=g.id.clone()>{g.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" name="action" value="add" formaction=GroupContacts::url() class=button data-testid="bulk-group-add">"Add to group"</button>
                <button type="submit" name="action" value="remove" formaction=GroupContacts::url() class=button data-testid="bulk-group-remove">"Remove from group"</button>
            </form>
        })}
        <div class="overflow-x-auto rounded-lg bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="contact-table">
                <thead class="bg-slate-50 text-left text-xs font-medium text-slate-700">
                    <tr>
                        {can_edit.then(|| view! { <th scope="col" class="px-3 py-2"><span class="sr-only">"Select"</span></th> })}
                        <th scope="col" class="px-3 py-2">"Name"</th>
                        <th scope="col" class="px-3 py-2">"Phone"</th>
                        <th scope="col" class="px-3 py-2">"Email"</th>
                        <th scope="col" class="px-3 py-2">"Tags"</th>
                        <th scope="col" class="px-3 py-2">"Status"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().map(|row| {
                        let href = format!("{base}/{}", row.id);
                        let box_id = format!("pick-{}", row.id);
                        let status = row.opted_out.kinds().map(|k| format!("Opted out of {}", k.label()))
                            .chain(row.blocked.then(|| "Blocked".to_owned()))
                            .collect::<Vec<_>>()
                            .join(", ");
                        view! {
                            <tr data-testid="contact-row" data-id=row.id.clone()>
                                {can_edit.then(|| view! {
                                    <td class="px-3 py-2">
                                        <input id=box_id.clone() type="checkbox" form=form_id name=format!("contacts[{}]", row.id) value="1" class="h-5 w-5" data-testid="contact-pick" aria-label=format!("Select {}", row.name) />
                                    </td>
                                })}
                                <td class="px-3 py-2"><a href=href class="font-medium text-indigo-700 underline" data-testid="contact-name">{row.name.clone()}</a></td>
                                <td class="px-3 py-2 font-mono text-xs">{row.phone.clone()}</td>
                                <td class="px-3 py-2">{row.email.clone()}</td>
                                <td class="px-3 py-2">
                                    <ul class="flex flex-wrap gap-1" data-testid="contact-tags">
                                        {row.tags.iter().map(|t| view! {
                                            <li class="inline-flex items-center gap-1 rounded-full bg-slate-100 px-2 text-xs"><ColourDot colour=t.colour.clone() />{t.name.clone()}</li>
                                        }).collect_view()}
                                    </ul>
                                </td>
                                <td class="px-3 py-2 text-xs text-rose-800">{status}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
