//! Telegram Bot API.
//!
//! - Calls: `POST {base}/bot<token>/<method>` with a JSON body; answers are
//!   `{"ok":true,"result":…}` or `{"ok":false,"error_code","description","parameters":{"retry_after"}}`.
//! - Send: `sendMessage`, `sendPhoto`, `sendVideo`, `sendAudio`, `sendDocument`,
//!   `sendSticker`, `sendLocation`, `sendContact`; buttons and lists become an inline
//!   keyboard. Message ids are per chat, so the provider id is `<chat id>:<message id>`.
//! - Validate: `getMe`. On success the webhook is registered with `setWebhook` and a random
//!   `secret_token`, which Telegram sends back in `X-Telegram-Bot-Api-Secret-Token`.
//! - Receive: `Update`s with `message`, `edited_message` (kept as a new version) and
//!   `callback_query` (a tapped button). Bots get no delivery or read receipts.
//! - Limits (Telegram's FAQ): about 30 messages a second in all, one a second per chat;
//!   429 answers carry `retry_after`; 401 is a bad token; 400 and 403 (the user blocked the
//!   bot) are final.

use crate::http::{self, text};
use crate::provider::*;
use crate::signature;
use async_trait::async_trait;
use msgbuddy_domain::message::{
    ChannelKind, Choice, ContactCard, Content, Location, Media, MediaKind,
};
use serde_json::{Value, json};
use std::time::Duration;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

pub struct Telegram {
    base: String,
    token: String,
    secret: String,
    webhook_url: String,
    http: reqwest::Client,
    capabilities: Capabilities,
}

pub fn capabilities() -> Capabilities {
    let any = |kind, max_bytes| MediaLimit {
        kind,
        max_bytes,
        mime_types: &[],
    };
    Capabilities {
        media: vec![
            any(MediaKind::Image, 10 * 1024 * 1024),
            any(MediaKind::Video, 50 * 1024 * 1024),
            any(MediaKind::Audio, 50 * 1024 * 1024),
            any(MediaKind::Document, 50 * 1024 * 1024),
            any(MediaKind::Sticker, 512 * 1024),
        ],
        locations: true,
        contacts: true,
        interactive: true,
        templates: false,
        delivery_receipts: false,
        read_receipts: false,
        max_text_chars: Some(4096),
        max_caption_chars: Some(1024),
        reply_window: None,
        default_rate_per_sec: 30,
        per_recipient_rate_per_sec: Some(1),
        attaches_files: false,
    }
}

impl Telegram {
    pub fn new(
        base: &str,
        token: &str,
        secret: &str,
        webhook_url: &str,
        http: reqwest::Client,
    ) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            secret: secret.to_owned(),
            webhook_url: webhook_url.to_owned(),
            http,
            capabilities: capabilities(),
        }
    }

    async fn call(&self, method: &str, body: &Value) -> Result<Value, ProviderError> {
        let answer = http::call(
            self.http
                .post(format!("{}/bot{}/{method}", self.base, self.token))
                .json(body),
        )
        .await?;
        if answer.status.is_success() && answer.body["ok"].as_bool() == Some(true) {
            return Ok(answer.body["result"].clone());
        }
        Err(error_from(&answer))
    }
}

/// Reads Telegram's error answer into a classified error.
pub fn error_from(answer: &http::Answer) -> ProviderError {
    let code = answer.body["error_code"]
        .as_i64()
        .unwrap_or_else(|| i64::from(answer.status.as_u16()));
    let description = match text(&answer.body, "description") {
        "" => format!("Telegram answered HTTP {}", answer.status.as_u16()),
        d => d.to_owned(),
    };
    let retry_after = answer.body["parameters"]["retry_after"]
        .as_u64()
        .map(Duration::from_secs)
        .or(answer.retry_after);
    let class = match code {
        429 => ErrorClass::Throttled { retry_after },
        401 | 404 => ErrorClass::Credentials,
        500..=599 => ErrorClass::Retryable,
        _ => ErrorClass::Permanent,
    };
    ProviderError::new(class, code.to_string(), description)
}

fn keyboard(rows: Vec<Vec<&Choice>>) -> Value {
    json!({
        "inline_keyboard": rows.into_iter().map(|row| row.into_iter().map(|c| json!({
            "text": c.title, "callback_data": c.id,
        })).collect::<Vec<_>>()).collect::<Vec<_>>(),
    })
}

/// The method and body of a send, as the Bot API documents them.
pub fn request_for(message: &Outbound<'_>) -> Result<(&'static str, Value), ProviderError> {
    let chat_id: Value = message
        .to
        .address
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(message.to.address.clone()));
    let mut body = json!({ "chat_id": chat_id });
    let method = match message.content {
        Content::Text { body: text } => {
            body["text"] = json!(text);
            "sendMessage"
        }
        Content::Media(Media {
            kind,
            url,
            provider_id,
            caption,
            ..
        }) => {
            let (method, field) = match kind {
                MediaKind::Image => ("sendPhoto", "photo"),
                MediaKind::Video => ("sendVideo", "video"),
                MediaKind::Audio => ("sendAudio", "audio"),
                MediaKind::Document => ("sendDocument", "document"),
                MediaKind::Sticker => ("sendSticker", "sticker"),
            };
            let file = provider_id.as_ref().or(url.as_ref()).ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::Permanent,
                    "no_file",
                    "The media has no file to send.",
                )
            })?;
            body[field] = json!(file);
            if let Some(caption) = caption
                && *kind != MediaKind::Sticker
            {
                body["caption"] = json!(caption);
            }
            method
        }
        Content::Location(Location {
            latitude,
            longitude,
            ..
        }) => {
            body["latitude"] = json!(latitude);
            body["longitude"] = json!(longitude);
            "sendLocation"
        }
        Content::Contacts { contacts } => {
            let Some(ContactCard {
                name,
                first_name,
                last_name,
                phones,
                ..
            }) = contacts.first()
            else {
                return Err(ProviderError::new(
                    ErrorClass::Permanent,
                    "no_contact",
                    "No contact to send.",
                ));
            };
            body["phone_number"] = json!(phones.first().cloned().unwrap_or_default());
            body["first_name"] = json!(first_name.clone().unwrap_or_else(|| name.clone()));
            if let Some(last) = last_name {
                body["last_name"] = json!(last);
            }
            "sendContact"
        }
        Content::Buttons {
            body: text,
            buttons,
        } => {
            body["text"] = json!(text);
            body["reply_markup"] = keyboard(vec![buttons.iter().collect()]);
            "sendMessage"
        }
        Content::List {
            body: text,
            sections,
            ..
        } => {
            body["text"] = json!(text);
            body["reply_markup"] = keyboard(
                sections
                    .iter()
                    .flat_map(|s| &s.rows)
                    .map(|r| vec![r])
                    .collect(),
            );
            "sendMessage"
        }
        Content::Template { .. }
        | Content::Reply { .. }
        | Content::Reaction { .. }
        | Content::Email { .. }
        | Content::Unsupported { .. } => {
            return Err(ProviderError::new(
                ErrorClass::Permanent,
                "unsupported_content",
                "Telegram cannot send this kind of message.",
            ));
        }
    };
    if let Some(reply_to) = message
        .reply_to
        .and_then(|r| r.split_once(':'))
        .and_then(|(_, id)| id.parse::<i64>().ok())
    {
        body["reply_parameters"] =
            json!({ "message_id": reply_to, "allow_sending_without_reply": true });
    }
    Ok((method, body))
}

#[async_trait]
impl Provider for Telegram {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Telegram
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// `getFile` gives the file's path; the file is at `{base}/file/bot<token>/<path>`.
    /// Bots can download files up to 20 MB.
    async fn fetch_media(
        &self,
        media: &Media,
        max_bytes: usize,
    ) -> Result<Option<Fetched>, ProviderError> {
        let Some(file_id) = media.provider_id.as_deref() else {
            return Ok(None);
        };
        let file = self.call("getFile", &json!({ "file_id": file_id })).await?;
        let path = text(&file, "file_path");
        if path.is_empty() || path.contains("..") || path.starts_with('/') {
            return Err(ProviderError::new(
                ErrorClass::Permanent,
                "media_unavailable",
                "Telegram gave no path for the file (bots cannot download files over 20 MB).",
            ));
        }
        let request = self
            .http
            .get(format!("{}/file/bot{}/{path}", self.base, self.token));
        http::download(&self.http, request, &[], max_bytes)
            .await
            .map(Some)
    }

    async fn validate(&self) -> Result<Validation, ProviderError> {
        match self.call("getMe", &json!({})).await {
            Ok(me) => Ok(Validation::Good {
                detail: format!("@{} ({})", text(&me, "username"), text(&me, "first_name")),
            }),
            Err(e)
                if matches!(
                    e.class,
                    ErrorClass::Retryable | ErrorClass::Throttled { .. }
                ) =>
            {
                Err(e)
            }
            Err(e) => Ok(Validation::Invalid {
                reason: format!("Telegram refused the bot token: {}", e.message),
            }),
        }
    }

    async fn register_webhook(&self) -> Result<(), ProviderError> {
        self.call(
            "setWebhook",
            &json!({
                "url": self.webhook_url,
                "secret_token": self.secret,
                "allowed_updates": ["message", "edited_message", "callback_query"],
            }),
        )
        .await
        .map(|_| ())
    }

    async fn send(&self, message: &Outbound<'_>) -> Result<Accepted, ProviderError> {
        let (method, body) = request_for(message)?;
        let result = self.call(method, &body).await?;
        let chat = result["chat"]["id"].as_i64();
        let id = result["message_id"].as_i64();
        match (chat, id) {
            (Some(chat), Some(id)) => Ok(Accepted {
                provider_message_id: format!("{chat}:{id}"),
                scheduled_receipts: Vec::new(),
            }),
            _ => Err(ProviderError::new(
                ErrorClass::Retryable,
                "bad_answer",
                "Telegram accepted the call but returned no message.",
            )),
        }
    }

    fn deletes_within(&self) -> Option<Duration> {
        // Bots delete messages of a private chat, theirs and the customer's, for 48 hours.
        Some(Duration::from_secs(48 * 3600))
    }

    async fn delete_for_everyone(&self, provider_message_id: &str) -> Result<(), ProviderError> {
        // `chat:message`, or `chat:message:edited:…` for an edit of that message.
        let mut parts = provider_message_id.split(':');
        let (chat, id) = parts
            .next()
            .zip(parts.next())
            .and_then(|(c, m)| Some((c.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::Permanent,
                    "bad_id",
                    "This message has no Telegram chat and message id.",
                )
            })?;
        self.call(
            "deleteMessage",
            &json!({ "chat_id": chat, "message_id": id }),
        )
        .await
        .map(|_| ())
    }

    fn verify_webhook(&self, request: &WebhookRequest<'_>) -> Verification {
        match request.header(SECRET_HEADER) {
            Some(given)
                if !self.secret.is_empty()
                    && signature::secure_eq(given.as_bytes(), self.secret.as_bytes()) =>
            {
                Verification::Accept
            }
            Some(_) => Verification::Reject("bad X-Telegram-Bot-Api-Secret-Token"),
            None => Verification::Reject("missing X-Telegram-Bot-Api-Secret-Token"),
        }
    }

    fn parse_webhook(&self, request: &WebhookRequest<'_>) -> Result<Vec<Inbound>, ParseError> {
        parse(request.body)
    }
}

/// Reads one `Update`.
pub fn parse(body: &[u8]) -> Result<Vec<Inbound>, ParseError> {
    let update: Value = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not a Telegram update (invalid JSON: {e})")))?;
    if update["update_id"].as_i64().is_none() {
        return Err(ParseError("not a Telegram update: no `update_id`".into()));
    }
    if let Some(query) = update.get("callback_query") {
        let from = &query["from"];
        let chat = query["message"]["chat"]["id"]
            .as_i64()
            .or(from["id"].as_i64());
        let Some(chat) = chat else {
            return Err(ParseError("a callback query without a chat".into()));
        };
        let data = text(query, "data");
        return Ok(vec![Inbound::Message(InboundMessage {
            provider_message_id: format!("cb:{}", text(query, "id")),
            from: sender(chat, from),
            at_ms: http::now_ms(),
            content: Content::Reply {
                id: data.to_owned(),
                title: data.to_owned(),
            },
            reply_to: query["message"]["message_id"]
                .as_i64()
                .map(|m| format!("{chat}:{m}")),
            thread_ids: Vec::new(),
        })]);
    }
    let (message, edited) = match (update.get("message"), update.get("edited_message")) {
        (Some(m), _) => (m, false),
        (None, Some(m)) => (m, true),
        // Updates msgbuddy does not use (member changes, polls) carry nothing to store.
        (None, None) => return Ok(Vec::new()),
    };
    let chat = message["chat"]["id"]
        .as_i64()
        .ok_or_else(|| ParseError("a Telegram message without `chat.id`".into()))?;
    let id = message["message_id"]
        .as_i64()
        .ok_or_else(|| ParseError("a Telegram message without `message_id`".into()))?;
    let date = if edited {
        message.get("edit_date")
    } else {
        message.get("date")
    };
    let provider_message_id = if edited {
        format!(
            "{chat}:{id}:edited:{}",
            message["edit_date"].as_i64().unwrap_or_default()
        )
    } else {
        format!("{chat}:{id}")
    };
    Ok(vec![Inbound::Message(InboundMessage {
        provider_message_id,
        from: sender(chat, &message["from"]),
        at_ms: http::seconds_to_ms(date).unwrap_or_else(http::now_ms),
        content: content(message),
        reply_to: message["reply_to_message"]["message_id"]
            .as_i64()
            .map(|m| format!("{chat}:{m}")),
        thread_ids: Vec::new(),
    })])
}

fn sender(chat: i64, from: &Value) -> Recipient {
    let name = [text(from, "first_name"), text(from, "last_name")]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Recipient {
        address: chat.to_string(),
        name: (!name.is_empty()).then_some(name),
    }
}

fn content(message: &Value) -> Content {
    let caption = message["caption"].as_str().map(str::to_owned);
    let media = |kind, file: &Value| {
        Content::Media(Media {
            kind,
            url: None,
            provider_id: file["file_id"].as_str().map(str::to_owned),
            mime_type: file["mime_type"].as_str().map(str::to_owned),
            filename: file["file_name"].as_str().map(str::to_owned),
            caption: caption.clone(),
            size_bytes: file["file_size"].as_u64(),
            media_id: None,
        })
    };
    if let Some(t) = message["text"].as_str() {
        return Content::Text { body: t.to_owned() };
    }
    if let Some(sizes) = message["photo"].as_array() {
        // Telegram sends every size; the last is the largest.
        if let Some(largest) = sizes.last() {
            return media(MediaKind::Image, largest);
        }
    }
    for (field, kind) in [
        ("video", MediaKind::Video),
        ("audio", MediaKind::Audio),
        ("voice", MediaKind::Audio),
        ("document", MediaKind::Document),
        ("sticker", MediaKind::Sticker),
    ] {
        if message[field].is_object() {
            return media(kind, &message[field]);
        }
    }
    if let Some(l) = message.get("location") {
        return Content::Location(Location {
            latitude: l["latitude"].as_f64().unwrap_or_default(),
            longitude: l["longitude"].as_f64().unwrap_or_default(),
            name: message["venue"]["title"].as_str().map(str::to_owned),
            address: message["venue"]["address"].as_str().map(str::to_owned),
        });
    }
    if let Some(c) = message.get("contact") {
        let first = text(c, "first_name");
        let last = c["last_name"].as_str();
        return Content::Contacts {
            contacts: vec![ContactCard {
                name: [Some(first), last]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                first_name: Some(first.to_owned()),
                last_name: last.map(str::to_owned),
                phones: vec![text(c, "phone_number").to_owned()],
                emails: Vec::new(),
            }],
        };
    }
    Content::Unsupported {
        kind: message
            .as_object()
            .and_then(|o| {
                o.keys()
                    .find(|k| {
                        ![
                            "message_id",
                            "from",
                            "chat",
                            "date",
                            "edit_date",
                            "reply_to_message",
                            "caption",
                            "entities",
                        ]
                        .contains(&k.as_str())
                    })
                    .cloned()
            })
            .unwrap_or_else(|| "unknown".to_owned()),
    }
}
