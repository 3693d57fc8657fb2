//! The pipeline's demo data: a few customers writing to the demo workspace's Sandbox
//! channel, and replies on their way (one with a file), so a first run shows messages
//! moving.

use crate::{Messaging, inbound, messages, sandbox};
use msgbuddy_core::Result;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::Role;
use msgbuddy_domain::message::Content;

/// A small picture of a shipping label, sent to the first customer.
const LABEL_PNG: &[u8] = include_bytes!("demo_label.png");

const CUSTOMERS: [(&str, &str, &str, Option<&str>); 3] = [
    (
        "+15550100001",
        "Ana Souza",
        "Hi! Is my order TR-204821 on its way?",
        Some("It is! It left our warehouse this morning and arrives tomorrow."),
    ),
    (
        "+15550100002",
        "Ravi Kumar",
        "Can I change the delivery address for my order?",
        None,
    ),
    (
        "+15550100003",
        "Mia Chen",
        "Thanks for the quick help yesterday 🙌",
        Some("Happy to help, Mia!"),
    ),
];

/// Adds the demo conversations to `workspace_id`, owned by `user_id`.
pub async fn seed(m: &Messaging, workspace_id: &str, user_id: &str) -> Result<()> {
    let owner = Member {
        workspace_id: workspace_id.to_owned(),
        user_id: user_id.to_owned(),
        role: Role::Owner,
        test_mode: false,
    };
    let channel = crate::accounts::ensure_sandbox(m, workspace_id).await?;
    for (phone, name, text, _) in CUSTOMERS {
        sandbox::simulate_customer_message(m, &owner, false, phone, Some(name), text).await?;
    }
    while inbound::process_due(m, 100).await? > 0 {}
    for (phone, name, _, reply) in CUSTOMERS {
        if let Some(reply) = reply {
            messages::send(
                m,
                messages::Sender {
                    member: &owner,
                    user_id: Some(user_id),
                    source: "inbox",
                    is_test: false,
                },
                messages::To::Address {
                    channel_id: &channel,
                    address: phone,
                    name: Some(name),
                },
                Content::Text {
                    body: reply.to_owned(),
                },
                None,
            )
            .await?;
        }
    }
    let (phone, name, _, _) = CUSTOMERS[0];
    let label = m
        .media
        .upload(
            m.db(),
            &owner,
            false,
            LABEL_PNG,
            Some("shipping-label.png"),
            Some(user_id),
        )
        .await?;
    messages::send(
        m,
        messages::Sender {
            member: &owner,
            user_id: Some(user_id),
            source: "inbox",
            is_test: false,
        },
        messages::To::Address {
            channel_id: &channel,
            address: phone,
            name: Some(name),
        },
        Content::Media(label.to_media(Some("Your shipping label".to_owned()))),
        None,
    )
    .await?;
    Ok(())
}
