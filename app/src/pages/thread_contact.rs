//! The contact beside a thread: how to reach them, since when they are known, their tags
//! and custom fields, whether they opted out or are blocked, their other conversations
//! (each a link), and this conversation's own fields (priority, order number), which
//! members who reply can set here.

use crate::components::csrf::CsrfField;
use crate::serverfns::conversation_fields::SaveConversationFields;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::contact::ConversationField;
use msgbuddy_domain::custom_field::FieldKind;
use msgbuddy_domain::message::ContactPanel;
use msgbuddy_domain::time::format_utc;

const INPUT: &str = "w-full rounded-md border border-slate-300 px-2 py-1 text-sm";

/// One field's input, named `fields[<key>]`, holding its value's text form.
fn field_input(f: &ConversationField) -> impl IntoView + use<> {
    let name = format!("fields[{}]", f.field.key);
    let id = format!("conversation-field-{}", f.field.key);
    let label = f.field.label.clone();
    let input = match f.field.kind {
        FieldKind::Select | FieldKind::Boolean => {
            let choices: Vec<(String, String)> = if f.field.kind == FieldKind::Boolean {
                vec![("true".into(), "Yes".into()), ("false".into(), "No".into())]
            } else {
                f.field
                    .options
                    .iter()
                    .map(|o| (o.clone(), o.clone()))
                    .collect()
            };
            let current = f.value.clone();
            view! {
                <select id=id.clone() name=name class=INPUT data-testid="conversation-field">
                    <option value="">"—"</option>
                    {choices.into_iter().map(|(value, text)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        kind => {
            let kind_attr = match kind {
                FieldKind::Number => "number",
                FieldKind::Date => "date",
                FieldKind::Email => "email",
                FieldKind::Url => "url",
                FieldKind::Phone => "tel",
                _ => "text",
            };
            view! {
                <input id=id.clone() name=name type=kind_attr step="any" value=f.value.clone() required=f.field.required class=INPUT data-testid="conversation-field" />
            }
            .into_any()
        }
    };
    view! {
        <label for=id class="text-slate-600">{label}</label>
        <div>{input}</div>
    }
}

/// This conversation's fields: a form for members who reply, the values for others.
#[component]
fn ConversationFields(
    workspace_id: String,
    conversation_id: String,
    fields: Vec<ConversationField>,
    can_edit: bool,
) -> impl IntoView {
    if fields.is_empty() {
        return ().into_any();
    }
    if !can_edit {
        let rows = fields
            .into_iter()
            .map(|f| view! {
                <dt class="text-slate-600">{f.field.label}</dt>
                <dd class="break-all text-slate-900" data-testid="conversation-field-value">{f.value}</dd>
            })
            .collect_view();
        return view! {
            <h2 class="mt-3 font-medium">"This conversation"</h2>
            <dl class="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">{rows}</dl>
        }
        .into_any();
    }
    let inputs = fields.iter().map(field_input).collect_view();
    view! {
        <h2 class="mt-3 font-medium">"This conversation"</h2>
        <form method="post" action=SaveConversationFields::url() class="mt-1 grid grid-cols-[auto_1fr] items-center gap-x-3 gap-y-1" data-testid="conversation-fields">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="conversation_id" value=conversation_id />
            {inputs}
            <div class="col-span-2">
                <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="conversation-fields-save">"Save"</button>
            </div>
        </form>
    }
    .into_any()
}

#[component]
pub fn ContactSide(
    workspace_id: String,
    conversation_id: String,
    contact: ContactPanel,
    can_edit: bool,
) -> impl IntoView {
    let other_phones = (!contact.other_phones.is_empty()).then(|| contact.other_phones.join(", "));
    let facts = [
        ("Phone", contact.phone.clone()),
        ("Other phones", other_phones),
        ("Email", contact.email.clone()),
        ("Telegram", contact.telegram_id.clone()),
        ("Known since", Some(format_utc(contact.created_at_ms))),
        ("Last wrote", contact.last_seen_ms.map(format_utc)),
    ]
    .into_iter()
    .filter_map(|(what, value)| {
        value.map(|v| {
            view! {
                <dt class="text-slate-600">{what}</dt>
                <dd class="break-all text-slate-900">{v}</dd>
            }
        })
    })
    .collect_view();
    let fields = contact
        .fields
        .iter()
        .map(|f| {
            view! {
                <dt class="text-slate-600">{f.label.clone()}</dt>
                <dd class="break-all text-slate-900" data-testid="contact-panel-field">{f.value.clone()}</dd>
            }
        })
        .collect_view();
    let tags = contact
        .tags
        .iter()
        .map(|t| {
            view! {
                <li class="inline-flex items-center gap-1 rounded-full bg-slate-100 px-2 text-xs" data-testid="contact-panel-tag">
                    <crate::components::colour_dot::ColourDot colour=t.colour.clone() />
                    {t.name.clone()}
                </li>
            }
        })
        .collect_view();
    let flags = contact
        .opted_out
        .kinds()
        .map(|kind| format!("Opted out of {}", kind.label()))
        .chain(contact.blocked.then(|| "Blocked".to_owned()))
    .map(|f| view! { <span class="rounded-full bg-rose-100 px-2 text-xs font-medium text-rose-900">{f}</span> })
    .collect_view();
    let others = contact
        .conversations
        .iter()
        .map(|c| {
            view! {
                <li>
                    <a href=format!("/w/{workspace_id}/conversations/{}", c.id) class="text-indigo-800 underline" data-testid="contact-conversation">
                        {format!("{} · {}", c.channel_kind.label(), c.status)}
                    </a>
                    <span class="block truncate text-xs text-slate-600">{c.last_message_preview.clone()}</span>
                </li>
            }
        })
        .collect_view();
    let none = contact.conversations.is_empty();
    view! {
        <aside aria-label="Contact" class="rounded-lg bg-white p-4 text-sm shadow-sm" data-testid="contact-panel">
            <details open>
                <summary class="cursor-pointer font-medium">{format!("About {}", contact.name)} " " {flags}</summary>
                <dl class="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">{facts}{fields}</dl>
                <ul class="mt-2 flex flex-wrap gap-1" aria-label="Tags">{tags}</ul>
                <a href=format!("/w/{workspace_id}/contacts/{}", contact.id) class="mt-2 inline-block text-indigo-800 underline" data-testid="open-contact">"Open contact"</a>
                <ConversationFields workspace_id=workspace_id.clone() conversation_id=conversation_id fields=contact.conversation_fields.clone() can_edit=can_edit />
                <h2 class="mt-3 font-medium">"Other conversations"</h2>
                {if none {
                    view! { <p class="text-slate-600">"None."</p> }.into_any()
                } else {
                    view! { <ul class="mt-1 space-y-1">{others}</ul> }.into_any()
                }}
            </details>
        </aside>
    }
}
