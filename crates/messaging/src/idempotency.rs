//! `Idempotency-Key` for the API's mutating calls, per workspace and mode.
//!
//! The first request with a key claims it with an insert that only one request can win
//! (`ON CONFLICT DO NOTHING`); its answer is saved with the key. The same key with the same
//! body gets the saved answer; with another body, 422; while the first is still being
//! answered, 409. Keys are kept for at least 24 hours. A request that failed on our side
//! (5xx) gives its key back, so the retry can try again; a claim left by a crashed request
//! is taken over after a minute.

use msgbuddy_core::db::{Db, now_ms};
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::AppError;
use sqlx::Row;

/// How long a claim may stay unanswered before another request takes it over.
const STALE_MS: i64 = 60_000;
/// How long keys are kept (the promise is at least 24 hours).
pub const KEEP_MS: i64 = 48 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// This request owns the key: do the work, then [`finish`].
    Proceed,
    /// The key was answered before: send this again.
    Replay { status: u16, body: String },
}

/// Checks the key's form: 1 to 255 visible ASCII characters.
pub fn parse_key(raw: &str) -> Result<String, AppError> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(AppError::invalid_field(
            "Idempotency-Key",
            "An Idempotency-Key is 1 to 255 visible ASCII characters.",
        ));
    }
    Ok(key.to_owned())
}

pub async fn begin(
    db: &Db,
    workspace_id: &str,
    mode: &str,
    key: &str,
    request_hash: &str,
) -> Result<Begin> {
    let now = now_ms();
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (workspace_id, mode, key, request_hash, state, created_at) VALUES ($1, $2, $3, $4, 'in_flight', $5) \
         ON CONFLICT (workspace_id, mode, key) DO NOTHING",
    )
    .bind(workspace_id)
    .bind(mode)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(db.writer())
    .await?;
    if claimed.rows_affected() == 1 {
        return Ok(Begin::Proceed);
    }
    let row = sqlx::query(
        "SELECT request_hash, state, status, body, created_at FROM idempotency_keys WHERE workspace_id = $1 AND mode = $2 AND key = $3",
    )
    .bind(workspace_id)
    .bind(mode)
    .bind(key)
    .fetch_optional(db.writer())
    .await?
    .ok_or_else(|| Error::internal("idempotency key vanished"))?;
    let hash: String = row.try_get(0)?;
    if hash != request_hash {
        return Err(AppError::validation(
            "This Idempotency-Key was used with a different request body; use a new key for a new request.",
        )
        .with_details(serde_json::json!({ "field": "Idempotency-Key", "reason": "key_reused" }))
        .into());
    }
    let state: String = row.try_get(1)?;
    if state == "done" {
        let status: i64 = row.try_get::<Option<i64>, _>(2)?.unwrap_or(200);
        return Ok(Begin::Replay {
            status: u16::try_from(status).unwrap_or(200),
            body: row.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
        });
    }
    let created_at: i64 = row.try_get(4)?;
    if now - created_at > STALE_MS {
        let taken = sqlx::query(
            "UPDATE idempotency_keys SET created_at = $1 WHERE workspace_id = $2 AND mode = $3 AND key = $4 AND state = 'in_flight' AND created_at = $5",
        )
        .bind(now)
        .bind(workspace_id)
        .bind(mode)
        .bind(key)
        .bind(created_at)
        .execute(db.writer())
        .await?;
        if taken.rows_affected() == 1 {
            return Ok(Begin::Proceed);
        }
    }
    Err(AppError::conflict(
        "A request with this Idempotency-Key is still being answered; retry shortly.",
    )
    .with_details(serde_json::json!({ "field": "Idempotency-Key", "reason": "in_flight" }))
    .into())
}

/// Saves the answer of the request that owns the key.
pub async fn finish(
    db: &Db,
    workspace_id: &str,
    mode: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'done', status = $1, body = $2 WHERE workspace_id = $3 AND mode = $4 AND key = $5",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(workspace_id)
    .bind(mode)
    .bind(key)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Gives the key back after a failure of ours.
pub async fn abandon(db: &Db, workspace_id: &str, mode: &str, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE workspace_id = $1 AND mode = $2 AND key = $3 AND state = 'in_flight'")
        .bind(workspace_id)
        .bind(mode)
        .bind(key)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Forgets keys older than [`KEEP_MS`]; run by the clean-up job.
pub async fn delete_expired(db: &Db) -> Result<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(now_ms() - KEEP_MS)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}
