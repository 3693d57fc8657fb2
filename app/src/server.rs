//! What server functions share on the server: the services handle, the session, the
//! logged-in user and their membership. Server functions stay thin by asking these.

use axum::http::request::Parts;
use leptos::prelude::*;
use msgbuddy_core::accounts::User;
use msgbuddy_core::events::EventBus;
use msgbuddy_core::workspaces::{self, Member};
use msgbuddy_core::{Actor, Db, auth};
use msgbuddy_domain::{AppError, Permission};
use tower_sessions::Session;

/// Rate limits for logins and sign-ups, configurable for tests and deployments.
#[derive(Debug, Clone, Copy)]
pub struct AuthLimits {
    pub per_ip: msgbuddy_core::rate_limit::Limit,
    pub per_account: msgbuddy_core::rate_limit::Limit,
}

/// The services server functions reach through context, provided by the server binary.
#[derive(Debug, Clone)]
pub struct ServerContext {
    pub bus: EventBus,
    pub limits: AuthLimits,
    pub absolute_session_ms: i64,
    pub invitation_ttl_ms: i64,
}

/// The client's address as the server saw it, put into request extensions by the server.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

pub fn ctx() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| {
        tracing::error!("ServerContext missing from the Leptos context");
        AppError::internal()
    })
}

pub fn db() -> Result<Db, AppError> {
    Ok(ctx()?.bus.db().clone())
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = ?e, "no session on the request");
        AppError::internal()
    })
}

pub fn client_ip() -> Option<String> {
    use_context::<Parts>().and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
}

pub async fn current_user() -> Result<Option<User>, AppError> {
    let ctx = ctx()?;
    let session = session().await?;
    Ok(auth::current_user(ctx.bus.db(), &session, ctx.absolute_session_ms).await?)
}

pub async fn require_user() -> Result<User, AppError> {
    current_user().await?.ok_or_else(AppError::unauthenticated)
}

pub fn actor(user: &User) -> Actor {
    Actor {
        user_id: user.id.clone(),
        ip: client_ip(),
    }
}

/// The logged-in user's membership of `workspace_id`, allowed to do `permission`.
pub async fn member(
    workspace_id: &str,
    permission: Permission,
) -> Result<(User, Member), AppError> {
    let user = require_user().await?;
    let member = workspaces::access(&db()?, &user.id, workspace_id, permission).await?;
    Ok((user, member))
}

/// Sets the HTTP status of the page being rendered, so a 404 or 403 page is one to tools too.
pub fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
}

/// Checks a mutating server function's `csrf_token` argument against the session.
///
/// The server's CSRF layer already refused any request without the right token; mutating
/// server functions take the token as an argument as well, so a form rendered inside an
/// island (whose `ActionForm` sends only the function's arguments) carries it, and each
/// function checks it again.
pub async fn verify_csrf(given: &str) -> Result<(), AppError> {
    let expected = auth::existing_csrf_token(&session().await?).await?;
    match expected {
        Some(token) if msgbuddy_core::crypto::secure_eq(token.as_bytes(), given.as_bytes()) => {
            Ok(())
        }
        _ => Err(AppError::csrf()),
    }
}
