//! Regression tests for what an outside probe found: hostile names in page heads, open
//! redirects and panics through `?next=`, error statuses, CSP and caching headers,
//! password guessing, look-alike names, session rows for anonymous visitors, invitation
//! links in URLs, suspended workspaces, and who may see members and their events.

use crate::events::SseReader;
use crate::helpers::{
    TestApp, TestDb, backends, member_with_role, owner_with_workspace, unique_email,
};
use msgbuddy_domain::ErrorCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, RETRY_AFTER};
use sqlx::Row;
use std::time::Duration;

const HOSTILE_WORKSPACE: &str = "</title><img src=x onerror=alert(document.domain)><title>";
const HOSTILE_PERSON: &str = "\"><script>alert(1)</script><b x='";

/// The hostile names' markup must never reach a page unescaped.
fn assert_inert(path: &str, body: &str) {
    for raw in ["<img src=x", "<script>alert", "</title><img", "<b x="] {
        assert!(!body.contains(raw), "{path} contains raw `{raw}`");
    }
}

fn title_of(body: &str) -> &str {
    let start = body.find("<title>").map(|i| i + 7).unwrap_or(0);
    let end = body[start..]
        .find("</title>")
        .map(|i| start + i)
        .unwrap_or(start);
    &body[start..end]
}

#[tokio::test]
async fn hostile_names_are_escaped_in_every_page_head_and_body() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut owner = app.browser();
        owner
            .sign_up(HOSTILE_PERSON, "olivia@example.com", "password-123")
            .await
            .expect("a name with markup characters is a valid name");
        let ws = owner.create_workspace(HOSTILE_WORKSPACE).await;
        let (mut member, _) = member_with_role(&app, &mut owner, &ws, "admin").await;
        let pending = owner.invite(&ws, "agent").await;
        msgbuddy_core::accounts::set_platform_admin(
            &app.db,
            &msgbuddy_domain::values::Email::parse("olivia@example.com").expect("email"),
            true,
        )
        .await
        .expect("platform admin");

        let pages = [
            format!("/w/{ws}"),
            format!("/w/{ws}/settings"),
            format!("/w/{ws}/settings/members"),
            format!("/w/{ws}/settings/invitations"),
            format!("/w/{ws}/settings/audit"),
            format!("/invite/{pending}"),
            "/account".to_owned(),
            "/admin".to_owned(),
            "/workspaces/new".to_owned(),
        ];
        for who in [&mut owner, &mut member] {
            for path in &pages {
                let (status, body) = who.page(path).await;
                assert!(status < 500, "{path}: {status}");
                assert_inert(path, &body);
                assert!(
                    !title_of(&body).contains('<'),
                    "{path}: the title holds markup: {}",
                    title_of(&body)
                );
            }
        }
        let (_, home) = member.page(&format!("/w/{ws}")).await;
        assert!(
            title_of(&home).starts_with("&lt;/title&gt;&lt;img src=x"),
            "the workspace name is in the title, escaped: {}",
            title_of(&home)
        );
        let anonymous_invite = app.browser().page(&format!("/invite/{pending}")).await.1;
        assert_inert("/invite (logged out)", &anonymous_invite);
        assert!(anonymous_invite.contains("&lt;/title&gt;"));
    }
}

/// Logs in through a plain form post (no JavaScript) with `next` and returns where the
/// server sends the browser.
async fn login_redirect(app: &TestApp, next: &str) -> (u16, String) {
    let mut b = app.browser();
    let res = b
        .post_raw(
            "auth/login",
            &[
                ("email", "olivia@example.com"),
                ("password", "password-123"),
                ("next", next),
            ],
            "text/html",
        )
        .await;
    let location = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (res.status().as_u16(), location)
}

#[tokio::test]
async fn next_only_leads_to_paths_on_this_site_and_never_panics() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    owner_with_workspace(&app, "Redirects").await;
    let cases = [
        ("/w/ws_1/settings", "/w/ws_1/settings"),
        // What `?next=/%09/evil.example` becomes once the login page decodes it.
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\u{1}", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/caf\u{e9}", "/caf%C3%A9"),
    ];
    for (next, expected) in cases {
        let (status, location) = login_redirect(&app, next).await;
        assert_eq!((status, location.as_str()), (302, expected), "{next:?}");
    }
    // The same value arriving in a page address: the login page's hidden field holds it
    // and the redirect to login after it stays well-formed.
    let mut visitor = app.browser();
    let (status, body) = visitor.page("/login?next=/%09/evil.example").await;
    assert_eq!(status, 200);
    assert!(body.contains("data-testid=\"login-form\""));
    let res = visitor
        .client
        .get(format!("{}/w/%0A%01/settings", app.base))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("a page with control characters in its path answers");
    assert_eq!(res.status(), 302);
    let to = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a location");
    // The path, still percent-encoded as it arrived, encoded once more as a query value.
    assert_eq!(to, "/login?next=/w/%250A%2501/settings");
}

async fn status_and_error(res: reqwest::Response) -> (u16, Option<u64>, serde_json::Value) {
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    (status, retry, body)
}

#[tokio::test]
async fn every_error_answers_its_status_in_the_envelope_from_real_routes() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_LOGIN_LIMIT_PER_ACCOUNT", "2")]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Statuses").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut stranger, other_ws) = {
            let mut b = app.browser();
            b.sign_up("Sam", "sam@example.com", "password-123")
                .await
                .expect("sign up");
            let other = b.create_workspace("Elsewhere").await;
            (b, other)
        };
        let json = "application/json";
        let owner_id = owner.user_id().await;
        let mut anonymous = app.browser();
        let cases: Vec<(ErrorCode, reqwest::Response)> = vec![
            (
                ErrorCode::Validation,
                anonymous
                    .post_raw(
                        "auth/signup",
                        &[("name", "A"), ("email", "a@example.com"), ("password", "x")],
                        json,
                    )
                    .await,
            ),
            (
                ErrorCode::Unauthenticated,
                anonymous
                    .post_raw("workspaces/create", &[("name", "Nope")], json)
                    .await,
            ),
            (
                ErrorCode::Forbidden,
                agent
                    .post_raw(
                        "invitations/create",
                        &[("workspace_id", &ws), ("role", "viewer"), ("email", "")],
                        json,
                    )
                    .await,
            ),
            (
                ErrorCode::NotFound,
                stranger
                    .post_raw(
                        "invitations/create",
                        &[("workspace_id", &ws), ("role", "viewer"), ("email", "")],
                        json,
                    )
                    .await,
            ),
            (
                ErrorCode::Conflict,
                owner
                    .post_raw(
                        "members/role",
                        &[
                            ("workspace_id", &ws),
                            ("user_id", &owner_id),
                            ("role", "admin"),
                        ],
                        json,
                    )
                    .await,
            ),
        ];
        for (code, res) in cases {
            let (status, _, body) = status_and_error(res).await;
            assert_eq!(status, code.http_status(), "{code:?}: {body}");
            assert_eq!(
                body["error"]["code"],
                serde_json::to_value(code).expect("code"),
                "{body}"
            );
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }

        // Rate limited: 429 with Retry-After and a message that says how long.
        let mut guesser = app.browser();
        for _ in 0..2 {
            guesser
                .post_raw(
                    "auth/login",
                    &[("email", "olivia@example.com"), ("password", "wrong-guess")],
                    json,
                )
                .await;
        }
        let (status, retry, body) = status_and_error(
            guesser
                .post_raw(
                    "auth/login",
                    &[("email", "olivia@example.com"), ("password", "wrong-guess")],
                    json,
                )
                .await,
        )
        .await;
        assert_eq!(status, 429, "{body}");
        let retry = retry.expect("Retry-After");
        assert!((840..=900).contains(&retry), "{retry}");
        assert_eq!(body["error"]["details"]["retry_after_secs"], retry);
        assert_eq!(
            body["error"]["message"],
            "Too many attempts. Try again in 15 minutes."
        );

        // CSRF: no token at all.
        let res = owner
            .client
            .post(format!("{}/api/workspaces/create", app.base))
            .header(ACCEPT, json)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=Forged")
            .send()
            .await
            .expect("request");
        let (status, _, body) = status_and_error(res).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("csrf"))
        );

        // Too large, declared and streamed.
        let huge = "n".repeat(server::routes::MAX_BODY_BYTES + 1);
        let res = owner
            .post_raw("workspaces/create", &[("name", &huge)], json)
            .await;
        let (status, _, body) = status_and_error(res).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (413, Some("payload_too_large"))
        );
        let chunks =
            futures::stream::iter((0..20).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024])));
        let res = owner
            .client
            .post(format!("{}/api/workspaces/create", app.base))
            .header(ACCEPT, json)
            .header("x-csrf-token", owner.csrf.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        assert!(
            status == 413 || status == 422,
            "a streamed body over the limit is refused: {status}"
        );

        // No such API call.
        let res = owner
            .client
            .get(format!("{}/api/no/such/call", app.base))
            .header(ACCEPT, json)
            .send()
            .await
            .expect("request");
        let (status, _, body) = status_and_error(res).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found"))
        );

        // A plain form post keeps the redirect back to its page, which shows the error.
        let res = agent
            .post_raw(
                "invitations/create",
                &[("workspace_id", &ws), ("role", "viewer"), ("email", "")],
                "text/html",
            )
            .await;
        assert_eq!(res.status(), 302);
        assert!(
            res.headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|l| l.contains("__err=")),
        );
        // Nothing above changed anything.
        let me = stranger.call("me", &[]).await.expect("me");
        assert_eq!(me["workspaces"].as_array().map(Vec::len), Some(1));
        let _ = other_ws;
        let names: Vec<String> = sqlx::query("SELECT name FROM workspaces ORDER BY name")
            .fetch_all(app.db.reader())
            .await
            .expect("workspaces")
            .iter()
            .map(|r| r.try_get(0).expect("name"))
            .collect();
        assert_eq!(names, vec!["Elsewhere", "Statuses"]);
    }
}

#[tokio::test]
async fn pages_carry_a_strict_csp_with_their_script_nonce_and_nothing_private_is_cached() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (owner, ws) = owner_with_workspace(&app, "Headers").await;
    for path in [
        format!("/w/{ws}"),
        "/login".to_owned(),
        "/no/such/page".to_owned(),
    ] {
        let res = owner
            .client
            .get(format!("{}{path}", app.base))
            .header(ACCEPT, "text/html")
            .send()
            .await
            .expect("page");
        let csp = res
            .headers()
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path} has a CSP"))
            .to_owned();
        let cache = res.headers().get(CACHE_CONTROL).cloned();
        assert_eq!(
            cache.as_ref().and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let body = res.text().await.expect("body");
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "'strict-dynamic'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_scripts_carry_the_policy_nonce(&path, &csp, &body);
    }
    let api = owner
        .client
        .get(format!("{}/api/me", app.base))
        .send()
        .await
        .expect("me");
    assert_eq!(
        api.headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    // The CSRF refusal page is HTML too and runs no script at all.
    let refused = owner
        .client
        .post(format!("{}/api/workspaces/create", app.base))
        .header(ACCEPT, "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x")
        .send()
        .await
        .expect("refused");
    assert_eq!(refused.status(), 403);
    let csp = refused
        .headers()
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .expect("csp")
        .to_owned();
    assert!(csp.contains("script-src 'none'"), "{csp}");
}

/// A page's CSP names one nonce, and every script on the page carries it; else the
/// browser runs none of them and the page never hydrates.
fn assert_scripts_carry_the_policy_nonce(path: &str, csp: &str, body: &str) {
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("{path}: a script nonce in {csp}"));
    let scripts = body.matches("<script").count();
    assert!(scripts >= 1, "{path}");
    assert_eq!(
        body.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "{path}: every script has the nonce"
    );
}

/// Pages rendered at once, many times over (as a browser and its scanner load them),
/// each get their own nonce, in the header and on every script alike.
#[tokio::test]
async fn pages_loaded_at_once_each_carry_their_own_nonce_in_policy_and_scripts() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (owner, ws) = owner_with_workspace(&app, "Nonces").await;
    let paths = [
        format!("/w/{ws}/conversations?view=mentions"),
        format!("/w/{ws}/conversations"),
        format!("/w/{ws}/notifications"),
        format!("/w/{ws}/search?q=hello"),
        format!("/w/{ws}"),
    ];
    let loads = (0..60).map(|i| {
        let path = paths[i % paths.len()].clone();
        let client = owner.client.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let res = client
                .get(url)
                .header(ACCEPT, "text/html")
                .send()
                .await
                .expect("page");
            assert_eq!(res.status(), 200, "{path}");
            let csp = res
                .headers()
                .get(CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = res.text().await.expect("body");
            assert_scripts_carry_the_policy_nonce(&path, &csp, &body);
            csp
        }
    });
    let policies = futures::future::join_all(loads).await;
    let mut distinct = policies.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), policies.len(), "no two pages share a nonce");
}

#[tokio::test]
async fn guesses_at_the_current_password_are_limited_like_logins() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_LOGIN_LIMIT_PER_ACCOUNT", "3")]).await;
        let (mut thief, _) = owner_with_workspace(&app, "Stolen").await;
        for _ in 0..3 {
            let e = thief
                .call(
                    "account/password",
                    &[
                        ("current_password", "a-guess-1"),
                        ("new_password", "new-password-1"),
                    ],
                )
                .await
                .expect_err("wrong current password");
            assert_eq!(e.code, ErrorCode::Validation);
        }
        let e = thief
            .call(
                "account/password",
                &[
                    ("current_password", "password-123"),
                    ("new_password", "new-password-1"),
                ],
            )
            .await
            .expect_err("limited, even with the right password");
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.message.contains("minutes"), "{}", e.message);
        // The password did not change.
        let mut again = app.browser();
        again
            .log_in("olivia@example.com", "password-123")
            .await
            .expect("old password still works");
    }
}

#[tokio::test]
async fn invisible_characters_are_refused_and_emails_compare_after_nfkc() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Lookalikes").await;
        let mut b = app.browser();
        for (name, email) in [
            ("Olivia\u{200B}", "olivia2@example.com"),
            ("\u{202E}aivilO", "olivia3@example.com"),
            ("Olivia", "olivia\u{200D}@example.com"),
            ("Olivia", "olivia@exa\u{2066}mple.com"),
        ] {
            let e = b
                .call(
                    "auth/signup",
                    &[
                        ("name", name),
                        ("email", email),
                        ("password", "password-123"),
                    ],
                )
                .await
                .expect_err("refused");
            assert_eq!(e.code, ErrorCode::Validation, "{name:?} {email:?}");
        }
        let e = b
            .call(
                "auth/signup",
                &[
                    ("name", "Olivia Two"),
                    ("email", "ＯＬＩＶＩＡ@ｅｘａｍｐｌｅ.com"),
                    ("password", "password-123"),
                ],
            )
            .await
            .expect_err("the full-width spelling is the same address");
        assert_eq!(e.code, ErrorCode::Validation);
        let mut full_width = app.browser();
        full_width
            .log_in("ＯＬＩＶＩＡ@ｅｘａｍｐｌｅ.com", "password-123")
            .await
            .expect("logs in as the same account");
        assert_eq!(
            full_width.call("me", &[]).await.expect("me")["user"]["email"],
            "olivia@example.com"
        );
        let e = owner
            .call(
                "workspaces/settings/save",
                &[
                    ("workspace_id", &ws),
                    ("name", "Look\u{2060}alikes"),
                    ("time_zone", "UTC"),
                    ("default_language", "en"),
                ],
            )
            .await
            .expect_err("invisible character in a workspace name");
        assert_eq!(e.code, ErrorCode::Validation);
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(app.db.reader())
            .await
            .expect("count")
            .try_get(0)
            .expect("n");
        assert_eq!(count, 1, "no look-alike account exists");
    }
}

#[tokio::test]
async fn password_hashing_keeps_off_the_async_threads_and_to_its_cap() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    owner_with_workspace(&app, "Burst").await;
    let over_long = "p".repeat(129);
    let mut b = app.browser();
    let e = b
        .call(
            "auth/login",
            &[("email", "olivia@example.com"), ("password", &over_long)],
        )
        .await
        .expect_err("over-long passwords are refused");
    assert_eq!(e.code, ErrorCode::Validation);

    let logins: Vec<_> = (0..8)
        .map(|i| {
            let mut b = app.browser();
            tokio::spawn(async move {
                let _ = b
                    .call(
                        "auth/login",
                        &[
                            ("email", &format!("nobody{i}@example.com")),
                            ("password", "guess-guess"),
                        ],
                    )
                    .await;
                std::time::Instant::now()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let health = reqwest::get(format!("{}/healthz", app.base))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let healthy_at = std::time::Instant::now();
    let mut finished = Vec::new();
    for login in logins {
        finished.push(login.await.expect("login task"));
    }
    assert!(
        finished.iter().any(|at| *at > healthy_at),
        "health answered while the burst of logins was still hashing"
    );
    assert!(
        msgbuddy_core::crypto::peak_concurrent_hashes() <= 2,
        "at most two hashes at once, saw {}",
        msgbuddy_core::crypto::peak_concurrent_hashes()
    );
}

async fn session_rows(app: &TestApp) -> i64 {
    crate::helpers::count(app, "SELECT COUNT(*) FROM sessions", &[]).await
}

#[tokio::test]
async fn anonymous_page_views_store_no_session() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut visitor = app.browser();
        for path in ["/", "/login", "/signup", "/no/such/page", "/w/ws_nope"] {
            visitor.page(path).await;
        }
        reqwest::get(format!("{}/api/me", app.base))
            .await
            .expect("me");
        assert_eq!(session_rows(&app).await, 0, "{}", backend.as_str());
        // The login form still works: its token lives in a cookie until there is a session.
        visitor
            .sign_up("Vera", &unique_email("vera"), "password-123")
            .await
            .expect("sign up with the cookie's token");
        assert_eq!(session_rows(&app).await, 1);
        // A token from one visitor's cookie does not work with another visitor's.
        let mut other = app.browser();
        other.page("/login").await;
        other.csrf = visitor.csrf.clone();
        let e = other
            .call(
                "auth/login",
                &[("email", "vera@example.com"), ("password", "password-123")],
            )
            .await
            .expect_err("someone else's token");
        assert_eq!(e.code, ErrorCode::Csrf);
    }
}

#[tokio::test]
async fn a_new_invitation_link_is_shown_once_and_never_put_in_a_url() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut owner, ws) = owner_with_workspace(&app, "Links").await;
    owner.page(&format!("/w/{ws}/settings/invitations")).await;
    let res = owner
        .post_raw(
            "invitations/create",
            &[("workspace_id", &ws), ("role", "agent"), ("email", "")],
            "text/html",
        )
        .await;
    assert_eq!(res.status(), 302);
    let location = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert_eq!(location, format!("/w/{ws}/settings/invitations"));
    let (_, page) = owner.page(&location).await;
    let link_start = page.find("/invite/").expect("the link is on the page");
    let token: String = page[link_start + 8..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 43);
    let (_, again) = owner.page(&location).await;
    assert!(!again.contains(&token), "shown once");
    let mut invitee = app.browser();
    invitee
        .sign_up("Ivy", "ivy@example.com", "password-123")
        .await
        .expect("sign up");
    invitee
        .call("invitations/accept", &[("token", &token)])
        .await
        .expect("the shown link works");
}

#[tokio::test]
async fn invitations_to_a_suspended_workspace_cannot_be_accepted() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Suspended").await;
        let token = owner.invite(&ws, "agent").await;
        let admin = msgbuddy_core::accounts::sign_up(
            &app.db,
            &msgbuddy_domain::values::Email::parse("staff@example.com").expect("email"),
            &msgbuddy_domain::values::PersonName::parse("Staff").expect("name"),
            &msgbuddy_domain::values::NewPassword::parse("password-123").expect("pw"),
        )
        .await
        .expect("staff");
        let admin = msgbuddy_core::accounts::set_platform_admin(
            &app.db,
            &msgbuddy_domain::values::Email::parse(&admin.email).expect("email"),
            true,
        )
        .await
        .expect("platform admin");
        msgbuddy_core::platform::set_suspended(&app.bus, &admin, None, &ws, true)
            .await
            .expect("suspended");
        let mut invitee = app.browser();
        invitee
            .sign_up("Ivy", "ivy@example.com", "password-123")
            .await
            .expect("sign up");
        let e = invitee
            .call("invitations/accept", &[("token", &token)])
            .await
            .expect_err("suspended");
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert_eq!(
            e.details.as_ref().expect("details")["reason"],
            "workspace_suspended"
        );
        let (status, body) = invitee.page(&format!("/invite/{token}")).await;
        assert_eq!(status, 403);
        assert!(body.contains("suspended"));
        let members: i64 = sqlx::query("SELECT COUNT(*) FROM memberships WHERE workspace_id = $1")
            .bind(&ws)
            .fetch_one(app.db.reader())
            .await
            .expect("count")
            .try_get(0)
            .expect("n");
        assert_eq!(members, 1, "nobody joined");
    }
}

#[tokio::test]
async fn every_role_lists_members_and_nobody_replays_events_from_before_they_joined() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Members").await;
        // History the newcomer must not be shown: an invitation with an email, a member.
        owner
            .call(
                "invitations/create",
                &[
                    ("workspace_id", &ws),
                    ("role", "admin"),
                    ("email", "secret-hire@example.com"),
                ],
            )
            .await
            .expect("invitation");
        member_with_role(&app, &mut owner, &ws, "agent").await;
        let before = app.bus.latest_seq(&ws).await.expect("seq");

        let (mut viewer, viewer_id) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let list = viewer
            .call("members/list", &[("workspace_id", &ws)])
            .await
            .expect("viewers list members");
        assert_eq!(list["members"].as_array().map(Vec::len), Some(3));
        assert_eq!(list["can_manage"], false);

        let mut sse = SseReader::open(&viewer, &ws, Some(0)).await;
        member_with_role(&app, &mut owner, &ws, "auditor").await;
        let seen = sse.take(2).await;
        assert!(!seen.is_empty(), "live events after joining arrive");
        assert!(
            seen.iter().all(|e| e.id > before),
            "nothing from before the viewer joined: {seen:?}"
        );
        assert!(
            seen.iter().all(
                |e| e.data.get("user_id").and_then(|v| v.as_str()) != Some(&viewer_id)
                    || e.name != "member.joined"
            ),
            "not even their own arrival: {seen:?}"
        );
        assert!(seen.iter().any(|e| e.name == "member.joined"));
    }
}

/// What a customer writes is untrusted: on the list, the thread, search and the Starred
/// page it is text, escaped; only its `http(s)://` addresses become links, which open
/// apart and pass nothing on.
#[tokio::test]
async fn a_customers_markup_is_shown_as_text_and_only_web_addresses_are_links() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Untrusted").await;
        let hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)> \
                       javascript:alert(3) track https://shop.example/t?a=1&b=\"2\" now";
        let chat =
            crate::inbox::customer_writes(&app, &mut owner, &ws, "+15550970001", hostile).await;
        let message: String = sqlx::query("SELECT id FROM messages WHERE conversation_id = $1")
            .bind(&chat)
            .fetch_one(app.db.reader())
            .await
            .expect("the message")
            .try_get(0)
            .expect("id");
        owner
            .call(
                "messages/star",
                &[("workspace_id", &ws), ("message_id", &message), ("on", "1")],
            )
            .await
            .expect("starred");
        for path in [
            format!("/w/{ws}/conversations"),
            format!("/w/{ws}/conversations/{chat}"),
            format!("/w/{ws}/search?q=track"),
            format!("/w/{ws}/starred"),
        ] {
            let (status, body) = owner.page(&path).await;
            assert_eq!(status, 200, "{path}");
            assert_inert(&path, &body);
            assert!(!body.contains("href=\"javascript:"), "{path}");
            // Search shows the words around the match (PostgreSQL's headline may leave the
            // start out); the other pages show the message whole.
            if path.contains("/search") {
                assert!(body.contains(">track</mark>"), "found: {path}");
            } else {
                assert!(
                    body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                    "{path}"
                );
            }
        }
        let (_, thread) = owner.page(&format!("/w/{ws}/conversations/{chat}")).await;
        assert!(
            thread.contains(
                "<a href=\"https://shop.example/t?a=1&amp;b=\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\""
            ),
            "the address is a safe link, cut at the quote"
        );
    }
}
