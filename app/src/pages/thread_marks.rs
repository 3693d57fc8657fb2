//! The thread's marks: the conversation's pinned messages above it, each message's star
//! and pin buttons, and "mark read" / "mark unread". Plain forms: they work without JavaScript.

use crate::components::csrf::CsrfField;
use crate::serverfns::marks::{MarkConversation, PinMessage, StarMessage};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::message::MessageView;
use msgbuddy_domain::time::format_utc;

const SMALL: &str = "rounded px-1.5 py-0.5 text-xs text-slate-700 hover:bg-slate-100";

/// A one-button form about one message (`on`: `1` to set the mark, `0` to clear it).
fn mark_form(
    action: String,
    workspace_id: String,
    message_id: String,
    on: bool,
    text: &'static str,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <form method="post" action=action class="inline">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="message_id" value=message_id />
            <input type="hidden" name="on" value=if on { "1" } else { "0" } />
            <button type="submit" class=SMALL data-testid=testid aria-pressed=(!on).to_string()>{text}</button>
        </form>
    }
}

/// Star and pin buttons under a message.
pub fn message_actions(
    workspace_id: String,
    message_id: String,
    starred: bool,
    pinned: bool,
    can_pin: bool,
) -> ChildrenFn {
    std::sync::Arc::new(move || {
        let (ws, id) = (workspace_id.clone(), message_id.clone());
        view! {
            <div class="mt-1 flex justify-end gap-1" data-testid="message-actions">
                {if starred {
                    mark_form(StarMessage::url().to_owned(), ws.clone(), id.clone(), false, "★ Starred", "message-unstar").into_any()
                } else {
                    mark_form(StarMessage::url().to_owned(), ws.clone(), id.clone(), true, "☆ Star", "message-star").into_any()
                }}
                {can_pin.then(|| if pinned {
                    mark_form(PinMessage::url().to_owned(), ws.clone(), id.clone(), false, "Unpin", "message-unpin").into_any()
                } else {
                    mark_form(PinMessage::url().to_owned(), ws.clone(), id.clone(), true, "Pin", "message-pin").into_any()
                })}
            </div>
        }
        .into_any()
    })
}

/// The conversation's pinned messages, each a link to it in the thread.
#[component]
pub fn PinnedMessages(pinned: Vec<MessageView>) -> impl IntoView {
    (!pinned.is_empty()).then(|| {
        let items = pinned
            .into_iter()
            .map(|m| {
                view! {
                    <li>
                        <a href=format!("#m-{}", m.id) class="text-indigo-800 underline">{m.content.preview()}</a>
                        <span class="text-xs text-slate-600">{format!(" · {}", format_utc(m.created_at_ms))}</span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="rounded-lg border border-amber-200 bg-amber-50 p-3 text-sm" data-testid="pinned-messages" aria-label="Pinned messages">
                <h2 class="mb-1 font-medium text-amber-900">"Pinned"</h2>
                <ul class="space-y-1">{items}</ul>
            </section>
        }
    })
}

/// "Mark read" while the conversation has unread messages, "Mark unread" after: unread
/// goes back to the list, where it shows as unread again.
#[component]
pub fn MarkRead(workspace_id: String, conversation_id: String, unread: bool) -> impl IntoView {
    let (value, text, testid) = if unread {
        ("1", "Mark read", "mark-read")
    } else {
        ("0", "Mark unread", "mark-unread")
    };
    view! {
        <form method="post" action=MarkConversation::url() class="inline">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="conversation_id" value=conversation_id />
            <input type="hidden" name="read" value=value />
            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm text-slate-800 hover:bg-slate-50" data-testid=testid>{text}</button>
        </form>
    }
}
