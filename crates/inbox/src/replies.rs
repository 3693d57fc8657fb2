//! Answering one message: a reply that quotes it (the provider shows the quote where it
//! can: WhatsApp's `context`, Telegram's `reply_to_message_id`, an email's `In-Reply-To`),
//! and forwarding a copy of it to another conversation.

use crate::access;
use crate::views::{self, Query};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{Content, ConversationSummary, Media, MessageView};
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::messages::{self, Sender, To};
use sqlx::Row;

/// The provider's id of message `message_id` of conversation `conversation_id`, which a
/// reply quoting it carries.
pub async fn quotable(
    m: &Messaging,
    member: &Member,
    conversation_id: &str,
    message_id: &str,
) -> Result<String> {
    member.require(Permission::ConversationsReply)?;
    access::conversation(m, member, conversation_id).await?;
    let row = sqlx::query(
        "SELECT provider_message_id FROM messages WHERE id = $1 AND conversation_id = $2 AND workspace_id = $3",
    )
    .bind(message_id)
    .bind(conversation_id)
    .bind(&member.workspace_id)
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| {
        Error::App(AppError::invalid_field(
            "reply_to",
            "Quote a message of this conversation.",
        ))
    })?;
    row.try_get::<Option<String>, _>(0)?.ok_or_else(|| {
        AppError::invalid_field(
            "reply_to",
            "This message has not reached the customer yet; quote it once it is sent.",
        )
        .into()
    })
}

/// Sends a copy of message `message_id` to conversation `to`, as `member` (`user_id`
/// writing). Text, media, locations and contact cards can be forwarded.
pub async fn forward(
    m: &Messaging,
    member: &Member,
    user_id: &str,
    message_id: &str,
    to: &str,
) -> Result<MessageView> {
    member.require(Permission::ConversationsReply)?;
    let target = access::conversation(m, member, to).await.map_err(|_| {
        AppError::invalid_field(
            "to_conversation_id",
            "Choose a conversation you can write in.",
        )
    })?;
    let original = messages::get(m, member, message_id, target.is_test).await?;
    access::conversation(m, member, &original.conversation_id).await?;
    if original.conversation_id == target.id {
        return Err(AppError::invalid_field(
            "to_conversation_id",
            "Forward it to another conversation.",
        )
        .into());
    }
    if original.deleted_at_ms.is_some() {
        return Err(AppError::invalid_field("message_id", "This message was deleted.").into());
    }
    let content = match original.content {
        c @ (Content::Text { .. } | Content::Location(_) | Content::Contacts { .. }) => c,
        // msgbuddy's own copy of the file goes out again; the provider's id is the other
        // channel's.
        Content::Media(media) => match media.media_id {
            Some(media_id) => Content::Media(Media {
                media_id: Some(media_id),
                url: None,
                provider_id: None,
                ..media
            }),
            None => {
                return Err(AppError::validation(
                    "This file has not been fetched from the provider yet; forward it in a moment.",
                )
                .into());
            }
        },
        _ => {
            return Err(AppError::validation(
                "Only text, files, locations and contact cards can be forwarded.",
            )
            .into());
        }
    };
    messages::send(
        m,
        Sender {
            member,
            user_id: Some(user_id),
            source: "inbox",
            is_test: target.is_test,
        },
        To::Conversation(&target.id),
        content,
        None,
    )
    .await
}

/// Where a message of conversation `except` can be forwarded: the open and pending
/// conversations the member may see, latest first.
pub async fn targets(
    m: &Messaging,
    member: &Member,
    except: &ConversationSummary,
) -> Result<Vec<ConversationSummary>> {
    let page = views::list(
        m,
        member,
        &Query {
            is_test: except.is_test,
            limit: 30,
            ..Query::default()
        },
    )
    .await?;
    Ok(page
        .conversations
        .into_iter()
        .filter(|c| c.id != except.id)
        .collect())
}
