//! The worker runs real apalis jobs on the app's database.

use crate::helpers::{Story, TestDb, backends};
use msgbuddy_core::invitations;
use msgbuddy_domain::Role;
use server::worker::{JobContext, JobQueue};
use sqlx::Row;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

async fn count(db: &msgbuddy_core::Db, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(db.reader())
        .await
        .expect("count")
        .try_get(0)
        .expect("n")
}

/// A workspace with one invitation that expired unaccepted, for the clean-up job to delete.
async fn story_with_expired_invitation(test_db: &TestDb, workspace: &str) -> Story {
    let story = Story::begin(test_db, workspace).await;
    invitations::create(
        &story.bus,
        &story.member,
        &story.actor,
        None,
        Role::Agent,
        -1_000,
    )
    .await
    .expect("expired");
    story
}

/// Starts the worker on `queue`; sending `true` on the returned channel shuts it down.
fn start_worker(queue: JobQueue, db: &msgbuddy_core::Db) -> (watch::Sender<bool>, JoinHandle<()>) {
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let worker = tokio::spawn(queue.run(JobContext { db: db.clone() }, async move {
        let _ = stop_rx.changed().await;
    }));
    (stop_tx, worker)
}

#[tokio::test]
async fn the_cleanup_job_deletes_expired_invitations_through_the_queue_and_shutdown_drains() {
    for backend in backends() {
        let test_db = TestDb::new(backend).await;
        let Story {
            db,
            bus,
            actor,
            member,
            ..
        } = story_with_expired_invitation(&test_db, "Jobs").await;
        invitations::create(&bus, &member, &actor, None, Role::Agent, 3_600_000)
            .await
            .expect("live");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM invitations").await, 2);

        let queue = JobQueue::open(&db).await.expect("job store");
        queue.push_cleanup().await.expect("enqueued");
        let (stop_tx, worker) = start_worker(queue, &db);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while count(&db, "SELECT COUNT(*) FROM invitations").await != 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the job ran within 30 s on {}",
                backend.as_str()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let left: String = sqlx::query("SELECT role FROM invitations")
            .fetch_one(db.reader())
            .await
            .expect("row")
            .try_get(0)
            .expect("role");
        assert_eq!(left, "agent", "the live invitation stays");
        let _ = stop_tx.send(true);
        tokio::time::timeout(Duration::from_secs(40), worker)
            .await
            .expect("worker stops on shutdown")
            .expect("joined");
        db.close().await;
    }
}

/// The status apalis records for the one queued job.
async fn job_status(db: &msgbuddy_core::Db) -> Option<String> {
    let sql = match db.backend() {
        msgbuddy_core::Backend::Sqlite => "SELECT status FROM Jobs",
        msgbuddy_core::Backend::Postgres => "SELECT status FROM apalis.jobs",
    };
    sqlx::query(sql)
        .fetch_optional(db.reader())
        .await
        .expect("job status")
        .map(|row| row.try_get(0).expect("status"))
}

#[tokio::test]
async fn shutdown_waits_for_a_job_in_flight_to_finish() {
    for backend in backends() {
        let test_db = TestDb::new(backend).await;
        let Story { db, .. } = story_with_expired_invitation(&test_db, "Drain").await;

        // Hold up the job's write so it is still running when shutdown comes: SQLite has
        // one writer connection, so holding it is enough; PostgreSQL needs a table lock.
        // A deferred transaction: it holds the connection without locking the file, which
        // apalis's own pool still writes to.
        let mut blocker = db.writer().begin().await.expect("blocking transaction");
        if backend == msgbuddy_core::Backend::Postgres {
            sqlx::query("LOCK TABLE invitations IN ACCESS EXCLUSIVE MODE")
                .execute(&mut *blocker)
                .await
                .expect("lock");
        }
        let queue = JobQueue::open(&db).await.expect("job store");
        queue.push_cleanup().await.expect("enqueued");
        let (stop_tx, worker) = start_worker(queue, &db);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while job_status(&db).await.as_deref() != Some("Running") {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the worker picked the job up on {}",
                backend.as_str()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let _ = stop_tx.send(true);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            !worker.is_finished(),
            "the worker waits for the job in flight on {}",
            backend.as_str()
        );
        blocker.rollback().await.expect("release");
        tokio::time::timeout(Duration::from_secs(40), worker)
            .await
            .expect("worker stops once the job is done")
            .expect("joined");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM invitations").await,
            0,
            "the job finished its work on {}",
            backend.as_str()
        );
        assert_eq!(job_status(&db).await.as_deref(), Some("Done"));
        db.close().await;
    }
}
