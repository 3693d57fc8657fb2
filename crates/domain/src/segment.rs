//! Saved segments: an audience described by conditions on a contact's own columns, tags,
//! groups, channels, opt-outs and custom fields, matched all together or any one of them.
//! The allow-list here is what the builder offers and what the server accepts (the server
//! checks every condition against it whenever it runs a segment, saved or not).

use crate::AppError;
use crate::custom_field::FieldKind;
use crate::values::is_invisible;
use serde::{Deserialize, Serialize};

/// The most conditions a segment holds.
pub const MAX_CONDITIONS: usize = 20;
/// The longest segment name.
pub const MAX_NAME_CHARS: usize = 80;
/// The most days a "days ago" condition may reach back (a hundred years).
pub const MAX_DAYS: u32 = 36_500;
/// How a condition names a custom field: `field.<key>`.
pub const FIELD_PREFIX: &str = "field.";
/// The `opted_out` value meaning any channel.
pub const ANY_CHANNEL: &str = "any";

/// One test a contact passes or not. `value` is ignored by operators that take none
/// ([`takes_value`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub op: String,
    #[serde(default)]
    pub value: String,
}

/// A segment, saved (with an id) or being built (id empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Every condition must hold; otherwise any one is enough.
    #[serde(default = "all")]
    pub match_all: bool,
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

fn all() -> bool {
    true
}

/// A saved segment as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    pub id: String,
    pub name: String,
    pub conditions_count: usize,
    /// Why the segment cannot run any more (a field it uses was deleted, say).
    pub problem: Option<String>,
}

/// What a condition's subject is, which decides the operators it offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Text,
    Number,
    Date,
    DateTime,
    Boolean,
    Select,
    MultiSelect,
    Tag,
    Group,
    Channel,
    OptOut,
    Blocked,
}

impl SubjectKind {
    /// The subject kind of a custom field: addresses and long text compare as text.
    pub fn of_field(kind: FieldKind) -> Self {
        match kind {
            FieldKind::Text
            | FieldKind::LongText
            | FieldKind::Email
            | FieldKind::Phone
            | FieldKind::Url => Self::Text,
            FieldKind::Number => Self::Number,
            FieldKind::Date => Self::Date,
            FieldKind::DateTime => Self::DateTime,
            FieldKind::Boolean => Self::Boolean,
            FieldKind::Select => Self::Select,
            FieldKind::MultiSelect => Self::MultiSelect,
        }
    }
}

/// An operator and how the builder words it.
pub type Operator = (&'static str, &'static str);

const IS_SET: Operator = ("is_set", "is set");
const IS_NOT_SET: Operator = ("is_not_set", "is empty");

const TEXT: &[Operator] = &[
    ("eq", "is"),
    ("neq", "is not"),
    ("contains", "contains"),
    ("not_contains", "does not contain"),
    ("starts_with", "starts with"),
    IS_SET,
    IS_NOT_SET,
];
const NUMBER: &[Operator] = &[
    ("eq", "equals"),
    ("neq", "does not equal"),
    ("gt", "is more than"),
    ("gte", "is at least"),
    ("lt", "is less than"),
    ("lte", "is at most"),
    IS_SET,
    IS_NOT_SET,
];
const DATE: &[Operator] = &[
    ("eq", "is"),
    ("before", "is before"),
    ("after", "is after"),
    IS_SET,
    IS_NOT_SET,
];
const DATE_TIME: &[Operator] = &[
    ("before", "is before"),
    ("after", "is after"),
    ("within_last_days", "is within the last … days"),
    IS_SET,
    IS_NOT_SET,
];
const BOOLEAN: &[Operator] = &[
    ("is_true", "is yes"),
    ("is_false", "is no"),
    IS_SET,
    IS_NOT_SET,
];
const SELECT: &[Operator] = &[("eq", "is"), ("neq", "is not"), IS_SET, IS_NOT_SET];
const MULTI_SELECT: &[Operator] = &[
    ("includes", "includes"),
    ("excludes", "does not include"),
    IS_SET,
    IS_NOT_SET,
];
const TAG: &[Operator] = &[("has", "has"), ("has_not", "does not have")];
const GROUP: &[Operator] = &[("in", "is in"), ("not_in", "is not in")];
const CHANNEL: &[Operator] = &[
    ("is", "can be reached on"),
    ("is_not", "cannot be reached on"),
];
const OPT_OUT: &[Operator] = &[("is", "opted out of"), ("is_not", "did not opt out of")];
const BLOCKED: &[Operator] = &[("is_true", "is blocked"), ("is_false", "is not blocked")];
const CREATED_AT: &[Operator] = &[
    ("before", "is before"),
    ("after", "is after"),
    ("within_last_days", "is within the last … days"),
    ("more_than_days_ago", "is more than … days ago"),
];
const LAST_INBOUND_AT: &[Operator] = &[
    ("before", "is before"),
    ("after", "is after"),
    ("within_last_days", "is within the last … days"),
    ("more_than_days_ago", "is more than … days ago"),
    ("is_set", "has written"),
    ("is_not_set", "has never written"),
];

/// The operators a kind of subject offers, in the order the builder lists them.
pub fn operators_for(kind: SubjectKind) -> &'static [Operator] {
    match kind {
        SubjectKind::Text => TEXT,
        SubjectKind::Number => NUMBER,
        SubjectKind::Date => DATE,
        SubjectKind::DateTime => DATE_TIME,
        SubjectKind::Boolean => BOOLEAN,
        SubjectKind::Select => SELECT,
        SubjectKind::MultiSelect => MULTI_SELECT,
        SubjectKind::Tag => TAG,
        SubjectKind::Group => GROUP,
        SubjectKind::Channel => CHANNEL,
        SubjectKind::OptOut => OPT_OUT,
        SubjectKind::Blocked => BLOCKED,
    }
}

/// A subject every workspace has (custom fields come from the workspace's definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltIn {
    pub field: &'static str,
    pub label: &'static str,
    pub kind: SubjectKind,
    /// Its operators: the kind's, except the two moments, whose columns are never empty
    /// (creation) or mean "has written" (the last message in).
    pub ops: &'static [Operator],
}

const fn subject(
    field: &'static str,
    label: &'static str,
    kind: SubjectKind,
    ops: &'static [Operator],
) -> BuiltIn {
    BuiltIn {
        field,
        label,
        kind,
        ops,
    }
}

pub const BUILT_IN_SUBJECTS: &[BuiltIn] = &[
    subject("name", "Name", SubjectKind::Text, TEXT),
    subject("phone", "Phone", SubjectKind::Text, TEXT),
    subject("email", "Email", SubjectKind::Text, TEXT),
    subject("language", "Language", SubjectKind::Text, TEXT),
    subject("tag", "Tag", SubjectKind::Tag, TAG),
    subject("group", "Group", SubjectKind::Group, GROUP),
    subject("channel", "Channel", SubjectKind::Channel, CHANNEL),
    subject("opted_out", "Opted out", SubjectKind::OptOut, OPT_OUT),
    subject("blocked", "Blocked", SubjectKind::Blocked, BLOCKED),
    subject("created_at", "Created", SubjectKind::DateTime, CREATED_AT),
    subject(
        "last_inbound_at",
        "Last message from them",
        SubjectKind::DateTime,
        LAST_INBOUND_AT,
    ),
];

/// The built-in subject named `field`.
pub fn built_in_subject(field: &str) -> Option<&'static BuiltIn> {
    BUILT_IN_SUBJECTS.iter().find(|b| b.field == field)
}

/// Whether `op` compares with a value (the builder hides the input for the others).
pub fn takes_value(op: &str) -> bool {
    !matches!(op, "is_set" | "is_not_set" | "is_true" | "is_false")
}

/// A segment's name: trimmed, runs of spaces made one, 1 to [`MAX_NAME_CHARS`] visible
/// characters.
pub fn check_name(raw: &str) -> Result<String, AppError> {
    if raw.chars().any(|c| is_invisible(c) && !c.is_whitespace()) {
        return Err(AppError::invalid_field(
            "name",
            "The name has invisible or control characters; type it again without them.",
        ));
    }
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(AppError::invalid_field(
            "name",
            format!("A segment's name is 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [SubjectKind; 12] = [
        SubjectKind::Text,
        SubjectKind::Number,
        SubjectKind::Date,
        SubjectKind::DateTime,
        SubjectKind::Boolean,
        SubjectKind::Select,
        SubjectKind::MultiSelect,
        SubjectKind::Tag,
        SubjectKind::Group,
        SubjectKind::Channel,
        SubjectKind::OptOut,
        SubjectKind::Blocked,
    ];

    fn ops(list: &[Operator]) -> Vec<&str> {
        list.iter().map(|(op, _)| *op).collect()
    }

    #[test]
    fn every_kind_offers_each_operator_once_with_a_label() {
        for kind in KINDS {
            let list = operators_for(kind);
            assert!(!list.is_empty(), "{kind:?}");
            let mut names = ops(list);
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), list.len(), "{kind:?} repeats an operator");
            assert!(list.iter().all(|(_, label)| !label.is_empty()));
        }
        for b in BUILT_IN_SUBJECTS {
            assert_eq!(built_in_subject(b.field), Some(b));
            assert!(!b.field.starts_with(FIELD_PREFIX));
        }
    }

    #[test]
    fn the_allow_list_is_the_documented_one() {
        assert_eq!(
            ops(operators_for(SubjectKind::Text)),
            [
                "eq",
                "neq",
                "contains",
                "not_contains",
                "starts_with",
                "is_set",
                "is_not_set"
            ]
        );
        assert_eq!(
            ops(operators_for(SubjectKind::Number)),
            [
                "eq",
                "neq",
                "gt",
                "gte",
                "lt",
                "lte",
                "is_set",
                "is_not_set"
            ]
        );
        assert_eq!(
            ops(operators_for(SubjectKind::MultiSelect)),
            ["includes", "excludes", "is_set", "is_not_set"]
        );
        let field = |f: &str| built_in_subject(f).map(|b| ops(b.ops)).unwrap_or_default();
        assert_eq!(field("tag"), ["has", "has_not"]);
        assert_eq!(field("group"), ["in", "not_in"]);
        assert_eq!(field("blocked"), ["is_true", "is_false"]);
        assert_eq!(
            field("created_at"),
            ["before", "after", "within_last_days", "more_than_days_ago"]
        );
        assert!(field("last_inbound_at").contains(&"is_not_set"));
        assert_eq!(field("email"), ops(TEXT));
        assert!(built_in_subject("telegram_id").is_none());
        assert_eq!(SubjectKind::of_field(FieldKind::Url), SubjectKind::Text);
        assert_eq!(
            SubjectKind::of_field(FieldKind::MultiSelect),
            SubjectKind::MultiSelect
        );
    }

    #[test]
    fn only_set_and_yes_no_tests_go_without_a_value() {
        assert!(!takes_value("is_set") && !takes_value("is_false"));
        assert!(takes_value("eq") && takes_value("within_last_days") && takes_value("has"));
    }

    #[test]
    fn names_are_short_visible_text() {
        assert_eq!(
            check_name("  VIP   in Pune ").expect("valid"),
            "VIP in Pune"
        );
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS)).is_ok());
        let long = check_name(&"x".repeat(MAX_NAME_CHARS + 1)).expect_err("too long");
        assert_eq!(long.field(), Some("name"));
        assert!(check_name("a\u{200B}b").is_err());
    }

    #[test]
    fn a_segment_reads_from_json_with_defaults() {
        let s: Segment = serde_json::from_str(
            r#"{"name":"VIP","conditions":[{"field":"blocked","op":"is_true"}]}"#,
        )
        .expect("json");
        assert!(s.match_all);
        assert_eq!(s.conditions[0].value, "");
        assert!(s.id.is_empty());
    }
}
