//! Groups: hand-picked lists of contacts (a campaign's guest list, say), unlike segments,
//! which are worked out from conditions whenever they are used. Anyone who may edit
//! contacts may make groups and fill them; making and removing one is audited.

use crate::list;
use crate::sql::Sql;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::contact::{ContactFilter, Group};
use msgbuddy_domain::values::LabelName;
use msgbuddy_domain::{AppError, Permission};
use sqlx::{AnyConnection, Row};

/// The most groups a workspace keeps.
pub const MAX_GROUPS: i64 = 500;
/// The most contacts one call adds or removes.
pub const MAX_CONTACTS_PER_CALL: usize = 1_000;

/// The workspace's groups by name, each with how many of the member's (live or test-mode)
/// contacts it holds.
pub async fn list(db: &Db, member: &Member) -> Result<Vec<Group>> {
    member.require(Permission::ContactsView)?;
    let rows = sqlx::query(
        "SELECT g.id, g.name, (SELECT COUNT(*) FROM contact_group_members m JOIN contacts c ON c.id = m.contact_id \
           WHERE m.group_id = g.id AND c.is_test = $2 AND c.deleted_at IS NULL) \
         FROM contact_groups g WHERE g.workspace_id = $1 ORDER BY lower(g.name), g.id",
    )
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Group {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                contacts: r.try_get(2)?,
            })
        })
        .collect()
}

/// One group of the workspace.
pub async fn get(db: &Db, member: &Member, id: &str) -> Result<Group> {
    list(db, member)
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| Error::App(AppError::not_found()))
}

/// Makes an empty group; it.
pub async fn create(db: &Db, actor: &Actor, member: &Member, name: &str) -> Result<Group> {
    member.require(Permission::ContactsEdit)?;
    let name = LabelName::parse(name)?;
    let mut tx = db.begin_write().await?;
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM contact_groups WHERE workspace_id = $1")
        .bind(&member.workspace_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if count >= MAX_GROUPS {
        return Err(
            AppError::conflict(format!("A workspace keeps at most {MAX_GROUPS} groups.")).into(),
        );
    }
    let group = Group {
        id: new_id("grp"),
        name: name.as_str().to_owned(),
        contacts: 0,
    };
    sqlx::query(
        "INSERT INTO contact_groups (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&group.id)
    .bind(&member.workspace_id)
    .bind(&group.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        let e = Error::from(e);
        if e.is_unique_violation("contact_groups_name_key", "name") {
            AppError::invalid_field("name", "There is already a group with this name.").into()
        } else {
            e
        }
    })?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "group.create",
            target_type: "contact_group",
            target_id: Some(&group.id),
            before: None,
            after: Some(serde_json::json!({ "name": group.name })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(group)
}

/// Removes a group; its contacts stay.
pub async fn delete(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    member.require(Permission::ContactsEdit)?;
    let mut tx = db.begin_write().await?;
    let name: String =
        sqlx::query("SELECT name FROM contact_groups WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(&member.workspace_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::App(AppError::not_found()))?
            .try_get(0)?;
    sqlx::query("DELETE FROM contact_groups WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "group.delete",
            target_type: "contact_group",
            target_id: Some(id),
            before: Some(serde_json::json!({ "name": name })),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn check_group(conn: &mut AnyConnection, member: &Member, id: &str) -> Result<()> {
    sqlx::query("SELECT 1 FROM contact_groups WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(&member.workspace_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            Error::App(AppError::invalid_field(
                "group",
                "There is no such group in this workspace.",
            ))
        })?;
    Ok(())
}

fn check_count(contact_ids: &[String]) -> Result<()> {
    if contact_ids.len() > MAX_CONTACTS_PER_CALL {
        return Err(AppError::invalid_field(
            "contact_ids",
            format!("Add or remove at most {MAX_CONTACTS_PER_CALL} contacts at a time."),
        )
        .into());
    }
    Ok(())
}

/// Puts contacts of the member's workspace and mode in the group; how many were not in it
/// already. Ids of no such contact change nothing.
pub async fn add(db: &Db, member: &Member, group_id: &str, contact_ids: &[String]) -> Result<u64> {
    member.require(Permission::ContactsEdit)?;
    check_count(contact_ids)?;
    let mut tx = db.begin_write().await?;
    check_group(&mut tx, member, group_id).await?;
    let now = now_ms();
    let mut added = 0;
    for id in contact_ids {
        added += sqlx::query(
            "INSERT INTO contact_group_members (group_id, contact_id, added_at) \
             SELECT $1, id, $2 FROM contacts WHERE id = $3 AND workspace_id = $4 AND is_test = $5 \
               AND deleted_at IS NULL \
             ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(now)
        .bind(id)
        .bind(&member.workspace_id)
        .bind(member.test_flag())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(added)
}

/// Takes contacts of the member's workspace and mode out of the group; how many were in it.
pub async fn remove(
    db: &Db,
    member: &Member,
    group_id: &str,
    contact_ids: &[String],
) -> Result<u64> {
    member.require(Permission::ContactsEdit)?;
    check_count(contact_ids)?;
    let mut tx = db.begin_write().await?;
    check_group(&mut tx, member, group_id).await?;
    let mut removed = 0;
    for id in contact_ids {
        removed += sqlx::query(
            "DELETE FROM contact_group_members WHERE group_id = $1 AND contact_id = \
             (SELECT id FROM contacts WHERE id = $2 AND workspace_id = $3 AND is_test = $4)",
        )
        .bind(group_id)
        .bind(id)
        .bind(&member.workspace_id)
        .bind(member.test_flag())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(removed)
}

/// Puts every contact matching `filter` in the group (or takes them out): all the
/// results, not only the page shown. How many changed.
pub async fn apply_to_filter(
    db: &Db,
    member: &Member,
    group_id: &str,
    filter: &ContactFilter,
    add: bool,
) -> Result<u64> {
    member.require(Permission::ContactsEdit)?;
    let mut tx = db.begin_write().await?;
    check_group(&mut tx, member, group_id).await?;
    let matching = list::where_sql(&mut tx, member, filter).await?;
    let sql = if add {
        let mut sql =
            Sql::new("INSERT INTO contact_group_members (group_id, contact_id, added_at) SELECT ");
        sql.bind_text(group_id)
            .push(", c.id, ")
            .bind_int(now_ms())
            .push(" FROM contacts c WHERE ")
            .append(matching)
            .push(" ON CONFLICT DO NOTHING");
        sql
    } else {
        let mut sql = Sql::new("DELETE FROM contact_group_members WHERE group_id = ");
        sql.bind_text(group_id)
            .push(" AND contact_id IN (SELECT c.id FROM contacts c WHERE ")
            .append(matching)
            .push(")");
        sql
    };
    let changed = sql.query().execute(&mut *tx).await?.rows_affected();
    tx.commit().await?;
    Ok(changed)
}
