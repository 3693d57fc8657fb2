//! Server functions, grouped by area. Each checks who is asking, calls one service in
//! `msgbuddy-core`, and returns its result; no SQL or business rules live here.

pub mod account;
pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod channels;
pub mod conversations;
pub mod invitations;
pub mod labels;
pub mod members;
pub mod notes;
pub mod notifications;
pub mod search;
pub mod workspaces;
