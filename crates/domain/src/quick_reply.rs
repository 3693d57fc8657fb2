//! Quick replies: saved answers an agent inserts in the composer by typing `/` and the
//! reply's shortcut. Each may be limited to some channels (an email signature has no
//! place in an SMS). The body may name the contact and the agent with `{{contact.name}}`
//! and `{{agent.name}}`, filled in when it is inserted.

use crate::AppError;
use serde::{Deserialize, Serialize};

/// The longest shortcut and body.
pub const MAX_SHORTCUT_CHARS: usize = 30;
pub const MAX_BODY_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReply {
    pub id: String,
    /// What follows `/` in the composer: lowercase letters, digits, `-` and `_`.
    pub shortcut: String,
    pub body: String,
    /// The channels it is offered on; empty is every channel.
    #[serde(default)]
    pub channel_ids: Vec<String>,
}

impl QuickReply {
    /// Whether it is offered in a conversation on `channel_id`.
    pub fn offered_on(&self, channel_id: &str) -> bool {
        self.channel_ids.is_empty() || self.channel_ids.iter().any(|c| c == channel_id)
    }

    /// The body with the contact's and the agent's names filled in.
    pub fn filled(&self, contact_name: &str, agent_name: &str) -> String {
        self.body
            .replace("{{contact.name}}", contact_name)
            .replace("{{agent.name}}", agent_name)
    }
}

/// A quick reply's shortcut, kept lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcut(String);

impl Shortcut {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let raw = raw.trim().trim_start_matches('/').to_ascii_lowercase();
        let ok = !raw.is_empty()
            && raw.chars().count() <= MAX_SHORTCUT_CHARS
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw))
        } else {
            Err(AppError::invalid_field(
                "shortcut",
                format!(
                    "A shortcut is 1 to {MAX_SHORTCUT_CHARS} letters, digits, - or _, like refund-policy."
                ),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A quick reply's body: trimmed, not empty, at most [`MAX_BODY_CHARS`].
pub fn parse_body(raw: &str) -> Result<String, AppError> {
    let body = raw.trim();
    if body.is_empty() {
        return Err(AppError::invalid_field("body", "Write the reply."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::invalid_field(
            "body",
            format!("A quick reply can be at most {MAX_BODY_CHARS} characters."),
        ));
    }
    Ok(body.to_owned())
}

/// The word being typed after `/` at the end of `before_caret`, if any: `/ref` at the
/// start or after a space gives `ref`; a `/` inside a word (a URL, a date) gives nothing.
pub fn typed_shortcut(before_caret: &str) -> Option<&str> {
    let start = before_caret
        .rfind(|c: char| c.is_whitespace())
        .map_or(0, |i| {
            i + before_caret[i..].chars().next().map_or(1, char::len_utf8)
        });
    let word = &before_caret[start..];
    let typed = word.strip_prefix('/')?;
    typed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        .then_some(typed)
}

/// The replies whose shortcut starts with `typed` (case-insensitive), shortest first.
pub fn matching<'a>(replies: &'a [QuickReply], typed: &str) -> Vec<&'a QuickReply> {
    let typed = typed.to_ascii_lowercase();
    let mut found: Vec<&QuickReply> = replies
        .iter()
        .filter(|r| r.shortcut.starts_with(&typed))
        .collect();
    found.sort_by(|a, b| {
        a.shortcut
            .len()
            .cmp(&b.shortcut.len())
            .then(a.shortcut.cmp(&b.shortcut))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(shortcut: &str) -> QuickReply {
        QuickReply {
            id: format!("qr_{shortcut}"),
            shortcut: shortcut.to_owned(),
            body: "Hi {{contact.name}}, {{agent.name}} here.".to_owned(),
            channel_ids: Vec::new(),
        }
    }

    #[test]
    fn shortcuts_are_short_plain_words_kept_lowercase() {
        assert_eq!(
            Shortcut::parse(" /Refund-Policy ")
                .expect("a shortcut")
                .as_str(),
            "refund-policy"
        );
        for bad in ["", "/", "two words", "a'b", "<b>", &"x".repeat(31)] {
            let e = Shortcut::parse(bad).expect_err("refused");
            assert_eq!(e.details.expect("details")["field"], "shortcut", "{bad:?}");
        }
    }

    #[test]
    fn bodies_are_trimmed_and_bounded() {
        assert_eq!(parse_body("  Thanks!  ").expect("a body"), "Thanks!");
        assert!(parse_body("   ").is_err());
        assert!(parse_body(&"é".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(parse_body(&"é".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn a_slash_word_at_the_caret_is_a_shortcut_being_typed() {
        assert_eq!(typed_shortcut("/"), Some(""));
        assert_eq!(typed_shortcut("/ref"), Some("ref"));
        assert_eq!(typed_shortcut("Hello /ref"), Some("ref"));
        assert_eq!(typed_shortcut("Hello\n/re-f_1"), Some("re-f_1"));
        assert_eq!(typed_shortcut("Hello é /ref"), Some("ref"));
        assert_eq!(typed_shortcut("see https://x/ref"), None);
        assert_eq!(typed_shortcut("1/2"), None);
        assert_eq!(typed_shortcut("/ref "), None);
        assert_eq!(typed_shortcut("/ré"), None);
        assert_eq!(typed_shortcut(""), None);
    }

    #[test]
    fn matches_start_with_what_was_typed_shortest_first() {
        let all = [reply("refund-policy"), reply("hello"), reply("refund")];
        let found: Vec<&str> = matching(&all, "REF")
            .iter()
            .map(|r| r.shortcut.as_str())
            .collect();
        assert_eq!(found, ["refund", "refund-policy"]);
        assert_eq!(matching(&all, "").len(), 3);
        assert!(matching(&all, "zzz").is_empty());
    }

    #[test]
    fn names_are_filled_in_and_scope_limits_channels() {
        let mut r = reply("hello");
        assert_eq!(r.filled("Dora", "Andy"), "Hi Dora, Andy here.");
        assert!(r.offered_on("ch_1"));
        r.channel_ids = vec!["ch_2".to_owned()];
        assert!(!r.offered_on("ch_1"));
        assert!(r.offered_on("ch_2"));
    }
}
