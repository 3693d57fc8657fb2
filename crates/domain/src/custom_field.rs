//! Custom fields: attributes a workspace defines for its contacts (a city, a customer
//! tier) or its conversations (a priority, an order number). The definitions travel to
//! the browser, which renders the matching input; values are checked on the server on
//! every write (`msgbuddy_contacts::fields`).

use serde::{Deserialize, Serialize};

/// The most fields a workspace may define per scope, and a select's most options.
pub const MAX_FIELDS_PER_SCOPE: usize = 100;
pub const MAX_OPTIONS: usize = 200;

/// What a field holds; each has its own input and its own checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    LongText,
    /// A number, optionally between a minimum and a maximum.
    Number,
    /// A calendar day, `YYYY-MM-DD`.
    Date,
    /// A moment, kept in UTC.
    DateTime,
    Boolean,
    /// One of the field's options.
    Select,
    /// Any of the field's options.
    MultiSelect,
    Email,
    /// A phone number, kept in E.164.
    Phone,
    /// An `http` or `https` address.
    Url,
}

impl FieldKind {
    pub const ALL: [FieldKind; 11] = [
        Self::Text,
        Self::LongText,
        Self::Number,
        Self::Date,
        Self::DateTime,
        Self::Boolean,
        Self::Select,
        Self::MultiSelect,
        Self::Email,
        Self::Phone,
        Self::Url,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::LongText => "long_text",
            Self::Number => "number",
            Self::Date => "date",
            Self::DateTime => "date_time",
            Self::Boolean => "boolean",
            Self::Select => "select",
            Self::MultiSelect => "multi_select",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Url => "url",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// How the settings page names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::LongText => "Long text",
            Self::Number => "Number",
            Self::Date => "Date",
            Self::DateTime => "Date and time",
            Self::Boolean => "Yes / no",
            Self::Select => "One of a list",
            Self::MultiSelect => "Several of a list",
            Self::Email => "Email address",
            Self::Phone => "Phone number",
            Self::Url => "Web address",
        }
    }

    /// Whether the field chooses from its options.
    pub fn has_options(self) -> bool {
        matches!(self, Self::Select | Self::MultiSelect)
    }
}

/// Whose attribute a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldScope {
    Contact,
    Conversation,
}

impl FieldScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Conversation => "conversation",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "contact" => Some(Self::Contact),
            "conversation" => Some(Self::Conversation),
            _ => None,
        }
    }
}

/// A field as the workspace defined it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDefinition {
    pub id: String,
    pub scope: FieldScope,
    /// The stable name imports, exports, segments and the API use: `a-z`, `0-9`, `_`.
    pub key: String,
    /// The name people see.
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// Filled in for a new contact (or conversation) that gives no value, as the value's
    /// text form.
    pub default_value: Option<String>,
    /// A select's choices, in order.
    #[serde(default)]
    pub options: Vec<String>,
    /// A number's bounds, both included.
    pub min: Option<f64>,
    pub max: Option<f64>,
}
