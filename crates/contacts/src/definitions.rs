//! Custom field definitions, kept per workspace and scope; managed in Settings by those
//! who may edit settings (each change audited). What a value must be is
//! [`crate::fields`]'s to say.

use crate::fields::{DefinitionInput, check_definition};
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::custom_field::{FieldDefinition, FieldKind, FieldScope, MAX_FIELDS_PER_SCOPE};
use msgbuddy_domain::{AppError, Permission};
use sqlx::{AnyConnection, Row};

const COLUMNS: &str =
    "id, scope, key, label, kind, required, default_value, options, min_value, max_value";

fn read(row: &sqlx::any::AnyRow) -> Result<FieldDefinition> {
    let scope: String = row.try_get(1)?;
    let kind: String = row.try_get(4)?;
    let options: String = row.try_get(7)?;
    Ok(FieldDefinition {
        id: row.try_get(0)?,
        scope: FieldScope::parse(&scope)
            .ok_or_else(|| Error::internal(format!("unknown field scope `{scope}`")))?,
        key: row.try_get(2)?,
        label: row.try_get(3)?,
        kind: FieldKind::parse(&kind)
            .ok_or_else(|| Error::internal(format!("unknown field kind `{kind}`")))?,
        required: row.try_get::<i64, _>(5)? != 0,
        default_value: row.try_get(6)?,
        options: serde_json::from_str(&options).unwrap_or_default(),
        min: row.try_get(8)?,
        max: row.try_get(9)?,
    })
}

/// The workspace's fields of `scope`, in the order they were made.
pub async fn load(
    conn: &mut AnyConnection,
    workspace_id: &str,
    scope: FieldScope,
) -> Result<Vec<FieldDefinition>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM custom_fields WHERE workspace_id = $1 AND scope = $2 ORDER BY position, id"
    )))
    .bind(workspace_id)
    .bind(scope.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(read).collect()
}

/// The fields of `scope`, for anyone who may see contacts.
pub async fn list(db: &Db, member: &Member, scope: FieldScope) -> Result<Vec<FieldDefinition>> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    load(&mut conn, &member.workspace_id, scope).await
}

/// Defines a field; its id.
pub async fn create(
    db: &Db,
    actor: &Actor,
    member: &Member,
    scope: FieldScope,
    input: &DefinitionInput,
) -> Result<String> {
    member.require(Permission::SettingsEdit)?;
    let checked = check_definition(input)?;
    let mut tx = db.begin_write().await?;
    let existing = load(&mut tx, &member.workspace_id, scope).await?;
    if existing.len() >= MAX_FIELDS_PER_SCOPE {
        return Err(AppError::conflict(format!(
            "A workspace keeps at most {MAX_FIELDS_PER_SCOPE} fields of each kind."
        ))
        .into());
    }
    if existing.iter().any(|d| d.key == checked.key) {
        return Err(AppError::invalid_field("key", "Another field has this key.").into());
    }
    let id = new_id("fld");
    let definition = checked.into_definition(id.clone(), scope);
    sqlx::query(
        "INSERT INTO custom_fields (id, workspace_id, scope, key, label, kind, required, default_value, options, min_value, max_value, position, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CAST($10 AS DOUBLE PRECISION), CAST($11 AS DOUBLE PRECISION), $12, $13)",
    )
    .bind(&id)
    .bind(&member.workspace_id)
    .bind(scope.as_str())
    .bind(&definition.key)
    .bind(&definition.label)
    .bind(definition.kind.as_str())
    .bind(i64::from(definition.required))
    .bind(definition.default_value.as_deref())
    .bind(serde_json::to_string(&definition.options).unwrap_or_else(|_| "[]".into()))
    .bind(crate::sql::real_text(definition.min))
    .bind(crate::sql::real_text(definition.max))
    .bind(i64::try_from(existing.len()).unwrap_or_default())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "custom_field.create",
            target_type: "custom_field",
            target_id: Some(&id),
            before: None,
            after: serde_json::to_value(&definition).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a field and every value kept in it.
pub async fn delete(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM custom_fields WHERE id = $1 AND workspace_id = $2"
    )))
    .bind(id)
    .bind(&member.workspace_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let before = read(&row)?;
    sqlx::query("DELETE FROM custom_fields WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "custom_field.delete",
            target_type: "custom_field",
            target_id: Some(id),
            before: serde_json::to_value(&before).ok(),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
