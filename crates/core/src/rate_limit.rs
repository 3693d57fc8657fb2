//! Fixed-window rate limits kept in the database, so every server instance counts together.

use crate::db::{Db, now_ms};
use crate::error::Result;
use sqlx::Row;

/// A limit of `max` hits per `window_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

/// Counts one hit on `key` and says whether it is within the limit.
pub async fn hit(db: &Db, key: &str, limit: Limit) -> Result<bool> {
    let now = now_ms();
    let window_floor = now - limit.window_ms;
    let hits: i64 = sqlx::query(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING hits",
    )
    .bind(key)
    .bind(now)
    .bind(window_floor)
    .fetch_one(db.writer())
    .await?
    .try_get(0)?;
    Ok(hits <= limit.max)
}

/// Forgets a key, e.g. an account's failed-login count after a successful login.
pub async fn clear(db: &Db, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key)
        .execute(db.writer())
        .await?;
    Ok(())
}
