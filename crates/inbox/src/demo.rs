//! The inbox's demo data, on top of the pipeline's conversations: Ana's conversation is
//! the demo owner's, Mia's is resolved, and Ravi waits in Unassigned, so a first run
//! shows every view with something in it and a timeline with notes.

use crate::assignment::{self, Assign};
use crate::status::{self, Change};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::Role;
use msgbuddy_messaging::Messaging;
use sqlx::Row;

/// The open conversation of the contact with `phone` in `workspace_id`.
async fn conversation_of(m: &Messaging, workspace_id: &str, phone: &str) -> Result<String> {
    sqlx::query(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id \
         WHERE c.workspace_id = $1 AND ct.phone = $2 AND c.status <> 'resolved'",
    )
    .bind(workspace_id)
    .bind(phone)
    .fetch_optional(m.db().reader())
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .ok_or_else(|| Error::internal(format!("the demo has no conversation with {phone}")))
}

pub async fn seed(m: &Messaging, workspace_id: &str, user_id: &str) -> Result<()> {
    let owner = Member {
        workspace_id: workspace_id.to_owned(),
        user_id: user_id.to_owned(),
        role: Role::Owner,
    };
    let ana = conversation_of(m, workspace_id, "+15550100001").await?;
    assignment::assign(m, &owner, &ana, Assign::To(user_id)).await?;
    let mia = conversation_of(m, workspace_id, "+15550100003").await?;
    assignment::assign(m, &owner, &mia, Assign::Claim).await?;
    status::set(m, &owner, &mia, Change::Resolve).await?;
    Ok(())
}
