//! What every HTTP provider call shares: sending a request and reading a JSON answer,
//! with network failures as retryable errors.

use crate::provider::ProviderError;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// The answer of a provider call: its status, `Retry-After` if any, and the JSON body
/// (`Null` when the body is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Value,
}

pub async fn call(request: RequestBuilder) -> Result<Answer, ProviderError> {
    let res = request
        .send()
        .await
        .map_err(|e| ProviderError::network(&e))?;
    let status = res.status();
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let bytes = res.bytes().await.map_err(|e| ProviderError::network(&e))?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// A string field of a JSON object, or `""`.
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A timestamp in Unix seconds given as a string or a number, in milliseconds.
pub fn seconds_to_ms(v: Option<&Value>) -> Option<i64> {
    let secs = match v? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    secs.checked_mul(1000)
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// Percent-decodes an `application/x-www-form-urlencoded` body or query into pairs, in
/// the order given.
pub fn form_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(raw: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_in_order() {
        assert_eq!(
            form_pairs("Body=Hello+there%21&From=%2B15551234567&Empty=&x"),
            vec![
                ("Body".to_owned(), "Hello there!".to_owned()),
                ("From".to_owned(), "+15551234567".to_owned()),
                ("Empty".to_owned(), String::new()),
                ("x".to_owned(), String::new()),
            ]
        );
        assert_eq!(
            form_pairs("a=%zz%4"),
            vec![("a".to_owned(), "%zz%4".to_owned())]
        );
        assert_eq!(
            form_pairs("a=%C3%A9"),
            vec![("a".to_owned(), "é".to_owned())]
        );
        assert_eq!(
            form_pairs("a=%é1"),
            vec![("a".to_owned(), "%é1".to_owned())]
        );
    }

    #[test]
    fn unix_seconds_become_milliseconds() {
        assert_eq!(
            seconds_to_ms(Some(&Value::from("1603059201"))),
            Some(1_603_059_201_000)
        );
        assert_eq!(seconds_to_ms(Some(&Value::from(5))), Some(5_000));
        assert_eq!(seconds_to_ms(Some(&Value::from("soon"))), None);
    }
}
