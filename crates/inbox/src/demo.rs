//! The inbox's demo data, on top of the pipeline's conversations: Ana's conversation is
//! the demo owner's, Mia's is resolved, and Ravi waits in Unassigned, so a first run
//! shows every view with something in it and a timeline with notes; and a few labels,
//! one nested, on Ana's and Ravi's conversations; a private note on Ana's, her first
//! message pinned and starred; a saved view of the shipping questions; and two quick
//! replies (`/thanks`, `/address`).

use crate::assignment::{self, Assign};
use crate::labels::{self, LabelForm};
use crate::status::{self, Change};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Error, Result};
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
        test_mode: false,
    };
    let ana = conversation_of(m, workspace_id, "+15550100001").await?;
    assignment::assign(m, &owner, &ana, Assign::To(user_id)).await?;
    let mia = conversation_of(m, workspace_id, "+15550100003").await?;
    assignment::assign(m, &owner, &mia, Assign::Claim).await?;
    status::set(m, &owner, &mia, Change::Resolve).await?;

    let actor = Actor {
        user_id: user_id.to_owned(),
        ip: None,
    };
    let label =
        |name: &str, colour: &str, description: &str, parent_id: Option<String>| LabelForm {
            name: name.to_owned(),
            colour: colour.to_owned(),
            description: description.to_owned(),
            parent_id,
        };
    let shipping = labels::create(
        m,
        &owner,
        &actor,
        &label(
            "Shipping",
            "#0284c7",
            "Where is my parcel, delivery changes",
            None,
        ),
    )
    .await?;
    let address = labels::create(
        m,
        &owner,
        &actor,
        &label(
            "Address change",
            "#7c3aed",
            "The customer wants it sent elsewhere",
            Some(shipping.id.clone()),
        ),
    )
    .await?;
    labels::create(
        m,
        &owner,
        &actor,
        &label("VIP", "#d97706", "Customers who order often", None),
    )
    .await?;
    labels::set(m, &owner, &ana, &shipping.id, true).await?;
    let ravi = conversation_of(m, workspace_id, "+15550100002").await?;
    labels::set(m, &owner, &ravi, &address.id, true).await?;
    crate::notes::add(
        m,
        &owner,
        &ana,
        "Courier confirmed the parcel left the depot this morning; tracking updates by 6pm.",
    )
    .await?;
    let first: String = sqlx::query(
        "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY created_at, id LIMIT 1",
    )
    .bind(&ana)
    .fetch_one(m.db().reader())
    .await?
    .try_get(0)?;
    crate::marks::pin(m, &owner, &first, true).await?;
    crate::marks::star(m.db(), &owner, &first, true).await?;
    crate::saved_views::save(
        m.db(),
        &owner,
        "Shipping questions",
        &[("view", "all"), ("label", &shipping.id)],
    )
    .await?;
    for (shortcut, body) in [
        (
            "thanks",
            "Thank you for writing, {{contact.name}}! {{agent.name}} here, I'm on it.",
        ),
        (
            "address",
            "To change the delivery address, reply with the new address and the order number.",
        ),
    ] {
        let form = crate::quick_replies::QuickReplyForm {
            shortcut: shortcut.to_owned(),
            body: body.to_owned(),
            channel_ids: Vec::new(),
        };
        crate::quick_replies::create(m.db(), &owner, &actor, &form).await?;
    }
    Ok(())
}
