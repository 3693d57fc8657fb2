//! Phone numbers kept in one spelling, E.164 (`+447911123456`), so the same person typed
//! as `07911 123456`, `+44 (0)7911-123456` or `0044 7911 123456` is one contact, and a
//! channel can dial or message the number as stored.
//!
//! The input is screened before the `phonenumber` crate sees it: that crate has had
//! panics on crafted input (RFC 3966 `tel:` forms), so only digits, a leading `+` and
//! the usual separators get through, and the parser is handed digits alone.

use phonenumber::{Mode, country};

/// The longest input read as a phone number; anything longer is not one, and a bound keeps
/// hostile input away from the parser.
pub const MAX_PHONE_CHARS: usize = 40;

/// E.164 allows 15 digits; a `00` international prefix adds two.
const MAX_DIGITS: usize = 17;

/// A number the metadata accepts, shown in messages so people see the expected form.
const EXAMPLE: &str = "+44 7911 123456";

/// Reads a phone number as people write it and gives it back in E.164, or a message for
/// people saying what to fix.
///
/// `default_region` (ISO 3166 alpha-2, like `GB` or `IN`) is how a national number such
/// as `07911 123456` is understood; numbers starting with `+` or `00` need none. An
/// unknown region is treated as none rather than an error, because it comes from a
/// setting, not from the person typing.
pub fn normalise(raw: &str, default_region: Option<&str>) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Enter a phone number.".to_owned());
    }
    if raw.chars().count() > MAX_PHONE_CHARS {
        return Err(format!(
            "A phone number can be at most {MAX_PHONE_CHARS} characters."
        ));
    }

    let mut digits = String::with_capacity(raw.len());
    let mut plus = false;
    for (i, c) in raw.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            '-' | '.' | '(' | ')' | '/' => {}
            c if c == '\t' || (c.is_whitespace() && !c.is_control()) => {}
            c if c.is_alphabetic() => {
                return Err(
                    "A phone number has only digits; write an extension or a note elsewhere."
                        .to_owned(),
                );
            }
            _ => {
                return Err(format!(
                    "A phone number may contain only digits, spaces and + ( ) - . /, like {EXAMPLE}."
                ));
            }
        }
    }
    if digits.is_empty() {
        return Err(format!("Enter a phone number, like {EXAMPLE}."));
    }
    if digits.len() > MAX_DIGITS {
        return Err(format!("{raw} is too long for a phone number."));
    }

    let invalid = || {
        format!(
            "{raw} is not a valid phone number; write it with its country code, like {EXAMPLE}."
        )
    };
    let (region, candidate) = if plus {
        (None, format!("+{digits}"))
    } else if let Some(international) = digits.strip_prefix("00") {
        (None, format!("+{international}"))
    } else {
        match default_region.and_then(region_id) {
            Some(region) => (Some(region), digits),
            None => {
                return Err(format!(
                    "{raw} needs its country code; write it like {EXAMPLE}."
                ));
            }
        }
    };

    let number = phonenumber::parse(region, &candidate).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&number) {
        return Err(invalid());
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// An ISO 3166 alpha-2 code as the parser's region, whatever its case.
fn region_id(raw: &str) -> Option<country::Id> {
    let code = raw.trim();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    code.to_ascii_uppercase().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, region: Option<&str>) -> String {
        match normalise(raw, region) {
            Ok(n) => n,
            Err(e) => panic!("{raw:?} ({region:?}) was refused: {e}"),
        }
    }

    fn refused(raw: &str, region: Option<&str>) -> String {
        match normalise(raw, region) {
            Ok(n) => panic!("{raw:?} ({region:?}) was accepted as {n}"),
            Err(e) => e,
        }
    }

    #[test]
    fn international_numbers_come_back_in_e164() {
        assert_eq!(ok("+44 7911 123456", None), "+447911123456");
        assert_eq!(ok("+44 (0)7911-123456", None), "+447911123456");
        assert_eq!(ok("+91 98765 43210", None), "+919876543210");
        assert_eq!(ok("+1 (415) 555-2671", None), "+14155552671");
        assert_eq!(ok("+1 650.253.0000", None), "+16502530000");
        assert_eq!(ok("  +49 30 901820  ", None), "+4930901820");
        // A region does not change a number that already has its country code.
        assert_eq!(ok("+91 98765 43210", Some("GB")), "+919876543210");
    }

    #[test]
    fn the_example_in_messages_is_itself_valid() {
        assert_eq!(ok(EXAMPLE, None), "+447911123456");
    }

    #[test]
    fn a_00_prefix_needs_no_region() {
        assert_eq!(ok("0044 7911 123456", None), "+447911123456");
        assert_eq!(ok("0091 98765 43210", Some("US")), "+919876543210");
    }

    #[test]
    fn national_numbers_use_the_default_region() {
        assert_eq!(ok("07911 123456", Some("GB")), "+447911123456");
        assert_eq!(ok("07911 123456", Some("gb")), "+447911123456");
        assert_eq!(ok("98765 43210", Some("IN")), "+919876543210");
        assert_eq!(ok("(415) 555-2671", Some("US")), "+14155552671");
        assert_eq!(
            refused("07911 123456", None),
            "07911 123456 needs its country code; write it like +44 7911 123456."
        );
        // An unknown region is no region.
        for region in ["XX", "", "GBR", "G", "é!", "'; DROP TABLE"] {
            assert_eq!(
                refused("07911 123456", Some(region)),
                "07911 123456 needs its country code; write it like +44 7911 123456.",
                "{region:?}"
            );
        }
    }

    #[test]
    fn invalid_numbers_say_how_to_write_one() {
        assert_eq!(
            refused("+12", None),
            "+12 is not a valid phone number; write it with its country code, like +44 7911 123456."
        );
        for bad in ["+44 1", "+999 123456789", "+44 0000 000000", "00", "+0"] {
            let e = refused(bad, None);
            assert!(e.contains("not a valid phone number"), "{bad:?}: {e}");
        }
        // The Ofcom drama range is reserved, so the metadata refuses it.
        assert!(normalise("+44 7700 900123", None).is_err());
    }

    #[test]
    fn letters_and_symbols_are_refused() {
        assert_eq!(
            refused("+44 7911 123456 ext 12", None),
            "A phone number has only digits; write an extension or a note elsewhere."
        );
        assert_eq!(
            refused("tel:+44-7911-123456", None),
            "A phone number has only digits; write an extension or a note elsewhere."
        );
        assert_eq!(
            refused("+44 7911 123456#1", None),
            "A phone number may contain only digits, spaces and + ( ) - . /, like +44 7911 123456."
        );
        assert_eq!(refused("", None), "Enter a phone number.");
        assert_eq!(refused("   ", Some("GB")), "Enter a phone number.");
        assert_eq!(
            refused("+", None),
            "Enter a phone number, like +44 7911 123456."
        );
        assert_eq!(
            refused("()-", Some("GB")),
            "Enter a phone number, like +44 7911 123456."
        );
    }

    #[test]
    fn hostile_input_is_refused_without_panicking() {
        let huge_digits = "9".repeat(100_000);
        let long_number = format!("+{}", "1".repeat(30));
        let hostile = [
            "'; DROP TABLE contacts; --",
            "+",
            "++44 7911 123456",
            "+44+7911123456",
            "4+4",
            huge_digits.as_str(),
            long_number.as_str(),
            "+٤٤ ٧٩١١ ١٢٣٤٥٦",
            "+４４７９１１１２３４５６",
            "📞 +44 7911 123456",
            "+44 7911\u{0}123456",
            "+44\n7911 123456",
            "tel:+1-201-555-0123;phone-context=;isub=",
            ";phone-context=",
            "+1;ext=;isub",
            "\u{202e}+44 7911 123456",
        ];
        for raw in hostile {
            for region in [None, Some("GB"), Some("IN")] {
                assert!(normalise(raw, region).is_err(), "{raw:?} {region:?}");
            }
        }
        assert_eq!(
            refused(&huge_digits, None),
            "A phone number can be at most 40 characters."
        );
        assert_eq!(
            refused(&long_number, None),
            format!("{} is too long for a phone number.", long_number)
        );
    }

    #[test]
    fn every_short_digit_string_is_handled_without_panicking() {
        for len in 1..=17 {
            for lead in ["", "+", "00", "0"] {
                let raw = format!("{lead}{}", "1234567890".repeat(2).get(..len).unwrap_or(""));
                let _ = normalise(&raw, Some("GB"));
                let _ = normalise(&raw, None);
            }
        }
    }
}
