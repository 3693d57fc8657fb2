//! The partner API's messages: what `POST /api/v1/messages` takes, what the message
//! endpoints answer, and the listing with its filters. HTTP (keys, idempotency, rate
//! limits, the envelope) is the server's; this is the meaning.

use crate::Messaging;
use crate::api_keys::Caller;
use crate::messages::{self, Sender, To};
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{ChannelKind, Content, DeliveryStatus, Direction, Media, MediaKind};
use msgbuddy_domain::time::{iso_utc, parse_rfc3339_utc};
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_media::MediaFile;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Template variables: an object, whose values fill the template's placeholders in the
/// order written, or an array.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variables(pub Vec<String>);

impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        fn text<E: serde::de::Error>(v: serde_json::Value) -> Result<String, E> {
            match v {
                serde_json::Value::String(s) => Ok(s),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                serde_json::Value::Bool(b) => Ok(b.to_string()),
                _ => Err(E::custom("template variables are strings or numbers")),
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = Variables;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object or an array of template variables")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Variables, A::Error> {
                let mut out = Vec::new();
                while let Some((_, v)) = map.next_entry::<String, serde_json::Value>()? {
                    out.push(text(v)?);
                }
                Ok(Variables(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Variables, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<serde_json::Value>()? {
                    out.push(text(v)?);
                }
                Ok(Variables(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Media to send, by a URL the provider can fetch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MediaRequest {
    /// A file uploaded with `POST /api/v1/media` (`med_...`); its kind, type and size are
    /// the ones msgbuddy read from it. Give this or `url`.
    #[cfg_attr(feature = "openapi", schema(example = "med_0194f3c2a1b2c3d4e5f6a7b8"))]
    pub media_id: Option<String>,
    /// `image`, `video`, `audio`, `document` or `sticker`; required with `url`. With
    /// `media_id` the kind read from the file is used.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "image"))]
    pub kind: Option<MediaKind>,
    /// A public HTTPS URL the provider fetches the file from.
    pub url: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
    pub mime_type: Option<String>,
}

impl MediaRequest {
    fn media(&self) -> Result<Media, AppError> {
        match (&self.media_id, &self.url) {
            (Some(id), None) => Ok(Media {
                // Replaced by the stored file's own kind when the message is stored.
                kind: MediaKind::Document,
                url: None,
                provider_id: None,
                mime_type: None,
                filename: None,
                caption: self.caption.clone(),
                size_bytes: None,
                media_id: Some(id.clone()),
            }),
            (None, Some(url)) => Ok(Media {
                kind: self.kind.ok_or_else(|| {
                    AppError::invalid_field("media.kind", "Say what kind of file the URL holds.")
                })?,
                url: Some(url.clone()),
                provider_id: None,
                mime_type: self.mime_type.clone(),
                filename: self.filename.clone(),
                caption: self.caption.clone(),
                size_bytes: None,
                media_id: None,
            }),
            _ => Err(AppError::invalid_field(
                "media",
                "Give exactly one of media_id (an uploaded file) or url.",
            )),
        }
    }
}

/// A file uploaded with `POST /api/v1/media`, to send with `media.media_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiMedia {
    #[cfg_attr(feature = "openapi", schema(example = "med_0194f3c2a1b2c3d4e5f6a7b8"))]
    pub id: String,
    /// `image`, `video`, `audio` or `document`, read from the content.
    pub kind: String,
    /// The type read from the content, whatever the upload claimed.
    #[cfg_attr(feature = "openapi", schema(example = "image/jpeg"))]
    pub mime_type: String,
    pub size_bytes: u64,
    pub filename: Option<String>,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Whether this is test-mode data (uploaded with an `ak_test_` key).
    pub test: bool,
}

/// Keeps a partner's upload in the key's workspace and mode.
pub async fn upload(
    m: &Messaging,
    caller: &Caller,
    bytes: &[u8],
    filename: Option<&str>,
) -> Result<ApiMedia> {
    let file = m
        .media
        .upload(
            m.db(),
            &caller.member,
            caller.mode.is_test(),
            bytes,
            filename,
            None,
        )
        .await?;
    Ok(ApiMedia {
        kind: file.kind.as_str().to_owned(),
        created_at: iso_utc(file.created_at_ms),
        test: file.is_test,
        id: file.id,
        mime_type: file.mime_type,
        size_bytes: file.size_bytes,
        filename: file.filename,
        sha256: file.sha256,
    })
}

/// A file of the key's workspace and mode, with its bytes: an upload, or a file a
/// customer sent (`media_id` in a message's content).
pub async fn file(m: &Messaging, caller: &Caller, id: &str) -> Result<(MediaFile, Vec<u8>)> {
    caller.member.require(Permission::ConversationsView)?;
    m.media
        .open_in(
            m.db(),
            &caller.member.workspace_id,
            caller.mode.is_test(),
            id,
        )
        .await?
        .ok_or_else(|| AppError::not_found().into())
}

/// The body of `POST /api/v1/messages`. Give the channel by kind (the workspace's
/// connected channel of that kind) or by id, the recipient, and exactly one of `text`,
/// `template`, `media` or `content`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// `whatsapp`, `telegram`, `email`, `sms` or `sandbox`.
    #[cfg_attr(feature = "openapi", schema(example = "whatsapp"))]
    pub channel: Option<String>,
    pub channel_id: Option<String>,
    /// E.164 phone number, Telegram chat id or email address.
    #[cfg_attr(feature = "openapi", schema(example = "+15551234567"))]
    pub to: String,
    /// The contact's name, if msgbuddy does not know them yet.
    pub name: Option<String>,
    pub text: Option<String>,
    /// A WhatsApp template's name; with `language` and `variables`.
    #[cfg_attr(feature = "openapi", schema(example = "order_confirmation"))]
    pub template: Option<String>,
    #[cfg_attr(feature = "openapi", schema(example = "en"))]
    pub language: Option<String>,
    /// The template's variables: an object (values in order) or an array.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({"name": "Nayeem", "order_id": "TR-204821", "eta": "15 minutes"})))]
    pub variables: Option<Variables>,
    pub media: Option<MediaRequest>,
    /// Any message kind in msgbuddy's content form (location, contacts, buttons, list).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: Option<Content>,
    /// An email's subject.
    pub subject: Option<String>,
    /// Send later, at this time (RFC 3339, UTC; at most 90 days ahead). Until then the
    /// message is `queued` and can be canceled in the thread.
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-01T09:00:00Z"))]
    pub send_at: Option<String>,
}

impl SendRequest {
    fn content(&self) -> Result<Content, AppError> {
        let given = [
            self.text.is_some(),
            self.template.is_some(),
            self.media.is_some(),
            self.content.is_some(),
        ]
        .into_iter()
        .filter(|g| *g)
        .count();
        if given != 1 {
            return Err(AppError::invalid_field(
                "text",
                "Give exactly one of text, template, media or content.",
            ));
        }
        if let Some(text) = &self.text {
            return Ok(match &self.subject {
                Some(subject) => Content::Email {
                    subject: subject.clone(),
                    body: text.clone(),
                    attachments: vec![],
                },
                None => Content::Text { body: text.clone() },
            });
        }
        if let Some(name) = &self.template {
            return Ok(Content::Template {
                name: name.clone(),
                language: self.language.clone().ok_or_else(|| {
                    AppError::invalid_field(
                        "language",
                        "A template needs its language, like en or pt_BR.",
                    )
                })?,
                parameters: self.variables.clone().unwrap_or_default().0,
            });
        }
        if let Some(m) = &self.media {
            return Ok(Content::Media(m.media()?));
        }
        Ok(self.content.clone().unwrap_or(Content::Unsupported {
            kind: "none".into(),
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// A message as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiMessage {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "msg_01HNQX2P8Y9R3T4V5W6Z7A8B9C")
    )]
    pub id: String,
    /// `queued`, `sent`, `delivered`, `read`, `failed` (outbound) or `received` (inbound).
    pub status: String,
    /// The channel's kind.
    pub channel: String,
    pub channel_id: String,
    pub conversation_id: String,
    pub contact_id: String,
    /// `outbound` or `inbound`.
    pub direction: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: Content,
    /// What the message costs at the workspace's prices, as a decimal string.
    #[cfg_attr(feature = "openapi", schema(example = "0.012"))]
    pub cost_estimate: Option<String>,
    pub error: Option<ApiError>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Whether this is test-mode data (made with an `ak_test_` key).
    pub test: bool,
    /// When a scheduled message goes out (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_at: Option<String>,
}

/// What `POST /api/v1/messages` answers (202).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Queued {
    pub id: String,
    /// Always `queued`.
    pub status: String,
    pub channel: String,
    pub cost_estimate: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MessagePage {
    pub data: Vec<ApiMessage>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

pub fn status_name(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "queued",
        other => other.as_str(),
    }
}

fn status_from_name(name: &str) -> Result<DeliveryStatus, AppError> {
    match name {
        "queued" => Ok(DeliveryStatus::Pending),
        other => DeliveryStatus::parse(other)
            .filter(|s| *s != DeliveryStatus::Pending)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "status",
                    "Use queued, sent, delivered, read, failed or received.",
                )
            }),
    }
}

async fn resolve_channel(
    m: &Messaging,
    caller: &Caller,
    req: &SendRequest,
) -> Result<(String, ChannelKind)> {
    let ws = &caller.member.workspace_id;
    // Every workspace has its Sandbox, also before anyone opened the channels page.
    crate::accounts::ensure_sandbox(m, ws).await?;
    let row = match (&req.channel_id, &req.channel) {
        (Some(id), _) => {
            sqlx::query("SELECT id, kind FROM channel_accounts WHERE id = $1 AND workspace_id = $2")
                .bind(id)
                .bind(ws)
                .fetch_optional(m.db().reader())
                .await?
                .ok_or_else(|| {
                    Error::App(AppError::invalid_field(
                        "channel_id",
                        "There is no such channel in this workspace.",
                    ))
                })?
        }
        (None, Some(kind)) => {
            let kind = ChannelKind::parse(kind).map_err(|e| AppError {
                details: Some(serde_json::json!({"field": "channel"})),
                ..e
            })?;
            sqlx::query(
                "SELECT id, kind FROM channel_accounts WHERE workspace_id = $1 AND kind = $2 AND status <> 'disconnected' \
                 ORDER BY CASE WHEN status = 'good' THEN 0 ELSE 1 END, created_at, id LIMIT 1",
            )
            .bind(ws)
            .bind(kind.as_str())
            .fetch_optional(m.db().reader())
            .await?
            .ok_or_else(|| {
                Error::App(AppError::invalid_field(
                    "channel",
                    format!("This workspace has no {} channel connected.", kind.label()),
                ))
            })?
        }
        (None, None) => {
            return Err(AppError::invalid_field(
                "channel",
                "Give the channel (a kind) or channel_id.",
            )
            .into());
        }
    };
    let kind: String = row.try_get(1)?;
    Ok((row.try_get(0)?, ChannelKind::parse(&kind)?))
}

const SELECT: &str = "SELECT m.id, m.status, ch.kind, m.channel_account_id, m.conversation_id, m.contact_id, m.direction, \
     m.content, m.cost_estimate, m.error_code, m.error_message, m.created_at, m.is_test, m.scheduled_at \
     FROM messages m JOIN channel_accounts ch ON ch.id = m.channel_account_id";

fn api_message(r: &AnyRow) -> Result<ApiMessage> {
    let status: String = r.try_get(1)?;
    let status = DeliveryStatus::parse(&status)
        .ok_or_else(|| Error::internal(format!("unknown status `{status}`")))?;
    let content: String = r.try_get(7)?;
    let code: Option<String> = r.try_get(9)?;
    let message: Option<String> = r.try_get(10)?;
    Ok(ApiMessage {
        id: r.try_get(0)?,
        status: status_name(status).to_owned(),
        channel: r.try_get(2)?,
        channel_id: r.try_get(3)?,
        conversation_id: r.try_get(4)?,
        contact_id: r.try_get(5)?,
        direction: r.try_get(6)?,
        content: serde_json::from_str(&content).unwrap_or(Content::Unsupported {
            kind: "unreadable".into(),
        }),
        cost_estimate: r.try_get(8)?,
        // A retryable error on a message still being sent is not its outcome.
        error: (status == DeliveryStatus::Failed).then(|| ApiError {
            code: code.unwrap_or_default(),
            message: message.unwrap_or_default(),
        }),
        created_at: iso_utc(r.try_get(11)?),
        test: crate::flag(r, 12)?,
        send_at: r.try_get::<Option<i64>, _>(13)?.map(iso_utc),
    })
}

/// Stores a message to send; the dispatcher sends it.
pub async fn send(m: &Messaging, caller: &Caller, req: &SendRequest) -> Result<Queued> {
    let content = req.content()?;
    let send_at = req
        .send_at
        .as_deref()
        .map(|raw| {
            parse_rfc3339_utc(raw).ok_or_else(|| {
                AppError::invalid_field(
                    "send_at",
                    "Use an RFC 3339 time in UTC, like 2026-12-01T09:00:00Z.",
                )
            })
        })
        .transpose()?;
    let (channel_id, kind) = resolve_channel(m, caller, req).await?;
    let message = messages::send_at(
        m,
        Sender {
            member: &caller.member,
            user_id: None,
            source: "api",
            is_test: caller.mode.is_test(),
        },
        To::Address {
            channel_id: &channel_id,
            address: &req.to,
            name: req.name.as_deref(),
        },
        content,
        None,
        send_at,
    )
    .await?;
    let stored = get(m, caller, &message.id).await?;
    Ok(Queued {
        id: stored.id,
        status: "queued".to_owned(),
        channel: kind.as_str().to_owned(),
        cost_estimate: stored.cost_estimate.unwrap_or_else(|| "0.000".to_owned()),
        created_at: stored.created_at,
    })
}

/// One message of the caller's workspace and mode.
pub async fn get(m: &Messaging, caller: &Caller, id: &str) -> Result<ApiMessage> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.id = $1 AND m.workspace_id = $2 AND m.is_test = $3"
    )))
    .bind(id)
    .bind(&caller.member.workspace_id)
    .bind(i64::from(caller.mode.is_test()))
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    api_message(&row)
}

/// Filters of `GET /api/v1/messages`; all optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListFilter {
    pub conversation_id: Option<String>,
    pub contact_id: Option<String>,
    pub channel_id: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// `queued`, `sent`, `delivered`, `read`, `failed` or `received`.
    pub status: Option<String>,
    /// Created at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Created before this time (RFC 3339).
    pub until: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1 to 200; 50 by default.
    pub limit: Option<i64>,
}

/// The caller's messages, newest first, a page at a time (keyset pagination).
pub async fn list(m: &Messaging, caller: &Caller, f: &ListFilter) -> Result<MessagePage> {
    let time = |field: &str, raw: &Option<String>| -> Result<Option<i64>, AppError> {
        raw.as_deref()
            .map(|t| {
                parse_rfc3339_utc(t).ok_or_else(|| {
                    AppError::invalid_field(
                        field,
                        "Use an RFC 3339 time in UTC, like 2026-05-23T14:22:17Z.",
                    )
                })
            })
            .transpose()
    };
    let since = time("since", &f.since)?;
    let until = time("until", &f.until)?;
    let direction = match f.direction.as_deref() {
        None => None,
        Some(d) => Some(
            Direction::parse(d)
                .ok_or_else(|| AppError::invalid_field("direction", "Use inbound or outbound."))?
                .as_str(),
        ),
    };
    let status = f
        .status
        .as_deref()
        .map(status_from_name)
        .transpose()?
        .map(DeliveryStatus::as_str);
    let cursor = match f.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                .ok_or_else(|| {
                    AppError::invalid_field("cursor", "This cursor is not one msgbuddy gave.")
                })?,
        ),
    };
    let limit = f.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid_field("limit", "Use 1 to 200.").into());
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.workspace_id = $1 AND m.is_test = $2 \
           AND ($3 IS NULL OR m.conversation_id = $3) AND ($4 IS NULL OR m.contact_id = $4) \
           AND ($5 IS NULL OR m.channel_account_id = $5) AND ($6 IS NULL OR m.direction = $6) \
           AND ($7 IS NULL OR m.status = $7) AND ($8 IS NULL OR m.created_at >= $8) AND ($9 IS NULL OR m.created_at < $9) \
           AND ($10 IS NULL OR m.created_at < $10 OR (m.created_at = $10 AND m.id < $11)) \
         ORDER BY m.created_at DESC, m.id DESC LIMIT $12"
    )))
    .bind(&caller.member.workspace_id)
    .bind(i64::from(caller.mode.is_test()))
    .bind(f.conversation_id.as_deref())
    .bind(f.contact_id.as_deref())
    .bind(f.channel_id.as_deref())
    .bind(direction)
    .bind(status)
    .bind(since)
    .bind(until)
    .bind(cursor.as_ref().map(|c| c.0))
    .bind(cursor.as_ref().map(|c| c.1.as_str()))
    .bind(limit)
    .fetch_all(m.db().reader())
    .await?;
    let data = rows.iter().map(api_message).collect::<Result<Vec<_>>>()?;
    let next_cursor = if i64::try_from(data.len()).unwrap_or(0) == limit {
        rows.last()
            .map(|r| -> Result<String> {
                Ok(format!(
                    "{}.{}",
                    r.try_get::<i64, _>(11)?,
                    r.try_get::<String, _>(0)?
                ))
            })
            .transpose()?
    } else {
        None
    };
    Ok(MessagePage { data, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_keep_the_order_they_were_written_in() {
        let v: Variables =
            serde_json::from_str(r#"{"name":"Nayeem","order_id":"TR-204821","eta":"15 minutes"}"#)
                .expect("object");
        assert_eq!(v.0, vec!["Nayeem", "TR-204821", "15 minutes"]);
        let v: Variables = serde_json::from_str(r#"["a", 2, true]"#).expect("array");
        assert_eq!(v.0, vec!["a", "2", "true"]);
        assert!(serde_json::from_str::<Variables>(r#"{"a":{"nested":1}}"#).is_err());
    }

    #[test]
    fn a_request_takes_exactly_one_kind_of_content() {
        let req = |json: &str| serde_json::from_str::<SendRequest>(json).expect("parses");
        assert!(
            req(r#"{"channel":"sms","to":"+1","text":"hi","template":"t"}"#)
                .content()
                .is_err()
        );
        assert!(req(r#"{"channel":"sms","to":"+1"}"#).content().is_err());
        assert!(
            req(r#"{"channel":"whatsapp","to":"+1","template":"t"}"#)
                .content()
                .is_err(),
            "a template needs a language"
        );
        assert!(matches!(
            req(r#"{"channel":"whatsapp","to":"+1","template":"t","language":"en","variables":["x"]}"#).content(),
            Ok(Content::Template { parameters, .. }) if parameters == vec!["x"]
        ));
        assert!(
            serde_json::from_str::<SendRequest>(r#"{"channel":"sms","to":"+1","txt":"typo"}"#)
                .is_err()
        );
    }
}
