//! The platform admin's cross-workspace view: every workspace, its members and usage, and
//! suspension. Only users marked platform admin from the command line reach it.

use crate::accounts::User;
use crate::audit::{self, Entry};
use crate::db::now_ms;
use crate::error::Result;
use crate::events::{EventBus, Pending};
use crate::{Actor, Db};
pub use msgbuddy_domain::views::WorkspaceUsage;
use msgbuddy_domain::{AppError, DomainEvent};
use sqlx::Row;

fn require_admin(user: &User) -> Result<()> {
    if user.is_platform_admin {
        Ok(())
    } else {
        Err(AppError::forbidden().into())
    }
}

pub async fn list_workspaces(db: &Db, user: &User) -> Result<Vec<WorkspaceUsage>> {
    require_admin(user)?;
    let rows = sqlx::query(
        "SELECT w.id, w.name, (SELECT COUNT(*) FROM memberships m WHERE m.workspace_id = w.id), \
                w.event_seq, w.created_at, w.suspended_at \
         FROM workspaces w ORDER BY w.created_at DESC LIMIT 500",
    )
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WorkspaceUsage {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                members: r.try_get(2)?,
                events: r.try_get(3)?,
                created_at_ms: r.try_get(4)?,
                suspended: r.try_get::<Option<i64>, _>(5)?.is_some(),
            })
        })
        .collect()
}

/// Suspends or reinstates a workspace. Members of a suspended workspace cannot use it.
pub async fn set_suspended(
    bus: &EventBus,
    user: &User,
    ip: Option<String>,
    workspace_id: &str,
    suspended: bool,
) -> Result<()> {
    require_admin(user)?;
    let mut tx = bus.db().begin_write().await?;
    let done = sqlx::query("UPDATE workspaces SET suspended_at = $1 WHERE id = $2")
        .bind(suspended.then(now_ms))
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found().into());
    }
    let actor = Actor {
        user_id: user.id.clone(),
        ip,
    };
    audit::record(
        &mut tx,
        &actor,
        Entry {
            workspace_id: Some(workspace_id),
            action: if suspended {
                "workspace.suspended"
            } else {
                "workspace.reinstated"
            },
            target_type: "workspace",
            target_id: Some(workspace_id),
            before: Some(serde_json::json!({ "suspended": !suspended })),
            after: Some(serde_json::json!({ "suspended": suspended })),
        },
    )
    .await?;
    let mut pending = Pending::default();
    bus.record(
        &mut tx,
        &mut pending,
        workspace_id,
        &DomainEvent::WorkspaceSuspended { suspended },
    )
    .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(())
}
