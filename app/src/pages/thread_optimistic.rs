//! Optimistic sending. With JavaScript, pressing Send (or Enter) puts the message in the
//! thread at once, as pending, clears the composer and sends in the background; the
//! stored message then takes its place and its real status follows live. If the server
//! refuses it, the copy goes, the words come back to the composer and a toast says why.
//! Scheduled sends and quoted replies go the plain way (a form post), as does everything
//! without JavaScript.
//!
//! The composer and the thread are separate islands: they talk through the page's live
//! event subscribers with two local events, [`REPLACED`] and [`WITHDRAWN`].

use msgbuddy_domain::message::MessageView;

/// The start of a not-yet-stored message's id.
pub const LOCAL_PREFIX: &str = "local-";
/// `{ local_id, message }`: the stored message takes the local copy's place.
pub const REPLACED: &str = "local.message_replaced";
/// `{ local_id }`: the send was refused; the local copy goes.
pub const WITHDRAWN: &str = "local.message_withdrawn";

/// Whether `message` is a local copy, not yet stored (it has no actions).
pub fn is_local(message: &MessageView) -> bool {
    message.id.starts_with(LOCAL_PREFIX)
}

/// Takes over the composer's Send for this conversation.
#[cfg(feature = "hydrate")]
pub fn take_over(workspace_id: String, conversation_id: String, user_name: String) {
    use crate::components::live::{LiveEvent, publish};
    use crate::components::toast::{ToastKind, show_toast};
    use leptos::prelude::*;
    use msgbuddy_domain::message::{Content, DeliveryStatus, Direction};
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlFormElement, HtmlInputElement};

    let sent = StoredValue::new(0u32);
    let _ = window_event_listener(leptos::ev::submit, move |ev| {
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            .filter(|f| f.id() == super::thread_draft::FORM_ID)
        else {
            return;
        };
        let by_send = ev
            .submitter()
            .and_then(|b| b.get_attribute("data-testid"))
            .is_some_and(|t| t == "composer-send");
        let field = |name: &str| {
            form.query_selector(&format!("[name={name}]"))
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                .map(|i| i.value())
                .unwrap_or_default()
        };
        if !by_send || !field("send_at").is_empty() || !field("reply_to").is_empty() {
            return;
        }
        let Some(area) = super::composer_caret::composer() else {
            return;
        };
        let text = area.value();
        if text.trim().is_empty() {
            return;
        }
        ev.prevent_default();
        sent.update_value(|n| *n += 1);
        let local_id = format!("{LOCAL_PREFIX}{}", sent.get_value());
        let copy = MessageView {
            id: local_id.clone(),
            conversation_id: conversation_id.clone(),
            channel_id: String::new(),
            direction: Direction::Outbound,
            content: Content::Text { body: text.clone() },
            status: DeliveryStatus::Pending,
            error_code: None,
            error_message: None,
            sent_by: Some(user_name.clone()),
            created_at_ms: js_sys::Date::now() as i64,
            is_test: false,
            scheduled_at_ms: None,
            reply_to: None,
            provider_message_id: None,
            deleted_at_ms: None,
            deleted_for_everyone: false,
        };
        publish(&LiveEvent {
            name: "message.created".to_owned(),
            data: serde_json::json!({ "conversation_id": conversation_id, "message": copy }),
        });
        area.set_value("");
        let (ws, id) = (workspace_id.clone(), conversation_id.clone());
        leptos::task::spawn_local(async move {
            let answer = crate::serverfns::conversations::send_text_live(
                crate::components::csrf::csrf_token(),
                ws,
                id.clone(),
                text.clone(),
            )
            .await;
            match answer {
                Ok(message) => publish(&LiveEvent {
                    name: REPLACED.to_owned(),
                    data: serde_json::json!({ "conversation_id": id, "local_id": local_id, "message": message }),
                }),
                Err(e) => {
                    publish(&LiveEvent {
                        name: WITHDRAWN.to_owned(),
                        data: serde_json::json!({ "conversation_id": id, "local_id": local_id }),
                    });
                    // The words come back (and into the kept draft), unless new ones
                    // were typed meanwhile.
                    if let Some(area) = super::composer_caret::composer()
                        && area.value().is_empty()
                    {
                        super::composer_caret::replace_before_caret(0, &text);
                    }
                    show_toast(ToastKind::Error, e.message);
                }
            }
        });
    });
}
