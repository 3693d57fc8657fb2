//! Settings > Quick replies: saved answers agents insert by typing `/` and the shortcut in
//! the composer, each on every channel or only on those ticked. Those who edit settings
//! add, change and delete them; everyone else sees the list.

use super::settings::SettingsNav;
use crate::components::csrf::CsrfField;
use crate::components::forms::textarea_text;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::quick_replies::{
    CreateQuickReply, DeleteQuickReply, UpdateQuickReply, list_quick_replies,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::quick_reply::{MAX_BODY_CHARS, MAX_SHORTCUT_CHARS, QuickReply};

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const LABEL: &str = "text-xs font-medium text-slate-700";

#[component]
pub fn QuickRepliesPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_quick_replies(ws.clone()));
    let create = ServerAction::<CreateQuickReply>::new();
    let update = ServerAction::<UpdateQuickReply>::new();
    let delete = ServerAction::<DeleteQuickReply>::new();
    let error = move || {
        create
            .value()
            .get()
            .or_else(|| update.value().get())
            .or_else(|| delete.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Quick replies" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="quick-replies-page" class="max-w-4xl space-y-6">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="quick-replies" />
                            <p class="text-sm text-slate-700">
                                "Agents insert a quick reply by typing / and its shortcut in the composer. "
                                "Write {{contact.name}} or {{agent.name}} to have the names filled in."
                            </p>
                            {error}
                            {view.can_edit.then(|| view! {
                                <form method="post" action=CreateQuickReply::url() class="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="quick-reply-form">
                                    <CsrfField />
                                    <input type="hidden" name="workspace_id" value=ws_id.clone() />
                                    <QuickReplyFields reply=None channels=view.channels.clone() />
                                    <div>
                                        <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="quick-reply-create">"Add quick reply"</button>
                                    </div>
                                </form>
                            })}
                            {if view.replies.is_empty() {
                                view! { <EmptyState title="No quick replies yet" hint="Save the answers your team gives every day: opening hours, refund policy, a greeting..." /> }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="quick-reply-list">
                                        {view.replies.iter().cloned().map(|r| view! {
                                            <QuickReplyRow reply=r workspace_id=ws_id.clone() channels=view.channels.clone() can_edit=view.can_edit />
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

/// Shortcut, body and channel inputs, filled in from `reply` when editing.
#[component]
fn QuickReplyFields(reply: Option<QuickReply>, channels: Vec<(String, String)>) -> impl IntoView {
    let id = reply
        .as_ref()
        .map_or_else(|| "new".to_owned(), |r| r.id.clone());
    let chosen = reply
        .as_ref()
        .map(|r| r.channel_ids.clone())
        .unwrap_or_default();
    let boxes = channels
        .into_iter()
        .map(|(channel, name)| {
            let box_id = format!("qr-channel-{id}-{channel}");
            let for_id = box_id.clone();
            view! {
                <label for=for_id class="inline-flex min-h-6 items-center gap-2 text-sm">
                    <input id=box_id type="checkbox" name=format!("channels[{channel}]") value="1" checked=chosen.contains(&channel) class="h-5 w-5" data-testid="quick-reply-channel" />
                    {name}
                </label>
            }
        })
        .collect_view();
    view! {
        <div class="flex flex-col gap-1">
            <label class=LABEL for=format!("qr-shortcut-{id}")>"Shortcut (typed after /)"</label>
            <input id=format!("qr-shortcut-{id}") name="shortcut" required maxlength=MAX_SHORTCUT_CHARS.to_string() class=INPUT data-testid="quick-reply-shortcut" value=reply.as_ref().map(|r| r.shortcut.clone()) />
        </div>
        <div class="flex flex-col gap-1">
            <label class=LABEL for=format!("qr-body-{id}")>"Reply"</label>
            <textarea id=format!("qr-body-{id}") name="body" required rows="3" maxlength=MAX_BODY_CHARS.to_string() class=INPUT data-testid="quick-reply-body">{reply.as_ref().map(|r| textarea_text(&r.body))}</textarea>
        </div>
        <fieldset class="flex flex-col gap-1">
            <legend class=LABEL>"Offered on (none ticked: every channel)"</legend>
            <div class="flex flex-wrap gap-4">{boxes}</div>
        </fieldset>
    }
}

#[component]
fn QuickReplyRow(
    reply: QuickReply,
    workspace_id: String,
    channels: Vec<(String, String)>,
    can_edit: bool,
) -> impl IntoView {
    let scope = if reply.channel_ids.is_empty() {
        "Every channel".to_owned()
    } else {
        channels
            .iter()
            .filter(|(id, _)| reply.channel_ids.contains(id))
            .map(|(_, name)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <li class="px-4 py-3" data-testid="quick-reply-row" data-id=reply.id.clone()>
            <p class="flex flex-wrap items-baseline gap-2">
                <code class="font-semibold" data-testid="quick-reply-row-shortcut">"/" {reply.shortcut.clone()}</code>
                <span class="text-xs text-slate-600" data-testid="quick-reply-row-scope">{scope}</span>
            </p>
            <p class="mt-1 whitespace-pre-wrap text-sm text-slate-800" data-testid="quick-reply-row-body">{reply.body.clone()}</p>
            {can_edit.then(|| view! {
                <details class="mt-2">
                    <summary class="cursor-pointer text-sm text-indigo-700">"Edit"</summary>
                    <form method="post" action=UpdateQuickReply::url() class="mt-2 flex flex-col gap-3">
                        <CsrfField />
                        <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                        <input type="hidden" name="quick_reply_id" value=reply.id.clone() />
                        <QuickReplyFields reply=Some(reply.clone()) channels=channels.clone() />
                        <div>
                            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="quick-reply-save">"Save"</button>
                        </div>
                    </form>
                    <form method="post" action=DeleteQuickReply::url() class="mt-2">
                        <CsrfField />
                        <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                        <input type="hidden" name="quick_reply_id" value=reply.id.clone() />
                        <button type="submit" class="text-sm text-red-700 underline" data-testid="quick-reply-delete">"Delete quick reply"</button>
                    </form>
                </details>
            })}
        </li>
    }
}
