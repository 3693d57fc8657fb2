//! Email: SMTP to send (with `lettre`), IMAP to receive (polled, with `async-imap`).
//!
//! - Send: a `text/plain` message from the channel's address; a media message is the
//!   caption as the text with the file attached (`multipart/mixed`). Its `Message-ID` is
//!   `<msgbuddy's message id@the address's domain>`, which is also the provider id, so
//!   replies are matched to it; answers in a conversation carry `In-Reply-To` and
//!   `References` (RFC 5322 section 3.6.4) and the thread's subject with `Re: `.
//! - Errors: SMTP 4xx replies and network failures are retried; 5xx are final; 530, 534
//!   and 535 (authentication) mark the credentials invalid.
//! - Validate: connect and authenticate to SMTP, then sign in to IMAP and open `INBOX`.
//! - Receive: email arrives by no webhook. A job calls [`Provider::poll`], which fetches
//!   messages above the last seen UID (`UIDVALIDITY:UID` is the cursor; RFC 3501
//!   section 2.3.1.1) and returns each raw message; the pipeline stores it as a delivery
//!   like any webhook body (base64 of the raw bytes, `message/rfc822`), and
//!   [`Provider::parse_webhook`] reads it. A first poll takes the last day's mail.
//! - Attachments of inbound mail are listed on the message (`attachment:N`, N counting
//!   the mail's attachments in order) and read out of the stored mail by
//!   [`Provider::attached_file`] when the pipeline keeps them, so nothing is fetched
//!   from anywhere else.
//! - No delivery or read receipts: email has none that can be trusted.

use crate::provider::*;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::TryStreamExt;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mail_parser::MimeHeaders;
use msgbuddy_domain::message::{ChannelKind, Content, Media, MediaKind};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

pub const RFC822: &str = "message/rfc822";
const TIMEOUT: Duration = Duration::from_secs(30);
/// Messages fetched in one poll; the rest wait for the next.
const POLL_BATCH: usize = 200;
/// The largest file sent as an attachment. Mail services take messages of 20 to 25 MB
/// (Outlook 20, Gmail 25), and base64 makes a file a third larger on the wire.
const ATTACHMENT_MAX_BYTES: u64 = 14 * 1024 * 1024;
/// Attachments kept of one inbound mail; a mail with more lists the first ones.
const MAX_INBOUND_ATTACHMENTS: usize = 20;
const ATTACHMENT_PREFIX: &str = "attachment:";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailConfig {
    pub address: String,
    /// The name on the `From` line (the channel's name).
    pub display_name: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_username: String,
    pub smtp_password: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_username: String,
    pub imap_password: String,
    /// TLS on both connections: implicit on 465 and 993, STARTTLS on other SMTP ports.
    /// Off only for a server on the same machine (tests, a local relay).
    pub tls: bool,
}

pub struct Email {
    config: EmailConfig,
    capabilities: Capabilities,
}

pub fn capabilities() -> Capabilities {
    let any_type = |kind| MediaLimit {
        kind,
        max_bytes: ATTACHMENT_MAX_BYTES,
        mime_types: &[],
    };
    Capabilities {
        media: vec![
            any_type(MediaKind::Image),
            any_type(MediaKind::Video),
            any_type(MediaKind::Audio),
            any_type(MediaKind::Document),
        ],
        locations: false,
        contacts: false,
        interactive: false,
        templates: false,
        delivery_receipts: false,
        read_receipts: false,
        max_text_chars: Some(100_000),
        max_caption_chars: Some(100_000),
        reply_window: None,
        default_rate_per_sec: 5,
        per_recipient_rate_per_sec: None,
        attaches_files: true,
    }
}

impl Email {
    pub fn new(config: EmailConfig) -> Self {
        Self {
            config,
            capabilities: capabilities(),
        }
    }

    fn domain(&self) -> &str {
        self.config
            .address
            .rsplit_once('@')
            .map_or("msgbuddy.invalid", |(_, d)| d)
    }

    fn smtp(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, ProviderError> {
        let c = &self.config;
        let tls = if !c.tls {
            Tls::None
        } else {
            let params = TlsParameters::new(c.smtp_host.clone()).map_err(|e| {
                ProviderError::new(ErrorClass::Permanent, "tls", format!("TLS setup: {e}"))
            })?;
            if c.smtp_port == 465 {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        };
        Ok(
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.smtp_host)
                .port(c.smtp_port)
                .tls(tls)
                .timeout(Some(TIMEOUT))
                .credentials(Credentials::new(
                    c.smtp_username.clone(),
                    c.smtp_password.clone(),
                ))
                .build(),
        )
    }

    /// The message as it goes on the wire.
    pub fn build(&self, message: &Outbound<'_>) -> Result<Message, ProviderError> {
        let unsupported = || {
            ProviderError::new(
                ErrorClass::Permanent,
                "unsupported",
                "Email channels send text, and files as attachments (one to a message).",
            )
        };
        let (subject, body, attachment) = match message.content {
            Content::Email {
                subject,
                body,
                attachments,
            } if attachments.is_empty() => (subject.trim().to_owned(), body.clone(), None),
            Content::Text { body } => (String::new(), body.clone(), None),
            Content::Media(media) => (
                String::new(),
                media.caption.clone().unwrap_or_default(),
                Some(attachment(media, message.file)?),
            ),
            _ => return Err(unsupported()),
        };
        let thread = message.thread;
        let subject = match (subject.is_empty(), thread) {
            (false, _) => subject,
            (true, Some(t)) if !t.subject.trim().is_empty() => reply_subject(&t.subject),
            _ => format!("Message from {}", self.config.display_name),
        };
        let bad_address = |who: &str, e: &dyn std::fmt::Display| {
            ProviderError::new(
                ErrorClass::Permanent,
                "invalid_address",
                format!("The {who} address is not a valid email address: {e}"),
            )
        };
        let from = Mailbox::new(
            Some(self.config.display_name.clone()).filter(|n| !n.is_empty()),
            self.config
                .address
                .parse()
                .map_err(|e| bad_address("channel's", &e))?,
        );
        let to = Mailbox::new(
            message.to.name.clone().filter(|n| !n.is_empty()),
            message
                .to
                .address
                .parse()
                .map_err(|e| bad_address("recipient's", &e))?,
        );
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@{}>", message.reference, self.domain())));
        if let Some(t) = thread
            && let Some(last) = t.references.last()
        {
            builder = builder.in_reply_to(angle(last)).references(
                t.references
                    .iter()
                    .map(|r| angle(r))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        let invalid = |e: lettre::error::Error| {
            ProviderError::new(ErrorClass::Permanent, "invalid_message", e.to_string())
        };
        match attachment {
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(body)
                .map_err(invalid),
            Some(file) => builder
                .multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(body))
                        .singlepart(file),
                )
                .map_err(invalid),
        }
    }

    async fn imap_session(&self) -> Result<ImapSession, ProviderError> {
        let c = &self.config;
        let tcp = tokio::time::timeout(
            TIMEOUT,
            tokio::net::TcpStream::connect((c.imap_host.as_str(), c.imap_port)),
        )
        .await
        .map_err(|_| imap_network("connecting timed out"))?
        .map_err(|e| imap_network(&e.to_string()))?;
        let stream: Box<dyn ImapStream> = if c.tls {
            Box::new(tls_connect(&c.imap_host, tcp).await?)
        } else {
            Box::new(tcp)
        };
        let mut client = async_imap::Client::new(stream);
        client
            .read_response()
            .await
            .map_err(|e| imap_network(&e.to_string()))?
            .ok_or_else(|| imap_network("the server closed the connection"))?;
        client
            .login(&c.imap_username, &c.imap_password)
            .await
            .map_err(|(e, _)| {
                ProviderError::new(
                    ErrorClass::Credentials,
                    "imap_login",
                    format!("The IMAP server refused the sign-in: {e}"),
                )
            })
    }
}

trait ImapStream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> ImapStream for T {}
type ImapSession = async_imap::Session<Box<dyn ImapStream>>;

async fn tls_connect(
    host: &str,
    tcp: tokio::net::TcpStream,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, ProviderError> {
    use rustls_platform_verifier::ConfigVerifierExt;
    let config = rustls::ClientConfig::with_platform_verifier()
        .map_err(|e| ProviderError::new(ErrorClass::Permanent, "tls", e.to_string()))?;
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| ProviderError::new(ErrorClass::Permanent, "tls", e.to_string()))?;
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| imap_network(&format!("TLS: {e}")))
}

fn imap_network(detail: &str) -> ProviderError {
    ProviderError::new(
        ErrorClass::Retryable,
        "imap_network",
        format!("Could not reach the IMAP server: {detail}"),
    )
}

fn imap_error(e: &async_imap::error::Error) -> ProviderError {
    ProviderError::new(ErrorClass::Retryable, "imap", format!("IMAP: {e}"))
}

/// A media message's file as a MIME part, under its own name (or one made from its kind
/// and type).
fn attachment(media: &Media, bytes: Option<&[u8]>) -> Result<SinglePart, ProviderError> {
    let bytes = bytes.ok_or_else(|| {
        ProviderError::new(
            ErrorClass::Permanent,
            "media_unavailable",
            "Email attaches only files kept in msgbuddy; upload the file and send it again.",
        )
    })?;
    let mime = media
        .mime_type
        .as_deref()
        .and_then(|m| ContentType::parse(m).ok())
        .unwrap_or_else(|| ContentType::parse("application/octet-stream").expect("a valid type"));
    let name = media
        .filename
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| default_filename(media));
    Ok(Attachment::new(name).body(bytes.to_vec(), mime))
}

/// `image.png`, `document.pdf`...: a name for a file that came without one.
fn default_filename(media: &Media) -> String {
    let extension = match media.mime_type.as_deref().unwrap_or_default() {
        "image/jpeg" => "jpg",
        "audio/mpeg" => "mp3",
        "audio/mp4" => "m4a",
        "video/3gpp" => "3gp",
        "video/quicktime" => "mov",
        "text/plain" => "txt",
        "application/msword" => "doc",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        other => other
            .split_once('/')
            .map(|(_, sub)| sub)
            .filter(|sub| !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("bin"),
    };
    format!("{}.{extension}", media.kind.as_str())
}

/// The kind a customer's attachment is shown as until msgbuddy reads its content.
fn kind_of(mime: Option<&str>) -> MediaKind {
    match mime.and_then(|m| m.split_once('/')).map(|(top, _)| top) {
        Some("image") => MediaKind::Image,
        Some("video") => MediaKind::Video,
        Some("audio") => MediaKind::Audio,
        _ => MediaKind::Document,
    }
}

/// The attachments of a parsed mail, as files still to be kept.
fn attachments_of(message: &mail_parser::Message<'_>) -> Vec<Media> {
    message
        .attachments()
        .take(MAX_INBOUND_ATTACHMENTS)
        .enumerate()
        .map(|(index, part)| {
            let mime = part.content_type().map(|t| {
                match t.subtype() {
                    Some(sub) => format!("{}/{sub}", t.ctype()),
                    None => t.ctype().to_owned(),
                }
                .to_ascii_lowercase()
            });
            let filename = part
                .attachment_name()
                .map(str::to_owned)
                .filter(|n| !n.trim().is_empty())
                .or_else(|| part.is_message().then(|| "message.eml".to_owned()));
            Media {
                kind: kind_of(mime.as_deref()),
                url: None,
                provider_id: Some(format!("{ATTACHMENT_PREFIX}{index}")),
                mime_type: mime,
                filename,
                caption: None,
                size_bytes: Some(part.len() as u64),
                media_id: None,
            }
        })
        .collect()
}

/// `<id>` for a header, whether or not `id` has its brackets.
fn angle(id: &str) -> String {
    format!("<{}>", bare(id))
}

/// A message id without its angle brackets.
pub fn bare(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// `Re: subject`, once.
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    if s.len() >= 3 && s[..3].eq_ignore_ascii_case("re:") {
        s.to_owned()
    } else {
        format!("Re: {s}")
    }
}

/// Classifies an SMTP failure.
fn smtp_error(e: &lettre::transport::smtp::Error) -> ProviderError {
    let code = e.status().map(|c| c.to_string());
    let class = match code.as_deref() {
        Some("530" | "534" | "535") => ErrorClass::Credentials,
        _ if e.is_permanent() => ErrorClass::Permanent,
        _ => ErrorClass::Retryable,
    };
    ProviderError::new(
        class,
        code.unwrap_or_else(|| "smtp".to_owned()),
        format!("The SMTP server refused: {e}"),
    )
}

impl Email {
    /// Fetches the messages that arrived after `cursor` (`UIDVALIDITY:last UID`).
    pub async fn poll(&self, cursor: Option<&str>) -> Result<Polled, ProviderError> {
        let mut session = self.imap_session().await?;
        let mailbox = session.select("INBOX").await.map_err(|e| imap_error(&e))?;
        let validity = mailbox.uid_validity.unwrap_or(0);
        let last_seen = cursor
            .and_then(|c| c.split_once(':'))
            .filter(|(v, _)| v.parse::<u32>().ok() == Some(validity))
            .and_then(|(_, uid)| uid.parse::<u32>().ok());
        let mut uids: Vec<u32> = match last_seen {
            Some(last) => session
                .uid_search(format!("UID {}:*", last.saturating_add(1)))
                .await
                .map_err(|e| imap_error(&e))?
                .into_iter()
                // `n:*` always matches the highest UID, even below n.
                .filter(|uid| *uid > last)
                .collect(),
            None => {
                let since = (time::OffsetDateTime::now_utc() - time::Duration::days(1)).date();
                let months = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let query = format!(
                    "SINCE {}-{}-{}",
                    since.day(),
                    months[usize::from(u8::from(since.month())) - 1],
                    since.year()
                );
                session
                    .uid_search(query)
                    .await
                    .map_err(|e| imap_error(&e))?
                    .into_iter()
                    .collect()
            }
        };
        uids.sort_unstable();
        uids.truncate(POLL_BATCH);
        let mut fetched: Vec<(u32, Vec<u8>)> = Vec::with_capacity(uids.len());
        if !uids.is_empty() {
            let set = uids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let stream = session
                .uid_fetch(set, "(UID BODY.PEEK[])")
                .await
                .map_err(|e| imap_error(&e))?;
            let fetches: Vec<_> = stream.try_collect().await.map_err(|e| imap_error(&e))?;
            for fetch in &fetches {
                if let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) {
                    fetched.push((uid, body.to_vec()));
                }
            }
        }
        let _ = session.logout().await;
        fetched.sort_by_key(|(uid, _)| *uid);
        let highest = fetched
            .last()
            .map(|(uid, _)| *uid)
            .or(last_seen)
            .or_else(|| mailbox.uid_next.map(|n| n.saturating_sub(1)))
            .unwrap_or(0);
        Ok(Polled {
            messages: fetched.into_iter().map(|(_, raw)| raw).collect(),
            cursor: format!("{validity}:{highest}"),
        })
    }
}

/// Reads one raw RFC 5322 message.
pub fn parse_message(raw: &[u8]) -> Result<InboundMessage, ParseError> {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .ok_or_else(|| ParseError("not an email message".to_owned()))?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .ok_or_else(|| ParseError("the email has no From address".to_owned()))?;
    let address = from
        .address()
        .map(str::to_lowercase)
        .ok_or_else(|| ParseError("the email has no From address".to_owned()))?;
    let id = match message.message_id() {
        Some(id) => bare(id).to_owned(),
        // No Message-ID: one derived from the bytes, so a second fetch is the same message.
        None => format!(
            "sha256-{}",
            crate::signature::hex(&crate::signature::sha256(raw))
        ),
    };
    let mut thread_ids: Vec<String> = Vec::new();
    for header in [message.in_reply_to(), message.references()] {
        if let Some(list) = header.as_text_list() {
            thread_ids.extend(list.iter().map(|r| bare(r).to_owned()));
        } else if let Some(one) = header.as_text() {
            thread_ids.push(bare(one).to_owned());
        }
    }
    thread_ids.dedup();
    let body = message
        .body_text(0)
        .map(|b| b.trim_end().to_owned())
        .unwrap_or_default();
    Ok(InboundMessage {
        provider_message_id: id,
        from: Recipient {
            address,
            name: from
                .name()
                .map(str::to_owned)
                .filter(|n| !n.trim().is_empty()),
        },
        at_ms: message
            .date()
            .map_or_else(now_ms, |d| d.to_timestamp().saturating_mul(1000)),
        content: Content::Email {
            subject: message.subject().unwrap_or_default().to_owned(),
            body,
            attachments: attachments_of(&message),
        },
        reply_to: thread_ids.first().cloned(),
        thread_ids,
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

/// How a fetched message is kept as a delivery: base64, so bytes that are not UTF-8
/// survive the text column.
pub fn encode_stored(raw: &[u8]) -> String {
    BASE64.encode(raw)
}

#[async_trait]
impl Provider for Email {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn validate(&self) -> Result<Validation, ProviderError> {
        let invalid = |reason: String| Ok(Validation::Invalid { reason });
        match self.smtp()?.test_connection().await {
            Ok(true) => {}
            Ok(false) => return invalid("The SMTP server did not answer.".to_owned()),
            Err(e) => return invalid(smtp_error(&e).message),
        }
        match self.imap_session().await {
            Ok(mut session) => {
                let opened = session.select("INBOX").await;
                let _ = session.logout().await;
                if let Err(e) = opened {
                    return invalid(format!("The IMAP server has no INBOX to read: {e}"));
                }
            }
            Err(e) => return invalid(e.message),
        }
        Ok(Validation::Good {
            detail: format!(
                "{}: SMTP {} and IMAP {} signed in",
                self.config.address, self.config.smtp_host, self.config.imap_host
            ),
        })
    }

    async fn send(&self, message: &Outbound<'_>) -> Result<Accepted, ProviderError> {
        let email = self.build(message)?;
        let id = format!("{}@{}", message.reference, self.domain());
        self.smtp()?.send(email).await.map_err(|e| smtp_error(&e))?;
        Ok(Accepted {
            provider_message_id: id,
            scheduled_receipts: vec![],
        })
    }

    fn verify_webhook(&self, _request: &WebhookRequest<'_>) -> Verification {
        Verification::Reject("email arrives over IMAP, not by webhook")
    }

    fn parse_webhook(&self, request: &WebhookRequest<'_>) -> Result<Vec<Inbound>, ParseError> {
        let raw = BASE64
            .decode(request.body)
            .map_err(|e| ParseError(format!("the stored email is not base64: {e}")))?;
        Ok(vec![Inbound::Message(parse_message(&raw)?)])
    }

    async fn poll(&self, cursor: Option<&str>) -> Result<Option<Polled>, ProviderError> {
        Email::poll(self, cursor).await.map(Some)
    }

    fn attached_file(
        &self,
        body: &[u8],
        media: &Media,
        max_bytes: usize,
    ) -> Result<Option<Fetched>, ProviderError> {
        let Some(index) = media
            .provider_id
            .as_deref()
            .and_then(|id| id.strip_prefix(ATTACHMENT_PREFIX))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            return Ok(None);
        };
        let unreadable = |why: String| ProviderError::new(ErrorClass::Permanent, "attachment", why);
        let raw = BASE64
            .decode(body)
            .map_err(|e| unreadable(format!("the stored email is not base64: {e}")))?;
        let message = mail_parser::MessageParser::default()
            .parse(&raw)
            .ok_or_else(|| unreadable("the stored email cannot be read".to_owned()))?;
        let part = message
            .attachment(index)
            .ok_or_else(|| unreadable(format!("the email has no attachment {index}")))?;
        let bytes = part.contents();
        if bytes.len() > max_bytes {
            return Err(unreadable(format!(
                "the attachment is larger than the {} MB msgbuddy keeps",
                max_bytes / (1024 * 1024)
            )));
        }
        Ok(Some(Fetched {
            bytes: bytes.to_vec(),
            mime_type: media.mime_type.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_subjects_get_one_re() {
        assert_eq!(reply_subject("Order 12"), "Re: Order 12");
        assert_eq!(reply_subject("RE: Order 12"), "RE: Order 12");
        assert_eq!(bare(" <a@b> "), "a@b");
        assert_eq!(angle("a@b"), "<a@b>");
    }
}
