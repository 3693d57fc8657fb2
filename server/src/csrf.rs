//! CSRF protection for every state-changing request.
//!
//! Two independent checks, both required for POST, PUT, PATCH and DELETE:
//! 1. the browser's own provenance headers: `Sec-Fetch-Site: cross-site`, or an `Origin`
//!    that is not this host, is refused;
//! 2. a synchronizer token: the session's token must come back in the `x-csrf-token`
//!    header or the `csrf_token` form field (every form renders it as a hidden input).
//!
//! Safe requests (GET, HEAD, OPTIONS) change nothing anywhere in msgbuddy; for page loads
//! this layer makes sure the session has a token and hands it to the renderer.

use app::components::csrf::{CsrfToken, FIELD};
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use msgbuddy_core::auth;
use msgbuddy_core::crypto::secure_eq;
use msgbuddy_domain::AppError;
use tower_sessions::Session;

/// Form bodies larger than this are not buffered for the token check.
const MAX_FORM_BYTES: usize = 1 << 20;

pub async fn protect(session: Session, req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe {
        return pass_token_to_renderer(session, req, next).await;
    }
    let wants_html = accepts_html(req.headers());
    match verify(&session, req).await {
        Ok(req) => next.run(req).await,
        Err(reason) => {
            tracing::warn!(%reason, "CSRF check refused a request");
            reject(wants_html)
        }
    }
}

async fn pass_token_to_renderer(session: Session, mut req: Request, next: Next) -> Response {
    // Only HTML page loads get a token created; assets and streams never start sessions.
    let token = if accepts_html(req.headers()) {
        auth::csrf_token(&session).await.ok()
    } else {
        auth::existing_csrf_token(&session).await.ok().flatten()
    };
    if let Some(token) = token {
        req.extensions_mut().insert(CsrfToken(token));
    }
    next.run(req).await
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

async fn verify(session: &Session, req: Request) -> Result<Request, &'static str> {
    same_origin(req.headers())?;
    let expected = auth::existing_csrf_token(session)
        .await
        .ok()
        .flatten()
        .ok_or("session has no token")?;
    if let Some(given) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if secure_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(req)
        } else {
            Err("header token mismatch")
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err("no token header on a non-form request");
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| "form body too large")?;
    let given = form_field(&bytes, FIELD).ok_or("form has no token")?;
    if !secure_eq(given.as_bytes(), expected.as_bytes()) {
        return Err("form token mismatch");
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
            error.message
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
