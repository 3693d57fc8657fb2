//! The list's bulk bar: one plain form (it works without JavaScript) that the rows'
//! checkboxes belong to by its id, with a button per change. "Every conversation that
//! matches" carries the list's view and filters, so the change reaches all pages of it.

use crate::components::csrf::CsrfField;
use crate::serverfns::bulk::BulkChange;
use crate::serverfns::conversations::{AssigneeOption, ListParams};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::message::Label;

/// The `id` of the bulk form, which the rows' checkboxes name in their `form` attribute.
pub const FORM_ID: &str = "bulk";

const SELECT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const BUTTON: &str = "rounded-md border border-slate-300 px-3 py-1 text-sm font-medium text-slate-800 hover:bg-slate-50";

#[component]
pub fn BulkBar(
    workspace_id: String,
    test: bool,
    params: ListParams,
    assignees: Vec<AssigneeOption>,
    labels: Vec<Label>,
    can_assign: bool,
) -> impl IntoView {
    let filters = hidden_params(&params);
    let group = "flex flex-wrap items-center gap-2";
    view! {
        <form id=FORM_ID method="post" action=BulkChange::url() data-testid="bulk-form" class="rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            {test.then(|| view! { <input type="hidden" name="test" value="1" /> })}
            {filters}
            <fieldset class="flex flex-wrap items-center gap-x-6 gap-y-2">
                <legend class="mb-2 font-medium text-slate-800">"Change the ticked conversations"</legend>
                <label class="flex items-center gap-1 text-slate-700">
                    <input type="checkbox" name="everything" value="1" data-testid="bulk-everything" />
                    "or every conversation this view and its filters match, on all pages"
                </label>
                <div class=group>
                    {if can_assign {
                        view! {
                            <label for="bulk-assignee" class="sr-only">"Assign to"</label>
                            <select id="bulk-assignee" name="assignee_id" class=SELECT data-testid="bulk-assignee">
                                <option value="">"Nobody (unassign)"</option>
                                {assignees.into_iter().map(|a| view! { <option value=a.user_id>{a.name}</option> }).collect_view()}
                            </select>
                            <button type="submit" name="action" value="assign" class=BUTTON data-testid="bulk-assign">"Assign"</button>
                        }.into_any()
                    } else {
                        view! {
                            <button type="submit" name="action" value="claim" class=BUTTON data-testid="bulk-claim">"Claim"</button>
                        }.into_any()
                    }}
                </div>
                {(!labels.is_empty()).then(|| view! {
                    <div class=group>
                        <label for="bulk-label" class="sr-only">"Label"</label>
                        <select id="bulk-label" name="label_id" class=SELECT data-testid="bulk-label">
                            {labels.into_iter().map(|l| {
                                let name = if l.parent_id.is_some() { format!("– {}", l.name) } else { l.name };
                                view! { <option value=l.id>{name}</option> }
                            }).collect_view()}
                        </select>
                        <button type="submit" name="action" value="label" class=BUTTON data-testid="bulk-add-label">"Add label"</button>
                        <button type="submit" name="action" value="unlabel" class=BUTTON data-testid="bulk-remove-label">"Remove label"</button>
                    </div>
                })}
                <div class=group>
                    <label for="bulk-status" class="sr-only">"Status"</label>
                    <select id="bulk-status" name="status" class=SELECT data-testid="bulk-status">
                        <option value="resolved">"Resolved"</option>
                        <option value="open">"Open"</option>
                        <option value="pending">"Pending"</option>
                        <option value="snoozed">"Snoozed for…"</option>
                    </select>
                    <label for="bulk-snooze" class="sr-only">"Snooze for"</label>
                    <select id="bulk-snooze" name="snooze_hours" class=SELECT data-testid="bulk-snooze">
                        {[(1, "1 hour"), (4, "4 hours"), (24, "1 day"), (72, "3 days"), (168, "1 week")]
                            .into_iter()
                            .map(|(h, text)| view! { <option value=h.to_string()>{text}</option> })
                            .collect_view()}
                    </select>
                    <button type="submit" name="action" value="status" class=BUTTON data-testid="bulk-set-status">"Set status"</button>
                </div>
            </fieldset>
        </form>
    }
}

/// The list's view, filters and sort as hidden `params[...]` fields, for a form that acts
/// on the list as it is.
pub fn hidden_params(params: &ListParams) -> impl IntoView + use<> {
    params
        .fields()
        .into_iter()
        .filter_map(|(name, value)| value.filter(|v| !v.is_empty()).map(|v| (name, v.to_owned())))
        .map(|(name, value)| view! { <input type="hidden" name=format!("params[{name}]") value=value /> })
        .collect_view()
}

/// "Resolved 12 conversations": what the last bulk change did, from the page's query.
#[component]
pub fn BulkResult(done: Option<String>, failed: Option<String>) -> impl IntoView {
    let count = |v: Option<String>| v.and_then(|v| v.parse::<usize>().ok());
    let (done, failed) = (count(done), count(failed).unwrap_or(0));
    done.map(|done| {
        let plural = |n: usize| if n == 1 { "conversation" } else { "conversations" };
        let mut text = format!("Changed {done} {}.", plural(done));
        if failed > 0 {
            text.push_str(&format!(
                " {failed} {} could not take the change (out of your reach, or the contact has a newer open conversation).",
                plural(failed)
            ));
        }
        view! { <p role="status" data-testid="bulk-result" class="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900">{text}</p> }
    })
}
