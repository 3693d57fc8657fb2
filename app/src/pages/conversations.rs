//! The conversation list: views (Mine, Unassigned, All, Mentions, Snoozed, Resolved) as tabs, filters
//! and sort as a plain GET form, and "start a conversation". The list is an island: with
//! JavaScript, new messages move their conversation to the top and new conversations
//! appear without a reload. `?test=1` shows the test-mode data instead.

use super::conversations_bulk::{BulkBar, BulkResult, FORM_ID};
use super::conversations_saved::SavedViews;
use super::thread_actions::LabelChips;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::live::{LiveEvent, on_live_event};
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::bulk::BulkChange;
use crate::serverfns::conversations::{
    AssigneeOption, ListParams, StartConversation, list_conversations,
};
use crate::serverfns::saved_views::{DeleteView, SaveView};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use msgbuddy_domain::message::{
    ChannelKind, ChannelView, ConversationSummary, Direction, Label, MessageView,
};
use msgbuddy_domain::time::{format_utc, iso_utc};
use serde::{Deserialize, Serialize};

#[component]
pub fn ConversationsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let query = use_query_map();
    let test = move || query.read().get("test").as_deref() == Some("1");
    let ws = ctx.id.clone();
    let params = move || {
        let q = query.read();
        ListParams {
            view: q.get("view"),
            channel: q.get("channel"),
            status: q.get("status"),
            assignee: q.get("assignee"),
            label: q.get("label"),
            unread: q.get("unread"),
            sort: q.get("sort"),
            since: q.get("since"),
            until: q.get("until"),
        }
    };
    let data = Resource::new(
        move || (test(), query.read().get("after"), params()),
        move |(test, after, params)| list_conversations(ws.clone(), test, after, params),
    );
    let start = ServerAction::<StartConversation>::new();
    let bulk = ServerAction::<BulkChange>::new();
    let save_view = ServerAction::<SaveView>::new();
    let delete_view = ServerAction::<DeleteView>::new();
    // A form posted without JavaScript comes back here with its error.
    let error = move || {
        [
            start.value().get().and_then(Result::err),
            bulk.value().get().and_then(Result::err),
            save_view.value().get().and_then(Result::err),
            delete_view.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    let me = ctx.user.id.clone();
    let role = ctx.role.get_untracked();
    let sees_all = role.can(msgbuddy_domain::Permission::ConversationsViewAll);
    let can_assign = role.can(msgbuddy_domain::Permission::ConversationsAssign);
    view! {
        <crate::components::head::PageTitle text="Conversations" />
        <Suspense fallback=Loading>
            {move || { let (ws_id, me) = (ws_id.clone(), me.clone()); Suspend::new(async move {
                let test = test();
                let params = params();
                match data.await {
                    Ok(page) => {
                        let base = format!("/w/{ws_id}/conversations");
                        let mode = if test { "&test=1" } else { "" };
                        let view = params.view.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| "all".to_owned());
                        let more = params.query_pairs();
                        view! {
                            <section data-testid="conversations-page" class="flex max-w-4xl flex-col gap-4">
                                <div class="flex flex-wrap items-center justify-between gap-2">
                                    <h1 class="text-2xl font-semibold">{if test { "Conversations (test mode)" } else { "Conversations" }}</h1>
                                    <a
                                        href=if test { base.clone() } else { format!("{base}?test=1") }
                                        data-testid="test-mode-switch"
                                        data-active=test.to_string()
                                        class="rounded-md border border-amber-400 px-3 py-1 text-sm text-amber-900 hover:bg-amber-50"
                                    >
                                        {if test { "Leave test mode" } else { "Test mode" }}
                                    </a>
                                </div>
                                {test.then(|| view! {
                                    <p class="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="test-mode-banner">
                                        "Test mode: what ak_test_ API keys create. The Sandbox serves every channel here and nothing leaves this machine."
                                    </p>
                                })}
                                {error}
                                <BulkResult done=query.read().get("bulk_done") failed=query.read().get("bulk_failed") />
                                <ViewTabs base=base.clone() mode=mode current=view.clone() />
                                // At phone width the list comes straight after the views, and the
                                // tools for it (saved views, filters, bulk changes) after the list.
                                <div class="order-2 flex flex-col gap-4 md:order-none">
                                    <SavedViews base=base.clone() workspace_id=ws_id.clone() views=page.saved_views.clone() params=params.clone() />
                                    <FilterForm base=base.clone() test view=view.clone() params=params.clone() channels=page.channels.clone() assignees=page.assignees.clone() labels=page.labels.clone() />
                                    {page.can_reply.then(|| view! {
                                        <BulkBar workspace_id=ws_id.clone() test params=params.clone() assignees=page.assignees.clone() labels=page.labels.clone() can_assign />
                                    })}
                                </div>
                                <div class="order-1 flex flex-col gap-4 md:order-none">
                                <LiveConversations
                                    workspace_id=ws_id.clone()
                                    test
                                    selectable=page.can_reply
                                    conversations=page.conversations.clone()
                                    now_ms=server_now_ms()
                                    scope=ListScope {
                                        view: view.clone(),
                                        status: params.status.clone().filter(|s| !s.is_empty()),
                                        filtered: [&params.channel, &params.assignee, &params.label, &params.unread, &params.since, &params.until]
                                            .iter()
                                            .any(|p| p.as_deref().is_some_and(|v| !v.is_empty())),
                                        me: me.clone(),
                                        sees_all,
                                    }
                                />
                                {page.next.clone().map(|after| view! {
                                    <a href=format!("{base}?after={after}{mode}{more}") class="text-sm text-indigo-700 underline" data-testid="next-page">"More conversations"</a>
                                })}
                                </div>
                                <div class="order-3 md:order-none">
                                    {page.can_reply.then(|| view! { <StartForm workspace_id=ws_id.clone() channels=page.channels.iter().filter(|c| c.status == "good").cloned().collect() test /> })}
                                </div>
                            </section>
                        }.into_any()
                    }
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

const VIEWS: [(&str, &str); 6] = [
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("all", "All"),
    ("mentions", "Mentions"),
    ("snoozed", "Snoozed"),
    ("resolved", "Resolved"),
];

/// The views as links; the current one is marked for screen readers too.
#[component]
fn ViewTabs(base: String, mode: &'static str, current: String) -> impl IntoView {
    view! {
        <nav aria-label="Views" data-testid="inbox-views">
            <ul class="flex flex-wrap gap-1 border-b border-slate-200">
                {VIEWS.into_iter().map(|(value, label)| {
                    let active = value == current;
                    view! {
                        <li>
                            <a
                                href=format!("{base}?view={value}{mode}")
                                aria-current=active.then_some("page")
                                data-testid=format!("view-{value}")
                                class=if active { "-mb-px inline-block border-b-2 border-indigo-600 px-3 py-1.5 text-sm font-semibold text-indigo-800" } else { "inline-block px-3 py-1.5 text-sm text-slate-700 hover:text-slate-900" }
                            >
                                {label}
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// Filters and sort: a GET form, so a filtered list is a link that can be kept.
#[component]
fn FilterForm(
    base: String,
    test: bool,
    view: String,
    params: ListParams,
    channels: Vec<ChannelView>,
    assignees: Vec<AssigneeOption>,
    labels: Vec<Label>,
) -> impl IntoView {
    let selected = |given: &Option<String>, value: &str| given.as_deref() == Some(value);
    let select = "rounded-md border border-slate-300 px-2 py-1 text-sm";
    let label = "flex flex-col text-xs font-medium text-slate-700";
    view! {
        <form method="get" action=base class="flex flex-wrap items-end gap-3" data-testid="inbox-filters">
            <input type="hidden" name="view" value=view />
            {test.then(|| view! { <input type="hidden" name="test" value="1" /> })}
            <label class=label>
                "Channel"
                <select name="channel" class=select data-testid="filter-channel">
                    <option value="">"Any"</option>
                    {channels.into_iter().map(|c| {
                        let on = selected(&params.channel, &c.id);
                        view! { <option value=c.id.clone() selected=on>{format!("{}: {}", c.kind.label(), c.name)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class=label>
                "Status"
                <select name="status" class=select data-testid="filter-status">
                    <option value="">"Open and pending"</option>
                    {["open", "pending"].into_iter().map(|s| view! { <option value=s selected=selected(&params.status, s)>{s}</option> }).collect_view()}
                </select>
            </label>
            <label class=label>
                "Assignee"
                <select name="assignee" class=select data-testid="filter-assignee">
                    <option value="">"Anyone"</option>
                    {assignees.into_iter().map(|a| {
                        let on = selected(&params.assignee, &a.user_id);
                        view! { <option value=a.user_id selected=on>{a.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class=label>
                "Label"
                <select name="label" class=select data-testid="filter-label">
                    <option value="">"Any"</option>
                    {labels.into_iter().map(|l| {
                        let on = selected(&params.label, &l.id);
                        let name = if l.parent_id.is_some() { format!("– {}", l.name) } else { l.name };
                        view! { <option value=l.id selected=on>{name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class=label>
                "Sort"
                <select name="sort" class=select data-testid="filter-sort">
                    <option value="latest">"Latest activity"</option>
                    <option value="waiting" selected=selected(&params.sort, "waiting")>"Waiting longest"</option>
                </select>
            </label>
            <label class=label>
                "Active from (UTC)"
                <input type="date" name="since" value=params.since.clone() class=select data-testid="filter-since" />
            </label>
            <label class=label>
                "Active to (UTC)"
                <input type="date" name="until" value=params.until.clone() class=select data-testid="filter-until" />
            </label>
            <label class="flex items-center gap-1 text-sm text-slate-700">
                <input type="checkbox" name="unread" value="1" checked=selected(&params.unread, "1") data-testid="filter-unread" />
                "Unread only"
            </label>
            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-50" data-testid="filter-apply">"Apply"</button>
        </form>
    }
}

#[component]
fn StartForm(workspace_id: String, channels: Vec<ChannelView>, test: bool) -> impl IntoView {
    let options = channels
        .into_iter()
        .map(|c| view! { <option value=c.id.clone()>{format!("{}: {}", c.kind.label(), c.name)}</option> })
        .collect_view();
    view! {
        <details class="rounded-lg bg-white p-4 shadow-sm" data-testid="start-conversation">
            <summary class="cursor-pointer font-medium">"Start a conversation"</summary>
            <form method="post" action=StartConversation::url() class="mt-3 grid gap-3 sm:grid-cols-2">
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id />
                {test.then(|| view! { <input type="hidden" name="test" value="1" /> })}
                <div class="space-y-1">
                    <label for="start-channel" class="block text-sm font-medium text-slate-700">"Channel"</label>
                    <select id="start-channel" name="channel_id" data-testid="start-channel" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm">{options}</select>
                </div>
                <div class="space-y-1">
                    <label for="start-to" class="block text-sm font-medium text-slate-700">"To (phone, Telegram chat id or email)"</label>
                    <input id="start-to" name="to" required data-testid="start-to" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </div>
                <div class="space-y-1">
                    <label for="start-name" class="block text-sm font-medium text-slate-700">"Name (optional)"</label>
                    <input id="start-name" name="name" data-testid="start-name" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </div>
                <div class="space-y-1 sm:col-span-2">
                    <label for="start-text" class="block text-sm font-medium text-slate-700">"Message"</label>
                    <textarea id="start-text" name="text" required rows="2" data-testid="start-text" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm"></textarea>
                </div>
                <div class="sm:col-span-2">
                    <button type="submit" data-testid="start-send" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Send"</button>
                </div>
            </form>
        </details>
    }
}

/// Which conversations a list shows, for deciding live which ones join or leave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListScope {
    /// `mine`, `unassigned`, `all`, `mentions`, `snoozed` or `resolved`.
    view: String,
    /// The status filter, if one is set.
    status: Option<String>,
    /// Whether any other filter (channel, assignee, label, unread) is set: a list the
    /// browser cannot match rows against, so it lets rows leave but none join.
    filtered: bool,
    /// The member looking.
    me: String,
    /// Whether they see every conversation, not only the pool and their own.
    sees_all: bool,
}

impl ListScope {
    /// Whether `c`, as it now is, belongs in this list.
    fn holds(&self, c: &ConversationSummary) -> bool {
        let assignee = c.assignee_id.as_deref();
        let visible = self.sees_all || assignee.is_none_or(|a| a == self.me);
        let status_fits = match &self.status {
            Some(s) => c.status == *s,
            None => matches!(c.status.as_str(), "open" | "pending"),
        };
        visible
            && match self.view.as_str() {
                "mine" => status_fits && assignee == Some(self.me.as_str()),
                "unassigned" => status_fits && assignee.is_none(),
                "snoozed" => c.status == "snoozed",
                "resolved" => c.status == "resolved",
                // Mentions are not in the event: rows stay as they are.
                "mentions" => true,
                _ => status_fits,
            }
    }
}

/// The list: an island that follows new messages and changes live.
#[island]
fn LiveConversations(
    workspace_id: String,
    test: bool,
    conversations: Vec<ConversationSummary>,
    // The server's clock when it rendered the list: the reply windows' countdowns read the
    // same time on both sides, then tick on in the browser.
    now_ms: i64,
    scope: ListScope,
    /// Whether rows get a checkbox for the bulk bar.
    selectable: bool,
) -> impl IntoView {
    let list = RwSignal::new(conversations);
    let now = RwSignal::new(now_ms);
    #[cfg(feature = "hydrate")]
    let _ = set_interval_with_handle(
        move || now.update(|n| *n += 60_000),
        std::time::Duration::from_secs(60),
    );
    on_live_event(move |e: &LiveEvent| apply(e, test, &scope, list));
    let ws = workspace_id.clone();
    let empty = move || list.with(Vec::is_empty);
    view! {
        <Show when=empty>
            <div data-testid="empty-state" class="rounded-lg border border-dashed border-slate-300 p-8 text-center">
                <p class="font-medium text-slate-700">"No conversations yet"</p>
                <p class="mt-1 text-sm text-slate-600">
                    "Start one below, or make the Sandbox channel simulate a customer message (Settings > Channels)."
                </p>
            </div>
        </Show>
        <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="conversation-list" aria-live="polite">
            <For each=move || list.get() key=|c| (c.id.clone(), c.last_message_at_ms, c.unread_count, c.assignee_id.clone(), c.status.clone(), c.labels.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), c.window_closes_at_ms) let:c>
                <li data-testid="conversation-row" data-id=c.id.clone() class="flex items-center">
                    {selectable.then(|| view! {
                        <input
                            type="checkbox"
                            form=FORM_ID
                            name=format!("selected[{}]", c.id)
                            value="1"
                            aria-label=format!("Select the conversation with {}", c.contact_name)
                            data-testid="conversation-select"
                            class="ml-3 h-6 w-6 shrink-0"
                        />
                    })}
                    <a href=format!("/w/{}/conversations/{}", ws, c.id) class="flex min-w-0 flex-1 items-start justify-between gap-3 px-4 py-3 hover:bg-slate-50">
                        <span aria-hidden="true" class="flex h-9 w-9 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-900" data-testid="conversation-avatar">
                            {initials(&c.contact_name)}
                        </span>
                        <span class="min-w-0 flex-1">
                            <span class="block font-medium" data-testid="conversation-contact">{c.contact_name.clone()}</span>
                            <span class="block truncate text-sm text-slate-600" data-testid="conversation-preview">{c.last_message_preview.clone()}</span>
                            <span class="block text-xs text-slate-600" data-testid="conversation-assignee">
                                {c.assignee_name.clone().map_or_else(|| "Unassigned".to_owned(), |n| format!("Assigned to {n}"))}
                                {(c.status != "open").then(|| format!(" · {}", c.status))}
                            </span>
                            <LabelChips labels=c.labels.clone() />
                        </span>
                        <span class="shrink-0 text-right text-xs text-slate-600">
                            {c.has_window.then(|| {
                                let closes = c.window_closes_at_ms;
                                view! { <span class="block font-medium text-amber-900" data-testid="conversation-window">{move || window_left(closes, now.get())}</span> }
                            })}
                            <span class="block">{channel_label(c.channel_kind, &c.channel_name)}</span>
                            <time class="block" datetime=iso_utc(c.last_message_at_ms)>{format_utc(c.last_message_at_ms)}</time>
                            {(c.unread_count > 0).then(|| view! {
                                <span class="mt-1 inline-block rounded-full bg-indigo-700 px-2 text-white" data-testid="conversation-unread">{c.unread_count} <span class="sr-only">" unread"</span></span>
                            })}
                        </span>
                    </a>
                </li>
            </For>
        </ul>
    }
}

/// The WhatsApp-style reply window of a row: "Window: 5h 12m left", or closed (only a
/// template can be sent then).
fn window_left(closes_at_ms: Option<i64>, now_ms: i64) -> String {
    match closes_at_ms {
        Some(at) if at > now_ms => {
            // Rounded up: "1m left" until the very end.
            let minutes = (at - now_ms + 59_999) / 60_000;
            if minutes >= 60 {
                format!("Window: {}h {}m left", minutes / 60, minutes % 60)
            } else {
                format!("Window: {minutes}m left")
            }
        }
        _ => "Window closed".to_owned(),
    }
}

/// The server's clock, for countdowns and windows on pages rendered only on the server.
pub(super) fn server_now_ms() -> i64 {
    #[cfg(feature = "ssr")]
    {
        msgbuddy_core::db::now_ms()
    }
    #[cfg(not(feature = "ssr"))]
    {
        0
    }
}

/// "WhatsApp: Support line"; empty for a row that arrived live (its channel's name is not
/// in the event) until the next load.
fn channel_label(kind: ChannelKind, name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("{}: {name}", kind.label())
    }
}

/// A new message moves its conversation to the top (or adds it); an assignment or a
/// status change updates its row, takes it out of a list it no longer belongs in (assigned
/// away from Mine, resolved out of All) or brings it into one it now does (assigned to me,
/// in Mine).
fn apply(e: &LiveEvent, test: bool, scope: &ListScope, list: RwSignal<Vec<ConversationSummary>>) {
    if e.name == "conversation.updated" {
        if let Some(changed) = e
            .data
            .get("conversation")
            .and_then(|c| serde_json::from_value::<ConversationSummary>(c.clone()).ok())
            .filter(|c| c.is_test == test)
        {
            list.update(|l| {
                let at = l.iter().position(|c| c.id == changed.id);
                match at {
                    Some(i) if !scope.holds(&changed) => {
                        l.remove(i);
                    }
                    Some(i) => {
                        let row = &mut l[i];
                        row.assignee_id = changed.assignee_id;
                        row.assignee_name = changed.assignee_name;
                        row.status = changed.status;
                        row.snoozed_until_ms = changed.snoozed_until_ms;
                        row.labels = changed.labels;
                    }
                    None if scope.holds(&changed) && !scope.filtered => {
                        // Newest activity first, as the list was loaded.
                        let at = l
                            .iter()
                            .position(|c| c.last_message_at_ms < changed.last_message_at_ms)
                            .unwrap_or(l.len());
                        l.insert(at, changed);
                    }
                    None => {}
                }
            });
        }
        return;
    }
    if e.name != "message.created" {
        return;
    }
    let Some(message) = e
        .data
        .get("message")
        .and_then(|m| serde_json::from_value::<MessageView>(m.clone()).ok())
    else {
        return;
    };
    if message.is_test != test {
        return;
    }
    let contact_name = e
        .data
        .get("contact_name")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let inbound = message.direction == Direction::Inbound;
    list.update(|l| {
        let existing = l.iter().position(|c| c.id == message.conversation_id);
        // A conversation new to this list: only one that starts in the pool, and only
        // where the pool's conversations belong.
        if existing.is_none() && (scope.filtered || !scope.holds(&pooled(&message, String::new())))
        {
            return;
        }
        let mut row = match existing {
            Some(i) => l.remove(i),
            None => pooled(&message, contact_name),
        };
        row.last_message_at_ms = row.last_message_at_ms.max(message.created_at_ms);
        row.last_message_preview = message.content.preview();
        if inbound {
            row.unread_count += 1;
            // The customer wrote: the reply window opens again from now.
            if let Some(window) = row.reply_window_ms {
                row.window_closes_at_ms = Some(message.created_at_ms.saturating_add(window));
            }
        }
        l.insert(0, row);
    });
}

/// The row of a conversation first heard of by a message: as a new customer's starts,
/// open and in the pool, until the next load fills in the rest.
fn pooled(message: &MessageView, contact_name: String) -> ConversationSummary {
    ConversationSummary {
        id: message.conversation_id.clone(),
        contact_id: String::new(),
        contact_name,
        contact_address: String::new(),
        channel_id: message.channel_id.clone(),
        channel_kind: ChannelKind::Sandbox,
        channel_name: String::new(),
        status: "open".to_owned(),
        last_message_at_ms: 0,
        last_message_preview: String::new(),
        unread_count: 0,
        window_closes_at_ms: None,
        has_window: false,
        reply_window_ms: None,
        is_test: message.is_test,
        assignee_id: None,
        assignee_name: None,
        snoozed_until_ms: None,
        waiting_since_ms: None,
        labels: Vec::new(),
    }
}

/// A contact's initials for their avatar: the first letter or digit of their first two
/// words ("Ana Souza": "AS"; "+1 555 0100": "15"), or "?".
fn initials(name: &str) -> String {
    let found: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if found.is_empty() {
        "?".to_owned()
    } else {
        found
    }
}

#[cfg(test)]
mod tests {
    use super::{initials, window_left};

    #[test]
    fn the_reply_window_counts_down_in_hours_and_minutes_then_closes() {
        let now = 1_000_000_000;
        let hour = 3_600_000;
        assert_eq!(
            window_left(Some(now + 5 * hour + 12 * 60_000), now),
            "Window: 5h 12m left"
        );
        assert_eq!(
            window_left(Some(now + 60 * 60_000), now),
            "Window: 1h 0m left"
        );
        assert_eq!(
            window_left(Some(now + 42 * 60_000 - 1), now),
            "Window: 42m left"
        );
        assert_eq!(window_left(Some(now + 1), now), "Window: 1m left");
        assert_eq!(window_left(Some(now), now), "Window closed");
        assert_eq!(window_left(None, now), "Window closed");
    }

    #[test]
    fn initials_are_the_first_letters_of_the_first_two_words() {
        assert_eq!(initials("Ana Souza"), "AS");
        assert_eq!(initials("ravi kumar singh"), "RK");
        assert_eq!(initials("Zoë"), "Z");
        assert_eq!(initials("+1 555 0100"), "15");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("<script> x"), "SX");
    }
}
