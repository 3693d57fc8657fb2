//! The contacts part of the partner API (`/api/v1/contacts`, tags, segments, groups and
//! imports): request and answer types that describe themselves for the OpenAPI document,
//! and the calls behind the handlers. Tags and groups are named as partners know them
//! (by name where that is unambiguous), times are RFC 3339, and an `ak_test_` key works on
//! the workspace's test-mode contacts only.

mod audiences;
mod contacts;
mod imports;

pub use audiences::*;
pub use contacts::*;
pub use imports::*;

/// `raw` as a tag id: the id itself or the name of one of `tags` (any case).
pub(crate) fn tag_id(tags: &[msgbuddy_domain::contact::Tag], raw: &str) -> Option<String> {
    let raw = raw.trim();
    tags.iter()
        .find(|t| t.id == raw || t.name.eq_ignore_ascii_case(raw))
        .map(|t| t.id.clone())
}
