//! Imports as members handle them: a file uploaded and previewed, a mapping chosen and
//! the import started, its progress read back.

use super::mapping;
use super::parse::{self, Inspected};
use crate::definitions;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::contact_import::{ImportStatus, ImportSummary, ImportView, OnDuplicate};
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_domain::{AppError, Permission};
use sqlx::Row;

/// Files larger than this are read on a blocking thread.
const READ_INLINE_BYTES: usize = 256 * 1024;
/// The longest file name kept.
const MAX_FILE_NAME_CHARS: usize = 200;
/// Imports a list shows.
const LIST_LIMIT: i64 = 20;

/// The name a browser gave the file, without any folder and with nothing a page or a
/// header could trip over.
fn file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last
        .chars()
        .filter(|c| !msgbuddy_domain::values::is_invisible(*c))
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() {
        "import".to_owned()
    } else {
        name.to_owned()
    }
}

async fn inspect(bytes: &[u8]) -> Result<Inspected> {
    let found = if bytes.len() <= READ_INLINE_BYTES {
        parse::inspect(bytes)
    } else {
        let owned = bytes.to_vec();
        tokio::task::spawn_blocking(move || parse::inspect(&owned))
            .await
            .map_err(|e| Error::internal(format!("reading an upload stopped: {e}")))?
    };
    found.map_err(|m| AppError::invalid_field("file", m).into())
}

fn json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal(e.to_string()))
}

/// Keeps an uploaded file for import and previews it: its columns, the mapping guessed
/// from their names, and its first rows. Nothing is imported until [`start`].
pub async fn upload(
    db: &Db,
    actor: &Actor,
    member: &Member,
    file_name_given: &str,
    bytes: &[u8],
) -> Result<ImportSummary> {
    member.require(Permission::ContactsEdit)?;
    let found = inspect(bytes).await?;
    let mut conn = db.reader().acquire().await?;
    let fields = definitions::load(&mut conn, &member.workspace_id, FieldScope::Contact).await?;
    drop(conn);
    let guessed = mapping::guess(&found.headers, &fields);
    let summary = ImportSummary {
        id: new_id("imp"),
        file_name: file_name(file_name_given),
        format: found.format.as_str().to_owned(),
        total_rows: found.total_rows,
        headers: found.headers,
        mapping: guessed,
        preview: found.preview,
    };
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO contact_imports (id, workspace_id, created_by, file_name, format, headers, preview, \
           mapping, on_duplicate, dry_run, status, total_rows, created_at, is_test) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'update', 0, 'uploaded', $9, $10, $11)",
    )
    .bind(&summary.id)
    .bind(&member.workspace_id)
    // The member who acts (an API key's maker for a key), or no one.
    .bind((!actor.user_id.is_empty()).then_some(actor.user_id.as_str()))
    .bind(&summary.file_name)
    .bind(&summary.format)
    .bind(json(&summary.headers)?)
    .bind(json(&summary.preview)?)
    .bind(json(&summary.mapping)?)
    .bind(summary.total_rows)
    .bind(now_ms())
    .bind(member.test_flag())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO contact_import_files (import_id, body) VALUES ($1, $2)")
        .bind(&summary.id)
        .bind(&found.text)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "contact_import.upload",
            target_type: "contact_import",
            target_id: Some(&summary.id),
            before: None,
            after: Some(serde_json::json!({
                "file_name": summary.file_name, "format": summary.format, "rows": summary.total_rows
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// Starts an uploaded import (or runs a finished dry run again) with the columns mapped
/// as `mapping` says; the worker takes it from there.
pub async fn start(
    db: &Db,
    actor: &Actor,
    member: &Member,
    import_id: &str,
    mapping: Vec<String>,
    on_duplicate: &str,
    dry_run: bool,
) -> Result<ImportView> {
    member.require(Permission::ContactsEdit)?;
    let on_duplicate = OnDuplicate::parse(on_duplicate).ok_or_else(|| {
        AppError::invalid_field(
            "on_duplicate",
            "Choose whether a duplicate updates the contact or is skipped.",
        )
    })?;
    let mut tx = db.begin_write().await?;
    let current = read_view(&mut tx, member, import_id).await?;
    let startable = current.status == ImportStatus::Uploaded
        || (current.status == ImportStatus::Done && current.dry_run);
    if !startable {
        return Err(AppError::conflict(
            "This import has already run; upload the file again to import it again.",
        )
        .into());
    }
    let fields = definitions::load(&mut tx, &member.workspace_id, FieldScope::Contact).await?;
    mapping::check(&mapping, &current.headers, &fields)?;
    let mapping: Vec<String> = mapping.iter().map(|m| m.trim().to_owned()).collect();
    sqlx::query("DELETE FROM contact_import_errors WHERE import_id = $1")
        .bind(import_id)
        .execute(&mut *tx)
        .await?;
    let started = sqlx::query(
        "UPDATE contact_imports SET status = 'queued', mapping = $1, on_duplicate = $2, dry_run = $3, \
           next_row = 0, created_rows = 0, updated_rows = 0, skipped_rows = 0, error_rows = 0, \
           lease_owner = NULL, lease_until = NULL, error = NULL, started_at = NULL, finished_at = NULL \
         WHERE id = $4 AND workspace_id = $5 AND status = $6",
    )
    .bind(json(&mapping)?)
    .bind(on_duplicate.as_str())
    .bind(i64::from(dry_run))
    .bind(import_id)
    .bind(&member.workspace_id)
    .bind(current.status.as_str())
    .execute(&mut *tx)
    .await?;
    if started.rows_affected() != 1 {
        return Err(AppError::conflict("This import changed meanwhile; reload the page.").into());
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "contact_import.start",
            target_type: "contact_import",
            target_id: Some(import_id),
            before: None,
            after: Some(serde_json::json!({
                "mapping": mapping, "on_duplicate": on_duplicate.as_str(), "dry_run": dry_run
            })),
        },
    )
    .await?;
    let view = read_view(&mut tx, member, import_id).await?;
    tx.commit().await?;
    Ok(view)
}

/// One import of the member's workspace.
pub async fn get(db: &Db, member: &Member, import_id: &str) -> Result<ImportView> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    read_view(&mut conn, member, import_id).await
}

/// The workspace's newest imports first.
pub async fn list(db: &Db, member: &Member) -> Result<Vec<ImportView>> {
    member.require(Permission::ContactsView)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contact_imports WHERE workspace_id = $1 AND is_test = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    )))
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .bind(LIST_LIMIT)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(read).collect()
}

/// Everything a view shows; never the file itself.
const COLUMNS: &str = "id, file_name, status, dry_run, on_duplicate, total_rows, next_row, created_rows, \
    updated_rows, skipped_rows, error_rows, headers, mapping, preview, error, created_at, finished_at";

async fn read_view(
    conn: &mut sqlx::AnyConnection,
    member: &Member,
    import_id: &str,
) -> Result<ImportView> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contact_imports WHERE id = $1 AND workspace_id = $2 AND is_test = $3"
    )))
    .bind(import_id)
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    read(&row)
}

fn read(r: &sqlx::any::AnyRow) -> Result<ImportView> {
    let status: String = r.try_get(2)?;
    let on_duplicate: String = r.try_get(4)?;
    // Written by `upload` and `start` only; a row that fails to read shows empty.
    let headers: String = r.try_get(11)?;
    let mapping: String = r.try_get(12)?;
    let preview: String = r.try_get(13)?;
    Ok(ImportView {
        id: r.try_get(0)?,
        file_name: r.try_get(1)?,
        status: ImportStatus::parse(&status)
            .ok_or_else(|| Error::internal(format!("unknown import status `{status}`")))?,
        dry_run: r.try_get::<i64, _>(3)? != 0,
        on_duplicate: OnDuplicate::parse(&on_duplicate).unwrap_or_default(),
        total_rows: r.try_get(5)?,
        processed_rows: r.try_get(6)?,
        created_rows: r.try_get(7)?,
        updated_rows: r.try_get(8)?,
        skipped_rows: r.try_get(9)?,
        error_rows: r.try_get(10)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        mapping: serde_json::from_str(&mapping).unwrap_or_default(),
        preview: serde_json::from_str(&preview).unwrap_or_default(),
        error: r.try_get(14)?,
        created_at_ms: r.try_get(15)?,
        finished_at_ms: r.try_get(16)?,
    })
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_lose_their_folders_and_invisible_characters() {
        assert_eq!(file_name("C:\\Users\\ana\\contacts.csv"), "contacts.csv");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("a\u{202e}vsc.exe"), "avsc.exe");
        assert_eq!(file_name("  "), "import");
        assert_eq!(file_name(&"x".repeat(300)).len(), 200);
    }
}
