//! Workspace settings: name, time zone, default language, business hours.

use crate::components::csrf::CsrfField;
use crate::components::forms::{SubmitButton, TextField};
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::workspaces::{SaveSettings, SettingsForm, get_settings};
use leptos::prelude::*;
use msgbuddy_domain::values::{WEEKDAYS, format_hhmm};

/// The tabs of the settings area.
#[component]
pub fn SettingsNav(current: &'static str) -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let can_audit = ctx.can(msgbuddy_domain::Permission::AuditLogView);
    let base = format!("/w/{}/settings", ctx.id);
    let tab = move |label: &'static str, path: String, key: &'static str| {
        let active = current == key;
        view! {
            <a
                href=path
                aria-current=active.then_some("page")
                data-testid=format!("settings-tab-{key}")
                class=if active { "border-b-2 border-indigo-600 px-3 py-2 text-sm font-medium" } else { "px-3 py-2 text-sm text-slate-600 hover:text-slate-900" }
            >
                {label}
            </a>
        }
    };
    view! {
        <nav aria-label="Settings" class="mb-6 flex flex-wrap gap-2 border-b border-slate-200">
            {tab("General", base.clone(), "general")}
            {tab("Members", format!("{base}/members"), "members")}
            {tab("Invitations", format!("{base}/invitations"), "invitations")}
            {tab("Channels", format!("{base}/channels"), "channels")}
            {tab("API keys", format!("{base}/api-keys"), "api-keys")}
            {tab("Labels", format!("{base}/labels"), "labels")}
            {tab("Quick replies", format!("{base}/quick-replies"), "quick-replies")}
            {tab("Contact fields", format!("{base}/contact-fields"), "contact-fields")}
            {tab("Tags and opt-outs", format!("{base}/tags"), "tags")}
            {tab("Assignment", format!("{base}/assignment"), "assignment")}
            <Show when=move || can_audit.get()>{tab("Audit log", format!("{base}/audit"), "audit")}</Show>
        </nav>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let save = ServerAction::<SaveSettings>::new();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| get_settings(ws.clone()));
    let error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Settings" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(form) => view! {
                        <section data-testid="settings-page" class="max-w-3xl">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="general" />
                            {error}
                            <SettingsFormView form save workspace_id=ws_id.clone() />
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn SettingsFormView(
    form: SettingsForm,
    save: ServerAction<SaveSettings>,
    workspace_id: String,
) -> impl IntoView {
    let s = form.settings;
    let current_tz = s.time_zone.clone();
    let zones = form
        .time_zones
        .into_iter()
        .map(|z| {
            let selected = z == current_tz;
            view! { <option value=z.clone() selected=selected>{z.clone()}</option> }
        })
        .collect_view();
    let days = WEEKDAYS
        .iter()
        .zip(s.business_hours.0)
        .map(|(day, hours)| {
            let open = hours.map(|h| format_hhmm(h.open)).unwrap_or_default();
            let close = hours.map(|h| format_hhmm(h.close)).unwrap_or_default();
            view! {
                <div class="flex items-center gap-2">
                    <span class="w-12 text-sm font-medium uppercase">{*day}</span>
                    <label class="sr-only" for=format!("open-{day}")>{format!("{day} opens")}</label>
                    <input id=format!("open-{day}") type="time" name=format!("hours[{day}_open]") value=open class="rounded border border-slate-300 px-2 py-1 text-sm" />
                    <span class="text-sm">"–"</span>
                    <label class="sr-only" for=format!("close-{day}")>{format!("{day} closes")}</label>
                    <input id=format!("close-{day}") type="time" name=format!("hours[{day}_close]") value=close class="rounded border border-slate-300 px-2 py-1 text-sm" />
                </div>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="space-y-5" attr:data-testid="settings-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <fieldset disabled=!form.can_edit class="space-y-5">
                <TextField label="Workspace name" name="name" value=s.name.clone() required=true />
                <div class="space-y-1">
                    <label for="field-time_zone" class="block text-sm font-medium text-slate-700">"Time zone"</label>
                    <select id="field-time_zone" name="time_zone" data-testid="input-time_zone" class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm">
                        {zones}
                    </select>
                </div>
                <TextField label="Default language" name="default_language" value=s.default_language.clone() required=true hint="A language code such as en, es or pt-BR." />
                <fieldset class="space-y-2">
                    <legend class="text-sm font-medium text-slate-700">"Business hours (leave both empty for closed)"</legend>
                    {days}
                </fieldset>
                {form.can_edit.then(|| view! { <SubmitButton label="Save settings" testid="settings-save" /> })}
            </fieldset>
        </ActionForm>
    }
}
