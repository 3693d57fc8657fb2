//! `POST /api/v1/media`: upload a file to send with `media.media_id`;
//! `GET /api/v1/media/{id}`: a file of the workspace, an upload or one a customer sent.

use super::{caller, failure};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use msgbuddy_core::crypto::sha256_hex;
use msgbuddy_domain::AppError;
use msgbuddy_messaging::api::{self, ApiMedia};

/// The upload form, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its type is read from its content; images (JPEG, PNG, GIF, WebP), video
    /// (MP4, 3GP), audio (MP3, M4A, AAC, OGG, AMR), PDF, Office documents and plain text
    /// are taken, up to 100 MB (each channel's own limit is checked when it is sent).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a file.
#[utoipa::path(
    post,
    path = "/api/v1/media",
    tag = "media",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this call safe, as for messages.")),
    responses(
        (status = 201, description = "Stored; send it with `media.media_id`", body = ApiMedia),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 413, description = "Larger than 100 MB", body = super::docs::ErrorEnvelope),
        (status = 422, description = "No file, or a type msgbuddy does not send", body = super::docs::ErrorEnvelope),
        (status = 429, description = "Over the key's rate limit; see Retry-After", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let (caller, quota) = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let m = &state.services.messaging;
    let file = match read_file(form).await {
        Ok(f) => f,
        Err(e) => return failure(e.into(), &quota),
    };
    // The same file under the same name is the same call, however the form was framed.
    let fingerprint = format!(
        "POST /api/v1/media\n{}\n{}",
        file.1.as_deref().unwrap_or_default(),
        sha256_hex(&file.0)
    );
    super::idempotent(m, &caller, &headers, &quota, &fingerprint, async {
        let (bytes, name) = file;
        let media = api::upload(m, &caller, &bytes, name.as_deref()).await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_string(&media).unwrap_or_default(),
        ))
    })
    .await
}

/// Download a file: one uploaded to send, or one a customer sent (a message's
/// `content.media_id`, or each of an email's `content.attachments`).
#[utoipa::path(
    get,
    path = "/api/v1/media/{id}",
    tag = "media",
    params(
        ("id" = String, Path, description = "The file id (`med_…`)"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=start-end`, answered with 206"),
    ),
    responses(
        (status = 200, description = "The file, typed by its content; anything but images, video and audio as an attachment", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, description = "No valid API key", body = super::docs::ErrorEnvelope),
        (status = 404, description = "No such file in this workspace and mode", body = super::docs::ErrorEnvelope),
        (status = 416, description = "The range starts past the end of the file"),
        (status = 429, description = "Over the key's rate limit; see Retry-After", body = super::docs::ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (caller, quota) = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    match api::file(&state.services.messaging, &caller, &id).await {
        Ok((file, bytes)) => {
            let mut res = crate::routes::media::serve(&file, bytes, &headers);
            quota.apply(&mut res);
            res
        }
        Err(e) => failure(e, &quota),
    }
}

/// The `file` part of a multipart body and its file name.
async fn read_file(
    form: Result<Multipart, MultipartRejection>,
) -> Result<(Bytes, Option<String>), AppError> {
    let mut form = form.map_err(|_| {
        AppError::validation("Send the file as multipart/form-data, in a part named `file`.")
    })?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::validation(format!("The multipart body is malformed: {e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| {
                AppError::validation(format!("The file part could not be read: {e}"))
            })?;
            return Ok((bytes, name));
        }
    }
    Err(AppError::invalid_field(
        "file",
        "The body has no part named `file`.",
    ))
}
