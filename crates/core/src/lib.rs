//! msgbuddy's storage and business rules. Server functions and HTTP handlers stay thin and
//! call into these services; nothing here knows about HTTP or HTML.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod invitations;
pub mod members;
pub mod platform;
pub mod rate_limit;
pub mod scratch;
pub mod seed;
pub mod sessions;
pub mod workspaces;

pub use db::{Backend, Db};
pub use error::{Error, Result};

/// Who is doing something, for permission checks and the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub ip: Option<String>,
}
