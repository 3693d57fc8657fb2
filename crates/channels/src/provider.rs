//! The one trait every channel implements, and the values that cross it.
//!
//! An adapter knows a provider's wire format and nothing else: it builds requests, parses
//! answers and webhooks, checks signatures and says what the channel can carry. Storage,
//! retries, rate limits and the status history are the pipeline's (`msgbuddy-messaging`).
//! Messenger, Instagram and TikTok fit the same shape: a send call, signed webhooks
//! carrying messages and receipts, capabilities.

pub use crate::http::Fetched;
use async_trait::async_trait;
use msgbuddy_domain::message::{ChannelKind, Content, DeliveryStatus, Media, MediaKind};
use std::time::Duration;

/// Where a message goes: the address as the channel knows it (an E.164 phone number, a
/// Telegram chat id, an email address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub address: String,
    pub name: Option<String>,
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outbound<'a> {
    pub to: &'a Recipient,
    pub content: &'a Content,
    /// msgbuddy's id for the message. Adapters pass it to the provider where the provider
    /// echoes it back on receipts (WhatsApp `biz_opaque_callback_data`, Twilio's status
    /// callback URL), so a send whose answer was lost can still be matched, and use it as
    /// the idempotency key where the provider has one.
    pub reference: &'a str,
    /// The provider id of the message this one answers, for threading.
    pub reply_to: Option<&'a str>,
    /// Email threading: the conversation's subject and earlier `Message-ID`s.
    pub thread: Option<&'a EmailThread>,
    /// The bytes of a media message's file, for channels that carry the file itself
    /// rather than a link to it ([`Capabilities::attaches_files`]).
    pub file: Option<&'a [u8]>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailThread {
    pub subject: String,
    pub references: Vec<String>,
}

/// The provider took the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub provider_message_id: String,
    /// Receipts the provider has promised to send later (only the Sandbox knows this in
    /// advance; it simulates a provider's callbacks).
    pub scheduled_receipts: Vec<ScheduledReceipt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledReceipt {
    pub after: Duration,
    pub status: DeliveryStatus,
    pub error: Option<ProviderFailure>,
}

/// How an error should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later (a timeout, a 5xx).
    Retryable,
    /// The provider asks us to slow down; not the message's fault, so it does not count
    /// as a failed attempt.
    Throttled { retry_after: Option<Duration> },
    /// It will never work as it is (a bad number, a blocked bot, a template that does
    /// not exist): fail at once with the reason.
    Permanent,
    /// The channel's credentials are wrong or expired: permanent for this message, and
    /// the channel's status should say so.
    Credentials,
}

/// A provider's refusal, with its own code and text kept for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProviderError {
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
}

impl ProviderError {
    pub fn new(class: ErrorClass, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            class,
            code: code.into(),
            message: message.into(),
        }
    }
    /// The network failed before the provider answered.
    pub fn network(e: &reqwest::Error) -> Self {
        let class = ErrorClass::Retryable;
        let code = if e.is_timeout() { "timeout" } else { "network" };
        Self::new(class, code, format!("Could not reach the provider: {e}"))
    }
}

/// A failure a provider reports on a receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderFailure {
    pub code: String,
    pub message: String,
}

/// What a provider said about credentials.
#[derive(Debug, Clone, PartialEq)]
pub enum Validation {
    /// They work; `detail` says what they open (a phone number, a bot name).
    Good { detail: String },
    /// They do not, with the provider's reason.
    Invalid { reason: String },
}

/// A message a customer sent, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub provider_message_id: String,
    pub from: Recipient,
    pub at_ms: i64,
    pub content: Content,
    /// The provider id of the message this one answers.
    pub reply_to: Option<String>,
    /// Email: this message's `Message-ID`, `In-Reply-To` and `References`, for threading.
    pub thread_ids: Vec<String>,
}

/// A receipt: what happened to a message we sent.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub provider_message_id: String,
    pub status: DeliveryStatus,
    pub at_ms: i64,
    pub error: Option<ProviderFailure>,
    /// msgbuddy's own message id when the provider echoes it back.
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Message(InboundMessage),
    Status(StatusUpdate),
}

impl Inbound {
    /// A key that is the same every time the provider delivers this same thing, so a
    /// retried webhook is recognised.
    pub fn dedup_key(&self) -> String {
        match self {
            Inbound::Message(m) => format!("msg:{}", m.provider_message_id),
            Inbound::Status(s) => format!("st:{}:{}", s.provider_message_id, s.status.as_str()),
        }
    }
}

/// What one poll of a mailbox found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Polled {
    /// Raw messages, oldest first, each stored as a delivery for `parse_webhook`.
    pub messages: Vec<Vec<u8>>,
    /// Where the next poll starts.
    pub cursor: String,
}

/// A webhook request as it arrived.
#[derive(Debug, Clone)]
pub struct WebhookRequest<'a> {
    pub method: &'a str,
    /// The full URL the provider called (Twilio signs it).
    pub url: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl WebhookRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the webhook endpoint should do with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verification {
    /// Signed by the provider: store it and answer `ok_body`.
    Accept,
    /// A subscription handshake (WhatsApp's GET): answer this text, store nothing.
    Challenge(String),
    /// Not from the provider: 401, store nothing.
    Reject(&'static str),
}

/// The webhook body could not be read; it is kept for admins with this error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Media limits for one kind: the largest size and the MIME types the provider takes.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaLimit {
    pub kind: MediaKind,
    pub max_bytes: u64,
    pub mime_types: &'static [&'static str],
}

/// What a channel can carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    pub media: Vec<MediaLimit>,
    pub locations: bool,
    pub contacts: bool,
    pub interactive: bool,
    pub templates: bool,
    pub delivery_receipts: bool,
    pub read_receipts: bool,
    /// Longest text body, in characters.
    pub max_text_chars: Option<usize>,
    pub max_caption_chars: Option<usize>,
    /// Free-form messages only within this long after the customer last wrote.
    pub reply_window: Option<Duration>,
    /// Sends per second the provider allows by default for one account.
    pub default_rate_per_sec: u32,
    /// Sends per second to one chat (Telegram: one).
    pub per_recipient_rate_per_sec: Option<u32>,
    /// The provider takes a file's bytes with the message (email attachments) instead of
    /// fetching it from a link: the pipeline hands them over in [`Outbound::file`], so
    /// only files msgbuddy holds can be sent.
    pub attaches_files: bool,
}

impl Capabilities {
    pub fn media_limit(&self, kind: MediaKind) -> Option<&MediaLimit> {
        self.media.iter().find(|m| m.kind == kind)
    }
}

/// A connected channel account's adapter.
#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ChannelKind;

    fn capabilities(&self) -> &Capabilities;

    /// Calls the provider to check the credentials ("Validate & save").
    async fn validate(&self) -> Result<Validation, ProviderError>;

    async fn send(&self, message: &Outbound<'_>) -> Result<Accepted, ProviderError>;

    /// Checks a webhook request's signature (or answers a subscription handshake).
    /// Comparisons are constant time.
    fn verify_webhook(&self, request: &WebhookRequest<'_>) -> Verification;

    /// Reads a verified webhook body into messages and receipts.
    fn parse_webhook(&self, request: &WebhookRequest<'_>) -> Result<Vec<Inbound>, ParseError>;

    /// After the credentials validate: registers msgbuddy's webhook where the provider
    /// takes it by API (Telegram's `setWebhook`).
    async fn register_webhook(&self) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Whether the app receives this account's webhooks, where the provider has such a
    /// switch (WhatsApp's `subscribed_apps`); `None` elsewhere.
    async fn subscription(&self) -> Result<Option<bool>, ProviderError> {
        Ok(None)
    }

    /// Turns that switch on.
    async fn subscribe(&self) -> Result<(), ProviderError> {
        Err(ProviderError::new(
            ErrorClass::Permanent,
            "unsupported",
            "This channel has no webhook subscription to turn on.",
        ))
    }

    /// What the webhook endpoint answers a verified request with: content type and body.
    fn webhook_ok(&self) -> (&'static str, &'static str) {
        ("text/plain", "ok")
    }

    /// Channels that are read rather than called (email over IMAP): what arrived after
    /// `cursor`. `None` for channels whose messages come by webhook.
    async fn poll(&self, _cursor: Option<&str>) -> Result<Option<Polled>, ProviderError> {
        Ok(None)
    }

    /// The bytes of a file a customer sent (inbound media with the provider's id or URL),
    /// fetched from the provider's own hosts only, at most `max_bytes`. `Ok(None)` for
    /// channels whose messages carry no file to fetch.
    async fn fetch_media(
        &self,
        _media: &Media,
        _max_bytes: usize,
    ) -> Result<Option<Fetched>, ProviderError> {
        Ok(None)
    }

    /// Channels whose files arrive inside the delivery itself (email attachments): the
    /// bytes of `media` read from the stored delivery `body`, at most `max_bytes`.
    /// `Ok(None)` where files are fetched from the provider instead.
    fn attached_file(
        &self,
        _body: &[u8],
        _media: &Media,
        _max_bytes: usize,
    ) -> Result<Option<Fetched>, ProviderError> {
        Ok(None)
    }

    /// How long after a message was sent the provider still deletes it for the customer
    /// too ([`Provider::delete_for_everyone`]); `None` where it cannot delete messages.
    fn deletes_within(&self) -> Option<Duration> {
        None
    }

    /// Deletes message `provider_message_id` (sent or received) for the customer too.
    async fn delete_for_everyone(&self, _provider_message_id: &str) -> Result<(), ProviderError> {
        Err(ProviderError::new(
            ErrorClass::Permanent,
            "unsupported",
            "This channel cannot delete a message for the customer.",
        ))
    }

    /// Whether resending with the same `reference` is safe (the provider deduplicates on
    /// it), so a send interrupted by a crash can be completed instead of left unknown.
    fn idempotent_sends(&self) -> bool {
        false
    }
}
