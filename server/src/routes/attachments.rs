//! `POST /w/{workspace}/conversations/{conversation}/attachment`: the thread's attachment
//! form. A plain multipart form, so it works without JavaScript: the file is uploaded,
//! sent as a message, and the browser is sent back to the thread (303). A refusal goes
//! back to the thread too, with the reason in a notice the server signed, so the page
//! shows only reasons msgbuddy wrote.
//!
//! The CSRF layer cannot buffer a file, so this route checks the token itself: it must
//! be the form's first field, before the file is read.

use crate::csrf::TokenInBody;
use crate::state::AppState;
use app::components::csrf::{CsrfToken, FIELD};
use axum::extract::{Extension, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msgbuddy_core::crypto::secure_eq;
use msgbuddy_core::{auth, workspaces};
use msgbuddy_domain::message::Content;
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::{conversations, messages};

/// The longest caption field read.
const MAX_CAPTION_BYTES: usize = 16 * 1024;

pub async fn attach(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Path((workspace_id, conversation_id)): Path<(String, String)>,
    token: Option<Extension<CsrfToken>>,
    in_body: Option<Extension<TokenInBody>>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let thread = format!("/w/{workspace_id}/conversations/{conversation_id}");
    let Ok(mut form) = form else {
        return AppError::validation("Attach the file with the form on the conversation's page.")
            .into_response();
    };
    let user =
        match auth::current_user(state.db(), &session, state.services.absolute_session_ms).await {
            Ok(Some(user)) => user,
            Ok(None) => return AppError::unauthenticated().into_response(),
            Err(e) => return e.into_app_error().into_response(),
        };
    let mut fields = Fields::default();
    if let Err(e) = read(&mut form, token, in_body, &mut fields).await {
        return e.into_response();
    }
    let m = &state.services.messaging;
    let sent = async {
        let member = workspaces::access(
            m.db(),
            &user.id,
            &workspace_id,
            Permission::ConversationsReply,
        )
        .await?;
        let conversation =
            msgbuddy_inbox::access::conversation(m, &member, &conversation_id).await?;
        let Some((bytes, filename)) = fields.file.take().filter(|(b, _)| !b.is_empty()) else {
            return Err(AppError::invalid_field("file", "Choose a file to attach.").into());
        };
        let file = m
            .media
            .upload(
                m.db(),
                &member,
                conversation.is_test,
                &bytes,
                filename.as_deref(),
                Some(&user.id),
            )
            .await?;
        let caption = fields.caption.take().filter(|c| !c.trim().is_empty());
        let sent = messages::send(
            m,
            messages::Sender {
                member: &member,
                user_id: Some(&user.id),
                source: "inbox",
                is_test: conversation.is_test,
            },
            messages::To::Conversation(&conversation_id),
            Content::Media(file.to_media(caption)),
            None,
        )
        .await;
        if let Err(e) = sent {
            // The channel refused it: the upload goes too, so a refusal keeps nothing.
            if let Err(cleanup) = m.media.discard(m.db(), &file).await {
                tracing::warn!(error = %cleanup, "a refused upload could not be removed");
            }
            return Err(e);
        }
        conversations::mark_read(m, &member, &conversation_id).await
    }
    .await;
    match sent.map_err(msgbuddy_core::Error::into_app_error) {
        Ok(()) => see_other(&thread),
        // Not allowed to be here at all: answer as any page would.
        Err(e)
            if e.code.http_status() == 401
                || e.code.http_status() == 403
                || e.code.http_status() == 404 =>
        {
            e.into_response()
        }
        Err(e) => {
            let notice = m.keys.mac("notice", e.message.as_bytes());
            see_other(&format!(
                "{thread}?notice={}&notice_sig={notice}",
                msgbuddy_domain::values::query_value(&e.message)
            ))
        }
    }
}

#[derive(Default)]
struct Fields {
    caption: Option<String>,
    file: Option<(Vec<u8>, Option<String>)>,
}

async fn read(
    form: &mut Multipart,
    token: Option<Extension<CsrfToken>>,
    in_body: Option<Extension<TokenInBody>>,
    fields: &mut Fields,
) -> Result<(), AppError> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        AppError::validation(format!("The form could not be read: {e}"))
    };
    // The CSRF layer has checked the header token already unless it left the check here.
    if in_body.is_some() {
        let expected = token.map(|t| t.0.0).ok_or_else(AppError::csrf)?;
        let first = form.next_field().await.map_err(malformed)?;
        let given = match first {
            Some(field) if field.name() == Some(FIELD) => field.text().await.map_err(malformed)?,
            _ => return Err(AppError::csrf()),
        };
        if !secure_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(AppError::csrf());
        }
    }
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("caption") => {
                let bytes = field.bytes().await.map_err(malformed)?;
                if bytes.len() > MAX_CAPTION_BYTES {
                    return Err(AppError::invalid_field(
                        "caption",
                        "The caption is too long.",
                    ));
                }
                fields.caption = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            Some("file") => {
                let name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(malformed)?;
                fields.file = Some((bytes.to_vec(), name));
            }
            _ => {}
        }
    }
    Ok(())
}

fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
