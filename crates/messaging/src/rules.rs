//! The rules a message must pass before it is stored for sending, each refused with an
//! error that names the rule: what the channel can carry, length limits, SMS segments,
//! WhatsApp's 24-hour customer-service window, media types and sizes, and contacts who
//! opted out or are blocked.

use crate::contacts::ContactFlags;
use msgbuddy_channels::Capabilities;
use msgbuddy_channels::sms;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::{ChannelKind, Content};

/// What the rules look at besides the message.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub kind: ChannelKind,
    pub capabilities: &'a Capabilities,
    pub contact: ContactFlags,
    /// The answer to a customer's opt-out keyword, which goes to them once more.
    pub confirms_opt_out: bool,
    /// Whether the customer wrote within the channel's reply window.
    pub window_open: bool,
    /// SMS: the most segments a message may take.
    pub max_segments: usize,
}

fn refuse(rule: &str, message: impl Into<String>) -> AppError {
    AppError::validation(message).with_details(serde_json::json!({ "rule": rule }))
}

fn check_length(rule: &str, what: &str, text: &str, max: Option<usize>) -> Result<(), AppError> {
    let len = text.chars().count();
    match max {
        Some(max) if len > max => Err(refuse(
            rule,
            format!("{what} is {len} characters; this channel takes at most {max}."),
        )),
        _ => Ok(()),
    }
}

fn not_carried(ctx: &Context<'_>, what: &str) -> AppError {
    refuse(
        "unsupported_content",
        format!("{} channels cannot send {what}.", ctx.kind.label()),
    )
}

pub fn check(content: &Content, ctx: &Context<'_>) -> Result<(), AppError> {
    if ctx.contact.blocked {
        return Err(refuse(
            "contact_blocked",
            "This contact is blocked; nothing can be sent to them.",
        ));
    }
    if ctx.contact.opted_out.contains(ctx.kind) && !ctx.confirms_opt_out {
        return Err(refuse(
            "contact_opted_out",
            format!(
                "This contact opted out of {} messages; nothing can be sent to them there.",
                ctx.kind.label()
            ),
        ));
    }
    let caps = ctx.capabilities;
    let is_template = matches!(content, Content::Template { .. });
    if !ctx.window_open && !is_template {
        return Err(refuse(
            "reply_window_closed",
            "The customer has not written in the last 24 hours, so WhatsApp allows only an approved template now.",
        ));
    }
    match content {
        Content::Text { body } => {
            if body.trim().is_empty() {
                return Err(AppError::invalid_field("text", "Write a message first."));
            }
            check_length("text_too_long", "The text", body, caps.max_text_chars)?;
            if ctx.kind == ChannelKind::Sms {
                let segments = sms::segments(body);
                if segments.count > ctx.max_segments {
                    return Err(refuse(
                        "sms_segments",
                        format!(
                            "This text needs {} SMS segments ({}); the channel allows at most {}.",
                            segments.count,
                            match segments.encoding {
                                sms::Encoding::Gsm7 =>
                                    "GSM-7: 160 characters in one, 153 per segment when split",
                                sms::Encoding::Ucs2 =>
                                    "it has characters outside GSM-7, so 70 in one, 67 per segment when split",
                            },
                            ctx.max_segments
                        ),
                    ));
                }
            }
        }
        Content::Media(media) => {
            let Some(limit) = caps.media_limit(media.kind) else {
                return Err(not_carried(ctx, &format!("{} files", media.kind.as_str())));
            };
            if let Some(caption) = &media.caption {
                check_length(
                    "caption_too_long",
                    "The caption",
                    caption,
                    caps.max_caption_chars,
                )?;
            }
            if media.size_bytes.is_some_and(|s| s > limit.max_bytes) {
                return Err(refuse(
                    "media_too_large",
                    format!(
                        "The file is larger than the {} MB {} channels take for {} files.",
                        limit.max_bytes / (1024 * 1024),
                        ctx.kind.label(),
                        media.kind.as_str()
                    ),
                ));
            }
            if let Some(mime) = &media.mime_type
                && !limit.mime_types.is_empty()
                && !limit.mime_types.contains(&mime.as_str())
            {
                return Err(refuse(
                    "media_type",
                    format!(
                        "{} channels do not take {mime} as {} files.",
                        ctx.kind.label(),
                        media.kind.as_str()
                    ),
                ));
            }
            if media.url.is_none() && media.provider_id.is_none() {
                return Err(AppError::invalid_field("media", "Attach a file first."));
            }
            if caps.attaches_files && media.media_id.is_none() {
                return Err(refuse(
                    "media_not_uploaded",
                    format!(
                        "{} channels attach the file itself, so only files kept in msgbuddy can be sent: upload it (POST /api/v1/media) and send its media_id instead of a URL.",
                        ctx.kind.label()
                    ),
                ));
            }
        }
        Content::Location(l) => {
            if !caps.locations {
                return Err(not_carried(ctx, "locations"));
            }
            if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude) {
                return Err(AppError::invalid_field(
                    "location",
                    "Latitude is -90 to 90 and longitude -180 to 180.",
                ));
            }
        }
        Content::Contacts { contacts } => {
            if !caps.contacts {
                return Err(not_carried(ctx, "contact cards"));
            }
            if contacts.is_empty() {
                return Err(AppError::invalid_field(
                    "contacts",
                    "Add at least one contact.",
                ));
            }
        }
        Content::Buttons { body, buttons } => {
            if !caps.interactive {
                return Err(not_carried(ctx, "buttons"));
            }
            check_length("text_too_long", "The text", body, Some(1024))?;
            if buttons.is_empty() || buttons.len() > 3 {
                return Err(refuse("interactive_limits", "Use one to three buttons."));
            }
            for b in buttons {
                check_length("interactive_limits", "A button title", &b.title, Some(20))?;
            }
        }
        Content::List {
            body,
            button,
            sections,
        } => {
            if !caps.interactive {
                return Err(not_carried(ctx, "lists"));
            }
            check_length("text_too_long", "The text", body, Some(4096))?;
            check_length("interactive_limits", "The list button", button, Some(20))?;
            let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
            if sections.is_empty() || sections.len() > 10 || rows == 0 || rows > 10 {
                return Err(refuse(
                    "interactive_limits",
                    "A list has one to ten sections and at most ten rows in all.",
                ));
            }
            for row in sections.iter().flat_map(|s| &s.rows) {
                check_length("interactive_limits", "A row title", &row.title, Some(24))?;
            }
        }
        Content::Template { name, language, .. } => {
            if !caps.templates {
                return Err(not_carried(ctx, "WhatsApp templates"));
            }
            if name.trim().is_empty() || language.trim().is_empty() {
                return Err(AppError::invalid_field(
                    "template",
                    "Name the template and its language.",
                ));
            }
        }
        Content::Email {
            subject,
            body,
            attachments,
        } => {
            if ctx.kind != ChannelKind::Email {
                return Err(not_carried(ctx, "emails"));
            }
            if !attachments.is_empty() {
                return Err(refuse(
                    "unsupported_content",
                    "Send a file by email as a media message, with the text as its caption.",
                ));
            }
            if body.trim().is_empty() {
                return Err(AppError::invalid_field("text", "Write a message first."));
            }
            check_length("text_too_long", "The subject", subject, Some(998))?;
        }
        Content::Reply { .. } | Content::Reaction { .. } | Content::Unsupported { .. } => {
            return Err(refuse(
                "unsupported_content",
                "Customers send these; msgbuddy cannot.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgbuddy_channels::sandbox;
    use msgbuddy_domain::message::OptOuts;

    fn ctx(kind: ChannelKind, caps: &Capabilities) -> Context<'_> {
        Context {
            kind,
            capabilities: caps,
            contact: ContactFlags::default(),
            window_open: true,
            max_segments: 2,
            confirms_opt_out: false,
        }
    }

    fn text(body: &str) -> Content {
        Content::Text { body: body.into() }
    }

    fn rule(e: AppError) -> String {
        e.details
            .and_then(|d| d["rule"].as_str().map(str::to_owned))
            .unwrap_or(e.message)
    }

    #[test]
    fn each_rule_refuses_with_its_name() {
        let caps = sandbox::capabilities();
        let sms = ctx(ChannelKind::Sms, &caps);
        assert!(check(&text(&"a".repeat(306)), &sms).is_ok());
        assert_eq!(
            rule(check(&text(&"a".repeat(307)), &sms).expect_err("3 segments")),
            "sms_segments"
        );
        assert_eq!(
            rule(check(&text(&"ж".repeat(135)), &sms).expect_err("3 segments")),
            "sms_segments"
        );
        let closed = Context {
            window_open: false,
            ..ctx(ChannelKind::Whatsapp, &caps)
        };
        assert_eq!(
            rule(check(&text("hi"), &closed).expect_err("window")),
            "reply_window_closed"
        );
        let template = Content::Template {
            name: "hello_world".into(),
            language: "en_US".into(),
            parameters: vec![],
        };
        assert!(
            check(&template, &closed).is_ok(),
            "a template is allowed outside the window"
        );
        let opted = Context {
            contact: ContactFlags {
                opted_out: OptOuts::default().with(ChannelKind::Whatsapp),
                blocked: false,
            },
            ..ctx(ChannelKind::Whatsapp, &caps)
        };
        let elsewhere = Context {
            contact: ContactFlags {
                opted_out: OptOuts::default().with(ChannelKind::Sms),
                blocked: false,
            },
            ..ctx(ChannelKind::Whatsapp, &caps)
        };
        assert!(
            check(&text("hi"), &elsewhere).is_ok(),
            "an SMS opt-out leaves WhatsApp"
        );
        let confirming = Context {
            confirms_opt_out: true,
            ..opted
        };
        assert!(
            check(&text("bye"), &confirming).is_ok(),
            "the keyword's answer goes"
        );
        assert_eq!(
            rule(check(&text("hi"), &opted).expect_err("opted out")),
            "contact_opted_out"
        );
        let long = text(&"a".repeat(4097));
        assert_eq!(
            rule(check(&long, &ctx(ChannelKind::Whatsapp, &caps)).expect_err("long")),
            "text_too_long"
        );
        let email = Content::Email {
            subject: "s".into(),
            body: "b".into(),
            attachments: vec![],
        };
        assert_eq!(
            rule(check(&email, &ctx(ChannelKind::Whatsapp, &caps)).expect_err("email")),
            "unsupported_content"
        );
    }

    #[test]
    fn email_attaches_only_files_msgbuddy_holds_one_to_a_message() {
        use msgbuddy_domain::message::{Media, MediaKind};
        let caps = msgbuddy_channels::email::capabilities();
        let email = ctx(ChannelKind::Email, &caps);
        let file = |url: Option<&str>, media_id: Option<&str>| {
            Content::Media(Media {
                kind: MediaKind::Document,
                url: url.map(str::to_owned),
                provider_id: None,
                mime_type: Some("application/pdf".into()),
                filename: Some("invoice.pdf".into()),
                caption: Some("Your invoice".into()),
                size_bytes: Some(10_000),
                media_id: media_id.map(str::to_owned),
            })
        };
        assert!(check(&file(Some("/media/med_1"), Some("med_1")), &email).is_ok());
        assert_eq!(
            rule(check(&file(Some("https://example.com/a.pdf"), None), &email).expect_err("url")),
            "media_not_uploaded"
        );
        let Content::Media(big) = file(Some("/media/med_1"), Some("med_1")) else {
            unreachable!()
        };
        let big = Content::Media(Media {
            size_bytes: Some(15 * 1024 * 1024),
            ..big
        });
        assert_eq!(
            rule(check(&big, &email).expect_err("too large")),
            "media_too_large"
        );
        let Content::Media(one) = file(Some("/media/med_1"), Some("med_1")) else {
            unreachable!()
        };
        let with_files = Content::Email {
            subject: "Invoice".into(),
            body: "Attached.".into(),
            attachments: vec![one],
        };
        assert_eq!(
            rule(check(&with_files, &email).expect_err("attachments")),
            "unsupported_content"
        );
        // Channels that fetch a file by its link take a URL.
        let sandbox = sandbox::capabilities();
        assert!(
            check(
                &file(Some("https://example.com/a.pdf"), None),
                &ctx(ChannelKind::Whatsapp, &sandbox)
            )
            .is_ok()
        );
    }
}
