//! The job store, one implementation per backend, and the worker that drains it.

use super::JobContext;
use super::cleanup::{self, Cleanup};
use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use msgbuddy_core::{Backend, Db};
use std::time::Duration;

/// The queue name is fixed so renaming the Rust type never orphans queued jobs.
const CLEANUP_QUEUE: &str = "msgbuddy.cleanup";
/// apalis keeps its migration history apart from ours (both would use `_sqlx_migrations`).
const APALIS_MIGRATIONS_TABLE: &str = "_apalis_migrations";
const POLL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub enum JobQueue {
    Sqlite(SqliteStorage<Cleanup>),
    Postgres(PostgresStorage<Cleanup>),
}

impl JobQueue {
    /// Opens apalis's own typed pool on the app's database and applies its migrations.
    pub async fn open(db: &Db) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        match db.backend() {
            Backend::Sqlite => {
                let pool = apalis_sqlite::SqlitePool::connect(db.url()).await?;
                let mut migrations = SqliteStorage::migrations();
                migrations.dangerous_set_table_name(APALIS_MIGRATIONS_TABLE);
                migrations.run(&pool).await?;
                let config = apalis_sqlite::Config::default().queue(CLEANUP_QUEUE);
                Ok(JobQueue::Sqlite(
                    SqliteStorage::new(&pool).with_config(config),
                ))
            }
            Backend::Postgres => {
                let pool = apalis_postgres::PgPool::connect(db.url()).await?;
                PostgresStorage::setup(&pool).await?;
                let config = apalis_postgres::Config::default().queue(CLEANUP_QUEUE);
                Ok(JobQueue::Postgres(
                    PostgresStorage::new(&pool).with_config(config),
                ))
            }
        }
    }

    /// Enqueues a clean-up run.
    pub async fn push_cleanup(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        match self.clone() {
            JobQueue::Sqlite(mut s) => s.push(Cleanup {}).await?,
            JobQueue::Postgres(mut s) => s.push(Cleanup {}).await?,
        }
        Ok(())
    }

    /// Runs the worker until `shutdown` resolves; in-flight jobs finish first.
    pub async fn run(
        self,
        ctx: JobContext,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let instance = format!("{}-{}", std::process::id(), msgbuddy_core::db::now_ms());
        let monitor = match self {
            JobQueue::Sqlite(storage) => Monitor::new().register(move |run| {
                WorkerBuilder::new(format!("cleanup-{instance}-{run}"))
                    .backend(storage.clone().poll_with_interval(POLL))
                    .data(ctx.clone())
                    .build(cleanup::handle)
            }),
            JobQueue::Postgres(storage) => Monitor::new().register(move |run| {
                WorkerBuilder::new(format!("cleanup-{instance}-{run}"))
                    .backend(storage.clone().poll_with_interval(POLL))
                    .data(ctx.clone())
                    .build(cleanup::handle)
            }),
        };
        let result = monitor
            .should_restart(|ctx, err| {
                tracing::warn!(worker = %ctx.name(), error = %err, "job worker stopped; restarting");
                ctx.restarts() < 1000
            })
            .shutdown_timeout(Duration::from_secs(30))
            .run_with_signal(async move {
                shutdown.await;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "job worker ended with an error");
        }
    }
}

/// Enqueues a clean-up every `every` until `shutdown` flips.
pub async fn schedule_cleanup(
    queue: JobQueue,
    every: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = queue.push_cleanup().await {
                    tracing::warn!(error = %e, "could not enqueue the clean-up job");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
