//! The background worker: apalis, in this binary, on the same database as the app.
//!
//! The job store is what differs by backend (apalis-sqlite or apalis-postgres), so it sits
//! behind [`JobQueue`], one implementation per backend. Jobs themselves are backend-free
//! functions of [`JobContext`]. The first job is the clean-up of expired invitations and
//! sessions, enqueued periodically by [`schedule_cleanup`].

mod cleanup;
mod queue;

pub use cleanup::{Cleanup, CleanupReport, run_cleanup};
pub use queue::{JobQueue, schedule_cleanup};

use msgbuddy_core::Db;

/// What job functions get to work with.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
}
