//! The browser's end of `/events`: an `EventSource` for the current workspace that hands
//! each event to the page. The browser resends `Last-Event-ID` when it reconnects, and the
//! server replays what was missed, so a dropped connection leaves no gap.

use leptos::prelude::*;

/// One event as it arrives: its SSE name and JSON data.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    pub name: String,
    pub data: serde_json::Value,
}

/// Event names the UI listens for; the server sends others too, for later modules.
pub const EVENT_NAMES: [&str; 14] = [
    "contact_import.progress",
    "member.joined",
    "member.removed",
    "member.role_changed",
    "invitation.created",
    "invitation.accepted",
    "workspace.settings_changed",
    "channel.updated",
    "message.created",
    "message.updated",
    "message.status_changed",
    "conversation.updated",
    "notification.created",
    "conversation.presence",
];

// One stream per page: the workspace frame owns the `EventSource` and hands every event
// to the other islands of the page (the conversation list, a thread) through these
// subscribers. The browser runs the WASM on one thread, so a thread-local list is the
// page's list.
#[cfg(feature = "hydrate")]
type Subscriber = std::rc::Rc<dyn Fn(&LiveEvent)>;

#[cfg(feature = "hydrate")]
thread_local! {
    static SUBSCRIBERS: std::cell::RefCell<Vec<Subscriber>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Calls `on_event` for every live event of the page's workspace. Does nothing during
/// server rendering.
pub fn on_live_event(on_event: impl Fn(&LiveEvent) + 'static) {
    #[cfg(feature = "hydrate")]
    SUBSCRIBERS.with(|s| s.borrow_mut().push(std::rc::Rc::new(on_event)));
    #[cfg(not(feature = "hydrate"))]
    let _ = on_event;
}

/// Hands an event to every subscriber (called by the stream's owner).
pub fn publish(event: &LiveEvent) {
    #[cfg(feature = "hydrate")]
    {
        let subscribers: Vec<_> = SUBSCRIBERS.with(|s| s.borrow().clone());
        for subscriber in subscribers {
            subscriber(event);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}

/// Opens the stream once hydrated, from the event after `after_seq` (the page's own
/// point in time, so nothing between rendering and connecting is lost); `on_event` runs for each event, `connected` follows the
/// connection state. Does nothing during server rendering.
pub fn use_live_events(
    workspace_id: String,
    after_seq: i64,
    connected: RwSignal<bool>,
    on_event: impl Fn(LiveEvent) + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let url = format!("/events?workspace={workspace_id}&last_event_id={after_seq}");
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on_event = std::rc::Rc::new(on_event);
        for name in EVENT_NAMES {
            let handler = on_event.clone();
            let listener =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                    let data = e
                        .data()
                        .as_string()
                        .and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or_default();
                    handler(LiveEvent {
                        name: name.to_owned(),
                        data,
                    });
                });
            let _ =
                source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            listener.forget();
        }
        let on_open = Closure::<dyn Fn()>::new(move || connected.set(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_error = Closure::<dyn Fn()>::new(move || connected.set(false));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || source.close());
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (workspace_id, after_seq, connected, on_event);
    }
}
