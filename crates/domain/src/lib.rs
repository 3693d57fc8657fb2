//! The vocabulary of msgbuddy: validated values, roles and the permission matrix, domain
//! events and the one error type. Compiles for the server and for the browser, so the UI
//! and the server agree on what a role may do.
#![forbid(unsafe_code)]

pub mod assignment;
pub mod contact;
pub mod contact_import;
pub mod custom_field;
pub mod error;
pub mod event;
pub mod message;
pub mod notification;
pub mod quick_reply;
pub mod role;
pub mod segment;
pub mod time;
pub mod values;
pub mod views;

pub use error::{AppError, ErrorCode};
pub use event::{DomainEvent, EventEnvelope};
pub use role::{Permission, Role};
