//! The Sandbox channel: a provider that never leaves the machine.
//!
//! It answers like a real provider: a send is accepted with a provider message id, and
//! `sent`, `delivered` and `read` receipts follow after configurable delays, or a `failed`
//! receipt for a configurable share of messages. Receipts and simulated customer messages
//! arrive as Sandbox webhooks (signed JSON, below), so they take the same path through the
//! pipeline as any provider's.
//!
//! A send's outcome (its provider id, whether it fails) is a function of the channel and
//! msgbuddy's message id, so sending the same message again returns the same provider id:
//! the Sandbox deduplicates like a provider with idempotency keys. Recipients starting
//! with `+999` are refused, to try the path of a permanent error.

use crate::provider::*;
use crate::signature;
use async_trait::async_trait;
use msgbuddy_domain::message::{ChannelKind, Content, DeliveryStatus, MediaKind};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a workspace admin can tune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxSettings {
    pub sent_after_ms: u64,
    pub delivered_after_ms: u64,
    pub read_after_ms: u64,
    /// Share of messages that fail after being sent, 0 to 100.
    pub failure_percent: u8,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            sent_after_ms: 0,
            delivered_after_ms: 1_500,
            read_after_ms: 4_000,
            failure_percent: 0,
        }
    }
}

pub const SIGNATURE_HEADER: &str = "x-sandbox-signature";

pub struct Sandbox {
    account_id: String,
    settings: SandboxSettings,
    webhook_secret: String,
    capabilities: Capabilities,
}

impl Sandbox {
    pub fn new(account_id: &str, settings: SandboxSettings, webhook_secret: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            settings,
            webhook_secret: webhook_secret.to_owned(),
            capabilities: capabilities(),
        }
    }

    fn digest(&self, reference: &str) -> [u8; 32] {
        signature::sha256(format!("{}\n{reference}", self.account_id).as_bytes())
    }

    /// Signs a webhook body the way the Sandbox "provider" does.
    pub fn sign(&self, body: &[u8]) -> String {
        format!(
            "sha256={}",
            signature::hex(&signature::hmac_sha256(
                self.webhook_secret.as_bytes(),
                body
            ))
        )
    }
}

pub fn capabilities() -> Capabilities {
    let all_media = |kind, max_bytes| MediaLimit {
        kind,
        max_bytes,
        mime_types: &[],
    };
    Capabilities {
        media: vec![
            all_media(MediaKind::Image, 5 * 1024 * 1024),
            all_media(MediaKind::Video, 16 * 1024 * 1024),
            all_media(MediaKind::Audio, 16 * 1024 * 1024),
            all_media(MediaKind::Document, 100 * 1024 * 1024),
            all_media(MediaKind::Sticker, 500 * 1024),
        ],
        locations: true,
        contacts: true,
        interactive: true,
        templates: true,
        delivery_receipts: true,
        read_receipts: true,
        max_text_chars: Some(4096),
        max_caption_chars: Some(1024),
        reply_window: None,
        default_rate_per_sec: 1000,
        per_recipient_rate_per_sec: None,
        attaches_files: false,
    }
}

/// The Sandbox's webhook body: a batch of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxWebhook {
    pub events: Vec<SandboxEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SandboxEvent {
    /// A customer wrote.
    Message {
        id: String,
        from: String,
        #[serde(default)]
        name: Option<String>,
        at_ms: i64,
        content: Content,
    },
    /// A receipt for a message we sent.
    Status {
        message_id: String,
        status: DeliveryStatus,
        at_ms: i64,
        #[serde(default)]
        reference: Option<String>,
        #[serde(default)]
        error_code: Option<String>,
        #[serde(default)]
        error_message: Option<String>,
    },
}

#[async_trait]
impl Provider for Sandbox {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sandbox
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn deletes_within(&self) -> Option<Duration> {
        // As Telegram does, so deleting for everyone can be tried without a provider.
        Some(Duration::from_secs(48 * 3600))
    }

    async fn delete_for_everyone(&self, _provider_message_id: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn validate(&self) -> Result<Validation, ProviderError> {
        Ok(Validation::Good {
            detail: "Sandbox: messages never leave this machine".to_owned(),
        })
    }

    async fn send(&self, message: &Outbound<'_>) -> Result<Accepted, ProviderError> {
        if message.to.address.starts_with("+999") {
            return Err(ProviderError::new(
                ErrorClass::Permanent,
                "sandbox.invalid_recipient",
                "The Sandbox refuses recipients starting with +999 (a simulated invalid number).",
            ));
        }
        let digest = self.digest(message.reference);
        let provider_message_id = format!("sbx_{}", signature::hex(&digest[..12]));
        let s = &self.settings;
        let fails = u16::from(digest[12]) * 100 / 256 < u16::from(s.failure_percent.min(100));
        let ms = Duration::from_millis;
        let mut scheduled_receipts = vec![ScheduledReceipt {
            after: ms(s.sent_after_ms),
            status: DeliveryStatus::Sent,
            error: None,
        }];
        if fails {
            scheduled_receipts.push(ScheduledReceipt {
                after: ms(s.sent_after_ms.max(s.delivered_after_ms)),
                status: DeliveryStatus::Failed,
                error: Some(ProviderFailure {
                    code: "sandbox.undeliverable".to_owned(),
                    message: "The Sandbox could not deliver this message (simulated failure)."
                        .to_owned(),
                }),
            });
        } else {
            for (after, status) in [
                (s.delivered_after_ms, DeliveryStatus::Delivered),
                (s.read_after_ms, DeliveryStatus::Read),
            ] {
                scheduled_receipts.push(ScheduledReceipt {
                    after: ms(after),
                    status,
                    error: None,
                });
            }
        }
        Ok(Accepted {
            provider_message_id,
            scheduled_receipts,
        })
    }

    fn verify_webhook(&self, request: &WebhookRequest<'_>) -> Verification {
        let Some(given) = request.header(SIGNATURE_HEADER) else {
            return Verification::Reject("missing X-Sandbox-Signature");
        };
        if signature::secure_eq(given.as_bytes(), self.sign(request.body).as_bytes()) {
            Verification::Accept
        } else {
            Verification::Reject("bad X-Sandbox-Signature")
        }
    }

    fn parse_webhook(&self, request: &WebhookRequest<'_>) -> Result<Vec<Inbound>, ParseError> {
        let hook: SandboxWebhook = serde_json::from_slice(request.body)
            .map_err(|e| ParseError(format!("not a Sandbox webhook: {e}")))?;
        Ok(hook
            .events
            .into_iter()
            .map(|e| match e {
                SandboxEvent::Message {
                    id,
                    from,
                    name,
                    at_ms,
                    content,
                } => Inbound::Message(InboundMessage {
                    provider_message_id: id,
                    from: Recipient {
                        address: from,
                        name,
                    },
                    at_ms,
                    content,
                    reply_to: None,
                    thread_ids: Vec::new(),
                }),
                SandboxEvent::Status {
                    message_id,
                    status,
                    at_ms,
                    reference,
                    error_code,
                    error_message,
                } => Inbound::Status(StatusUpdate {
                    provider_message_id: message_id,
                    status,
                    at_ms,
                    error: error_code.map(|code| ProviderFailure {
                        code,
                        message: error_message.unwrap_or_default(),
                    }),
                    reference,
                }),
            })
            .collect())
    }

    fn idempotent_sends(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(failure_percent: u8) -> Sandbox {
        Sandbox::new(
            "ch_1",
            SandboxSettings {
                failure_percent,
                ..SandboxSettings::default()
            },
            "secret",
        )
    }

    fn text() -> Content {
        Content::Text {
            body: "Hello".into(),
        }
    }

    async fn send(s: &Sandbox, to: &str, reference: &str) -> Result<Accepted, ProviderError> {
        let to = Recipient {
            address: to.into(),
            name: None,
        };
        let content = text();
        s.send(&Outbound {
            to: &to,
            content: &content,
            reference,
            reply_to: None,
            thread: None,
            file: None,
        })
        .await
    }

    #[tokio::test]
    async fn the_same_message_gets_the_same_provider_id_and_receipts_follow() {
        let s = sandbox(0);
        let a = send(&s, "+15550001", "msg_1").await.expect("accepted");
        let again = send(&s, "+15550001", "msg_1").await.expect("accepted");
        let other = send(&s, "+15550001", "msg_2").await.expect("accepted");
        assert_eq!(a, again);
        assert_ne!(a.provider_message_id, other.provider_message_id);
        let statuses: Vec<_> = a.scheduled_receipts.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            vec![
                DeliveryStatus::Sent,
                DeliveryStatus::Delivered,
                DeliveryStatus::Read
            ]
        );
    }

    #[tokio::test]
    async fn the_failure_rate_is_kept_and_invalid_recipients_are_refused() {
        let s = sandbox(30);
        let mut failed = 0;
        for i in 0..1000 {
            let a = send(&s, "+15550001", &format!("msg_{i}"))
                .await
                .expect("accepted");
            if a.scheduled_receipts
                .iter()
                .any(|r| r.status == DeliveryStatus::Failed)
            {
                failed += 1;
            }
        }
        assert!((230..370).contains(&failed), "{failed} of 1000 failed");
        assert!(
            send(&sandbox(100), "+15550001", "m")
                .await
                .expect("accepted")
                .scheduled_receipts
                .iter()
                .any(|r| r.status == DeliveryStatus::Failed)
        );
        let e = send(&s, "+99912345", "m").await.expect_err("refused");
        assert_eq!(e.class, ErrorClass::Permanent);
    }

    #[test]
    fn webhooks_are_signed_and_parse_into_messages_and_receipts() {
        let s = sandbox(0);
        let body = serde_json::to_vec(&SandboxWebhook {
            events: vec![
                SandboxEvent::Message {
                    id: "sbx_in_1".into(),
                    from: "+15550001".into(),
                    name: Some("Ana".into()),
                    at_ms: 1,
                    content: text(),
                },
                SandboxEvent::Status {
                    message_id: "sbx_1".into(),
                    status: DeliveryStatus::Read,
                    at_ms: 2,
                    reference: Some("msg_1".into()),
                    error_code: None,
                    error_message: None,
                },
            ],
        })
        .expect("json");
        let headers = vec![(SIGNATURE_HEADER.to_owned(), s.sign(&body))];
        let request = WebhookRequest {
            method: "POST",
            url: "http://localhost/webhooks/ch_1",
            query: "",
            headers: &headers,
            body: &body,
        };
        assert_eq!(s.verify_webhook(&request), Verification::Accept);
        let parsed = s.parse_webhook(&request).expect("parses");
        assert_eq!(parsed.len(), 2);
        assert!(matches!(&parsed[1], Inbound::Status(st) if st.status == DeliveryStatus::Read));

        let forged = vec![(SIGNATURE_HEADER.to_owned(), "sha256=00".to_owned())];
        let request = WebhookRequest {
            headers: &forged,
            ..request
        };
        assert!(matches!(
            s.verify_webhook(&request),
            Verification::Reject(_)
        ));
        let request = WebhookRequest {
            headers: &[],
            ..request
        };
        assert!(matches!(
            s.verify_webhook(&request),
            Verification::Reject(_)
        ));
    }
}
