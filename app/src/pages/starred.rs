//! The member's starred messages, newest star first, each opening its thread at that
//! message, with an Unstar button (a plain form).

use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, Loading};
use crate::serverfns::marks::{StarMessage, starred_messages};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::message::{Direction, StarredMessage};
use msgbuddy_domain::time::{format_utc, iso_utc};

#[component]
pub fn StarredPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| starred_messages(ws.clone()));
    let unstar = ServerAction::<StarMessage>::new();
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Starred messages" />
        <section data-testid="starred-page" class="flex max-w-4xl flex-col gap-4">
            <h1 class="text-2xl font-semibold">"Starred messages"</h1>
            {move || unstar.value().get().and_then(Result::err).map(|e| view! { <crate::components::states::ErrorBanner message=e.message /> })}
            <Suspense fallback=Loading>
                {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                    match data.await {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No starred messages" hint="Star a message in a conversation to find it here again." />
                        }.into_any(),
                        Ok(list) => view! {
                            <ol class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="starred-list">
                                {list.into_iter().map(|s| view! { <Starred workspace_id=ws_id.clone() starred=s /> }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => super::error_view(e),
                    }
                })}}
            </Suspense>
        </section>
    }
}

#[component]
fn Starred(workspace_id: String, starred: StarredMessage) -> impl IntoView {
    let m = &starred.message;
    let href = format!(
        "/w/{workspace_id}/conversations/{}?at={}#m-{}",
        m.conversation_id, m.id, m.id
    );
    let who = if m.direction == Direction::Inbound {
        starred.contact_name.clone()
    } else {
        format!("To {}", starred.contact_name)
    };
    view! {
        <li data-testid="starred-message" data-id=m.id.clone() class="flex items-start gap-3 px-4 py-3">
            <a href=href class="min-w-0 flex-1 hover:underline">
                <span class="flex justify-between gap-3 text-xs text-slate-600">
                    <span class="font-medium text-slate-800">{who}</span>
                    <time datetime=iso_utc(m.created_at_ms)>{format_utc(m.created_at_ms)}</time>
                </span>
                <span class="mt-1 block truncate text-sm">{m.content.preview()}</span>
            </a>
            <form method="post" action=StarMessage::url()>
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id />
                <input type="hidden" name="message_id" value=m.id.clone() />
                <input type="hidden" name="on" value="0" />
                <button type="submit" class="rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-800 hover:bg-slate-50" data-testid="starred-unstar">"Unstar"</button>
            </form>
        </li>
    }
}
