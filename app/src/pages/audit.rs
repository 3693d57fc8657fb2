//! Browsing the audit log, filtered by action and actor. The filter is a GET form, so
//! filtered views have shareable URLs and work without JavaScript.

use super::settings::SettingsNav;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, Loading};
use crate::serverfns::audit::list_audit;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use msgbuddy_domain::views::AuditRecord;

#[component]
pub fn AuditPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let query = use_query_map();
    let ws = ctx.id.clone();
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("action"),
                q.get("actor"),
                q.get("before").and_then(|b| b.parse::<i64>().ok()),
            )
        },
        move |(action, actor_email, before_ms)| {
            list_audit(ws.clone(), action, actor_email, before_ms)
        },
    );
    view! {
        <crate::components::head::PageTitle text="Audit log" />
        <section data-testid="audit-page" class="max-w-5xl">
            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
            <SettingsNav current="audit" />
            <form method="get" class="mb-4 flex flex-wrap items-end gap-3" data-testid="audit-filter">
                <div>
                    <label for="audit-action" class="block text-sm font-medium">"Action starts with"</label>
                    <input id="audit-action" name="action" value=move || query.read().get("action").unwrap_or_default() placeholder="member." class="rounded border border-slate-300 px-2 py-1 text-sm" />
                </div>
                <div>
                    <label for="audit-actor" class="block text-sm font-medium">"Actor email"</label>
                    <input id="audit-actor" name="actor" type="email" value=move || query.read().get("actor").unwrap_or_default() class="rounded border border-slate-300 px-2 py-1 text-sm" />
                </div>
                <button type="submit" class="rounded bg-slate-800 px-3 py-1.5 text-sm text-white" data-testid="audit-apply">"Filter"</button>
            </form>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(rows) if rows.is_empty() => view! { <EmptyState title="No entries" hint="Nothing matches these filters." /> }.into_any(),
                        Ok(rows) => view! { <AuditTable rows /> }.into_any(),
                        Err(e) => super::error_view(e),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AuditTable(rows: Vec<AuditRecord>) -> impl IntoView {
    let body = rows
        .into_iter()
        .map(|r| view! {
            <tr data-testid="audit-row" data-action=r.action.clone() class="border-t border-slate-200 align-top">
                <td class="whitespace-nowrap py-2 pr-3 font-mono text-xs">{format_ms(r.at_ms)}</td>
                <td class="py-2 pr-3">{r.actor_email.clone().unwrap_or_else(|| "system".to_owned())}</td>
                <td class="py-2 pr-3 font-medium">{r.action.clone()}</td>
                <td class="break-all py-2 pr-3 text-xs">{r.target_type.clone()} " " {r.target_id.clone().unwrap_or_default()}</td>
                <td class="py-2 pr-3 text-xs">{r.ip.clone().unwrap_or_default()}</td>
                // Before and after states are long JSON: wrap them inside the column.
                <td class="min-w-64 break-all py-2 font-mono text-xs">
                    {r.before.clone().map(|b| view! { <div>"before: " {b}</div> })}
                    {r.after.clone().map(|a| view! { <div>"after: " {a}</div> })}
                </td>
            </tr>
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto">
        <table class="w-full text-left text-sm" data-testid="audit-table">
            <thead>
                <tr class="text-xs uppercase text-slate-500">
                    <th class="py-2 pr-3">"When (UTC)"</th><th class="py-2 pr-3">"Who"</th><th class="py-2 pr-3">"Action"</th><th class="py-2 pr-3">"Target"</th><th class="py-2 pr-3">"IP"</th><th class="py-2 pr-3">"Change"</th>
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
        </div>
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, computed without a date library (days-from-civil).
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_format_as_utc_dates() {
        assert_eq!(super::format_ms(0), "1970-01-01 00:00:00");
        assert_eq!(super::format_ms(1_795_000_000_000), "2026-11-18 11:06:40");
        assert_eq!(super::format_ms(951_782_400_000), "2000-02-29 00:00:00");
    }
}
