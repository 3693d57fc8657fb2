//! Provider adapters, one file per provider: how WhatsApp Cloud, Telegram, Twilio SMS,
//! email and the built-in Sandbox speak, and what each can carry. Adapters know wire
//! formats, signatures and capabilities only; nothing here touches the database.
#![forbid(unsafe_code)]

pub mod email;
pub mod http;
pub mod provider;
pub mod registry;
pub mod sandbox;
pub mod signature;
pub mod sms;
pub mod telegram;
pub mod twilio;
pub mod whatsapp;

pub use provider::*;
