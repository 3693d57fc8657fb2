//! Fixed-window rate limits kept in the database, so every server instance counts together.

use crate::db::{Db, now_ms};
use crate::error::Result;
use msgbuddy_domain::AppError;
use sqlx::Row;

/// A limit of `max` hits per `window_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

/// The outcome of one hit: allowed, or refused until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Refused { retry_after_ms: i64 },
}

/// One hit counted: how many the window has seen, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub hits: i64,
    pub max: i64,
    pub reset_in_ms: i64,
}

impl Count {
    pub fn allowed(&self) -> bool {
        self.hits <= self.max
    }
    pub fn remaining(&self) -> i64 {
        (self.max - self.hits).max(0)
    }
}

/// Counts one hit on `key` and says where the window stands.
pub async fn count(db: &Db, key: &str, limit: Limit) -> Result<Count> {
    let now = now_ms();
    let window_floor = now - limit.window_ms;
    let row = sqlx::query(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING hits, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(window_floor)
    .fetch_one(db.writer())
    .await?;
    let hits: i64 = row.try_get(0)?;
    let window_start: i64 = row.try_get(1)?;
    Ok(Count {
        hits,
        max: limit.max,
        reset_in_ms: (window_start + limit.window_ms - now).max(1),
    })
}

/// Counts one hit on `key` and says whether it is within the limit, and if not, how long
/// until the window that refused it ends.
pub async fn hit(db: &Db, key: &str, limit: Limit) -> Result<Decision> {
    let c = count(db, key, limit).await?;
    Ok(if c.allowed() {
        Decision::Allowed
    } else {
        Decision::Refused {
            retry_after_ms: c.reset_in_ms,
        }
    })
}

/// Counts a hit on every key (so each limit sees every attempt) and refuses if any limit
/// is exceeded, saying how long until the last refusing window ends.
pub async fn check_all(db: &Db, hits: &[(&str, Limit)]) -> Result<()> {
    let mut wait_ms = 0;
    for (key, limit) in hits {
        if let Decision::Refused { retry_after_ms } = hit(db, key, *limit).await? {
            wait_ms = wait_ms.max(retry_after_ms);
        }
    }
    if wait_ms > 0 {
        let secs = u64::try_from((wait_ms + 999) / 1000).unwrap_or(1);
        return Err(AppError::rate_limited(secs).into());
    }
    Ok(())
}

/// Forgets a key, e.g. an account's failed-login count after a successful login.
pub async fn clear(db: &Db, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key)
        .execute(db.writer())
        .await?;
    Ok(())
}
