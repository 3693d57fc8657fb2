//! The one error type every API route, server function and page speaks.
//!
//! On the wire it is `{"error":{"code","message","details"}}`; in the UI its `message` is
//! shown as is, so messages are written for people, never carrying SQL or internals.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Validation,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    RateLimited,
    Csrf,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::Validation,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Csrf,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// The HTTP status every route and server function answers this code with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Validation => 422,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden | ErrorCode::Csrf => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }
    /// One field's problem, with the field named in `details` so forms can point at it.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(message).with_details(serde_json::json!({ "field": field }))
    }
    /// The field an [`AppError::invalid_field`] names.
    pub fn field(&self) -> Option<&str> {
        self.details.as_ref()?.get("field")?.as_str()
    }
    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "Please log in to continue.")
    }
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "Your role does not allow this.")
    }
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "Not found.")
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    /// Too many attempts; `retry_after_secs` says, truthfully, when the next one can work.
    /// It travels in `details` and as the `Retry-After` header.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.max(1);
        let wait = if secs < 90 {
            format!("{secs} seconds")
        } else {
            format!("{} minutes", secs.div_ceil(60))
        };
        Self::new(
            ErrorCode::RateLimited,
            format!("Too many attempts. Try again in {wait}."),
        )
        .with_details(serde_json::json!({ "retry_after_secs": secs }))
    }
    /// Seconds to wait before retrying, for rate-limited errors.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.details.as_ref()?.get("retry_after_secs")?.as_u64()
    }
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "The request is too large; the limit is {} KB.",
                limit_bytes / 1024
            ),
        )
        .with_details(serde_json::json!({ "limit_bytes": limit_bytes }))
    }
    pub fn csrf() -> Self {
        Self::new(
            ErrorCode::Csrf,
            "This form has expired or did not come from msgbuddy. Reload the page and try again.",
        )
    }
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on our side. Please try again.",
        )
    }

    /// The JSON body every route and server function answers with.
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::json!({ "error": self })
    }

    /// Reads the envelope back (`{"error":{...}}`); a bare error object is accepted too.
    pub fn from_body(bytes: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Envelope {
            error: AppError,
        }
        serde_json::from_slice::<Envelope>(bytes)
            .map(|e| e.error)
            .or_else(|_| serde_json::from_slice::<AppError>(bytes))
            .ok()
    }
}

/// The one place an error becomes an HTTP answer: status from its code, the envelope as
/// body, `Retry-After` when rate limited. Server-function errors pass through it too (the
/// server's error layer re-answers them), so every route agrees.
#[cfg(feature = "server")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.code.http_status())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after_secs();
        let mut res = (status, axum::Json(self.to_body())).into_response();
        if let Some(secs) = retry_after {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        res
    }
}

#[cfg(feature = "server-fn")]
impl server_fn::error::FromServerFnError for AppError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(_) | E::MissingArg(_) | E::Deserialization(_) => {
                Self::validation("The form was not filled in completely or correctly.")
            }
            E::Request(_) | E::Response(_) => Self::new(
                ErrorCode::Unavailable,
                "msgbuddy could not be reached. Check your connection.",
            ),
            _ => Self::internal(),
        }
    }

    /// Server-function errors travel in the same envelope as every other route's.
    fn ser(&self) -> server_fn::Bytes {
        server_fn::Bytes::from(self.to_body().to_string())
    }

    fn de(data: server_fn::Bytes) -> Self {
        Self::from_body(&data).unwrap_or_else(|| {
            Self::new(
                ErrorCode::Unavailable,
                "msgbuddy answered with something this page could not read. Reload and try again.",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_to_the_documented_envelope() {
        let body = AppError::invalid_field("email", "Enter a valid email address.").to_body();
        assert_eq!(body["error"]["code"], "validation");
        assert_eq!(body["error"]["message"], "Enter a valid email address.");
        assert_eq!(body["error"]["details"]["field"], "email");
    }

    /// The status table of the README, written out: a change shows up here.
    #[test]
    fn every_code_maps_to_its_http_status() {
        let table = [
            (ErrorCode::Validation, 422),
            (ErrorCode::Unauthenticated, 401),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::Conflict, 409),
            (ErrorCode::PayloadTooLarge, 413),
            (ErrorCode::RateLimited, 429),
            (ErrorCode::Csrf, 403),
            (ErrorCode::Unavailable, 503),
            (ErrorCode::Internal, 500),
        ];
        assert_eq!(table.len(), ErrorCode::ALL.len());
        for (code, status) in table {
            assert_eq!(code.http_status(), status, "{code:?}");
        }
    }

    #[test]
    fn rate_limits_say_truthfully_how_long_to_wait() {
        let e = AppError::rate_limited(14 * 60 + 5);
        assert_eq!(e.message, "Too many attempts. Try again in 15 minutes.");
        assert_eq!(e.retry_after_secs(), Some(845));
        assert_eq!(
            AppError::rate_limited(30).message,
            "Too many attempts. Try again in 30 seconds."
        );
        assert_eq!(AppError::rate_limited(0).retry_after_secs(), Some(1));
    }

    #[test]
    fn the_envelope_reads_back() {
        let e = AppError::rate_limited(60);
        let body = e.to_body().to_string();
        assert_eq!(AppError::from_body(body.as_bytes()), Some(e));
        assert_eq!(
            AppError::from_body(br#"{"code":"not_found","message":"Not found."}"#),
            Some(AppError::not_found())
        );
        assert_eq!(AppError::from_body(b"<html>"), None);
    }
}
