//! Deleting a message from a conversation: for us (the team no longer sees its words,
//! search no longer finds it, stars and pins go), or for everyone, where the channel's
//! provider deletes it for the customer too (Telegram within 48 hours; the Sandbox
//! likewise). The provider is asked first: if it refuses, nothing changes here. The row
//! stays, emptied, so the thread shows where a message was and its status history is
//! kept; the timeline says who deleted it.

use crate::access;
use crate::timeline::commit_change;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::ConversationSummary;
use msgbuddy_domain::{AppError, DomainEvent, Permission};
use msgbuddy_messaging::Messaging;
use sqlx::Row;

/// How far a deletion goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Out of msgbuddy only; the customer keeps what they have.
    Us,
    /// Also deleted for the customer by the provider.
    Everyone,
}

impl Reach {
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "us" => Ok(Self::Us),
            "everyone" => Ok(Self::Everyone),
            _ => Err(AppError::invalid_field("reach", "Delete it for us or for everyone.").into()),
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Self::Us => "us",
            Self::Everyone => "everyone",
        }
    }
}

/// What the content of a deleted message becomes.
const EMPTIED: &str = r#"{"type":"text","body":""}"#;

/// Deletes message `message_id`; returns its conversation.
pub async fn delete(
    m: &Messaging,
    member: &Member,
    message_id: &str,
    reach: Reach,
) -> Result<ConversationSummary> {
    member.require(Permission::ConversationsReply)?;
    let row = sqlx::query(
        "SELECT conversation_id, channel_account_id, status, provider_message_id, created_at, deleted_at, scheduled_at \
         FROM messages WHERE id = $1 AND workspace_id = $2",
    )
    .bind(message_id)
    .bind(&member.workspace_id)
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let conversation_id: String = row.try_get(0)?;
    let channel_id: String = row.try_get(1)?;
    let status: String = row.try_get(2)?;
    let provider_id: Option<String> = row.try_get(3)?;
    let created_at: i64 = row.try_get(4)?;
    let deleted_at: Option<i64> = row.try_get(5)?;
    let scheduled_at: Option<i64> = row.try_get(6)?;
    // Out of reach is as if it did not exist.
    access::conversation(m, member, &conversation_id).await?;
    if deleted_at.is_some() {
        return Err(AppError::conflict("This message was already deleted.").into());
    }
    if status == "pending" {
        let why = if scheduled_at.is_some() {
            "This message has not gone out yet: cancel it instead."
        } else {
            "This message is still being sent: delete it once it has gone out."
        };
        return Err(AppError::invalid_field("message_id", why).into());
    }
    if reach == Reach::Everyone {
        msgbuddy_messaging::deletion::for_the_customer(
            m,
            &channel_id,
            provider_id.as_deref(),
            created_at,
        )
        .await?;
    }

    let mut tx = m.db().begin_write().await?;
    let emptied = sqlx::query(
        "UPDATE messages SET content = $1, preview = '', deleted_at = $2, deleted_for = $3, updated_at = $2 \
         WHERE id = $4 AND deleted_at IS NULL AND status <> 'pending'",
    )
    .bind(EMPTIED)
    .bind(now_ms())
    .bind(reach.as_str())
    .bind(message_id)
    .execute(&mut *tx)
    .await?;
    if emptied.rows_affected() == 0 {
        // Someone else deleted it meanwhile (or it went back to pending by a retry). If
        // the provider has just deleted it for the customer, the record says so.
        if reach == Reach::Everyone {
            sqlx::query(
                "UPDATE messages SET deleted_for = 'everyone' WHERE id = $1 AND deleted_at IS NOT NULL",
            )
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        return Err(AppError::conflict("This message was already deleted.").into());
    }
    for sql in [
        "DELETE FROM starred_messages WHERE message_id = $1",
        "DELETE FROM pinned_messages WHERE message_id = $1",
        // A file still on its way would bring the message's content back.
        "DELETE FROM media_downloads WHERE message_id = $1",
    ] {
        sqlx::query(sql).bind(message_id).execute(&mut *tx).await?;
    }
    // The list shows the last message's words: the newest one still standing now.
    sqlx::query(
        "UPDATE conversations SET last_message_preview = COALESCE((SELECT preview FROM messages \
         WHERE conversation_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1), '') \
         WHERE id = $1",
    )
    .bind(&conversation_id)
    .execute(&mut *tx)
    .await?;
    // Open threads show the deletion at once.
    let message = msgbuddy_messaging::messages::view_in(&mut tx, message_id).await?;
    let mut pending = Pending::default();
    m.bus
        .record(
            &mut tx,
            &mut pending,
            &member.workspace_id,
            &DomainEvent::MessageUpdated {
                message: Box::new(message),
            },
        )
        .await?;
    let actor = access::user_name(&mut tx, &member.user_id).await?;
    let note = match reach {
        Reach::Us => format!("A message was deleted by {actor}"),
        Reach::Everyone => format!("A message was deleted for everyone by {actor}"),
    };
    let conversation = commit_change(m, tx, member, &conversation_id, &note).await?;
    m.bus.committed(pending);
    Ok(conversation)
}
