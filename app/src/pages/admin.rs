//! The platform admin panel: every workspace with its usage, and suspension.

use crate::components::csrf::CsrfField;
use crate::components::states::Loading;
use crate::serverfns::admin::{SetWorkspaceSuspended, admin_workspaces};
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    let suspend = ServerAction::<SetWorkspaceSuspended>::new();
    let data = Resource::new(|| (), |_| admin_workspaces());
    view! {
        <crate::components::head::PageTitle text="Platform admin" />
        <main class="mx-auto max-w-5xl p-6" data-testid="admin-page">
            <h1 class="mb-4 text-2xl font-semibold">"Platform admin"</h1>
            <a href="/" class="text-sm text-indigo-600 underline">"Back to your workspace"</a>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(list) => {
                            let rows = list.into_iter().map(|w| view! {
                                <tr data-testid="admin-workspace-row" class="border-t border-slate-200">
                                    <td class="py-2 pr-4 font-medium">{w.name.clone()}</td>
                                    <td class="py-2 pr-4 font-mono text-xs">{w.id.clone()}</td>
                                    <td class="py-2 pr-4">{w.members}</td>
                                    <td class="py-2 pr-4">{w.events}</td>
                                    <td class="py-2 pr-4">{if w.suspended { "Suspended" } else { "Active" }}</td>
                                    <td class="py-2">
                                        <ActionForm action=suspend>
                                            <CsrfField />
                                            <input type="hidden" name="workspace_id" value=w.id.clone() />
                                            <input type="hidden" name="suspended" value=(!w.suspended).to_string() />
                                            <button type="submit" data-testid="admin-suspend" class="rounded border border-slate-300 px-2 py-1 text-xs">
                                                {if w.suspended { "Reinstate" } else { "Suspend" }}
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }).collect_view();
                            view! {
                                <table class="mt-4 w-full text-left text-sm">
                                    <thead><tr class="text-xs uppercase text-slate-500">
                                        <th class="py-2">"Workspace"</th><th>"Id"</th><th>"Members"</th><th>"Events"</th><th>"Status"</th><th><span class="sr-only">"Action"</span></th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            }.into_any()
                        }
                        Err(e) => super::error_view(e),
                    }
                })}
            </Suspense>
        </main>
    }
}
