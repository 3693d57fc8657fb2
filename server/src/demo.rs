//! The demo workspace of a first run: the foundation's owner and workspace, then each
//! module's demo data in it.

use msgbuddy_core::seed::{self, Seeded};
use msgbuddy_messaging::Messaging;

/// Seeds the demo when the database has no users yet.
pub async fn seed_if_empty(m: &Messaging) -> msgbuddy_core::Result<Seeded> {
    if !seed::is_empty(&m.bus).await? {
        return Ok(Seeded::AlreadyPresent);
    }
    seed_all(m).await?;
    Ok(Seeded::Created)
}

/// Seeds the demo (fails if the demo login exists).
pub async fn seed_all(m: &Messaging) -> msgbuddy_core::Result<()> {
    let demo = seed::seed_demo(&m.bus).await?;
    msgbuddy_messaging::demo::seed(m, &demo.workspace_id, &demo.user_id).await?;
    msgbuddy_inbox::demo::seed(m, &demo.workspace_id, &demo.user_id).await?;
    msgbuddy_contacts::demo::seed(m.db(), &demo.workspace_id, &demo.user_id).await?;
    Ok(())
}
