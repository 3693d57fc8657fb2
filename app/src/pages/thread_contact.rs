//! The contact beside a thread: how to reach them, since when they are known, their tags
//! and custom fields, whether they opted out or are blocked, and their other
//! conversations (each a link).

use leptos::prelude::*;
use msgbuddy_domain::message::ContactPanel;
use msgbuddy_domain::time::format_utc;

#[component]
pub fn ContactSide(workspace_id: String, contact: ContactPanel) -> impl IntoView {
    let facts = [
        ("Phone", contact.phone.clone()),
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
