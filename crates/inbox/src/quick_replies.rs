//! Quick replies: managed in Settings by those who edit settings (each change audited),
//! offered in the composer of every conversation on their channels to anyone who may
//! reply. See [`msgbuddy_domain::quick_reply`] for the shortcut and body rules.

use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::quick_reply::{QuickReply, Shortcut, parse_body};
use msgbuddy_domain::{AppError, Permission};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The most quick replies a workspace keeps.
pub const MAX_REPLIES: i64 = 500;

/// A quick reply as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct QuickReplyForm {
    pub shortcut: String,
    pub body: String,
    /// Empty: every channel.
    pub channel_ids: Vec<String>,
}

/// The workspace's quick replies, by shortcut.
pub async fn list(db: &Db, member: &Member) -> Result<Vec<QuickReply>> {
    member.require(Permission::ConversationsView)?;
    let mut conn = db.reader().acquire().await?;
    load(&mut conn, &member.workspace_id, None).await
}

/// The quick replies offered in a conversation on `channel_id`, for those who may reply.
pub async fn offered(db: &Db, member: &Member, channel_id: &str) -> Result<Vec<QuickReply>> {
    if !member.role.can(Permission::ConversationsReply) {
        return Ok(Vec::new());
    }
    Ok(list(db, member)
        .await?
        .into_iter()
        .filter(|r| r.offered_on(channel_id))
        .collect())
}

async fn load(
    conn: &mut AnyConnection,
    workspace_id: &str,
    id: Option<&str>,
) -> Result<Vec<QuickReply>> {
    let rows = sqlx::query(
        "SELECT id, shortcut, body FROM quick_replies \
         WHERE workspace_id = $1 AND ($2 = '' OR id = $2) ORDER BY shortcut",
    )
    .bind(workspace_id)
    .bind(id.unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let scopes = sqlx::query(
        "SELECT qc.quick_reply_id, qc.channel_id FROM quick_reply_channels qc \
         JOIN quick_replies q ON q.id = qc.quick_reply_id \
         WHERE q.workspace_id = $1 AND ($2 = '' OR q.id = $2) ORDER BY qc.channel_id",
    )
    .bind(workspace_id)
    .bind(id.unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let mut channels: HashMap<String, Vec<String>> = HashMap::new();
    for row in &scopes {
        channels
            .entry(row.try_get(0)?)
            .or_default()
            .push(row.try_get(1)?);
    }
    rows.iter()
        .map(|r| {
            let id: String = r.try_get(0)?;
            Ok(QuickReply {
                channel_ids: channels.remove(&id).unwrap_or_default(),
                id,
                shortcut: r.try_get(1)?,
                body: r.try_get(2)?,
            })
        })
        .collect()
}

async fn find(conn: &mut AnyConnection, workspace_id: &str, id: &str) -> Result<QuickReply> {
    load(conn, workspace_id, Some(id))
        .await?
        .pop()
        .ok_or_else(|| Error::App(AppError::not_found()))
}

/// Checks a form: the shortcut, the body, and that every channel is the workspace's.
async fn checked(
    conn: &mut AnyConnection,
    member: &Member,
    form: &QuickReplyForm,
) -> Result<(Shortcut, String, Vec<String>)> {
    let shortcut = Shortcut::parse(&form.shortcut)?;
    let body = parse_body(&form.body)?;
    let mut channel_ids: Vec<String> = form
        .channel_ids
        .iter()
        .filter(|c| !c.is_empty())
        .cloned()
        .collect();
    channel_ids.sort();
    channel_ids.dedup();
    for channel in &channel_ids {
        let found =
            sqlx::query("SELECT 1 FROM channel_accounts WHERE id = $1 AND workspace_id = $2")
                .bind(channel)
                .bind(&member.workspace_id)
                .fetch_optional(&mut *conn)
                .await?;
        if found.is_none() {
            return Err(AppError::invalid_field(
                "channel_ids",
                "One of the chosen channels is not in this workspace.",
            )
            .into());
        }
    }
    Ok((shortcut, body, channel_ids))
}

fn taken(e: Error) -> Error {
    if e.is_unique_violation("quick_replies_shortcut_key", "quick_replies.shortcut") {
        AppError::invalid_field(
            "shortcut",
            "There is already a quick reply with this shortcut.",
        )
        .into()
    } else {
        e
    }
}

async fn set_channels(conn: &mut AnyConnection, id: &str, channel_ids: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM quick_reply_channels WHERE quick_reply_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for channel in channel_ids {
        sqlx::query(
            "INSERT INTO quick_reply_channels (quick_reply_id, channel_id) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(channel)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn audited(
    conn: &mut AnyConnection,
    actor: &Actor,
    member: &Member,
    action: &str,
    id: &str,
    before: Option<&QuickReply>,
    after: Option<&QuickReply>,
) -> Result<()> {
    let snapshot = |r: &QuickReply| serde_json::json!({ "shortcut": r.shortcut, "body": r.body, "channel_ids": r.channel_ids });
    audit::record(
        conn,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action,
            target_type: "quick_reply",
            target_id: Some(id),
            before: before.map(snapshot),
            after: after.map(snapshot),
        },
    )
    .await
}

/// Creates a quick reply (Settings > Quick replies).
pub async fn create(
    db: &Db,
    member: &Member,
    actor: &Actor,
    form: &QuickReplyForm,
) -> Result<QuickReply> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let (shortcut, body, channel_ids) = checked(&mut tx, member, form).await?;
    let kept: i64 = sqlx::query("SELECT COUNT(*) FROM quick_replies WHERE workspace_id = $1")
        .bind(&member.workspace_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if kept >= MAX_REPLIES {
        return Err(AppError::invalid_field(
            "shortcut",
            format!("A workspace keeps at most {MAX_REPLIES} quick replies; delete one first."),
        )
        .into());
    }
    let created = QuickReply {
        id: new_id("qr"),
        shortcut: shortcut.as_str().to_owned(),
        body,
        channel_ids,
    };
    let now = now_ms();
    sqlx::query(
        "INSERT INTO quick_replies (id, workspace_id, shortcut, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&created.id)
    .bind(&member.workspace_id)
    .bind(&created.shortcut)
    .bind(&created.body)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e.into()))?;
    set_channels(&mut tx, &created.id, &created.channel_ids).await?;
    audited(
        &mut tx,
        actor,
        member,
        "quick_reply.created",
        &created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a quick reply's shortcut, body or channels.
pub async fn update(
    db: &Db,
    member: &Member,
    actor: &Actor,
    id: &str,
    form: &QuickReplyForm,
) -> Result<QuickReply> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let before = find(&mut tx, &member.workspace_id, id).await?;
    let (shortcut, body, channel_ids) = checked(&mut tx, member, form).await?;
    let after = QuickReply {
        id: id.to_owned(),
        shortcut: shortcut.as_str().to_owned(),
        body,
        channel_ids,
    };
    sqlx::query("UPDATE quick_replies SET shortcut = $1, body = $2, updated_at = $3 WHERE id = $4")
        .bind(&after.shortcut)
        .bind(&after.body)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| taken(e.into()))?;
    set_channels(&mut tx, id, &after.channel_ids).await?;
    audited(
        &mut tx,
        actor,
        member,
        "quick_reply.updated",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a quick reply.
pub async fn delete(db: &Db, member: &Member, actor: &Actor, id: &str) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let before = find(&mut tx, &member.workspace_id, id).await?;
    // Scopes first: not every backend cascades within one statement the same way.
    set_channels(&mut tx, id, &[]).await?;
    sqlx::query("DELETE FROM quick_replies WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audited(
        &mut tx,
        actor,
        member,
        "quick_reply.deleted",
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
