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
/// When the session was last used (ms). The store keeps a session until its idle timeout
/// after the last *save*, so use must save it now and then; once a minute is enough for
/// an idle timeout counted in minutes, and spares a database write on every request.
pub const SEEN_AT_KEY: &str = "seen_at";
const TOUCH_EVERY_MS: i64 = 60_000;

fn store_err(e: tower_sessions::session::Error) -> Error {
    Error::internal(format!("session store: {e}"))
}

/// The logged-in user, if the session has one that is still valid: within the absolute
/// timeout and started after the user's last password change. Marks the session used,
/// which pushes its idle expiry forward.
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
    let now = now_ms();
    let seen_at = session
        .get::<i64>(SEEN_AT_KEY)
        .await
        .map_err(store_err)?
        .unwrap_or(auth_at);
    if now - seen_at >= TOUCH_EVERY_MS {
        session.insert(SEEN_AT_KEY, now).await.map_err(store_err)?;
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
    let now = now_ms();
    session.insert(AUTH_AT_KEY, now).await.map_err(store_err)?;
    session.insert(SEEN_AT_KEY, now).await.map_err(store_err)?;
    session
        .insert(CSRF_KEY, random_token())
        .await
        .map_err(store_err)?;
    Ok(())
}

pub async fn end(session: &Session) -> Result<()> {
    session.flush().await.map_err(store_err)
}

/// The session's CSRF token without creating one.
pub async fn existing_csrf_token(session: &Session) -> Result<Option<String>> {
    session.get::<String>(CSRF_KEY).await.map_err(store_err)
}
