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
pub const EVENT_NAMES: [&str; 6] = [
    "member.joined",
    "member.removed",
    "member.role_changed",
    "invitation.created",
    "invitation.accepted",
    "workspace.settings_changed",
];

/// Opens the stream once hydrated; `on_event` runs for each event, `connected` follows the
/// connection state. Does nothing during server rendering.
pub fn use_live_events(
    workspace_id: String,
    connected: RwSignal<bool>,
    on_event: impl Fn(LiveEvent) + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let url = format!("/events?workspace={workspace_id}");
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
        let _ = (workspace_id, connected, on_event);
    }
}
