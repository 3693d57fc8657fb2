//! Whether a member is there to take conversations: the availability they choose (online,
//! away, offline) and whether a page of theirs is open now, which their event stream
//! tells by checking in every [`HEARTBEAT`]. Auto-assignment gives conversations only to
//! members who are online and connected. Stored in the database, so every server instance
//! sees every member's presence.
//!
//! Who is viewing or typing in a conversation right now is told to the others as it
//! happens ([`announce`]) and never stored.

use msgbuddy_core::db::now_ms;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Db, Result};
use msgbuddy_domain::Permission;
use msgbuddy_domain::assignment::Availability;
use msgbuddy_domain::event::{Activity, PresenceSignal};
use sqlx::Row;
use std::time::Duration;

/// How often an open event stream checks in for its member.
pub const HEARTBEAT: Duration = Duration::from_secs(30);
/// A member whose stream has not checked in for this long has no page open.
pub const CONNECTED_WITHIN_MS: i64 = 3 * HEARTBEAT.as_millis() as i64;

/// Records that `user_id` has a page of the workspace open now.
pub async fn seen(db: &Db, workspace_id: &str, user_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO member_presence (workspace_id, user_id, last_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The member's own availability.
pub async fn availability(db: &Db, member: &Member) -> Result<Availability> {
    let row = sqlx::query(
        "SELECT availability FROM member_presence WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(&member.workspace_id)
    .bind(&member.user_id)
    .fetch_optional(db.reader())
    .await?;
    Ok(match row {
        Some(row) => Availability::parse(&row.try_get::<String, _>(0)?).unwrap_or_default(),
        None => Availability::default(),
    })
}

/// Sets the member's own availability (members who may reply; the others take none).
pub async fn set_availability(db: &Db, member: &Member, to: Availability) -> Result<()> {
    member.require(Permission::ConversationsReply)?;
    sqlx::query(
        "INSERT INTO member_presence (workspace_id, user_id, availability) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET availability = excluded.availability",
    )
    .bind(&member.workspace_id)
    .bind(&member.user_id)
    .bind(to.as_str())
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Tells the others in the workspace that `member` is viewing, typing in or has left
/// conversation `id`, which they must be able to see (else 404, as if it did not exist).
pub async fn announce(
    m: &msgbuddy_messaging::Messaging,
    member: &Member,
    conversation_id: &str,
    activity: Activity,
) -> Result<()> {
    member.require(if activity == Activity::Typing {
        Permission::ConversationsReply
    } else {
        Permission::ConversationsView
    })?;
    crate::access::conversation(m, member, conversation_id).await?;
    let mut conn = m.db().reader().acquire().await?;
    let name = crate::access::user_name(&mut conn, &member.user_id).await?;
    drop(conn);
    m.bus
        .signal(&PresenceSignal {
            workspace_id: member.workspace_id.clone(),
            conversation_id: conversation_id.to_owned(),
            user_id: member.user_id.clone(),
            name,
            activity,
        })
        .await
}
