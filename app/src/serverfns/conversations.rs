//! Conversations and their messages: the list, a thread, sending, retrying. `test`
//! switches to the workspace's test-mode data (what `ak_test_` API keys create).

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::{ChannelView, ConversationSummary, MessageView, TimelineEntry};
use serde::{Deserialize, Serialize};

/// A member a conversation can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssigneeOption {
    pub user_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationsPage {
    pub conversations: Vec<ConversationSummary>,
    /// The cursor of the next page (`key:id`), if there is one.
    pub next: Option<String>,
    /// The workspace's channels: to filter by, and (the good ones) to start on.
    pub channels: Vec<ChannelView>,
    pub assignees: Vec<AssigneeOption>,
    pub labels: Vec<msgbuddy_domain::message::Label>,
    pub can_reply: bool,
    /// Whether the member sees every conversation (the All view shows them all).
    pub sees_all: bool,
    /// The member's own saved views.
    pub saved_views: Vec<super::saved_views::SavedViewLink>,
}

/// The list's view, filters and sort, as the page's query string has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub view: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub unread: Option<String>,
    #[serde(default)]
    pub sort: Option<String>,
    /// Latest activity on or after this UTC day (`YYYY-MM-DD`).
    #[serde(default)]
    pub since: Option<String>,
    /// Latest activity on or before this UTC day.
    #[serde(default)]
    pub until: Option<String>,
}

impl ListParams {
    /// The view, filters and sort as `&name=value` pairs for a link, empty ones left out.
    pub fn query_pairs(&self) -> String {
        let mut out = String::new();
        for (name, value) in self.fields() {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.push_str(&format!(
                    "&{name}={}",
                    msgbuddy_domain::values::query_value(v)
                ));
            }
        }
        out
    }

    /// Each field by its name in a query string.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 9] {
        [
            ("view", self.view.as_deref()),
            ("channel", self.channel.as_deref()),
            ("status", self.status.as_deref()),
            ("assignee", self.assignee.as_deref()),
            ("label", self.label.as_deref()),
            ("unread", self.unread.as_deref()),
            ("sort", self.sort.as_deref()),
            ("since", self.since.as_deref()),
            ("until", self.until.as_deref()),
        ]
    }
}

#[cfg(feature = "ssr")]
const PAGE: i64 = 50;

#[server(input = GetUrl, endpoint = "conversations/list")]
pub async fn list_conversations(
    workspace_id: String,
    test: bool,
    after: Option<String>,
    #[server(default)] params: ListParams,
) -> Result<ConversationsPage, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_inbox::views;
    use msgbuddy_inbox::{access, assignment};
    use msgbuddy_messaging::accounts;
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let m = crate::server::messaging()?;
    let query = list_query(&params, test, after)?;
    let page = views::list(&m, &member, &query).await?;
    let channels = accounts::list(&m, &member).await?;
    let assignees = assignment::assignees(&m, &member)
        .await?
        .into_iter()
        .map(|a| AssigneeOption {
            user_id: a.user_id,
            name: a.name,
        })
        .collect();
    let labels = msgbuddy_inbox::labels::list(&m, &member).await?;
    Ok(ConversationsPage {
        conversations: page.conversations,
        next: page.next,
        channels,
        assignees,
        labels,
        can_reply: member.role.can(Permission::ConversationsReply),
        sees_all: access::sees_all(&member),
        saved_views: msgbuddy_inbox::saved_views::list(m.db(), &member)
            .await?
            .into_iter()
            .map(|v| super::saved_views::SavedViewLink {
                id: v.id,
                name: v.name,
                query: v.query,
            })
            .collect(),
    })
}

/// The inbox query a list's view, filters and sort stand for.
#[cfg(feature = "ssr")]
pub(crate) fn list_query(
    params: &ListParams,
    test: bool,
    after: Option<String>,
) -> Result<msgbuddy_inbox::views::Query, AppError> {
    use msgbuddy_inbox::views::{Filter, Query, Sort, View};
    let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    Ok(Query {
        view: given(&params.view)
            .map(|v| View::parse(&v))
            .transpose()?
            .unwrap_or_default(),
        filter: Filter {
            channel_id: given(&params.channel),
            status: given(&params.status),
            assignee_id: given(&params.assignee),
            label_id: given(&params.label),
            unread_only: params.unread.as_deref() == Some("1"),
            since_ms: super::utc_day("since", params.since.as_deref())?,
            until_ms: super::utc_day("until", params.until.as_deref())?.map(|d| d + 86_400_000),
        },
        sort: given(&params.sort)
            .map(|s| Sort::parse(&s))
            .transpose()?
            .unwrap_or_default(),
        is_test: test,
        after,
        limit: PAGE,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadView {
    pub conversation: ConversationSummary,
    pub messages: Vec<MessageView>,
    /// The id to pass as `before` for older messages, if there are more.
    pub older: Option<String>,
    /// What happened to the conversation: assigned, resolved, snoozed...
    pub timeline: Vec<TimelineEntry>,
    pub assignees: Vec<AssigneeOption>,
    /// The workspace's labels, to put one on the conversation.
    pub labels: Vec<msgbuddy_domain::message::Label>,
    pub can_reply: bool,
    pub can_assign: bool,
    /// The member looking, to tell "mine" from someone else's.
    pub user_id: String,
    /// The messages the member starred, of those here.
    pub starred: Vec<String>,
    /// The conversation's pinned messages, for everyone on it.
    pub pinned: Vec<MessageView>,
    /// Who the customer is, and their other conversations.
    pub contact: msgbuddy_domain::message::ContactPanel,
    /// Conversations a message can be forwarded to: (id, "Contact (Channel)").
    pub forward_targets: Vec<(String, String)>,
    /// The quick replies offered on this conversation's channel (none for read-only roles).
    pub quick_replies: Vec<msgbuddy_domain::quick_reply::QuickReply>,
    /// The member's own name, for `{{agent.name}}` in quick replies.
    pub user_name: String,
    /// The channel's provider can delete a message for the customer too.
    pub deletes_for_everyone: bool,
}

#[cfg(feature = "ssr")]
const THREAD_PAGE: i64 = 100;

#[server(input = GetUrl, endpoint = "conversations/thread")]
pub async fn get_thread(
    workspace_id: String,
    conversation_id: String,
    before: Option<String>,
    /// A message to open the thread at (a search result): the page ends with it.
    #[server(default)]
    at: Option<String>,
) -> Result<ThreadView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_inbox::{access, assignment, marks, timeline};
    use msgbuddy_messaging::messages;
    let (user, member) =
        crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let m = crate::server::messaging()?;
    let conversation = access::conversation(&m, &member, &conversation_id).await?;
    let timeline = timeline::list(&m, &member, &conversation_id).await?;
    let labels = msgbuddy_inbox::labels::list(&m, &member).await?;
    let can_assign = member.role.can(Permission::ConversationsAssign);
    let assignees = if can_assign {
        assignment::assignees(&m, &member)
            .await?
            .into_iter()
            .map(|a| AssigneeOption {
                user_id: a.user_id,
                name: a.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let list = match at.as_deref().filter(|a| !a.is_empty()) {
        Some(at) => {
            messages::thread_through(&m, &member, &conversation_id, at, THREAD_PAGE).await?
        }
        None => {
            messages::thread(
                &m,
                &member,
                &conversation_id,
                before.as_deref(),
                THREAD_PAGE,
            )
            .await?
        }
    };
    let contact = msgbuddy_inbox::contact_panel::panel(&m, &member, &conversation).await?;
    let forward_targets = if member.role.can(Permission::ConversationsReply) {
        msgbuddy_inbox::replies::targets(&m, &member, &conversation)
            .await?
            .into_iter()
            .map(|c| {
                (
                    c.id,
                    format!("{} ({})", c.contact_name, c.channel_kind.label()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let quick_replies =
        msgbuddy_inbox::quick_replies::offered(m.db(), &member, &conversation.channel_id).await?;
    let deletes_for_everyone =
        msgbuddy_messaging::deletion::supported(&m, &conversation.channel_id).await;
    let older = (list.len() as i64 == THREAD_PAGE)
        .then(|| list.first().map(|m| m.id.clone()))
        .flatten();
    Ok(ThreadView {
        conversation,
        messages: list,
        older,
        timeline,
        assignees,
        labels,
        can_reply: member.role.can(Permission::ConversationsReply),
        can_assign,
        user_id: user.id,
        starred: marks::starred_in(m.db(), &member, &conversation_id).await?,
        pinned: marks::pinned(m.db(), &member, &conversation_id).await?,
        contact,
        forward_targets,
        quick_replies,
        user_name: user.name,
        deletes_for_everyone,
    })
}

/// A page of a thread's older messages, loaded as the member scrolls up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OlderPage {
    /// Oldest first, all before the message asked for.
    pub messages: Vec<MessageView>,
    /// The id to ask with next, if there are more.
    pub older: Option<String>,
}

#[server(input = GetUrl, endpoint = "conversations/older")]
pub async fn older_messages(
    workspace_id: String,
    conversation_id: String,
    before: String,
) -> Result<OlderPage, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let m = crate::server::messaging()?;
    msgbuddy_inbox::access::conversation(&m, &member, &conversation_id).await?;
    let messages = msgbuddy_messaging::messages::thread(
        &m,
        &member,
        &conversation_id,
        Some(&before),
        THREAD_PAGE,
    )
    .await?;
    let older = (messages.len() as i64 == THREAD_PAGE)
        .then(|| messages.first().map(|m| m.id.clone()))
        .flatten();
    Ok(OlderPage { messages, older })
}

/// Reads the composer's "send later" (`2026-12-01T09:00` from a `datetime-local` input,
/// seconds and an RFC 3339 zone allowed) as UTC milliseconds; empty is "now".
pub fn parse_send_at(raw: Option<&str>) -> Result<Option<i64>, AppError> {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Ok(None);
    }
    let full = match raw.len() {
        16 => format!("{raw}:00Z"),
        19 => format!("{raw}Z"),
        _ => raw.to_owned(),
    };
    msgbuddy_domain::time::parse_rfc3339_utc(&full)
        .map(Some)
        .ok_or_else(|| {
            AppError::invalid_field("send_at", "Give the date and time, like 2026-12-01T09:00.")
        })
}

/// Sends a text in a conversation from the thread's composer, now or at `send_at` (UTC),
/// and marks the conversation read for the sender.
#[cfg(feature = "ssr")]
async fn compose(
    workspace_id: &str,
    conversation_id: &str,
    content: msgbuddy_domain::message::Content,
    send_at: Option<&str>,
    reply_to: Option<&str>,
) -> Result<MessageView, AppError> {
    use crate::server::{member, messaging};
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::{conversations, messages};
    let (user, member) = member(workspace_id, Permission::ConversationsReply).await?;
    let m = messaging()?;
    let conversation = msgbuddy_inbox::access::conversation(&m, &member, conversation_id).await?;
    let at = parse_send_at(send_at)?;
    let quoted = match reply_to.filter(|r| !r.is_empty()) {
        Some(id) => {
            Some(msgbuddy_inbox::replies::quotable(&m, &member, conversation_id, id).await?)
        }
        None => None,
    };
    let sent = messages::send_at(
        &m,
        messages::Sender {
            member: &member,
            user_id: Some(&user.id),
            source: "inbox",
            is_test: conversation.is_test,
        },
        messages::To::Conversation(conversation_id),
        content,
        quoted.as_deref(),
        at,
    )
    .await?;
    conversations::mark_read(&m, &member, conversation_id).await?;
    Ok(sent)
}

/// The composer as a plain form: sends, then goes back to the thread.
#[server(endpoint = "conversations/send")]
pub async fn send_text(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    text: String,
    #[server(default)] send_at: Option<String>,
    /// The message (msgbuddy's id) this one answers, quoted.
    #[server(default)]
    reply_to: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_domain::message::Content;
    compose(
        &workspace_id,
        &conversation_id,
        Content::Text { body: text },
        send_at.as_deref(),
        reply_to.as_deref(),
    )
    .await?;
    crate::server::redirect(&format!(
        "/w/{workspace_id}/conversations/{conversation_id}"
    ));
    Ok(())
}

/// The composer with JavaScript: sends and answers with the stored message (pending), so
/// the page swaps its optimistic copy for the real one and follows its status live.
#[server(endpoint = "conversations/send-live")]
pub async fn send_text_live(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    text: String,
) -> Result<MessageView, AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    let text = msgbuddy_domain::message::Content::Text { body: text };
    compose(&workspace_id, &conversation_id, text, None, None).await
}

/// Sends an approved WhatsApp template (by name and language, with its parameters one
/// per line): what reopens a conversation whose 24-hour window has closed.
#[server(endpoint = "conversations/send-template")]
pub async fn send_template(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    name: String,
    language: String,
    #[server(default)] parameters: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    let parameters = parameters
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let template = msgbuddy_domain::message::Content::Template {
        name: name.trim().to_owned(),
        language: language.trim().to_owned(),
        parameters,
    };
    compose(&workspace_id, &conversation_id, template, None, None).await?;
    crate::server::redirect(&format!(
        "/w/{workspace_id}/conversations/{conversation_id}"
    ));
    Ok(())
}

/// Starts a conversation: a first text to an address on a channel.
#[server(endpoint = "conversations/start")]
pub async fn start_conversation(
    csrf_token: String,
    workspace_id: String,
    channel_id: String,
    to: String,
    name: Option<String>,
    text: String,
    #[server(default)] test: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::message::Content;
    use msgbuddy_messaging::messages;
    let (user, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let sent = messages::send(
        &messaging()?,
        messages::Sender {
            member: &member,
            user_id: Some(&user.id),
            source: "inbox",
            is_test: test.as_deref() == Some("1"),
        },
        messages::To::Address {
            channel_id: &channel_id,
            address: &to,
            name: name.as_deref().filter(|n| !n.trim().is_empty()),
        },
        Content::Text { body: text },
        None,
    )
    .await?;
    redirect(&format!(
        "/w/{}/conversations/{}",
        member.workspace_id, sent.conversation_id
    ));
    Ok(())
}

/// "Cancel" on a scheduled message that has not gone out yet.
#[server(endpoint = "conversations/cancel")]
pub async fn cancel_scheduled(
    csrf_token: String,
    workspace_id: String,
    message_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let message =
        msgbuddy_messaging::messages::cancel_scheduled(&messaging()?, &member, &message_id).await?;
    redirect(&format!(
        "/w/{}/conversations/{}",
        member.workspace_id, message.conversation_id
    ));
    Ok(())
}

/// "Retry" on a failed message.
#[server(endpoint = "conversations/retry")]
pub async fn retry_message(
    csrf_token: String,
    workspace_id: String,
    message_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let message = msgbuddy_messaging::messages::retry(&messaging()?, &member, &message_id).await?;
    redirect(&format!(
        "/w/{}/conversations/{}",
        member.workspace_id, message.conversation_id
    ));
    Ok(())
}

/// Assigns, claims or unassigns a conversation (`action`: `assign` with `assignee_id`,
/// `claim`, `unassign`).
#[server(endpoint = "conversations/assign")]
pub async fn assign_conversation(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    action: String,
    #[server(default)] assignee_id: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_inbox::assignment::{self, Assign};
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let assignee = assignee_id.unwrap_or_default();
    let action = match action.as_str() {
        "claim" => Assign::Claim,
        "unassign" => Assign::Unassign,
        "assign" if assignee.is_empty() => Assign::Unassign,
        "assign" => Assign::To(&assignee),
        _ => {
            return Err(AppError::invalid_field(
                "action",
                "Choose assign, claim or unassign.",
            ));
        }
    };
    assignment::assign(&messaging()?, &member, &conversation_id, action).await?;
    redirect(&format!(
        "/w/{}/conversations/{conversation_id}",
        member.workspace_id
    ));
    Ok(())
}

/// Resolves, reopens, marks pending or snoozes a conversation. A snooze lasts
/// `snooze_hours`, or until `snooze_until` (UTC, like 2026-12-01T09:00).
#[server(endpoint = "conversations/status")]
pub async fn set_conversation_status(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    status: String,
    #[server(default)] snooze_hours: Option<String>,
    #[server(default)] snooze_until: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_inbox::status;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let change = status_change(&status, snooze_hours.as_deref(), snooze_until.as_deref())?;
    status::set(&messaging()?, &member, &conversation_id, change).await?;
    redirect(&format!(
        "/w/{}/conversations/{conversation_id}",
        member.workspace_id
    ));
    Ok(())
}

/// The status a form asks for; a snooze lasts `snooze_hours`, or until `snooze_until`.
#[cfg(feature = "ssr")]
pub(crate) fn status_change(
    status: &str,
    snooze_hours: Option<&str>,
    snooze_until: Option<&str>,
) -> Result<msgbuddy_inbox::status::Change, AppError> {
    use msgbuddy_inbox::status::Change;
    let until = match parse_send_at(snooze_until).map_err(|_| {
        AppError::invalid_field(
            "snooze_until",
            "Give the date and time, like 2026-12-01T09:00.",
        )
    })? {
        Some(at) => Some(at),
        None => match snooze_hours.map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => {
                let hours = h
                    .parse::<i64>()
                    .ok()
                    .filter(|h| (1..=24 * 365).contains(h))
                    .ok_or_else(|| {
                        AppError::invalid_field("snooze_hours", "Snooze for 1 hour to a year.")
                    })?;
                Some(msgbuddy_core::db::now_ms() + hours * 3_600_000)
            }
            None => None,
        },
    };
    Change::parse(status, until)
}

/// Tells the others that the member is viewing, typing in or has left a conversation
/// (the thread page sends it while open; nothing is stored).
#[server(endpoint = "conversations/presence")]
pub async fn announce_presence(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    activity: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::event::Activity;
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let activity = Activity::parse(&activity)?;
    msgbuddy_inbox::presence::announce(
        &crate::server::messaging()?,
        &member,
        &conversation_id,
        activity,
    )
    .await?;
    Ok(())
}
