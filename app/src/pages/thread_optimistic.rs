//! Optimistic sending. With JavaScript, pressing Send (or Enter) puts the message in the
//! thread at once, as pending, clears the composer and sends in the background; the
//! stored message then takes its place and its real status follows live. If the server
//! refuses it, the copy goes, the words come back to the composer and a toast says why.
//! Scheduled sends and quoted replies go the plain way (a form post), as does everything
//! without JavaScript.
//!
//! The composer and the thread are separate islands: the composer tells the thread what
//! happens to a message it sends through [`on_local`] (typed, not JSON: the bundle
//! carries no serialiser for messages).

use msgbuddy_domain::message::MessageView;

/// The start of a not-yet-stored message's id.
pub const LOCAL_PREFIX: &str = "local-";

/// What happens to a message the composer sends.
#[derive(Debug, Clone)]
pub enum Local {
    /// Shown at once, as pending, under a local id.
    Sending(MessageView),
    /// The server stored it: the stored message takes the local copy's place.
    Stored {
        local_id: String,
        message: MessageView,
    },
    /// The server refused it: the local copy goes.
    Refused { local_id: String },
}

#[cfg(feature = "hydrate")]
type Listener = std::rc::Rc<dyn Fn(&Local)>;

// The browser runs the WASM on one thread, so a thread-local list is the page's list.
#[cfg(feature = "hydrate")]
thread_local! {
    static LISTENERS: std::cell::RefCell<Vec<Listener>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Calls `listener` for each [`Local`] of this page. Does nothing during server rendering.
pub fn on_local(listener: impl Fn(&Local) + 'static) {
    #[cfg(feature = "hydrate")]
    LISTENERS.with(|l| l.borrow_mut().push(std::rc::Rc::new(listener)));
    #[cfg(not(feature = "hydrate"))]
    let _ = listener;
}

#[cfg(feature = "hydrate")]
fn tell(local: Local) {
    let listeners: Vec<Listener> = LISTENERS.with(|l| l.borrow().clone());
    for listener in listeners {
        listener(&local);
    }
}

/// Whether `message` is a local copy, not yet stored (it has no actions).
pub fn is_local(message: &MessageView) -> bool {
    message.id.starts_with(LOCAL_PREFIX)
}

/// Takes over the composer's Send for this conversation.
#[cfg(feature = "hydrate")]
pub fn take_over(workspace_id: String, conversation_id: String, user_name: String) {
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
        tell(Local::Sending(copy));
        area.set_value("");
        let (ws, id) = (workspace_id.clone(), conversation_id.clone());
        leptos::task::spawn_local(async move {
            let answer = crate::serverfns::conversations::send_text_live(
                crate::components::csrf::csrf_token(),
                ws,
                id,
                text.clone(),
            )
            .await;
            match answer {
                Ok(message) => tell(Local::Stored { local_id, message }),
                Err(e) => {
                    tell(Local::Refused { local_id });
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
