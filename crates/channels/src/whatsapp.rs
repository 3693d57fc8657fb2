//! WhatsApp Business Cloud API (Meta Graph API).
//!
//! - Send: `POST /{phone-number-id}/messages` with the access token as a bearer token; the
//!   answer's `messages[0].id` (`wamid.…`) is the provider id. msgbuddy's message id goes
//!   in `biz_opaque_callback_data`, which Meta echoes on every status webhook.
//! - Validate: `GET /{phone-number-id}?fields=display_phone_number,verified_name,quality_rating`.
//! - Subscribe: `POST /{waba-id}/subscribed_apps`; `GET` lists the subscribed apps.
//! - Webhooks: the `GET` handshake (`hub.mode=subscribe`, `hub.verify_token`, answered with
//!   `hub.challenge`) and `POST`s signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256
//!   of the raw body with the app secret>`, carrying `messages` and `statuses` under
//!   `entry[].changes[].value`.
//! - Errors: `{"error":{"message","type","code","error_subcode","error_data":{"details"}}}`.
//!   130429 (throughput), 131056 (pair rate), 131048 (spam rate), 4 and 80007 (app and
//!   account rate) ask us to slow down; 1, 2, 131000, 131016 and 133004 are Meta's
//!   transient failures; 190 and the 2xx permission codes are credentials; the rest (131026
//!   undeliverable, 131047 outside the 24-hour window, 132000 template parameters...) fail.

use crate::http::{self, seconds_to_ms, text};
use crate::provider::*;
use crate::signature;
use async_trait::async_trait;
use msgbuddy_domain::message::{
    ChannelKind, Choice, ContactCard, Content, DeliveryStatus, Location, Media, MediaKind,
};
use serde_json::{Value, json};
use std::time::Duration;

pub struct WhatsApp {
    base: String,
    phone_number_id: String,
    waba_id: String,
    app_id: String,
    app_secret: String,
    access_token: String,
    verify_token: String,
    http: reqwest::Client,
    capabilities: Capabilities,
}

/// The settings an account stores.
pub struct WhatsAppConfig<'a> {
    pub base: &'a str,
    pub phone_number_id: &'a str,
    pub waba_id: &'a str,
    pub app_id: &'a str,
    pub app_secret: &'a str,
    pub access_token: &'a str,
    pub verify_token: &'a str,
}

pub fn capabilities() -> Capabilities {
    Capabilities {
        media: vec![
            MediaLimit {
                kind: MediaKind::Image,
                max_bytes: 5 * 1024 * 1024,
                mime_types: &["image/jpeg", "image/png"],
            },
            MediaLimit {
                kind: MediaKind::Video,
                max_bytes: 16 * 1024 * 1024,
                mime_types: &["video/mp4", "video/3gpp"],
            },
            MediaLimit {
                kind: MediaKind::Audio,
                max_bytes: 16 * 1024 * 1024,
                mime_types: &[
                    "audio/aac",
                    "audio/amr",
                    "audio/mpeg",
                    "audio/mp4",
                    "audio/ogg",
                ],
            },
            MediaLimit {
                kind: MediaKind::Document,
                max_bytes: 100 * 1024 * 1024,
                mime_types: &[],
            },
            MediaLimit {
                kind: MediaKind::Sticker,
                max_bytes: 500 * 1024,
                mime_types: &["image/webp"],
            },
        ],
        locations: true,
        contacts: true,
        interactive: true,
        templates: true,
        delivery_receipts: true,
        read_receipts: true,
        max_text_chars: Some(4096),
        max_caption_chars: Some(1024),
        reply_window: Some(Duration::from_secs(24 * 60 * 60)),
        default_rate_per_sec: 80,
        per_recipient_rate_per_sec: None,
        attaches_files: false,
    }
}

impl WhatsApp {
    pub fn new(config: &WhatsAppConfig<'_>, http: reqwest::Client) -> Self {
        Self {
            base: config.base.trim_end_matches('/').to_owned(),
            phone_number_id: config.phone_number_id.to_owned(),
            waba_id: config.waba_id.to_owned(),
            app_id: config.app_id.to_owned(),
            app_secret: config.app_secret.to_owned(),
            access_token: config.access_token.to_owned(),
            verify_token: config.verify_token.to_owned(),
            http,
            capabilities: capabilities(),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}/{path}", self.base))
            .bearer_auth(&self.access_token)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/{path}", self.base))
            .bearer_auth(&self.access_token)
    }
}

/// Reads Meta's error answer into a classified error.
pub fn error_from(answer: &http::Answer) -> ProviderError {
    let error = answer.body.get("error").cloned().unwrap_or(Value::Null);
    let code = error.get("code").and_then(Value::as_i64);
    let details = error
        .get("error_data")
        .and_then(|d| d.get("details"))
        .and_then(Value::as_str);
    let message = match (text(&error, "message"), details) {
        ("", None) => format!("WhatsApp answered HTTP {}", answer.status.as_u16()),
        (m, None) => m.to_owned(),
        ("", Some(d)) => d.to_owned(),
        (m, Some(d)) => format!("{m}: {d}"),
    };
    let class = match code {
        Some(130_429 | 131_056 | 131_048 | 4 | 80_007) => ErrorClass::Throttled {
            retry_after: answer.retry_after,
        },
        Some(1 | 2 | 131_000 | 131_016 | 133_004) => ErrorClass::Retryable,
        Some(190 | 10 | 200..=299) => ErrorClass::Credentials,
        Some(_) => ErrorClass::Permanent,
        None if answer.status.as_u16() == 429 => ErrorClass::Throttled {
            retry_after: answer.retry_after,
        },
        None if answer.status.is_server_error() => ErrorClass::Retryable,
        None if answer.status.as_u16() == 401 => ErrorClass::Credentials,
        None => ErrorClass::Permanent,
    };
    let code = code.map_or_else(
        || format!("http_{}", answer.status.as_u16()),
        |c| c.to_string(),
    );
    ProviderError::new(class, code, message)
}

/// The `to` of a send: WhatsApp takes the number's digits.
fn to_digits(address: &str) -> String {
    address.chars().filter(char::is_ascii_digit).collect()
}

fn media_object(media: &Media) -> Value {
    let mut object = serde_json::Map::new();
    match (&media.provider_id, &media.url) {
        (Some(id), _) => object.insert("id".into(), json!(id)),
        (None, Some(url)) => object.insert("link".into(), json!(url)),
        (None, None) => None,
    };
    if let Some(caption) = &media.caption
        && !matches!(media.kind, MediaKind::Audio | MediaKind::Sticker)
    {
        object.insert("caption".into(), json!(caption));
    }
    if let (MediaKind::Document, Some(name)) = (media.kind, &media.filename) {
        object.insert("filename".into(), json!(name));
    }
    Value::Object(object)
}

/// The request body of a send, as Meta documents it for each message type.
pub fn message_body(message: &Outbound<'_>) -> Result<Value, ProviderError> {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_digits(&message.to.address),
        "biz_opaque_callback_data": message.reference,
    });
    let (kind, payload) = match message.content {
        Content::Text { body } => ("text", json!({ "preview_url": false, "body": body })),
        Content::Media(media) => (media.kind.as_str(), media_object(media)),
        Content::Location(l) => {
            let mut loc = json!({ "latitude": l.latitude, "longitude": l.longitude });
            if let Some(name) = &l.name {
                loc["name"] = json!(name);
            }
            if let Some(address) = &l.address {
                loc["address"] = json!(address);
            }
            ("location", loc)
        }
        Content::Contacts { contacts } => (
            "contacts",
            Value::Array(contacts.iter().map(contact_object).collect()),
        ),
        Content::Buttons { body, buttons } => (
            "interactive",
            json!({
                "type": "button",
                "body": { "text": body },
                "action": { "buttons": buttons.iter().map(|b| json!({
                    "type": "reply", "reply": { "id": b.id, "title": b.title }
                })).collect::<Vec<_>>() },
            }),
        ),
        Content::List {
            body,
            button,
            sections,
        } => (
            "interactive",
            json!({
                "type": "list",
                "body": { "text": body },
                "action": {
                    "button": button,
                    "sections": sections.iter().map(|s| json!({
                        "title": s.title,
                        "rows": s.rows.iter().map(row_object).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                },
            }),
        ),
        Content::Template {
            name,
            language,
            parameters,
        } => {
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !parameters.is_empty() {
                template["components"] = json!([{
                    "type": "body",
                    "parameters": parameters.iter().map(|p| json!({ "type": "text", "text": p })).collect::<Vec<_>>(),
                }]);
            }
            ("template", template)
        }
        Content::Reaction { message_id, emoji } => (
            "reaction",
            json!({ "message_id": message_id, "emoji": emoji }),
        ),
        Content::Reply { .. } | Content::Email { .. } | Content::Unsupported { .. } => {
            return Err(ProviderError::new(
                ErrorClass::Permanent,
                "unsupported_content",
                "WhatsApp cannot send this kind of message.",
            ));
        }
    };
    body["type"] = json!(kind);
    body[kind] = payload;
    if let Some(reply_to) = message.reply_to {
        body["context"] = json!({ "message_id": reply_to });
    }
    Ok(body)
}

fn contact_object(c: &ContactCard) -> Value {
    let mut name = json!({ "formatted_name": c.name });
    if let Some(first) = &c.first_name {
        name["first_name"] = json!(first);
    }
    if let Some(last) = &c.last_name {
        name["last_name"] = json!(last);
    }
    json!({
        "name": name,
        "phones": c.phones.iter().map(|p| json!({ "phone": p, "type": "CELL" })).collect::<Vec<_>>(),
        "emails": c.emails.iter().map(|e| json!({ "email": e, "type": "WORK" })).collect::<Vec<_>>(),
    })
}

fn row_object(row: &Choice) -> Value {
    let mut object = json!({ "id": row.id, "title": row.title });
    if let Some(d) = &row.description {
        object["description"] = json!(d);
    }
    object
}

#[async_trait]
impl Provider for WhatsApp {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Whatsapp
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// `GET /{media-id}` gives a short-lived URL on Meta's CDN; the file is fetched from
    /// there with the access token, and only from Meta's hosts.
    async fn fetch_media(
        &self,
        media: &Media,
        max_bytes: usize,
    ) -> Result<Option<Fetched>, ProviderError> {
        let Some(id) = media.provider_id.as_deref() else {
            return Ok(None);
        };
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ProviderError::new(
                ErrorClass::Permanent,
                "media_id",
                "The webhook's media id is not one WhatsApp makes.",
            ));
        }
        let answer =
            http::call(self.get(&format!("{id}?phone_number_id={}", self.phone_number_id))).await?;
        if !answer.status.is_success() {
            return Err(error_from(&answer));
        }
        let graph = http::host_of(&self.base);
        let hosts = [graph.as_str(), "lookaside.fbsbx.com"];
        let url = http::provider_url(text(&answer.body, "url"), &hosts)?;
        let request = self.http.get(url).bearer_auth(&self.access_token);
        http::download(&self.http, request, &hosts, max_bytes)
            .await
            .map(Some)
    }

    async fn validate(&self) -> Result<Validation, ProviderError> {
        let answer = http::call(self.get(&format!(
            "{}?fields=display_phone_number,verified_name,quality_rating",
            self.phone_number_id
        )))
        .await?;
        if answer.status.is_success() {
            let b = &answer.body;
            return Ok(Validation::Good {
                detail: format!(
                    "{} ({}), quality {}",
                    text(b, "display_phone_number"),
                    text(b, "verified_name"),
                    match text(b, "quality_rating") {
                        "" => "unknown",
                        q => q,
                    }
                ),
            });
        }
        let e = error_from(&answer);
        match e.class {
            ErrorClass::Retryable | ErrorClass::Throttled { .. } => Err(e),
            _ => Ok(Validation::Invalid {
                reason: format!("WhatsApp refused: {} ({})", e.message, e.code),
            }),
        }
    }

    async fn send(&self, message: &Outbound<'_>) -> Result<Accepted, ProviderError> {
        let body = message_body(message)?;
        let answer = http::call(
            self.post(&format!("{}/messages", self.phone_number_id))
                .json(&body),
        )
        .await?;
        if !answer.status.is_success() {
            return Err(error_from(&answer));
        }
        let id = answer.body["messages"][0]["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::Retryable,
                    "bad_answer",
                    "WhatsApp accepted the call but returned no message id.",
                )
            })?;
        Ok(Accepted {
            provider_message_id: id.to_owned(),
            scheduled_receipts: Vec::new(),
        })
    }

    fn verify_webhook(&self, request: &WebhookRequest<'_>) -> Verification {
        if request.method.eq_ignore_ascii_case("GET") {
            let query = http::form_pairs(request.query);
            let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let token_ok = get("hub.verify_token").is_some_and(|t| {
                !self.verify_token.is_empty()
                    && signature::secure_eq(t.as_bytes(), self.verify_token.as_bytes())
            });
            return match (get("hub.mode"), token_ok, get("hub.challenge")) {
                (Some("subscribe"), true, Some(challenge)) => {
                    Verification::Challenge(challenge.to_owned())
                }
                _ => Verification::Reject("the verify token does not match"),
            };
        }
        let Some(given) = request.header("x-hub-signature-256") else {
            return Verification::Reject("missing X-Hub-Signature-256");
        };
        let expected = format!(
            "sha256={}",
            signature::hex(&signature::hmac_sha256(
                self.app_secret.as_bytes(),
                request.body
            ))
        );
        if !self.app_secret.is_empty()
            && signature::secure_eq(given.trim().as_bytes(), expected.as_bytes())
        {
            Verification::Accept
        } else {
            Verification::Reject("bad X-Hub-Signature-256")
        }
    }

    fn parse_webhook(&self, request: &WebhookRequest<'_>) -> Result<Vec<Inbound>, ParseError> {
        parse(request.body, &self.phone_number_id)
    }

    async fn subscription(&self) -> Result<Option<bool>, ProviderError> {
        let answer = http::call(self.get(&format!("{}/subscribed_apps", self.waba_id))).await?;
        if !answer.status.is_success() {
            return Err(error_from(&answer));
        }
        let apps = answer.body["data"].as_array().cloned().unwrap_or_default();
        Ok(Some(apps.iter().any(|a| {
            let id = a["whatsapp_business_api_data"]["id"]
                .as_str()
                .unwrap_or_default();
            self.app_id.is_empty() || id == self.app_id
        })))
    }

    async fn subscribe(&self) -> Result<(), ProviderError> {
        let answer = http::call(self.post(&format!("{}/subscribed_apps", self.waba_id))).await?;
        if answer.status.is_success() && answer.body["success"].as_bool() == Some(true) {
            Ok(())
        } else {
            Err(error_from(&answer))
        }
    }
}

/// Reads a webhook body: the messages and statuses of `phone_number_id` (one app may
/// receive the webhooks of several numbers; the others belong to other channels).
pub fn parse(body: &[u8], phone_number_id: &str) -> Result<Vec<Inbound>, ParseError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("not a WhatsApp webhook (invalid JSON: {e})")))?;
    if root.get("object").and_then(Value::as_str) != Some("whatsapp_business_account") {
        return Err(ParseError(
            "not a WhatsApp webhook: `object` is not whatsapp_business_account".into(),
        ));
    }
    let mut out = Vec::new();
    let changes = root["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["changes"].as_array().into_iter().flatten());
    for change in changes {
        if change["field"].as_str() != Some("messages") {
            continue;
        }
        let value = &change["value"];
        let number = value["metadata"]["phone_number_id"]
            .as_str()
            .unwrap_or_default();
        if !phone_number_id.is_empty() && !number.is_empty() && number != phone_number_id {
            continue;
        }
        let names: Vec<(&str, &str)> = value["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    text(c, "wa_id"),
                    c["profile"]["name"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        for m in value["messages"].as_array().into_iter().flatten() {
            out.push(Inbound::Message(inbound_message(m, &names)?));
        }
        for s in value["statuses"].as_array().into_iter().flatten() {
            if let Some(status) = status_update(s)? {
                out.push(Inbound::Status(status));
            }
        }
    }
    Ok(out)
}

fn inbound_message(m: &Value, names: &[(&str, &str)]) -> Result<InboundMessage, ParseError> {
    let id = text(m, "id");
    let from = text(m, "from");
    if id.is_empty() || from.is_empty() {
        return Err(ParseError(
            "a WhatsApp message without `id` or `from`".into(),
        ));
    }
    let kind = text(m, "type");
    let inner = &m[kind];
    let media = |media_kind: MediaKind| {
        Content::Media(Media {
            kind: media_kind,
            url: None,
            provider_id: inner["id"].as_str().map(str::to_owned),
            mime_type: inner["mime_type"].as_str().map(str::to_owned),
            filename: inner["filename"].as_str().map(str::to_owned),
            caption: inner["caption"].as_str().map(str::to_owned),
            size_bytes: None,
            media_id: None,
        })
    };
    let content = match kind {
        "text" => Content::Text {
            body: text(inner, "body").to_owned(),
        },
        "image" => media(MediaKind::Image),
        "video" => media(MediaKind::Video),
        "audio" => media(MediaKind::Audio),
        "document" => media(MediaKind::Document),
        "sticker" => media(MediaKind::Sticker),
        "location" => Content::Location(Location {
            latitude: inner["latitude"].as_f64().unwrap_or_default(),
            longitude: inner["longitude"].as_f64().unwrap_or_default(),
            name: inner["name"].as_str().map(str::to_owned),
            address: inner["address"].as_str().map(str::to_owned),
        }),
        "contacts" => Content::Contacts {
            contacts: m["contacts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| ContactCard {
                    name: c["name"]["formatted_name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    first_name: c["name"]["first_name"].as_str().map(str::to_owned),
                    last_name: c["name"]["last_name"].as_str().map(str::to_owned),
                    phones: c["phones"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p["phone"].as_str().map(str::to_owned))
                        .collect(),
                    emails: c["emails"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e["email"].as_str().map(str::to_owned))
                        .collect(),
                })
                .collect(),
        },
        "interactive" => {
            let reply = match text(inner, "type") {
                "button_reply" => &inner["button_reply"],
                "list_reply" => &inner["list_reply"],
                _ => &Value::Null,
            };
            Content::Reply {
                id: text(reply, "id").to_owned(),
                title: text(reply, "title").to_owned(),
            }
        }
        "button" => Content::Reply {
            id: text(inner, "payload").to_owned(),
            title: text(inner, "text").to_owned(),
        },
        "reaction" => Content::Reaction {
            message_id: text(inner, "message_id").to_owned(),
            emoji: text(inner, "emoji").to_owned(),
        },
        other => Content::Unsupported {
            kind: if other.is_empty() {
                "unknown".to_owned()
            } else {
                other.to_owned()
            },
        },
    };
    Ok(InboundMessage {
        provider_message_id: id.to_owned(),
        from: Recipient {
            address: format!("+{from}"),
            name: names
                .iter()
                .find(|(wa_id, _)| *wa_id == from)
                .map(|(_, n)| (*n).to_owned())
                .filter(|n| !n.is_empty()),
        },
        at_ms: seconds_to_ms(m.get("timestamp")).unwrap_or_else(http::now_ms),
        content,
        reply_to: m["context"]["id"].as_str().map(str::to_owned),
        thread_ids: Vec::new(),
    })
}

fn status_update(s: &Value) -> Result<Option<StatusUpdate>, ParseError> {
    let id = text(s, "id");
    if id.is_empty() {
        return Err(ParseError("a WhatsApp status without `id`".into()));
    }
    let status = match text(s, "status") {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        // `deleted`, `warning` and future values say nothing about delivery.
        _ => return Ok(None),
    };
    let error = s["errors"].as_array().and_then(|e| e.first()).map(|e| {
        let details = e["error_data"]["details"].as_str();
        let title = e["title"]
            .as_str()
            .or(e["message"].as_str())
            .unwrap_or_default();
        ProviderFailure {
            code: e["code"]
                .as_i64()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            message: match details {
                Some(d) if !d.is_empty() => format!("{title}: {d}"),
                _ => title.to_owned(),
            },
        }
    });
    Ok(Some(StatusUpdate {
        provider_message_id: id.to_owned(),
        status,
        at_ms: seconds_to_ms(s.get("timestamp")).unwrap_or_else(http::now_ms),
        error,
        reference: s["biz_opaque_callback_data"].as_str().map(str::to_owned),
    }))
}
