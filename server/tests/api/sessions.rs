//! Session lifetime: the cookie's attributes, the idle timeout (pushed forward by use) and
//! the absolute timeout (not pushed forward by anything). Time is moved by rewriting the
//! stored session, the way it would look after hours had passed.

use crate::helpers::{Browser, TestApp, TestDb, backends};
use msgbuddy_core::Db;
use msgbuddy_core::db::now_ms;
use reqwest::header::SET_COOKIE;
use sqlx::Row;

const MINUTE: i64 = 60_000;
const DEFAULT_IDLE_MS: i64 = 720 * MINUTE;
const DEFAULT_ABSOLUTE_MS: i64 = 168 * 60 * MINUTE;

/// The session cookie's `Set-Cookie` header, as it comes with a sign-up (an anonymous
/// visitor has no session: see `security::anonymous_page_views_store_no_session`).
async fn session_set_cookie(app: &TestApp) -> String {
    let mut b = app.browser();
    let res = b
        .post_raw(
            "auth/signup",
            &[
                ("name", "Cookie"),
                ("email", &crate::helpers::unique_email("cookie")),
                ("password", "password-123"),
            ],
            "application/json",
        )
        .await;
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("msgbuddy_session="))
        .expect("a session cookie")
        .to_owned()
}

struct StoredSession {
    id: String,
    expires_at: i64,
    data: serde_json::Value,
}

async fn stored_session(db: &Db, user_id: &str) -> Option<StoredSession> {
    let row = sqlx::query("SELECT id, expires_at, data FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.reader())
        .await
        .expect("query sessions")?;
    let data: String = row.try_get(2).expect("data");
    Some(StoredSession {
        id: row.try_get(0).expect("id"),
        expires_at: row.try_get(1).expect("expires_at"),
        data: serde_json::from_str(&data).expect("session data is JSON"),
    })
}

async fn rewrite_session(db: &Db, s: &StoredSession) {
    sqlx::query("UPDATE sessions SET expires_at = $1, data = $2 WHERE id = $3")
        .bind(s.expires_at)
        .bind(s.data.to_string())
        .bind(s.id.clone())
        .execute(db.writer())
        .await
        .expect("rewrite session");
}

/// A browser that has just signed up (and so is logged in), and the new user's id.
async fn signed_up(app: &TestApp, name: &str, email: &str) -> (Browser, String) {
    let mut b = app.browser();
    b.sign_up(name, email, "password-123")
        .await
        .expect("sign up");
    let user_id = b.user_id().await;
    (b, user_id)
}

fn near(actual: i64, expected: i64) -> bool {
    (actual - expected).abs() < MINUTE
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_secure_unless_on_loopback() {
    let db = TestDb::new(backends()[0]).await;
    let local = TestApp::spawn(&db, &[]).await;
    let cookie = session_set_cookie(&local).await;
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        cookie.contains(&format!("Max-Age={}", DEFAULT_IDLE_MS / 1000)),
        "the cookie lives as long as the idle timeout: {cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback keeps the cookie usable: {cookie}"
    );
    drop(local);
    // Anywhere but loopback (decided by `startup::cookies_secure`, unit-tested there) and
    // whenever configured, the cookie is Secure.
    let secure = TestApp::spawn(&db, &[("MSGBUDDY_SECURE_COOKIES", "true")]).await;
    let cookie = session_set_cookie(&secure).await;
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn use_pushes_the_idle_timeout_forward_and_an_idle_session_ends() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut b, user_id) = signed_up(&app, "Ida", "ida@example.com").await;
        let fresh = stored_session(&app.db, &user_id).await.expect("a session");
        assert!(
            near(fresh.expires_at, now_ms() + DEFAULT_IDLE_MS),
            "a new session expires one idle timeout from now"
        );

        // Used again within the minute: nothing to write.
        b.page("/account").await;
        let again = stored_session(&app.db, &user_id).await.expect("a session");
        assert_eq!(again.expires_at, fresh.expires_at);

        // Last used two minutes ago and about to expire: using it renews the idle timeout.
        let mut aging = again;
        aging.expires_at = now_ms() + 5 * MINUTE;
        aging.data["seen_at"] = (now_ms() - 2 * MINUTE).into();
        rewrite_session(&app.db, &aging).await;
        let (status, _) = b.page("/account").await;
        assert_eq!(status, 200, "still logged in before the idle timeout");
        let renewed = stored_session(&app.db, &user_id).await.expect("a session");
        assert!(
            near(renewed.expires_at, now_ms() + DEFAULT_IDLE_MS),
            "use renewed the idle timeout on {}",
            backend.as_str()
        );

        // Left idle past the timeout: logged out.
        let mut idle = renewed;
        idle.expires_at = now_ms() - 1;
        rewrite_session(&app.db, &idle).await;
        let (status, _) = b.page("/account").await;
        assert_eq!(
            status,
            302,
            "an idle session is logged out on {}",
            backend.as_str()
        );
    }
}

#[tokio::test]
async fn a_session_past_the_absolute_timeout_ends_even_in_constant_use() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut b, user_id) = signed_up(&app, "Abe", "abe@example.com").await;
        let mut old = stored_session(&app.db, &user_id).await.expect("a session");
        // Logged in just over a week ago, used a moment ago, far from idle expiry.
        old.data["auth_at"] = (now_ms() - DEFAULT_ABSOLUTE_MS - MINUTE).into();
        old.data["seen_at"] = now_ms().into();
        old.expires_at = now_ms() + DEFAULT_IDLE_MS;
        rewrite_session(&app.db, &old).await;
        let (status, _) = b.page("/account").await;
        assert_eq!(
            status,
            302,
            "past the absolute timeout is logged out on {}",
            backend.as_str()
        );
        assert!(
            stored_session(&app.db, &user_id).await.is_none(),
            "the ended session is deleted on {}",
            backend.as_str()
        );
    }
}
