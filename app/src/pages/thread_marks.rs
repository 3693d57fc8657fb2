//! The thread's marks: the conversation's pinned messages above it, each message's star
//! and pin buttons, and "mark read" / "mark unread". Plain forms: they work without JavaScript.

use crate::components::csrf::CsrfField;
use crate::serverfns::marks::{
    DeleteMessage, ForwardMessage, MarkConversation, PinMessage, StarMessage,
};
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

/// What a message's actions need to know.
#[derive(Clone)]
pub struct ActionsFor {
    pub workspace_id: String,
    pub message_id: String,
    pub starred: bool,
    pub pinned: bool,
    /// Whether the member may reply, pin and forward.
    pub can_reply: bool,
    /// Whether the provider knows the message, so a reply can quote it.
    pub quotable: bool,
    /// Conversations it can be forwarded to: (id, label).
    pub targets: std::sync::Arc<Vec<(String, String)>>,
    /// The member may delete it (it has gone out, or came in).
    pub deletable: bool,
    /// The channel can delete it for the customer too.
    pub deletes_for_everyone: bool,
    /// Its words, for Copy.
    pub text: Option<String>,
    /// The page's JavaScript runs (Copy needs it).
    pub ready: RwSignal<bool>,
}

/// Reply, forward, star and pin under a message.
pub fn message_actions(a: ActionsFor) -> ChildrenFn {
    std::sync::Arc::new(move || {
        let (ws, id) = (a.workspace_id.clone(), a.message_id.clone());
        let star = if a.starred {
            mark_form(
                StarMessage::url().to_owned(),
                ws.clone(),
                id.clone(),
                false,
                "★ Starred",
                "message-unstar",
            )
            .into_any()
        } else {
            mark_form(
                StarMessage::url().to_owned(),
                ws.clone(),
                id.clone(),
                true,
                "☆ Star",
                "message-star",
            )
            .into_any()
        };
        let pin = a.can_reply.then(|| {
            if a.pinned {
                mark_form(
                    PinMessage::url().to_owned(),
                    ws.clone(),
                    id.clone(),
                    false,
                    "Unpin",
                    "message-unpin",
                )
                .into_any()
            } else {
                mark_form(
                    PinMessage::url().to_owned(),
                    ws.clone(),
                    id.clone(),
                    true,
                    "Pin",
                    "message-pin",
                )
                .into_any()
            }
        });
        let reply = (a.can_reply && a.quotable).then(|| view! {
            <a href=format!("?reply={id}#composer") class=SMALL data-testid="message-reply">"Reply"</a>
        });
        let forward = (a.can_reply && !a.targets.is_empty()).then(|| {
            let options = a.targets.iter().map(|(cid, label)| view! { <option value=cid.clone()>{label.clone()}</option> }).collect_view();
            view! {
                <details class="inline-block text-left" data-testid="message-forward">
                    <summary class=SMALL>"Forward"</summary>
                    <form method="post" action=ForwardMessage::url() class="mt-1 flex items-center gap-1">
                        <CsrfField />
                        <input type="hidden" name="workspace_id" value=ws.clone() />
                        <input type="hidden" name="message_id" value=id.clone() />
                        <select name="to_conversation_id" aria-label="Forward to" class="rounded border border-slate-300 px-1 py-0.5 text-xs" data-testid="message-forward-to">{options}</select>
                        <button type="submit" class=SMALL data-testid="message-forward-send">"Send"</button>
                    </form>
                </details>
            }
        });
        let copy = a.text.clone().map(|text| {
            let ready = a.ready;
            view! {
                <Show when=move || ready.get()>
                    {
                        let text = text.clone();
                        view! { <button type="button" class=SMALL data-testid="message-copy" on:click=move |_| copy_text(&text)>"Copy"</button> }
                    }
                </Show>
            }
        });
        let delete = a.deletable.then(|| {
            let everyone = a.deletes_for_everyone.then(|| view! {
                <button type="submit" name="reach" value="everyone" class=SMALL data-testid="message-delete-everyone">"Delete for everyone"</button>
            });
            view! {
                <details class="inline-block text-left" data-testid="message-delete">
                    <summary class=SMALL>"Delete"</summary>
                    <form method="post" action=DeleteMessage::url() class="mt-1 flex flex-col items-end gap-1">
                        <CsrfField />
                        <input type="hidden" name="workspace_id" value=ws.clone() />
                        <input type="hidden" name="message_id" value=id.clone() />
                        <button type="submit" name="reach" value="us" class=SMALL data-testid="message-delete-us">"Delete for us"</button>
                        {everyone}
                    </form>
                </details>
            }
        });
        view! {
            <div class="mt-1 flex flex-wrap items-start justify-end gap-1" data-testid="message-actions">
                {reply}
                {forward}
                {copy}
                {star}
                {pin}
                {delete}
            </div>
        }
        .into_any()
    })
}

/// Puts a message's words on the clipboard, and says so.
fn copy_text(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        use crate::components::toast::{ToastKind, show_toast};
        // The promise settles later; a refusal (no permission) leaves the clipboard as it was.
        let _ = window.navigator().clipboard().write_text(text);
        show_toast(ToastKind::Success, "Copied to the clipboard.");
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
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
