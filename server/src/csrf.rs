//! CSRF protection for every state-changing request.
//!
//! Two independent checks, both required for POST, PUT, PATCH and DELETE:
//! 1. the browser's own provenance headers: `Sec-Fetch-Site: cross-site`, or an `Origin`
//!    that is not this host, is refused;
//! 2. a synchronizer token: the expected token must come back in the `x-csrf-token` header
//!    or the `csrf_token` form field (every form renders it as a hidden input).
//!
//! A logged-in session keeps its token in the session. A visitor who is not logged in has
//! nothing worth a session row, so their token (for the login and sign-up forms) lives in a
//! cookie of its own instead and is checked against itself (double submit, with the
//! provenance check above and `SameSite=Strict`): loading a page never writes to the
//! database.
//!
//! Safe requests (GET, HEAD, OPTIONS) change nothing anywhere in msgbuddy; for page loads
//! this layer finds or creates the token and hands it to the renderer.

use app::components::csrf::{CsrfToken, FIELD};
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use msgbuddy_core::auth;
use msgbuddy_core::crypto::{random_token, secure_eq};
use msgbuddy_domain::AppError;
use tower_sessions::Session;
use tower_sessions::cookie::{Cookie, SameSite};

/// Form bodies are buffered for the token check up to the server's body limit.
const MAX_FORM_BYTES: usize = crate::routes::MAX_BODY_BYTES;

/// Where a visitor's token lives before they log in.
#[derive(Debug, Clone, Copy)]
pub struct CsrfSettings {
    pub secure: bool,
}

impl CsrfSettings {
    /// `__Host-` cookies can only be set by this exact host over HTTPS, so a sibling
    /// subdomain cannot plant a token; plain HTTP on loopback (development) cannot use it.
    fn cookie_name(self) -> &'static str {
        if self.secure {
            "__Host-msgbuddy_csrf"
        } else {
            "msgbuddy_csrf"
        }
    }

    fn cookie(self, token: String) -> Option<HeaderValue> {
        let cookie = Cookie::build((self.cookie_name(), token))
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Strict)
            .path("/")
            .build();
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    fn token_in_cookie(self, headers: &HeaderMap) -> Option<String> {
        app::server::cookie_token(headers, self.cookie_name())
    }
}

/// Marks a file form whose token the upload route must check itself, in the body.
#[derive(Debug, Clone, Copy)]
pub struct TokenInBody;

/// Why a request was refused.
enum Refusal {
    Forged(&'static str),
    TooLarge,
}

pub async fn protect(
    State(settings): State<CsrfSettings>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe {
        return pass_token_to_renderer(settings, session, req, next).await;
    }
    // Providers call webhooks with their own signatures and no browser session; the
    // webhook endpoint verifies them.
    // The partner API authenticates with bearer keys, never the session cookie.
    if req.uri().path().starts_with("/webhooks/") || req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let wants_html = accepts_html(req.headers());
    match verify(settings, &session, req).await {
        Ok(req) => next.run(req).await,
        Err(Refusal::TooLarge) => AppError::payload_too_large(MAX_FORM_BYTES).into_response(),
        Err(Refusal::Forged(reason)) => {
            tracing::warn!(%reason, "CSRF check refused a request");
            reject(wants_html)
        }
    }
}

async fn pass_token_to_renderer(
    settings: CsrfSettings,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let mut new_cookie = None;
    let token = match auth::existing_csrf_token(&session).await.ok().flatten() {
        Some(token) => Some(token),
        None => match settings.token_in_cookie(req.headers()) {
            Some(token) => Some(token),
            // Only HTML page loads get a token made; assets and streams never do.
            None if accepts_html(req.headers()) => {
                let token = random_token();
                new_cookie = settings.cookie(token.clone());
                Some(token)
            }
            None => None,
        },
    };
    if let Some(token) = token {
        req.extensions_mut().insert(CsrfToken(token));
    }
    let mut res = next.run(req).await;
    if let Some(cookie) = new_cookie {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(site, Some("cross-site" | "same-site")) {
        return Err("cross-site request");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
        if origin == "null" || origin_host != host {
            return Err("origin does not match host");
        }
    }
    Ok(())
}

/// Checks the request and hands the verified token on (server functions check it again).
async fn verify(
    settings: CsrfSettings,
    session: &Session,
    mut req: Request,
) -> Result<Request, Refusal> {
    same_origin(req.headers()).map_err(Refusal::Forged)?;
    let expected = match auth::existing_csrf_token(session).await.ok().flatten() {
        Some(token) => token,
        None => settings
            .token_in_cookie(req.headers())
            .ok_or(Refusal::Forged("no token in the session or the cookie"))?,
    };
    req.extensions_mut().insert(CsrfToken(expected.clone()));
    if let Some(given) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if secure_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(req)
        } else {
            Err(Refusal::Forged("header token mismatch"))
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // A file form is too large to buffer here: the upload route reads the token from
    // the form's first field before it reads the file (`routes::attachments`), against
    // the expected token handed on above.
    if content_type.starts_with("multipart/form-data") && crate::policy::is_upload(req.uri().path())
    {
        req.extensions_mut().insert(TokenInBody);
        return Ok(req);
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return Err(Refusal::Forged("no token header on a non-form request"));
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| Refusal::TooLarge)?;
    let given = form_field(&bytes, FIELD).ok_or(Refusal::Forged("form has no token"))?;
    if !secure_eq(given.as_bytes(), expected.as_bytes()) {
        return Err(Refusal::Forged("form token mismatch"));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The first value of `name` in an urlencoded form.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut kv = pair.splitn(2, |b| *b == b'=');
        let key = kv.next()?;
        (key == name.as_bytes()).then(|| percent_decode(kv.next().unwrap_or_default()))
    })
}

fn percent_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reject(wants_html: bool) -> Response {
    let error = AppError::csrf();
    if wants_html {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Form expired · msgbuddy</title></head>\
             <body><main data-testid=\"csrf-error\"><h1>This form has expired</h1><p>{}</p><p><a href=\"/\">Back to msgbuddy</a></p></main></body></html>",
            app::components::head::escape_html(&error.message)
        );
        (axum::http::StatusCode::FORBIDDEN, Html(page)).into_response()
    } else {
        error.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_found_and_decoded() {
        let body = b"name=Acme+Inc&csrf_token=abc%2Dd_e&x=1";
        assert_eq!(form_field(body, "csrf_token").as_deref(), Some("abc-d_e"));
        assert_eq!(form_field(body, "name").as_deref(), Some("Acme Inc"));
        assert_eq!(form_field(body, "missing"), None);
        assert_eq!(
            form_field(b"csrf_token=%zz", "csrf_token").as_deref(),
            Some("%zz")
        );
        assert_eq!(
            form_field(b"csrf_token=%4", "csrf_token").as_deref(),
            Some("%4")
        );
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:3000".parse().expect("header"));
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            "http://127.0.0.1:3000".parse().expect("header"),
        );
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            "https://evil.example".parse().expect("header"),
        );
        assert!(same_origin(&h).is_err());
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", "cross-site".parse().expect("header"));
        assert!(same_origin(&h).is_err());
    }
}
