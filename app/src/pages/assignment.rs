//! Settings > Assignment: how the workspace shares out conversations nobody has (off,
//! round robin, least busy), after how long an unanswered customer goes back to the pool,
//! and how many open conversations each member may be given. Those who edit settings
//! change them; auditors read them.

use super::settings::SettingsNav;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::assignment::{
    AssignmentView, SaveAssignmentRules, SetCapacity, get_assignment,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::assignment::{AgentLoad, AutoAssign, MAX_CAPACITY, MAX_INACTIVITY_MINUTES};

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";

#[component]
pub fn AssignmentPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| get_assignment(ws.clone()));
    let rules = ServerAction::<SaveAssignmentRules>::new();
    let capacity = ServerAction::<SetCapacity>::new();
    let error = move || {
        rules
            .value()
            .get()
            .or_else(|| capacity.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Assignment" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="assignment-page" class="max-w-4xl space-y-6">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="assignment" />
                            {error}
                            <RulesForm view=view.clone() workspace_id=ws_id.clone() />
                            <AgentsTable view workspace_id=ws_id />
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn RulesForm(view: AssignmentView, workspace_id: String) -> impl IntoView {
    let current = view.rules.auto_assign;
    let modes = AutoAssign::ALL
        .into_iter()
        .map(|m| view! { <option value=m.as_str() selected=m == current>{m.label()}</option> })
        .collect_view();
    let minutes = view
        .rules
        .inactivity_minutes
        .map(|m| m.to_string())
        .unwrap_or_default();
    view! {
        <form method="post" action=SaveAssignmentRules::url() class="space-y-4 rounded-lg bg-white p-4 shadow-sm" data-testid="assignment-rules">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <fieldset disabled=!view.can_edit class="space-y-4">
                <div class="space-y-1">
                    <label for="auto-assign" class="block text-sm font-medium text-slate-700">"Auto-assignment"</label>
                    <select id="auto-assign" name="auto_assign" data-testid="auto-assign" class=INPUT>{modes}</select>
                    <p class="text-xs text-slate-600">
                        "Gives conversations nobody has to members who are online, have msgbuddy open and are under their capacity. Round robin takes turns; least busy picks whoever has the fewest open conversations."
                    </p>
                </div>
                <div class="space-y-1">
                    <label for="inactivity" class="block text-sm font-medium text-slate-700">"Unassign after (minutes without a reply)"</label>
                    <input id="inactivity" name="inactivity_minutes" type="number" min="1" max=MAX_INACTIVITY_MINUTES value=minutes data-testid="inactivity-minutes" class=INPUT />
                    <p class="text-xs text-slate-600">"Empty: never. A waiting customer's conversation goes back to the pool, and to someone else, if its agent has not answered by then."</p>
                </div>
                {view.can_edit.then(|| view! {
                    <button type="submit" data-testid="assignment-save" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Save rules"</button>
                })}
            </fieldset>
        </form>
    }
}

#[component]
fn AgentsTable(view: AssignmentView, workspace_id: String) -> impl IntoView {
    let can_edit = view.can_edit;
    let rows = view
        .agents
        .into_iter()
        .map(|a| agent_row(a, &workspace_id, can_edit))
        .collect_view();
    view! {
        <table class="w-full rounded-lg bg-white text-left text-sm shadow-sm" data-testid="agent-loads">
            <caption class="p-3 text-left text-sm font-medium text-slate-700">"Members who answer conversations"</caption>
            <thead>
                <tr class="text-xs uppercase text-slate-600">
                    <th scope="col" class="px-3 py-2">"Member"</th>
                    <th scope="col" class="px-3 py-2">"Status"</th>
                    <th scope="col" class="px-3 py-2">"Open"</th>
                    <th scope="col" class="px-3 py-2">"Capacity"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn agent_row(a: AgentLoad, workspace_id: &str, can_edit: bool) -> impl IntoView + use<> {
    let status = if a.connected {
        a.availability.label().to_owned()
    } else {
        format!("{} (not connected)", a.availability.label())
    };
    let capacity = a.capacity.map(|c| c.to_string()).unwrap_or_default();
    let field = format!("capacity-{}", a.user_id);
    let capacity_cell = if can_edit {
        view! {
            <form method="post" action=SetCapacity::url() class="flex items-center gap-2">
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id.to_owned() />
                <input type="hidden" name="user_id" value=a.user_id.clone() />
                <label class="sr-only" for=field.clone()>{format!("Capacity of {}", a.name)}</label>
                <input id=field name="capacity" type="number" min="1" max=MAX_CAPACITY value=capacity placeholder="No limit" data-testid="capacity-input" class=format!("{INPUT} w-28") />
                <button type="submit" data-testid="capacity-save" class="rounded bg-slate-800 px-2 py-1 text-xs text-white">"Set"</button>
            </form>
        }
        .into_any()
    } else {
        view! { <span>{if capacity.is_empty() { "No limit".to_owned() } else { capacity }}</span> }
            .into_any()
    };
    view! {
        <tr class="border-t border-slate-200" data-testid="agent-load" data-user=a.user_id.clone()>
            <td class="px-3 py-2 font-medium">{a.name.clone()}</td>
            <td class="px-3 py-2" data-testid="agent-status">{status}</td>
            <td class="px-3 py-2" data-testid="agent-open">{a.open_conversations}</td>
            <td class="px-3 py-2">{capacity_cell}</td>
        </tr>
    }
}
