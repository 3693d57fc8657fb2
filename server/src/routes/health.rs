//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let db = state.db();
    let backend = db.backend().as_str();
    let version = env!("CARGO_PKG_VERSION");
    if db.ping().await {
        (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": backend, "version": version })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": backend, "version": version })),
        )
    }
}
