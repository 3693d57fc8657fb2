//! The HTTP surface: pages and server functions (Leptos), `/healthz`, `/events`, static
//! files, and the layers every request passes through.

mod api_v1;
mod attachments;
mod byte_range;
mod contact_export;
pub(crate) mod contact_imports;
mod events;
mod health;
pub(crate) mod media;
mod webhooks;

use crate::csrf::{self, CsrfSettings};
use crate::policy;
use crate::state::AppState;
use app::server::ClientIp;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use msgbuddy_core::sessions::SqlSessionStore;
use std::net::SocketAddr;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use crate::policy::MAX_BODY_BYTES;

/// Session cookie settings.
pub struct SessionSettings {
    pub secure: bool,
    pub idle: time::Duration,
}

pub fn router(state: AppState, sessions: SqlSessionStore, settings: SessionSettings) -> Router {
    let routes = route_list();
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("msgbuddy_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(settings.idle));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/events", get(events::stream))
        .merge(api_v1::router())
        .route("/media/{id}", get(media::file))
        .route("/w/{workspace}/exports/{file}", get(contact_export::export))
        .route(
            "/w/{workspace}/conversations/{conversation}/attachment",
            post(attachments::attach),
        )
        .route("/w/{ws}/contacts/imports", post(contact_imports::upload))
        .route(
            "/w/{workspace}/contacts/imports/{id}/errors.csv",
            get(contact_imports::errors),
        )
        .route(
            "/webhooks/{channel_id}",
            get(webhooks::webhook).post(webhooks::webhook),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(services.clone()),
            move || app::shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(middleware::from_fn_with_state(
            CsrfSettings {
                secure: settings.secure,
            },
            csrf::protect,
        ))
        .layer(session_layer)
        .layer(middleware::from_fn(policy::answer_errors))
        .layer(middleware::from_fn(policy::limit_body))
        // `limit_body` is the one body limit; axum's own (2 MB for every extractor) would
        // refuse a larger upload below it.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn(policy::security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), client_ip))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// The app's routes, listed once per process. Listing them renders the app with resource
/// loading suppressed for the whole process (leptos_server's `SuppressResourceLoad`): a
/// page another server in the same process renders meanwhile (the tests run many at once)
/// would wait forever for its first resource (leptos-rs/leptos#4773).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// Records the client's address for rate limits and the audit log: the socket peer, or the
/// first `X-Forwarded-For` hop when a trusted proxy sits in front.
async fn client_ip(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let forwarded = state
        .trust_proxy
        .then(|| {
            req.headers()
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .split(',')
                .next()
                .map(|s| s.trim().to_owned())
        })
        .flatten();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    if let Some(ip) = forwarded.or(peer) {
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}
