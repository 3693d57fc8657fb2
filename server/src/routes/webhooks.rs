//! `GET` and `POST /webhooks/{channel_id}`: what providers call. Verification and storage
//! are the pipeline's (`msgbuddy_messaging::inbound::receive`); this only hands the request
//! over as it arrived and answers what the pipeline says.

use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use msgbuddy_channels::WebhookRequest;
use msgbuddy_messaging::inbound;

pub async fn webhook(
    State(state): State<AppState>,
    Path(channel_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let m = &state.services.messaging;
    // The URL as the provider called it: Twilio signs it.
    let url = format!(
        "{}{}",
        m.public_url,
        uri.path_and_query().map_or(uri.path(), |p| p.as_str())
    );
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let request = WebhookRequest {
        method: method.as_str(),
        url: &url,
        query: uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    match inbound::receive(m, &channel_id, &request).await {
        Ok(answer) => (
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK),
            [(header::CONTENT_TYPE, answer.content_type)],
            answer.body,
        )
            .into_response(),
        Err(e) => e.into_app_error().into_response(),
    }
}
