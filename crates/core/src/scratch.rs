//! Throwaway PostgreSQL databases for the benchmarks: made fresh beside the admin
//! database a `postgres://` URL names, and dropped at the end.

use crate::Result;
use sqlx::Connection;

/// Makes (or remakes, empty) the database `name` on the server of `admin`, and returns
/// its URL.
pub async fn create_postgres(admin: &str, name: &str) -> Result<String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\""
    )))
    .execute(&mut conn)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await?;
    let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

/// Drops the database `name` (`FORCE`: an event bus's listener may still hold a
/// connection).
pub async fn drop_postgres(admin: &str, name: &str) -> Result<()> {
    let mut conn = sqlx::AnyConnection::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}
