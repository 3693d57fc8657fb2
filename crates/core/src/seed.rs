//! The demo data a first run starts with: one workspace and its owner's login. Later
//! modules add their demo data (channels, contacts, conversations) here.

use crate::Actor;
use crate::accounts;
use crate::error::Result;
use crate::events::EventBus;
use crate::workspaces;
use msgbuddy_domain::values::{Email, NewPassword, PersonName, WorkspaceName};
use sqlx::Row;

pub const DEMO_EMAIL: &str = "owner@demo.msgbuddy.test";
pub const DEMO_PASSWORD: &str = "msgbuddy-demo";
pub const DEMO_WORKSPACE: &str = "Demo Workspace";

/// What seeding did, for the start-up banner.
#[derive(Debug, Clone, PartialEq)]
pub enum Seeded {
    Created,
    AlreadyPresent,
}

/// Creates the demo owner and workspace if the database has no users yet.
pub async fn seed_demo_if_empty(bus: &EventBus) -> Result<Seeded> {
    let users: i64 = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(bus.db().reader())
        .await?
        .try_get(0)?;
    if users > 0 {
        return Ok(Seeded::AlreadyPresent);
    }
    seed_demo(bus).await?;
    Ok(Seeded::Created)
}

/// Creates the demo owner and workspace (fails if the demo email is taken).
pub async fn seed_demo(bus: &EventBus) -> Result<()> {
    let email = Email::parse(DEMO_EMAIL)?;
    let user = accounts::sign_up(
        bus.db(),
        &email,
        &PersonName::parse("Demo Owner")?,
        &NewPassword::parse(DEMO_PASSWORD)?,
    )
    .await?;
    let actor = Actor {
        user_id: user.id,
        ip: None,
    };
    workspaces::create(bus, &actor, &WorkspaceName::parse(DEMO_WORKSPACE)?).await?;
    Ok(())
}
