//! Workspaces, the tenant boundary: creating them, listing a user's, checking a member's
//! access, and their settings.

use crate::Actor;
use crate::audit::{self, Entry};
use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result};
use crate::events::{EventBus, Pending};
use msgbuddy_domain::values::{BusinessHours, WorkspaceName, WorkspaceSettings};
pub use msgbuddy_domain::views::WorkspaceSummary;
use msgbuddy_domain::{AppError, DomainEvent, Permission, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// A user's membership of one workspace, proven by [`access`]. Every tenant-scoped service
/// takes one, so it cannot be called for a workspace the user is not in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub workspace_id: String,
    pub user_id: String,
    pub role: Role,
    /// Acting on the workspace's test-mode data, as an `ak_test_` API key does. Members in
    /// the browser always act on live data.
    #[serde(default)]
    pub test_mode: bool,
}

impl Member {
    /// `is_test` as the tables keep it.
    pub fn test_flag(&self) -> i64 {
        i64::from(self.test_mode)
    }
}

impl Member {
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(AppError::forbidden().into())
        }
    }
}

/// Checks that `user_id` belongs to `workspace_id` and may do `permission` there.
///
/// Not a member (or no such workspace) is `NotFound`, so ids of other tenants' workspaces
/// are indistinguishable from ids that do not exist.
pub async fn access(
    db: &Db,
    user_id: &str,
    workspace_id: &str,
    permission: Permission,
) -> Result<Member> {
    let row = sqlx::query(
        "SELECT m.role, w.suspended_at FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.workspace_id = $1 AND m.user_id = $2",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(db.reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let suspended: Option<i64> = row.try_get(1)?;
    if suspended.is_some() {
        return Err(AppError::forbidden()
            .with_details(serde_json::json!({"reason": "workspace_suspended"}))
            .into());
    }
    let member = Member {
        workspace_id: workspace_id.to_owned(),
        user_id: user_id.to_owned(),
        role: crate::db::role_at(&row, 0)?,
        test_mode: false,
    };
    member.require(permission)?;
    Ok(member)
}

pub async fn list_for_user(db: &Db, user_id: &str) -> Result<Vec<WorkspaceSummary>> {
    let rows = sqlx::query(
        "SELECT w.id, w.name, m.role, w.suspended_at FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.user_id = $1 ORDER BY w.name, w.id",
    )
    .bind(user_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WorkspaceSummary {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                role: crate::db::role_at(r, 2)?,
                suspended: r.try_get::<Option<i64>, _>(3)?.is_some(),
            })
        })
        .collect()
}

/// Creates a workspace with default settings and makes `actor` its owner.
pub async fn create(
    bus: &EventBus,
    actor: &Actor,
    name: &WorkspaceName,
) -> Result<WorkspaceSummary> {
    let id = new_id("ws");
    let now = now_ms();
    let hours = serde_json::to_string(&BusinessHours::default())
        .map_err(|e| Error::internal(e.to_string()))?;
    let mut tx = bus.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO workspaces (id, name, time_zone, default_language, business_hours, event_seq, created_by, created_at) \
         VALUES ($1, $2, 'UTC', 'en', $3, 0, $4, $5)",
    )
    .bind(&id)
    .bind(name.as_str())
    .bind(hours)
    .bind(&actor.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO memberships (workspace_id, user_id, role, joined_at) VALUES ($1, $2, 'owner', $3)")
        .bind(&id)
        .bind(&actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&id),
            action: "workspace.created",
            target_type: "workspace",
            target_id: Some(&id),
            before: None,
            after: Some(serde_json::json!({ "name": name.as_str() })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(WorkspaceSummary {
        id,
        name: name.as_str().to_owned(),
        role: Role::Owner,
        suspended: false,
    })
}

pub async fn settings(db: &Db, member: &Member) -> Result<WorkspaceSettings> {
    let row = sqlx::query(
        "SELECT name, time_zone, default_language, business_hours FROM workspaces WHERE id = $1",
    )
    .bind(&member.workspace_id)
    .fetch_optional(db.reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let hours: String = row.try_get(3)?;
    Ok(WorkspaceSettings {
        name: row.try_get(0)?,
        time_zone: row.try_get(1)?,
        default_language: row.try_get(2)?,
        // Settings written by this code always parse; fall back rather than lock an admin
        // out of the settings page if a row was edited by hand.
        business_hours: serde_json::from_str(&hours).unwrap_or_default(),
    })
}

/// Saves validated settings, with an audit entry and a `workspace.settings_changed` event.
pub async fn update_settings(
    bus: &EventBus,
    member: &Member,
    actor: &Actor,
    new: &WorkspaceSettings,
) -> Result<WorkspaceSettings> {
    member.require(Permission::SettingsEdit)?;
    let before = settings(bus.db(), member).await?;
    if &before == new {
        return Ok(before);
    }
    let hours =
        serde_json::to_string(&new.business_hours).map_err(|e| Error::internal(e.to_string()))?;
    let mut tx = bus.db().begin_write().await?;
    let mut pending = Pending::default();
    sqlx::query(
        "UPDATE workspaces SET name = $1, time_zone = $2, default_language = $3, business_hours = $4 WHERE id = $5",
    )
    .bind(&new.name)
    .bind(&new.time_zone)
    .bind(&new.default_language)
    .bind(hours)
    .bind(&member.workspace_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "workspace.settings_changed",
            target_type: "workspace",
            target_id: Some(&member.workspace_id),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(new).ok(),
        },
    )
    .await?;
    bus.record(
        &mut tx,
        &mut pending,
        &member.workspace_id,
        &DomainEvent::WorkspaceSettingsChanged {
            name: new.name.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(new.clone())
}
