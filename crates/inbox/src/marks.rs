//! Marks on messages and conversations: a member's own stars (gathered on their Starred
//! page), pins that everyone on the conversation sees (a few per conversation, each a
//! timeline note and a live event), and marking a conversation read or unread.

use crate::access;
use crate::timeline::commit_change;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Db, Error, Result};
use msgbuddy_domain::message::{MessageView, StarredMessage};
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::messages::{VIEW, VIEW_COLUMNS, view};
use sqlx::{AnyConnection, Row};

/// The most pinned messages a conversation keeps.
pub const MAX_PINS: i64 = 3;
/// The most starred messages the Starred page lists.
const STARRED_PAGE: i64 = 200;

/// The conversation of message `message_id`, if the member may see it and it was not
/// deleted; 404 otherwise.
async fn conversation_of(
    conn: &mut AnyConnection,
    member: &Member,
    message_id: &str,
) -> Result<String> {
    let conversation_id: String =
        sqlx::query("SELECT conversation_id FROM messages WHERE id = $1 AND workspace_id = $2 AND deleted_at IS NULL")
            .bind(message_id)
            .bind(&member.workspace_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| Error::App(AppError::not_found()))?
            .try_get(0)?;
    access::current(conn, member, &conversation_id).await?;
    Ok(conversation_id)
}

/// Stars (`on`) or unstars a message for the member; returns its conversation.
pub async fn star(db: &Db, member: &Member, message_id: &str, on: bool) -> Result<String> {
    member.require(Permission::ConversationsView)?;
    let mut tx = db.begin_write().await?;
    let conversation_id = conversation_of(&mut tx, member, message_id).await?;
    if on {
        sqlx::query(
            "INSERT INTO starred_messages (workspace_id, user_id, message_id, starred_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, message_id) DO NOTHING",
        )
        .bind(&member.workspace_id)
        .bind(&member.user_id)
        .bind(message_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query("DELETE FROM starred_messages WHERE user_id = $1 AND message_id = $2")
            .bind(&member.user_id)
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(conversation_id)
}

/// The member's starred messages, newest star first, from conversations they may still
/// see.
pub async fn starred(db: &Db, member: &Member) -> Result<Vec<StarredMessage>> {
    member.require(Permission::ConversationsView)?;
    let visible = if access::sees_all(member) {
        ""
    } else {
        " AND (c.assignee_id IS NULL OR c.assignee_id = $2)"
    };
    // The message's own columns first, as `view` reads them, then the star's.
    let sql = format!(
        "{} JOIN starred_messages s ON s.message_id = m.id JOIN conversations c ON c.id = m.conversation_id \
         JOIN contacts ct ON ct.id = m.contact_id \
         WHERE s.workspace_id = $1 AND s.user_id = $2{visible} \
         ORDER BY s.starred_at DESC, m.id DESC LIMIT {STARRED_PAGE}",
        VIEW.replacen(
            " FROM messages m",
            ", ct.name, s.starred_at FROM messages m",
            1
        )
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&member.workspace_id)
        .bind(&member.user_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(StarredMessage {
                message: view(row)?,
                contact_name: row.try_get(VIEW_COLUMNS)?,
                starred_at_ms: row.try_get(VIEW_COLUMNS + 1)?,
            })
        })
        .collect()
}

/// Which of a conversation's messages the member starred.
pub async fn starred_in(db: &Db, member: &Member, conversation_id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT s.message_id FROM starred_messages s JOIN messages m ON m.id = s.message_id \
         WHERE s.user_id = $1 AND m.conversation_id = $2 AND m.workspace_id = $3",
    )
    .bind(&member.user_id)
    .bind(conversation_id)
    .bind(&member.workspace_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Pins (`on`) or unpins a message in its conversation for everyone on it; returns the
/// conversation.
pub async fn pin(m: &Messaging, member: &Member, message_id: &str, on: bool) -> Result<String> {
    member.require(Permission::ConversationsReply)?;
    let mut tx = m.db().begin_write().await?;
    let conversation_id = conversation_of(&mut tx, member, message_id).await?;
    let changed = if on {
        let pins: i64 =
            sqlx::query("SELECT COUNT(*) FROM pinned_messages WHERE conversation_id = $1")
                .bind(&conversation_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        let already = sqlx::query(
            "SELECT 1 FROM pinned_messages WHERE conversation_id = $1 AND message_id = $2",
        )
        .bind(&conversation_id)
        .bind(message_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if !already && pins >= MAX_PINS {
            return Err(AppError::invalid_field(
                "message_id",
                format!(
                    "A conversation keeps at most {MAX_PINS} pinned messages; unpin one first."
                ),
            )
            .into());
        }
        sqlx::query(
            "INSERT INTO pinned_messages (conversation_id, message_id, pinned_by, pinned_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, message_id) DO NOTHING",
        )
        .bind(&conversation_id)
        .bind(message_id)
        .bind(&member.user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query("DELETE FROM pinned_messages WHERE conversation_id = $1 AND message_id = $2")
            .bind(&conversation_id)
            .bind(message_id)
            .execute(&mut *tx)
            .await?
    };
    if changed.rows_affected() == 0 {
        return Ok(conversation_id);
    }
    let actor = access::user_name(&mut tx, &member.user_id).await?;
    let note = if on {
        format!("Message pinned by {actor}")
    } else {
        format!("Message unpinned by {actor}")
    };
    commit_change(m, tx, member, &conversation_id, &note).await?;
    Ok(conversation_id)
}

/// A conversation's pinned messages, oldest pin first.
pub async fn pinned(db: &Db, member: &Member, conversation_id: &str) -> Result<Vec<MessageView>> {
    member.require(Permission::ConversationsView)?;
    let sql = format!(
        "{VIEW} JOIN pinned_messages p ON p.message_id = m.id \
         WHERE p.conversation_id = $1 AND m.workspace_id = $2 ORDER BY p.pinned_at, m.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(conversation_id)
        .bind(&member.workspace_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(view).collect()
}

/// Marks a conversation read (no unread messages) or unread (one, until someone opens
/// and answers it). The count is the team's, so it is for those who may reply.
pub async fn set_read(db: &Db, member: &Member, conversation_id: &str, read: bool) -> Result<()> {
    member.require(Permission::ConversationsReply)?;
    let mut tx = db.begin_write().await?;
    access::current(&mut tx, member, conversation_id).await?;
    let sql = if read {
        "UPDATE conversations SET unread_count = 0 WHERE id = $1"
    } else {
        "UPDATE conversations SET unread_count = 1 WHERE id = $1 AND unread_count = 0"
    };
    sqlx::query(sql)
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
