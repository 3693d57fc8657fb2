//! Conversations and their messages: the list, a thread, sending, retrying. `test`
//! switches to the workspace's test-mode data (what `ak_test_` API keys create).

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::{ChannelView, ConversationSummary, MessageView};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationsPage {
    pub conversations: Vec<ConversationSummary>,
    /// The cursor of the next page (`at_ms:id`), if there is one.
    pub next: Option<String>,
    /// Channels a new conversation can start on.
    pub channels: Vec<ChannelView>,
    pub can_reply: bool,
}

#[cfg(feature = "ssr")]
const PAGE: i64 = 50;

#[server(input = GetUrl, endpoint = "conversations/list")]
pub async fn list_conversations(
    workspace_id: String,
    test: bool,
    after: Option<String>,
) -> Result<ConversationsPage, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::{accounts, conversations};
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let m = crate::server::messaging()?;
    let cursor = after.as_deref().and_then(|c| {
        let (at, id) = c.split_once(':')?;
        Some((at.parse::<i64>().ok()?, id.to_owned()))
    });
    let list = conversations::list(
        &m,
        &member,
        test,
        cursor.as_ref().map(|(at, id)| (*at, id.as_str())),
        PAGE,
    )
    .await?;
    let next = (list.len() as i64 == PAGE)
        .then(|| {
            list.last()
                .map(|c| format!("{}:{}", c.last_message_at_ms, c.id))
        })
        .flatten();
    let channels = accounts::list(&m, &member)
        .await?
        .into_iter()
        .filter(|c| c.status == "good")
        .collect();
    Ok(ConversationsPage {
        conversations: list,
        next,
        channels,
        can_reply: member.role.can(Permission::ConversationsReply),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadView {
    pub conversation: ConversationSummary,
    pub messages: Vec<MessageView>,
    /// The id to pass as `before` for older messages, if there are more.
    pub older: Option<String>,
    pub can_reply: bool,
}

#[cfg(feature = "ssr")]
const THREAD_PAGE: i64 = 100;

#[server(input = GetUrl, endpoint = "conversations/thread")]
pub async fn get_thread(
    workspace_id: String,
    conversation_id: String,
    before: Option<String>,
) -> Result<ThreadView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::{conversations, messages};
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let m = crate::server::messaging()?;
    let conversation = conversations::get(&m, &member, &conversation_id).await?;
    let list = messages::thread(
        &m,
        &member,
        &conversation_id,
        before.as_deref(),
        THREAD_PAGE,
    )
    .await?;
    let older = (list.len() as i64 == THREAD_PAGE)
        .then(|| list.first().map(|m| m.id.clone()))
        .flatten();
    Ok(ThreadView {
        conversation,
        messages: list,
        older,
        can_reply: member.role.can(Permission::ConversationsReply),
    })
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

/// Sends a text in a conversation from the thread's composer, now or at `send_at` (UTC).
#[server(endpoint = "conversations/send")]
pub async fn send_text(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    text: String,
    #[server(default)] send_at: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::message::Content;
    use msgbuddy_messaging::{conversations, messages};
    let (user, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let m = messaging()?;
    let conversation = conversations::get(&m, &member, &conversation_id).await?;
    let at = parse_send_at(send_at.as_deref())?;
    messages::send_at(
        &m,
        messages::Sender {
            member: &member,
            user_id: Some(&user.id),
            source: "inbox",
            is_test: conversation.is_test,
        },
        messages::To::Conversation(&conversation_id),
        Content::Text { body: text },
        None,
        at,
    )
    .await?;
    conversations::mark_read(&m, &member, &conversation_id).await?;
    redirect(&format!(
        "/w/{}/conversations/{conversation_id}",
        member.workspace_id
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
