//! The import worker: a claim-and-lease loop beside the message pipeline's.
//!
//! A worker claims one queued (or abandoned) import by setting a lease on it, reads the
//! file past the rows already committed, and writes chunks of rows, each in one
//! transaction with the import's counters, its resume point and a renewed lease. A
//! worker that dies mid-chunk leaves nothing of that chunk; once its lease runs out
//! another takes the import up at the first uncommitted row. Each commit also checks
//! that this worker still holds the lease at the row it expects, so two workers can never
//! both write a chunk.

use super::chunk::{self, Context, Memory};
use super::commit::{Pass, progress_event, work_chunks};
use super::mapping;
use super::parse::{Format, Rows};
use super::row::Column;
use crate::definitions;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::{EventBus, Pending};
use msgbuddy_core::{Backend, Db, Error, Result};
use msgbuddy_domain::contact_import::{ImportStatus, OnDuplicate};
use msgbuddy_domain::custom_field::FieldScope;
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Rows written per transaction.
pub const DEFAULT_CHUNK_ROWS: usize = 2_000;
/// How long a claim lasts without a commit renewing it.
pub const LEASE_MS: i64 = 60_000;

/// An import a worker holds.
#[derive(Debug)]
pub(super) struct Job {
    pub id: String,
    pub workspace_id: String,
    /// Writing the workspace's test-mode contacts (an import made with an `ak_test_` key).
    pub test_mode: bool,
    pub format: Format,
    pub headers: Vec<String>,
    pub mapping: Vec<String>,
    pub on_duplicate: OnDuplicate,
    pub dry_run: bool,
    pub total_rows: i64,
    pub counts: Counts,
}

/// The import's counters as committed.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub next_row: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub errors: i64,
}

/// What a pass may be interrupted by.
#[derive(Debug, Default)]
pub(super) struct Hooks {
    pub shutdown: Option<watch::Receiver<bool>>,
    /// The row (counted from 0) in whose chunk the worker "dies".
    pub crash_at_row: Option<i64>,
}

/// Works imports every `every` (at once while there are more) until `shutdown` flips.
pub async fn run(db: Db, bus: EventBus, every: Duration, mut shutdown: watch::Receiver<bool>) {
    let owner = format!("import-{}-{}", std::process::id(), now_ms());
    loop {
        if *shutdown.borrow() {
            return;
        }
        let hooks = Hooks {
            shutdown: Some(shutdown.clone()),
            crash_at_row: None,
        };
        match work(&db, &bus, &owner, DEFAULT_CHUNK_ROWS, hooks).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e, "a contact import failed; it is taken up again when its lease runs out");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Claims one import that waits and works it to the end in chunks of `chunk_rows`;
/// whether there was one.
pub async fn work_once(db: &Db, bus: &EventBus, owner: &str, chunk_rows: usize) -> Result<bool> {
    work(db, bus, owner, chunk_rows, Hooks::default()).await
}

/// [`work_once`] that fails in the middle of the chunk holding row `crash_at_row`
/// (counted from 0), after writing part of it, as a worker dying there would.
#[doc(hidden)]
pub async fn work_once_crashing_at(
    db: &Db,
    bus: &EventBus,
    owner: &str,
    chunk_rows: usize,
    crash_at_row: i64,
) -> Result<bool> {
    let hooks = Hooks {
        shutdown: None,
        crash_at_row: Some(crash_at_row),
    };
    work(db, bus, owner, chunk_rows, hooks).await
}

async fn work(
    db: &Db,
    bus: &EventBus,
    owner: &str,
    chunk_rows: usize,
    hooks: Hooks,
) -> Result<bool> {
    let Some(mut job) = claim(db, owner).await? else {
        return Ok(false);
    };
    let chunk_rows = chunk_rows.max(1);
    let mut conn = db.reader().acquire().await?;
    let definitions = definitions::load(&mut conn, &job.workspace_id, FieldScope::Contact).await?;
    let targets = match mapping::check(&job.mapping, &job.headers, &definitions) {
        Ok(targets) => targets,
        Err(e) => {
            drop(conn);
            let reason = format!(
                "The mapping no longer fits this workspace's fields: {}",
                e.message
            );
            fail(db, bus, owner, &job, &reason).await?;
            return Ok(true);
        }
    };
    let body: String = sqlx::query("SELECT body FROM contact_import_files WHERE import_id = $1")
        .bind(&job.id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    drop(conn);
    let context = Arc::new(Context {
        columns: job
            .headers
            .iter()
            .zip(targets)
            .map(|(header, target)| Column {
                header: header.clone(),
                target,
            })
            .collect(),
        definitions,
    });
    let rows = match Rows::open(body, job.format, &job.headers) {
        Ok(rows) => rows,
        Err(reason) => {
            fail(db, bus, owner, &job, &reason).await?;
            return Ok(true);
        }
    };
    let mut memory = Memory::default();
    let rows = match resume(db, &job, &context, &mut memory, rows, chunk_rows).await? {
        Ok(rows) => rows,
        Err(reason) => {
            fail(db, bus, owner, &job, &reason).await?;
            return Ok(true);
        }
    };
    let pass = Pass {
        db,
        bus,
        owner,
        context,
        chunk_rows,
        hooks,
    };
    work_chunks(&pass, &mut job, memory, rows).await?;
    Ok(true)
}

/// Moves the reader to the first uncommitted row. A dry run reads the rows before it
/// again to remember what they would have made.
async fn resume(
    db: &Db,
    job: &Job,
    context: &Arc<Context>,
    memory: &mut Memory,
    mut rows: Rows,
    chunk_rows: usize,
) -> Result<std::result::Result<Rows, String>> {
    if !job.dry_run {
        let (rows, skipped) = chunk::skip(rows, job.counts.next_row).await?;
        return Ok(skipped.map(|()| rows));
    }
    let mut done = 0;
    while done < job.counts.next_row {
        let want = usize::try_from(job.counts.next_row - done)
            .unwrap_or(chunk_rows)
            .min(chunk_rows);
        let (back, checked) = chunk::ahead(chunk::read_ahead(rows, context.clone(), want)).await?;
        rows = back;
        let checked = match checked {
            Ok(checked) if !checked.is_empty() => checked,
            Ok(_) => break,
            Err(reason) => return Ok(Err(reason)),
        };
        done += i64::try_from(checked.len()).unwrap_or(i64::MAX);
        let mut conn = db.reader().acquire().await?;
        chunk::decide(
            &mut conn,
            &job.workspace_id,
            job.test_mode,
            job.on_duplicate,
            context,
            memory,
            &checked,
        )
        .await?;
    }
    Ok(Ok(rows))
}

/// Stops the import for good, keeping the rows committed so far.
pub(super) async fn fail(
    db: &Db,
    bus: &EventBus,
    owner: &str,
    job: &Job,
    reason: &str,
) -> Result<()> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE contact_imports SET status = 'failed', error = $1, finished_at = $2, lease_owner = NULL, lease_until = NULL \
         WHERE id = $3 AND lease_owner = $4",
    )
    .bind(reason)
    .bind(now)
    .bind(&job.id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(());
    }
    let mut pending = Pending::default();
    let event = progress_event(
        job,
        job.counts,
        ImportStatus::Failed,
        Some(reason.to_owned()),
    );
    bus.record(&mut tx, &mut pending, &job.workspace_id, &event)
        .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(())
}

/// Lets go of an import at shutdown, so another worker takes it up at once.
pub(super) async fn release(db: &Db, owner: &str, job: &Job) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE contact_imports SET lease_until = NULL WHERE id = $1 AND lease_owner = $2")
        .bind(&job.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes the oldest import that is queued, or running with its lease run out.
async fn claim(db: &Db, owner: &str) -> Result<Option<Job>> {
    let now = now_ms();
    let skip_locked = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let due = "status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < $3)";
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE contact_imports SET status = 'running', lease_owner = $1, lease_until = $2, \
           started_at = COALESCE(started_at, $3) \
         WHERE id = (SELECT id FROM contact_imports WHERE {due} ORDER BY created_at, id LIMIT 1{skip_locked}) \
           AND {due} \
         RETURNING id, workspace_id, format, headers, mapping, on_duplicate, dry_run, total_rows, \
           next_row, created_rows, updated_rows, skipped_rows, error_rows, is_test"
    )))
    .bind(owner)
    .bind(now + LEASE_MS)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.map(|r| read_job(&r)).transpose()
}

fn read_job(r: &sqlx::any::AnyRow) -> Result<Job> {
    let format: String = r.try_get(2)?;
    let on_duplicate: String = r.try_get(5)?;
    let json = |i: usize| -> Result<Vec<String>> {
        let raw: String = r.try_get(i)?;
        serde_json::from_str(&raw)
            .map_err(|e| Error::internal(format!("an import's stored JSON: {e}")))
    };
    Ok(Job {
        id: r.try_get(0)?,
        workspace_id: r.try_get(1)?,
        test_mode: r.try_get::<i64, _>(13)? != 0,
        format: Format::parse(&format)
            .ok_or_else(|| Error::internal(format!("unknown import format `{format}`")))?,
        headers: json(3)?,
        mapping: json(4)?,
        on_duplicate: OnDuplicate::parse(&on_duplicate).unwrap_or_default(),
        dry_run: r.try_get::<i64, _>(6)? != 0,
        total_rows: r.try_get(7)?,
        counts: Counts {
            next_row: r.try_get(8)?,
            created: r.try_get(9)?,
            updated: r.try_get(10)?,
            skipped: r.try_get(11)?,
            errors: r.try_get(12)?,
        },
    })
}
