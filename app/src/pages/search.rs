//! Search: every message of the workspace's history by its words, newest first, with
//! filters, the matching words marked, and each result opening its thread at that
//! message. A plain GET form, so results are a link.

use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, Loading};
use crate::serverfns::search::{SearchParams, search_messages};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use msgbuddy_domain::message::{ChannelView, MATCH_END, MATCH_START, SearchHit};
use msgbuddy_domain::time::{format_utc, iso_utc};

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const FIELD: &str = "flex flex-col text-xs font-medium text-slate-700";

#[component]
pub fn SearchPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        SearchParams {
            q: q.get("q"),
            channel: q.get("channel"),
            direction: q.get("direction"),
            since: q.get("since"),
            until: q.get("until"),
            after: q.get("after"),
        }
    };
    let ws = ctx.id.clone();
    let data = Resource::new(params, move |p| search_messages(ws.clone(), p, false));
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Search" />
        <section data-testid="search-page" class="flex max-w-4xl flex-col gap-4">
            <h1 class="text-2xl font-semibold">"Search messages"</h1>
            <Suspense fallback=Loading>
                {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                    let p = params();
                    match data.await {
                        Ok(found) => view! {
                            <SearchForm workspace_id=ws_id.clone() params=p.clone() channels=found.channels.clone() />
                            {match (p.q.as_deref().is_some_and(|q| !q.trim().is_empty()), found.hits.is_empty()) {
                                (false, _) => view! { <p class="text-sm text-slate-600">"Search the whole history of the workspace's messages."</p> }.into_any(),
                                (true, true) => view! { <EmptyState title="Nothing found" hint="Try other words, or fewer filters." /> }.into_any(),
                                (true, false) => view! {
                                    <ol class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="search-results">
                                        {found.hits.iter().cloned().map(|hit| view! { <Hit workspace_id=ws_id.clone() hit /> }).collect_view()}
                                    </ol>
                                }.into_any(),
                            }}
                            {found.next.clone().map(|after| {
                                let more = SearchParams { after: Some(after), ..p.clone() };
                                view! { <a href=format!("/w/{ws_id}/search?{}", query_string(&more)) class="text-sm text-indigo-700 underline" data-testid="search-next">"Older results"</a> }
                            })}
                        }.into_any(),
                        Err(e) => view! {
                            <SearchForm workspace_id=ws_id.clone() params=p.clone() channels=Vec::new() />
                            <crate::components::states::ErrorBanner message=e.message />
                        }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
}

fn query_string(p: &SearchParams) -> String {
    [
        ("q", &p.q),
        ("channel", &p.channel),
        ("direction", &p.direction),
        ("since", &p.since),
        ("until", &p.until),
        ("after", &p.after),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!("{k}={}", msgbuddy_domain::values::query_value(v)))
    })
    .collect::<Vec<_>>()
    .join("&")
}

#[component]
fn SearchForm(
    workspace_id: String,
    params: SearchParams,
    channels: Vec<ChannelView>,
) -> impl IntoView {
    let is = |given: &Option<String>, value: &str| given.as_deref() == Some(value);
    view! {
        <form method="get" action=format!("/w/{workspace_id}/search") role="search" class="flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="search-form">
            <label class=FIELD>
                "Words"
                <input type="search" name="q" required value=params.q.clone() class=INPUT data-testid="search-input" />
            </label>
            <label class=FIELD>
                "Channel"
                <select name="channel" class=INPUT data-testid="search-channel">
                    <option value="">"Any"</option>
                    {channels.into_iter().map(|c| {
                        let on = is(&params.channel, &c.id);
                        view! { <option value=c.id.clone() selected=on>{format!("{}: {}", c.kind.label(), c.name)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class=FIELD>
                "Direction"
                <select name="direction" class=INPUT data-testid="search-direction">
                    <option value="">"Both"</option>
                    <option value="inbound" selected=is(&params.direction, "inbound")>"From customers"</option>
                    <option value="outbound" selected=is(&params.direction, "outbound")>"To customers"</option>
                </select>
            </label>
            <label class=FIELD>
                "From (UTC)"
                <input type="date" name="since" value=params.since.clone() class=INPUT data-testid="search-since" />
            </label>
            <label class=FIELD>
                "To (UTC)"
                <input type="date" name="until" value=params.until.clone() class=INPUT data-testid="search-until" />
            </label>
            <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="search-submit">"Search"</button>
        </form>
    }
}

/// The snippet with its matching words in `<mark>`, every part escaped as text.
fn marked(snippet: &str) -> Vec<AnyView> {
    let mut parts = Vec::new();
    let mut inside = false;
    let mut current = String::new();
    for c in snippet.chars() {
        match c {
            MATCH_START | MATCH_END => {
                parts.push((inside, std::mem::take(&mut current)));
                inside = c == MATCH_START;
            }
            c => current.push(c),
        }
    }
    parts.push((inside, current));
    parts
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .map(|(hit, text)| {
            if hit {
                view! { <mark class="rounded bg-amber-200 px-0.5">{text}</mark> }.into_any()
            } else {
                view! { <span>{text}</span> }.into_any()
            }
        })
        .collect()
}

#[component]
fn Hit(workspace_id: String, hit: SearchHit) -> impl IntoView {
    let m = &hit.message;
    let href = format!(
        "/w/{workspace_id}/conversations/{}?at={}#m-{}",
        m.conversation_id, m.id, m.id
    );
    let who = if m.direction == msgbuddy_domain::message::Direction::Inbound {
        hit.contact_name.clone()
    } else {
        format!("To {}", hit.contact_name)
    };
    view! {
        <li data-testid="search-result" data-id=m.id.clone()>
            <a href=href class="block px-4 py-3 hover:bg-slate-50">
                <span class="flex justify-between gap-3 text-xs text-slate-600">
                    <span class="font-medium text-slate-800">{who}</span>
                    <time datetime=iso_utc(m.created_at_ms)>{format_utc(m.created_at_ms)}</time>
                </span>
                <span class="mt-1 block text-sm" data-testid="search-snippet">{marked(&hit.snippet)}</span>
            </a>
        </li>
    }
}
