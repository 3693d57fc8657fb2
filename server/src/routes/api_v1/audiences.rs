//! `/api/v1/tags`, `/api/v1/segments` and `/api/v1/groups`, and tagging a contact.

use super::{Authed, answer, failure, mutate, read_body};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use msgbuddy_contacts::api::{
    self, ApiGroup, ApiSegment, ApiTag, Changed, GroupContacts, GroupInput, SegmentInput,
    TagRequest,
};

fn no_content(result: msgbuddy_core::Result<()>, quota: &super::Quota) -> Response {
    match result {
        Ok(()) => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            quota.apply(&mut res);
            res
        }
        Err(e) => failure(e, quota),
    }
}

/// The workspace's tags.
#[utoipa::path(
    get,
    path = "/api/v1/tags",
    tag = "tags",
    responses(
        (status = 200, description = "Every tag, by name", body = Vec<ApiTag>),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_tags(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
) -> Response {
    let db = state.services.messaging.db();
    answer(
        api::list_tags(db, &caller.member).await,
        StatusCode::OK,
        &quota,
    )
}

/// Put a tag on a contact.
#[utoipa::path(
    post,
    path = "/api/v1/contacts/{id}/tags",
    tag = "tags",
    request_body = TagRequest,
    params(("id" = String, Path, description = "The contact id")),
    responses(
        (status = 204, description = "The contact has the tag (whether or not it had it before)"),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such contact in this workspace and mode", body = super::docs::ErrorEnvelope),
        (status = 422, description = "No such tag", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn tag_contact(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let db = state.services.messaging.db();
    let done = async {
        let req: TagRequest = read_body(&body, "tag")?;
        api::tag_contact(db, &caller.member, &id, &req.tag, true).await?;
        Ok(())
    };
    no_content(done.await, &quota)
}

/// Take a tag off a contact.
#[utoipa::path(
    delete,
    path = "/api/v1/contacts/{id}/tags/{tag}",
    tag = "tags",
    params(
        ("id" = String, Path, description = "The contact id"),
        ("tag" = String, Path, description = "The tag's name or id"),
    ),
    responses(
        (status = 204, description = "The contact does not have the tag"),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such contact in this workspace and mode", body = super::docs::ErrorEnvelope),
        (status = 422, description = "No such tag", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn untag_contact(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path((id, tag)): Path<(String, String)>,
) -> Response {
    let db = state.services.messaging.db();
    let done = api::tag_contact(db, &caller.member, &id, &tag, false).await;
    no_content(done.map(|_| ()), &quota)
}

/// The workspace's saved segments.
#[utoipa::path(
    get,
    path = "/api/v1/segments",
    tag = "segments",
    responses(
        (status = 200, description = "Every saved segment, by name (without counts)", body = Vec<ApiSegment>),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_segments(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
) -> Response {
    let db = state.services.messaging.db();
    answer(
        api::list_segments(db, &caller.member).await,
        StatusCode::OK,
        &quota,
    )
}

/// One segment with how many contacts it holds now. `GET /api/v1/contacts?segment={id}`
/// lists them.
#[utoipa::path(
    get,
    path = "/api/v1/segments/{id}",
    tag = "segments",
    params(("id" = String, Path, description = "The segment id (`seg_…`)")),
    responses(
        (status = 200, description = "The segment, counted", body = ApiSegment),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such segment", body = super::docs::ErrorEnvelope),
        (status = 422, description = "The segment cannot run any more (a field it uses was deleted)", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_segment(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    answer(
        api::get_segment(db, &caller.member, &id).await,
        StatusCode::OK,
        &quota,
    )
}

/// Save a segment.
#[utoipa::path(
    post,
    path = "/api/v1/segments",
    tag = "segments",
    request_body = SegmentInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this call safe, as for messages.")),
    responses(
        (status = 201, description = "Saved, with its count", body = ApiSegment),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 422, description = "A condition is not on the allow-list (`details.field` says which: `conditions.<n>.field`, `.op` or `.value`), or the name is taken", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_segment(
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
        "POST /api/v1/segments",
        &body,
        StatusCode::CREATED,
        async {
            let input: SegmentInput = read_body(&body, "segment")?;
            api::create_segment(db, &caller.actor(), &caller.member, &input).await
        },
    )
    .await
}

/// Remove a saved segment (its contacts stay).
#[utoipa::path(
    delete,
    path = "/api/v1/segments/{id}",
    tag = "segments",
    params(("id" = String, Path, description = "The segment id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such segment", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn delete_segment(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    no_content(
        api::delete_segment(db, &caller.actor(), &caller.member, &id).await,
        &quota,
    )
}

/// The workspace's groups.
#[utoipa::path(
    get,
    path = "/api/v1/groups",
    tag = "groups",
    responses(
        (status = 200, description = "Every group, by name, with how many contacts it holds", body = Vec<ApiGroup>),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_groups(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
) -> Response {
    let db = state.services.messaging.db();
    answer(
        api::list_groups(db, &caller.member).await,
        StatusCode::OK,
        &quota,
    )
}

/// One group. `GET /api/v1/contacts?group={id}` lists its contacts.
#[utoipa::path(
    get,
    path = "/api/v1/groups/{id}",
    tag = "groups",
    params(("id" = String, Path, description = "The group id (`grp_…`)")),
    responses(
        (status = 200, description = "The group", body = ApiGroup),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such group", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_group(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    answer(
        api::get_group(db, &caller.member, &id).await,
        StatusCode::OK,
        &quota,
    )
}

/// Make a group.
#[utoipa::path(
    post,
    path = "/api/v1/groups",
    tag = "groups",
    request_body = GroupInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this call safe, as for messages.")),
    responses(
        (status = 201, description = "Made, empty", body = ApiGroup),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 422, description = "The name is not valid or taken", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_group(
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
        "POST /api/v1/groups",
        &body,
        StatusCode::CREATED,
        async {
            let input: GroupInput = read_body(&body, "group")?;
            api::create_group(db, &caller.actor(), &caller.member, &input).await
        },
    )
    .await
}

/// Remove a group (its contacts stay).
#[utoipa::path(
    delete,
    path = "/api/v1/groups/{id}",
    tag = "groups",
    params(("id" = String, Path, description = "The group id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such group", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn delete_group(
    State(state): State<AppState>,
    Authed { caller, quota }: Authed,
    Path(id): Path<String>,
) -> Response {
    let db = state.services.messaging.db();
    no_content(
        api::delete_group(db, &caller.actor(), &caller.member, &id).await,
        &quota,
    )
}

/// Put contacts in a group.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{id}/contacts",
    tag = "groups",
    request_body = GroupContacts,
    params(("id" = String, Path, description = "The group id")),
    responses(
        (status = 200, description = "How many were not in it before", body = Changed),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such group", body = super::docs::ErrorEnvelope),
        (status = 422, description = "More than 1,000 ids", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn add_to_group(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    group_contacts(state, authed, id, body, true).await
}

/// Take contacts out of a group.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{id}/contacts/remove",
    tag = "groups",
    request_body = GroupContacts,
    params(("id" = String, Path, description = "The group id")),
    responses(
        (status = 200, description = "How many were in it", body = Changed),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such group", body = super::docs::ErrorEnvelope),
        (status = 422, description = "More than 1,000 ids", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn remove_from_group(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    group_contacts(state, authed, id, body, false).await
}

async fn group_contacts(
    state: AppState,
    Authed { caller, quota }: Authed,
    id: String,
    body: Bytes,
    add: bool,
) -> Response {
    let db = state.services.messaging.db();
    let done = async {
        let input: GroupContacts = read_body(&body, "list of contacts")?;
        api::group_contacts(db, &caller.member, &id, &input, add).await
    };
    answer(done.await, StatusCode::OK, &quota)
}
