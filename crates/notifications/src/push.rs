//! Browser push (the Web Push protocol, RFC 8030, with VAPID, RFC 8292, and aes128gcm
//! payloads, RFC 8291): a member's browser subscribes with its push service's endpoint
//! and keys; each notification the member wants pushed becomes one stored push per
//! subscription, which a job sends and retries with backoff. A push service answering
//! 404 or 410 has dropped the subscription, so it is deleted with its pushes.
//!
//! The server's VAPID key pair is made on first use and kept in the database (its private
//! half sealed with the master key), so every instance signs with the same key and a
//! browser's subscription survives restarts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use msgbuddy_core::crypto::MasterKeys;
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::{Db, Error, Result};
use msgbuddy_domain::AppError;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use std::time::Duration;
use web_push::{
    ContentEncoding, SubscriptionInfo, Urgency, VapidSignatureBuilder, WebPushError,
    WebPushMessageBuilder,
};

/// The push services of the browsers msgbuddy supports (Chrome, Firefox, Safari, Edge):
/// a subscription's endpoint must start with one of these (or a configured extra), so
/// the server never posts to an address a user made up.
pub const PUSH_SERVICES: [&str; 4] = [
    "https://fcm.googleapis.com/",
    "https://updates.push.services.mozilla.com/",
    "https://web.push.apple.com/",
    "https://wns2-",
];
/// Edge's push service lives under many hosts of this domain.
const WNS_DOMAIN: &str = ".notify.windows.com/";
/// Tries per push before it is dropped.
const MAX_ATTEMPTS: i64 = 5;
/// How long a push service keeps a push for an offline browser.
const TTL_SECS: u32 = 24 * 3600;
/// The pushes one pass sends, at most.
const BATCH: i64 = 50;
/// The browsers one user receives pushes on; a new one beyond this replaces the oldest.
pub const MAX_BROWSERS: i64 = 10;

/// What sends pushes: the database, the key that seals the VAPID key, an HTTP client,
/// and where subscriptions may point.
#[derive(Debug, Clone)]
pub struct Pusher {
    pub db: Db,
    pub keys: MasterKeys,
    pub http: reqwest::Client,
    /// Extra endpoint prefixes allowed besides [`PUSH_SERVICES`] (a test's local push
    /// service, a self-hosted one).
    pub extra_services: Vec<String>,
    /// The VAPID `sub` claim: how the push service can reach the operator.
    pub contact: String,
}

/// What the service worker shows: a title, words, and the page a click opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    pub title: String,
    pub body: String,
    /// A path on this site.
    pub url: String,
    /// Notifications with the same tag replace each other on the device.
    pub tag: String,
}

/// A browser's subscription as its `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Whether a subscription may point at `endpoint`: a known push service, or one of the
/// `extra` prefixes configured.
pub fn allowed_endpoint(extra: &[String], endpoint: &str) -> bool {
    let known = PUSH_SERVICES.iter().any(|p| endpoint.starts_with(p))
        && (!endpoint.starts_with("https://wns2-") || wns_host(endpoint));
    known
        || extra
            .iter()
            .any(|p| !p.is_empty() && endpoint.starts_with(p.as_str()))
}

/// `https://wns2-xx.notify.windows.com/...`: Edge's service, and nothing that only
/// starts like it.
fn wns_host(endpoint: &str) -> bool {
    endpoint
        .strip_prefix("https://")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(host, _)| {
            host.starts_with("wns2-")
                && format!("{host}/").ends_with(WNS_DOMAIN)
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
}

/// The server's VAPID public key (65 bytes, base64url), which browsers subscribe with;
/// made on first use.
pub async fn public_key(p: &Pusher) -> Result<String> {
    Ok(key_pair(p).await?.1)
}

/// The VAPID key pair: (private scalar as base64url, public key as base64url).
async fn key_pair(p: &Pusher) -> Result<(String, String)> {
    if let Some(pair) = stored_key(p).await? {
        return Ok(pair);
    }
    use jwt_simple::prelude::*;
    let pair = ES256KeyPair::generate();
    let private = URL_SAFE_NO_PAD.encode(pair.to_bytes());
    let public = URL_SAFE_NO_PAD.encode(pair.public_key().public_key().to_bytes_uncompressed());
    // Two instances starting at once: the first key stored is everyone's.
    sqlx::query(
        "INSERT INTO push_keys (id, private_key, public_key, created_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(p.keys.encrypt(private.as_bytes())?)
    .bind(&public)
    .bind(now_ms())
    .execute(p.db.writer())
    .await?;
    stored_key(p)
        .await?
        .ok_or_else(|| Error::internal("the VAPID key was not stored"))
}

async fn stored_key(p: &Pusher) -> Result<Option<(String, String)>> {
    let Some(row) = sqlx::query("SELECT private_key, public_key FROM push_keys WHERE id = 1")
        .fetch_optional(p.db.reader())
        .await?
    else {
        return Ok(None);
    };
    let sealed: String = row.try_get(0)?;
    let private = String::from_utf8(p.keys.decrypt(&sealed)?)
        .map_err(|_| Error::internal("the VAPID key is not text"))?;
    Ok(Some((private, row.try_get(1)?)))
}

/// Keeps a browser's subscription for `user_id` (the same endpoint again moves it to
/// this user with its new keys).
pub async fn subscribe(p: &Pusher, user_id: &str, s: &Subscription) -> Result<()> {
    let endpoint = s.endpoint.trim();
    if endpoint.len() > 1000 || !allowed_endpoint(&p.extra_services, endpoint) {
        return Err(AppError::invalid_field(
            "endpoint",
            "This is not the address of a browser push service msgbuddy sends to.",
        )
        .into());
    }
    let key = URL_SAFE_NO_PAD.decode(s.p256dh.trim()).ok();
    if key.as_ref().is_none_or(|k| k.len() != 65 || k[0] != 4) {
        return Err(AppError::invalid_field(
            "p256dh",
            "The browser's key must be a P-256 public key in base64url.",
        )
        .into());
    }
    if URL_SAFE_NO_PAD
        .decode(s.auth.trim())
        .ok()
        .is_none_or(|a| a.len() != 16)
    {
        return Err(AppError::invalid_field(
            "auth",
            "The browser's auth secret must be 16 bytes in base64url.",
        )
        .into());
    }
    sqlx::query(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth",
    )
    .bind(new_id("psub"))
    .bind(user_id)
    .bind(endpoint)
    .bind(s.p256dh.trim())
    .bind(s.auth.trim())
    .bind(now_ms())
    .execute(p.db.writer())
    .await?;
    // A user's browsers are few; endless subscriptions would have the server post to
    // push services on their behalf without end.
    sqlx::query(
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN \
         (SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(MAX_BROWSERS)
    .execute(p.db.writer())
    .await?;
    Ok(())
}

/// Forgets a browser's subscription of `user_id`.
pub async fn unsubscribe(db: &Db, user_id: &str, endpoint: &str) -> Result<()> {
    sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
        .bind(user_id)
        .bind(endpoint.trim())
        .execute(db.writer())
        .await?;
    Ok(())
}

/// How many browsers `user_id` receives pushes on.
pub async fn subscriptions(db: &Db, user_id: &str) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(db.reader())
            .await?
            .try_get(0)?,
    )
}

/// Stores a push of `payload` for each of `user_id`'s browsers, in the caller's
/// transaction.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    user_id: &str,
    payload: &PushPayload,
) -> Result<()> {
    let subscriptions: Vec<String> =
        sqlx::query("SELECT id FROM push_subscriptions WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
    let body = serde_json::to_string(payload).map_err(|e| Error::internal(e.to_string()))?;
    let now = now_ms();
    for subscription in subscriptions {
        sqlx::query(
            "INSERT INTO push_outbox (id, subscription_id, payload, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(new_id("push"))
        .bind(&subscription)
        .bind(&body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How one push went.
enum Sent {
    Delivered,
    /// The push service no longer knows the subscription.
    Gone,
    /// Worth another try later.
    Retry(String),
    /// Never worth another try.
    Dropped(String),
}

/// Sends the pushes that are due. Returns how many were delivered.
pub async fn deliver_due(p: &Pusher) -> Result<usize> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT o.id, o.payload, o.attempts, s.id, s.endpoint, s.p256dh, s.auth \
         FROM push_outbox o JOIN push_subscriptions s ON s.id = o.subscription_id \
         WHERE o.next_attempt_at <= $1 ORDER BY o.next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(p.db.reader())
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let (private, _) = key_pair(p).await?;
    let mut delivered = 0;
    for row in &rows {
        let id: String = row.try_get(0)?;
        let payload: String = row.try_get(1)?;
        let attempts: i64 = row.try_get(2)?;
        let subscription_id: String = row.try_get(3)?;
        // Claim it: a second instance passing at once skips what this one took.
        let claimed = sqlx::query(
            "UPDATE push_outbox SET attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id = $2 AND attempts = $3",
        )
        .bind(now + 60_000)
        .bind(&id)
        .bind(attempts)
        .execute(p.db.writer())
        .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let info = SubscriptionInfo::new(
            row.try_get::<String, _>(4)?,
            row.try_get::<String, _>(5)?,
            row.try_get::<String, _>(6)?,
        );
        match send(p, &private, &info, payload.as_bytes()).await {
            Sent::Delivered => {
                delivered += 1;
                delete(&p.db, "DELETE FROM push_outbox WHERE id = $1", &id).await?;
            }
            Sent::Gone => {
                tracing::info!(subscription = %subscription_id, "push subscription gone; removed");
                delete(
                    &p.db,
                    "DELETE FROM push_subscriptions WHERE id = $1",
                    &subscription_id,
                )
                .await?;
            }
            Sent::Retry(why) if attempts + 1 < MAX_ATTEMPTS => {
                let wait = 30_000_i64 << attempts.clamp(0, 10);
                tracing::warn!(push = %id, error = %why, "push failed; trying again later");
                sqlx::query("UPDATE push_outbox SET next_attempt_at = $1 WHERE id = $2")
                    .bind(now_ms() + wait)
                    .bind(&id)
                    .execute(p.db.writer())
                    .await?;
            }
            Sent::Retry(why) | Sent::Dropped(why) => {
                tracing::warn!(push = %id, error = %why, "push dropped");
                delete(&p.db, "DELETE FROM push_outbox WHERE id = $1", &id).await?;
            }
        }
    }
    Ok(delivered)
}

async fn delete(db: &Db, sql: &'static str, id: &str) -> Result<()> {
    sqlx::query(sql).bind(id).execute(db.writer()).await?;
    Ok(())
}

/// One push, encrypted for the browser and signed with the VAPID key.
async fn send(p: &Pusher, private: &str, info: &SubscriptionInfo, payload: &[u8]) -> Sent {
    let message = (|| {
        let mut vapid = VapidSignatureBuilder::from_base64(private, info)?;
        vapid.add_claim("sub", p.contact.as_str());
        let mut builder = WebPushMessageBuilder::new(info);
        builder.set_payload(ContentEncoding::Aes128Gcm, payload);
        builder.set_vapid_signature(vapid.build()?);
        builder.set_ttl(TTL_SECS);
        builder.set_urgency(Urgency::Normal);
        builder.build()
    })();
    let message = match message {
        Ok(m) => m,
        Err(e) => return Sent::Dropped(e.to_string()),
    };
    let request = web_push::request_builder::build_request::<Vec<u8>>(message);
    let mut outgoing = p.http.post(request.uri().to_string());
    for (name, value) in request.headers() {
        if name.as_str() != "content-length" {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    let response = match outgoing
        .body(request.into_body())
        .timeout(Duration::from_secs(15))
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Sent::Retry(e.to_string()),
    };
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let Ok(code) = http02::StatusCode::from_u16(status) else {
        return Sent::Retry(format!("status {status}"));
    };
    match web_push::request_builder::parse_response(code, body) {
        Ok(()) => Sent::Delivered,
        Err(WebPushError::EndpointNotValid(_) | WebPushError::EndpointNotFound(_)) => Sent::Gone,
        Err(WebPushError::ServerError { .. }) => Sent::Retry(format!("status {status}")),
        Err(_) if status == 429 => Sent::Retry("rate limited".to_owned()),
        Err(e) => Sent::Dropped(e.to_string()),
    }
}

/// Sends due pushes every `every` until `shutdown` flips.
pub async fn run(p: Pusher, every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        match deliver_due(&p).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "sending pushes failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_browsers_push_services_and_configured_ones_are_allowed() {
        let extra = vec!["http://127.0.0.1:9999/push/".to_owned()];
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc:def",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
            "https://web.push.apple.com/QGuQ",
            "https://wns2-by3p.notify.windows.com/w/?token=BQYAAA",
            "http://127.0.0.1:9999/push/sub1",
        ] {
            assert!(allowed_endpoint(&extra, ok), "{ok}");
        }
        for bad in [
            "http://fcm.googleapis.com/fcm/send/x",
            "https://fcm.googleapis.com.evil.test/x",
            "https://wns2-x.evil.test/.notify.windows.com/",
            "https://wns2-x.notify.windows.com.evil.test/x",
            "http://127.0.0.1:9998/push/sub1",
            "http://169.254.169.254/latest/meta-data",
            "",
        ] {
            assert!(!allowed_endpoint(&extra, bad), "{bad}");
        }
    }
}
