//! Validated values. Once parsed, a value is trusted everywhere else.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// An email address: NFKC-normalised, trimmed and lower-cased, so it is one identity however
/// it is typed (a full-width `ａｎａ@example.com` is `ana@example.com`). Invisible, bidi and
/// control characters are refused, and so is anything outside the characters an unquoted
/// address may hold, which also keeps `<`, `>` and quotes out of every page that shows one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        use unicode_normalization::UnicodeNormalization;
        let email: String = raw.trim().nfkc().collect::<String>().to_lowercase();
        let invalid = || AppError::invalid_field("email", "Enter a valid email address.");
        if email.len() > 254 || email.chars().any(is_invisible) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let domain_ok = domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if !local_ok || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `c` is invisible or changes text direction: controls, format characters
/// (zero-width spaces and joiners, bidi embeddings, overrides and isolates, the BOM, tag
/// characters), variation selectors, and the blank "filler" letters. With any of them one
/// name can render identically to another, so names and emails refuse them.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A new password that meets the length policy (8 to 128 characters, any characters).
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(AppError::invalid_field(
                "password",
                format!("Use at least {PASSWORD_MIN_CHARS} characters for the password."),
            ));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(AppError::invalid_field(
                "password",
                format!("Use at most {PASSWORD_MAX_CHARS} characters for the password."),
            ));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// Trimmed text of at most `max` characters, with any run of whitespace (a no-break or
/// ideographic space included) made one plain space, and no invisible characters.
fn bounded_text(field: &str, label: &str, raw: &str, max: usize) -> Result<String, AppError> {
    if raw.chars().any(|c| is_invisible(c) && !c.is_whitespace()) {
        return Err(AppError::invalid_field(
            field,
            format!("{label} has invisible or control characters; type it again without them."),
        ));
    }
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(AppError::invalid_field(
            field,
            format!("{label} cannot be empty."),
        ));
    }
    if text.chars().count() > max {
        return Err(AppError::invalid_field(
            field,
            format!("{label} can be at most {max} characters."),
        ));
    }
    Ok(text)
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text("name", "Name", raw, 80).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A conversation label's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelName(String);

impl LabelName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text("name", "Label name", raw, 40).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A colour as `#rrggbb` (what `<input type="color">` sends), kept lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colour(String);

impl Colour {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let raw = raw.trim();
        let hex = raw.strip_prefix('#').unwrap_or_default();
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(AppError::invalid_field(
                "colour",
                "Give the colour as # and six hex digits, like #4f46e5.",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A workspace's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text("name", "Workspace name", raw, 80).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `raw` percent-encoded as one URL query value: only unreserved characters stay as they
/// are, so the result is plain ASCII that no header or attribute can misread.
pub fn query_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `raw` as a path on this site, or `None`: what a `?next=` may send someone to after
/// logging in. The value is resolved against the site's own origin the way a browser would
/// resolve it and must stay on it; control characters and whitespace are refused outright
/// (browsers strip tabs and newlines, which is how `/\t/evil.example` escapes naive checks).
/// The result is the normalised, percent-encoded path and query, always a valid header value.
#[cfg(feature = "server")]
pub fn same_site_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let base = url::Url::parse("https://msgbuddy.invalid/").ok()?;
    let resolved = base.join(raw).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut path = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

/// A channel account's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelName(String);

impl ChannelName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text("name", "Channel name", raw, 80).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 (`+` and 8 to 15 digits, no leading zero), from what people
/// type: spaces, dots, dashes and brackets are dropped and a leading `00` is `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}'))
            .collect();
        let digits = compact
            .strip_prefix('+')
            .or_else(|| compact.strip_prefix("00"))
            .ok_or_else(Self::invalid)?;
        Self::from_international_digits(digits)
    }

    /// A number given as its international digits without `+` (WhatsApp's `wa_id`).
    pub fn from_international_digits(digits: &str) -> Result<Self, AppError> {
        let ok = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(format!("+{digits}")))
        } else {
            Err(Self::invalid())
        }
    }

    fn invalid() -> AppError {
        AppError::invalid_field(
            "phone",
            "Enter the phone number in international form, like +15551234567.",
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A language tag such as `en`, `pt-BR` or `zh-Hant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language(String);

impl Language {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let tag = raw.trim();
        let mut parts = tag.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
        let rest_ok = parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !primary_ok || !rest_ok {
            return Err(AppError::invalid_field(
                "default_language",
                "Use a language code such as en, es or pt-BR.",
            ));
        }
        Ok(Self(tag.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name such as `Europe/Berlin`; checked against the time zone table on
/// the server, where the table lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeZone(String);

impl TimeZone {
    #[cfg(feature = "server")]
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        name.parse::<chrono_tz::Tz>()
            .map(|_| Self(name.to_owned()))
            .map_err(|_| {
                AppError::invalid_field("time_zone", format!("`{name}` is not a known time zone."))
            })
    }
    #[cfg(feature = "server")]
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Opening hours for one weekday, in minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    pub open: u16,
    pub close: u16,
}

/// Business hours per weekday (Monday first); `None` is closed all day. Later modules read
/// them for away messages and inactivity rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours(pub [Option<DayHours>; 7]);

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Default for BusinessHours {
    /// Monday to Friday, 09:00 to 17:00.
    fn default() -> Self {
        let day = Some(DayHours {
            open: 9 * 60,
            close: 17 * 60,
        });
        Self([day, day, day, day, day, None, None])
    }
}

impl BusinessHours {
    /// Parses one weekday's `HH:MM` open and close times; both empty means closed.
    pub fn parse_day(day: &str, open: &str, close: &str) -> Result<Option<DayHours>, AppError> {
        let (open, close) = (open.trim(), close.trim());
        if open.is_empty() && close.is_empty() {
            return Ok(None);
        }
        let field = format!("hours_{day}");
        let bad = || {
            AppError::invalid_field(
                &field,
                format!("Use HH:MM times for {day}, opening before closing."),
            )
        };
        let open = parse_hhmm(open).ok_or_else(bad)?;
        let close = parse_hhmm(close).ok_or_else(bad)?;
        if open >= close {
            return Err(bad());
        }
        Ok(Some(DayHours { open, close }))
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.len() <= 5).then_some(h * 60 + m)
}

pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The settings of a workspace that admins edit and later modules read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSettings {
    pub name: String,
    pub time_zone: String,
    pub default_language: String,
    pub business_hours: BusinessHours,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let cases = [
            ("  Ana@Example.COM ", Some("ana@example.com")),
            ("a.b+tag@sub.example.org", Some("a.b+tag@sub.example.org")),
            ("no-at-sign.example.com", None),
            ("@example.com", None),
            ("ana@localhost", None),
            ("ana@exa mple.com", None),
            ("ana@.example.com", None),
            ("ana@example..com", None),
            ("", None),
            ("ＡＮＡ@ｅｘａｍｐｌｅ.com", Some("ana@example.com")),
            ("a\u{200B}na@example.com", None),
            ("ana@exam\u{202E}ple.com", None),
            ("<script>@example.com", None),
            ("\"ana\"@example.com", None),
            ("ana@exa<mple.com", None),
            (".ana@example.com", None),
            ("josé@exemplo.com.br", Some("josé@exemplo.com.br")),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                Email::parse(raw)
                    .ok()
                    .map(|e| e.as_str().to_owned())
                    .as_deref(),
                expected,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn passwords_must_be_between_8_and_128_characters() {
        assert!(NewPassword::parse("1234567").is_err());
        assert!(NewPassword::parse("12345678").is_ok());
        assert!(NewPassword::parse(&"x".repeat(64)).is_ok());
        assert!(NewPassword::parse(&"é".repeat(128)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("supersecret").ok()),
            "Some(NewPassword(***))"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            WorkspaceName::parse("  Acme  ").map(|n| n.as_str().to_owned()),
            Ok("Acme".into())
        );
        assert!(WorkspaceName::parse("   ").is_err());
        assert!(WorkspaceName::parse(&"a".repeat(81)).is_err());
        assert!(PersonName::parse("Ana\u{0}").is_err());
        assert_eq!(
            PersonName::parse(" Ana \u{00A0}\u{3000} Lima\t").map(|n| n.as_str().to_owned()),
            Ok("Ana Lima".into())
        );
    }

    #[test]
    fn invisible_and_bidi_characters_are_refused_in_names() {
        for hostile in [
            "Ana\u{200B}",
            "An\u{200D}a",
            "\u{202E}anA",
            "Ana\u{2066}",
            "\u{FEFF}Ana",
            "Ana\u{E0041}",
            "\u{3164}",
            "A\u{034F}na",
            "Ana\u{FE0F}",
        ] {
            let err = PersonName::parse(hostile).expect_err(hostile);
            assert!(
                err.message.contains("invisible"),
                "{hostile:?}: {}",
                err.message
            );
            assert!(WorkspaceName::parse(hostile).is_err(), "{hostile:?}");
        }
        for fine in ["Zoë", "李小龍", "محمد", "Ana-Lima O'Neil"] {
            assert!(PersonName::parse(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        let cases = [
            ("+1 (555) 123-4567", Some("+15551234567")),
            ("0044 20 7946 0958", Some("+442079460958")),
            ("+91.98765.43210", Some("+919876543210")),
            ("5551234567", None),
            ("+0123456789", None),
            ("+1555", None),
            ("+1234567890123456", None),
            ("+1555abc4567", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                Phone::parse(raw)
                    .ok()
                    .map(|p| p.as_str().to_owned())
                    .as_deref(),
                expected,
                "{raw}"
            );
        }
        assert_eq!(
            Phone::from_international_digits("16315551234").map(|p| p.as_str().to_owned()),
            Ok("+16315551234".into())
        );
    }

    #[test]
    fn query_values_are_plain_ascii() {
        assert_eq!(query_value("/w/ws_1"), "/w/ws_1");
        assert_eq!(query_value("/a b\n?&=é"), "/a%20b%0A%3F%26%3D%C3%A9");
    }

    #[cfg(feature = "server")]
    #[test]
    fn only_paths_on_this_site_are_followed() {
        let cases = [
            ("/w/ws_1/settings", Some("/w/ws_1/settings")),
            ("/invite/abc?x=1", Some("/invite/abc?x=1")),
            ("/a/../b", Some("/b")),
            ("/caf\u{e9}", Some("/caf%C3%A9")),
            ("//evil.example", None),
            ("/\\evil.example", None),
            ("/\t/evil.example", None),
            ("/%09/evil.example", Some("/%09/evil.example")),
            ("/\n", None),
            ("/\u{1}", None),
            ("/ x", None),
            ("/\u{3000}/evil.example", None),
            ("https://evil.example", None),
            ("javascript:alert(1)", None),
            ("evil.example", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(same_site_path(raw).as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn languages_look_like_language_tags() {
        for ok in ["en", "pt-BR", "zh-Hant", "fil"] {
            assert!(Language::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "EN", "english", "e", "en_US", "en--US"] {
            assert!(Language::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn business_hours_parse_per_day() {
        assert_eq!(BusinessHours::parse_day("mon", "", ""), Ok(None));
        assert_eq!(
            BusinessHours::parse_day("mon", "08:30", "17:00"),
            Ok(Some(DayHours {
                open: 510,
                close: 1020
            }))
        );
        assert!(BusinessHours::parse_day("mon", "17:00", "08:00").is_err());
        assert!(BusinessHours::parse_day("mon", "25:00", "26:00").is_err());
        assert!(BusinessHours::parse_day("mon", "09:00", "").is_err());
        assert_eq!(format_hhmm(510), "08:30");
    }

    #[cfg(feature = "server")]
    #[test]
    fn time_zones_come_from_the_iana_table() {
        assert!(TimeZone::parse("Europe/Berlin").is_ok());
        assert!(TimeZone::parse("UTC").is_ok());
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}
