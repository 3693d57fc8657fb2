//! SMS through a Twilio-compatible REST API.
//!
//! - Send: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth
//!   (account SID and auth token), form fields `To`, `From`, `Body`, `MediaUrl`,
//!   `StatusCallback`. The answer is a Message resource whose `sid` (`SM…`) is the provider
//!   id. The status callback URL carries msgbuddy's id (`?ref=`), so receipts for a send
//!   whose answer was lost still find their message.
//! - Validate: `GET {base}/2010-04-01/Accounts/{AccountSid}.json` (`status` must be
//!   `active`).
//! - Webhooks (form posts): inbound SMS (`MessageSid`, `From`, `To`, `Body`, `NumMedia`,
//!   `MediaUrl0`...) answered with empty TwiML, and status callbacks (`MessageSid`,
//!   `MessageStatus`, `ErrorCode`). Both are signed: `X-Twilio-Signature` is the base64
//!   HMAC-SHA1, with the auth token, of the full URL Twilio called followed by every POST
//!   field's name and value, sorted by name.
//! - Errors: `{"code","message","more_info","status"}`: 429 and 20429 ask us to slow down;
//!   401 and 20003 are credentials; 5xx are transient; the rest (21211 invalid `To`, 21610
//!   the recipient replied STOP, 21408, 21614...) fail.

use crate::http::{self, text};
use crate::provider::*;
use crate::signature;
use async_trait::async_trait;
use base64::Engine;
use msgbuddy_domain::message::{ChannelKind, Content, DeliveryStatus, Media, MediaKind};

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

pub struct Twilio {
    base: String,
    account_sid: String,
    auth_token: String,
    from: String,
    webhook_url: String,
    http: reqwest::Client,
    capabilities: Capabilities,
}

pub fn capabilities() -> Capabilities {
    Capabilities {
        media: vec![MediaLimit {
            kind: MediaKind::Image,
            max_bytes: 5 * 1024 * 1024,
            mime_types: &["image/jpeg", "image/png", "image/gif"],
        }],
        locations: false,
        contacts: false,
        interactive: false,
        templates: false,
        delivery_receipts: true,
        read_receipts: false,
        max_text_chars: Some(1600),
        max_caption_chars: Some(1600),
        reply_window: None,
        default_rate_per_sec: 10,
        per_recipient_rate_per_sec: None,
        attaches_files: false,
    }
}

impl Twilio {
    pub fn new(
        base: &str,
        account_sid: &str,
        auth_token: &str,
        from: &str,
        webhook_url: &str,
        http: reqwest::Client,
    ) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from: from.to_owned(),
            webhook_url: webhook_url.to_owned(),
            http,
            capabilities: capabilities(),
        }
    }

    fn account_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{}", self.base, self.account_sid)
    }
}

/// `X-Twilio-Signature` for a request to `url` with form fields `params`.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    base64::engine::general_purpose::STANDARD
        .encode(signature::hmac_sha1(auth_token.as_bytes(), data.as_bytes()))
}

/// Reads Twilio's error answer into a classified error.
pub fn error_from(answer: &http::Answer) -> ProviderError {
    let status = answer.status.as_u16();
    let code = answer.body["code"].as_i64();
    let message = match text(&answer.body, "message") {
        "" => format!("Twilio answered HTTP {status}"),
        m => m.to_owned(),
    };
    let class = match (status, code) {
        (429, _) | (_, Some(20429)) => ErrorClass::Throttled {
            retry_after: answer.retry_after,
        },
        (401, _) | (_, Some(20003)) => ErrorClass::Credentials,
        (500..=599, _) => ErrorClass::Retryable,
        _ => ErrorClass::Permanent,
    };
    ProviderError::new(
        class,
        code.map_or_else(|| format!("http_{status}"), |c| c.to_string()),
        message,
    )
}

#[async_trait]
impl Provider for Twilio {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// `MediaUrl` is on Twilio's API host and answers with the file or a redirect to
    /// Twilio's media CDN (`mms.twiliocdn.com` when media needs HTTP auth,
    /// `s3-external-1.amazonaws.com` before that); nothing else is followed.
    async fn fetch_media(
        &self,
        media: &Media,
        max_bytes: usize,
    ) -> Result<Option<Fetched>, ProviderError> {
        let Some(url) = media.provider_id.as_deref() else {
            return Ok(None);
        };
        let api = http::host_of(&self.base);
        let url = http::provider_url(url, &[api.as_str()])?;
        let request = self
            .http
            .get(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token));
        let cdn = [
            api.as_str(),
            "mms.twiliocdn.com",
            "s3-external-1.amazonaws.com",
        ];
        http::download(&self.http, request, &cdn, max_bytes)
            .await
            .map(Some)
    }

    async fn validate(&self) -> Result<Validation, ProviderError> {
        let answer = http::call(
            self.http
                .get(format!("{}.json", self.account_url()))
                .basic_auth(&self.account_sid, Some(&self.auth_token)),
        )
        .await?;
        if answer.status.is_success() {
            return Ok(match text(&answer.body, "status") {
                "active" => Validation::Good {
                    detail: format!(
                        "{} ({}), sending from {}",
                        text(&answer.body, "friendly_name"),
                        self.account_sid,
                        self.from
                    ),
                },
                other => Validation::Invalid {
                    reason: format!("The Twilio account is {other}, not active."),
                },
            });
        }
        let e = error_from(&answer);
        match e.class {
            ErrorClass::Retryable | ErrorClass::Throttled { .. } => Err(e),
            _ => Ok(Validation::Invalid {
                reason: format!("Twilio refused: {} ({})", e.message, e.code),
            }),
        }
    }

    async fn send(&self, message: &Outbound<'_>) -> Result<Accepted, ProviderError> {
        let mut form = vec![
            ("To", message.to.address.clone()),
            ("From", self.from.clone()),
            (
                "StatusCallback",
                format!("{}?ref={}", self.webhook_url, message.reference),
            ),
        ];
        match message.content {
            Content::Text { body } => form.push(("Body", body.clone())),
            Content::Media(Media {
                kind: MediaKind::Image,
                url: Some(url),
                caption,
                ..
            }) => {
                form.push(("MediaUrl", url.clone()));
                if let Some(c) = caption {
                    form.push(("Body", c.clone()));
                }
            }
            _ => {
                return Err(ProviderError::new(
                    ErrorClass::Permanent,
                    "unsupported_content",
                    "SMS carries text (and images by URL, where MMS is available).",
                ));
            }
        }
        let answer = http::call(
            self.http
                .post(format!("{}/Messages.json", self.account_url()))
                .basic_auth(&self.account_sid, Some(&self.auth_token))
                .form(&form),
        )
        .await?;
        if !answer.status.is_success() {
            return Err(error_from(&answer));
        }
        let sid = text(&answer.body, "sid");
        if sid.is_empty() {
            return Err(ProviderError::new(
                ErrorClass::Retryable,
                "bad_answer",
                "Twilio accepted the call but returned no message sid.",
            ));
        }
        Ok(Accepted {
            provider_message_id: sid.to_owned(),
            scheduled_receipts: Vec::new(),
        })
    }

    fn verify_webhook(&self, request: &WebhookRequest<'_>) -> Verification {
        let Some(given) = request.header(SIGNATURE_HEADER) else {
            return Verification::Reject("missing X-Twilio-Signature");
        };
        let params = if request.method.eq_ignore_ascii_case("POST") {
            http::form_pairs(&String::from_utf8_lossy(request.body))
        } else {
            Vec::new()
        };
        let expected = sign(&self.auth_token, request.url, &params);
        if !self.auth_token.is_empty()
            && signature::secure_eq(given.trim().as_bytes(), expected.as_bytes())
        {
            Verification::Accept
        } else {
            Verification::Reject("bad X-Twilio-Signature")
        }
    }

    fn parse_webhook(&self, request: &WebhookRequest<'_>) -> Result<Vec<Inbound>, ParseError> {
        parse(request.body, request.query)
    }

    fn webhook_ok(&self) -> (&'static str, &'static str) {
        (
            "text/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
        )
    }
}

/// Reads a Twilio webhook: an inbound message or a status callback. `query` is the
/// callback URL's query, which carries msgbuddy's id as `ref`.
pub fn parse(body: &[u8], query: &str) -> Result<Vec<Inbound>, ParseError> {
    let fields = http::form_pairs(&String::from_utf8_lossy(body));
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let sid = get("MessageSid")
        .or_else(|| get("SmsSid"))
        .ok_or_else(|| ParseError("not a Twilio webhook: no MessageSid".into()))?;
    // Inbound messages arrive `received`; every other status is a callback about one of
    // ours.
    let status = get("MessageStatus").or_else(|| get("SmsStatus"));
    if let Some(status) = status.filter(|s| !matches!(*s, "received" | "receiving")) {
        let status = match status {
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "undelivered" | "failed" => DeliveryStatus::Failed,
            // queued, sending, accepted, scheduled, canceled, receiving, received: nothing
            // about delivery to record.
            _ => return Ok(Vec::new()),
        };
        let reference = http::form_pairs(query)
            .into_iter()
            .find(|(k, _)| k == "ref")
            .map(|(_, v)| v);
        return Ok(vec![Inbound::Status(StatusUpdate {
            provider_message_id: sid.to_owned(),
            status,
            at_ms: http::now_ms(),
            error: get("ErrorCode").map(|code| ProviderFailure {
                code: code.to_owned(),
                message: get("ErrorMessage")
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("Twilio error {code}")),
            }),
            reference,
        })]);
    }
    let from = get("From").ok_or_else(|| ParseError("an inbound SMS without From".into()))?;
    let media_count: usize = get("NumMedia").and_then(|n| n.parse().ok()).unwrap_or(0);
    let content = if media_count > 0 {
        Content::Media(Media {
            kind: match get("MediaContentType0") {
                Some(t) if t.starts_with("image/") => MediaKind::Image,
                Some(t) if t.starts_with("video/") => MediaKind::Video,
                Some(t) if t.starts_with("audio/") => MediaKind::Audio,
                _ => MediaKind::Document,
            },
            url: None,
            provider_id: get("MediaUrl0").map(str::to_owned),
            mime_type: get("MediaContentType0").map(str::to_owned),
            filename: None,
            caption: get("Body").map(str::to_owned),
            size_bytes: None,
            media_id: None,
        })
    } else {
        Content::Text {
            body: get("Body").unwrap_or_default().to_owned(),
        }
    };
    Ok(vec![Inbound::Message(InboundMessage {
        provider_message_id: sid.to_owned(),
        from: Recipient {
            address: from.to_owned(),
            name: None,
        },
        at_ms: http::now_ms(),
        content,
        reply_to: None,
        thread_ids: Vec::new(),
    })])
}
