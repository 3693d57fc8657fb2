//! The database handle: SQLite by default, PostgreSQL when `DATABASE_URL` says so.
//!
//! Most queries are portable SQL run through sqlx's `Any` driver (text ids, integer
//! millisecond timestamps, `$n` placeholders, which SQLite accepts too), so there is one
//! source of business logic. What truly differs between the two (how events travel between
//! server instances, the job store) is chosen from [`Backend`] in the few places that need it.
//!
//! SQLite allows one writer at a time. Rather than let writers race for the lock and retry,
//! all writes go through a single-connection `writer` pool, while reads use the `reader`
//! pool of several connections (WAL mode lets them run beside the writer). On PostgreSQL
//! both are the same pool.

use crate::error::Result;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Db {
    backend: Backend,
    url: String,
    reader: AnyPool,
    writer: AnyPool,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl Db {
    /// Opens the database named by `url`. A SQLite file is created if it does not exist.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            crate::Error::internal("DATABASE_URL must start with sqlite: or postgres://")
        })?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let db = match backend {
            Backend::Sqlite => {
                let writer = sqlite_pool(1).connect(&url).await?;
                // WAL is a property of the file; set it once through the writer before
                // readers open.
                writer.execute("PRAGMA journal_mode = WAL").await?;
                let reader = sqlite_pool(max_connections.max(2)).connect(&url).await?;
                Db {
                    backend,
                    url,
                    reader,
                    writer,
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(&url)
                    .await?;
                Db {
                    backend,
                    url,
                    reader: pool.clone(),
                    writer: pool,
                }
            }
        };
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL this handle was opened with; the job store opens its own typed pool on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Pool for writes and read-modify-write transactions.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Begins a write transaction on the writer. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting out another writer for the busy timeout: a deferred
    /// transaction that reads first and writes later is refused outright (`SQLITE_BUSY`,
    /// which no timeout waits out) when another connection wrote in between, and the job
    /// store's pool (apalis) writes to the same file on its own schedule.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Applies every migration of this backend that has not run yet.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }

    /// Whether the database answers, for `/healthz`.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.reader).await.is_ok()
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // Pages read through a memory map rather than copied into each
                // connection's cache: a count over a million contacts reads them all.
                conn.execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
                     PRAGMA mmap_size = 1073741824;",
                )
                .await?;
                Ok(())
            })
        })
}

/// Reads a role stored as text in column `idx`. A role this build does not know means the
/// database was written by something else; that is our fault, not the user's.
pub(crate) fn role_at(row: &sqlx::any::AnyRow, idx: usize) -> Result<msgbuddy_domain::Role> {
    use sqlx::Row;
    let raw: String = row.try_get(idx)?;
    raw.parse()
        .map_err(|_| crate::Error::internal(format!("unknown role `{raw}` in the database")))
}

/// Most parameters one statement binds in set-based writes: under SQLite's limit (32,766)
/// and PostgreSQL's (65,535), with room for a few shared ones.
pub const MAX_PARAMS: usize = 30_000;

/// Rows of `columns` parameters each that fit in one statement.
pub fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMS / columns.max(1)).max(1)
}

/// `($1, $2), ($3, $4)` for `rows` rows of `columns` parameters, numbered from `first`:
/// the `VALUES` list of a multi-row insert or of an `UPDATE ... FROM (VALUES ...)`.
pub fn placeholders(rows: usize, columns: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for col in 0..columns {
            if col > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + row * columns + col).to_string());
        }
        out.push(')');
    }
    out
}

/// `sql`, written with `$1, $2, ...` for both backends, made positional (`?`) when `conn`
/// is SQLite and each parameter appears once, in order.
///
/// sqlx's SQLite driver asks SQLite for the name of every numbered parameter it binds, and
/// SQLite finds it by a linear scan: a statement of P numbered parameters costs P² to
/// bind, which for a multi-row write of thousands of parameters outweighs the write.
/// Anonymous `?` parameters skip the lookup. SQL whose numbers repeat or run out of order
/// is returned as it is (correct, only slower).
pub fn positional(conn: &sqlx::AnyConnection, sql: String) -> String {
    if conn.backend_name() != "SQLite" {
        return sql;
    }
    anonymous_parameters(&sql).unwrap_or(sql)
}

/// `sql` with `$1, $2, ...` as `?`, if they appear once each and in order.
fn anonymous_parameters(sql: &str) -> Option<String> {
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1usize;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut n = 0usize;
        let mut digits = 0;
        while let Some(v) = chars.peek().and_then(|d| d.to_digit(10)) {
            n = n.checked_mul(10)?.checked_add(v as usize)?;
            digits += 1;
            chars.next();
        }
        if digits == 0 || n != expected {
            return None;
        }
        expected += 1;
        out.push('?');
    }
    Some(out)
}

/// Milliseconds since the Unix epoch, the one timestamp format in the database.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A new id: a type prefix, the creation time and 64 random bits, so ids say what they
/// name (`usr_…`, `ws_…`) and sort by age. The time is in microseconds and never repeats
/// within a process, so rows made in the same millisecond (an invitation accepted and the
/// role changed right after) still list in the order they happened.
pub fn new_id(prefix: &str) -> String {
    let mut random = [0u8; 8];
    crate::crypto::fill_random(&mut random);
    format!(
        "{prefix}_{:013x}{}",
        unique_micros(),
        crate::crypto::hex(&random)
    )
}

/// Microseconds since the Unix epoch, strictly increasing across calls in this process.
fn unique_micros() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or_default();
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{anonymous_parameters, new_id, placeholders};

    #[test]
    fn placeholders_number_rows_and_columns_from_the_first() {
        assert_eq!(placeholders(2, 2, 1), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(1, 3, 4), "($4, $5, $6)");
        assert_eq!(placeholders(0, 3, 1), "");
    }

    #[test]
    fn numbered_parameters_become_anonymous_only_when_in_order_and_once_each() {
        assert_eq!(
            anonymous_parameters("UPDATE t SET a = $1 FROM (VALUES ($2, $3)) AS v WHERE b = $4")
                .as_deref(),
            Some("UPDATE t SET a = ? FROM (VALUES (?, ?)) AS v WHERE b = ?")
        );
        assert_eq!(
            anonymous_parameters("SELECT 1").as_deref(),
            Some("SELECT 1")
        );
        assert_eq!(anonymous_parameters("a = $1 OR b = $1"), None, "repeated");
        assert_eq!(
            anonymous_parameters("a = $2 AND b = $1"),
            None,
            "out of order"
        );
        assert_eq!(anonymous_parameters("price = '$'"), None, "a bare dollar");
    }

    #[test]
    fn ids_made_in_a_burst_are_unique_and_sort_in_creation_order() {
        let ids: Vec<String> = (0..2000).map(|_| new_id("aud")).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, ids);
        assert!(ids[0].starts_with("aud_") && ids[0].len() == 4 + 13 + 16);
    }
}
