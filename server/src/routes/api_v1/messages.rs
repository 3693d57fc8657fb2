//! `/api/v1/messages`: send one, read one, list them.

use super::{caller, failure};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use msgbuddy_domain::AppError;
use msgbuddy_messaging::api::{self, ApiMessage, ListFilter, MessagePage, Queued, SendRequest};

/// Queue a message.
#[utoipa::path(
    post,
    path = "/api/v1/messages",
    tag = "messages",
    request_body = SendRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this call safe: the same key and body get the first answer again; another body, 422; while the first is still being answered, 409. Kept at least 24 hours, per workspace and mode.")),
    responses(
        (status = 202, description = "Stored and queued for sending", body = Queued),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 409, description = "A call with this Idempotency-Key is still being answered", body = super::docs::ErrorEnvelope),
        (status = 422, description = "Invalid request, a rule of the channel refused it, or the Idempotency-Key was used with another body", body = super::docs::ErrorEnvelope),
        (status = 429, description = "Over the key's rate limit; see Retry-After", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (caller, quota) = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let m = &state.services.messaging;
    let fingerprint = format!("POST /api/v1/messages\n{}", String::from_utf8_lossy(&body));
    super::idempotent(m, &caller, &headers, &quota, &fingerprint, async {
        match serde_json::from_slice::<SendRequest>(&body) {
            Ok(req) => api::send(m, &caller, &req).await.map(|queued| {
                (
                    StatusCode::ACCEPTED,
                    serde_json::to_string(&queued).unwrap_or_default(),
                )
            }),
            Err(e) => Err(AppError::validation(format!(
                "The request body is not a valid message: {e}"
            ))
            .into()),
        }
    })
    .await
}

/// One message, with its status and, for failed ones, the provider's error.
#[utoipa::path(
    get,
    path = "/api/v1/messages/{id}",
    tag = "messages",
    params(("id" = String, Path, description = "The message id (`msg_…`)")),
    responses(
        (status = 200, description = "The message", body = ApiMessage),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such message in this workspace and mode", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (caller, quota) = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    match api::get(&state.services.messaging, &caller, &id).await {
        Ok(message) => {
            let mut res = Json(message).into_response();
            quota.apply(&mut res);
            res
        }
        Err(e) => failure(e, &quota),
    }
}

/// Messages, newest first, filtered; a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/messages",
    tag = "messages",
    params(ListFilter),
    responses(
        (status = 200, description = "A page of messages", body = MessagePage),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 422, description = "A filter is not valid", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    filter: Result<Query<ListFilter>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (caller, quota) = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let Ok(Query(filter)) = filter else {
        return failure(
            AppError::validation("A filter is not valid; see the API documentation.").into(),
            &quota,
        );
    };
    match api::list(&state.services.messaging, &caller, &filter).await {
        Ok(page) => {
            let mut res = Json(page).into_response();
            quota.apply(&mut res);
            res
        }
        Err(e) => failure(e, &quota),
    }
}
