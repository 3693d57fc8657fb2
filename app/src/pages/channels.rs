//! Settings > Channels: the workspace's channel accounts, connecting a new one, and one
//! channel's page (its settings with secrets masked, the webhook URL, the health check,
//! WhatsApp's Subscribe, disconnecting, and the Sandbox's "simulate a customer message").

use super::settings::SettingsNav;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::channels::{
    ChannelAction, CreateChannel, SimulateCustomerMessage, UpdateChannel, get_channel,
    list_channels,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use msgbuddy_domain::message::{ChannelKind, ChannelView, DeliveryView, FieldSpec, KindForm};

fn status_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "good" => ("Good", "bg-emerald-100 text-emerald-900"),
        "invalid" => ("Invalid", "bg-red-100 text-red-900"),
        "disconnected" => ("Disconnected", "bg-slate-200 text-slate-800"),
        _ => ("Pending", "bg-amber-100 text-amber-900"),
    }
}

#[component]
fn StatusBadge(status: String) -> impl IntoView {
    let (label, class) = status_badge(&status);
    view! {
        <span data-testid="channel-status" data-status=status.clone() class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label}</span>
    }
}

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_channels(ws.clone()));
    let create = ServerAction::<CreateChannel>::new();
    let error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Channels" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="channels-page" class="max-w-4xl space-y-6">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="channels" />
                            {error}
                            <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="channel-list">
                                {view.channels.iter().map(|c| channel_row(&ws_id, c)).collect_view()}
                            </ul>
                            {view.can_manage.then(|| view! {
                                <div class="space-y-3">
                                    <h2 class="text-lg font-medium">"Connect a channel"</h2>
                                    {view.kinds.iter().map(|k| view! { <ConnectForm workspace_id=ws_id.clone() form=k.clone() /> }).collect_view()}
                                </div>
                            })}
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

fn channel_row(ws: &str, c: &ChannelView) -> impl IntoView + use<> {
    view! {
        <li data-testid="channel-row" data-kind=c.kind.as_str() class="flex items-center justify-between px-4 py-3">
            <a href=format!("/w/{ws}/settings/channels/{}", c.id) class="font-medium text-indigo-700 underline" data-testid="channel-link">
                {format!("{}: {}", c.kind.label(), c.name)}
            </a>
            <StatusBadge status=c.status.clone() />
        </li>
    }
}

fn field_input(f: FieldSpec, value: String, secret_set: Option<String>) -> impl IntoView {
    let id = format!("channel-{}", f.name);
    let hint = match (&secret_set, f.hint.is_empty()) {
        (Some(masked), _) => {
            format!("Stored as {masked}; leave empty to keep it, or type a new one to replace it.")
        }
        (None, false) => f.hint.clone(),
        (None, true) => String::new(),
    };
    let required = f.required && !(f.secret && secret_set.is_some());
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{f.label.clone()}</label>
            <input
                id=id
                name=format!("values[{}]", f.name)
                type=if f.secret { "password" } else { "text" }
                value=value
                required=required
                autocomplete="off"
                data-testid=format!("channel-field-{}", f.name)
                class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
            />
            {(!hint.is_empty()).then(|| view! { <p class="text-xs text-slate-600">{hint}</p> })}
        </div>
    }
}

#[component]
fn ConnectForm(workspace_id: String, form: KindForm) -> impl IntoView {
    let kind = form.kind;
    let fields = form
        .fields
        .into_iter()
        .map(|f| field_input(f, String::new(), None))
        .collect_view();
    view! {
        <details class="rounded-lg bg-white p-4 shadow-sm" data-testid=format!("connect-{}", kind.as_str())>
            <summary class="cursor-pointer font-medium">{kind.label()}</summary>
            <form method="post" action=CreateChannel::url() class="mt-3 space-y-3">
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id />
                <input type="hidden" name="kind" value=kind.as_str() />
                <div class="space-y-1">
                    <label for=format!("connect-name-{}", kind.as_str()) class="block text-sm font-medium text-slate-700">"Name"</label>
                    <input id=format!("connect-name-{}", kind.as_str()) name="name" required class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </div>
                {fields}
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Validate & save"</button>
            </form>
        </details>
    }
}

#[component]
pub fn ChannelPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let params = use_params_map();
    let ws = ctx.id.clone();
    let data = Resource::new(
        move || params.read().get("channel").unwrap_or_default(),
        move |id| get_channel(ws.clone(), id),
    );
    let update = ServerAction::<UpdateChannel>::new();
    let action = ServerAction::<ChannelAction>::new();
    let simulate = ServerAction::<SimulateCustomerMessage>::new();
    let error = move || {
        update
            .value()
            .get()
            .or_else(|| action.value().get())
            .or_else(|| simulate.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Channel" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(page) => {
                        let c = page.channel.clone();
                        view! {
                            <section data-testid="channel-page" class="max-w-3xl space-y-6">
                                <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                                <SettingsNav current="channels" />
                                <a href=format!("/w/{ws_id}/settings/channels") class="text-sm text-indigo-700 underline">"← All channels"</a>
                                <header class="flex items-center gap-3">
                                    <h2 class="text-xl font-semibold" data-testid="channel-name">{format!("{}: {}", c.kind.label(), c.name)}</h2>
                                    <StatusBadge status=c.status.clone() />
                                </header>
                                {c.status_detail.clone().map(|d| view! { <p class="text-sm text-slate-700" data-testid="channel-detail">{d}</p> })}
                                {error}
                                <div class="rounded-lg bg-white p-4 shadow-sm">
                                    <p class="text-sm font-medium">"Webhook URL"</p>
                                    <p class="break-all font-mono text-sm" data-testid="channel-webhook-url">{page.webhook_url.clone()}</p>
                                </div>
                                {(c.kind == ChannelKind::Sandbox).then(|| view! { <SimulateForm workspace_id=ws_id.clone() /> })}
                                {(page.can_manage && c.status != "disconnected").then(|| view! {
                                    <EditForm workspace_id=ws_id.clone() page=page.clone() />
                                    <Actions workspace_id=ws_id.clone() channel=c.clone() />
                                })}
                                {(!page.failed.is_empty()).then(|| view! { <FailedDeliveries failed=page.failed.clone() /> })}
                            </section>
                        }.into_any()
                    }
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

/// Webhook deliveries the pipeline could not process, kept with their error.
#[component]
fn FailedDeliveries(failed: Vec<DeliveryView>) -> impl IntoView {
    view! {
        <section class="rounded-lg bg-white p-4 shadow-sm" data-testid="channel-failed-deliveries">
            <h3 class="font-semibold">"Deliveries that could not be processed"</h3>
            <p class="mb-2 text-sm text-slate-700">"Kept with the reason, so nothing a provider sent is lost."</p>
            <ul class="divide-y divide-slate-200">
                {failed.into_iter().map(|d| view! {
                    <li class="py-2 text-sm" data-testid="failed-delivery" data-state=d.state.clone()>
                        <p>
                            <time class="text-slate-700">{msgbuddy_domain::time::format_utc(d.received_at_ms)}</time>
                            " · "{d.state.clone()}
                        </p>
                        <p class="text-red-800" data-testid="failed-delivery-error">{d.error.clone().unwrap_or_default()}</p>
                        <details>
                            <summary class="cursor-pointer text-indigo-700">"Body"</summary>
                            <pre class="whitespace-pre-wrap break-all bg-slate-50 p-2 font-mono text-xs">{d.body.clone()}</pre>
                        </details>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn EditForm(workspace_id: String, page: crate::serverfns::channels::ChannelPage) -> impl IntoView {
    let c = page.channel;
    let fields = page
        .form
        .fields
        .iter()
        .map(|f| {
            let value = if f.secret {
                String::new()
            } else {
                c.settings
                    .get(&f.name)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let masked = c
                .secrets
                .iter()
                .find(|(n, _)| *n == f.name)
                .map(|(_, m)| m.clone());
            field_input(f.clone(), value, masked)
        })
        .collect_view();
    view! {
        <form method="post" action=UpdateChannel::url() class="space-y-3 rounded-lg bg-white p-4 shadow-sm" data-testid="channel-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="channel_id" value=c.id.clone() />
            <div class="space-y-1">
                <label for="channel-name" class="block text-sm font-medium text-slate-700">"Name"</label>
                <input id="channel-name" name="name" value=c.name.clone() required class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
            </div>
            {fields}
            <div class="grid gap-3 sm:grid-cols-2">
                <div class="space-y-1">
                    <label for="channel-rate" class="block text-sm font-medium text-slate-700">"Messages per second"</label>
                    <input id="channel-rate" name="rate_per_sec" type="number" min="1" max="10000" value=c.rate_per_sec.to_string() class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </div>
                <div class="space-y-1">
                    <label for="channel-attempts" class="block text-sm font-medium text-slate-700">"Attempts before failing"</label>
                    <input id="channel-attempts" name="max_attempts" type="number" min="1" max="20" value=c.max_attempts.to_string() class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </div>
            </div>
            <button type="submit" data-testid="channel-save" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Validate & save"</button>
        </form>
    }
}

#[component]
fn Actions(workspace_id: String, channel: ChannelView) -> impl IntoView {
    let button = |action: &'static str, label: &'static str, danger: bool| {
        let class = if danger {
            "rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-800"
        } else {
            "rounded-md border border-slate-300 px-3 py-1.5 text-sm"
        };
        view! {
            <form method="post" action=ChannelAction::url()>
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                <input type="hidden" name="channel_id" value=channel.id.clone() />
                <input type="hidden" name="action" value=action />
                <button type="submit" class=class data-testid=format!("channel-{action}")>{label}</button>
            </form>
        }
    };
    let whatsapp = channel.kind == ChannelKind::Whatsapp;
    let sandbox = channel.kind == ChannelKind::Sandbox;
    view! {
        <div class="flex flex-wrap gap-2">
            {button("check", "Check health", false)}
            {whatsapp.then(|| if channel.subscribed {
                view! { <span class="rounded-md bg-emerald-100 px-3 py-1.5 text-sm text-emerald-900" data-testid="channel-subscribed">"Subscribed"</span> }.into_any()
            } else {
                button("subscribe", "Subscribe", false).into_any()
            })}
            {(!sandbox).then(|| button("disconnect", "Disconnect", true))}
        </div>
    }
}

#[component]
fn SimulateForm(workspace_id: String) -> impl IntoView {
    view! {
        <form method="post" action=SimulateCustomerMessage::url() class="space-y-3 rounded-lg bg-white p-4 shadow-sm" data-testid="simulate-form">
            <h3 class="font-medium">"Simulate a customer message"</h3>
            <p class="text-sm text-slate-600">"The Sandbox delivers it as if a customer wrote; it shows up in Conversations."</p>
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <div class="grid gap-3 sm:grid-cols-2">
                <div class="space-y-1">
                    <label for="simulate-from" class="block text-sm font-medium text-slate-700">"From (phone)"</label>
                    <input id="simulate-from" name="from" value="+15550100009" required data-testid="simulate-from" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </div>
                <div class="space-y-1">
                    <label for="simulate-name" class="block text-sm font-medium text-slate-700">"Customer name"</label>
                    <input id="simulate-name" name="name" value="Sam Sandbox" data-testid="simulate-name" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </div>
            </div>
            <div class="space-y-1">
                <label for="simulate-text" class="block text-sm font-medium text-slate-700">"Message"</label>
                <textarea id="simulate-text" name="text" required rows="2" data-testid="simulate-text" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm">"Hello! I have a question about my order."</textarea>
            </div>
            <div class="flex items-center gap-2">
                <input id="simulate-test" name="test" type="checkbox" value="1" class="h-4 w-4" />
                <label for="simulate-test" class="text-sm">"As test-mode data"</label>
            </div>
            <button type="submit" data-testid="simulate-send" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Simulate"</button>
        </form>
    }
}
