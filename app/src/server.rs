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

pub use msgbuddy_core::accounts::AuthLimits;

/// The services server functions reach through context, provided by the server binary.
#[derive(Debug, Clone)]
pub struct ServerContext {
    pub bus: EventBus,
    pub messaging: msgbuddy_messaging::Messaging,
    /// Browser push: subscriptions and the VAPID key.
    pub push: msgbuddy_notifications::push::Pusher,
    pub limits: AuthLimits,
    pub absolute_session_ms: i64,
    /// Whether cookies msgbuddy sets carry `Secure` (as the session cookie does).
    pub secure_cookies: bool,
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

pub fn messaging() -> Result<msgbuddy_messaging::Messaging, AppError> {
    Ok(ctx()?.messaging)
}

pub fn pusher() -> Result<msgbuddy_notifications::push::Pusher, AppError> {
    Ok(ctx()?.push)
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

/// The value of cookie `name` if it is one of our 43-character URL-safe tokens (CSRF
/// tokens, invitation tokens); anything else a browser sends under that name is ignored.
pub fn cookie_token(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Sends the browser to `path` after a form post. Only a path on this site is followed
/// (anything else goes to `/`), and what reaches the `Location` header has been normalised
/// and percent-encoded, so no input can make building the header fail.
pub fn redirect(path: &str) {
    let path = msgbuddy_domain::values::same_site_path(path).unwrap_or_else(|| "/".to_owned());
    leptos_axum::redirect(&path);
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

/// Checks a mutating server function's `csrf_token` argument against the token the
/// server's CSRF layer verified for this request (the session's, or a logged-out visitor's
/// cookie).
///
/// The layer already refused any request without the right token; mutating server
/// functions take the token as an argument as well, so a form rendered inside an island
/// (whose `ActionForm` sends only the function's arguments) carries it, and each function
/// checks it again.
pub async fn verify_csrf(given: &str) -> Result<(), AppError> {
    let expected = use_context::<Parts>().and_then(|p| {
        p.extensions
            .get::<crate::components::csrf::CsrfToken>()
            .map(|t| t.0.clone())
    });
    match expected {
        Some(token) if msgbuddy_core::crypto::secure_eq(token.as_bytes(), given.as_bytes()) => {
            Ok(())
        }
        _ => Err(AppError::csrf()),
    }
}

/// The Content-Security-Policy of every HTML answer. Scripts run only with this response's
/// nonce (and what they load, `strict-dynamic`, which is how the hydration script brings in
/// the WASM glue); pages without a nonce run no script at all. Everything else comes from
/// msgbuddy itself, and nothing may frame it, change its base URL or post its forms elsewhere.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'"),
        None => "'none'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// The script nonce of one HTML answer. The server's outermost middleware makes it for
/// every request and sets the CSP from it, so the header can never go missing from a page;
/// the page's shell puts the same value on its scripts and marks it used, and an answer
/// Leptos did not render (the CSRF refusal, say) gets the policy that runs no script.
#[derive(Debug, Clone)]
pub struct PageNonce {
    value: std::sync::Arc<str>,
    used: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl PageNonce {
    /// 128 random bits, in hex (every hex digit is a base64 character, as CSP asks).
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        msgbuddy_core::crypto::fill_random(&mut bytes);
        Self {
            value: msgbuddy_core::crypto::hex(&bytes).into(),
            used: Default::default(),
        }
    }

    /// The value, for a page's scripts; from now on the answer's policy names it.
    pub fn take_for_scripts(&self) -> std::sync::Arc<str> {
        self.used.store(true, std::sync::atomic::Ordering::Release);
        self.value.clone()
    }

    /// The CSP this answer needs: with the nonce if a page put it on its scripts.
    pub fn policy(&self) -> String {
        let used = self.used.load(std::sync::atomic::Ordering::Acquire);
        content_security_policy(used.then_some(&*self.value))
    }
}

impl Default for PageNonce {
    fn default() -> Self {
        Self::new()
    }
}

/// Gives the page being rendered the request's [`PageNonce`] as Leptos's script nonce.
/// Called from the shell, before any script tag is made.
pub fn provide_page_nonce() {
    let Some(nonce) = use_context::<Parts>().and_then(|p| p.extensions.get::<PageNonce>().cloned())
    else {
        return;
    };
    provide_context(leptos::nonce::Nonce::from_value(nonce.take_for_scripts()));
}

/// A refusal a plain form route (the thread's attachment form) sent back in the URL, if
/// msgbuddy signed it: the page shows only reasons the server wrote.
pub fn signed_notice(notice: &str, signature: &str) -> Option<String> {
    let keys = &ctx().ok()?.messaging.keys;
    keys.verify_mac("notice", notice.as_bytes(), signature)
        .then(|| notice.to_owned())
}

/// A secret shown once on the page a form returns to (a new invitation link, a new API
/// key). It travels in a short-lived cookie scoped to that page, never in a URL (history,
/// logs, Referer). Reading it changes no stored state (pages may run their reads more than
/// once while rendering); the page's answer deletes the cookie, so it shows once.
pub mod flash {
    use leptos::prelude::use_context;

    fn set_cookie(name: &str, path: &str, value: &str, max_age: u32) {
        let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        let secure = super::ctx().map(|c| c.secure_cookies).unwrap_or(true);
        let cookie = format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
            if secure { "; Secure" } else { "" }
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
            res.append_header(axum::http::header::SET_COOKIE, v);
        }
    }

    fn plain(value: &str) -> bool {
        !value.is_empty()
            && value.len() <= 128
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// Hands `value` (URL-safe characters only) to the page at `path`.
    pub fn pass_on(name: &str, path: &str, value: &str) {
        if plain(value) {
            set_cookie(name, path, value, 120);
        }
    }

    /// The value waiting for this page, if any, and the cookie's deletion.
    pub fn take(name: &str, path: &str) -> Option<String> {
        let parts = use_context::<axum::http::request::Parts>()?;
        let value = parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
            .filter(|v| plain(v))?;
        set_cookie(name, path, "", 0);
        Some(value)
    }
}
