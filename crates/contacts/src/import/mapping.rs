//! Which contact field each column of a file fills: guessed from the headers on upload,
//! chosen by a person before the import starts, and checked against the allow-list and
//! the workspace's fields whenever it is used.

use msgbuddy_domain::AppError;
use msgbuddy_domain::contact_import::FIELD_TARGET_PREFIX;
use msgbuddy_domain::custom_field::FieldDefinition;

/// What a column fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Name,
    Phone,
    Email,
    TelegramId,
    Language,
    Tags,
    OptedOut,
    /// A custom field, by its index in the workspace's definitions.
    Field(usize),
}

/// Built-in targets, their mapping names and the headers that guess them (compared
/// after [`fold`]).
const BUILT_IN: [(Target, &str, &[&str]); 7] = [
    (
        Target::Name,
        "name",
        &["name", "full name", "fullname", "contact name"],
    ),
    (
        Target::Phone,
        "phone",
        &[
            "phone",
            "mobile",
            "phone number",
            "mobile number",
            "whatsapp",
            "whatsapp number",
        ],
    ),
    (
        Target::Email,
        "email",
        &["email", "e mail", "email address"],
    ),
    (
        Target::TelegramId,
        "telegram_id",
        &["telegram", "telegram id"],
    ),
    (Target::Language, "language", &["language", "lang"]),
    (Target::Tags, "tags", &["tags", "tag"]),
    (
        Target::OptedOut,
        "opted_out",
        &["opted out", "unsubscribed"],
    ),
];

impl Target {
    /// The mapping name: `phone`, `field.tier`.
    pub fn name(self, definitions: &[FieldDefinition]) -> String {
        match self {
            Target::Field(i) => definitions
                .get(i)
                .map(|d| format!("{FIELD_TARGET_PREFIX}{}", d.key))
                .unwrap_or_default(),
            built_in => BUILT_IN
                .iter()
                .find(|(t, _, _)| *t == built_in)
                .map(|(_, name, _)| (*name).to_owned())
                .unwrap_or_default(),
        }
    }

    /// Reads a mapping name; `None` when it names nothing this workspace has.
    fn parse(raw: &str, definitions: &[FieldDefinition]) -> Option<Target> {
        if let Some(key) = raw.strip_prefix(FIELD_TARGET_PREFIX) {
            return definitions
                .iter()
                .position(|d| d.key == key)
                .map(Target::Field);
        }
        BUILT_IN
            .iter()
            .find(|(_, name, _)| *name == raw)
            .map(|(t, _, _)| *t)
    }
}

/// A header as people vary it: lowercase, with `_`, `-` and runs of spaces as one space.
fn fold(header: &str) -> String {
    header
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One target per header (`""` to ignore), each target at most once (the first column
/// that fits takes it).
pub fn guess(headers: &[String], definitions: &[FieldDefinition]) -> Vec<String> {
    let mut taken: Vec<Target> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let folded = fold(header);
            let built_in = BUILT_IN
                .iter()
                .find(|(_, _, names)| names.contains(&folded.as_str()))
                .map(|(t, _, _)| *t);
            let field = || {
                definitions
                    .iter()
                    .position(|d| fold(&d.key) == folded || fold(&d.label) == folded)
                    .map(Target::Field)
            };
            match built_in.or_else(field) {
                Some(target) if !taken.contains(&target) => {
                    taken.push(target);
                    target.name(definitions)
                }
                _ => String::new(),
            }
        })
        .collect()
}

/// Checks a chosen mapping: one entry per header, every target known and used once, and
/// something to match contacts by.
pub fn check(
    mapping: &[String],
    headers: &[String],
    definitions: &[FieldDefinition],
) -> Result<Vec<Option<Target>>, AppError> {
    let invalid = |message: String| AppError::invalid_field("mapping", message);
    if mapping.len() != headers.len() {
        return Err(invalid(format!(
            "Choose a field for each of the file's {} columns.",
            headers.len()
        )));
    }
    let mut targets: Vec<Option<Target>> = Vec::with_capacity(mapping.len());
    for (raw, header) in mapping.iter().zip(headers) {
        let raw = raw.trim();
        if raw.is_empty() {
            targets.push(None);
            continue;
        }
        let target = Target::parse(raw, definitions).ok_or_else(|| {
            invalid(format!(
                "The column “{header}” is mapped to “{}”, which is not a contact field of this workspace.",
                raw.chars().take(60).collect::<String>()
            ))
        })?;
        if targets.contains(&Some(target)) {
            return Err(invalid(format!(
                "Two columns are mapped to {raw}; map each field from one column."
            )));
        }
        targets.push(Some(target));
    }
    let matchable = [Target::Phone, Target::Email, Target::TelegramId];
    if !targets.iter().flatten().any(|t| matchable.contains(t)) {
        return Err(invalid(
            "Map a column to the phone number, the email address or the Telegram id, so contacts can be matched."
                .to_owned(),
        ));
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgbuddy_domain::custom_field::{FieldKind, FieldScope};

    fn def(key: &str, label: &str) -> FieldDefinition {
        FieldDefinition {
            id: format!("fld_{key}"),
            scope: FieldScope::Contact,
            key: key.to_owned(),
            label: label.to_owned(),
            kind: FieldKind::Text,
            required: false,
            default_value: None,
            options: Vec::new(),
            min: None,
            max: None,
        }
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn headers_are_guessed_whatever_their_case_and_spelling() {
        let defs = [def("customer_tier", "Tier"), def("city", "Home city")];
        let headers = strings(&[
            "Full Name",
            "Phone Number",
            "E-mail",
            "Telegram_ID",
            "LANG",
            "Tags",
            "Unsubscribed",
            "customer tier",
            "Home City",
            "Notes",
        ]);
        assert_eq!(
            guess(&headers, &defs),
            strings(&[
                "name",
                "phone",
                "email",
                "telegram_id",
                "language",
                "tags",
                "opted_out",
                "field.customer_tier",
                "field.city",
                "",
            ])
        );
        let headers = strings(&["WhatsApp", "Mobile", "opted_out", "tier", "email address"]);
        assert_eq!(
            guess(&headers, &defs),
            strings(&["phone", "", "opted_out", "field.customer_tier", "email"]),
            "the first column that fits a target takes it"
        );
    }

    #[test]
    fn a_mapping_is_checked_against_the_allow_list_and_the_fields() {
        let defs = [def("tier", "Tier")];
        let headers = strings(&["a", "b", "c"]);
        let ok = check(&strings(&["name", "phone", "field.tier"]), &headers, &defs).expect("valid");
        assert_eq!(
            ok,
            [
                Some(Target::Name),
                Some(Target::Phone),
                Some(Target::Field(0))
            ]
        );
        let field_of = |mapping: &[&str]| {
            check(&strings(mapping), &headers, &defs)
                .map(|_| ())
                .map_err(|e| (e.field().unwrap_or_default().to_owned(), e.message))
        };
        for bad in [
            ["name", "phone", "field.nope"],
            ["name", "phone", "'; DROP TABLE contacts; --"],
            ["name", "phone", "field."],
            ["name", "id", "email"],
        ] {
            let (field, message) = field_of(&bad).expect_err("unknown target");
            assert_eq!(field, "mapping");
            assert!(message.contains("not a contact field"), "{message}");
        }
        let (_, message) = field_of(&["phone", "phone", ""]).expect_err("twice");
        assert_eq!(
            message,
            "Two columns are mapped to phone; map each field from one column."
        );
        let (_, message) = field_of(&["name", "", "field.tier"]).expect_err("nothing to match");
        assert!(
            message.starts_with("Map a column to the phone number"),
            "{message}"
        );
        assert!(field_of(&["name", "phone"]).is_err(), "one per column");
        assert!(field_of(&["", " telegram_id ", ""]).is_ok());
    }
}
