//! The message pipeline on top of `msgbuddy-core`: channel accounts, the contacts and
//! conversations messages belong to, messages and their status history, sending exactly
//! once through the provider adapters of `msgbuddy-channels`, and webhook ingestion.
//!
//! The flow of an outbound message: [`messages::send`] checks the channel's rules and
//! stores it `pending` with an event; the dispatcher ([`dispatch`]) claims due messages,
//! records the attempt, calls the provider and records what it answered. Receipts and
//! customer messages arrive as webhooks: [`inbound::receive`] verifies and stores the raw
//! body, and [`inbound::process_due`] turns stored bodies into messages and status
//! changes. The Sandbox's simulated receipts take the same path.
#![forbid(unsafe_code)]

pub mod accounts;
mod alerts;
pub mod api;
pub mod api_keys;
pub mod contacts;
pub mod conversations;
pub mod deletion;
pub mod demo;
pub mod dispatch;
pub mod idempotency;
pub mod inbound;
pub mod ingest;
mod keywords;
pub mod mailbox;
pub mod media;
pub mod messages;
mod outgoing;
pub mod prices;
mod receipts;
pub mod rules;
pub mod sandbox;
pub mod throttle;

use msgbuddy_channels::registry::Endpoints;
use msgbuddy_core::Db;
use msgbuddy_core::crypto::MasterKeys;
use msgbuddy_core::events::EventBus;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Everything the pipeline needs, cloned cheaply into server functions, handlers and the
/// worker.
#[derive(Clone)]
pub struct Messaging {
    pub bus: EventBus,
    pub keys: MasterKeys,
    pub endpoints: Endpoints,
    pub http: reqwest::Client,
    /// msgbuddy's public base URL (`https://chat.example.com`), for webhook URLs.
    pub public_url: String,
    /// Wakes the dispatcher when a message is queued, so sending does not wait for its
    /// next poll.
    pub outbox: Arc<tokio::sync::Notify>,
    /// Wakes the webhook processor when a delivery is stored.
    pub inbox: Arc<tokio::sync::Notify>,
    pub throttle: Arc<throttle::Throttle>,
    /// Stores webhook deliveries with group commit.
    pub(crate) ingest: Arc<ingest::Ingest>,
    /// Stores new outgoing messages with group commit.
    pub(crate) outgoing: Arc<outgoing::Outgoing>,
    /// Uploads and downloaded inbound files.
    pub media: msgbuddy_media::Library,
    /// Recently loaded channel adapters, for webhooks (see [`accounts::load_cached`]).
    pub(crate) loaded: Arc<std::sync::Mutex<HashMap<String, (Instant, accounts::Loaded)>>>,
}

impl std::fmt::Debug for Messaging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messaging")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Messaging {
    pub fn new(
        bus: EventBus,
        keys: MasterKeys,
        endpoints: Endpoints,
        public_url: &str,
        media_store: Arc<dyn msgbuddy_media::store::MediaStore>,
    ) -> Self {
        let http = reqwest::Client::builder()
            // A provider call never follows a redirect by itself: media downloads follow
            // them by hand, to the provider's own hosts only.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .connect_timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("msgbuddy/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let media = msgbuddy_media::Library::new(media_store, keys.clone(), public_url);
        let outbox = Arc::new(tokio::sync::Notify::new());
        Self {
            keys,
            endpoints,
            http,
            public_url: public_url.trim_end_matches('/').to_owned(),
            outgoing: Arc::new(outgoing::Outgoing::new(bus.clone(), outbox.clone())),
            outbox,
            inbox: Arc::new(tokio::sync::Notify::new()),
            throttle: Arc::new(throttle::Throttle::default()),
            ingest: Arc::new(ingest::Ingest::new(bus.db().clone())),
            media,
            loaded: Arc::default(),
            bus,
        }
    }

    pub fn db(&self) -> &Db {
        self.bus.db()
    }
}

/// Reads a 0/1 flag column.
pub(crate) fn flag(row: &sqlx::any::AnyRow, idx: usize) -> msgbuddy_core::Result<bool> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(idx)? != 0)
}
