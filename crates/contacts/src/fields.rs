//! Custom field definitions and values, checked on the server.
//!
//! Values arrive as strings from forms and CSV imports and as JSON from the API; the
//! browser's input types are a convenience, never a guarantee, so every write comes
//! through [`parse_value`] or [`value_from_json`]. A value is stored in two columns,
//! `value_text` and `value_number` ([`FieldValue::to_columns`]), laid out so segments can
//! compare numbers, days and moments in SQL.

use crate::phone;
use msgbuddy_domain::AppError;
use msgbuddy_domain::custom_field::{FieldDefinition, FieldKind, FieldScope, MAX_OPTIONS};
use serde::Deserialize;
use serde_json::Value as Json;

pub const MAX_KEY_CHARS: usize = 40;
pub const MAX_LABEL_CHARS: usize = 60;
pub const MAX_OPTION_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 255;
pub const MAX_LONG_TEXT_CHARS: usize = 10_000;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_EMAIL_LOCAL_CHARS: usize = 64;
pub const MAX_URL_CHARS: usize = 2048;

/// Keys of the contact's own columns: a custom field with one of these names would be
/// ambiguous in imports, exports, segments and the API.
pub const RESERVED_KEYS: [&str; 12] = [
    "name",
    "phone",
    "email",
    "telegram_id",
    "language",
    "tags",
    "id",
    "created_at",
    "updated_at",
    "last_seen_at",
    "opted_out",
    "blocked",
];

/// The settings form for a field, as typed. Everything is a string so that the check can
/// say which input is wrong instead of failing to deserialize the whole form.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct DefinitionInput {
    pub key: String,
    pub label: String,
    pub kind: String,
    /// A checkbox posts `on`; JSON sends `true`.
    #[serde(deserialize_with = "lenient_bool")]
    pub required: bool,
    pub default_value: String,
    /// One option per line.
    pub options: String,
    pub min: String,
    pub max: String,
}

/// Form posts carry booleans as strings (`on`, `true`); JSON carries them as booleans.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Bool(bool),
        Text(String),
    }
    Ok(match Loose::deserialize(d)? {
        Loose::Bool(b) => b,
        Loose::Text(s) => parse_bool(&s).unwrap_or(false),
    })
}

/// A definition that passed [`check_definition`]; only the id and scope are missing.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedDefinition {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// In its canonical text form ([`FieldValue::display`]), so it parses back unchanged.
    pub default_value: Option<String>,
    pub options: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl CheckedDefinition {
    pub fn into_definition(self, id: String, scope: FieldScope) -> FieldDefinition {
        FieldDefinition {
            id,
            scope,
            key: self.key,
            label: self.label,
            kind: self.kind,
            required: self.required,
            default_value: self.default_value,
            options: self.options,
            min: self.min,
            max: self.max,
        }
    }
}

/// Checks the settings form; each error names the form field it is about.
pub fn check_definition(input: &DefinitionInput) -> Result<CheckedDefinition, AppError> {
    let key = check_key(&input.key).map_err(|m| AppError::invalid_field("key", m))?;
    let label = check_label(&input.label).map_err(|m| AppError::invalid_field("label", m))?;
    let kind = FieldKind::parse(input.kind.trim()).ok_or_else(|| {
        let kinds: Vec<&str> = FieldKind::ALL.iter().map(|k| k.as_str()).collect();
        AppError::invalid_field(
            "kind",
            format!("Choose what the field holds: {}.", kinds.join(", ")),
        )
    })?;
    let options =
        check_options(kind, &input.options).map_err(|m| AppError::invalid_field("options", m))?;
    let (min, max) = check_bounds(kind, &input.min, &input.max)?;

    let mut checked = CheckedDefinition {
        key,
        label,
        kind,
        required: input.required,
        default_value: None,
        options,
        min,
        max,
    };
    // The default is filled in without a person looking at it, so it must pass the very
    // rules a typed value would.
    let probe = checked
        .clone()
        .into_definition(String::new(), FieldScope::Contact);
    checked.default_value = parse_value(&probe, &input.default_value)
        .map_err(|m| AppError::invalid_field("default_value", m))?
        .map(|v| v.display());
    Ok(checked)
}

fn check_key(raw: &str) -> Result<String, String> {
    let key = raw.trim().to_ascii_lowercase();
    if key.is_empty() {
        return Err("Enter a key, like customer_tier.".to_owned());
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(format!("A key can be at most {MAX_KEY_CHARS} characters."));
    }
    let starts_with_letter = key.starts_with(|c: char| c.is_ascii_lowercase());
    let plain = key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !starts_with_letter || !plain {
        return Err(
            "A key is lowercase letters, digits and _, starting with a letter, like customer_tier."
                .to_owned(),
        );
    }
    if RESERVED_KEYS.contains(&key.as_str()) {
        return Err(format!(
            "{key} is a built-in contact field; choose another key."
        ));
    }
    Ok(key)
}

fn check_label(raw: &str) -> Result<String, String> {
    let label = raw.trim();
    if label.is_empty() {
        return Err("Enter a label.".to_owned());
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(format!(
            "A label can be at most {MAX_LABEL_CHARS} characters."
        ));
    }
    if label.chars().any(char::is_control) {
        return Err("A label must be one line, without control characters.".to_owned());
    }
    Ok(label.to_owned())
}

fn check_options(kind: FieldKind, raw: &str) -> Result<Vec<String>, String> {
    if !kind.has_options() {
        return if raw.trim().is_empty() {
            Ok(Vec::new())
        } else {
            Err("Only list fields have options; leave them empty.".to_owned())
        };
    }
    let mut options: Vec<String> = Vec::new();
    let mut folded: Vec<String> = Vec::new();
    for line in raw.lines() {
        let option = line.trim();
        if option.is_empty() {
            continue;
        }
        if options.len() == MAX_OPTIONS {
            return Err(format!("A field can have at most {MAX_OPTIONS} options."));
        }
        if option.chars().count() > MAX_OPTION_CHARS {
            return Err(format!(
                "An option can be at most {MAX_OPTION_CHARS} characters: {}.",
                quoted(option)
            ));
        }
        if option.chars().any(char::is_control) {
            return Err("An option cannot contain control characters.".to_owned());
        }
        // A list of several is written `a, b; c` in imports and forms, so these would
        // split the option in two.
        if kind == FieldKind::MultiSelect && option.contains([',', ';']) {
            return Err(format!(
                "{} contains , or ; which separate choices; reword it.",
                quoted(option)
            ));
        }
        let fold = option.to_lowercase();
        if folded.contains(&fold) {
            return Err(format!("{} is listed twice.", quoted(option)));
        }
        folded.push(fold);
        options.push(option.to_owned());
    }
    if options.is_empty() {
        return Err("List the choices, one per line.".to_owned());
    }
    Ok(options)
}

fn check_bounds(
    kind: FieldKind,
    raw_min: &str,
    raw_max: &str,
) -> Result<(Option<f64>, Option<f64>), AppError> {
    let bound = |field: &str, raw: &str| -> Result<Option<f64>, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if kind != FieldKind::Number {
            return Err(AppError::invalid_field(
                field,
                "Only number fields have a minimum and a maximum; leave it empty.",
            ));
        }
        parse_number(raw)
            .map(Some)
            .map_err(|m| AppError::invalid_field(field, m))
    };
    let min = bound("min", raw_min)?;
    let max = bound("max", raw_max)?;
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(AppError::invalid_field(
            "max",
            format!("The maximum must be at least the minimum, {lo}."),
        ));
    }
    Ok((min, max))
}

/// A custom field's value, checked and in its canonical form.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text, long text, and email, phone and web addresses (normalised).
    Text(String),
    Number(f64),
    /// `YYYY-MM-DD`.
    Date(String),
    /// Milliseconds since the Unix epoch, UTC.
    DateTime(i64),
    Boolean(bool),
    /// One option, in the option's own spelling.
    Choice(String),
    /// Options in the field's order, without repeats.
    Choices(Vec<String>),
}

impl FieldValue {
    /// The `(value_text, value_number)` columns. Segments query this layout, so it is
    /// fixed: numbers, moments (ms) and booleans (1/0) in the number column so they
    /// compare as numbers; days as `YYYY-MM-DD`, which compare as text; a list of choices
    /// as `\nA\nB\n`, so a search for `\n` + option + `\n` finds one whole option (with
    /// `instr`/`position`, not `LIKE`, where `%` and `_` in an option would be wildcards).
    pub fn to_columns(&self) -> (Option<String>, Option<f64>) {
        match self {
            Self::Text(s) | Self::Date(s) | Self::Choice(s) => (Some(s.clone()), None),
            Self::Number(n) => (None, Some(*n)),
            Self::DateTime(ms) => (None, Some(*ms as f64)),
            Self::Boolean(b) => (None, Some(if *b { 1.0 } else { 0.0 })),
            Self::Choices(options) => (Some(format!("\n{}\n", options.join("\n"))), None),
        }
    }

    /// Reads the columns back; a missing or unusable column is no value, so one bad row
    /// cannot break a page.
    pub fn from_columns(
        kind: FieldKind,
        text: Option<String>,
        number: Option<f64>,
    ) -> Option<FieldValue> {
        let number = number.filter(|n| n.is_finite());
        match kind {
            FieldKind::Text
            | FieldKind::LongText
            | FieldKind::Email
            | FieldKind::Phone
            | FieldKind::Url => text.map(Self::Text),
            FieldKind::Select => text.map(Self::Choice),
            FieldKind::Date => text.map(Self::Date),
            FieldKind::MultiSelect => {
                let options: Vec<String> = text?
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                (!options.is_empty()).then_some(Self::Choices(options))
            }
            FieldKind::Number => number.map(Self::Number),
            FieldKind::DateTime => number.map(|n| Self::DateTime(n as i64)),
            FieldKind::Boolean => number.map(|n| Self::Boolean(n != 0.0)),
        }
    }

    /// The text form, for forms and CSV exports; [`parse_value`] reads it back unchanged.
    pub fn display(&self) -> String {
        match self {
            Self::Text(s) | Self::Date(s) | Self::Choice(s) => s.clone(),
            Self::Number(n) => n.to_string(),
            Self::DateTime(ms) => rfc3339_utc(*ms),
            Self::Boolean(true) => "true".to_owned(),
            Self::Boolean(false) => "false".to_owned(),
            Self::Choices(options) => options.join(", "),
        }
    }

    /// The API's form; [`value_from_json`] reads it back unchanged.
    pub fn to_json(&self) -> Json {
        match self {
            Self::Text(s) | Self::Date(s) | Self::Choice(s) => Json::String(s.clone()),
            Self::Number(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
            Self::DateTime(ms) => Json::String(rfc3339_utc(*ms)),
            Self::Boolean(b) => Json::Bool(*b),
            Self::Choices(options) => {
                Json::Array(options.iter().cloned().map(Json::String).collect())
            }
        }
    }
}

/// Reads a value typed in a form or a CSV cell. Blank is `Ok(None)`: whether that is
/// allowed is [`check_required`]'s question, since an import may fill in a default.
/// Errors are messages for people, about the value alone (the caller names the field).
pub fn parse_value(def: &FieldDefinition, raw: &str) -> Result<Option<FieldValue>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let value = match def.kind {
        FieldKind::Text => FieldValue::Text(parse_text(raw)?),
        FieldKind::LongText => FieldValue::Text(parse_long_text(raw)?),
        FieldKind::Number => FieldValue::Number(within_bounds(def, parse_number(raw)?)?),
        FieldKind::Date => {
            let (y, m, d) = parse_date(raw)?;
            FieldValue::Date(format!("{y:04}-{m:02}-{d:02}"))
        }
        FieldKind::DateTime => FieldValue::DateTime(parse_date_time(raw)?),
        FieldKind::Boolean => {
            FieldValue::Boolean(parse_bool(raw).ok_or_else(|| "Enter yes or no.".to_owned())?)
        }
        FieldKind::Select => FieldValue::Choice(choose_one(def, raw)?),
        FieldKind::MultiSelect => {
            return choose_many(def, raw.split([',', ';', '\n']));
        }
        FieldKind::Email => FieldValue::Text(parse_email(raw)?),
        FieldKind::Phone => FieldValue::Text(phone::normalise(raw, None)?),
        FieldKind::Url => FieldValue::Text(parse_url(raw)?),
    };
    Ok(Some(value))
}

/// Reads a value sent to the API: `null` is no value, strings go through [`parse_value`],
/// and numbers, booleans and lists of strings are taken where the field holds them.
pub fn value_from_json(def: &FieldDefinition, value: &Json) -> Result<Option<FieldValue>, String> {
    match (def.kind, value) {
        (_, Json::Null) => Ok(None),
        (_, Json::String(s)) => parse_value(def, s),
        (FieldKind::Number, Json::Number(n)) => {
            let n = n
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| "This number is too large.".to_owned())?;
            within_bounds(def, n + 0.0).map(|n| Some(FieldValue::Number(n)))
        }
        (FieldKind::Boolean, Json::Bool(b)) => Ok(Some(FieldValue::Boolean(*b))),
        (FieldKind::MultiSelect, Json::Array(items)) => {
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Json::String(s) => names.push(s.as_str()),
                    other => {
                        return Err(format!(
                            "This field takes a list of strings; the list holds {}.",
                            json_type(other)
                        ));
                    }
                }
            }
            choose_many(def, names)
        }
        (kind, other) => Err(format!(
            "This field takes {}; got {}.",
            expected_json(kind),
            json_type(other)
        )),
    }
}

/// Refuses a missing value for a required field.
pub fn check_required(def: &FieldDefinition, value: &Option<FieldValue>) -> Result<(), String> {
    let missing = match value {
        None => true,
        Some(FieldValue::Text(s) | FieldValue::Choice(s) | FieldValue::Date(s)) => s.is_empty(),
        Some(FieldValue::Choices(options)) => options.is_empty(),
        Some(_) => false,
    };
    if def.required && missing {
        Err(format!("{} is required.", def.label))
    } else {
        Ok(())
    }
}

fn expected_json(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Number => "a number",
        FieldKind::Boolean => "true or false",
        FieldKind::MultiSelect => "a list of strings",
        FieldKind::Date => "a date string, like \"2026-11-30\"",
        FieldKind::DateTime => "a date and time string, like \"2026-11-30T12:00:00Z\"",
        FieldKind::Text
        | FieldKind::LongText
        | FieldKind::Select
        | FieldKind::Email
        | FieldKind::Phone
        | FieldKind::Url => "a string",
    }
}

fn json_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "true or false",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// Quotes people's input in a message, cut short so a pasted essay stays out of it.
fn quoted(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("“{head}…”")
    } else {
        format!("“{s}”")
    }
}

fn parse_text(raw: &str) -> Result<String, String> {
    let n = raw.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(format!(
            "This can be at most {MAX_TEXT_CHARS} characters; it has {n}."
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(
            "This must be one line, without tabs or control characters; use a long text field for more."
                .to_owned(),
        );
    }
    Ok(raw.to_owned())
}

fn parse_long_text(raw: &str) -> Result<String, String> {
    // Browsers post line breaks as CRLF; one spelling keeps lengths and round trips stable.
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let n = text.chars().count();
    if n > MAX_LONG_TEXT_CHARS {
        return Err(format!(
            "This can be at most {MAX_LONG_TEXT_CHARS} characters; it has {n}."
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("This cannot contain control characters.".to_owned());
    }
    Ok(text)
}

/// A plain decimal (`-12.5`): thousands separators and exponents are refused because
/// `1,234` means different numbers in different countries.
fn parse_number(raw: &str) -> Result<f64, String> {
    const HELP: &str = "Enter a number, like 42 or -3.5, without spaces or thousands separators.";
    let unsigned = raw.strip_prefix('-').unwrap_or(raw);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(HELP.to_owned());
    }
    let n: f64 = raw.parse().map_err(|_| HELP.to_owned())?;
    if !n.is_finite() {
        return Err("This number is too large.".to_owned());
    }
    // `-0` would display as `-0`; it is the same number as 0.
    Ok(n + 0.0)
}

fn within_bounds(def: &FieldDefinition, n: f64) -> Result<f64, String> {
    match (def.min, def.max) {
        (Some(lo), Some(hi)) if n < lo || n > hi => {
            Err(format!("Enter a number between {lo} and {hi}."))
        }
        (Some(lo), None) if n < lo => Err(format!("Enter a number of at least {lo}.")),
        (None, Some(hi)) if n > hi => Err(format!("Enter a number of at most {hi}.")),
        _ => Ok(n),
    }
}

/// Yes or no as people and spreadsheets write it (`yes`, `TRUE`, `1`, `off`).
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Some(true),
        "false" | "no" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// `YYYY-MM-DD` as digits, before any calendar check.
fn date_digits(raw: &str) -> Option<(i64, u32, u32)> {
    let b = raw.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let year = ascii_number(b.get(0..4)?)?;
    let month = ascii_number(b.get(5..7)?)?;
    let day = ascii_number(b.get(8..10)?)?;
    Some((i64::from(year), month, day))
}

fn ascii_number(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn check_day(y: i64, m: u32, d: u32) -> Result<(), String> {
    if !(1000..=9999).contains(&y) {
        return Err("Enter a year between 1000 and 9999.".to_owned());
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if d == 0 || d > days_in_month {
        return Err(format!("{y:04}-{m:02}-{d:02} is not a real day."));
    }
    Ok(())
}

pub(crate) fn parse_date(raw: &str) -> Result<(i64, u32, u32), String> {
    let (y, m, d) = date_digits(raw)
        .ok_or_else(|| "Enter a date as YYYY-MM-DD, like 2026-11-30.".to_owned())?;
    check_day(y, m, d)?;
    Ok((y, m, d))
}

/// RFC 3339 (`2026-11-30T12:00:00Z`, `2026-11-30T17:30:00+05:30`) or what a
/// `datetime-local` input posts (`2026-11-30T12:00`, read as UTC) to milliseconds.
fn parse_date_time(raw: &str) -> Result<i64, String> {
    const HELP: &str = "Enter a date and time like 2026-11-30T12:00 or 2026-11-30T12:00:00Z.";
    let help = || HELP.to_owned();
    // ASCII only, so the byte offsets below are character boundaries.
    if !raw.is_ascii() {
        return Err(help());
    }
    let (y, m, d) = date_digits(raw.get(..10).ok_or_else(help)?).ok_or_else(help)?;
    check_day(y, m, d)?;
    let rest = raw
        .get(10..)
        .and_then(|r| r.strip_prefix(['T', 't', ' ']))
        .ok_or_else(help)?;

    let b = rest.as_bytes();
    if b.get(2) != Some(&b':') {
        return Err(help());
    }
    let hour = ascii_number(b.get(0..2).ok_or_else(help)?).ok_or_else(help)?;
    let minute = ascii_number(b.get(3..5).ok_or_else(help)?).ok_or_else(help)?;
    let mut tail = rest.get(5..).ok_or_else(help)?;
    let mut second = 0;
    let mut millis = 0;
    if let Some(t) = tail.strip_prefix(':') {
        second = ascii_number(t.as_bytes().get(0..2).ok_or_else(help)?).ok_or_else(help)?;
        tail = t.get(2..).ok_or_else(help)?;
        if let Some(t) = tail.strip_prefix('.') {
            let n = t.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 9 {
                return Err(help());
            }
            let first3 = format!("{:0<3}", t.get(..n.min(3)).ok_or_else(help)?);
            millis = ascii_number(first3.as_bytes()).ok_or_else(help)?;
            tail = t.get(n..).ok_or_else(help)?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("Enter a time between 00:00 and 23:59:59.".to_owned());
    }
    let offset_secs: i64 = match tail {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match tail.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(help()),
            };
            let o = tail.as_bytes();
            if o.len() != 6 || o.get(3) != Some(&b':') {
                return Err(help());
            }
            let oh = ascii_number(o.get(1..3).ok_or_else(help)?).ok_or_else(help)?;
            let om = ascii_number(o.get(4..6).ok_or_else(help)?).ok_or_else(help)?;
            if oh > 23 || om > 59 {
                return Err(help());
            }
            sign * (i64::from(oh) * 3600 + i64::from(om) * 60)
        }
    };
    let secs = days_from_civil(y, m, d) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - offset_secs;
    let ms = secs * 1000 + i64::from(millis);
    if !(MIN_DATE_TIME_MS..=MAX_DATE_TIME_MS).contains(&ms) {
        return Err("Enter a date between the years 1000 and 9999.".to_owned());
    }
    Ok(ms)
}

/// The moments a date-time may hold, so its display always has a four-digit year.
const MIN_DATE_TIME_MS: i64 = days_from_civil(1000, 1, 1) * 86_400_000;
const MAX_DATE_TIME_MS: i64 = days_from_civil(10_000, 1, 1) * 86_400_000 - 1;

/// Days since 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian calendar).
pub(crate) const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-30T12:00:00Z`, with milliseconds only when there are some, so the text reads
/// back to the same moment.
fn rfc3339_utc(ms: i64) -> String {
    let whole = msgbuddy_domain::time::iso_utc(ms);
    match ms.rem_euclid(1000) {
        0 => whole,
        millis => format!("{}.{millis:03}Z", whole.trim_end_matches('Z')),
    }
}

pub(crate) fn choose_one(def: &FieldDefinition, raw: &str) -> Result<String, String> {
    let wanted = raw.trim().to_lowercase();
    def.options
        .iter()
        .find(|o| o.to_lowercase() == wanted)
        .cloned()
        .ok_or_else(|| not_a_choice(def, raw))
}

/// Picks options by name (any case), keeping the field's order and dropping repeats, so
/// the stored list is the same however it was typed.
fn choose_many<'a>(
    def: &FieldDefinition,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Option<FieldValue>, String> {
    let folded: Vec<String> = def.options.iter().map(|o| o.to_lowercase()).collect();
    let mut chosen = vec![false; def.options.len()];
    for name in names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let wanted = name.to_lowercase();
        match folded.iter().position(|o| *o == wanted) {
            Some(i) => {
                if let Some(slot) = chosen.get_mut(i) {
                    *slot = true;
                }
            }
            None => return Err(not_a_choice(def, name)),
        }
    }
    let picked: Vec<String> = def
        .options
        .iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(o, _)| o.clone())
        .collect();
    Ok((!picked.is_empty()).then_some(FieldValue::Choices(picked)))
}

fn not_a_choice(def: &FieldDefinition, raw: &str) -> String {
    const SHOWN: usize = 10;
    let mut list: Vec<&str> = def.options.iter().take(SHOWN).map(String::as_str).collect();
    if def.options.len() > SHOWN {
        list.push("…");
    }
    format!(
        "{} is not one of the choices: {}.",
        quoted(raw.trim()),
        list.join(", ")
    )
}

/// A practical check, not RFC 5322: one `@`, a plausible local part, a dotted domain. The
/// domain is lowercased because it is case-insensitive; the local part is kept as typed.
fn parse_email(raw: &str) -> Result<String, String> {
    const HELP: &str = "Enter an email address, like dora@example.com.";
    if raw.chars().count() > MAX_EMAIL_CHARS {
        return Err(format!(
            "An email address can be at most {MAX_EMAIL_CHARS} characters."
        ));
    }
    if raw.chars().any(char::is_whitespace) {
        return Err("An email address cannot contain spaces.".to_owned());
    }
    if raw.chars().any(char::is_control) {
        return Err(HELP.to_owned());
    }
    let mut parts = raw.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(HELP.to_owned());
    };
    if local.is_empty() {
        return Err(HELP.to_owned());
    }
    if local.chars().count() > MAX_EMAIL_LOCAL_CHARS {
        return Err(format!(
            "The part before @ can be at most {MAX_EMAIL_LOCAL_CHARS} characters."
        ));
    }
    let local_ok = local
        .chars()
        .all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-')
        });
    if !local_ok || !domain_ok {
        return Err(HELP.to_owned());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// Only `http` and `https`: the value is shown to agents as a link, and other schemes
/// (`javascript:`, `data:`, `file:`) are how a link turns into an attack.
fn parse_url(raw: &str) -> Result<String, String> {
    const HELP: &str = "Enter a full web address starting with https://, like https://example.com.";
    let too_long = || format!("A web address can be at most {MAX_URL_CHARS} characters.");
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(too_long());
    }
    if raw.chars().any(char::is_whitespace) {
        return Err("A web address cannot contain spaces.".to_owned());
    }
    if raw.chars().any(char::is_control) {
        return Err(HELP.to_owned());
    }
    let url = url::Url::parse(raw).map_err(|_| HELP.to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("Only http:// and https:// addresses are accepted.".to_owned());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(HELP.to_owned());
    }
    // `https://bank.example@evil.example` reads as the bank but goes elsewhere.
    if !url.username().is_empty() || url.password().is_some() {
        return Err("A web address cannot contain a user name or password.".to_owned());
    }
    let normalised = String::from(url);
    if normalised.chars().count() > MAX_URL_CHARS {
        return Err(too_long());
    }
    Ok(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: FieldKind) -> FieldDefinition {
        FieldDefinition {
            id: "fld_1".to_owned(),
            scope: FieldScope::Contact,
            key: "field".to_owned(),
            label: "Field".to_owned(),
            kind,
            required: false,
            default_value: None,
            options: if kind.has_options() {
                vec!["Gold".to_owned(), "Silver".to_owned(), "Bronze".to_owned()]
            } else {
                Vec::new()
            },
            min: None,
            max: None,
        }
    }

    fn ok(d: &FieldDefinition, raw: &str) -> FieldValue {
        match parse_value(d, raw) {
            Ok(Some(v)) => v,
            Ok(None) => panic!("{raw:?} gave no value for {:?}", d.kind),
            Err(e) => panic!("{raw:?} was refused for {:?}: {e}", d.kind),
        }
    }

    fn refused(d: &FieldDefinition, raw: &str) -> String {
        match parse_value(d, raw) {
            Ok(v) => panic!("{raw:?} was accepted for {:?} as {v:?}", d.kind),
            Err(e) => e,
        }
    }

    fn input(kind: &str) -> DefinitionInput {
        DefinitionInput {
            key: "customer_tier".to_owned(),
            label: "Customer tier".to_owned(),
            kind: kind.to_owned(),
            ..DefinitionInput::default()
        }
    }

    fn field_of(e: &AppError) -> String {
        e.details
            .as_ref()
            .and_then(|d| d["field"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    fn definition_error(i: &DefinitionInput) -> (String, String) {
        match check_definition(i) {
            Ok(c) => panic!("{i:?} was accepted as {c:?}"),
            Err(e) => (field_of(&e), e.message),
        }
    }

    // ---- values, kind by kind ----

    #[test]
    fn blank_is_no_value_for_every_kind() {
        for kind in FieldKind::ALL {
            assert_eq!(parse_value(&def(kind), "   \n\t "), Ok(None), "{kind:?}");
            assert_eq!(parse_value(&def(kind), ""), Ok(None), "{kind:?}");
        }
        assert_eq!(
            parse_value(&def(FieldKind::MultiSelect), " , ;\n"),
            Ok(None)
        );
    }

    #[test]
    fn text_is_one_line_of_at_most_255_characters() {
        let d = def(FieldKind::Text);
        assert_eq!(ok(&d, "  Leeds  "), FieldValue::Text("Leeds".to_owned()));
        // Quotes and SQL are just text; the database layer binds parameters.
        for kept in [
            "O'Brien \"the elder\"",
            "'; DROP TABLE contacts; --",
            "Robert'); DELETE FROM contacts WHERE ('1'='1",
            "<script>alert(1)</script>",
            "Zoë 👩‍💻 東京",
        ] {
            assert_eq!(ok(&d, kept), FieldValue::Text(kept.to_owned()));
        }
        assert!(parse_value(&d, &"é".repeat(255)).is_ok());
        assert_eq!(
            refused(&d, &"é".repeat(256)),
            "This can be at most 255 characters; it has 256."
        );
        for bad in ["a\nb", "a\tb", "nul\0byte", "bell\u{7}", "a\r\nb"] {
            assert_eq!(
                refused(&d, bad),
                "This must be one line, without tabs or control characters; use a long text field for more.",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn long_text_keeps_line_breaks_in_one_spelling() {
        let d = def(FieldKind::LongText);
        assert_eq!(
            ok(&d, "line one\r\nline two\rline\tthree\n"),
            FieldValue::Text("line one\nline two\nline\tthree".to_owned())
        );
        assert!(parse_value(&d, &"x".repeat(10_000)).is_ok());
        assert_eq!(
            refused(&d, &"x".repeat(10_001)),
            "This can be at most 10000 characters; it has 10001."
        );
        assert_eq!(
            refused(&d, "a\0b"),
            "This cannot contain control characters."
        );
    }

    #[test]
    fn numbers_are_plain_decimals_within_the_bounds() {
        let mut d = def(FieldKind::Number);
        assert_eq!(ok(&d, "42"), FieldValue::Number(42.0));
        assert_eq!(ok(&d, "-3.25"), FieldValue::Number(-3.25));
        assert_eq!(ok(&d, "007"), FieldValue::Number(7.0));
        assert_eq!(ok(&d, "-0").display(), "0");
        let help = "Enter a number, like 42 or -3.5, without spaces or thousands separators.";
        for bad in [
            "1,234.5", "1e5", "NaN", "inf", "-inf", "+5", ".5", "5.", "--5", "1 000", "0x10", "٣",
            "12abc", "-", ".", "1.2.3",
        ] {
            assert_eq!(refused(&d, bad), help, "{bad:?}");
        }
        assert_eq!(
            refused(&d, &format!("1{}", "0".repeat(400))),
            "This number is too large."
        );
        d.min = Some(1.0);
        d.max = Some(10.5);
        assert_eq!(ok(&d, "1"), FieldValue::Number(1.0));
        assert_eq!(ok(&d, "10.5"), FieldValue::Number(10.5));
        assert_eq!(refused(&d, "0.99"), "Enter a number between 1 and 10.5.");
        assert_eq!(refused(&d, "11"), "Enter a number between 1 and 10.5.");
        d.max = None;
        assert_eq!(refused(&d, "-4"), "Enter a number of at least 1.");
        d.min = None;
        d.max = Some(0.0);
        assert_eq!(refused(&d, "0.5"), "Enter a number of at most 0.");
    }

    #[test]
    fn dates_are_real_calendar_days() {
        let d = def(FieldKind::Date);
        assert_eq!(
            ok(&d, "2026-11-30"),
            FieldValue::Date("2026-11-30".to_owned())
        );
        assert_eq!(
            ok(&d, "2024-02-29"),
            FieldValue::Date("2024-02-29".to_owned())
        );
        assert_eq!(
            ok(&d, "2000-02-29"),
            FieldValue::Date("2000-02-29".to_owned())
        );
        assert_eq!(
            ok(&d, "1000-01-01"),
            FieldValue::Date("1000-01-01".to_owned())
        );
        assert_eq!(
            ok(&d, "9999-12-31"),
            FieldValue::Date("9999-12-31".to_owned())
        );
        for unreal in [
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
        ] {
            assert_eq!(refused(&d, unreal), format!("{unreal} is not a real day."));
        }
        assert_eq!(
            refused(&d, "0999-12-31"),
            "Enter a year between 1000 and 9999."
        );
        let help = "Enter a date as YYYY-MM-DD, like 2026-11-30.";
        for bad in [
            "30/11/2026",
            "2026-1-5",
            "2026-11-30T00:00",
            "20261130",
            "2026-11-3O",
            "+026-11-30",
            "2026–11–30",
            "２０２６-11-30",
            "tomorrow",
        ] {
            assert_eq!(refused(&d, bad), help, "{bad:?}");
        }
    }

    #[test]
    fn date_times_read_rfc3339_and_datetime_local() {
        let d = def(FieldKind::DateTime);
        let noon = 1_796_040_000_000; // 2026-11-30T12:00:00Z
        assert_eq!(ok(&d, "2026-11-30T12:00:00Z"), FieldValue::DateTime(noon));
        assert_eq!(ok(&d, "2026-11-30t12:00:00z"), FieldValue::DateTime(noon));
        assert_eq!(ok(&d, "2026-11-30T12:00"), FieldValue::DateTime(noon));
        assert_eq!(ok(&d, "2026-11-30T12:00:00"), FieldValue::DateTime(noon));
        assert_eq!(
            ok(&d, "2026-11-30 12:00:00+00:00"),
            FieldValue::DateTime(noon)
        );
        assert_eq!(
            ok(&d, "2026-11-30T17:30:00+05:30"),
            FieldValue::DateTime(noon)
        );
        assert_eq!(
            ok(&d, "2026-11-30T07:00:00-05:00"),
            FieldValue::DateTime(noon)
        );
        assert_eq!(
            ok(&d, "2026-12-01T01:00:00+13:00"),
            FieldValue::DateTime(noon)
        );
        assert_eq!(
            ok(&d, "2026-11-30T12:00:00.1234567Z"),
            FieldValue::DateTime(noon + 123)
        );
        assert_eq!(
            ok(&d, "2026-11-30T12:00:00.5Z"),
            FieldValue::DateTime(noon + 500)
        );
        assert_eq!(ok(&d, "1970-01-01T00:00Z"), FieldValue::DateTime(0));
        assert_eq!(
            ok(&d, "2024-02-29T23:59:59Z"),
            FieldValue::DateTime(1_709_251_199_000)
        );
        let help = "Enter a date and time like 2026-11-30T12:00 or 2026-11-30T12:00:00Z.";
        for bad in [
            "2026-11-30",
            "2026-11-30T",
            "2026-11-30T12",
            "2026-11-30T1200",
            "2026-11-30T12:00:00+0530",
            "2026-11-30T12:00:00+05",
            "2026-11-30T12:00:00 UTC",
            "2026-11-30T12:00:00.Z",
            "2026-11-30T12:00:00.1234567890Z",
            "2026-11-30T12:00:00+24:00",
            "2026-11-30X12:00",
            "2026-11-30T12:00é",
            "30/11/2026 12:00",
            "1796040000000",
        ] {
            assert_eq!(refused(&d, bad), help, "{bad:?}");
        }
        assert_eq!(
            refused(&d, "2026-11-30T24:00"),
            "Enter a time between 00:00 and 23:59:59."
        );
        assert_eq!(
            refused(&d, "2026-11-30T12:60"),
            "Enter a time between 00:00 and 23:59:59."
        );
        assert_eq!(
            refused(&d, "2026-02-30T12:00"),
            "2026-02-30 is not a real day."
        );
        assert_eq!(
            refused(&d, "1000-01-01T00:30+01:00"),
            "Enter a date between the years 1000 and 9999."
        );
        assert_eq!(
            refused(&d, "9999-12-31T23:30-01:00"),
            "Enter a date between the years 1000 and 9999."
        );
    }

    #[test]
    fn booleans_read_the_usual_words_and_a_checkbox() {
        let d = def(FieldKind::Boolean);
        for yes in ["true", "TRUE", "Yes", "1", "on", "On"] {
            assert_eq!(ok(&d, yes), FieldValue::Boolean(true), "{yes}");
        }
        for no in ["false", "No", "0", "off"] {
            assert_eq!(ok(&d, no), FieldValue::Boolean(false), "{no}");
        }
        for bad in ["y", "2", "maybe", "truee", "yes please"] {
            assert_eq!(refused(&d, bad), "Enter yes or no.", "{bad}");
        }
    }

    #[test]
    fn a_select_takes_one_option_in_its_own_spelling() {
        let d = def(FieldKind::Select);
        assert_eq!(ok(&d, "gold"), FieldValue::Choice("Gold".to_owned()));
        assert_eq!(ok(&d, " SILVER "), FieldValue::Choice("Silver".to_owned()));
        assert_eq!(
            refused(&d, "Platinum"),
            "“Platinum” is not one of the choices: Gold, Silver, Bronze."
        );
        assert_eq!(
            refused(&d, "Gold, Silver"),
            "“Gold, Silver” is not one of the choices: Gold, Silver, Bronze."
        );
        let mut many = def(FieldKind::Select);
        many.options = (1..=12).map(|i| format!("o{i}")).collect();
        assert_eq!(
            refused(&many, "x"),
            "“x” is not one of the choices: o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, …."
        );
    }

    #[test]
    fn a_multi_select_keeps_the_options_order_without_repeats() {
        let d = def(FieldKind::MultiSelect);
        let choices = |v: &[&str]| FieldValue::Choices(v.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(ok(&d, "bronze, gold"), choices(&["Gold", "Bronze"]));
        assert_eq!(
            ok(&d, "Bronze;GOLD\nsilver"),
            choices(&["Gold", "Silver", "Bronze"])
        );
        assert_eq!(ok(&d, "gold, Gold,,gold ;"), choices(&["Gold"]));
        assert_eq!(
            refused(&d, "gold, tin"),
            "“tin” is not one of the choices: Gold, Silver, Bronze."
        );
    }

    #[test]
    fn emails_are_checked_and_their_domain_lowercased() {
        let d = def(FieldKind::Email);
        assert_eq!(
            ok(&d, " Dora.Explorer+tag@Example.CO.uk "),
            FieldValue::Text("Dora.Explorer+tag@example.co.uk".to_owned())
        );
        assert_eq!(
            ok(&d, "o'brien@example.ie"),
            FieldValue::Text("o'brien@example.ie".to_owned())
        );
        assert_eq!(
            ok(&d, "zoë@bücher.de"),
            FieldValue::Text("zoë@bücher.de".to_owned())
        );
        let help = "Enter an email address, like dora@example.com.";
        for bad in [
            "dora",
            "dora@",
            "@example.com",
            "dora@example",
            "dora@@example.com",
            "a@b@example.com",
            "dora@.example.com",
            "dora@example.com.",
            "dora@exa_mple.com",
            "dora@-example.com",
            ".dora@example.com",
            "do..ra@example.com",
            "dora@example.com>",
            "\"dora\"@example.com",
            "dora@example.com\0",
            "do\u{80}ra@example.com",
            "';--@example.com",
        ] {
            assert_eq!(refused(&d, bad), help, "{bad:?}");
        }
        for spaced in [
            "dora @example.com",
            "dora@exa mple.com",
            "a\nb@c.de",
            "'; DROP TABLE contacts; --",
        ] {
            assert_eq!(
                refused(&d, spaced),
                "An email address cannot contain spaces.",
                "{spaced:?}"
            );
        }
        assert!(parse_value(&d, &format!("{}@example.com", "a".repeat(64))).is_ok());
        assert_eq!(
            refused(&d, &format!("{}@example.com", "a".repeat(65))),
            "The part before @ can be at most 64 characters."
        );
        assert_eq!(
            refused(&d, &format!("a@{}.com", "b".repeat(250))),
            "An email address can be at most 254 characters."
        );
    }

    #[test]
    fn phones_are_kept_in_e164() {
        let d = def(FieldKind::Phone);
        assert_eq!(
            ok(&d, "+44 7911 123456"),
            FieldValue::Text("+447911123456".to_owned())
        );
        assert_eq!(
            ok(&d, "0091 98765 43210"),
            FieldValue::Text("+919876543210".to_owned())
        );
        assert_eq!(
            refused(&d, "07911 123456"),
            "07911 123456 needs its country code; write it like +44 7911 123456."
        );
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        let d = def(FieldKind::Url);
        assert_eq!(
            ok(&d, "https://Example.com"),
            FieldValue::Text("https://example.com/".to_owned())
        );
        assert_eq!(
            ok(&d, "http://shop.example.com/orders?id=42#top"),
            FieldValue::Text("http://shop.example.com/orders?id=42#top".to_owned())
        );
        let help = "Enter a full web address starting with https://, like https://example.com.";
        for bad in [
            "example.com",
            "www.example.com/page",
            "https://",
            "http://[::1",
            "//example.com",
        ] {
            assert_eq!(refused(&d, bad), help, "{bad:?}");
        }
        for scheme in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "ftp://example.com",
            "mailto:dora@example.com",
        ] {
            assert_eq!(
                refused(&d, scheme),
                "Only http:// and https:// addresses are accepted.",
                "{scheme:?}"
            );
        }
        assert_eq!(
            refused(&d, "https://bank.example@evil.example/"),
            "A web address cannot contain a user name or password."
        );
        assert_eq!(
            refused(&d, "https://exa mple.com"),
            "A web address cannot contain spaces."
        );
        assert_eq!(
            refused(&d, &format!("https://example.com/{}", "a".repeat(2048))),
            "A web address can be at most 2048 characters."
        );
        // Percent-encoding can make an address longer than it was typed.
        assert_eq!(
            refused(&d, &format!("https://example.com/{}", "é".repeat(1000))),
            "A web address can be at most 2048 characters."
        );
    }

    #[test]
    fn hostile_strings_never_panic() {
        let huge = "x".repeat(100_000);
        let huge_digits = "9".repeat(100_000);
        let huge_commas = ",".repeat(100_000);
        let huge_gold = "gold,".repeat(20_000);
        let hostile = [
            "'; DROP TABLE contacts; --",
            "\"quoted\" 'single'",
            "\0",
            "a\0b",
            "😀😀😀",
            "\u{202e}evil",
            "\u{feff}",
            "é",
            "2026-11-30T12:00é",
            "2026-11-3é",
            "2026-11-30T12:0é",
            "１２",
            "-",
            "@",
            "+",
            huge.as_str(),
            huge_digits.as_str(),
            huge_commas.as_str(),
            huge_gold.as_str(),
        ];
        for kind in FieldKind::ALL {
            let d = def(kind);
            for raw in hostile {
                let _ = parse_value(&d, raw);
                let _ = value_from_json(&d, &Json::String(raw.to_owned()));
            }
        }
        // Values too long for their kind are refused, not cut.
        for kind in [
            FieldKind::Text,
            FieldKind::LongText,
            FieldKind::Email,
            FieldKind::Url,
        ] {
            assert!(parse_value(&def(kind), &huge).is_err(), "{kind:?}");
        }
        assert_eq!(
            parse_value(&def(FieldKind::MultiSelect), &huge_commas),
            Ok(None)
        );
        assert_eq!(
            parse_value(&def(FieldKind::MultiSelect), &huge_gold),
            Ok(Some(FieldValue::Choices(vec!["Gold".to_owned()])))
        );
        assert_eq!(
            parse_value(&def(FieldKind::Text), "😀 ok"),
            Ok(Some(FieldValue::Text("😀 ok".to_owned())))
        );
    }

    // ---- round trips ----

    fn samples() -> Vec<(FieldDefinition, &'static str)> {
        let mut number = def(FieldKind::Number);
        number.min = Some(-1000.0);
        vec![
            (def(FieldKind::Text), "O'Brien; DROP TABLE \"x\""),
            (def(FieldKind::LongText), "line one\nline two\twith a tab"),
            (number.clone(), "-12.75"),
            (number.clone(), "0.1"),
            (def(FieldKind::Number), "123456789012345678901234567890"),
            (def(FieldKind::Number), "0.000000001"),
            (def(FieldKind::Date), "2024-02-29"),
            (def(FieldKind::DateTime), "2026-11-30T17:30:00+05:30"),
            (def(FieldKind::DateTime), "2026-11-30T12:00:00.007Z"),
            (def(FieldKind::DateTime), "1969-07-20T20:17"),
            (def(FieldKind::DateTime), "1000-01-01T00:00:00Z"),
            (def(FieldKind::DateTime), "9999-12-31T23:59:59.999Z"),
            (def(FieldKind::Boolean), "yes"),
            (def(FieldKind::Boolean), "off"),
            (def(FieldKind::Select), "bronze"),
            (def(FieldKind::MultiSelect), "bronze; gold"),
            (def(FieldKind::Email), "Dora@Example.com"),
            (def(FieldKind::Phone), "+1 415 555 2671"),
            (def(FieldKind::Url), "https://example.com/a%20b?q=1#top"),
        ]
    }

    #[test]
    fn values_read_back_from_their_display() {
        for (d, raw) in samples() {
            let v = ok(&d, raw);
            assert_eq!(
                parse_value(&d, &v.display()),
                Ok(Some(v.clone())),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn values_read_back_from_their_columns() {
        for (d, raw) in samples() {
            let v = ok(&d, raw);
            let (text, number) = v.to_columns();
            assert_ne!(text.is_some(), number.is_some(), "{raw:?} uses one column");
            assert_eq!(
                FieldValue::from_columns(d.kind, text, number),
                Some(v),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn values_read_back_from_their_json() {
        for (d, raw) in samples() {
            let v = ok(&d, raw);
            assert_eq!(
                value_from_json(&d, &v.to_json()),
                Ok(Some(v.clone())),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn columns_keep_the_layout_segments_query() {
        let col = |kind: FieldKind, raw: &str| ok(&def(kind), raw).to_columns();
        assert_eq!(
            col(FieldKind::Text, "Leeds"),
            (Some("Leeds".to_owned()), None)
        );
        assert_eq!(col(FieldKind::Number, "2.5"), (None, Some(2.5)));
        assert_eq!(
            col(FieldKind::Date, "2026-11-30"),
            (Some("2026-11-30".to_owned()), None)
        );
        assert_eq!(
            col(FieldKind::DateTime, "2026-11-30T12:00:00Z"),
            (None, Some(1_796_040_000_000.0))
        );
        assert_eq!(col(FieldKind::Boolean, "yes"), (None, Some(1.0)));
        assert_eq!(col(FieldKind::Boolean, "no"), (None, Some(0.0)));
        assert_eq!(
            col(FieldKind::Select, "gold"),
            (Some("Gold".to_owned()), None)
        );
        assert_eq!(
            col(FieldKind::MultiSelect, "bronze, gold"),
            (Some("\nGold\nBronze\n".to_owned()), None)
        );
        assert_eq!(
            col(FieldKind::Email, "a@B.com"),
            (Some("a@b.com".to_owned()), None)
        );
        assert_eq!(
            col(FieldKind::Phone, "+44 7911 123456"),
            (Some("+447911123456".to_owned()), None)
        );
    }

    #[test]
    fn unusable_columns_are_no_value() {
        assert_eq!(
            FieldValue::from_columns(FieldKind::Number, Some("5".to_owned()), None),
            None
        );
        assert_eq!(
            FieldValue::from_columns(FieldKind::Number, None, Some(f64::NAN)),
            None
        );
        assert_eq!(
            FieldValue::from_columns(FieldKind::DateTime, None, Some(f64::INFINITY)),
            None
        );
        assert_eq!(
            FieldValue::from_columns(FieldKind::Text, None, Some(1.0)),
            None
        );
        assert_eq!(
            FieldValue::from_columns(FieldKind::MultiSelect, Some("\n\n".to_owned()), None),
            None
        );
        assert_eq!(
            FieldValue::from_columns(FieldKind::Boolean, None, None),
            None
        );
    }

    #[test]
    fn date_times_display_in_utc() {
        assert_eq!(
            FieldValue::DateTime(1_796_040_000_000).display(),
            "2026-11-30T12:00:00Z"
        );
        assert_eq!(
            FieldValue::DateTime(1_796_040_000_042).display(),
            "2026-11-30T12:00:00.042Z"
        );
        assert_eq!(
            FieldValue::DateTime(-1).display(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            FieldValue::DateTime(1_796_040_000_000).to_json(),
            json!("2026-11-30T12:00:00Z")
        );
    }

    // ---- JSON ----

    #[test]
    fn json_values_take_their_natural_types() {
        let mut number = def(FieldKind::Number);
        number.max = Some(100.0);
        assert_eq!(
            value_from_json(&number, &json!(42)),
            Ok(Some(FieldValue::Number(42.0)))
        );
        assert_eq!(
            value_from_json(&number, &json!(-0.5)),
            Ok(Some(FieldValue::Number(-0.5)))
        );
        assert_eq!(
            value_from_json(&number, &json!("42")),
            Ok(Some(FieldValue::Number(42.0)))
        );
        assert_eq!(
            value_from_json(&number, &json!(101)),
            Err("Enter a number of at most 100.".to_owned())
        );
        assert_eq!(
            value_from_json(&def(FieldKind::Boolean), &json!(true)),
            Ok(Some(FieldValue::Boolean(true)))
        );
        assert_eq!(
            value_from_json(&def(FieldKind::Boolean), &json!("no")),
            Ok(Some(FieldValue::Boolean(false)))
        );
        assert_eq!(
            value_from_json(
                &def(FieldKind::MultiSelect),
                &json!(["silver", "gold", "Gold"])
            ),
            Ok(Some(FieldValue::Choices(vec![
                "Gold".to_owned(),
                "Silver".to_owned()
            ])))
        );
        assert_eq!(
            value_from_json(&def(FieldKind::MultiSelect), &json!([])),
            Ok(None)
        );
        for kind in FieldKind::ALL {
            assert_eq!(
                value_from_json(&def(kind), &Json::Null),
                Ok(None),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn json_of_the_wrong_type_names_the_expected_one() {
        let err = |kind: FieldKind, v: Json| match value_from_json(&def(kind), &v) {
            Ok(x) => panic!("{v} accepted for {kind:?} as {x:?}"),
            Err(e) => e,
        };
        assert_eq!(
            err(FieldKind::Number, json!(true)),
            "This field takes a number; got true or false."
        );
        assert_eq!(
            err(FieldKind::Text, json!(12)),
            "This field takes a string; got a number."
        );
        assert_eq!(
            err(FieldKind::Boolean, json!(1)),
            "This field takes true or false; got a number."
        );
        assert_eq!(
            err(FieldKind::MultiSelect, json!({"a": 1})),
            "This field takes a list of strings; got an object."
        );
        assert_eq!(
            err(FieldKind::MultiSelect, json!(["gold", 1])),
            "This field takes a list of strings; the list holds a number."
        );
        assert_eq!(
            err(FieldKind::Select, json!(["gold"])),
            "This field takes a string; got a list."
        );
        assert_eq!(
            err(FieldKind::Date, json!(20261130)),
            "This field takes a date string, like \"2026-11-30\"; got a number."
        );
        assert_eq!(
            err(FieldKind::DateTime, json!(1_796_040_000_000_i64)),
            "This field takes a date and time string, like \"2026-11-30T12:00:00Z\"; got a number."
        );
        assert_eq!(
            err(FieldKind::MultiSelect, json!(["tin"])),
            "“tin” is not one of the choices: Gold, Silver, Bronze."
        );
    }

    #[test]
    fn required_fields_need_a_value() {
        let mut d = def(FieldKind::Text);
        assert_eq!(check_required(&d, &None), Ok(()));
        d.required = true;
        assert_eq!(
            check_required(&d, &None),
            Err("Field is required.".to_owned())
        );
        assert_eq!(
            check_required(&d, &Some(FieldValue::Text("x".to_owned()))),
            Ok(())
        );
        assert_eq!(
            check_required(&d, &Some(FieldValue::Boolean(false))),
            Ok(())
        );
        assert!(check_required(&d, &Some(FieldValue::Choices(Vec::new()))).is_err());
    }

    // ---- definitions ----

    #[test]
    fn a_good_definition_is_cleaned_up() {
        let mut i = input("select");
        i.key = "  Customer_Tier ".to_owned();
        i.label = "  Customer tier ".to_owned();
        i.options = "Gold\r\n\n  Silver  \n\nBronze\n".to_owned();
        i.default_value = "silver".to_owned();
        i.required = true;
        let c = check_definition(&i).expect("a valid definition");
        assert_eq!(c.key, "customer_tier");
        assert_eq!(c.label, "Customer tier");
        assert_eq!(c.kind, FieldKind::Select);
        assert_eq!(c.options, ["Gold", "Silver", "Bronze"]);
        assert_eq!(c.default_value.as_deref(), Some("Silver"));
        assert!(c.required);
        let f = c.into_definition("fld_9".to_owned(), FieldScope::Conversation);
        assert_eq!(f.id, "fld_9");
        assert_eq!(f.scope, FieldScope::Conversation);

        let mut n = input("number");
        n.min = " -5 ".to_owned();
        n.max = "5.5".to_owned();
        n.default_value = "Yes".to_owned();
        assert_eq!(
            definition_error(&n),
            (
                "default_value".to_owned(),
                "Enter a number, like 42 or -3.5, without spaces or thousands separators."
                    .to_owned()
            )
        );
        n.default_value = "-0".to_owned();
        let c = check_definition(&n).expect("a valid number field");
        assert_eq!((c.min, c.max), (Some(-5.0), Some(5.5)));
        assert_eq!(c.default_value.as_deref(), Some("0"));

        let mut b = input("boolean");
        b.default_value = "YES".to_owned();
        assert_eq!(
            check_definition(&b)
                .expect("valid")
                .default_value
                .as_deref(),
            Some("true")
        );
        b.default_value = "  ".to_owned();
        assert_eq!(check_definition(&b).expect("valid").default_value, None);
    }

    #[test]
    fn keys_are_plain_and_not_reserved() {
        for bad in [
            "",
            "  ",
            "1tier",
            "_tier",
            "customer tier",
            "tier-1",
            "tïer",
            "tier;drop",
            &"k".repeat(41),
        ] {
            let mut i = input("text");
            i.key = bad.to_owned();
            let (field, _) = definition_error(&i);
            assert_eq!(field, "key", "{bad:?}");
        }
        let mut i = input("text");
        i.key = "tier-1".to_owned();
        assert_eq!(
            definition_error(&i).1,
            "A key is lowercase letters, digits and _, starting with a letter, like customer_tier."
        );
        i.key = "k".repeat(41);
        assert_eq!(
            definition_error(&i).1,
            "A key can be at most 40 characters."
        );
        i.key = String::new();
        assert_eq!(definition_error(&i).1, "Enter a key, like customer_tier.");
        for reserved in RESERVED_KEYS {
            i.key = reserved.to_uppercase();
            assert_eq!(
                definition_error(&i),
                (
                    "key".to_owned(),
                    format!("{reserved} is a built-in contact field; choose another key.")
                )
            );
        }
        i.key = "k".repeat(40);
        assert!(check_definition(&i).is_ok());
        i.key = "name_2".to_owned();
        assert!(check_definition(&i).is_ok());
    }

    #[test]
    fn labels_are_one_short_line() {
        let mut i = input("text");
        i.label = " ".to_owned();
        assert_eq!(
            definition_error(&i),
            ("label".to_owned(), "Enter a label.".to_owned())
        );
        i.label = "é".repeat(61);
        assert_eq!(
            definition_error(&i).1,
            "A label can be at most 60 characters."
        );
        i.label = "Two\nlines".to_owned();
        assert_eq!(
            definition_error(&i).1,
            "A label must be one line, without control characters."
        );
        i.label = "'; DROP TABLE contacts; -- 😀".to_owned();
        assert!(check_definition(&i).is_ok());
    }

    #[test]
    fn unknown_kinds_list_the_allowed_ones() {
        let (field, message) = definition_error(&input("Text"));
        assert_eq!(field, "kind");
        assert_eq!(
            message,
            "Choose what the field holds: text, long_text, number, date, date_time, boolean, select, multi_select, email, phone, url."
        );
        assert_eq!(definition_error(&input("")).0, "kind");
    }

    #[test]
    fn options_belong_to_lists_only() {
        let mut i = input("text");
        i.options = "Gold".to_owned();
        assert_eq!(
            definition_error(&i),
            (
                "options".to_owned(),
                "Only list fields have options; leave them empty.".to_owned()
            )
        );
        i.options = " \n ".to_owned();
        assert!(check_definition(&i).is_ok());

        let mut s = input("select");
        assert_eq!(
            definition_error(&s),
            (
                "options".to_owned(),
                "List the choices, one per line.".to_owned()
            )
        );
        s.options = "Gold\nSilver\ngold".to_owned();
        assert_eq!(definition_error(&s).1, "“gold” is listed twice.");
        s.options = "Straße\nSTRASSE\nÉcole\nécole".to_owned();
        assert_eq!(definition_error(&s).1, "“école” is listed twice.");
        s.options = format!("Gold\n{}", "x".repeat(101));
        assert_eq!(
            definition_error(&s).1,
            format!(
                "An option can be at most 100 characters: “{}…”.",
                "x".repeat(40)
            )
        );
        s.options = "Gold\nSil\0ver".to_owned();
        assert_eq!(
            definition_error(&s).1,
            "An option cannot contain control characters."
        );
        s.options = "Red, dark\nBlue".to_owned();
        assert!(
            check_definition(&s).is_ok(),
            "a single choice may hold a comma"
        );
        s.options = (0..=MAX_OPTIONS).map(|n| format!("o{n}\n")).collect();
        assert_eq!(
            definition_error(&s).1,
            "A field can have at most 200 options."
        );
        s.options = (0..MAX_OPTIONS).map(|n| format!("o{n}\n")).collect();
        assert_eq!(
            check_definition(&s).expect("200 options").options.len(),
            200
        );

        let mut m = input("multi_select");
        m.options = "Red, dark\nBlue".to_owned();
        assert_eq!(
            definition_error(&m),
            (
                "options".to_owned(),
                "“Red, dark” contains , or ; which separate choices; reword it.".to_owned()
            )
        );
        m.options = "Red;dark".to_owned();
        assert_eq!(definition_error(&m).0, "options");
        // A huge paste stops at the limit instead of scanning it all.
        m.options = "o\n".repeat(100_000);
        assert_eq!(definition_error(&m).1, "“o” is listed twice.");
    }

    #[test]
    fn bounds_belong_to_numbers_only() {
        let mut i = input("text");
        i.min = "1".to_owned();
        assert_eq!(
            definition_error(&i),
            (
                "min".to_owned(),
                "Only number fields have a minimum and a maximum; leave it empty.".to_owned()
            )
        );
        i.min = String::new();
        i.max = "9".to_owned();
        assert_eq!(definition_error(&i).0, "max");

        let mut n = input("number");
        n.min = "10".to_owned();
        n.max = "1".to_owned();
        assert_eq!(
            definition_error(&n),
            (
                "max".to_owned(),
                "The maximum must be at least the minimum, 10.".to_owned()
            )
        );
        n.max = "abc".to_owned();
        assert_eq!(definition_error(&n).0, "max");
        n.max = String::new();
        n.min = "NaN".to_owned();
        assert_eq!(definition_error(&n).0, "min");
        n.min = "inf".to_owned();
        assert_eq!(definition_error(&n).0, "min");
        n.min = format!("1{}", "0".repeat(400));
        assert_eq!(
            definition_error(&n),
            ("min".to_owned(), "This number is too large.".to_owned())
        );
        n.min = "5".to_owned();
        n.max = "5".to_owned();
        assert!(check_definition(&n).is_ok());
    }

    #[test]
    fn a_default_must_pass_its_own_rules() {
        let mut n = input("number");
        n.min = "1".to_owned();
        n.max = "10".to_owned();
        n.default_value = "11".to_owned();
        assert_eq!(
            definition_error(&n),
            (
                "default_value".to_owned(),
                "Enter a number between 1 and 10.".to_owned()
            )
        );
        let mut s = input("select");
        s.options = "Gold\nSilver".to_owned();
        s.default_value = "Bronze".to_owned();
        assert_eq!(
            definition_error(&s),
            (
                "default_value".to_owned(),
                "“Bronze” is not one of the choices: Gold, Silver.".to_owned()
            )
        );
        let mut m = input("multi_select");
        m.options = "Gold\nSilver".to_owned();
        m.default_value = "silver, GOLD".to_owned();
        assert_eq!(
            check_definition(&m)
                .expect("valid")
                .default_value
                .as_deref(),
            Some("Gold, Silver")
        );
        let mut e = input("email");
        e.default_value = "not an email".to_owned();
        assert_eq!(definition_error(&e).0, "default_value");
        let mut d = input("date");
        d.default_value = "2026-02-30".to_owned();
        assert_eq!(
            definition_error(&d),
            (
                "default_value".to_owned(),
                "2026-02-30 is not a real day.".to_owned()
            )
        );
        let mut t = input("date_time");
        t.default_value = "2026-11-30T17:30+05:30".to_owned();
        assert_eq!(
            check_definition(&t)
                .expect("valid")
                .default_value
                .as_deref(),
            Some("2026-11-30T12:00:00Z")
        );
    }

    #[test]
    fn the_form_reads_from_a_post_and_from_json() {
        let from_json: DefinitionInput = serde_json::from_value(json!({
            "key": "tier", "label": "Tier", "kind": "text", "required": true
        }))
        .expect("json input");
        assert!(from_json.required);
        assert_eq!(from_json.options, "");
        let from_form: DefinitionInput = serde_json::from_value(json!({
            "key": "tier", "required": "on"
        }))
        .expect("form-like input");
        assert!(from_form.required);
        let unchecked: DefinitionInput =
            serde_json::from_value(json!({ "key": "tier" })).expect("no checkbox");
        assert!(!unchecked.required);
    }
}
