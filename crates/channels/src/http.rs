//! What every HTTP provider call shares: sending a request and reading a JSON answer,
//! with network failures as retryable errors.

use crate::provider::{ErrorClass, ProviderError};
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

/// Checks that `url` points at one of `hosts` (a provider's own), over HTTPS, or plain
/// HTTP on loopback (the local servers tests and staging stand in with). Media is only
/// ever fetched from such a URL, never from one a webhook could make up.
pub fn provider_url(url: &str, hosts: &[&str]) -> Result<reqwest::Url, ProviderError> {
    let refuse = |why: &str| {
        ProviderError::new(
            ErrorClass::Permanent,
            "media_host",
            format!("Media is only fetched from the provider's own hosts; {why}."),
        )
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| refuse("this is not a URL"))?;
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    if !hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
        return Err(refuse(&format!("`{host}` is not one of them")));
    }
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(refuse("only HTTPS is used")),
    }
}

/// The host of a configured base URL (`https://graph.facebook.com/v21.0`).
pub fn host_of(base: &str) -> String {
    reqwest::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The type the provider claims; msgbuddy sniffs the content itself.
    pub mime_type: Option<String>,
}

/// Downloads a file of at most `max_bytes`. Redirects are followed by hand, up to three,
/// and only to `redirect_hosts` (the client follows none by itself); credentials are
/// sent only with the first request.
pub async fn download(
    http: &reqwest::Client,
    first: RequestBuilder,
    redirect_hosts: &[&str],
    max_bytes: usize,
) -> Result<Fetched, ProviderError> {
    let mut res = first.send().await.map_err(|e| ProviderError::network(&e))?;
    for _ in 0..3 {
        if !res.status().is_redirection() {
            break;
        }
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| res.url().join(l).ok())
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::Permanent,
                    "media_redirect",
                    "The provider redirected without a location.",
                )
            })?;
        let next = provider_url(location.as_str(), redirect_hosts)?;
        res = http
            .get(next)
            .send()
            .await
            .map_err(|e| ProviderError::network(&e))?;
    }
    let status = res.status();
    if !status.is_success() {
        let class = if status.is_server_error() || status.as_u16() == 429 {
            ErrorClass::Retryable
        } else {
            ErrorClass::Permanent
        };
        return Err(ProviderError::new(
            class,
            format!("http_{}", status.as_u16()),
            format!(
                "The provider answered HTTP {} for the file.",
                status.as_u16()
            ),
        ));
    }
    let too_large = || {
        ProviderError::new(
            ErrorClass::Permanent,
            "media_too_large",
            format!("The file is larger than {} MB.", max_bytes / (1024 * 1024)),
        )
    };
    if res.content_length().is_some_and(|l| l > max_bytes as u64) {
        return Err(too_large());
    }
    let mime_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned());
    let mut bytes = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| ProviderError::network(&e))? {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched { bytes, mime_type })
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
    fn media_urls_must_point_at_the_providers_hosts_over_https() {
        let hosts = ["lookaside.fbsbx.com", "127.0.0.1"];
        assert!(
            provider_url(
                "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
                &hosts
            )
            .is_ok()
        );
        assert!(provider_url("http://127.0.0.1:9000/file", &hosts).is_ok());
        for bad in [
            "http://lookaside.fbsbx.com/x",
            "https://169.254.169.254/latest/meta-data",
            "https://lookaside.fbsbx.com.evil.example/x",
            "https://evil.example/?lookaside.fbsbx.com",
            "file:///etc/passwd",
            "not a url",
        ] {
            let err = provider_url(bad, &hosts).expect_err(bad);
            assert_eq!(err.code, "media_host", "{bad}");
        }
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
