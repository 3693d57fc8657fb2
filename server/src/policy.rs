//! What every HTTP answer obeys, whoever produced it: the body size limit, the error
//! statuses and envelope, the Content-Security-Policy and `Cache-Control`.

use app::server::PageNonce;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use msgbuddy_domain::AppError;

/// Request bodies larger than this answer 413. Routes that take uploads raise it for
/// themselves.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The header server functions mark their errors with.
const SERVER_FN_ERROR: &str = "serverfnerror";

/// Upload bodies: the largest file plus room for the multipart framing and fields.
pub const MAX_UPLOAD_BODY_BYTES: usize = msgbuddy_media::MAX_BYTES + 64 * 1024;

/// Contact import bodies: the largest importable file plus room for the form around it.
pub const MAX_IMPORT_BODY_BYTES: usize =
    msgbuddy_domain::contact_import::MAX_IMPORT_BYTES + 64 * 1024;

/// The routes that take a file: the partner API's `POST /api/v1/media`, the thread's
/// attachment form, `POST /w/{workspace}/conversations/{conversation}/attachment`, and
/// the contact import form, `POST /w/{workspace}/contacts/imports`.
pub fn is_upload(path: &str) -> bool {
    upload_limit(path).is_some()
}

/// The body limit of an upload route, `None` for any other path.
fn upload_limit(path: &str) -> Option<usize> {
    match path {
        "/api/v1/media" => return Some(MAX_UPLOAD_BODY_BYTES),
        "/api/v1/contacts/import" => return Some(MAX_IMPORT_BODY_BYTES),
        _ => {}
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["w", ws, "conversations", conversation, "attachment"]
            if !ws.is_empty() && !conversation.is_empty() =>
        {
            Some(MAX_UPLOAD_BODY_BYTES)
        }
        ["w", ws, "contacts", "imports"] if !ws.is_empty() => Some(MAX_IMPORT_BODY_BYTES),
        _ => None,
    }
}

/// Refuses bodies over [`MAX_BODY_BYTES`] (an upload route's own limit on those): at once
/// when `Content-Length` says so, and while reading when a streamed body grows past it.
pub async fn limit_body(req: Request, next: Next) -> Response {
    let limit = upload_limit(req.uri().path()).unwrap_or(MAX_BODY_BYTES);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return AppError::payload_too_large(limit).into_response();
    }
    next.run(req.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

/// Server functions answer every error with HTTP 500; this re-answers them through
/// [`AppError`]'s `IntoResponse`, the one place codes become statuses (and `Retry-After`),
/// so a server function's 404 is a 404 like any other route's. A plain form post's error
/// stays the redirect back to its page that Leptos makes, which shows the error there.
/// An `/api/` path no server function answers is a 404 in the same envelope.
pub async fn answer_errors(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if let Some(marker) = res.headers().get(SERVER_FN_ERROR).cloned() {
        if res.status().is_redirection() {
            return res;
        }
        let body = to_bytes(res.into_body(), MAX_BODY_BYTES).await;
        let error = body
            .ok()
            .and_then(|bytes| AppError::from_body(&bytes))
            .unwrap_or_else(AppError::internal);
        let mut res = error.into_response();
        res.headers_mut().insert(SERVER_FN_ERROR, marker);
        return res;
    }
    // Leptos answers a path with no server function (or the wrong method) with a plain 400,
    // or the HTML 404 page for a GET.
    if is_api
        && matches!(
            res.status(),
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND
        )
    {
        return AppError::new(
            msgbuddy_domain::ErrorCode::NotFound,
            "There is no API call at this address with this method.",
        )
        .into_response();
    }
    res
}

/// Every HTML answer carries a CSP, set here from the request's [`PageNonce`]: a page
/// gets the policy with the nonce its shell put on its scripts, any other HTML (the CSRF
/// refusal, the API docs) the policy that runs no script at all. Pages, API answers and
/// the event stream are never stored by a cache: they are per-user and carry CSRF tokens.
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let private_path = path.starts_with("/api/") || path == "/events";
    let nonce = PageNonce::new();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = res.headers_mut();
    // A route that sets its own (a media file's sandbox) keeps it.
    if is_html
        && !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(policy) = HeaderValue::from_str(&nonce.policy())
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if (is_html || private_path) && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::post;
    use msgbuddy_domain::ErrorCode;
    use tower::ServiceExt;

    /// A server function's error answer, as Leptos makes it: HTTP 500, the marker header,
    /// the error's own encoding as body.
    fn server_fn_error(code: ErrorCode) -> Response {
        let mut error = AppError::new(code, "x");
        if code == ErrorCode::RateLimited {
            error = AppError::rate_limited(90);
        }
        Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header(SERVER_FN_ERROR, "/api/x")
            .body(Body::from(error.to_body().to_string()))
            .unwrap_or_default()
    }

    /// The policy comes from the request's nonce: a page that put it on its scripts is
    /// answered with it, any other HTML with no script at all, and a route's own CSP stays.
    #[tokio::test]
    async fn html_answers_get_the_policy_of_the_nonce_they_used() {
        use axum::routing::get;
        let html = |body: String| {
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .body(Body::from(body))
                .unwrap_or_default()
        };
        let app = Router::new()
            .route(
                "/page",
                get(move |req: Request| async move {
                    let nonce = req.extensions().get::<PageNonce>().cloned();
                    let value = nonce.map(|n| n.take_for_scripts()).unwrap_or_default();
                    html(format!("<script nonce=\"{value}\"></script>"))
                }),
            )
            .route("/refusal", get(move || async move { html("no".into()) }))
            .route(
                "/own",
                get(|| async {
                    let mut res = Response::new(Body::from("x"));
                    let headers = res.headers_mut();
                    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
                    headers.insert(
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'none'; sandbox"),
                    );
                    res
                }),
            )
            .layer(axum::middleware::from_fn(security_headers));
        let answer = |path: &'static str| {
            let app = app.clone();
            async move {
                let req = Request::get(path).body(Body::empty()).unwrap_or_default();
                let res = app.oneshot(req).await.unwrap_or_default();
                let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
                    .to_str()
                    .unwrap_or_default()
                    .to_owned();
                let body = to_bytes(res.into_body(), 1024).await.unwrap_or_default();
                (csp, String::from_utf8_lossy(&body).into_owned())
            }
        };
        let (csp, body) = answer("/page").await;
        let value = body
            .split('"')
            .nth(1)
            .filter(|v| v.len() == 32)
            .expect("a nonce on the script");
        assert!(
            csp.contains(&format!("script-src 'nonce-{value}' 'strict-dynamic'")),
            "{csp}"
        );
        let (again, _) = answer("/page").await;
        assert_ne!(csp, again, "each answer has its own nonce");
        let (csp, _) = answer("/refusal").await;
        assert!(csp.contains("script-src 'none'"), "{csp}");
        let (csp, _) = answer("/own").await;
        assert_eq!(csp, "default-src 'none'; sandbox");
    }

    #[test]
    fn only_the_upload_routes_take_large_bodies() {
        assert!(is_upload("/api/v1/media"));
        assert!(is_upload("/w/ws_1/conversations/cv_1/attachment"));
        assert!(is_upload("/w/ws_1/contacts/imports"));
        assert_eq!(
            upload_limit("/w/ws_1/contacts/imports"),
            Some(MAX_IMPORT_BODY_BYTES)
        );
        assert_eq!(upload_limit("/api/v1/media"), Some(MAX_UPLOAD_BODY_BYTES));
        for path in [
            "/w//contacts/imports",
            "/w/ws_1/contacts/imports/imp_1",
            "/w/ws_1/contacts/imports/imp_1/errors.csv",
            "/api/v1/media/x",
            "/api/v1/messages",
            "/w/ws_1/conversations/cv_1",
            "/w//conversations/cv_1/attachment",
            "/w/ws_1/conversations/cv_1/attachment/x",
            "/x/w/ws_1/conversations/cv_1/attachment",
        ] {
            assert!(!is_upload(path), "{path}");
        }
    }

    #[tokio::test]
    async fn every_error_code_leaves_a_server_function_with_its_own_status() {
        for code in ErrorCode::ALL {
            let app = Router::new()
                .route("/api/x", post(move || async move { server_fn_error(code) }))
                .layer(axum::middleware::from_fn(answer_errors));
            let req = Request::post("/api/x")
                .body(Body::empty())
                .unwrap_or_default();
            let res = app.oneshot(req).await.unwrap_or_default();
            assert_eq!(res.status().as_u16(), code.http_status(), "{code:?}");
            let retry = res.headers().get(header::RETRY_AFTER).cloned();
            assert_eq!(
                retry.is_some(),
                code == ErrorCode::RateLimited,
                "Retry-After for {code:?}"
            );
            let body = to_bytes(res.into_body(), 4096).await.unwrap_or_default();
            let error = AppError::from_body(&body).map(|e| e.code);
            assert_eq!(error, Some(code), "the envelope survives");
        }
    }

    #[tokio::test]
    async fn a_declared_body_over_the_limit_is_refused_before_it_is_read() {
        let app = Router::new()
            .route("/api/x", post(|| async { "read" }))
            .layer(axum::middleware::from_fn(limit_body));
        let req = Request::post("/api/x")
            .header(header::CONTENT_LENGTH, (MAX_BODY_BYTES + 1).to_string())
            .body(Body::empty())
            .unwrap_or_default();
        let res = app.oneshot(req).await.unwrap_or_default();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
