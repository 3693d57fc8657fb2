//! A tower-sessions store in our own database, so sessions live wherever the data lives
//! (SQLite or PostgreSQL) and survive restarts. No published store fits the single sqlx
//! version the project links.
//!
//! The owning user's id is copied out of the session data into its own column, so all of a
//! user's sessions can be revoked at once (password change).

use crate::db::{Db, now_ms};
use async_trait::async_trait;
use sqlx::Row;
use std::collections::HashMap;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error as StoreError, Result as StoreResult};

/// The session data key that holds the logged-in user's id.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Debug, Clone)]
pub struct SqlSessionStore {
    db: Db,
}

impl SqlSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Removes sessions past their expiry; run periodically by the worker.
    pub async fn delete_expired(&self) -> crate::Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(self.db.writer())
            .await?;
        Ok(done.rows_affected())
    }

    /// How many live sessions a user has (for tests and the admin panel).
    pub async fn count_for_user(&self, user_id: &str) -> crate::Result<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND expires_at > $2")
                .bind(user_id)
                .bind(now_ms())
                .fetch_one(self.db.reader())
                .await?;
        Ok(row.try_get(0)?)
    }

    async fn upsert(&self, record: &Record, insert_only: bool) -> StoreResult<bool> {
        let data =
            serde_json::to_string(&record.data).map_err(|e| StoreError::Encode(e.to_string()))?;
        let user_id = record
            .data
            .get(USER_ID_KEY)
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let expires = expiry_ms(record.expiry_date);
        let sql = if insert_only {
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING"
        } else {
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at"
        };
        let done = sqlx::query(sql)
            .bind(record.id.to_string())
            .bind(user_id)
            .bind(data)
            .bind(expires)
            .execute(self.db.writer())
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }
}

fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn expiry_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[async_trait]
impl SessionStore for SqlSessionStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        // A collision of 128-bit random ids is practically impossible, but if it happens
        // pick a new id rather than overwrite someone's session.
        while !self.upsert(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        self.upsert(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let row =
            sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id.to_string())
                .bind(now_ms())
                .fetch_optional(self.db.reader())
                .await
                .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get(0).map_err(backend)?;
        let expires: i64 = row.try_get(1).map_err(backend)?;
        let data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&data).map_err(|e| StoreError::Decode(e.to_string()))?;
        let expiry_date =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires) * 1_000_000)
                .map_err(|e| StoreError::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.db.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
