//! The clean-up job: deletes invitations that expired unaccepted, sessions past expiry,
//! Idempotency-Keys past the time they are kept, and contacts deleted longer ago than
//! their undo window, then folds the sizes segments are counted from.

use super::JobContext;
use apalis::prelude::{BoxDynError, Data};
use msgbuddy_core::invitations;
use msgbuddy_core::sessions::SqlSessionStore;
use serde::{Deserialize, Serialize};

/// The job's payload. Empty today; `#[serde(default)]` keeps old queued rows readable when
/// fields are added.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Cleanup {}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CleanupReport {
    pub invitations: u64,
    pub sessions: u64,
    pub idempotency_keys: u64,
    #[serde(default)]
    pub deleted_contacts: u64,
    #[serde(default)]
    pub folded_set_sizes: u64,
}

/// The work itself, callable directly (the command line, tests) or from the worker.
pub async fn run_cleanup(ctx: &JobContext) -> msgbuddy_core::Result<CleanupReport> {
    let invitations = invitations::delete_expired(&ctx.db, 0).await?;
    let sessions = SqlSessionStore::new(ctx.db.clone())
        .delete_expired()
        .await?;
    let idempotency_keys = msgbuddy_messaging::idempotency::delete_expired(&ctx.db).await?;
    let deleted_contacts =
        msgbuddy_contacts::contact::purge(&ctx.db, msgbuddy_core::db::now_ms()).await?;
    // After the purge, whose deletions count down the sets the contacts were in.
    let folded_set_sizes = msgbuddy_contacts::set_sizes::compact(&ctx.db).await?;
    if invitations + sessions + idempotency_keys + deleted_contacts > 0 {
        tracing::info!(
            invitations,
            sessions,
            idempotency_keys,
            deleted_contacts,
            folded_set_sizes,
            "cleaned up expired rows"
        );
    }
    Ok(CleanupReport {
        invitations,
        sessions,
        idempotency_keys,
        deleted_contacts,
        folded_set_sizes,
    })
}

/// The apalis handler.
pub async fn handle(_job: Cleanup, ctx: Data<JobContext>) -> Result<CleanupReport, BoxDynError> {
    run_cleanup(&ctx)
        .await
        .map_err(|e| Box::new(e) as BoxDynError)
}
