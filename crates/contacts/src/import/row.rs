//! One row of a file checked against the mapping: every mapped cell read by the rules a
//! form obeys, or the first problem, naming the column as the file names it.

use super::mapping::Target;
use crate::contact::{check_language, check_name, check_telegram_id};
use crate::fields::{self, FieldValue};
use msgbuddy_domain::custom_field::FieldDefinition;
use msgbuddy_domain::values::{Email, LabelName};

/// A column of the file and what it fills.
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub target: Option<Target>,
}

/// A row's values, checked. `None` and empty lists are cells left blank.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidate {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub telegram_id: Option<String>,
    pub language: Option<String>,
    /// Tag names, checked, without repeats (whatever their case).
    pub tags: Vec<String>,
    pub opt_out: bool,
    /// Custom field values given, by definition index.
    pub fields: Vec<(usize, FieldValue)>,
}

impl Candidate {
    /// The name a new contact gets when the row has none.
    pub fn name_or_address(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.phone.clone())
            .or_else(|| self.email.clone())
            .or_else(|| self.telegram_id.clone())
            .unwrap_or_default()
    }
}

/// Reads a row's cells (one per column).
pub fn read(
    cells: &[String],
    columns: &[Column],
    definitions: &[FieldDefinition],
) -> Result<Candidate, String> {
    let mut c = Candidate::default();
    for (cell, column) in cells.iter().zip(columns) {
        let Some(target) = column.target else {
            continue;
        };
        let raw = crate::spreadsheet::unguard(cell.trim());
        if raw.is_empty() {
            continue;
        }
        read_cell(&mut c, target, raw, definitions)
            .map_err(|message| format!("{}: {message}", column.header))?;
    }
    if c.phone.is_none() && c.email.is_none() && c.telegram_id.is_none() {
        return Err(
            "The row has no phone number, email address or Telegram id to match a contact by."
                .to_owned(),
        );
    }
    Ok(c)
}

fn read_cell(
    c: &mut Candidate,
    target: Target,
    raw: &str,
    definitions: &[FieldDefinition],
) -> Result<(), String> {
    match target {
        Target::Name => c.name = Some(check_name(raw)?),
        Target::Phone => c.phone = Some(crate::phone::normalise(raw, None)?),
        Target::Email => {
            c.email = Some(
                Email::parse(raw)
                    .map_err(|e| e.message)?
                    .as_str()
                    .to_owned(),
            );
        }
        Target::TelegramId => c.telegram_id = check_telegram_id(raw)?,
        Target::Language => c.language = check_language(raw)?,
        Target::Tags => c.tags = tag_names(raw)?,
        Target::OptedOut => {
            c.opt_out = fields::parse_bool(raw)
                .ok_or_else(|| "Enter yes or no (true/false, 1/0).".to_owned())?;
        }
        Target::Field(index) => {
            let def = definitions
                .get(index)
                .ok_or_else(|| "This field no longer exists.".to_owned())?;
            if let Some(value) = fields::parse_value(def, raw)? {
                c.fields.push((index, value));
            }
        }
    }
    Ok(())
}

/// The most tags one cell may name.
const MAX_TAGS_PER_ROW: usize = 20;

/// Comma-separated tag names, checked as tag names are.
fn tag_names(raw: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for part in raw.split(',') {
        if part.trim().is_empty() {
            continue;
        }
        let name = LabelName::parse(part).map_err(|e| e.message)?;
        let name = name.as_str().to_owned();
        if names
            .iter()
            .any(|n| n.to_lowercase() == name.to_lowercase())
        {
            continue;
        }
        if names.len() == MAX_TAGS_PER_ROW {
            return Err(format!("A row can give at most {MAX_TAGS_PER_ROW} tags."));
        }
        names.push(name);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgbuddy_domain::custom_field::{FieldKind, FieldScope};

    fn number(key: &str) -> FieldDefinition {
        FieldDefinition {
            id: format!("fld_{key}"),
            scope: FieldScope::Contact,
            key: key.to_owned(),
            label: key.to_owned(),
            kind: FieldKind::Number,
            required: false,
            default_value: None,
            options: Vec::new(),
            min: Some(0.0),
            max: Some(120.0),
        }
    }

    fn columns(list: &[(&str, Option<Target>)]) -> Vec<Column> {
        list.iter()
            .map(|(h, t)| Column {
                header: (*h).to_owned(),
                target: *t,
            })
            .collect()
    }

    fn cells(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn cells_are_read_by_the_rules_of_a_form() {
        let defs = [number("age")];
        let cols = columns(&[
            ("Name", Some(Target::Name)),
            ("Mobile", Some(Target::Phone)),
            ("Mail", Some(Target::Email)),
            ("Tags", Some(Target::Tags)),
            ("Unsubscribed", Some(Target::OptedOut)),
            ("Age", Some(Target::Field(0))),
            ("Notes", None),
        ]);
        let c = read(
            &cells(&[
                " Asha ",
                "+44 7911 123456",
                "Asha@Example.COM",
                "vip, VIP ,, new",
                "Yes",
                "34",
                "anything at all \u{0}",
            ]),
            &cols,
            &defs,
        )
        .expect("valid");
        assert_eq!(c.name.as_deref(), Some("Asha"));
        assert_eq!(c.phone.as_deref(), Some("+447911123456"));
        assert_eq!(c.email.as_deref(), Some("asha@example.com"));
        assert_eq!(c.tags, ["vip", "new"]);
        assert!(c.opt_out);
        assert_eq!(c.fields, [(0, FieldValue::Number(34.0))]);

        let refused = |row: &[&str]| read(&cells(row), &cols, &defs).expect_err("refused");
        assert!(
            refused(&["A", "+12", "", "", "", "", ""]).starts_with("Mobile: +12 is not a valid")
        );
        assert_eq!(
            refused(&["A", "", "asha@", "", "", "", ""]),
            "Mail: Enter a valid email address."
        );
        assert!(refused(&["A", "+447911123456", "", "", "", "121", ""]).starts_with("Age: "));
        assert!(
            refused(&["A", "+447911123456", "", "", "maybe", "", ""]).starts_with("Unsubscribed: ")
        );
        assert!(
            refused(&["A", "+447911123456", "", &"x".repeat(41), "", "", ""]).starts_with("Tags: ")
        );
        assert_eq!(
            refused(&["Asha", "", "", "vip", "", "", ""]),
            "The row has no phone number, email address or Telegram id to match a contact by."
        );
        assert!(refused(&["\u{202e}x", "+447911123456", "", "", "", "", ""]).starts_with("Name: "));
    }

    #[test]
    fn hostile_text_is_kept_as_text() {
        let cols = columns(&[("name", Some(Target::Name)), ("email", Some(Target::Email))]);
        for name in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "<script>alert(1)</script>",
            "'; DROP TABLE contacts; --",
        ] {
            let c = read(&cells(&[name, "a@example.com"]), &cols, &[]).expect("text is text");
            assert_eq!(c.name.as_deref(), Some(name));
        }
    }

    #[test]
    fn a_nameless_contact_is_called_by_its_address() {
        let c = Candidate {
            email: Some("a@example.com".into()),
            telegram_id: Some("5".into()),
            ..Candidate::default()
        };
        assert_eq!(c.name_or_address(), "a@example.com");
    }
}
