//! The demo data a first run starts with: one workspace and its owner's login. Modules add
//! their demo data to it (the server's `demo` module runs them in order).

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

/// Whether the database has no users yet (a first run).
pub async fn is_empty(bus: &EventBus) -> Result<bool> {
    let users: i64 = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(bus.db().reader())
        .await?
        .try_get(0)?;
    Ok(users == 0)
}

/// The demo owner and workspace, for modules that add their demo data to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    pub user_id: String,
    pub workspace_id: String,
}

/// Creates the demo owner and workspace (fails if the demo email is taken).
pub async fn seed_demo(bus: &EventBus) -> Result<Demo> {
    let email = Email::parse(DEMO_EMAIL)?;
    let user = accounts::sign_up(
        bus.db(),
        &email,
        &PersonName::parse("Demo Owner")?,
        &NewPassword::parse(DEMO_PASSWORD)?,
    )
    .await?;
    let actor = Actor {
        user_id: user.id.clone(),
        ip: None,
    };
    let ws = workspaces::create(bus, &actor, &WorkspaceName::parse(DEMO_WORKSPACE)?).await?;
    Ok(Demo {
        user_id: user.id,
        workspace_id: ws.id,
    })
}
