//! The audit log: who changed what, when, from where, and the state before and after.
//! Later modules record their actions through [`record`] too.

use crate::Actor;
use crate::db::{Db, new_id, now_ms};
use crate::error::Result;
pub use msgbuddy_domain::views::{AuditFilter, AuditRecord};
use sqlx::{AnyConnection, Row};

/// One change to record.
pub struct Entry<'a> {
    pub workspace_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record(conn: &mut AnyConnection, actor: &Actor, entry: Entry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, workspace_id, actor_user_id, action, target_type, target_id, ip, before_state, after_state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id("aud"))
    .bind(entry.workspace_id)
    // No user (the system, or an API key whose maker has left) is recorded as no one.
    .bind((!actor.user_id.is_empty()).then_some(actor.user_id.as_str()))
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(actor.ip.as_deref())
    .bind(entry.before.map(|v| v.to_string()))
    .bind(entry.after.map(|v| v.to_string()))
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest entries of a workspace first. The caller has checked the permission.
pub async fn list(db: &Db, workspace_id: &str, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
    let action_prefix = filter
        .action
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let actor = filter
        .actor_email
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let rows = sqlx::query(
        "SELECT a.id, a.created_at, u.email, a.action, a.target_type, a.target_id, a.ip, a.before_state, a.after_state \
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id \
         WHERE a.workspace_id = $1 \
           AND ($2 IS NULL OR substr(a.action, 1, length($2)) = $2) \
           AND ($3 IS NULL OR u.email = $3) \
           AND ($4 IS NULL OR a.created_at < $4) \
         ORDER BY a.created_at DESC, a.id DESC LIMIT $5",
    )
    .bind(workspace_id)
    .bind(action_prefix)
    .bind(actor)
    .bind(filter.before_ms)
    .bind(filter.limit.unwrap_or(100).clamp(1, 500))
    .fetch_all(db.reader())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(AuditRecord {
                id: r.try_get(0)?,
                at_ms: r.try_get(1)?,
                actor_email: r.try_get(2)?,
                action: r.try_get(3)?,
                target_type: r.try_get(4)?,
                target_id: r.try_get(5)?,
                ip: r.try_get(6)?,
                before: r.try_get(7)?,
                after: r.try_get(8)?,
            })
        })
        .collect()
}
