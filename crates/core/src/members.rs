//! A workspace's members: listing them, changing roles, removing them.

use crate::audit::{self, Entry};
use crate::error::{Error, Result};
use crate::events::{EventBus, Pending};
use crate::workspaces::Member;
use crate::{Actor, Db};
pub use msgbuddy_domain::views::MemberInfo;
use msgbuddy_domain::{AppError, DomainEvent, Permission, Role};
use sqlx::{AnyConnection, Row};

pub async fn list(db: &Db, member: &Member) -> Result<Vec<MemberInfo>> {
    member.require(Permission::MembersView)?;
    let rows = sqlx::query(
        "SELECT u.id, u.email, u.name, m.role, m.joined_at FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 ORDER BY m.joined_at, u.email",
    )
    .bind(&member.workspace_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberInfo {
                user_id: r.try_get(0)?,
                email: r.try_get(1)?,
                name: r.try_get(2)?,
                role: crate::db::role_at(r, 3)?,
                joined_at_ms: r.try_get(4)?,
            })
        })
        .collect()
}

/// The last workspace event before `user_id` joined; their live stream starts after it.
pub async fn joined_seq(db: &Db, member: &Member) -> Result<i64> {
    let row =
        sqlx::query("SELECT joined_seq FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(&member.workspace_id)
            .bind(&member.user_id)
            .fetch_optional(db.reader())
            .await?
            .ok_or_else(|| Error::App(AppError::not_found()))?;
    Ok(row.try_get(0)?)
}

/// The target's current role, read inside the transaction that changes it.
async fn role_of(conn: &mut AnyConnection, workspace_id: &str, user_id: &str) -> Result<Role> {
    let row = sqlx::query("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::App(AppError::not_found()))?;
    crate::db::role_at(&row, 0)
}

async fn owner_count(conn: &mut AnyConnection, workspace_id: &str) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'")
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

/// Takes the workspace row's lock for the rest of the transaction, so two admins demoting
/// the last two owners at once cannot both pass the owner count (PostgreSQL; SQLite has a
/// single writer anyway).
async fn lock_workspace(conn: &mut AnyConnection, workspace_id: &str) -> Result<()> {
    sqlx::query("UPDATE workspaces SET id = id WHERE id = $1")
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn last_owner() -> Error {
    AppError::conflict("A workspace needs at least one owner. Make someone else owner first.")
        .into()
}

pub async fn change_role(
    bus: &EventBus,
    member: &Member,
    actor: &Actor,
    user_id: &str,
    to: Role,
) -> Result<()> {
    member.require(Permission::MembersManage)?;
    let mut tx = bus.db().begin_write().await?;
    lock_workspace(&mut tx, &member.workspace_id).await?;
    let from = role_of(&mut tx, &member.workspace_id, user_id).await?;
    if from == to {
        return Ok(());
    }
    if !member.role.can_assign(from) || !member.role.can_assign(to) {
        return Err(AppError::forbidden().into());
    }
    if from == Role::Owner && owner_count(&mut tx, &member.workspace_id).await? <= 1 {
        return Err(last_owner());
    }
    sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
        .bind(to.as_str())
        .bind(&member.workspace_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "member.role_changed",
            target_type: "user",
            target_id: Some(user_id),
            before: Some(serde_json::json!({ "role": from })),
            after: Some(serde_json::json!({ "role": to })),
        },
    )
    .await?;
    let mut pending = Pending::default();
    let event = DomainEvent::RoleChanged {
        user_id: user_id.to_owned(),
        from,
        to,
    };
    bus.record(&mut tx, &mut pending, &member.workspace_id, &event)
        .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(())
}

pub async fn remove(bus: &EventBus, member: &Member, actor: &Actor, user_id: &str) -> Result<()> {
    member.require(Permission::MembersManage)?;
    let mut tx = bus.db().begin_write().await?;
    lock_workspace(&mut tx, &member.workspace_id).await?;
    let role = role_of(&mut tx, &member.workspace_id, user_id).await?;
    if !member.role.can_assign(role) {
        return Err(AppError::forbidden().into());
    }
    if role == Role::Owner && owner_count(&mut tx, &member.workspace_id).await? <= 1 {
        return Err(last_owner());
    }
    sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(&member.workspace_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "member.removed",
            target_type: "user",
            target_id: Some(user_id),
            before: Some(serde_json::json!({ "role": role })),
            after: None,
        },
    )
    .await?;
    let mut pending = Pending::default();
    let event = DomainEvent::MemberRemoved {
        user_id: user_id.to_owned(),
    };
    bus.record(&mut tx, &mut pending, &member.workspace_id, &event)
        .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(())
}
