//! Messages as msgbuddy sees them, whatever the channel: what they say ([`Content`]),
//! which way they travel, and where they are in their life ([`DeliveryStatus`]). Provider
//! adapters translate to and from these; pages render them.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The kinds of channel account a workspace can connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Sandbox,
    Whatsapp,
    Telegram,
    Email,
    Sms,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Sandbox,
        ChannelKind::Whatsapp,
        ChannelKind::Telegram,
        ChannelKind::Email,
        ChannelKind::Sms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Sandbox => "sandbox",
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Sandbox => "Sandbox",
            ChannelKind::Whatsapp => "WhatsApp",
            ChannelKind::Telegram => "Telegram",
            ChannelKind::Email => "Email",
            ChannelKind::Sms => "SMS",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                AppError::invalid_field(
                    "kind",
                    format!(
                        "`{raw}` is not a channel; use one of sandbox, whatsapp, telegram, email, sms."
                    ),
                )
            })
    }
}

/// The channel kinds a contact has opted out of, as a bit per kind (the order of
/// [`ChannelKind::ALL`]), so a contact row can carry it as one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OptOuts(u8);

impl OptOuts {
    fn bit(kind: ChannelKind) -> u8 {
        let index = ChannelKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or_default();
        1 << index
    }

    /// From the number SQL adds up (see `msgbuddy_contacts::opt_outs::mask_sql`); bits
    /// of no kind are ignored.
    pub fn from_mask(mask: i64) -> Self {
        Self(u8::try_from(mask & 0x1f).unwrap_or_default())
    }

    pub fn mask(self) -> i64 {
        i64::from(self.0)
    }

    pub fn with(self, kind: ChannelKind) -> Self {
        Self(self.0 | Self::bit(kind))
    }

    pub fn contains(self, kind: ChannelKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn kinds(self) -> impl Iterator<Item = ChannelKind> {
        ChannelKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

/// Where a message is in its life. Outbound: pending (stored, waiting for or in the hands
/// of the sender), then sent (the provider took it), delivered, read; or failed with the
/// provider's reason. Inbound messages are received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
    Received,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 6] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Read,
        DeliveryStatus::Failed,
        DeliveryStatus::Received,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Received => "received",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether a message now at `self` may move to `next`. Statuses only go forward
    /// (providers deliver receipts late, twice and out of order: a `delivered` after a
    /// `read` changes nothing), and a failure counts only before the message is delivered.
    pub fn may_become(self, next: DeliveryStatus) -> bool {
        use DeliveryStatus::*;
        match (self, next) {
            (Failed | Received, _) | (_, Pending | Received) => false,
            (Pending | Sent, Failed) => true,
            (_, Failed) => false,
            (current, next) => next.rank() > current.rank(),
        }
    }

    fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Pending => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed | DeliveryStatus::Received => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

/// A piece of media: where to fetch it from (a provider's media id, or a URL msgbuddy
/// serves), and how to show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub kind: MediaKind,
    /// For outbound media, a URL the provider can fetch; for inbound media, msgbuddy's
    /// own media path once downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The provider's id for the file (WhatsApp media id, Telegram file_id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// msgbuddy's own stored copy (`med_...`): an upload to send, or an inbound file once
    /// downloaded from the provider. Members open it at `/media/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}

impl Media {
    /// Where members open msgbuddy's copy of the file.
    pub fn local_path(&self) -> Option<String> {
        self.media_id.as_ref().map(|id| format!("/media/{id}"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A contact card (vCard-like).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactCard {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
}

/// A reply button or a list row: what the customer taps, and what comes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListSection {
    pub title: String,
    pub rows: Vec<Choice>,
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        body: String,
    },
    Media(Media),
    Location(Location),
    Contacts {
        contacts: Vec<ContactCard>,
    },
    /// Up to three reply buttons under a text.
    Buttons {
        body: String,
        buttons: Vec<Choice>,
    },
    /// A list the customer opens with `button` and picks one row from.
    List {
        body: String,
        button: String,
        sections: Vec<ListSection>,
    },
    /// A pre-approved WhatsApp template, by name and language, with its body parameters.
    Template {
        name: String,
        language: String,
        #[serde(default)]
        parameters: Vec<String>,
    },
    /// The customer tapped a button or a list row.
    Reply {
        id: String,
        title: String,
    },
    /// The customer reacted to one of our messages (its provider id).
    Reaction {
        message_id: String,
        emoji: String,
    },
    /// An email: subject, plain-text body and the files attached to it (each kept by
    /// msgbuddy once read from the mail, like any file a customer sends).
    Email {
        subject: String,
        body: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Media>,
    },
    /// Something the provider sent that msgbuddy cannot show; kept with its type.
    Unsupported {
        kind: String,
    },
}

impl Content {
    /// How many of its files msgbuddy holds a copy of (so they can be shown); a file
    /// downloaded after the message arrived changes it.
    pub fn files_ready(&self) -> usize {
        match self {
            Content::Media(m) => usize::from(m.media_id.is_some()),
            Content::Email { attachments, .. } => {
                attachments.iter().filter(|a| a.media_id.is_some()).count()
            }
            _ => 0,
        }
    }

    /// The machine name of the kind (`text`, `media`, ...), as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Content::Text { .. } => "text",
            Content::Media(_) => "media",
            Content::Location(_) => "location",
            Content::Contacts { .. } => "contacts",
            Content::Buttons { .. } => "buttons",
            Content::List { .. } => "list",
            Content::Template { .. } => "template",
            Content::Reply { .. } => "reply",
            Content::Reaction { .. } => "reaction",
            Content::Email { .. } => "email",
            Content::Unsupported { .. } => "unsupported",
        }
    }

    /// A one-line text for lists, previews and search.
    pub fn preview(&self) -> String {
        match self {
            Content::Text { body } | Content::Buttons { body, .. } | Content::List { body, .. } => {
                body.clone()
            }
            Content::Media(m) => m
                .caption
                .clone()
                .or_else(|| m.filename.clone())
                .unwrap_or_else(|| format!("[{}]", m.kind.as_str())),
            Content::Location(l) => l
                .name
                .clone()
                .unwrap_or_else(|| format!("[location {:.5}, {:.5}]", l.latitude, l.longitude)),
            Content::Contacts { contacts } => {
                let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).collect();
                format!("[contact] {}", names.join(", "))
            }
            Content::Template {
                name, parameters, ..
            } => {
                if parameters.is_empty() {
                    format!("[template {name}]")
                } else {
                    format!("[template {name}] {}", parameters.join(" · "))
                }
            }
            Content::Reply { title, .. } => title.clone(),
            Content::Reaction { emoji, .. } => emoji.clone(),
            Content::Email {
                subject,
                body,
                attachments,
            } => {
                let text = if subject.is_empty() {
                    body.clone()
                } else {
                    format!("{subject}: {body}")
                };
                match attachments.len() {
                    0 => text,
                    1 => format!("[1 attachment] {text}"),
                    n => format!("[{n} attachments] {text}"),
                }
            }
            Content::Unsupported { kind } => format!("[{kind}]"),
        }
    }
}

/// One field of a channel kind's settings form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub label: String,
    pub secret: bool,
    pub required: bool,
    pub hint: String,
}

/// A kind of channel and its form, for "connect a channel".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindForm {
    pub kind: ChannelKind,
    pub fields: Vec<FieldSpec>,
}

/// A message as pages and API clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: String,
    pub conversation_id: String,
    pub channel_id: String,
    pub direction: Direction,
    pub content: Content,
    pub status: DeliveryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The member who sent it, for outbound messages sent from the inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_by: Option<String>,
    pub created_at_ms: i64,
    #[serde(default)]
    pub is_test: bool,
    /// When a scheduled message goes out; it can be canceled until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at_ms: Option<i64>,
    /// The provider's id of the message this one answers (a quoted reply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The provider's id of this message, once the provider has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    /// When a member deleted it (its content is gone); `None` while it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at_ms: Option<i64>,
    /// Deleted for the customer too, by the provider.
    #[serde(default)]
    pub deleted_for_everyone: bool,
}

/// One change in a message's status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: DeliveryStatus,
    pub at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// A conversation in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub contact_id: String,
    pub contact_name: String,
    /// The contact's address on this channel (phone, Telegram id, email).
    pub contact_address: String,
    pub channel_id: String,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub status: String,
    pub last_message_at_ms: i64,
    pub last_message_preview: String,
    pub unread_count: i64,
    /// When the channel's free-form reply window closes (WhatsApp: 24 hours after the
    /// customer last wrote); `None` where the channel has no window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_closes_at_ms: Option<i64>,
    #[serde(default)]
    pub has_window: bool,
    /// How long the channel's reply window stays open after the customer writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_window_ms: Option<i64>,
    #[serde(default)]
    pub is_test: bool,
    /// The member the conversation is assigned to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_name: Option<String>,
    /// When a snoozed conversation wakes up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until_ms: Option<i64>,
    /// Since when the customer has waited for an answer; `None` once answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

/// A label conversations are sorted by: a colour, a description, and an optional parent
/// (one level of nesting; filtering by a parent takes its children too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub id: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

/// A message found by search: the message, whose conversation it is in, and its text
/// around the matching words, which are between `\u{E000}` and `\u{E001}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub message: MessageView,
    pub contact_name: String,
    pub snippet: String,
}

/// The contact beside a thread: who they are and their other conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPanel {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    /// Their other phone numbers (E.164), in order.
    #[serde(default)]
    pub other_phones: Vec<String>,
    pub email: Option<String>,
    pub telegram_id: Option<String>,
    /// The channel kinds they opted out of.
    pub opted_out: OptOuts,
    pub blocked: bool,
    pub created_at_ms: i64,
    /// When they last wrote, on any channel.
    pub last_seen_ms: Option<i64>,
    /// Their tags and custom field values.
    #[serde(default)]
    pub tags: Vec<crate::contact::Tag>,
    #[serde(default)]
    pub fields: Vec<crate::contact::FieldEntry>,
    /// This conversation's own fields (priority, order number), every one of the
    /// workspace's with its value or none.
    #[serde(default)]
    pub conversation_fields: Vec<crate::contact::ConversationField>,
    /// Their other conversations the member may see, newest first.
    pub conversations: Vec<ConversationSummary>,
}

/// A message a member starred, for their Starred page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarredMessage {
    pub message: MessageView,
    pub contact_name: String,
    pub starred_at_ms: i64,
}

/// Marks the start and end of a matching word in [`SearchHit::snippet`] (private-use
/// characters, never shown).
pub const MATCH_START: char = '\u{E000}';
pub const MATCH_END: char = '\u{E001}';

/// One entry of a conversation's timeline besides its messages: a system note (assigned
/// to X by Y, resolved by Z) or a member's private note, which customers never see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub id: String,
    pub conversation_id: String,
    /// `system` or `note`.
    pub kind: String,
    pub body: String,
    pub created_at_ms: i64,
    /// Who wrote a private note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
}

/// A stored webhook delivery that could not be read or applied, for the channel's admins:
/// what came in and what went wrong with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    /// `failed` (unreadable, kept) or `pending` (waiting for a message it refers to).
    pub state: String,
    pub error: Option<String>,
    pub received_at_ms: i64,
    /// The start of the raw body.
    pub body: String,
}

/// A channel account as its settings page shows it. Secrets never leave the server:
/// only which ones are set, masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: String,
    pub kind: ChannelKind,
    pub name: String,
    /// `pending`, `good`, `invalid` or `disconnected`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// Settings that are not secret (ids, numbers, addresses, Sandbox delays).
    pub settings: serde_json::Value,
    /// Secret fields that are set, each masked (`••••3f2a`).
    pub secrets: Vec<(String, String)>,
    pub subscribed: bool,
    pub rate_per_sec: i64,
    pub max_attempts: i64,
    /// The path providers call (`/webhooks/{id}`); the page shows it with the host.
    pub webhook_path: String,
    pub created_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opt_outs_keep_a_bit_per_channel_kind() {
        let set = OptOuts::default()
            .with(ChannelKind::Sms)
            .with(ChannelKind::Whatsapp);
        assert!(set.contains(ChannelKind::Sms) && set.contains(ChannelKind::Whatsapp));
        assert!(!set.contains(ChannelKind::Email));
        assert_eq!(OptOuts::from_mask(set.mask()), set);
        assert_eq!(
            set.kinds().collect::<Vec<_>>(),
            [ChannelKind::Whatsapp, ChannelKind::Sms]
        );
        assert!(OptOuts::from_mask(-1).kinds().count() == 5 && OptOuts::from_mask(0).is_empty());
    }
    use DeliveryStatus::*;

    #[test]
    fn statuses_only_move_forward_and_fail_only_before_delivery() {
        assert!(Pending.may_become(Sent));
        assert!(Sent.may_become(Read));
        assert!(Delivered.may_become(Read));
        assert!(!Read.may_become(Delivered), "read stays read");
        assert!(!Read.may_become(Sent));
        assert!(!Sent.may_become(Sent), "a duplicate changes nothing");
        assert!(Pending.may_become(Failed));
        assert!(Sent.may_become(Failed));
        assert!(!Delivered.may_become(Failed));
        assert!(
            !Failed.may_become(Sent),
            "a failure is final until retried by hand"
        );
        assert!(!Received.may_become(Read));
    }

    #[test]
    fn content_round_trips_with_a_type_tag() {
        let c = Content::Media(Media {
            kind: MediaKind::Image,
            url: Some("https://example.com/a.jpg".into()),
            provider_id: None,
            mime_type: Some("image/jpeg".into()),
            filename: None,
            caption: Some("Look".into()),
            size_bytes: None,
            media_id: None,
        });
        let json = serde_json::to_value(&c).expect("serializes");
        assert_eq!(json["type"], "media");
        assert_eq!(json["kind"], "image");
        assert_eq!(serde_json::from_value::<Content>(json).expect("parses"), c);
        assert_eq!(c.preview(), "Look");
    }

    #[test]
    fn channel_kinds_parse_by_name() {
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()), Ok(k));
        }
        assert!(ChannelKind::parse("pigeon").is_err());
    }
}
