//! The notification centre: the member's newest notifications, each opening what it is
//! about, unread ones marked, with "mark read" forms that work without JavaScript.

use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::notifications::{MarkNotificationsRead, list_notifications};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::notification::{Notification, NotificationKind};
use msgbuddy_domain::time::{format_utc, iso_utc};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_notifications(ws.clone()));
    let read = ServerAction::<MarkNotificationsRead>::new();
    let error = move || {
        read.value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Notifications" />
        <section data-testid="notifications-page" class="max-w-3xl space-y-4">
            <div class="flex items-center justify-between gap-2">
                <h1 class="text-2xl font-semibold">"Notifications"</h1>
                <a href=format!("/w/{}/notifications/preferences", ctx.id) class="text-sm text-indigo-700 underline" data-testid="notification-preferences">"Preferences"</a>
            </div>
            {error}
            <Suspense fallback=Loading>
                {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                    match data.await {
                        Ok(list) if list.notifications.is_empty() => view! {
                            <EmptyState title="Nothing yet" hint="You hear here when a conversation is assigned to you or a teammate mentions you in a private note." />
                        }.into_any(),
                        Ok(list) => view! {
                            {(list.unread > 0).then(|| view! {
                                <form method="post" action=MarkNotificationsRead::url()>
                                    <CsrfField />
                                    <input type="hidden" name="workspace_id" value=ws_id.clone() />
                                    <button type="submit" data-testid="notifications-read-all" class="rounded-md border border-slate-300 px-3 py-1 text-sm text-slate-800 hover:bg-slate-50">
                                        {format!("Mark all {} read", list.unread)}
                                    </button>
                                </form>
                            })}
                            <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="notification-list">
                                {list.notifications.into_iter().map(|n| view! { <Row n workspace_id=ws_id.clone() /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => super::error_view(e),
                    }
                })}}
            </Suspense>
        </section>
    }
}

#[component]
fn Row(n: Notification, workspace_id: String) -> impl IntoView {
    let kind = match n.kind {
        NotificationKind::Assigned => "Assigned",
        NotificationKind::Mentioned => "Mentioned",
        NotificationKind::NewMessage => "New message",
        NotificationKind::ChannelInvalid => "Channel",
    };
    let link = n
        .conversation_id
        .as_ref()
        .map(|c| format!("/w/{workspace_id}/conversations/{c}"));
    view! {
        <li class="flex items-start justify-between gap-3 px-4 py-3" data-testid="notification" data-read=n.read.to_string()>
            <div class="min-w-0">
                <p class="text-xs text-slate-600">
                    {(!n.read).then(|| view! { <span class="mr-1 rounded bg-indigo-700 px-1.5 font-semibold text-white">"New"</span> })}
                    {kind} " · " <time datetime=iso_utc(n.created_at_ms)>{format_utc(n.created_at_ms)}</time>
                </p>
                <p class="break-words text-sm text-slate-900" data-testid="notification-body">{n.body.clone()}</p>
                {link.map(|href| view! { <a href=href class="text-sm text-indigo-700 underline" data-testid="notification-open">"Open the conversation"</a> })}
            </div>
            {(!n.read).then(|| view! {
                <form method="post" action=MarkNotificationsRead::url()>
                    <CsrfField />
                    <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                    <input type="hidden" name="notification_id" value=n.id.clone() />
                    <button type="submit" data-testid="notification-read" class="rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-800">"Mark read"</button>
                </form>
            })}
        </li>
    }
}
