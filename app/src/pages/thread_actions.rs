//! The thread's conversation controls: who has it (claim, assign, unassign) and where it
//! is (resolve, reopen, pending, snooze), as plain forms that work without JavaScript,
//! and the timeline of what happened to it. With JavaScript, the timeline and the status
//! line follow `conversation.updated` live, so two agents see each other's changes.

use crate::components::colour_dot::ColourDot;
use crate::components::csrf::CsrfField;
use crate::components::live::{LiveEvent, on_live_event};
use crate::serverfns::conversations::{AssignConversation, AssigneeOption, SetConversationStatus};
use crate::serverfns::labels::LabelConversation;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::message::{ConversationSummary, Label, TimelineEntry};
use msgbuddy_domain::time::{format_utc, iso_utc};

const BUTTON: &str = "rounded-md border border-slate-300 px-3 py-1 text-sm font-medium text-slate-800 hover:bg-slate-50";

/// Hidden fields every action form carries.
#[component]
fn Target(workspace_id: String, conversation_id: String) -> impl IntoView {
    view! {
        <CsrfField />
        <input type="hidden" name="workspace_id" value=workspace_id />
        <input type="hidden" name="conversation_id" value=conversation_id />
    }
}

/// Claim, assign and status forms, for members who may reply (assign: who may assign).
#[component]
pub fn ConversationActions(
    workspace_id: String,
    conversation: ConversationSummary,
    assignees: Vec<AssigneeOption>,
    /// The workspace's labels.
    labels: Vec<Label>,
    can_assign: bool,
    user_id: String,
) -> impl IntoView {
    let id = conversation.id.clone();
    let target =
        move || view! { <Target workspace_id=workspace_id.clone() conversation_id=id.clone() /> };
    let mine = conversation.assignee_id.as_deref() == Some(user_id.as_str());
    let unassigned = conversation.assignee_id.is_none();
    let status = conversation.status.clone();
    let assign_form = can_assign.then(|| {
        let options = assignees
            .into_iter()
            .map(|a| {
                let selected = conversation.assignee_id.as_deref() == Some(a.user_id.as_str());
                view! { <option value=a.user_id selected=selected>{a.name}</option> }
            })
            .collect_view();
        view! {
            <form method="post" action=AssignConversation::url() class="flex items-end gap-2" data-testid="assign-form">
                {target()}
                <input type="hidden" name="action" value="assign" />
                <label class="flex flex-col text-xs font-medium text-slate-700">
                    "Assignee"
                    <select name="assignee_id" data-testid="assign-select" class="rounded-md border border-slate-300 px-2 py-1 text-sm">
                        <option value="" selected=unassigned>"Nobody"</option>
                        {options}
                    </select>
                </label>
                <button type="submit" class=BUTTON data-testid="assign-submit">"Assign"</button>
            </form>
        }
    });
    let claim = (unassigned && !can_assign).then(|| {
        view! {
            <form method="post" action=AssignConversation::url() data-testid="claim-form">
                {target()}
                <input type="hidden" name="action" value="claim" />
                <button type="submit" class=BUTTON data-testid="claim">"Claim"</button>
            </form>
        }
    });
    let give_back = (mine && !can_assign).then(|| {
        view! {
            <form method="post" action=AssignConversation::url()>
                {target()}
                <input type="hidden" name="action" value="unassign" />
                <button type="submit" class=BUTTON data-testid="unassign">"Give back"</button>
            </form>
        }
    });
    let status_button = |value: &'static str, label: &'static str, testid: &'static str| {
        view! {
            <form method="post" action=SetConversationStatus::url()>
                {target()}
                <input type="hidden" name="status" value=value />
                <button type="submit" class=BUTTON data-testid=testid>{label}</button>
            </form>
        }
    };
    let resolved = status == "resolved";
    let has = |l: &Label| conversation.labels.iter().any(|x| x.id == l.id);
    let (on, off): (Vec<Label>, Vec<Label>) = labels.into_iter().partition(has);
    let label_form = |labels: Vec<Label>,
                      value: &'static str,
                      button: &'static str,
                      testid: &'static str| {
        (!labels.is_empty()).then(|| view! {
            <form method="post" action=LabelConversation::url() class="flex items-end gap-2" data-testid=format!("{testid}-form")>
                {target()}
                <input type="hidden" name="on" value=value />
                <label class="flex flex-col text-xs font-medium text-slate-700">
                    {button}
                    <select name="label_id" data-testid=format!("{testid}-select") class="rounded-md border border-slate-300 px-2 py-1 text-sm">
                        {labels.into_iter().map(|l| view! { <option value=l.id>{l.name}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class=BUTTON data-testid=testid>{button}</button>
            </form>
        })
    };
    let add_label = label_form(off, "1", "Add label", "label-add");
    let remove_label = label_form(on, "0", "Remove label", "label-remove");
    view! {
        <div class="flex flex-wrap items-end gap-2 rounded-lg bg-white p-3 shadow-sm" data-testid="conversation-actions">
            {assign_form}
            {claim}
            {give_back}
            {add_label}
            {remove_label}
            {if resolved {
                status_button("open", "Reopen", "reopen").into_any()
            } else {
                view! {
                    {status_button("resolved", "Resolve", "resolve")}
                    {(status != "pending").then(|| status_button("pending", "Mark pending", "mark-pending"))}
                    {(status != "open").then(|| status_button("open", "Mark open", "mark-open"))}
                    <form method="post" action=SetConversationStatus::url() class="flex items-end gap-2" data-testid="snooze-form">
                        {target()}
                        <input type="hidden" name="status" value="snoozed" />
                        <label class="flex flex-col text-xs font-medium text-slate-700">
                            "Snooze for"
                            <select name="snooze_hours" data-testid="snooze-hours" class="rounded-md border border-slate-300 px-2 py-1 text-sm">
                                <option value="1">"1 hour"</option>
                                <option value="4">"4 hours"</option>
                                <option value="24" selected=true>"1 day"</option>
                                <option value="168">"1 week"</option>
                            </select>
                        </label>
                        <button type="submit" class=BUTTON data-testid="snooze">"Snooze"</button>
                    </form>
                }.into_any()
            }}
        </div>
    }
}

/// A conversation's labels as coloured chips.
#[component]
pub fn LabelChips(labels: Vec<Label>) -> impl IntoView {
    (!labels.is_empty()).then(|| view! {
        <span class="mt-1 flex flex-wrap gap-1" data-testid="conversation-labels">
            {labels.into_iter().map(|l| view! {
                <span class="inline-flex items-center gap-1 rounded-full border border-slate-300 px-2 text-xs text-slate-800" title=l.description data-testid="label-chip">
                    <ColourDot colour=l.colour />
                    {l.name}
                </span>
            }).collect_view()}
        </span>
    })
}

/// Status and assignee as words, for the header.
pub fn status_line(c: &ConversationSummary) -> String {
    let status = match (c.status.as_str(), c.snoozed_until_ms) {
        ("snoozed", Some(until)) => format!("Snoozed until {}", format_utc(until)),
        ("open", _) => "Open".to_owned(),
        ("pending", _) => "Pending".to_owned(),
        ("resolved", _) => "Resolved".to_owned(),
        (other, _) => other.to_owned(),
    };
    match &c.assignee_name {
        Some(name) => format!("{status} · assigned to {name}"),
        None => format!("{status} · unassigned"),
    }
}

/// The status line, the timeline's activity and the private notes, following
/// `conversation.updated` live.
#[island]
pub fn LiveTimeline(conversation: ConversationSummary, notes: Vec<TimelineEntry>) -> impl IntoView {
    let line = RwSignal::new(status_line(&conversation));
    let labels = RwSignal::new(conversation.labels.clone());
    let notes = RwSignal::new(notes);
    let id = conversation.id.clone();
    on_live_event(move |e: &LiveEvent| {
        if e.name != "conversation.updated" {
            return;
        }
        let changed = e
            .data
            .get("conversation")
            .and_then(|c| serde_json::from_value::<ConversationSummary>(c.clone()).ok())
            .filter(|c| c.id == id);
        let Some(changed) = changed else {
            return;
        };
        line.set(status_line(&changed));
        labels.set(changed.labels.clone());
        if let Some(note) = e
            .data
            .get("note")
            .and_then(|n| serde_json::from_value::<TimelineEntry>(n.clone()).ok())
            && notes.with_untracked(|l| l.iter().all(|x| x.id != note.id))
        {
            notes.update(|l| l.push(note));
        }
    });
    let system = move || {
        notes.with(|l| {
            l.iter()
                .filter(|n| n.kind != "note")
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let private = move || {
        notes.with(|l| {
            l.iter()
                .filter(|n| n.kind == "note")
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <p class="text-sm font-medium text-slate-800" data-testid="conversation-status">{move || line.get()}</p>
        {move || view! { <LabelChips labels=labels.get() /> }}
        <Show when=move || !system().is_empty()>
            <details class="text-sm text-slate-700" data-testid="timeline">
                <summary class="cursor-pointer">"Activity"</summary>
                <ol class="mt-1 space-y-0.5">
                    <For each=system key=|n| n.id.clone() let:n>
                        <li data-testid="timeline-note">
                            <time class="text-xs text-slate-600" datetime=iso_utc(n.created_at_ms)>{format_utc(n.created_at_ms)}</time>
                            " " {n.body}
                        </li>
                    </For>
                </ol>
            </details>
        </Show>
        // Private notes stay in view: they are the team talking about this customer.
        <Show when=move || !private().is_empty()>
            <section aria-label="Private notes" class="space-y-1" data-testid="private-notes">
                <For each=private key=|n| n.id.clone() let:n>
                    <article class="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-slate-900" data-testid="private-note">
                        <p class="text-xs text-slate-700">
                            <span class="font-semibold" data-testid="private-note-author">{n.author_name.clone().unwrap_or_default()}</span>
                            " · private note · "
                            <time datetime=iso_utc(n.created_at_ms)>{format_utc(n.created_at_ms)}</time>
                        </p>
                        <p class="whitespace-pre-wrap break-words" data-testid="private-note-body">{n.body}</p>
                    </article>
                </For>
            </section>
        </Show>
    }
}
