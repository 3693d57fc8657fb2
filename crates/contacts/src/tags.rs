//! Tags: a name (unique in the workspace whatever its case) and a colour, worn by any
//! number of contacts. Anyone who may edit contacts may tag them; making and removing
//! tags is a settings change (audited).

use crate::list;
use crate::sql::Sql;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms, placeholders};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::contact::{ContactFilter, Tag};
use msgbuddy_domain::values::{Colour, LabelName};
use msgbuddy_domain::{AppError, Permission};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The most tags a workspace keeps.
pub const MAX_TAGS: i64 = 500;

fn read(row: &sqlx::any::AnyRow) -> Result<Tag> {
    Ok(Tag {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        colour: row.try_get(2)?,
    })
}

/// The workspace's tags by name.
pub async fn list(db: &Db, member: &Member) -> Result<Vec<Tag>> {
    member.require(Permission::ContactsView)?;
    let rows = sqlx::query(
        "SELECT id, name, colour FROM tags WHERE workspace_id = $1 ORDER BY lower(name), id",
    )
    .bind(&member.workspace_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(read).collect()
}

/// Makes a tag; it.
pub async fn create(
    db: &Db,
    actor: &Actor,
    member: &Member,
    name: &str,
    colour: &str,
) -> Result<Tag> {
    member.require(Permission::SettingsEdit)?;
    let name = LabelName::parse(name)?;
    let colour = Colour::parse(colour)?;
    let mut tx = db.begin_write().await?;
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM tags WHERE workspace_id = $1")
        .bind(&member.workspace_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if count >= MAX_TAGS {
        return Err(
            AppError::conflict(format!("A workspace keeps at most {MAX_TAGS} tags.")).into(),
        );
    }
    let tag = Tag {
        id: new_id("tag"),
        name: name.as_str().to_owned(),
        colour: colour.as_str().to_owned(),
    };
    sqlx::query(
        "INSERT INTO tags (id, workspace_id, name, colour, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&tag.id)
    .bind(&member.workspace_id)
    .bind(&tag.name)
    .bind(&tag.colour)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        let e = Error::from(e);
        if e.is_unique_violation("tags_name_key", "name") {
            AppError::invalid_field("name", "There is already a tag with this name.").into()
        } else {
            e
        }
    })?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "tag.create",
            target_type: "tag",
            target_id: Some(&tag.id),
            before: None,
            after: Some(serde_json::json!({ "name": tag.name, "colour": tag.colour })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(tag)
}

/// Removes a tag from the workspace and from every contact.
pub async fn delete(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT id, name, colour FROM tags WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(&member.workspace_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::App(AppError::not_found()))?;
    let tag = read(&row)?;
    sqlx::query("DELETE FROM tags WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "tag.delete",
            target_type: "tag",
            target_id: Some(id),
            before: Some(serde_json::json!({ "name": tag.name, "colour": tag.colour })),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses ids that are not tags of the workspace.
pub async fn check_ids(conn: &mut AnyConnection, workspace_id: &str, ids: &[String]) -> Result<()> {
    for id in ids {
        let found = sqlx::query("SELECT 1 FROM tags WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(workspace_id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(
                AppError::invalid_field("tags", "There is no such tag in this workspace.").into(),
            );
        }
    }
    Ok(())
}

/// Makes the contact's tags exactly `ids` (checked by [`check_ids`]).
pub async fn set_on(conn: &mut AnyConnection, contact_id: &str, ids: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1")
        .bind(contact_id)
        .execute(&mut *conn)
        .await?;
    let now = now_ms();
    for id in ids {
        sqlx::query("INSERT INTO contact_tags (contact_id, tag_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(contact_id)
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The contact's tags by name.
pub async fn of(conn: &mut AnyConnection, contact_id: &str) -> Result<Vec<Tag>> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, t.colour FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
         WHERE ct.contact_id = $1 ORDER BY lower(t.name), t.id",
    )
    .bind(contact_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(read).collect()
}

/// The tags of many contacts at once (a page of the list), by contact id.
pub async fn of_many(
    conn: &mut AnyConnection,
    contact_ids: &[String],
) -> Result<HashMap<String, Vec<Tag>>> {
    let mut out: HashMap<String, Vec<Tag>> = HashMap::new();
    if contact_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT ct.contact_id, t.id, t.name, t.colour FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
         WHERE ct.contact_id IN {} ORDER BY lower(t.name), t.id",
        placeholders(1, contact_ids.len(), 1)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in contact_ids {
        query = query.bind(id);
    }
    for row in query.fetch_all(conn).await? {
        out.entry(row.try_get(0)?).or_default().push(Tag {
            id: row.try_get(1)?,
            name: row.try_get(2)?,
            colour: row.try_get(3)?,
        });
    }
    Ok(out)
}

/// Adds (or removes) a tag on many contacts of the workspace; how many changed.
pub async fn apply_to_many(
    db: &Db,
    member: &Member,
    tag_id: &str,
    contact_ids: &[String],
    add: bool,
) -> Result<u64> {
    member.require(Permission::ContactsEdit)?;
    let mut tx = db.begin_write().await?;
    check_ids(&mut tx, &member.workspace_id, &[tag_id.to_owned()]).await?;
    let now = now_ms();
    let mut changed = 0;
    for id in contact_ids {
        let done = if add {
            sqlx::query(
                "INSERT INTO contact_tags (contact_id, tag_id, added_at) \
                 SELECT id, $1, $2 FROM contacts WHERE id = $3 AND workspace_id = $4 AND is_test = $5 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(tag_id)
            .bind(now)
            .bind(id)
            .bind(&member.workspace_id)
            .bind(member.test_flag())
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "DELETE FROM contact_tags WHERE tag_id = $1 AND contact_id = \
                 (SELECT id FROM contacts WHERE id = $2 AND workspace_id = $3 AND is_test = $4)",
            )
            .bind(tag_id)
            .bind(id)
            .bind(&member.workspace_id)
            .bind(member.test_flag())
            .execute(&mut *tx)
            .await?
        };
        changed += done.rows_affected();
    }
    tx.commit().await?;
    Ok(changed)
}

/// Adds (or removes) a tag on every contact matching `filter`: all the results, not only
/// the page shown. How many changed.
pub async fn apply_to_filter(
    db: &Db,
    member: &Member,
    tag_id: &str,
    filter: &ContactFilter,
    add: bool,
) -> Result<u64> {
    member.require(Permission::ContactsEdit)?;
    let mut tx = db.begin_write().await?;
    check_ids(&mut tx, &member.workspace_id, &[tag_id.to_owned()]).await?;
    let matching = list::where_sql(&mut tx, member, filter).await?;
    let sql = if add {
        let mut sql =
            Sql::new("INSERT INTO contact_tags (contact_id, tag_id, added_at) SELECT c.id, ");
        sql.bind_text(tag_id)
            .push(", ")
            .bind_int(now_ms())
            .push(" FROM contacts c WHERE ")
            .append(matching)
            .push(" ON CONFLICT DO NOTHING");
        sql
    } else {
        let mut sql = Sql::new("DELETE FROM contact_tags WHERE tag_id = ");
        sql.bind_text(tag_id)
            .push(" AND contact_id IN (SELECT c.id FROM contacts c WHERE ")
            .append(matching)
            .push(")");
        sql
    };
    let changed = sql.query().execute(&mut *tx).await?.rows_affected();
    tx.commit().await?;
    Ok(changed)
}
