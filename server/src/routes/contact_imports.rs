//! Contact imports over plain HTTP: the upload form (`POST /w/{workspace}/contacts/imports`,
//! multipart, so it works without JavaScript and takes files too large for a server
//! function) and the report of refused rows (`GET .../imports/{id}/errors.csv`).
//!
//! The CSRF layer cannot buffer a 50 MB file, so the upload checks the token itself: it
//! must be the form's first field, before the file is read (as the attachment form does).

use crate::csrf::TokenInBody;
use crate::state::AppState;
use app::components::csrf::{CsrfToken, FIELD};
use axum::extract::{Extension, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use msgbuddy_contacts::import;
use msgbuddy_core::crypto::secure_eq;
use msgbuddy_core::{Actor, auth, workspaces};
use msgbuddy_domain::{AppError, Permission};
use tower_sessions::Session;

/// `POST /w/{workspace}/contacts/imports`: stores the file and sends the browser to the
/// import's page (303) to choose the mapping. A refusal of the file goes back to the
/// imports page with the reason in a notice the server signed.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    Path(workspace_id): Path<String>,
    client_ip: Option<Extension<app::server::ClientIp>>,
    token: Option<Extension<CsrfToken>>,
    in_body: Option<Extension<TokenInBody>>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let imports = format!("/w/{workspace_id}/contacts/imports");
    let Ok(mut form) = form else {
        return AppError::validation("Upload the file with the form on the imports page.")
            .into_response();
    };
    let db = state.db();
    let user = match auth::current_user(db, &session, state.services.absolute_session_ms).await {
        Ok(Some(user)) => user,
        Ok(None) => return AppError::unauthenticated().into_response(),
        Err(e) => return e.into_app_error().into_response(),
    };
    let member =
        match workspaces::access(db, &user.id, &workspace_id, Permission::ContactsEdit).await {
            Ok(member) => member,
            Err(e) => return e.into_app_error().into_response(),
        };
    let file = match read_file(&mut form, token, in_body).await {
        Ok(file) => file,
        Err(e) if e.code.http_status() == 403 => return e.into_response(),
        Err(e) => return back_with_notice(&state, &imports, &e),
    };
    let actor = Actor {
        user_id: user.id.clone(),
        ip: client_ip.map(|Extension(ip)| ip.0),
    };
    let (name, bytes) = file;
    match import::upload(db, &actor, &member, &name, &bytes).await {
        Ok(summary) => see_other(&format!("{imports}/{}", summary.id)),
        Err(e) => back_with_notice(&state, &imports, &e.into_app_error()),
    }
}

/// The form's `file`, after checking the CSRF token in its first field when the CSRF
/// layer left that here.
async fn read_file(
    form: &mut Multipart,
    token: Option<Extension<CsrfToken>>,
    in_body: Option<Extension<TokenInBody>>,
) -> Result<(String, Vec<u8>), AppError> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        AppError::validation(format!("The form could not be read: {e}"))
    };
    if in_body.is_some() {
        let expected = token.map(|t| t.0.0).ok_or_else(AppError::csrf)?;
        let given = match form.next_field().await.map_err(malformed)? {
            Some(field) if field.name() == Some(FIELD) => field.text().await.map_err(malformed)?,
            _ => return Err(AppError::csrf()),
        };
        if !secure_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(AppError::csrf());
        }
    }
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(malformed)?;
            if bytes.is_empty() {
                break;
            }
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(AppError::invalid_field(
        "file",
        "Choose a CSV or JSON file to import.",
    ))
}

/// Back to the imports page, with the reason for the page to show.
fn back_with_notice(state: &AppState, imports: &str, e: &AppError) -> Response {
    if matches!(e.code.http_status(), 401 | 403 | 404) {
        return e.clone().into_response();
    }
    let notice = state
        .services
        .messaging
        .keys
        .mac("notice", e.message.as_bytes());
    see_other(&format!(
        "{imports}?notice={}&notice_sig={notice}",
        msgbuddy_domain::values::query_value(&e.message)
    ))
}

fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// The report as a body written a page of rows at a time. An error mid-way ends the
/// download short, which a browser reports as failed rather than handing over a truncated
/// report.
pub(crate) fn report_body(report: import::ErrorReport) -> axum::body::Body {
    let stream = futures::stream::unfold(Some(report), |report| async move {
        let mut report = report?;
        match report.next_chunk().await {
            Ok(Some(part)) => Some((Ok::<_, std::io::Error>(part), Some(report))),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    })
    // The compression layer polls once more after the end.
    .fuse();
    axum::body::Body::from_stream(stream)
}

/// `GET /w/{workspace}/contacts/imports/{id}/errors.csv`: the rows the import refused,
/// for members of the workspace (404 for anyone else).
pub async fn errors(
    State(state): State<AppState>,
    session: Session,
    Path((workspace_id, import_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let db = state.db();
    let user = auth::current_user(db, &session, state.services.absolute_session_ms)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    let member = workspaces::access(db, &user.id, &workspace_id, Permission::ContactsView).await?;
    let first = import::errors_report(db, &member, &import_id).await?;
    let mut res = report_body(first).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // The id is ours (letters, digits, `_`), but it came in the path: keep only those.
    let safe_id: String = import_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"import-errors-{safe_id}.csv\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}
