//! Which settings each kind of channel needs, and building its adapter from them.

use crate::provider::{Capabilities, Provider};
use crate::sandbox::{Sandbox, SandboxSettings};
use msgbuddy_domain::message::ChannelKind;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One setting on a channel's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// Secrets are stored encrypted and never shown again, only masked.
    pub secret: bool,
    pub required: bool,
    pub hint: &'static str,
}

const fn field(name: &'static str, label: &'static str, secret: bool, hint: &'static str) -> Field {
    Field {
        name,
        label,
        secret,
        required: true,
        hint,
    }
}

const fn optional(name: &'static str, label: &'static str, hint: &'static str) -> Field {
    Field {
        name,
        label,
        secret: false,
        required: false,
        hint,
    }
}

const SANDBOX: &[Field] = &[
    optional("sent_after_ms", "Sent receipt after (ms)", "0 by default"),
    optional(
        "delivered_after_ms",
        "Delivered receipt after (ms)",
        "1500 by default",
    ),
    optional(
        "read_after_ms",
        "Read receipt after (ms)",
        "4000 by default",
    ),
    optional(
        "failure_percent",
        "Failure rate (%)",
        "0 to 100; 0 by default",
    ),
];

const WHATSAPP: &[Field] = &[
    field(
        "phone_number_id",
        "Phone number ID",
        false,
        "From WhatsApp Manager > API setup",
    ),
    field("waba_id", "WhatsApp Business Account ID", false, ""),
    field("app_id", "App ID", false, ""),
    field(
        "app_secret",
        "App secret",
        true,
        "Signs the webhooks Meta sends",
    ),
    field(
        "access_token",
        "Access token",
        true,
        "A system user's permanent token",
    ),
    field(
        "verify_token",
        "Verify token",
        true,
        "Any phrase; Meta echoes it when you subscribe the webhook",
    ),
];

const TELEGRAM: &[Field] = &[field(
    "bot_token",
    "Bot token",
    true,
    "From @BotFather, like 123456:ABC-DEF...",
)];

const SMS: &[Field] = &[
    field("account_sid", "Account SID", false, "Starts with AC"),
    field(
        "auth_token",
        "Auth token",
        true,
        "Also signs the webhooks Twilio sends",
    ),
    field(
        "from_number",
        "From number",
        false,
        "Your Twilio number in E.164, like +15551234567",
    ),
    optional("max_segments", "Most segments per message", "10 by default"),
];

const EMAIL: &[Field] = &[
    field(
        "address",
        "Email address",
        false,
        "Messages are sent from it",
    ),
    field("smtp_host", "SMTP host", false, ""),
    field(
        "smtp_port",
        "SMTP port",
        false,
        "587 (STARTTLS), 465 (TLS) or 25",
    ),
    field("smtp_username", "SMTP username", false, ""),
    field("smtp_password", "SMTP password", true, ""),
    field("imap_host", "IMAP host", false, ""),
    field("imap_port", "IMAP port", false, "993 (TLS) or 143"),
    field("imap_username", "IMAP username", false, ""),
    field("imap_password", "IMAP password", true, ""),
    optional(
        "tls",
        "TLS",
        "on (default) or off for a server on this machine",
    ),
];

/// The settings of each kind, in form order.
pub fn fields(kind: ChannelKind) -> &'static [Field] {
    match kind {
        ChannelKind::Sandbox => SANDBOX,
        ChannelKind::Whatsapp => WHATSAPP,
        ChannelKind::Telegram => TELEGRAM,
        ChannelKind::Sms => SMS,
        ChannelKind::Email => EMAIL,
    }
}

/// Where the providers' APIs are. Configurable so tests and staging point them at local
/// servers that speak the same wire formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub whatsapp: String,
    pub telegram: String,
    pub twilio: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            whatsapp: "https://graph.facebook.com/v23.0".to_owned(),
            telegram: "https://api.telegram.org".to_owned(),
            twilio: "https://api.twilio.com".to_owned(),
        }
    }
}

/// A channel account as stored, with its secrets decrypted.
#[derive(Debug, Clone)]
pub struct AccountConfig<'a> {
    pub id: &'a str,
    /// What the workspace calls the account (an email's sender name).
    pub name: &'a str,
    pub kind: ChannelKind,
    pub settings: &'a serde_json::Value,
    pub secrets: &'a BTreeMap<String, String>,
    /// The secret its webhooks are signed with where msgbuddy chooses it (Sandbox,
    /// Telegram's `secret_token`).
    pub webhook_secret: &'a str,
    /// The public URL of this account's webhook endpoint.
    pub webhook_url: &'a str,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// A setting's text, from the stored JSON.
pub fn setting<'a>(settings: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    settings
        .get(name)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// A numeric setting, stored as text by the settings form or as a JSON number by anything
/// else that writes settings.
fn number<T: std::str::FromStr>(settings: &serde_json::Value, name: &str) -> Option<T> {
    match settings.get(name) {
        Some(serde_json::Value::Number(n)) => n.to_string().parse().ok(),
        _ => setting(settings, name).and_then(|v| v.parse().ok()),
    }
}

/// An email account's settings and secrets; ports must be numbers.
fn email_config(account: &AccountConfig<'_>) -> Result<crate::email::EmailConfig, ConfigError> {
    let secret = |name: &str| account.secrets.get(name).cloned().unwrap_or_default();
    let plain = |name: &str| setting(account.settings, name).unwrap_or("").to_owned();
    let port = |name: &str, label: &str| {
        setting(account.settings, name)
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                ConfigError(format!(
                    "The {label} port must be a number from 1 to 65535."
                ))
            })
    };
    let tls = !matches!(
        setting(account.settings, "tls")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("off" | "no" | "false" | "0")
    );
    Ok(crate::email::EmailConfig {
        address: plain("address"),
        display_name: account.name.trim().to_owned(),
        smtp_host: plain("smtp_host"),
        smtp_port: port("smtp_port", "SMTP")?,
        smtp_username: plain("smtp_username"),
        smtp_password: secret("smtp_password"),
        imap_host: plain("imap_host"),
        imap_port: port("imap_port", "IMAP")?,
        imap_username: plain("imap_username"),
        imap_password: secret("imap_password"),
        tls,
    })
}

/// The Sandbox's tunables from its settings; anything unset keeps its default.
pub fn sandbox_settings(settings: &serde_json::Value) -> SandboxSettings {
    let d = SandboxSettings::default();
    SandboxSettings {
        sent_after_ms: number(settings, "sent_after_ms").unwrap_or(d.sent_after_ms),
        delivered_after_ms: number(settings, "delivered_after_ms").unwrap_or(d.delivered_after_ms),
        read_after_ms: number(settings, "read_after_ms").unwrap_or(d.read_after_ms),
        failure_percent: number::<u8>(settings, "failure_percent")
            .unwrap_or(d.failure_percent)
            .min(100),
    }
}

/// What a kind of channel can carry, before any account exists.
pub fn capabilities(kind: ChannelKind) -> Capabilities {
    match kind {
        ChannelKind::Sandbox => crate::sandbox::capabilities(),
        ChannelKind::Whatsapp => crate::whatsapp::capabilities(),
        ChannelKind::Telegram => crate::telegram::capabilities(),
        ChannelKind::Sms => crate::twilio::capabilities(),
        ChannelKind::Email => crate::email::capabilities(),
    }
}

/// Builds the adapter for an account.
pub fn connect(
    account: &AccountConfig<'_>,
    endpoints: &Endpoints,
    http: &reqwest::Client,
) -> Result<Arc<dyn Provider>, ConfigError> {
    let secret = |name: &str| account.secrets.get(name).map(String::as_str).unwrap_or("");
    let plain = |name: &str| setting(account.settings, name).unwrap_or("");
    match account.kind {
        ChannelKind::Sandbox => Ok(Arc::new(Sandbox::new(
            account.id,
            sandbox_settings(account.settings),
            account.webhook_secret,
        ))),
        ChannelKind::Whatsapp => Ok(Arc::new(crate::whatsapp::WhatsApp::new(
            &crate::whatsapp::WhatsAppConfig {
                base: &endpoints.whatsapp,
                phone_number_id: plain("phone_number_id"),
                waba_id: plain("waba_id"),
                app_id: plain("app_id"),
                app_secret: secret("app_secret"),
                access_token: secret("access_token"),
                verify_token: secret("verify_token"),
            },
            http.clone(),
        ))),
        ChannelKind::Telegram => Ok(Arc::new(crate::telegram::Telegram::new(
            &endpoints.telegram,
            secret("bot_token"),
            account.webhook_secret,
            account.webhook_url,
            http.clone(),
        ))),
        ChannelKind::Sms => Ok(Arc::new(crate::twilio::Twilio::new(
            &endpoints.twilio,
            plain("account_sid"),
            secret("auth_token"),
            plain("from_number"),
            account.webhook_url,
            http.clone(),
        ))),
        ChannelKind::Email => Ok(Arc::new(crate::email::Email::new(email_config(account)?))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sandbox_settings_read_numbers_written_as_text_or_as_numbers() {
        let s = super::sandbox_settings(&serde_json::json!({
            "sent_after_ms": "5",
            "delivered_after_ms": 0,
            "read_after_ms": "soon",
            "failure_percent": 250,
        }));
        assert_eq!(
            (
                s.sent_after_ms,
                s.delivered_after_ms,
                s.read_after_ms,
                s.failure_percent
            ),
            (5, 0, 4_000, 100),
            "unreadable values keep their default; percentages stop at 100"
        );
    }
}
