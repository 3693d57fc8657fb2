//! `/api/v1/contacts`: create, read, change, delete and list contacts, and bulk imports.

use super::{Authed, Quota, answer, failure, mutate, read_body};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msgbuddy_contacts::api::{
    self, ApiContact, ApiImport, ContactInput, ContactPage, ContactQuery, ImportOptions,
};
use msgbuddy_domain::AppError;

fn bad_query(quota: &Quota) -> Response {
    failure(
        AppError::validation("A query parameter is not valid; see the API documentation.").into(),
        quota,
    )
}

/// Make a contact.
#[utoipa::path(
    post,
    path = "/api/v1/contacts",
    tag = "contacts",
    request_body = ContactInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this call safe, as for messages.")),
    responses(
        (status = 201, description = "Made", body = ApiContact),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 422, description = "A detail is not valid (`details.field` names it: `name`, `phone`, `field.<key>`, ...), or another contact has this phone, email or Telegram id", body = super::docs::ErrorEnvelope),
        (status = 429, description = "Over the key's rate limit; see Retry-After", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let db = state.services.messaging.db();
    mutate(
        &state,
        &caller,
        &headers,
        &quota,
        "POST /api/v1/contacts",
        &body,
        StatusCode::CREATED,
        async {
            let input: ContactInput = read_body(&body, "contact")?;
            api::create(db, &caller.actor(), &caller.member, &input).await
        },
    )
    .await
}

/// One contact.
#[utoipa::path(
    get,
    path = "/api/v1/contacts/{id}",
    tag = "contacts",
    params(("id" = String, Path, description = "The contact id (`ct_…`)")),
    responses(
        (status = 200, description = "The contact", body = ApiContact),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such contact in this workspace and mode", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    answer(
        api::get(db, &caller.member, &id).await,
        StatusCode::OK,
        &quota,
    )
}

/// Change a contact: only what the body names.
#[utoipa::path(
    patch,
    path = "/api/v1/contacts/{id}",
    tag = "contacts",
    request_body = ContactInput,
    params(
        ("id" = String, Path, description = "The contact id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this call safe, as for messages."),
    ),
    responses(
        (status = 200, description = "The contact afterwards", body = ApiContact),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such contact in this workspace and mode", body = super::docs::ErrorEnvelope),
        (status = 422, description = "A detail is not valid; nothing changed", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let db = state.services.messaging.db();
    let what = format!("PATCH /api/v1/contacts/{id}");
    mutate(
        &state,
        &caller,
        &headers,
        &quota,
        &what,
        &body,
        StatusCode::OK,
        async {
            let input: ContactInput = read_body(&body, "contact")?;
            api::update(db, &caller.actor(), &caller.member, &id, &input).await
        },
    )
    .await
}

/// Delete a contact. Members can restore it from its page for ten minutes; after that it
/// is gone with its conversations.
#[utoipa::path(
    delete,
    path = "/api/v1/contacts/{id}",
    tag = "contacts",
    params(("id" = String, Path, description = "The contact id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such contact in this workspace and mode", body = super::docs::ErrorEnvelope),
        (status = 409, description = "Already deleted", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    match api::delete(db, &caller.actor(), &caller.member, &id).await {
        Ok(()) => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            quota.apply(&mut res);
            res
        }
        Err(e) => failure(e, &quota),
    }
}

/// Contacts, filtered, 50 a page.
#[utoipa::path(
    get,
    path = "/api/v1/contacts",
    tag = "contacts",
    params(ContactQuery),
    responses(
        (status = 200, description = "A page of contacts", body = ContactPage),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 422, description = "A filter is not valid (`details.field` names it)", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    query: Result<Query<ContactQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_query(&quota);
    };
    let db = state.services.messaging.db();
    answer(
        api::list(db, &caller.member, &query).await,
        StatusCode::OK,
        &quota,
    )
}

/// Import contacts from a CSV or JSON file (the request body, up to 50 MB).
///
/// CSV: a header line, then a contact a line (comma or semicolon, quoted cells, UTF-8).
/// JSON: an array of objects. Columns are matched by name to `name`, `phone`, `email`,
/// `telegram_id`, `language`, `tags` (comma-separated names; new ones are made),
/// `opted_out` (yes/no) and custom fields (by key or label). The import runs in the
/// background; follow it with `GET /api/v1/contacts/imports/{id}`.
#[utoipa::path(
    post,
    path = "/api/v1/contacts/import",
    tag = "contacts",
    params(ImportOptions, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this call safe: the same key and file answer the first import again.")),
    request_body(content = String, content_type = "text/csv", description = "The file: CSV, or JSON sent as application/json"),
    responses(
        (status = 202, description = "Queued", body = ApiImport),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 413, description = "Larger than 50 MB", body = super::docs::ErrorEnvelope),
        (status = 422, description = "Not a file msgbuddy can read, or no column is a name, phone, email or Telegram id", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    headers: HeaderMap,
    options: Result<Query<ImportOptions>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Response {
    let Ok(Query(options)) = options else {
        return bad_query(&quota);
    };
    let db = state.services.messaging.db();
    let what = format!(
        "POST /api/v1/contacts/import?{}",
        serde_json::to_string(&options).unwrap_or_default()
    );
    mutate(
        &state,
        &caller,
        &headers,
        &quota,
        &what,
        &body,
        StatusCode::ACCEPTED,
        async { api::start_import(db, &caller.actor(), &caller.member, &options, &body).await },
    )
    .await
}

/// An import and how far it has got.
#[utoipa::path(
    get,
    path = "/api/v1/contacts/imports/{id}",
    tag = "contacts",
    params(("id" = String, Path, description = "The import id (`imp_…`)")),
    responses(
        (status = 200, description = "The import", body = ApiImport),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such import in this workspace and mode", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_import(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    answer(
        api::get_import(db, &caller.member, &id).await,
        StatusCode::OK,
        &quota,
    )
}

/// The rows an import refused, as CSV: `line` (the file's line), `reason`, `row`.
#[utoipa::path(
    get,
    path = "/api/v1/contacts/imports/{id}/errors",
    tag = "contacts",
    params(("id" = String, Path, description = "The import id")),
    responses(
        (status = 200, description = "The refused rows", body = String, content_type = "text/csv"),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such import in this workspace and mode", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn import_errors(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    match msgbuddy_contacts::import::errors_report(db, &caller.member, &id).await {
        Ok(report) => {
            let mut res = crate::routes::contact_imports::report_body(report).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            quota.apply(&mut res);
            res
        }
        Err(e) => failure(e, &quota),
    }
}
