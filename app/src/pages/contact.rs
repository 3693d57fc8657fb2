//! A contact's page: the edit form (details, custom fields, tags, opt-outs per channel,
//! blocked), their conversations, and delete. `/contacts/new` is the same form, empty.
//! Every input is a plain form field, so it all works without JavaScript.

use crate::components::colour_dot::ColourDot;
use crate::components::csrf::CsrfField;
use crate::components::forms::textarea_text;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::contacts::{DeleteContact, SaveContact, get_contact};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use msgbuddy_domain::contact::{ContactDetail, Tag};
use msgbuddy_domain::custom_field::{FieldDefinition, FieldKind};
use msgbuddy_domain::message::ChannelKind;
use msgbuddy_domain::time::format_utc;

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const LABEL: &str = "text-xs font-medium text-slate-700";

#[component]
pub fn ContactPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let params = use_params_map();
    let id = move || params.read().get("contact").filter(|id| id != "new");
    let ws = ctx.id.clone();
    let data = Resource::new(id, move |id| get_contact(ws.clone(), id));
    let save = ServerAction::<SaveContact>::new();
    let delete = ServerAction::<DeleteContact>::new();
    let error = move || {
        save.value()
            .get()
            .or_else(|| delete.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => {
                        let title = view.contact.as_ref().map_or_else(|| "New contact".to_owned(), |c| c.row.name.clone());
                        let contact = view.contact.clone();
                        view! {
                            <crate::components::head::PageTitle text=title.clone() />
                            <section data-testid="contact-page" class="flex max-w-3xl flex-col gap-4">
                                <a href=format!("/w/{ws_id}/contacts") class="text-sm text-indigo-700 underline">"← All contacts"</a>
                                <h1 class="text-2xl font-semibold" data-testid="contact-title">{title}</h1>
                                {error}
                                <ContactForm workspace_id=ws_id.clone() contact=contact.clone() fields=view.fields.clone() tags=view.tags.clone() can_edit=view.can_edit />
                                {contact.map(|c| view! { <Conversations workspace_id=ws_id.clone() contact=c.clone() /> <Danger workspace_id=ws_id.clone() contact=c can_edit=view.can_edit /> })}
                            </section>
                        }.into_any()
                    }
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

/// One labelled input.
#[component]
fn Field(id: String, label: String, children: Children) -> impl IntoView {
    view! {
        <div class="flex flex-col gap-1">
            <label class=LABEL for=id>{label}</label>
            {children()}
        </div>
    }
}

#[component]
fn ContactForm(
    workspace_id: String,
    contact: Option<ContactDetail>,
    fields: Vec<FieldDefinition>,
    tags: Vec<Tag>,
    can_edit: bool,
) -> impl IntoView {
    let row = contact.as_ref().map(|c| c.row.clone());
    let text = |f: fn(&msgbuddy_domain::contact::ContactRow) -> Option<String>| {
        row.as_ref().and_then(f).unwrap_or_default()
    };
    let name_value = text(|r| Some(r.name.clone()));
    let phone_value = text(|r| r.phone.clone());
    let phones_value = contact
        .as_ref()
        .map(|c| c.phones.join("\n"))
        .unwrap_or_default();
    let email_value = text(|r| r.email.clone());
    let telegram_value = text(|r| r.telegram_id.clone());
    let language_value = contact
        .as_ref()
        .and_then(|c| c.language.clone())
        .unwrap_or_default();
    let id_value = text(|r| Some(r.id.clone()));
    let blocked = row.as_ref().is_some_and(|r| r.blocked);
    let reasons = contact
        .as_ref()
        .map(|c| c.opt_outs.clone())
        .unwrap_or_default();
    let value_of = |key: &str| {
        contact
            .as_ref()
            .and_then(|c| c.fields.iter().find(|f| f.key == key))
            .map(|f| f.value.clone())
    };
    let worn: Vec<String> = row
        .as_ref()
        .map(|r| r.tags.iter().map(|t| t.id.clone()).collect())
        .unwrap_or_default();
    let opted = row.as_ref().map(|r| r.opted_out).unwrap_or_default();
    let custom = fields
        .iter()
        .map(|def| {
            let current = value_of(&def.key).or_else(|| {
                contact
                    .is_none()
                    .then(|| def.default_value.clone())
                    .flatten()
            });
            view! { <CustomInput def=def.clone() current=current /> }
        })
        .collect_view();
    view! {
        <form method="post" action=SaveContact::url() class="flex flex-col gap-4 rounded-lg bg-white p-4 shadow-sm" data-testid="contact-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="contact_id" value=id_value />
            <fieldset class="grid gap-3 sm:grid-cols-2" disabled=!can_edit>
                <legend class="sr-only">"Details"</legend>
                <Field id="c-name".into() label="Name".into()>
                    <input id="c-name" name="name" required maxlength="120" class=INPUT value=name_value data-testid="contact-input-name" />
                </Field>
                <Field id="c-phone".into() label="Phone (with country code)".into()>
                    <input id="c-phone" name="phone" type="tel" class=INPUT value=phone_value placeholder="+44 7911 123456" data-testid="contact-input-phone" />
                </Field>
                <Field id="c-phones".into() label="Other phone numbers (one a line)".into()>
                    <textarea id="c-phones" name="phones" rows="2" class=INPUT data-testid="contact-input-phones">{crate::components::forms::textarea_text(&phones_value)}</textarea>
                </Field>
                <Field id="c-email".into() label="Email".into()>
                    <input id="c-email" name="email" type="email" class=INPUT value=email_value data-testid="contact-input-email" />
                </Field>
                <Field id="c-telegram".into() label="Telegram chat id".into()>
                    <input id="c-telegram" name="telegram_id" inputmode="numeric" class=INPUT value=telegram_value data-testid="contact-input-telegram" />
                </Field>
                <Field id="c-language".into() label="Language".into()>
                    <input id="c-language" name="language" class=INPUT value=language_value placeholder="en" data-testid="contact-input-language" />
                </Field>
            </fieldset>
            {(!fields.is_empty()).then(|| view! {
                <fieldset class="grid gap-3 sm:grid-cols-2" disabled=!can_edit data-testid="contact-custom-fields">
                    <legend class="mb-2 text-sm font-semibold text-slate-800">"Fields"</legend>
                    {custom}
                </fieldset>
            })}
            <fieldset class="flex flex-col gap-1" disabled=!can_edit>
                <legend class="mb-1 text-sm font-semibold text-slate-800">"Tags"</legend>
                <div class="flex flex-wrap gap-4">
                    {tags.into_iter().map(|t| {
                        let id = format!("c-tag-{}", t.id);
                        let for_id = id.clone();
                        view! {
                            <label for=for_id class="inline-flex min-h-6 items-center gap-2 text-sm">
                                <input id=id type="checkbox" name=format!("tags[{}]", t.id) value="1" checked=worn.contains(&t.id) class="h-5 w-5" data-testid="contact-tag" />
                                <ColourDot colour=t.colour.clone() />
                                {t.name.clone()}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset class="flex flex-col gap-1" disabled=!can_edit>
                <legend class="mb-1 text-sm font-semibold text-slate-800">"Opted out of"</legend>
                <div class="flex flex-wrap gap-4">
                    {ChannelKind::ALL.into_iter().map(|k| {
                        let id = format!("c-opt-{}", k.as_str());
                        let for_id = id.clone();
                        view! {
                            <label for=for_id class="inline-flex min-h-6 items-center gap-2 text-sm">
                                <input id=id type="checkbox" name=format!("opted_out[{}]", k.as_str()) value="1" checked=opted.contains(k) class="h-5 w-5" data-testid=format!("contact-opt-out-{}", k.as_str()) />
                                {k.label()}
                            </label>
                        }
                    }).collect_view()}
                </div>
                {reasons.into_iter().map(|o| view! {
                    <p class="text-xs text-slate-600" data-testid="contact-opt-out-reason">
                        {format!("{}: {} ({}, {})", o.kind.label(), if o.reason.is_empty() { "no reason given" } else { &o.reason }, o.source, format_utc(o.at_ms))}
                    </p>
                }).collect_view()}
            </fieldset>
            <label for="c-blocked" class="inline-flex min-h-6 items-center gap-2 text-sm">
                <input id="c-blocked" type="checkbox" name="blocked" value="1" checked=blocked disabled=!can_edit class="h-5 w-5" data-testid="contact-blocked" />
                "Blocked: their messages are kept but notify nobody, and nothing can be sent to them"
            </label>
            {can_edit.then(|| view! {
                <div>
                    <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="contact-save">"Save contact"</button>
                </div>
            })}
        </form>
    }
}

/// The input a custom field's kind needs, named `fields[<key>]`.
#[component]
fn CustomInput(def: FieldDefinition, current: Option<String>) -> impl IntoView {
    let id = format!("c-field-{}", def.key);
    let name = format!("fields[{}]", def.key);
    let testid = format!("contact-field-{}", def.key);
    let label = if def.required {
        format!("{} (required)", def.label)
    } else {
        def.label.clone()
    };
    let value = current.clone().unwrap_or_default();
    let input = |kind: &'static str| {
        view! { <input id=id.clone() name=name.clone() type=kind class=INPUT value=value.clone() required=def.required data-testid=testid.clone() /> }.into_any()
    };
    let choose = |choices: Vec<(String, String)>| {
        let current = value.clone();
        view! {
            <select id=id.clone() name=name.clone() class=INPUT data-testid=testid.clone()>
                <option value="">"—"</option>
                {choices.into_iter().map(|(v, l)| { let selected = v == current; view! { <option value=v selected=selected>{l}</option> } }).collect_view()}
            </select>
        }
        .into_any()
    };
    let control = match def.kind {
        FieldKind::Text => input("text"),
        FieldKind::Email => input("email"),
        FieldKind::Phone => input("tel"),
        FieldKind::Url => input("url"),
        FieldKind::Date => input("date"),
        FieldKind::Number => view! {
            <input id=id.clone() name=name.clone() type="number" step="any" min=def.min.map(|m| m.to_string()) max=def.max.map(|m| m.to_string()) class=INPUT value=value.clone() required=def.required data-testid=testid.clone() />
        }
        .into_any(),
        // `datetime-local` has no zone; the label says the time is UTC.
        FieldKind::DateTime => {
            let local: String = value.trim_end_matches('Z').chars().take(16).collect();
            view! {
                <input id=id.clone() name=name.clone() type="datetime-local" class=INPUT value=local required=def.required data-testid=testid.clone() />
            }
            .into_any()
        }
        FieldKind::LongText => view! {
            <textarea id=id.clone() name=name.clone() rows="3" class=INPUT required=def.required data-testid=testid.clone()>{textarea_text(&value)}</textarea>
        }
        .into_any(),
        FieldKind::Boolean => choose(vec![("true".into(), "Yes".into()), ("false".into(), "No".into())]),
        FieldKind::Select => choose(def.options.iter().map(|o| (o.clone(), o.clone())).collect()),
        FieldKind::MultiSelect => view! {
            <input id=id.clone() name=name.clone() class=INPUT value=value.clone() list=format!("{id}-options") data-testid=testid.clone() />
        }
        .into_any(),
    };
    let hint = match def.kind {
        FieldKind::MultiSelect => Some(format!(
            "Any of, separated by commas: {}",
            def.options.join(", ")
        )),
        FieldKind::DateTime => Some("In UTC.".to_owned()),
        _ => None,
    };
    view! {
        <Field id=format!("c-field-{}", def.key) label=label>
            {control}
            {hint.map(|h| view! { <p class="text-xs text-slate-600">{h}</p> })}
        </Field>
    }
}

#[component]
fn Conversations(workspace_id: String, contact: ContactDetail) -> impl IntoView {
    view! {
        <section class="rounded-lg bg-white p-4 shadow-sm" data-testid="contact-conversations">
            <h2 class="mb-2 text-sm font-semibold text-slate-800">"Conversations"</h2>
            {if contact.conversations.is_empty() {
                view! { <p class="text-sm text-slate-600">"No conversations yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-100">
                        {contact.conversations.iter().map(|c| view! {
                            <li class="py-2 text-sm">
                                <a href=format!("/w/{workspace_id}/conversations/{}", c.id) class="text-indigo-800 underline" data-testid="contact-conversation">
                                    {format!("{} · {}", c.channel_name, c.status)}
                                </a>
                                <p class="truncate text-slate-600">{c.last_message_preview.clone()}</p>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Danger(workspace_id: String, contact: ContactDetail, can_edit: bool) -> impl IntoView {
    can_edit.then(|| view! {
        <form method="post" action=DeleteContact::url() class="rounded-lg border border-red-200 p-4" data-testid="contact-delete-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="contact_id" value=contact.row.id.clone() />
            <p class="mb-2 text-sm text-slate-700">"Deleting removes the contact with their conversations and messages. You can undo it for ten minutes."</p>
            <button type="submit" class="rounded-md border border-red-300 px-3 py-1 text-sm text-red-800" data-testid="contact-delete">"Delete contact"</button>
        </form>
    })
}
