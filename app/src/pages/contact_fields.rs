//! Settings > Contact fields: the attributes a workspace keeps on its contacts (a city,
//! a tier) and on its conversations (a priority, an order number). Those who edit
//! settings add and remove them; values are checked on every write by their kind.

use super::settings::SettingsNav;
use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::contact_settings::{
    CreateContactField, DeleteContactField, get_contact_settings,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::custom_field::{FieldDefinition, FieldKind};

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const LABEL: &str = "flex flex-col gap-1 text-xs font-medium text-slate-700";

#[component]
pub fn ContactFieldsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| get_contact_settings(ws.clone()));
    let create = ServerAction::<CreateContactField>::new();
    let delete = ServerAction::<DeleteContactField>::new();
    let error = move || {
        create
            .value()
            .get()
            .or_else(|| delete.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Contact fields" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="contact-fields-page" class="max-w-4xl space-y-6">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="contact-fields" />
                            {error}
                            {view.can_edit.then(|| view! { <NewField workspace_id=ws_id.clone() /> })}
                            <FieldList title="Contact fields" fields=view.contact_fields.clone() workspace_id=ws_id.clone() can_edit=view.can_edit />
                            <FieldList title="Conversation fields" fields=view.conversation_fields.clone() workspace_id=ws_id.clone() can_edit=view.can_edit />
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn NewField(workspace_id: String) -> impl IntoView {
    view! {
        <form method="post" action=CreateContactField::url() class="grid gap-3 rounded-lg bg-white p-4 shadow-sm sm:grid-cols-2" data-testid="field-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <label class=LABEL>
                "For"
                <select name="scope" class=INPUT data-testid="field-scope">
                    <option value="contact">"Contacts"</option>
                    <option value="conversation">"Conversations"</option>
                </select>
            </label>
            <label class=LABEL>
                "Kind"
                <select name="kind" class=INPUT data-testid="field-kind">
                    {FieldKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class=LABEL>
                "Name people see"
                <input name="label" required maxlength="60" class=INPUT data-testid="field-label" />
            </label>
            <label class=LABEL>
                "Key (for imports, segments and the API: a-z, 0-9, _)"
                <input name="key" required maxlength="40" pattern="[A-Za-z][A-Za-z0-9_]*" class=INPUT data-testid="field-key" />
            </label>
            <label class=LABEL>
                "Choices, one per line (lists only)"
                <textarea name="options" rows="3" class=INPUT data-testid="field-options"></textarea>
            </label>
            <div class="grid grid-cols-2 gap-3">
                <label class=LABEL>"Minimum (numbers)" <input name="min" inputmode="decimal" class=INPUT data-testid="field-min" /></label>
                <label class=LABEL>"Maximum (numbers)" <input name="max" inputmode="decimal" class=INPUT data-testid="field-max" /></label>
            </div>
            <label class=LABEL>
                "Default value"
                <input name="default_value" class=INPUT data-testid="field-default" />
            </label>
            <label for="field-required" class="inline-flex min-h-6 items-center gap-2 self-end text-sm">
                <input id="field-required" type="checkbox" name="required" value="1" class="h-5 w-5" data-testid="field-required" />
                "Required"
            </label>
            <div>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="field-create">"Add field"</button>
            </div>
        </form>
    }
}

#[component]
fn FieldList(
    title: &'static str,
    fields: Vec<FieldDefinition>,
    workspace_id: String,
    can_edit: bool,
) -> impl IntoView {
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">{title}</h2>
            {if fields.is_empty() {
                view! { <EmptyState title="None yet" hint="Add a field above." /> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="field-list">
                        {fields.into_iter().map(|f| {
                            let rules = describe(&f);
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-2 px-4 py-3" data-testid="field-row" data-key=f.key.clone()>
                                    <div>
                                        <p class="font-medium">{f.label.clone()} <code class="ml-2 text-xs text-slate-600">{f.key.clone()}</code></p>
                                        <p class="text-xs text-slate-600">{rules}</p>
                                    </div>
                                    {can_edit.then(|| view! {
                                        <form method="post" action=DeleteContactField::url()>
                                            <CsrfField />
                                            <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                                            <input type="hidden" name="field_id" value=f.id.clone() />
                                            <button type="submit" class="text-sm text-red-700 underline" data-testid="field-delete" aria-label=format!("Delete the field {}", f.label)>"Delete"</button>
                                        </form>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The field's kind and rules in a line.
fn describe(f: &FieldDefinition) -> String {
    let mut parts = vec![f.kind.label().to_owned()];
    if f.required {
        parts.push("required".into());
    }
    if !f.options.is_empty() {
        parts.push(f.options.join(" / "));
    }
    match (f.min, f.max) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max}")),
        (Some(min), None) => parts.push(format!("at least {min}")),
        (None, Some(max)) => parts.push(format!("at most {max}")),
        (None, None) => {}
    }
    if let Some(d) = &f.default_value {
        parts.push(format!("default {d}"));
    }
    parts.join(" · ")
}
