//! Settings > API keys: create a key (shown once), see when each was last used, revoke;
//! and the price per message by channel kind that the API quotes as `cost_estimate`.

use super::settings::SettingsNav;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::api_keys::{
    ApiKeysView, CreateApiKey, RevokeApiKey, SetPrice, list_api_keys,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::time::format_utc;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_api_keys(ws.clone()));
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let price = ServerAction::<SetPrice>::new();
    let error = move || {
        create
            .value()
            .get()
            .or_else(|| revoke.value().get())
            .or_else(|| price.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="API keys" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="api-keys-page" class="max-w-4xl space-y-6">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="api-keys" />
                            {error}
                            <p class="text-sm text-slate-700">
                                "Partners call the REST API with these keys as bearer tokens. "
                                <code>"ak_live_"</code> " keys act on live data; " <code>"ak_test_"</code>
                                " keys on test-mode data, which the Sandbox serves whatever the channel. "
                                <a href="/api/docs" class="text-indigo-700 underline">"API documentation"</a>
                            </p>
                            {view.new_key.clone().map(|key| view! {
                                <div class="rounded-md bg-emerald-50 p-3 text-sm" data-testid="api-key-created">
                                    <p>"Copy this key now; msgbuddy will not show it again:"</p>
                                    <p class="break-all font-mono" data-testid="api-key-secret">{key}</p>
                                </div>
                            })}
                            {view.can_manage.then(|| view! { <CreateKeyForm workspace_id=ws_id.clone() /> })}
                            <KeyList view=view.clone() workspace_id=ws_id.clone() />
                            <Prices view workspace_id=ws_id.clone() />
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn CreateKeyForm(workspace_id: String) -> impl IntoView {
    view! {
        <form method="post" action=CreateApiKey::url() class="flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="api-key-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <div class="space-y-1">
                <label for="api-key-name" class="block text-sm font-medium text-slate-700">"Key name"</label>
                <input id="api-key-name" name="name" required data-testid="api-key-name" class="rounded-md border border-slate-300 px-3 py-2 text-sm" />
            </div>
            <div class="space-y-1">
                <label for="api-key-mode" class="block text-sm font-medium text-slate-700">"Mode"</label>
                <select id="api-key-mode" name="mode" data-testid="api-key-mode" class="rounded-md border border-slate-300 px-3 py-2 text-sm">
                    <option value="test">"Test (ak_test_)"</option>
                    <option value="live">"Live (ak_live_)"</option>
                </select>
            </div>
            <button type="submit" data-testid="api-key-create" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Create key"</button>
        </form>
    }
}

#[component]
fn KeyList(view: ApiKeysView, workspace_id: String) -> impl IntoView {
    if view.keys.is_empty() {
        return view! { <EmptyState title="No API keys yet" hint="Create one to let a partner send messages through the API." /> }.into_any();
    }
    let can_manage = view.can_manage;
    let rows = view
        .keys
        .into_iter()
        .map(|k| {
            let ws = workspace_id.clone();
            view! {
                <tr data-testid="api-key-row" class="border-t border-slate-200">
                    <td class="py-2 pr-4 font-medium">{k.name.clone()}</td>
                    <td class="py-2 pr-4 font-mono text-xs">{k.prefix.clone()}</td>
                    <td class="py-2 pr-4">{if k.test { "Test" } else { "Live" }}</td>
                    <td class="py-2 pr-4 text-xs">{k.last_used_at_ms.map(format_utc).unwrap_or_else(|| "Never".to_owned())}</td>
                    <td class="py-2 pr-4">{if k.revoked { "Revoked" } else { "Active" }}</td>
                    <td class="py-2">
                        {(can_manage && !k.revoked).then(|| view! {
                            <form method="post" action=RevokeApiKey::url()>
                                <CsrfField />
                                <input type="hidden" name="workspace_id" value=ws.clone() />
                                <input type="hidden" name="key_id" value=k.id.clone() />
                                <button type="submit" data-testid="api-key-revoke" class="rounded border border-red-300 px-2 py-1 text-xs text-red-700">"Revoke"</button>
                            </form>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="w-full text-left text-sm" data-testid="api-key-list">
            <thead>
                <tr class="text-xs uppercase text-slate-600">
                    <th class="py-2">"Name"</th><th class="py-2">"Key"</th><th class="py-2">"Mode"</th>
                    <th class="py-2">"Last used"</th><th class="py-2">"Status"</th><th class="py-2"><span class="sr-only">"Revoke"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Prices(view: ApiKeysView, workspace_id: String) -> impl IntoView {
    let rows = view
        .prices
        .into_iter()
        .map(|(kind, price)| {
            let id = format!("price-{}", kind.as_str());
            let ws = workspace_id.clone();
            view! {
                <form method="post" action=SetPrice::url() class="flex items-end gap-2">
                    <CsrfField />
                    <input type="hidden" name="workspace_id" value=ws />
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <div class="space-y-1">
                        <label for=id.clone() class="block text-sm font-medium text-slate-700">{format!("{} price per message", kind.label())}</label>
                        <input id=id name="price" value=price inputmode="decimal" disabled=!view.can_manage class="w-32 rounded-md border border-slate-300 px-3 py-2 text-sm" />
                    </div>
                    {view.can_manage.then(|| view! { <button type="submit" class="rounded-md border border-slate-300 px-3 py-2 text-sm">"Save"</button> })}
                </form>
            }
        })
        .collect_view();
    view! {
        <div class="space-y-3 rounded-lg bg-white p-4 shadow-sm" data-testid="prices">
            <h2 class="text-lg font-medium">"Prices"</h2>
            <p class="text-sm text-slate-600">"What the API quotes as a message's cost_estimate (per segment for SMS)."</p>
            {rows}
        </div>
    }
}
