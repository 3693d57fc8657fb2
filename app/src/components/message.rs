//! One message in a thread, as the customer would see it, with its direction, time and
//! status tick. Customer text is untrusted: it is rendered as text (escaped), never as
//! HTML, and links lead only to fixed, known sites.

use leptos::prelude::*;
use msgbuddy_domain::message::{Content, DeliveryStatus, Direction, Media, MediaKind, MessageView};
use msgbuddy_domain::time::{format_utc, iso_utc};

/// The tick of an outbound message: pending, sent, delivered, read (in colour), failed.
#[component]
pub fn StatusTick(#[prop(into)] status: Signal<DeliveryStatus>) -> impl IntoView {
    let label = move || match status.get() {
        DeliveryStatus::Pending => ("🕓", "Pending", "text-slate-600"),
        DeliveryStatus::Sent => ("✓", "Sent", "text-slate-600"),
        DeliveryStatus::Delivered => ("✓✓", "Delivered", "text-slate-600"),
        DeliveryStatus::Read => ("✓✓", "Read", "text-sky-700"),
        DeliveryStatus::Failed => ("!", "Failed", "text-red-700"),
        DeliveryStatus::Received => ("", "Received", "text-slate-600"),
    };
    view! {
        <span
            data-testid="message-status"
            data-status=move || status.get().as_str()
            class=move || format!("text-xs font-semibold {}", label().2)
        >
            <span aria-hidden="true">{move || label().0}</span>
            " "
            <span>{move || label().1}</span>
        </span>
    }
}

/// A file: shown from msgbuddy's own copy (images, video and audio in place, documents as
/// a download link), or named while the copy is still on its way from the provider.
fn media_view(media: Media) -> AnyView {
    let name = media
        .filename
        .clone()
        .unwrap_or_else(|| media.kind.as_str().to_owned());
    let size = media.size_bytes.map(|b| {
        if b >= 1024 * 1024 {
            format!("{:.1} MB", b as f64 / (1024.0 * 1024.0))
        } else {
            format!("{} KB", b.div_ceil(1024))
        }
    });
    let caption = media
        .caption
        .clone()
        .map(|c| view! { <p class="whitespace-pre-wrap break-words">{c}</p> });
    let Some(src) = media.local_path() else {
        return view! {
            <p class="text-sm" data-testid="message-media" data-ready="false">
                <span class="font-medium">{format!("[{}]", media.kind.as_str())}</span>
                " " <span class="font-mono">{name}</span>
                {(media.provider_id.is_some()).then(|| view! { <span class="block text-xs text-slate-600">"Fetching the file from the provider…"</span> })}
            </p>
            {caption}
        }
        .into_any();
    };
    let shown = match media.kind {
        MediaKind::Image | MediaKind::Sticker => view! {
            <a href=src.clone() target="_blank" rel="noopener">
                <img src=src.clone() alt=name.clone() loading="lazy" class="max-h-64 max-w-full rounded" />
            </a>
        }
        .into_any(),
        MediaKind::Video => view! { <video src=src.clone() controls preload="metadata" class="max-h-64 max-w-full rounded"></video> }.into_any(),
        MediaKind::Audio => view! { <audio src=src.clone() controls preload="metadata"></audio> }.into_any(),
        MediaKind::Document => view! { <span aria-hidden="true">"📄 "</span> }.into_any(),
    };
    view! {
        <div class="text-sm" data-testid="message-media" data-ready="true" data-kind=media.kind.as_str()>
            {shown}
            <a href=src download=name.clone() class="block underline" data-testid="message-media-link">
                {name.clone()}
                {size.map(|s| format!(" ({s})"))}
            </a>
        </div>
        {caption}
    }
    .into_any()
}

/// A piece of a customer's text: words, or a web address to link.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// Splits `body` into text and `http(s)://` addresses. Only those two schemes are ever
/// linked (never `javascript:` or `data:`), and punctuation closing a sentence stays text.
fn pieces(body: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        let starts_word = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || "([<\"'".contains(c));
        let len = rest[at..]
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(rest.len() - at);
        let address =
            rest[at..at + len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
        let bare = address.ends_with("://");
        if !starts_word || bare {
            let upto = at + len.max(1);
            out.push(Piece::Text(&rest[..upto]));
            rest = &rest[upto..];
            continue;
        }
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        out.push(Piece::Link(address));
        rest = &rest[at + address.len()..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// A customer's text, escaped, with its web addresses as links that open apart from
/// msgbuddy and pass it nothing (no opener, no referrer) and no ranking.
fn linked(body: &str) -> impl IntoView + use<> {
    pieces(body)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.to_owned().into_any(),
            Piece::Link(url) => view! {
                <a href=url.to_owned() rel="noopener noreferrer nofollow ugc" target="_blank" class="underline">{url.to_owned()}</a>
            }
            .into_any(),
        })
        .collect_view()
}

fn content_view(content: &Content) -> AnyView {
    match content.clone() {
        Content::Text { body } => view! { <p class="whitespace-pre-wrap break-words">{linked(&body)}</p> }.into_any(),
        Content::Media(media) => media_view(media),
        Content::Location(l) => {
            let href = format!(
                "https://www.openstreetmap.org/?mlat={:.6}&mlon={:.6}#map=16/{:.6}/{:.6}",
                l.latitude, l.longitude, l.latitude, l.longitude
            );
            view! {
                <p>
                    "📍 " {l.name.clone().unwrap_or_else(|| "Location".to_owned())}
                    {l.address.clone().map(|a| view! { <span class="block text-sm">{a}</span> })}
                    <a href=href rel="noopener noreferrer" target="_blank" class="block text-sm underline">
                        {format!("{:.5}, {:.5}", l.latitude, l.longitude)}
                    </a>
                </p>
            }
            .into_any()
        }
        Content::Contacts { contacts } => view! {
            <ul class="text-sm">
                {contacts.into_iter().map(|c| view! {
                    <li>"👤 " <span class="font-medium">{c.name}</span> " " {c.phones.join(", ")} " " {c.emails.join(", ")}</li>
                }).collect_view()}
            </ul>
        }
        .into_any(),
        Content::Buttons { body, buttons } => view! {
            <p class="whitespace-pre-wrap break-words">{body}</p>
            <ul class="mt-1 flex flex-wrap gap-1">
                {buttons.into_iter().map(|b| view! { <li class="rounded border border-slate-300 px-2 py-0.5 text-sm">{b.title}</li> }).collect_view()}
            </ul>
        }
        .into_any(),
        Content::List { body, button, sections } => view! {
            <p class="whitespace-pre-wrap break-words">{body}</p>
            <p class="mt-1 text-sm font-medium">"☰ " {button}</p>
            <ul class="text-sm">
                {sections.into_iter().flat_map(|s| s.rows).map(|r| view! { <li>"• " {r.title}</li> }).collect_view()}
            </ul>
        }
        .into_any(),
        Content::Template { name, language, parameters } => view! {
            <p class="text-sm"><span class="font-medium">"Template "</span> <span class="font-mono">{name}</span> " (" {language} ")"</p>
            {(!parameters.is_empty()).then(|| view! { <p class="text-sm">{parameters.join(" · ")}</p> })}
        }
        .into_any(),
        Content::Reply { title, .. } => view! { <p>"↩ " {title}</p> }.into_any(),
        Content::Reaction { emoji, .. } => view! { <p class="text-2xl">{emoji}</p> }.into_any(),
        Content::Email { subject, body, attachments } => view! {
            <p class="font-medium">{subject}</p>
            <p class="whitespace-pre-wrap break-words">{body}</p>
            {(!attachments.is_empty()).then(|| view! {
                <ul class="mt-2 space-y-2 border-t border-slate-200 pt-2" aria-label="Attachments" data-testid="message-attachments">
                    {attachments.into_iter().map(|a| view! { <li>{media_view(a)}</li> }).collect_view()}
                </ul>
            })}
        }
        .into_any(),
        Content::Unsupported { kind } => view! { <p class="italic">{format!("A message msgbuddy cannot show ({kind}).")}</p> }.into_any(),
    }
}

/// A message bubble. `status` is live: the thread island updates it from events.
#[component]
pub fn MessageBubble(
    message: MessageView,
    #[prop(into)] status: Signal<DeliveryStatus>,
    #[prop(into)] error: Signal<Option<String>>,
    /// The Retry form for a failed message, rendered by the page (it needs the CSRF token).
    #[prop(optional_no_strip)]
    retry: Option<ChildrenFn>,
    /// The Cancel form for a scheduled message that has not gone out.
    #[prop(optional_no_strip)]
    cancel: Option<ChildrenFn>,
    /// Star and pin buttons, for members.
    #[prop(optional_no_strip)]
    actions: Option<ChildrenFn>,
    /// The words of the message this one answers.
    #[prop(optional_no_strip)]
    quote: Option<String>,
) -> impl IntoView {
    let outbound = message.direction == Direction::Outbound;
    let row = if outbound {
        "flex justify-end"
    } else {
        "flex justify-start"
    };
    let bubble = if outbound {
        "max-w-[80%] rounded-lg bg-indigo-50 px-3 py-2 text-slate-900"
    } else {
        "max-w-[80%] rounded-lg bg-white px-3 py-2 text-slate-900 shadow-sm"
    };
    let who = match (&message.direction, &message.sent_by) {
        (Direction::Inbound, _) => "Customer".to_owned(),
        (Direction::Outbound, Some(name)) => name.clone(),
        (Direction::Outbound, None) => "API".to_owned(),
    };
    let failed = move || status.get() == DeliveryStatus::Failed;
    view! {
        <li class=row id=format!("m-{}", message.id) data-testid="message" data-id=message.id.clone() data-direction=message.direction.as_str()>
            <div class=bubble>
                <p class="mb-1 text-xs text-slate-600">
                    <span class="font-medium">{who}</span>
                    " · "
                    <time datetime=iso_utc(message.created_at_ms)>{format_utc(message.created_at_ms)}</time>
                    {message.is_test.then(|| view! { " · " <span class="font-semibold text-amber-800">"test"</span> })}
                </p>
                {quote.map(|q| view! {
                    <blockquote class="mb-1 border-l-4 border-slate-300 pl-2 text-xs text-slate-600" data-testid="message-quote">{q}</blockquote>
                })}
                {match (message.deleted_at_ms, message.deleted_for_everyone) {
                    (None, _) => content_view(&message.content),
                    (Some(_), everyone) => view! {
                        <p class="text-sm italic text-slate-600" data-testid="message-deleted">
                            {if everyone { "This message was deleted for everyone." } else { "This message was deleted." }}
                        </p>
                    }.into_any(),
                }}
                {outbound.then(|| view! {
                    <div class="mt-1 flex items-center justify-end gap-2">
                        <StatusTick status />
                    </div>
                })}
                {message.scheduled_at_ms.map(|at| {
                    let cancel = cancel.clone();
                    view! {
                        <Show when=move || status.get() == DeliveryStatus::Pending>
                            <p class="mt-1 text-right text-xs text-slate-700" data-testid="message-scheduled">
                                "Scheduled for " <time datetime=iso_utc(at)>{format_utc(at)}</time>
                            </p>
                            {cancel.clone().map(|c| c())}
                        </Show>
                    }
                })}
                <Show when=failed>
                    <p class="mt-1 text-xs text-red-700" data-testid="message-error">{move || error.get().unwrap_or_default()}</p>
                    {retry.clone().map(|r| r())}
                </Show>
                {actions.map(|a| a())}
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::{Piece, pieces};

    #[test]
    fn web_addresses_become_links_and_nothing_else_does() {
        assert_eq!(
            pieces("See https://shop.example/track?id=1&x=2, then reply."),
            [
                Piece::Text("See "),
                Piece::Link("https://shop.example/track?id=1&x=2"),
                Piece::Text(", then reply."),
            ]
        );
        assert_eq!(
            pieces("(http://a.example/x)"),
            [
                Piece::Text("("),
                Piece::Link("http://a.example/x"),
                Piece::Text(")")
            ]
        );
        for text in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "xhttps://evil.example",
            "https://",
            "plain words",
            "",
        ] {
            assert!(
                pieces(text).iter().all(|p| matches!(p, Piece::Text(_))),
                "{text:?}"
            );
        }
        // The pieces always add up to the text.
        let text = "a https://x.example/<b> https:// c\"https://y.example/\"";
        let joined: String = pieces(text)
            .iter()
            .map(|p| match p {
                Piece::Text(t) | Piece::Link(t) => *t,
            })
            .collect();
        assert_eq!(joined, text);
    }
}
