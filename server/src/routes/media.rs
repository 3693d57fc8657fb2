//! `GET /media/{id}`: a stored file, for members of its workspace (by session), or for
//! the provider that was handed a signed link (`?expires=&signature=`, good for an hour).
//!
//! Files are served as the type sniffed when they were stored, never as HTML that could
//! run in msgbuddy's origin: `nosniff`, a CSP that allows nothing and sandboxes the
//! document, and `attachment` for everything that is not an image, video or audio.
//! A single byte range is served (206), so players can seek in video and audio.

use super::byte_range::{self, Wanted};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msgbuddy_core::auth;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::MediaKind;
use msgbuddy_media::MediaFile;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Debug, Deserialize)]
pub struct Signed {
    expires: Option<i64>,
    signature: Option<String>,
}

pub async fn file(
    State(state): State<AppState>,
    session: Session,
    request: HeaderMap,
    Path(id): Path<String>,
    Query(signed): Query<Signed>,
) -> Result<Response, AppError> {
    let m = &state.services.messaging;
    let (media, bytes) = match (signed.expires, signed.signature) {
        (Some(expires), Some(signature)) => m
            .media
            .open_signed(m.db(), &id, expires, &signature)
            .await
            .map_err(msgbuddy_core::Error::into_app_error)?,
        _ => {
            let user = auth::current_user(state.db(), &session, state.services.absolute_session_ms)
                .await?
                .ok_or_else(AppError::unauthenticated)?;
            m.media
                .open_for(m.db(), &user.id, &id)
                .await
                .map_err(msgbuddy_core::Error::into_app_error)?
        }
    };
    Ok(serve(&media, bytes, &request))
}

/// The file as a response: all of it, or the one range asked for.
pub(crate) fn serve(media: &MediaFile, bytes: Vec<u8>, request: &HeaderMap) -> Response {
    let inline = matches!(
        media.kind,
        MediaKind::Image | MediaKind::Video | MediaKind::Audio | MediaKind::Sticker
    );
    let name = media.filename.clone().unwrap_or_else(|| media.id.clone());
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        ascii_fallback(&name),
        percent_encode(&name)
    );
    let etag = format!("\"{}\"", media.sha256);
    let text = |name| {
        request
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    // A range of a file that changed since the client's copy is useless: all of it then.
    let same_file = text(header::IF_RANGE).is_none_or(|tag| tag == etag);
    let len = bytes.len();
    let (status, content_range, body) = match byte_range::wanted(text(header::RANGE), len) {
        Wanted::Part(range) if same_file => (
            StatusCode::PARTIAL_CONTENT,
            Some(format!("bytes {}-{}/{len}", range.start, range.end - 1)),
            bytes[range].to_vec(),
        ),
        Wanted::Unsatisfiable if same_file => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            Some(format!("bytes */{len}")),
            Vec::new(),
        ),
        _ => (StatusCode::OK, None, bytes),
    };
    let mut res = (status, body).into_response();
    let headers = res.headers_mut();
    let mut set = |name, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, media.mime_type.clone());
    set(header::CONTENT_DISPOSITION, disposition);
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox".to_owned(),
    );
    set(header::CACHE_CONTROL, "private, max-age=3600".to_owned());
    set(header::ETAG, etag);
    set(header::ACCEPT_RANGES, "bytes".to_owned());
    if let Some(range) = content_range {
        set(header::CONTENT_RANGE, range);
    }
    res
}

/// The name with anything but printable ASCII (and quotes, backslashes) replaced, for
/// clients that do not read `filename*`.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 5987 encoding of the name for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_break_out_of_the_disposition_header() {
        assert_eq!(ascii_fallback("a\"b\\c é.pdf"), "a_b_c _.pdf");
        assert_eq!(percent_encode("résumé 1.pdf"), "r%C3%A9sum%C3%A9%201.pdf");
        assert_eq!(percent_encode("x\";y"), "x%22%3By");
    }
}
