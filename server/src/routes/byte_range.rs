//! One `Range: bytes=...` request header (RFC 9110 section 14), so players can seek in a
//! video or audio file and Safari plays it at all. Only a single range is served; a list
//! of ranges, or a header that cannot be read, gets the whole file, as the RFC allows.

use std::ops::Range;

/// What to answer a request for a file of `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// 200 with every byte.
    Whole,
    /// 206 with these bytes.
    Part(Range<usize>),
    /// 416: the range starts past the end.
    Unsatisfiable,
}

/// Reads `header` (the `Range` value) for a file of `len` bytes.
pub fn wanted(header: Option<&str>, len: usize) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |s: &str| -> Option<Option<usize>> {
        let s = s.trim();
        if s.is_empty() {
            return Some(None);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // A number too large for memory is still a valid position past the end.
        Some(Some(s.parse().unwrap_or(usize::MAX)))
    };
    let (Some(first), Some(last)) = (number(first), number(last)) else {
        return Wanted::Whole;
    };
    match (first, last) {
        // `bytes=-n`: the last n bytes.
        (None, Some(suffix)) => {
            if suffix == 0 || len == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(len.saturating_sub(suffix)..len)
            }
        }
        (Some(start), last) => {
            if start >= len {
                return Wanted::Unsatisfiable;
            }
            let end = match last {
                Some(last) if last < start => return Wanted::Whole,
                Some(last) => last.saturating_add(1).min(len),
                None => len,
            };
            Wanted::Part(start..end)
        }
        (None, None) => Wanted::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_served_and_the_rest_gets_the_whole_file() {
        assert_eq!(wanted(None, 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-3"), 10), Wanted::Part(0..4));
        assert_eq!(wanted(Some("bytes=4-"), 10), Wanted::Part(4..10));
        assert_eq!(wanted(Some("bytes=8-100"), 10), Wanted::Part(8..10));
        assert_eq!(wanted(Some("bytes=-3"), 10), Wanted::Part(7..10));
        assert_eq!(wanted(Some("bytes=-30"), 10), Wanted::Part(0..10));
        assert_eq!(wanted(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        assert_eq!(
            wanted(Some("bytes=99999999999999999999999-"), 10),
            Wanted::Unsatisfiable
        );
        assert_eq!(wanted(Some("bytes=-0"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,4-5"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=5-2"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=a-b"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=-"), 10), Wanted::Whole);
    }
}
