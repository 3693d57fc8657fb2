//! What the pipeline tells members: a customer wrote in a conversation assigned to them,
//! and (to the workspace's owners and admins) a channel stopped working because its
//! provider refused the credentials. Stored in the caller's transaction; the caller
//! raises the events with the rest of its batch.

use msgbuddy_core::Result;
use msgbuddy_domain::DomainEvent;
use msgbuddy_domain::notification::NotificationKind;
use msgbuddy_notifications::{Notice, created, store};
use sqlx::{AnyConnection, Row};

/// Tells the conversation's assignee, if it has one, that `contact_name` wrote.
pub(crate) async fn customer_wrote(
    conn: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    contact_name: &str,
    preview: &str,
) -> Result<Option<DomainEvent>> {
    let assignee: Option<String> =
        sqlx::query("SELECT assignee_id FROM conversations WHERE id = $1")
            .bind(conversation_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .flatten();
    let Some(user_id) = assignee else {
        return Ok(None);
    };
    let body = format!("{contact_name} wrote: {preview}");
    let stored = store(
        conn,
        Notice {
            workspace_id,
            user_id: &user_id,
            kind: NotificationKind::NewMessage,
            conversation_id: Some(conversation_id),
            body: &body,
        },
    )
    .await?;
    Ok(stored.map(|n| created(&user_id, &n)))
}

/// Tells the workspace's owners and admins that channel `channel_id` stopped working.
pub(crate) async fn channel_invalid(
    conn: &mut AnyConnection,
    workspace_id: &str,
    channel_id: &str,
    reason: &str,
) -> Result<Vec<DomainEvent>> {
    let name: String = sqlx::query("SELECT name FROM channel_accounts WHERE id = $1")
        .bind(channel_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or_default();
    let admins: Vec<String> = sqlx::query(
        "SELECT user_id FROM memberships WHERE workspace_id = $1 AND role IN ('owner', 'admin')",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    let body = format!("The channel {name} stopped working: {reason}");
    let mut events = Vec::new();
    for user_id in admins {
        let notice = Notice {
            workspace_id,
            user_id: &user_id,
            kind: NotificationKind::ChannelInvalid,
            conversation_id: None,
            body: &body,
        };
        if let Some(n) = store(conn, notice).await? {
            events.push(created(&user_id, &n));
        }
    }
    Ok(events)
}
