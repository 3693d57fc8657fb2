//! Server functions, grouped by area. Each checks who is asking, calls one service in
//! `msgbuddy-core`, and returns its result; no SQL or business rules live here.

pub mod account;
pub mod admin;
pub mod api_keys;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod channels;
pub mod contact_settings;
pub mod contacts;
pub mod conversation_fields;
pub mod conversations;
pub mod groups;
pub mod imports;
pub mod invitations;
pub mod labels;
pub mod marks;
pub mod members;
pub mod notes;
pub mod notifications;
pub mod quick_replies;
pub mod saved_views;
pub mod search;
pub mod segments;
pub mod workspaces;

/// A `YYYY-MM-DD` day from a filter form as UTC milliseconds at its start (`None` when
/// left empty).
#[cfg(feature = "ssr")]
fn utc_day(field: &str, raw: Option<&str>) -> Result<Option<i64>, msgbuddy_domain::AppError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => msgbuddy_domain::time::parse_rfc3339_utc(&format!("{d}T00:00:00Z"))
            .map(Some)
            .ok_or_else(|| {
                msgbuddy_domain::AppError::invalid_field(field, "Give the day like 2026-11-30.")
            }),
    }
}
