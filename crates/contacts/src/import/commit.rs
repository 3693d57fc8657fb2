//! Committing chunks: each chunk's rows, its refused rows, the import's counters and
//! resume point, the renewed lease and a live event, in one transaction.
//!
//! On PostgreSQL two chunks that cannot touch the same contact are written at once, on
//! two connections, and committed in file order: the second prepares everything while
//! the first is written and commits only after it. A database holds each chunk's foreign
//! key checks on one core; two chunks keep both busy. Should the first fail, the second
//! is rolled back with it, so the resume point still moves one whole chunk at a time.

use super::chunk::{self, Checked, Context, Crash, Memory, Outcome};
use super::job::{Counts, Hooks, Job, LEASE_MS, release};
use super::plan::{self, KeyKind};
use super::write;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::{EventBus, Pending};
use msgbuddy_core::{Backend, Db, Error, Result};
use msgbuddy_domain::DomainEvent;
use msgbuddy_domain::contact_import::{ImportProgress, ImportStatus};
use sqlx::{Any, Transaction};
use std::collections::HashSet;
use std::sync::Arc;

/// What a pass works with.
pub struct Pass<'a> {
    pub db: &'a Db,
    pub bus: &'a EventBus,
    pub owner: &'a str,
    pub context: Arc<Context>,
    pub chunk_rows: usize,
    pub hooks: Hooks,
}

/// A chunk read and checked, where it starts in the file, and whether it is the last.
struct Chunk {
    rows: Vec<Checked>,
    start: i64,
    last: bool,
}

/// Writes the rest of the import, chunk by chunk; `memory` is a dry run's.
pub async fn work_chunks(
    pass: &Pass<'_>,
    job: &mut Job,
    mut memory: Memory,
    rows: super::parse::Rows,
) -> Result<()> {
    let parallel = !job.dry_run && pass.db.backend() == Backend::Postgres;
    let mut reader = Reader::new(pass, rows);
    let mut first = true;
    refresh_statistics(pass.db).await;
    let mut start = job.counts.next_row;
    loop {
        if pass.hooks.shutdown.as_ref().is_some_and(|s| *s.borrow()) {
            return release(pass.db, pass.owner, job).await;
        }
        let Some(a) = reader.next(pass, job, &mut start).await? else {
            return Ok(());
        };
        let b = if parallel && !a.last && !first {
            reader.next(pass, job, &mut start).await?
        } else {
            None
        };
        let together = match &b {
            Some(b) => independent(pass.db, job, &a, b).await?,
            None => false,
        };
        match &b {
            Some(b) if together => commit_pair(pass, job, &a, b).await?,
            _ => {
                commit_one(pass, job, &mut memory, &a).await?;
                if let Some(b) = &b {
                    commit_one(pass, job, &mut memory, b).await?;
                }
            }
        }
        if first {
            refresh_statistics(pass.db).await;
            first = false;
        }
        if a.last || b.is_some_and(|b| b.last) {
            return Ok(());
        }
    }
}

/// Reads chunks one ahead, on another thread, so a chunk is read and checked while the
/// one before it is written.
struct Reader {
    reading: Option<tokio::task::JoinHandle<chunk::Read>>,
}

impl Reader {
    fn new(pass: &Pass<'_>, rows: super::parse::Rows) -> Self {
        Self {
            reading: Some(chunk::read_ahead(
                rows,
                pass.context.clone(),
                pass.chunk_rows,
            )),
        }
    }

    /// The next chunk; `None` once the file is done (or failed, which is then recorded).
    async fn next(&mut self, pass: &Pass<'_>, job: &Job, start: &mut i64) -> Result<Option<Chunk>> {
        let Some(reading) = self.reading.take() else {
            return Ok(None);
        };
        let (rows, checked) = chunk::ahead(reading).await?;
        let checked = match checked {
            Ok(checked) => checked,
            Err(reason) => {
                super::job::fail(pass.db, pass.bus, pass.owner, job, &reason).await?;
                return Ok(None);
            }
        };
        let len = i64::try_from(checked.len()).unwrap_or(i64::MAX);
        let last = checked.len() < pass.chunk_rows || *start + len >= job.total_rows;
        if !last {
            self.reading = Some(chunk::read_ahead(
                rows,
                pass.context.clone(),
                pass.chunk_rows,
            ));
        }
        let chunk = Chunk {
            rows: checked,
            start: *start,
            last,
        };
        *start += len;
        Ok(Some(chunk))
    }
}

/// Whether two chunks can be written at once: no address in common (so neither can
/// create or match a contact the other does), and not both making tags.
async fn independent(db: &Db, job: &Job, a: &Chunk, b: &Chunk) -> Result<bool> {
    let addresses = |chunk: &Chunk| -> HashSet<(KeyKind, String)> {
        valid(chunk).flat_map(plan::keys).collect()
    };
    let in_a = addresses(a);
    if valid(b).flat_map(plan::keys).any(|key| in_a.contains(&key)) {
        return Ok(false);
    }
    let mut conn = db.reader().acquire().await?;
    let known: HashSet<String> = write::tag_names(&mut conn, &job.workspace_id)
        .await?
        .into_iter()
        .map(|n| n.to_lowercase())
        .collect();
    let makes_tags = |chunk: &Chunk| {
        valid(chunk)
            .flat_map(|row| row.tags.iter())
            .any(|tag| !known.contains(&tag.to_lowercase()))
    };
    Ok(!(makes_tags(a) && makes_tags(b)))
}

fn valid(chunk: &Chunk) -> impl Iterator<Item = &super::row::Candidate> {
    chunk.rows.iter().filter_map(|c| c.candidate.as_ref().ok())
}

async fn commit_one(pass: &Pass<'_>, job: &mut Job, memory: &mut Memory, c: &Chunk) -> Result<()> {
    if !job.dry_run {
        *memory = Memory::default();
    }
    let (tx, outcome) = prepare(pass, job, memory, c).await?;
    job.counts = finish(pass, job, job.counts, tx, outcome, c).await?;
    Ok(())
}

/// Writes `a` and `b` at once and commits them in order.
async fn commit_pair(pass: &Pass<'_>, job: &mut Job, a: &Chunk, b: &Chunk) -> Result<()> {
    let shared: &Job = job;
    let first = async {
        let mut memory = Memory::default();
        let (tx, outcome) = prepare(pass, shared, &mut memory, a).await?;
        finish(pass, shared, shared.counts, tx, outcome, a).await
    };
    let second = async {
        let mut memory = Memory::default();
        prepare(pass, shared, &mut memory, b).await
    };
    let (after_a, prepared_b) = tokio::join!(first, second);
    // A failed first chunk takes the second's transaction down with it, uncommitted.
    let after_a = after_a?;
    job.counts = after_a;
    let (tx, outcome) = prepared_b?;
    job.counts = finish(pass, job, after_a, tx, outcome, b).await?;
    Ok(())
}

/// Decides the chunk and (unless it is a dry run) writes its contacts, in a transaction
/// left open for [`finish`].
async fn prepare(
    pass: &Pass<'_>,
    job: &Job,
    memory: &mut Memory,
    c: &Chunk,
) -> Result<(Transaction<'static, Any>, Outcome)> {
    let now = now_ms();
    let len = i64::try_from(c.rows.len()).unwrap_or(i64::MAX);
    let crash = pass
        .hooks
        .crash_at_row
        .filter(|row| (c.start..c.start + len).contains(row))
        .map(|_| Crash);
    let mut tx = pass.db.begin_write().await?;
    let mut outcome = chunk::decide(
        &mut tx,
        &job.workspace_id,
        job.test_mode,
        job.on_duplicate,
        &pass.context,
        memory,
        &c.rows,
    )
    .await?;
    if !job.dry_run {
        outcome = chunk::write(
            &mut tx,
            &job.workspace_id,
            job.test_mode,
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
    Ok((tx, outcome))
}

/// Records the chunk's refused rows, moves the import on from `before` and commits; the
/// import's counters after it.
async fn finish(
    pass: &Pass<'_>,
    job: &Job,
    before: Counts,
    mut tx: Transaction<'static, Any>,
    outcome: Outcome,
    c: &Chunk,
) -> Result<Counts> {
    write::record_errors(&mut tx, &job.id, &outcome.errors).await?;
    let after = Counts {
        next_row: before.next_row + i64::try_from(c.rows.len()).unwrap_or(i64::MAX),
        created: before.created + outcome.created,
        updated: before.updated + outcome.updated,
        skipped: before.skipped + outcome.skipped,
        errors: before.errors + i64::try_from(outcome.errors.len()).unwrap_or(i64::MAX),
    };
    let status = if c.last {
        ImportStatus::Done
    } else {
        ImportStatus::Running
    };
    save_progress(&mut tx, pass.owner, job, before, after, status).await?;
    let mut pending = Pending::default();
    let event = progress_event(job, after, status, None);
    pass.bus
        .record(&mut tx, &mut pending, &job.workspace_id, &event)
        .await?;
    tx.commit().await?;
    pass.bus.committed(pending);
    Ok(after)
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
) -> Result<()> {
    let now = now_ms();
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

pub fn progress_event(
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
