//! The worker runs real apalis jobs on the app's database.

use crate::helpers::{Story, TestDb, backends};
use msgbuddy_core::invitations;
use msgbuddy_domain::Role;
use server::worker::{JobContext, JobQueue};
use sqlx::Row;
use std::time::Duration;

async fn count(db: &msgbuddy_core::Db, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(db.reader())
        .await
        .expect("count")
        .try_get(0)
        .expect("n")
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
        } = Story::begin(&test_db, "Jobs").await;
        invitations::create(&bus, &member, &actor, None, Role::Agent, -1_000)
            .await
            .expect("expired");
        invitations::create(&bus, &member, &actor, None, Role::Agent, 3_600_000)
            .await
            .expect("live");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM invitations").await, 2);

        let queue = JobQueue::open(&db).await.expect("job store");
        queue.push_cleanup().await.expect("enqueued");
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(
            queue
                .clone()
                .run(JobContext { db: db.clone() }, async move {
                    let _ = stop_rx.changed().await;
                }),
        );
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
