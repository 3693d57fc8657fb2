//! Who else is in this conversation right now: an island that tells the others this member
//! is viewing the thread (on opening it, then every [`VIEWING_EVERY`] ticks while it stays
//! open), typing (at most once a tick while the composer changes) and leaving, and shows
//! the others' `conversation.presence` events, so two agents do not answer twice.
//! Nothing of it is stored: someone not heard from for [`GONE_AFTER`] ticks has gone.
//! Without JavaScript there is no presence, and the page is the same without the line.

use crate::components::live::{LiveEvent, on_live_event};
use leptos::prelude::*;

/// One tick of the island's clock, in seconds.
#[cfg(feature = "hydrate")]
const TICK_SECS: u64 = 5;
/// How often (in ticks) an open thread says it is still viewed.
#[cfg(feature = "hydrate")]
const VIEWING_EVERY: u32 = 3;
/// After this many ticks without a word, a member has gone.
#[cfg(feature = "hydrate")]
const GONE_AFTER: u32 = 8;
/// "Typing" shows for this many ticks after the last keystroke heard.
const TYPING_FOR: u32 = 1;

#[derive(Debug, Clone, PartialEq)]
struct Other {
    user_id: String,
    name: String,
    seen_tick: u32,
    typing_tick: Option<u32>,
}

#[island]
pub fn ThreadPresence(
    workspace_id: String,
    conversation_id: String,
    can_reply: bool,
) -> impl IntoView {
    let others = RwSignal::new(Vec::<Other>::new());
    let tick = RwSignal::new(0u32);
    let this = conversation_id.clone();
    on_live_event(move |e: &LiveEvent| hear(e, &this, tick.get_untracked(), others));
    #[cfg(feature = "hydrate")]
    speak(workspace_id, conversation_id, can_reply, tick, others);
    #[cfg(not(feature = "hydrate"))]
    let _ = (workspace_id, can_reply);
    let line = move || {
        let now = tick.get();
        let list = others.get();
        let typing: Vec<&str> = list
            .iter()
            .filter(|o| {
                o.typing_tick
                    .is_some_and(|t| now.saturating_sub(t) <= TYPING_FOR)
            })
            .map(|o| o.name.as_str())
            .collect();
        let viewing: Vec<&str> = list
            .iter()
            .filter(|o| !typing.contains(&o.name.as_str()))
            .map(|o| o.name.as_str())
            .collect();
        let mut parts = Vec::new();
        if !typing.is_empty() {
            parts.push(format!(
                "{} {} typing…",
                names(&typing),
                if typing.len() == 1 { "is" } else { "are" }
            ));
        }
        if !viewing.is_empty() {
            parts.push(format!(
                "{} {} viewing",
                names(&viewing),
                if viewing.len() == 1 { "is" } else { "are" }
            ));
        }
        parts.join(" · ")
    };
    view! {
        <p data-testid="presence" aria-live="polite" class="min-h-5 text-sm text-amber-800">{line}</p>
    }
}

fn names(list: &[&str]) -> String {
    match list {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What another member's presence event changes in the list.
fn hear(e: &LiveEvent, conversation_id: &str, now: u32, others: RwSignal<Vec<Other>>) {
    if e.name != "conversation.presence"
        || e.data["conversation_id"].as_str() != Some(conversation_id)
    {
        return;
    }
    let (Some(user_id), Some(name), Some(activity)) = (
        e.data["user_id"].as_str(),
        e.data["name"].as_str(),
        e.data["activity"].as_str(),
    ) else {
        return;
    };
    others.update(|list| {
        list.retain(|o| o.user_id != user_id);
        if activity == "left" {
            return;
        }
        list.push(Other {
            user_id: user_id.to_owned(),
            name: name.to_owned(),
            seen_tick: now,
            typing_tick: (activity == "typing").then_some(now),
        });
        list.sort_by(|a, b| a.name.cmp(&b.name));
    });
}

/// Sends this member's own presence, and keeps the clock that ages the others'.
#[cfg(feature = "hydrate")]
fn speak(
    workspace_id: String,
    conversation_id: String,
    can_reply: bool,
    tick: RwSignal<u32>,
    others: RwSignal<Vec<Other>>,
) {
    use crate::serverfns::conversations::announce_presence;
    use wasm_bindgen::JsCast;
    let send = move |activity: &'static str| {
        let (ws, id) = (workspace_id.clone(), conversation_id.clone());
        leptos::task::spawn_local(async move {
            // A lost signal is repeated within seconds; nothing to tell the member.
            let _ = announce_presence(
                crate::components::csrf::csrf_token(),
                ws,
                id,
                activity.to_owned(),
            )
            .await;
        });
    };
    send("viewing");
    let on_tick = send.clone();
    let every = std::time::Duration::from_secs(TICK_SECS);
    let _ = set_interval_with_handle(
        move || {
            tick.update(|t| *t += 1);
            let now = tick.get_untracked();
            others.update(|list| list.retain(|o| now.saturating_sub(o.seen_tick) < GONE_AFTER));
            if now.is_multiple_of(VIEWING_EVERY) {
                on_tick("viewing");
            }
        },
        every,
    );
    let typed_at = StoredValue::new(None::<u32>);
    if can_reply {
        let on_input = send.clone();
        let _ = window_event_listener(leptos::ev::input, move |ev| {
            let in_composer = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| el.id() == "composer-text");
            let now = tick.get_untracked();
            if in_composer && typed_at.get_value() != Some(now) {
                typed_at.set_value(Some(now));
                on_input("typing");
            }
        });
    }
    let _ = window_event_listener(leptos::ev::pagehide, move |_| send("left"));
}
