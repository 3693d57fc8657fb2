//! How long an SMS is, in segments: GSM-7 text takes 160 characters in one segment and
//! 153 per segment once split (the rest carries the concatenation header); characters of
//! the GSM-7 extension table take two; anything outside GSM-7 turns the whole message into
//! UCS-2, 70 per segment and 67 once split (counted in UTF-16 code units, so an emoji
//! takes two).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    /// Length in the encoding's units (septets or UTF-16 code units).
    pub units: usize,
    pub count: usize,
}

/// The GSM 03.38 basic character set.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: each costs an escape plus the character.
const EXTENDED: &str = "^{}\\[~]|€\u{000C}";

fn gsm7_units(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

pub fn segments(text: &str) -> Segments {
    let gsm: Option<usize> = text.chars().map(gsm7_units).sum();
    let (encoding, units, single, multi) = match gsm {
        Some(units) => (Encoding::Gsm7, units, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let count = if units <= single {
        1
    } else {
        units.div_ceil(multi)
    };
    Segments {
        encoding,
        units,
        count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_gsm7_and_ucs2_limits() {
        let cases = [
            ("", Encoding::Gsm7, 1),
            (&"a".repeat(160) as &str, Encoding::Gsm7, 1),
            (&"a".repeat(161), Encoding::Gsm7, 2),
            (&"a".repeat(306), Encoding::Gsm7, 2),
            (&"a".repeat(307), Encoding::Gsm7, 3),
            (&"€".repeat(80), Encoding::Gsm7, 1),
            (&"€".repeat(81), Encoding::Gsm7, 2),
            (&"é".repeat(160), Encoding::Gsm7, 1),
            (&"ж".repeat(70), Encoding::Ucs2, 1),
            (&"ж".repeat(71), Encoding::Ucs2, 2),
            (&"ж".repeat(134), Encoding::Ucs2, 2),
            (&"ж".repeat(135), Encoding::Ucs2, 3),
            (&"😀".repeat(35), Encoding::Ucs2, 1),
            (&"😀".repeat(36), Encoding::Ucs2, 2),
        ];
        for (text, encoding, count) in cases {
            let s = segments(text);
            assert_eq!(
                (s.encoding, s.count),
                (encoding, count),
                "{} chars",
                text.chars().count()
            );
        }
        assert_eq!(segments("a{b").units, 4);
    }
}
