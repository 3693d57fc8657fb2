//! The state every route shares.

use app::server::ServerContext;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use msgbuddy_core::Db;
use msgbuddy_core::events::EventBus;
use tokio::sync::watch;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: ServerContext,
    pub trust_proxy: bool,
    /// Flips to true when the server shuts down, so endless streams (SSE) end and the
    /// graceful shutdown can finish.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    pub fn bus(&self) -> &EventBus {
        &self.services.bus
    }
    pub fn db(&self) -> &Db {
        self.services.bus.db()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
