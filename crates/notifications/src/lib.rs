//! Notifications: what a member is told about (a conversation assigned to them, an
//! @mention in a private note, a customer writing in their conversation, a channel that
//! stopped working), each stored for that member and raised live as a
//! `notification.created` event that only they receive, and pushed to their browsers
//! ([`push`]), as their [`preferences`] say. The modules that notify call [`notify`]
//! inside their own transaction, so a notification exists exactly when what it tells of
//! does.
#![forbid(unsafe_code)]

pub mod preferences;
pub mod push;

use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::events::{EventBus, Pending};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Db, Error, Result};
use msgbuddy_domain::notification::{Notification, NotificationKind, NotificationList};
use msgbuddy_domain::{AppError, DomainEvent};
use sqlx::{AnyConnection, Row};

/// Notifications a list shows, at most.
const PAGE: i64 = 50;
/// How long a notification's words are, at most.
const MAX_BODY_CHARS: usize = 200;

/// What to tell one member.
pub struct Notice<'a> {
    pub workspace_id: &'a str,
    pub user_id: &'a str,
    pub kind: NotificationKind,
    pub conversation_id: Option<&'a str>,
    pub body: &'a str,
}

/// Stores a notification and its event in the caller's transaction, and a push for each
/// of the member's browsers, as far as the member's preferences for its kind want them.
/// Returns the in-app notification, if they want one.
pub async fn notify(
    bus: &EventBus,
    conn: &mut AnyConnection,
    pending: &mut Pending,
    notice: Notice<'_>,
) -> Result<Option<Notification>> {
    let (workspace_id, user_id) = (notice.workspace_id, notice.user_id);
    let Some(notification) = store(conn, notice).await? else {
        return Ok(None);
    };
    bus.record(
        conn,
        pending,
        workspace_id,
        &created(user_id, &notification),
    )
    .await?;
    Ok(Some(notification))
}

/// The `notification.created` event of `notification`, for `user_id` alone.
pub fn created(user_id: &str, notification: &Notification) -> DomainEvent {
    DomainEvent::NotificationCreated {
        user_id: user_id.to_owned(),
        notification: Box::new(notification.clone()),
    }
}

/// What [`notify`] stores, for callers that raise the event with their own batch of
/// events ([`created`]).
pub async fn store(conn: &mut AnyConnection, notice: Notice<'_>) -> Result<Option<Notification>> {
    let wants = preferences::of(conn, notice.workspace_id, notice.user_id, notice.kind).await?;
    let notification = Notification {
        id: new_id("ntf"),
        kind: notice.kind,
        conversation_id: notice.conversation_id.map(str::to_owned),
        body: shortened(notice.body),
        created_at_ms: now_ms(),
        read: false,
    };
    if wants.push {
        let url = match notice.conversation_id {
            Some(c) => format!("/w/{}/conversations/{c}", notice.workspace_id),
            None => format!("/w/{}/notifications", notice.workspace_id),
        };
        push::enqueue(
            conn,
            notice.user_id,
            &push::PushPayload {
                title: "msgbuddy".to_owned(),
                body: notification.body.clone(),
                url,
                tag: notification.id.clone(),
            },
        )
        .await?;
    }
    if !wants.in_app {
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO notifications (id, workspace_id, user_id, kind, conversation_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&notification.id)
    .bind(notice.workspace_id)
    .bind(notice.user_id)
    .bind(notification.kind.as_str())
    .bind(notification.conversation_id.as_deref())
    .bind(&notification.body)
    .bind(notification.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(Some(notification))
}

/// `body` cut at a character boundary, with an ellipsis when it was longer.
fn shortened(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(MAX_BODY_CHARS) {
        Some((cut, _)) => format!("{}…", body[..cut].trim_end()),
        None => body.to_owned(),
    }
}

/// How many of the member's notifications are unread.
pub async fn unread(db: &Db, member: &Member) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM notifications WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL",
    )
    .bind(&member.workspace_id)
    .bind(&member.user_id)
    .fetch_one(db.reader())
    .await?;
    Ok(row.try_get(0)?)
}

/// The member's newest notifications and their unread count.
pub async fn list(db: &Db, member: &Member) -> Result<NotificationList> {
    let rows = sqlx::query(
        "SELECT id, kind, conversation_id, body, created_at, read_at FROM notifications \
         WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(&member.workspace_id)
    .bind(&member.user_id)
    .bind(PAGE)
    .fetch_all(db.reader())
    .await?;
    let notifications = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get(1)?;
            Ok(Notification {
                id: r.try_get(0)?,
                kind: NotificationKind::parse(&kind).ok_or_else(|| {
                    Error::internal(format!("unknown notification kind `{kind}`"))
                })?,
                conversation_id: r.try_get(2)?,
                body: r.try_get(3)?,
                created_at_ms: r.try_get(4)?,
                read: r.try_get::<Option<i64>, _>(5)?.is_some(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(NotificationList {
        notifications,
        unread: unread(db, member).await?,
    })
}

/// Marks one of the member's notifications read (`Some(id)`), or all of them (`None`).
/// Another member's notification is not found.
pub async fn mark_read(db: &Db, member: &Member, id: Option<&str>) -> Result<()> {
    let now = now_ms();
    match id {
        Some(id) => {
            let found = sqlx::query(
                "UPDATE notifications SET read_at = COALESCE(read_at, $1) \
                 WHERE id = $2 AND workspace_id = $3 AND user_id = $4",
            )
            .bind(now)
            .bind(id)
            .bind(&member.workspace_id)
            .bind(&member.user_id)
            .execute(db.writer())
            .await?
            .rows_affected();
            if found == 0 {
                return Err(AppError::not_found().into());
            }
        }
        None => {
            sqlx::query(
                "UPDATE notifications SET read_at = $1 \
                 WHERE workspace_id = $2 AND user_id = $3 AND read_at IS NULL",
            )
            .bind(now)
            .bind(&member.workspace_id)
            .bind(&member.user_id)
            .execute(db.writer())
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_are_cut_at_a_character_boundary() {
        assert_eq!(shortened("  Short note "), "Short note");
        let long = "é".repeat(MAX_BODY_CHARS + 10);
        let cut = shortened(&long);
        assert_eq!(cut.chars().count(), MAX_BODY_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(shortened(&"a".repeat(MAX_BODY_CHARS)).len(), MAX_BODY_CHARS);
    }
}
