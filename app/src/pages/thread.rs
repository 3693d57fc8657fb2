//! One conversation: its messages with live status ticks, and the composer.
//!
//! The messages are an island: with JavaScript, new messages and status changes arrive
//! over the workspace's live stream and update in place. Without it, the page is the
//! same list as of loading, and the composer and Retry are plain forms.

use super::thread_actions::{ConversationActions, LiveTimeline};
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::live::{LiveEvent, on_live_event};
use crate::components::message::MessageBubble;
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::conversations::{
    AssignConversation, CancelScheduled, RetryMessage, SendText, SetConversationStatus, get_thread,
};
use crate::serverfns::notes::AddNote;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};
use msgbuddy_domain::message::{ConversationSummary, DeliveryStatus, MessageView};
use msgbuddy_domain::time::format_utc;

#[component]
pub fn ThreadPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let params = use_params_map();
    let query = use_query_map();
    let ws = ctx.id.clone();
    let data = Resource::new(
        move || {
            (
                params.read().get("conversation").unwrap_or_default(),
                query.read().get("before"),
                query.read().get("at"),
            )
        },
        move |(id, before, at)| get_thread(ws.clone(), id, before, at),
    );
    let send = ServerAction::<SendText>::new();
    let retry = ServerAction::<RetryMessage>::new();
    let cancel = ServerAction::<CancelScheduled>::new();
    let star = ServerAction::<crate::serverfns::marks::StarMessage>::new();
    let pin = ServerAction::<crate::serverfns::marks::PinMessage>::new();
    let forward = ServerAction::<crate::serverfns::marks::ForwardMessage>::new();
    let assign = ServerAction::<AssignConversation>::new();
    let status = ServerAction::<SetConversationStatus>::new();
    let note = ServerAction::<AddNote>::new();
    let error = move || {
        send.value()
            .get()
            .or_else(|| retry.value().get())
            .or_else(|| cancel.value().get())
            .or_else(|| assign.value().get())
            .or_else(|| status.value().get())
            .or_else(|| note.value().get())
            .or_else(|| star.value().get())
            .or_else(|| pin.value().get())
            .or_else(|| forward.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    // Rendered on the server only (this page is not an island), where the key is.
    #[cfg(feature = "ssr")]
    let notice = query
        .with_untracked(|q| crate::server::signed_notice(&q.get("notice")?, &q.get("notice_sig")?));
    #[cfg(not(feature = "ssr"))]
    let notice: Option<String> = None;
    view! {
        <crate::components::head::PageTitle text="Conversation" />
        {notice.map(|message| view! { <ErrorBanner message /> })}
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(thread) => {
                        let c = thread.conversation.clone();
                        // `?reply=<message>`: the composer quotes that message.
                        let replying = query
                            .with_untracked(|q| q.get("reply"))
                            .and_then(|id| thread.messages.iter().find(|m| m.id == id).cloned());
                        // `?quick=<id>`: the composer starts with that quick reply (no JavaScript).
                        let prefill = query
                            .with_untracked(|q| q.get("quick"))
                            .and_then(|id| thread.quick_replies.iter().find(|r| r.id == id))
                            .map(|r| r.filled(&c.contact_name, &thread.user_name));
                        // WhatsApp after 24 hours without a word from the customer.
                        let window_closed = c.has_window
                            && c.window_closes_at_ms.is_none_or(|at| at <= super::conversations::server_now_ms());
                        let back = format!("/w/{ws_id}/conversations{}", if c.is_test { "?test=1" } else { "" });
                        view! {
                            <section data-testid="thread-page" class="flex max-w-3xl flex-col gap-4">
                                <a href=back class="text-sm text-indigo-700 underline">"← All conversations"</a>
                                <ThreadHeader conversation=c.clone() />
                                {thread.can_reply.then(|| view! {
                                    <div class="flex justify-end">
                                        <super::thread_marks::MarkRead workspace_id=ws_id.clone() conversation_id=c.id.clone() unread={c.unread_count > 0} />
                                    </div>
                                })}
                                <super::thread_contact::ContactSide workspace_id=ws_id.clone() conversation_id=c.id.clone() contact=thread.contact.clone() can_edit=thread.can_reply />
                                <super::thread_marks::PinnedMessages pinned=thread.pinned.clone() />
                                <super::thread_presence::ThreadPresence
                                    workspace_id=ws_id.clone()
                                    conversation_id=c.id.clone()
                                    can_reply=thread.can_reply
                                />
                                <LiveTimeline conversation=c.clone() notes=thread.timeline.clone() />
                                {thread.can_reply.then(|| view! {
                                    <ConversationActions
                                        workspace_id=ws_id.clone()
                                        conversation=c.clone()
                                        assignees=thread.assignees.clone()
                                        labels=thread.labels.clone()
                                        can_assign=thread.can_assign
                                        user_id=thread.user_id.clone()
                                    />
                                })}
                                <LiveThread
                                    workspace_id=ws_id.clone()
                                    conversation_id=c.id.clone()
                                    messages=thread.messages.clone()
                                    can_reply=thread.can_reply
                                    starred=thread.starred.clone()
                                    pinned=thread.pinned.iter().map(|m| m.id.clone()).collect()
                                    forward_targets=thread.forward_targets.clone()
                                    deletes_for_everyone=thread.deletes_for_everyone
                                    older=thread.older.clone()
                                />
                                {error}
                                {(thread.can_reply && window_closed).then(|| view! {
                                    <super::thread_template::TemplateComposer workspace_id=ws_id.clone() conversation_id=c.id.clone() />
                                })}
                                {(thread.can_reply && !window_closed).then(|| view! {
                                    <Composer
                                        workspace_id=ws_id.clone()
                                        conversation=c.clone()
                                        replying=replying.clone()
                                        prefill=prefill.clone()
                                        quick_replies=thread.quick_replies.clone()
                                        user_name=thread.user_name.clone()
                                    />
                                    <AttachmentForm workspace_id=ws_id.clone() conversation_id=c.id.clone() />
                                })}
                            </section>
                        }.into_any()
                    }
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn ThreadHeader(conversation: ConversationSummary) -> impl IntoView {
    let now = super::conversations::server_now_ms();
    let window = conversation
        .has_window
        .then(|| match conversation.window_closes_at_ms {
            Some(at) if at > now => format!("Reply window open until {}", format_utc(at)),
            _ => "Reply window closed: only an approved template can be sent".to_owned(),
        });
    view! {
        <header class="rounded-lg bg-white p-4 shadow-sm" data-testid="thread-header">
            <h1 class="text-xl font-semibold" data-testid="thread-contact">{conversation.contact_name.clone()}</h1>
            <p class="text-sm text-slate-600">
                <span data-testid="thread-address">{conversation.contact_address.clone()}</span>
                " · "
                <span data-testid="thread-channel">{conversation.channel_kind.label()} ": " {conversation.channel_name.clone()}</span>
                {conversation.is_test.then(|| view! { " · " <span class="font-semibold text-amber-800">"Test mode"</span> })}
            </p>
            {window.map(|w| view! { <p class="mt-1 text-sm text-slate-700" data-testid="thread-window">{w}</p> })}
        </header>
    }
}

#[component]
fn Composer(
    workspace_id: String,
    conversation: ConversationSummary,
    /// The message this reply quotes, if any.
    replying: Option<MessageView>,
    /// What the composer starts with (a quick reply chosen without JavaScript).
    prefill: Option<String>,
    quick_replies: Vec<msgbuddy_domain::quick_reply::QuickReply>,
    user_name: String,
) -> impl IntoView {
    let no_script_picker = (!quick_replies.is_empty()).then(|| {
        let replying_to = replying.as_ref().map(|m| m.id.clone());
        view! { <QuickReplyForm replies=quick_replies.clone() replying_to /> }
    });
    let quote = replying.map(|m| {
        view! {
            <div class="flex items-start justify-between gap-2 border-l-4 border-indigo-300 bg-indigo-50 px-2 py-1 text-sm" data-testid="composer-quote">
                <p class="min-w-0 truncate">"Replying to: " {m.content.preview()}</p>
                <a href="?" class="shrink-0 text-xs text-indigo-800 underline">"Cancel reply"</a>
                <input type="hidden" name="reply_to" value=m.id />
            </div>
        }
    });
    view! {
        <form id=super::thread_draft::FORM_ID method="post" action=SendText::url() class="flex flex-col gap-2 rounded-lg bg-white p-3 shadow-sm" data-testid="composer">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id.clone() />
            <input type="hidden" name="conversation_id" value=conversation.id.clone() />
            {quote}
            <label for="composer-text" class="text-sm font-medium text-slate-700">"Message"</label>
            <textarea
                id=super::thread_draft::TEXT_ID
                name="text"
                rows="3"
                required
                maxlength="4096"
                data-testid="composer-text"
                aria-describedby="composer-hint"
                class="w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
            >{prefill.map(|p| crate::components::forms::textarea_text(&p))}</textarea>
            <super::thread_quick_replies::QuickReplyPicker
                replies=quick_replies
                contact_name=conversation.contact_name.clone()
                agent_name=user_name.clone()
            />
            <p id="composer-hint" class="text-xs text-slate-600">
                "Send it to the customer, or keep it as a private note for the team: mention a teammate with @ and their name."
            </p>
            <super::thread_draft::ComposerDraft workspace_id=workspace_id.clone() conversation_id=conversation.id.clone() user_name=user_name.clone() />
            <div class="flex flex-wrap items-end justify-end gap-3">
                <super::thread_emoji::EmojiPicker />
                <div class="flex flex-col">
                    <label for="composer-send-at" class="text-xs font-medium text-slate-700">"Send later (UTC, optional)"</label>
                    <input
                        id="composer-send-at"
                        name="send_at"
                        type="datetime-local"
                        data-testid="composer-send-at"
                        class="rounded-md border border-slate-300 px-2 py-1 text-sm"
                    />
                </div>
                // The same words as a private note instead: for the team, never sent.
                <button type="submit" formaction=AddNote::url() data-testid="composer-note" class="rounded-md border border-amber-400 bg-amber-50 px-4 py-2 text-sm font-semibold text-slate-900 hover:bg-amber-100">
                    "Add private note"
                </button>
                <button type="submit" data-testid="composer-send" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                    "Send"
                </button>
            </div>
        </form>
        {no_script_picker}
    }
}

/// Puts a quick reply in the composer by reloading the thread with `?quick=<id>`: the way
/// without JavaScript (with it, typing `/` is quicker).
#[component]
fn QuickReplyForm(
    replies: Vec<msgbuddy_domain::quick_reply::QuickReply>,
    /// Kept across the reload, so the reply still quotes its message.
    replying_to: Option<String>,
) -> impl IntoView {
    view! {
        <details class="rounded-lg bg-white p-3 text-sm shadow-sm" data-testid="quick-reply-insert">
            <summary class="cursor-pointer text-indigo-700">"Insert a quick reply (or type / in the message)"</summary>
            <form method="get" class="mt-2 flex flex-wrap items-end gap-2">
                {replying_to.map(|id| view! { <input type="hidden" name="reply" value=id /> })}
                <label for="quick-reply-choice" class="flex flex-col text-xs font-medium text-slate-700">
                    "Quick reply"
                    <select id="quick-reply-choice" name="quick" class="rounded-md border border-slate-300 px-2 py-1 text-sm" data-testid="quick-reply-choice">
                        {replies.into_iter().map(|r| view! { <option value=r.id>"/" {r.shortcut}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="quick-reply-insert-submit">"Insert"</button>
            </form>
        </details>
    }
}

/// Sends a file, with an optional caption: a plain multipart form to the attachment route,
/// which sends the browser back here.
#[component]
fn AttachmentForm(workspace_id: String, conversation_id: String) -> impl IntoView {
    let action = format!("/w/{workspace_id}/conversations/{conversation_id}/attachment");
    view! {
        <form method="post" action=action enctype="multipart/form-data" class="flex flex-col gap-2 rounded-lg bg-white p-3 shadow-sm" data-testid="attachment-form">
            // The route reads the token before the file, so it comes first.
            <CsrfField />
            <label for="attachment-caption" class="text-sm font-medium text-slate-700">"Caption (optional)"</label>
            <input
                id="attachment-caption"
                name="caption"
                type="text"
                maxlength="1024"
                data-testid="attachment-caption"
                class="w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
            />
            <div class="flex flex-wrap items-end justify-between gap-3">
                <div class="flex flex-col">
                    <label for="attachment-file" class="text-sm font-medium text-slate-700">"File"</label>
                    <input id="attachment-file" name="file" type="file" required data-testid="attachment-file" class="text-sm" />
                </div>
                <button type="submit" data-testid="attachment-send" class="rounded-md border border-indigo-600 px-4 py-2 text-sm font-semibold text-indigo-700 hover:bg-indigo-50">
                    "Send file"
                </button>
            </div>
        </form>
    }
}

/// One message and its live state.
#[derive(Clone)]
struct Live {
    message: MessageView,
    status: RwSignal<DeliveryStatus>,
    error: RwSignal<Option<String>>,
}

impl Live {
    fn new(message: MessageView) -> Self {
        Self {
            status: RwSignal::new(message.status),
            error: RwSignal::new(message.error_message.clone()),
            message,
        }
    }
}

/// The messages: an island that follows the conversation live.
#[island]
fn LiveThread(
    workspace_id: String,
    conversation_id: String,
    messages: Vec<MessageView>,
    can_reply: bool,
    /// The messages the member starred.
    starred: Vec<String>,
    /// The conversation's pinned messages.
    pinned: Vec<String>,
    /// Conversations a message can be forwarded to: (id, label).
    forward_targets: Vec<(String, String)>,
    /// The channel's provider can delete a message for the customer too.
    deletes_for_everyone: bool,
    /// The oldest message shown, when there are older ones to load.
    older: Option<String>,
) -> impl IntoView {
    let targets = std::sync::Arc::new(forward_targets);
    // Buttons that only work with JavaScript (Copy) appear once it runs.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let list = RwSignal::new(messages.into_iter().map(Live::new).collect::<Vec<_>>());
    let this = conversation_id.clone();
    on_live_event(move |e: &LiveEvent| apply(e, &this, list));
    super::thread_optimistic::on_local(move |l| apply_local(l, list));
    let ws = workspace_id.clone();
    // A page of older messages goes above the rest; any already here are not repeated.
    let prepend = move |page: Vec<MessageView>| {
        list.update(|l| {
            let mut joined: Vec<Live> = page
                .into_iter()
                .filter(|m| l.iter().all(|x| x.message.id != m.id))
                .map(Live::new)
                .collect();
            joined.append(l);
            *l = joined;
        })
    };
    view! {
        <super::thread_older::OlderMessages workspace_id=workspace_id.clone() conversation_id=conversation_id.clone() older ready prepend />
        <ol class="flex flex-col gap-2" data-testid="thread" aria-live="polite">
            <For each=move || list.get() key=|l| (l.message.id.clone(), l.message.content.files_ready(), l.message.deleted_at_ms.is_some()) let:live>
                {
                    let retry = (can_reply && live.message.direction == msgbuddy_domain::message::Direction::Outbound && live.message.deleted_at_ms.is_none()).then(|| {
                        let (ws, id) = (ws.clone(), live.message.id.clone());
                        let form: ChildrenFn = std::sync::Arc::new(move || view! {
                            <form method="post" action=RetryMessage::url() class="mt-1 text-right">
                                <CsrfField />
                                <input type="hidden" name="workspace_id" value=ws.clone() />
                                <input type="hidden" name="message_id" value=id.clone() />
                                <button type="submit" data-testid="message-retry" class="rounded border border-red-300 px-2 py-0.5 text-xs text-red-700">"Retry"</button>
                            </form>
                        }.into_any());
                        form
                    });
                    let cancel = (can_reply && live.message.scheduled_at_ms.is_some()).then(|| {
                        let (ws, id) = (ws.clone(), live.message.id.clone());
                        let form: ChildrenFn = std::sync::Arc::new(move || view! {
                            <form method="post" action=CancelScheduled::url() class="mt-1 text-right">
                                <CsrfField />
                                <input type="hidden" name="workspace_id" value=ws.clone() />
                                <input type="hidden" name="message_id" value=id.clone() />
                                <button type="submit" data-testid="message-cancel" class="rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-800">"Cancel"</button>
                            </form>
                        }.into_any());
                        form
                    });
                    let standing = live.message.deleted_at_ms.is_none() && !super::thread_optimistic::is_local(&live.message);
                    let actions = standing.then(|| super::thread_marks::message_actions(super::thread_marks::ActionsFor {
                        workspace_id: ws.clone(),
                        message_id: live.message.id.clone(),
                        starred: starred.contains(&live.message.id),
                        pinned: pinned.contains(&live.message.id),
                        can_reply,
                        quotable: live.message.provider_message_id.is_some(),
                        targets: targets.clone(),
                        // A scheduled message is canceled instead; one being sent is refused with why.
                        deletable: can_reply && live.message.scheduled_at_ms.is_none(),
                        deletes_for_everyone,
                        text: Some(live.message.content.preview()).filter(|t| !t.is_empty()),
                        ready,
                    }));
                    // What it answers: the quoted message's words, if it is on this page.
                    let quote = live.message.reply_to.as_ref().map(|r| {
                        list.with_untracked(|l| {
                            l.iter()
                                .find(|x| x.message.provider_message_id.as_ref() == Some(r))
                                .map(|x| x.message.content.preview())
                                .unwrap_or_else(|| "an earlier message".to_owned())
                        })
                    });
                    view! { <MessageBubble message=live.message.clone() status=live.status error=live.error retry cancel actions quote /> }
                }
            </For>
        </ol>
    }
}

/// What the composer's optimistic send changes in this thread.
fn apply_local(local: &super::thread_optimistic::Local, list: RwSignal<Vec<Live>>) {
    use super::thread_optimistic::Local;
    match local {
        Local::Sending(copy) => list.update(|l| l.push(Live::new(copy.clone()))),
        Local::Stored { local_id, message } => list.update(|l| {
            // The live stream may have brought the stored message already.
            let arrived = l.iter().any(|x| x.message.id == message.id);
            match l.iter().position(|x| &x.message.id == local_id) {
                Some(at) if arrived => {
                    l.remove(at);
                }
                Some(at) => l[at] = Live::new(message.clone()),
                None if !arrived => l.push(Live::new(message.clone())),
                None => {}
            }
        }),
        Local::Refused { local_id } => list.update(|l| l.retain(|x| &x.message.id != local_id)),
    }
}

/// What a live event changes in this thread: a new message, or a status moving forward.
fn apply(e: &LiveEvent, conversation_id: &str, list: RwSignal<Vec<Live>>) {
    if e.data.get("conversation_id").and_then(|v| v.as_str()) != Some(conversation_id)
        && e.data
            .get("message")
            .and_then(|m| m.get("conversation_id"))
            .and_then(|v| v.as_str())
            != Some(conversation_id)
    {
        return;
    }
    match e.name.as_str() {
        "message.created" => {
            let Some(message) = e
                .data
                .get("message")
                .and_then(|m| serde_json::from_value::<MessageView>(m.clone()).ok())
            else {
                return;
            };
            if list.with_untracked(|l| l.iter().all(|x| x.message.id != message.id)) {
                list.update(|l| {
                    // Our own message, back from the server before the answer to the send:
                    // it takes the place of the copy shown while sending.
                    let copy = l.iter().position(|x| {
                        super::thread_optimistic::is_local(&x.message)
                            && message.direction == x.message.direction
                            && message.sent_by == x.message.sent_by
                            && x.message.content == message.content
                    });
                    match copy {
                        Some(at) => l[at] = Live::new(message),
                        None => l.push(Live::new(message)),
                    }
                });
            }
        }
        "message.updated" => {
            let Some(message) = e
                .data
                .get("message")
                .and_then(|m| serde_json::from_value::<MessageView>(m.clone()).ok())
            else {
                return;
            };
            list.update(|l| {
                if let Some(live) = l.iter_mut().find(|x| x.message.id == message.id) {
                    live.message.content = message.content;
                    live.message.deleted_at_ms = message.deleted_at_ms;
                    live.message.deleted_for_everyone = message.deleted_for_everyone;
                }
            });
        }
        "message.status_changed" => {
            let id = e
                .data
                .get("message_id")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let Some(status) = e
                .data
                .get("status")
                .and_then(|v| serde_json::from_value::<DeliveryStatus>(v.clone()).ok())
            else {
                return;
            };
            let error = e
                .data
                .get("error_message")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            list.with_untracked(|l| {
                if let Some(live) = l.iter().find(|x| x.message.id == id) {
                    let current = live.status.get_untracked();
                    // Retry puts a failed message back to pending; otherwise only forward.
                    if current.may_become(status) || status == DeliveryStatus::Pending {
                        live.status.set(status);
                        if error.is_some() || status == DeliveryStatus::Pending {
                            live.error.set(error.clone());
                        }
                    }
                }
            });
        }
        _ => {}
    }
}
