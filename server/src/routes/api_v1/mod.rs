//! The partner REST API, `/api/v1`: API keys as bearer tokens (`ak_live_`, `ak_test_`),
//! per-key rate limits with `RateLimit-*` headers, `Idempotency-Key` on every mutating
//! call, errors in the one envelope, and an OpenAPI document generated from the code.
//! The handlers are thin: the meaning is `msgbuddy_messaging::api`.

mod audiences;
mod contacts;
mod docs;
mod media;
mod messages;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use msgbuddy_core::rate_limit::{self, Limit};
use msgbuddy_domain::AppError;
use msgbuddy_messaging::api_keys::{self, Caller};
use msgbuddy_messaging::idempotency::{self, Begin};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/messages",
            get(messages::list).post(messages::create),
        )
        .route("/api/v1/messages/{id}", get(messages::get_one))
        .route(
            "/api/v1/contacts",
            get(contacts::list).post(contacts::create),
        )
        .route(
            "/api/v1/contacts/{id}",
            get(contacts::get_one)
                .patch(contacts::update)
                .delete(contacts::delete),
        )
        .route("/api/v1/contacts/import", post(contacts::import))
        .route("/api/v1/contacts/imports/{id}", get(contacts::get_import))
        .route(
            "/api/v1/contacts/imports/{id}/errors",
            get(contacts::import_errors),
        )
        .route("/api/v1/contacts/{id}/tags", post(audiences::tag_contact))
        .route(
            "/api/v1/contacts/{id}/tags/{tag}",
            delete(audiences::untag_contact),
        )
        .route("/api/v1/tags", get(audiences::list_tags))
        .route(
            "/api/v1/segments",
            get(audiences::list_segments).post(audiences::create_segment),
        )
        .route(
            "/api/v1/segments/{id}",
            get(audiences::get_segment).delete(audiences::delete_segment),
        )
        .route(
            "/api/v1/groups",
            get(audiences::list_groups).post(audiences::create_group),
        )
        .route(
            "/api/v1/groups/{id}",
            get(audiences::get_group).delete(audiences::delete_group),
        )
        .route(
            "/api/v1/groups/{id}/contacts",
            post(audiences::add_to_group),
        )
        .route(
            "/api/v1/groups/{id}/contacts/remove",
            post(audiences::remove_from_group),
        )
        .route("/api/v1/media", post(media::upload))
        .route("/api/v1/media/{id}", get(media::download))
        .route("/api/v1/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::page))
}

fn json_answer(status: StatusCode, body: String, quota: &Quota) -> Response {
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    quota.apply(&mut res);
    res
}

/// A read's answer: the value as JSON with `status`, or the error.
fn answer<T: Serialize>(
    result: msgbuddy_core::Result<T>,
    status: StatusCode,
    quota: &Quota,
) -> Response {
    match result {
        Ok(value) => json_answer(
            status,
            serde_json::to_string(&value).unwrap_or_default(),
            quota,
        ),
        Err(e) => failure(e, quota),
    }
}

/// A JSON request body, or a validation error naming what it should have been.
fn read_body<T: DeserializeOwned>(body: &[u8], what: &str) -> msgbuddy_core::Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        AppError::validation(format!("The request body is not a valid {what}: {e}")).into()
    })
}

/// A mutating call answered with `status` and its value as JSON, under its
/// `Idempotency-Key` (see [`idempotent`]); `what` is its method and path.
#[allow(clippy::too_many_arguments)]
async fn mutate<T: Serialize>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    quota: &Quota,
    what: &str,
    body: &[u8],
    status: StatusCode,
    call: impl Future<Output = msgbuddy_core::Result<T>>,
) -> Response {
    // The body by its digest: an import's may be 50 MB.
    let fingerprint = format!("{what}\n{}", msgbuddy_core::crypto::sha256_hex(body));
    idempotent(
        &state.services.messaging,
        caller,
        headers,
        quota,
        &fingerprint,
        async {
            let value = call.await?;
            Ok((status, serde_json::to_string(&value).unwrap_or_default()))
        },
    )
    .await
}

fn failure(e: msgbuddy_core::Error, quota: &Quota) -> Response {
    let mut res = e.into_app_error().into_response();
    quota.apply(&mut res);
    res
}

/// Runs a mutating call under its `Idempotency-Key`, if it has one: the same key and
/// `fingerprint` (method, path and body) answer the saved response again, another body
/// 422, a retry while the first is running 409. Keys are per workspace and mode; a
/// server error is not saved, so it can be retried.
async fn idempotent(
    m: &msgbuddy_messaging::Messaging,
    caller: &Caller,
    headers: &HeaderMap,
    quota: &Quota,
    fingerprint: &str,
    call: impl Future<Output = msgbuddy_core::Result<(StatusCode, String)>>,
) -> Response {
    let ws = caller.member.workspace_id.as_str();
    let mode = caller.mode.as_str();
    let key = match headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or("\u{0}"))
    {
        None => None,
        Some(raw) => match idempotency::parse_key(raw) {
            Ok(k) => Some(k),
            Err(e) => return failure(e.into(), quota),
        },
    };
    if let Some(key) = &key {
        let hash = msgbuddy_core::crypto::token_hash(fingerprint);
        match idempotency::begin(m.db(), ws, mode, key, &hash).await {
            Ok(Begin::Proceed) => {}
            Ok(Begin::Replay { status, body }) => {
                let mut res = json_answer(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                    body,
                    quota,
                );
                res.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return res;
            }
            Err(e) => return failure(e, quota),
        }
    }
    let (status, answer) = match call.await {
        Ok(ok) => ok,
        Err(e) => {
            let e = e.into_app_error();
            let status = StatusCode::from_u16(e.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, e.to_body().to_string())
        }
    };
    if let Some(key) = &key {
        let saved = if status.is_server_error() {
            idempotency::abandon(m.db(), ws, mode, key).await
        } else {
            idempotency::finish(m.db(), ws, mode, key, status.as_u16(), &answer).await
        };
        if let Err(e) = saved {
            tracing::error!(error = %e, "could not save an idempotent answer");
        }
    }
    json_answer(status, answer, quota)
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

/// The key behind a partner API call, authenticated and counted against its limit (see
/// [`caller`]); a handler that takes it answers only calls that got that far.
struct Authed {
    caller: Caller,
    quota: Quota,
}

impl axum::extract::FromRequestParts<AppState> for Authed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        let (caller, quota) = caller(state, &parts.headers).await?;
        Ok(Self { caller, quota })
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
