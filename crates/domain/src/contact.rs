//! Contacts as pages and the API show them: a row of the list, the whole contact with its
//! field values and tags, and the list's filters.

use crate::message::{ChannelKind, ConversationSummary, OptOuts};
use serde::{Deserialize, Serialize};

/// Contacts per page of the list.
pub const PAGE_SIZE: usize = 50;
/// How long a deleted contact can be restored.
pub const UNDO_WINDOW_MS: i64 = 10 * 60_000;

/// A tag as contacts wear it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: String,
    pub name: String,
    /// A [`crate::values::Colour`] name, as labels use.
    pub colour: String,
}

/// A row of the contact list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRow {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub telegram_id: Option<String>,
    pub opted_out: OptOuts,
    pub blocked: bool,
    pub tags: Vec<Tag>,
    pub created_at_ms: i64,
    pub last_seen_ms: Option<i64>,
}

/// A custom field's value on a contact, in its text form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEntry {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// One opt-out as the contact page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOutView {
    pub kind: ChannelKind,
    pub reason: String,
    /// `keyword`, `member`, `api` or `import`.
    pub source: String,
    pub at_ms: i64,
}

/// A whole contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactDetail {
    pub row: ContactRow,
    pub language: Option<String>,
    /// Other phone numbers, beside `row.phone`.
    #[serde(default)]
    pub phones: Vec<String>,
    pub updated_at_ms: i64,
    /// Values of the workspace's contact fields, in the fields' order; unset ones left out.
    pub fields: Vec<FieldEntry>,
    pub opt_outs: Vec<OptOutView>,
    /// Their conversations the member may see, newest first.
    pub conversations: Vec<ConversationSummary>,
    /// Set while it is deleted and can still be restored.
    pub deleted_at_ms: Option<i64>,
}

/// How the list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactSort {
    #[default]
    Newest,
    Name,
}

impl ContactSort {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "newest" => Some(Self::Newest),
            "name" => Some(Self::Name),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Name => "name",
        }
    }
}

/// The list's filters, as the page's query string gives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactFilter {
    /// Words in the name, phone or email.
    #[serde(default)]
    pub q: String,
    /// A tag id.
    #[serde(default)]
    pub tag: String,
    /// A segment id.
    #[serde(default)]
    pub segment: String,
    /// A group id.
    #[serde(default)]
    pub group: String,
    /// A channel kind they can be reached on (`whatsapp`, `email`, ...).
    #[serde(default)]
    pub channel: String,
    /// `yes`: only those opted out of something; `no`: only those opted out of nothing.
    #[serde(default)]
    pub opted_out: String,
    /// `yes` or `no`.
    #[serde(default)]
    pub blocked: String,
    /// A contact field's key: contacts with `value` in it (holding that choice, for a
    /// list of choices; yes or no, for a yes/no field; any value, when `value` is empty).
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub sort: String,
}

/// A page of contacts and where the next begins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPage {
    pub rows: Vec<ContactRow>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
    /// How many contacts match the filter.
    pub total: i64,
}

/// A group: a hand-picked list of contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    /// How many of its contacts are not deleted.
    pub contacts: i64,
}

/// A conversation-scoped custom field (a conversation's priority, an order number) with
/// the conversation's value in its text form (empty when unset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationField {
    pub field: crate::custom_field::FieldDefinition,
    pub value: String,
}
