//! The partner REST API, `/api/v1`: API keys as bearer tokens (`ak_live_`, `ak_test_`),
//! per-key rate limits with `RateLimit-*` headers, `Idempotency-Key` on every mutating
//! call, errors in the one envelope, and an OpenAPI document generated from the code.
//! The handlers are thin: the meaning is `msgbuddy_messaging::api`.

mod docs;
mod messages;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use msgbuddy_core::rate_limit::{self, Limit};
use msgbuddy_domain::AppError;
use msgbuddy_messaging::api_keys::{self, Caller};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/messages",
            get(messages::list).post(messages::create),
        )
        .route("/api/v1/messages/{id}", get(messages::get_one))
        .route("/api/v1/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::page))
}

/// A key's calls in the current minute, for the `RateLimit-*` headers.
struct Quota(rate_limit::Count);

impl Quota {
    fn apply(&self, res: &mut Response) {
        let headers = res.headers_mut();
        let c = &self.0;
        for (name, value) in [
            ("ratelimit-limit", c.max),
            ("ratelimit-remaining", c.remaining()),
            ("ratelimit-reset", (c.reset_in_ms + 999) / 1000),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
}

/// Authenticates the key and counts the call against its limit. A call over the limit is
/// a 429 with `Retry-After` and the same headers.
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<(Caller, Quota), Response> {
    let m = &state.services.messaging;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = api_keys::authenticate(m, authorization)
        .await
        .map_err(|e| e.into_app_error().into_response())?;
    let limit = Limit {
        max: caller.rate_per_minute,
        window_ms: 60_000,
    };
    let count = rate_limit::count(m.db(), &format!("api:{}", caller.key_id), limit)
        .await
        .map_err(|e| e.into_app_error().into_response())?;
    let quota = Quota(count);
    if !count.allowed() {
        let secs = u64::try_from((count.reset_in_ms + 999) / 1000).unwrap_or(1);
        let mut res = AppError::rate_limited(secs).into_response();
        quota.apply(&mut res);
        return Err(res);
    }
    Ok((caller, quota))
}
