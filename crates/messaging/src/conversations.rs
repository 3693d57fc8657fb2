//! Conversations: one open thread per contact and channel account, which inbound messages
//! and new sends find (or open). The inbox module adds assignment, labels and statuses.

use crate::Messaging;
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{ChannelKind, ConversationSummary, TimelineEntry};
use msgbuddy_domain::{AppError, Permission};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// The open conversation of a contact on a channel: its id and when the customer last
/// wrote in it.
pub async fn find_open(
    conn: &mut AnyConnection,
    is_test: bool,
    channel_id: &str,
    contact_id: &str,
) -> Result<Option<(String, Option<i64>)>> {
    let row = sqlx::query(
        "SELECT id, last_inbound_at FROM conversations WHERE channel_account_id = $1 AND contact_id = $2 AND is_test = $3 AND status <> 'resolved'",
    )
    .bind(channel_id)
    .bind(contact_id)
    .bind(i64::from(is_test))
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Opens a conversation of a contact on a channel, or finds the one another writer opened
/// a moment ago (there is at most one open per contact and channel).
pub async fn open(
    conn: &mut AnyConnection,
    workspace_id: &str,
    is_test: bool,
    channel_id: &str,
    contact_id: &str,
) -> Result<String> {
    let now = now_ms();
    let opened = sqlx::query(
        "INSERT INTO conversations (id, workspace_id, is_test, channel_account_id, contact_id, status, last_message_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6, $6) \
         ON CONFLICT (channel_account_id, contact_id, is_test) WHERE status <> 'resolved' DO NOTHING RETURNING id",
    )
    .bind(new_id("cv"))
    .bind(workspace_id)
    .bind(i64::from(is_test))
    .bind(channel_id)
    .bind(contact_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    match opened {
        Some(row) => Ok(row.try_get(0)?),
        None => find_open(conn, is_test, channel_id, contact_id)
            .await?
            .map(|(id, _)| id)
            .ok_or_else(|| Error::internal("a conversation vanished while opened")),
    }
}

/// The conversation a customer's new message goes to: the open one; else their latest
/// resolved one on this channel, reopened (back to its agent while they may still reply,
/// else to the pool) with a timeline note, which is returned; else a new one.
pub async fn for_inbound(
    conn: &mut AnyConnection,
    workspace_id: &str,
    is_test: bool,
    channel_id: &str,
    contact_id: &str,
) -> Result<(String, Option<TimelineEntry>)> {
    if let Some((id, _)) = find_open(conn, is_test, channel_id, contact_id).await? {
        return Ok((id, None));
    }
    let resolved = sqlx::query(
        "SELECT c.id, c.assignee_id, ms.role FROM conversations c          LEFT JOIN memberships ms ON ms.workspace_id = c.workspace_id AND ms.user_id = c.assignee_id          WHERE c.channel_account_id = $1 AND c.contact_id = $2 AND c.is_test = $3 AND c.status = 'resolved'          ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1",
    )
    .bind(channel_id)
    .bind(contact_id)
    .bind(i64::from(is_test))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = resolved else {
        return Ok((
            open(conn, workspace_id, is_test, channel_id, contact_id).await?,
            None,
        ));
    };
    let id: String = row.try_get(0)?;
    let assignee: Option<String> = row.try_get(1)?;
    let role: Option<String> = row.try_get(2)?;
    let may_reply = role
        .and_then(|r| r.parse::<msgbuddy_domain::Role>().ok())
        .is_some_and(|r| r.can(Permission::ConversationsReply));
    let keeps_agent = assignee.is_some() && may_reply;
    let now = now_ms();
    sqlx::query(
        "UPDATE conversations SET status = 'open', snoozed_until = NULL, assignee_id = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(assignee.filter(|_| keeps_agent))
    .bind(now)
    .bind(&id)
    .execute(&mut *conn)
    .await?;
    let note = TimelineEntry {
        id: new_id("note"),
        conversation_id: id.clone(),
        kind: "system".to_owned(),
        body: if keeps_agent {
            "Reopened: the customer wrote again".to_owned()
        } else {
            "Reopened: the customer wrote again; back in the pool".to_owned()
        },
        created_at_ms: now,
        author_name: None,
    };
    sqlx::query(
        "INSERT INTO conversation_notes (id, workspace_id, conversation_id, kind, author_id, body, created_at)          VALUES ($1, $2, $3, $4, NULL, $5, $6)",
    )
    .bind(&note.id)
    .bind(workspace_id)
    .bind(&id)
    .bind(&note.kind)
    .bind(&note.body)
    .bind(note.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok((id, Some(note)))
}

/// A conversation as lists show it, read on `conn` (inside a transaction that changed it).
pub async fn summary_in(conn: &mut AnyConnection, id: &str) -> Result<ConversationSummary> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SUMMARY} WHERE c.id = $1")))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    summary(&row)
}

/// Moves a conversation to the top with its newest message. A customer's message starts
/// the wait for an answer (for "waiting longest") and wakes a snoozed or pending
/// conversation; an answer ends the wait.
pub async fn touch(
    conn: &mut AnyConnection,
    conversation_id: &str,
    at_ms: i64,
    preview: &str,
    inbound: bool,
) -> Result<()> {
    let preview: String = preview.chars().take(200).collect();
    sqlx::query(
        "UPDATE conversations SET \
           last_message_at = CASE WHEN last_message_at > $1 THEN last_message_at ELSE $1 END, \
           last_message_preview = $2, \
           last_inbound_at = CASE WHEN $3 = 1 AND (last_inbound_at IS NULL OR last_inbound_at < $1) THEN $1 ELSE last_inbound_at END, \
           unread_count = unread_count + $3, updated_at = $4, \
           waiting_since = CASE WHEN $3 = 1 THEN COALESCE(waiting_since, $1) ELSE NULL END, \
           status = CASE WHEN $3 = 1 AND status IN ('pending', 'snoozed') THEN 'open' ELSE status END, \
           snoozed_until = CASE WHEN $3 = 1 THEN NULL ELSE snoozed_until END \
         WHERE id = $5",
    )
    .bind(at_ms)
    .bind(preview)
    .bind(i64::from(inbound))
    .bind(now_ms())
    .bind(conversation_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The columns [`summary`] reads, from `conversations c` with its contact, channel and
/// assignee; a query adds its `WHERE` and `ORDER BY`.
pub const SUMMARY: &str = "SELECT c.id, c.contact_id, ct.name, COALESCE(ct.phone, ct.telegram_id, ct.email, ''), \
     c.channel_account_id, ch.kind, ch.name, c.status, c.last_message_at, c.last_message_preview, \
     c.unread_count, c.last_inbound_at, c.is_test, c.assignee_id, u.name, c.snoozed_until, c.waiting_since \
     FROM conversations c JOIN contacts ct ON ct.id = c.contact_id JOIN channel_accounts ch ON ch.id = c.channel_account_id \
     LEFT JOIN users u ON u.id = c.assignee_id";

/// A conversation row read with [`SUMMARY`].
pub fn summary(row: &AnyRow) -> Result<ConversationSummary> {
    let kind: String = row.try_get(5)?;
    let kind = ChannelKind::parse(&kind)
        .map_err(|_| Error::internal(format!("unknown channel kind `{kind}`")))?;
    let window = msgbuddy_channels::registry::capabilities(kind).reply_window;
    let last_inbound: Option<i64> = row.try_get(11)?;
    Ok(ConversationSummary {
        id: row.try_get(0)?,
        contact_id: row.try_get(1)?,
        contact_name: row.try_get(2)?,
        contact_address: row.try_get(3)?,
        channel_id: row.try_get(4)?,
        channel_kind: kind,
        channel_name: row.try_get(6)?,
        status: row.try_get(7)?,
        last_message_at_ms: row.try_get(8)?,
        last_message_preview: row.try_get(9)?,
        unread_count: row.try_get(10)?,
        window_closes_at_ms: window
            .zip(last_inbound)
            .map(|(w, at)| at + i64::try_from(w.as_millis()).unwrap_or(i64::MAX / 2)),
        has_window: window.is_some(),
        reply_window_ms: window.map(|w| i64::try_from(w.as_millis()).unwrap_or(i64::MAX / 2)),
        is_test: crate::flag(row, 12)?,
        assignee_id: row.try_get(13)?,
        assignee_name: row.try_get(14)?,
        snoozed_until_ms: row.try_get(15)?,
        waiting_since_ms: row.try_get(16)?,
        // The inbox adds them where it shows them.
        labels: Vec::new(),
    })
}

/// A page of conversations, newest activity first. `before` is the cursor of the last
/// row of the previous page (`last_message_at_ms` and `id`): keyset pagination, no OFFSET.
pub async fn list(
    m: &Messaging,
    member: &Member,
    is_test: bool,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<ConversationSummary>> {
    member.require(Permission::ConversationsView)?;
    let (at, id) = before.map_or((None, None), |(a, i)| (Some(a), Some(i)));
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SUMMARY} WHERE c.workspace_id = $1 AND c.is_test = $2 \
         AND ($3 IS NULL OR c.last_message_at < $3 OR (c.last_message_at = $3 AND c.id < $4)) \
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT $5"
    )))
    .bind(&member.workspace_id)
    .bind(i64::from(is_test))
    .bind(at)
    .bind(id)
    .bind(limit.clamp(1, 200))
    .fetch_all(m.db().reader())
    .await?;
    rows.iter().map(summary).collect()
}

pub async fn get(m: &Messaging, member: &Member, id: &str) -> Result<ConversationSummary> {
    member.require(Permission::ConversationsView)?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SUMMARY} WHERE c.id = $1 AND c.workspace_id = $2"
    )))
    .bind(id)
    .bind(&member.workspace_id)
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    summary(&row)
}

/// Marks a conversation read.
pub async fn mark_read(m: &Messaging, member: &Member, id: &str) -> Result<()> {
    member.require(Permission::ConversationsReply)?;
    sqlx::query("UPDATE conversations SET unread_count = 0 WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(&member.workspace_id)
        .execute(m.db().writer())
        .await?;
    Ok(())
}

/// Whether a free-form message may go now: inside the window after the customer last
/// wrote, where the channel has one.
pub fn window_open(window: Option<Duration>, last_inbound_at: Option<i64>, now: i64) -> bool {
    match window {
        None => true,
        Some(w) => last_inbound_at
            .is_some_and(|at| now < at + i64::try_from(w.as_millis()).unwrap_or(i64::MAX / 2)),
    }
}
