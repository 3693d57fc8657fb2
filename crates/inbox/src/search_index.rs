//! Keeps SQLite's search index (`messages_fts`) up with the messages, in batches and off
//! the send path. An FTS5 insert per message, each batch of sends committing a segment of
//! its own to merge, cost sending a seventh of its throughput; thousands of messages per
//! transaction cost a fraction of that. `search_cursor` holds the last message rowid
//! indexed: rowids only grow, so what is above it is what waits.
//!
//! A search first indexes whatever waits ([`catch_up`]), so it finds a message stored a
//! moment ago; the worker's loop ([`run`]) keeps the wait short. PostgreSQL's GIN index
//! is kept by PostgreSQL: both are no-ops there.

use msgbuddy_core::{Backend, Db, Result};
use sqlx::Row;
use std::time::Duration;

/// Messages indexed per transaction, at most.
const BATCH: i64 = 5_000;

/// Indexes up to [`BATCH`] messages not indexed yet, oldest first; returns how many.
pub async fn index_batch(db: &Db) -> Result<u64> {
    if db.backend() != Backend::Sqlite {
        return Ok(0);
    }
    // A reader says whether anything waits, so an idle loop never takes the writer.
    let waiting = sqlx::query(
        "SELECT 1 FROM messages WHERE rowid > (SELECT indexed_through FROM search_cursor) LIMIT 1",
    )
    .fetch_optional(db.reader())
    .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    // The single writer connection serialises this with every insert into `messages`, so
    // no rowid below the new cursor can appear after it is read.
    let mut tx = db.begin_write().await?;
    let through: i64 = sqlx::query("SELECT indexed_through FROM search_cursor")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let last: Option<i64> = sqlx::query(
        "SELECT MAX(rowid) FROM (SELECT rowid FROM messages WHERE rowid > $1 ORDER BY rowid LIMIT $2)",
    )
    .bind(through)
    .bind(BATCH)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let Some(last) = last else {
        return Ok(0);
    };
    let indexed = sqlx::query(
        "INSERT INTO messages_fts (rowid, preview) \
         SELECT rowid, preview FROM messages WHERE rowid > $1 AND rowid <= $2",
    )
    .bind(through)
    .bind(last)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("UPDATE search_cursor SET indexed_through = $1")
        .bind(last)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(indexed)
}

/// Indexes every message stored so far.
pub async fn catch_up(db: &Db) -> Result<()> {
    while index_batch(db).await? > 0 {}
    Ok(())
}

/// Indexes new messages every `every` (at once while a backlog lasts) until `shutdown`
/// flips.
pub async fn run(db: Db, every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        match index_batch(&db).await {
            Ok(n) if n >= BATCH.unsigned_abs() => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "indexing messages for search failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
