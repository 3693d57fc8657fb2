//! Who a browser session belongs to. Shared by server functions, the SSE stream and the
//! CSRF check, so "logged in" means the same everywhere.

use crate::accounts::{self, User};
use crate::crypto::random_token;
use crate::db::{Db, now_ms};
use crate::error::{Error, Result};
use crate::sessions::USER_ID_KEY;
use tower_sessions::Session;

/// When the user logged in (ms); sessions older than the absolute timeout are ended.
pub const AUTH_AT_KEY: &str = "auth_at";
/// The session's CSRF token, echoed by every state-changing form and request.
pub const CSRF_KEY: &str = "csrf";

fn store_err(e: tower_sessions::session::Error) -> Error {
    Error::internal(format!("session store: {e}"))
}

/// The logged-in user, if the session has one that is still valid: within the absolute
/// timeout and started after the user's last password change.
pub async fn current_user(
    db: &Db,
    session: &Session,
    absolute_timeout_ms: i64,
) -> Result<Option<User>> {
    let Some(user_id) = session
        .get::<String>(USER_ID_KEY)
        .await
        .map_err(store_err)?
    else {
        return Ok(None);
    };
    let auth_at = session
        .get::<i64>(AUTH_AT_KEY)
        .await
        .map_err(store_err)?
        .unwrap_or(0);
    let user = accounts::find(db, &user_id).await?;
    let valid = match &user {
        Some(u) => auth_at + absolute_timeout_ms > now_ms() && auth_at >= u.password_changed_at,
        None => false,
    };
    if !valid {
        session.flush().await.map_err(store_err)?;
        return Ok(None);
    }
    Ok(user)
}

/// Starts an authenticated session: a new session id (so a fixated id is useless), the
/// user and the time, and a fresh CSRF token.
pub async fn start(session: &Session, user: &User) -> Result<()> {
    session.cycle_id().await.map_err(store_err)?;
    session
        .insert(USER_ID_KEY, &user.id)
        .await
        .map_err(store_err)?;
    session
        .insert(AUTH_AT_KEY, now_ms())
        .await
        .map_err(store_err)?;
    session
        .insert(CSRF_KEY, random_token())
        .await
        .map_err(store_err)?;
    Ok(())
}

pub async fn end(session: &Session) -> Result<()> {
    session.flush().await.map_err(store_err)
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String> {
    if let Some(token) = session.get::<String>(CSRF_KEY).await.map_err(store_err)? {
        return Ok(token);
    }
    let token = random_token();
    session.insert(CSRF_KEY, &token).await.map_err(store_err)?;
    Ok(token)
}

/// The session's CSRF token without creating one.
pub async fn existing_csrf_token(session: &Session) -> Result<Option<String>> {
    session.get::<String>(CSRF_KEY).await.map_err(store_err)
}
