//! How the member hears of each kind of notification: in the app, by browser push, both
//! or neither (a plain form), and this browser's push subscription (a button that
//! `/push.js` brings to life; without JavaScript there is no push to subscribe to).

use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::notifications::{SavePreferences, get_preferences};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

#[component]
pub fn NotificationPreferencesPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| get_preferences(ws.clone()));
    let save = ServerAction::<SavePreferences>::new();
    let saved = use_query_map().with_untracked(|q| q.get("saved").is_some());
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Notification preferences" />
        <section data-testid="notification-preferences-page" class="max-w-3xl space-y-4">
            <h1 class="text-2xl font-semibold">"Notification preferences"</h1>
            <a href=format!("/w/{}/notifications", ctx.id) class="text-sm text-indigo-700 underline">"← Notifications"</a>
            {move || save.value().get().and_then(Result::err).map(|e| view! { <ErrorBanner message=e.message /> })}
            {saved.then(|| view! {
                <p role="status" data-testid="preferences-saved" class="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900">"Saved."</p>
            })}
            <Suspense fallback=Loading>
                {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                    match data.await {
                        Ok(view) => {
                            let rows = view.preferences.iter().map(|p| {
                                let kind = p.kind.as_str();
                                view! {
                                    <tr data-testid="preference-row" data-kind=kind>
                                        <th scope="row" class="px-3 py-2 text-left font-normal">{p.kind.label()}</th>
                                        <td class="px-3 py-2 text-center">
                                            <input type="checkbox" name=format!("in_app[{kind}]") value="1" checked=p.in_app aria-label=format!("{}: in the app", p.kind.label()) data-testid="preference-in-app" />
                                        </td>
                                        <td class="px-3 py-2 text-center">
                                            <input type="checkbox" name=format!("push[{kind}]") value="1" checked=p.push aria-label=format!("{}: browser push", p.kind.label()) data-testid="preference-push" />
                                        </td>
                                    </tr>
                                }
                            }).collect_view();
                            let browsers = match view.browsers {
                                0 => "No browser receives your push notifications yet.".to_owned(),
                                1 => "1 browser receives your push notifications.".to_owned(),
                                n => format!("{n} browsers receive your push notifications."),
                            };
                            view! {
                                <form method="post" action=SavePreferences::url() class="rounded-lg bg-white p-4 shadow-sm" data-testid="preferences-form">
                                    <CsrfField />
                                    <input type="hidden" name="workspace_id" value=ws_id.clone() />
                                    <table class="w-full text-sm">
                                        <caption class="pb-2 text-left text-sm text-slate-700">"Tell me when…"</caption>
                                        <thead>
                                            <tr class="text-xs uppercase text-slate-600">
                                                <th scope="col" class="px-3 py-2 text-left">"Kind"</th>
                                                <th scope="col" class="px-3 py-2">"In the app"</th>
                                                <th scope="col" class="px-3 py-2">"Browser push"</th>
                                            </tr>
                                        </thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                    <button type="submit" data-testid="preferences-save" class="mt-3 rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Save preferences"</button>
                                </form>
                                <section class="space-y-2 rounded-lg bg-white p-4 text-sm shadow-sm" aria-labelledby="push-heading">
                                    <h2 id="push-heading" class="font-medium">"Push on this browser"</h2>
                                    <p data-testid="push-browsers">{browsers}</p>
                                    <button type="button" id="push-enable" hidden data-key=view.vapid_public_key.clone() data-testid="push-enable" class="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-50">
                                        "Send push notifications to this browser"
                                    </button>
                                    <p id="push-status" role="status" class="text-slate-700" data-testid="push-status"></p>
                                    <script src="/push.js" defer nonce=leptos::nonce::use_nonce()></script>
                                </section>
                            }.into_any()
                        }
                        Err(e) => super::error_view(e),
                    }
                })}}
            </Suspense>
        </section>
    }
}
