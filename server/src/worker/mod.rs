//! The background worker: apalis, in this binary, on the same database as the app.
//!
//! The job store is what differs by backend (apalis-sqlite or apalis-postgres), so it sits
//! behind [`JobQueue`], one implementation per backend. Jobs themselves are backend-free
//! functions of [`JobContext`]. The first job is the clean-up of expired invitations and
//! sessions, enqueued periodically by [`schedule_cleanup`].
//!
//! The message pipeline's loops run here too, beside apalis rather than on it: sending
//! claims batches from the messages table itself (the outbox), with leases that make a
//! send exactly-once across crashes and instances, and writes results in batches; one
//! apalis job per message would cost a queue row and a poll for each, far from a
//! thousand messages a second on SQLite.

mod cleanup;
mod queue;

pub use cleanup::{Cleanup, CleanupReport, run_cleanup};
pub use queue::{JobQueue, schedule_cleanup};

use msgbuddy_core::Db;
use msgbuddy_messaging::{Messaging, dispatch, inbound, mailbox, media};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Starts the message pipeline's loops: the dispatcher (sending), the webhook processor
/// (receiving), the mailbox reader, the media downloader, the inbox's snooze alarm,
/// auto-assignment with the inactivity rule, the search indexer and contact imports. They
/// stop when `shutdown` flips, after their current pass.
pub fn start_pipeline(
    m: Messaging,
    settings: dispatch::Settings,
    email_poll: std::time::Duration,
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let worker = format!("{}-{}", std::process::id(), msgbuddy_core::db::now_ms());
    vec![
        tokio::spawn(dispatch::run(m.clone(), worker, settings, shutdown.clone())),
        tokio::spawn(mailbox::run(m.clone(), email_poll, shutdown.clone())),
        tokio::spawn(media::run(m.clone(), shutdown.clone())),
        tokio::spawn(msgbuddy_inbox::status::run(
            m.clone(),
            std::time::Duration::from_secs(15),
            shutdown.clone(),
        )),
        tokio::spawn(msgbuddy_inbox::auto_assign::run(
            m.clone(),
            std::time::Duration::from_secs(2),
            shutdown.clone(),
        )),
        tokio::spawn(msgbuddy_inbox::search_index::run(
            m.db().clone(),
            std::time::Duration::from_secs(1),
            shutdown.clone(),
        )),
        tokio::spawn(msgbuddy_contacts::import::run(
            m.db().clone(),
            m.bus.clone(),
            std::time::Duration::from_secs(1),
            shutdown.clone(),
        )),
        tokio::spawn(inbound::run(m, shutdown)),
    ]
}

/// What job functions get to work with.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
}
