//! `GET /w/{workspace}/exports/contacts.csv` and `.../contacts.json`: the contacts the list's
//! filter (the same query string) matches, streamed a page at a time, for those who
//! manage the workspace.

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use msgbuddy_contacts::export::{self, Format};
use msgbuddy_core::{auth, workspaces};
use msgbuddy_domain::contact::ContactFilter;
use msgbuddy_domain::{AppError, Permission};
use tower_sessions::Session;

pub async fn export(
    State(state): State<AppState>,
    session: Session,
    Path((workspace_id, file)): Path<(String, String)>,
    Query(filter): Query<ContactFilter>,
) -> Result<Response, AppError> {
    let format = match file.as_str() {
        "contacts.csv" => Format::Csv,
        "contacts.json" => Format::Json,
        _ => return Err(AppError::not_found()),
    };
    let db = state.db();
    let user = auth::current_user(db, &session, state.services.absolute_session_ms)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    let member = workspaces::access(db, &user.id, &workspace_id, Permission::ContactsView).await?;
    let first = export::start(db, &member, &filter, format).await?;
    // Each poll reads and writes one page; an error mid-way ends the download short,
    // which the browser reports as a failed download rather than a truncated file.
    let stream = futures::stream::unfold(Some(first), |export| async move {
        let mut export = export?;
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), Some(export))),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    let (content_type, name) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "contacts.csv"),
        Format::Json => ("application/json", "contacts.json"),
    };
    // Fused: the compression layer polls once more after the end, which `unfold` would
    // answer with a panic.
    let mut res = Body::from_stream(stream.fuse()).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(res)
}
