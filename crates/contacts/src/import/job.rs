//! The import worker: a claim-and-lease loop beside the message pipeline's.
//!
//! A worker claims one queued (or abandoned) import by setting a lease on it, reads the
//! file past the rows already committed, and writes chunks of rows, each in one
//! transaction with the import's counters, its resume point and a renewed lease. A
//! worker that dies mid-chunk leaves nothing of that chunk; once its lease runs out
//! another takes the import up at the first uncommitted row. Each commit also checks
//! that this worker still holds the lease at the row it expects, so two workers can never
//! both write a chunk.

use super::chunk::{self, Checked, Context, Crash, Memory};
use super::mapping;
use super::parse::{Format, Rows};
use super::row::Column;
use crate::definitions;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::{EventBus, Pending};
use msgbuddy_core::{Backend, Db, Error, Result};
use msgbuddy_domain::DomainEvent;
use msgbuddy_domain::contact_import::{ImportProgress, ImportStatus, OnDuplicate};
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
struct Job {
    id: String,
    workspace_id: String,
    format: Format,
    headers: Vec<String>,
    mapping: Vec<String>,
    on_duplicate: OnDuplicate,
    dry_run: bool,
    total_rows: i64,
    counts: Counts,
}

/// The import's counters as committed.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    next_row: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    errors: i64,
}

/// What a pass may be interrupted by.
#[derive(Debug, Default)]
struct Hooks {
    shutdown: Option<watch::Receiver<bool>>,
    /// The row (counted from 0) in whose chunk the worker "dies".
    crash_at_row: Option<i64>,
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
    work_chunks(
        db, bus, owner, &mut job, &context, memory, rows, chunk_rows, hooks,
    )
    .await?;
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
            job.on_duplicate,
            context,
            memory,
            &checked,
        )
        .await?;
    }
    Ok(Ok(rows))
}

#[allow(clippy::too_many_arguments)]
async fn work_chunks(
    db: &Db,
    bus: &EventBus,
    owner: &str,
    job: &mut Job,
    context: &Arc<Context>,
    mut memory: Memory,
    rows: Rows,
    chunk_rows: usize,
    hooks: Hooks,
) -> Result<()> {
    let mut reading = chunk::read_ahead(rows, context.clone(), chunk_rows);
    refresh_statistics(db).await;
    let mut first = true;
    loop {
        let mut t = std::time::Instant::now();
        let (rows, checked) = chunk::ahead(reading).await?;
        crate::import::lap("wait-read", &mut t);
        if hooks.shutdown.as_ref().is_some_and(|s| *s.borrow()) {
            return release(db, owner, job).await;
        }
        let checked = match checked {
            Ok(checked) => checked,
            Err(reason) => return fail(db, bus, owner, job, &reason).await,
        };
        let len = i64::try_from(checked.len()).unwrap_or(i64::MAX);
        let start = job.counts.next_row;
        let crash = hooks
            .crash_at_row
            .filter(|row| (start..start + len).contains(row))
            .map(|_| Crash);
        let last = checked.len() < chunk_rows || start + len >= job.total_rows;
        // The next chunk is read and checked on another thread while this one is written
        // (after the last, that finds nothing).
        reading = chunk::read_ahead(rows, context.clone(), chunk_rows);
        if !job.dry_run {
            memory = Memory::default();
        }
        commit_chunk(
            db,
            bus,
            owner,
            job,
            context,
            &mut memory,
            &checked,
            last,
            crash,
        )
        .await?;
        if first {
            refresh_statistics(db).await;
            first = false;
        }
        if last {
            return Ok(());
        }
    }
}

/// Lets PostgreSQL's planner see the contacts there are, before the first chunk and
/// after it (for a workspace that had none). With no statistics for the table
/// (autovacuum off, or not round yet since it filled) it finds a contact by phone through
/// the Telegram index, the smallest, and tests every contact of the workspace: each
/// chunk's lookup would grow with the table. Statistics keep their proportions as the
/// table grows. SQLite's planner needs none for this.
async fn refresh_statistics(db: &Db) {
    if db.backend() != Backend::Postgres {
        return;
    }
    if let Err(e) = sqlx::query("ANALYZE contacts").execute(db.writer()).await {
        tracing::warn!(error = %e, "could not refresh the contacts table's statistics");
    }
}

/// Decides and writes one chunk, with the import's progress, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn commit_chunk(
    db: &Db,
    bus: &EventBus,
    owner: &str,
    job: &mut Job,
    context: &Context,
    memory: &mut Memory,
    checked: &[Checked],
    last: bool,
    crash: Option<Crash>,
) -> Result<()> {
    let now = now_ms();
    let mut t = std::time::Instant::now();
    let mut tx = db.begin_write().await?;
    crate::import::lap("begin", &mut t);
    let mut outcome = chunk::decide(
        &mut tx,
        &job.workspace_id,
        job.on_duplicate,
        context,
        memory,
        checked,
    )
    .await?;
    crate::import::lap("decide", &mut t);
    if !job.dry_run {
        outcome = chunk::write(
            &mut tx,
            &job.workspace_id,
            job.on_duplicate,
            outcome,
            now,
            crash,
        )
        .await?;
    } else if crash.is_some() {
        return Err(Error::internal(
            "the import worker stopped in the middle of a chunk",
        ));
    }
    crate::import::lap("write", &mut t);
    super::write::record_errors(&mut tx, &job.id, &outcome.errors).await?;
    let before = job.counts;
    let after = Counts {
        next_row: before.next_row + i64::try_from(checked.len()).unwrap_or(i64::MAX),
        created: before.created + outcome.created,
        updated: before.updated + outcome.updated,
        skipped: before.skipped + outcome.skipped,
        errors: before.errors + i64::try_from(outcome.errors.len()).unwrap_or(i64::MAX),
    };
    let status = if last {
        ImportStatus::Done
    } else {
        ImportStatus::Running
    };
    save_progress(&mut tx, owner, job, before, after, status, now).await?;
    let mut pending = Pending::default();
    let event = progress_event(job, after, status, None);
    bus.record(&mut tx, &mut pending, &job.workspace_id, &event)
        .await?;
    crate::import::lap("progress+event", &mut t);
    tx.commit().await?;
    crate::import::lap("commit", &mut t);
    bus.committed(pending);
    job.counts = after;
    Ok(())
}

/// Writes the counters and the resume point, renewing the lease (or letting go of it
/// when done), only while this worker holds the import at the row it started from.
async fn save_progress(
    conn: &mut sqlx::AnyConnection,
    owner: &str,
    job: &Job,
    before: Counts,
    after: Counts,
    status: ImportStatus,
    now: i64,
) -> Result<()> {
    let finished = status.is_finished();
    let saved = sqlx::query(
        "UPDATE contact_imports SET next_row = $1, created_rows = $2, updated_rows = $3, skipped_rows = $4, \
         error_rows = $5, status = $6, lease_owner = $7, lease_until = $8, finished_at = $9 \
         WHERE id = $10 AND lease_owner = $11 AND next_row = $12",
    )
    .bind(after.next_row)
    .bind(after.created)
    .bind(after.updated)
    .bind(after.skipped)
    .bind(after.errors)
    .bind(status.as_str())
    .bind((!finished).then_some(owner))
    .bind((!finished).then_some(now + LEASE_MS))
    .bind(finished.then_some(now))
    .bind(&job.id)
    .bind(owner)
    .bind(before.next_row)
    .execute(&mut *conn)
    .await?;
    if saved.rows_affected() != 1 {
        return Err(Error::internal(format!(
            "import {} was taken over by another worker; this one stops",
            job.id
        )));
    }
    if finished && !job.dry_run {
        // The file is not needed once every row is in; only a dry run can be run again.
        sqlx::query("DELETE FROM contact_import_files WHERE import_id = $1")
            .bind(&job.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn progress_event(
    job: &Job,
    counts: Counts,
    status: ImportStatus,
    error: Option<String>,
) -> DomainEvent {
    DomainEvent::ContactImportProgress {
        import: ImportProgress {
            id: job.id.clone(),
            status,
            dry_run: job.dry_run,
            total_rows: job.total_rows,
            processed_rows: counts.next_row,
            created_rows: counts.created,
            updated_rows: counts.updated,
            skipped_rows: counts.skipped,
            error_rows: counts.errors,
            error,
        },
    }
}

/// Stops the import for good, keeping the rows committed so far.
async fn fail(db: &Db, bus: &EventBus, owner: &str, job: &Job, reason: &str) -> Result<()> {
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
async fn release(db: &Db, owner: &str, job: &Job) -> Result<()> {
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
           next_row, created_rows, updated_rows, skipped_rows, error_rows"
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
