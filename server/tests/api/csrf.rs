use crate::helpers::{TestApp, TestDb, serde_urlencoded};
use reqwest::header::{ACCEPT, CONTENT_TYPE, ORIGIN};

async fn logged_in_owner(app: &TestApp) -> (crate::helpers::Browser, String) {
    let mut b = app.browser();
    b.sign_up("Ana", "ana@example.com", "password-123")
        .await
        .expect("sign up");
    let ws = b.create_workspace("Acme").await;
    (b, ws)
}

async fn workspace_name(b: &mut crate::helpers::Browser, ws: &str) -> String {
    let v = b
        .call("workspaces/settings", &[("workspace_id", ws)])
        .await
        .expect("settings");
    v["settings"]["name"].as_str().expect("name").to_owned()
}

#[tokio::test]
async fn a_mutation_without_the_csrf_token_is_rejected_and_changes_nothing() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut b, ws) = logged_in_owner(&app).await;
    let body = serde_urlencoded(&[("workspace_id", &ws), ("name", "Hijacked")]);
    let res = b
        .client
        .post(format!("{}/api/workspaces/create", app.base))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403);
    let err: serde_json::Value = res.json().await.expect("json error");
    assert_eq!(err["error"]["code"], "csrf");
    let me = b.call("me", &[]).await.expect("me");
    assert_eq!(
        me["workspaces"].as_array().map(Vec::len),
        Some(1),
        "no workspace was created"
    );
}

#[tokio::test]
async fn a_wrong_token_or_a_cross_site_origin_is_rejected() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut b, ws) = logged_in_owner(&app).await;
    let url = format!("{}/api/workspaces/create", app.base);
    let wrong = serde_urlencoded(&[("name", "Evil"), ("csrf_token", "not-the-token")]);
    let res = b
        .client
        .post(&url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(wrong)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403);
    let right_token_wrong_origin = serde_urlencoded(&[("name", "Evil"), ("csrf_token", &b.csrf)]);
    let res = b
        .client
        .post(&url)
        .header(ORIGIN, "https://evil.example")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(right_token_wrong_origin)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403);
    let html = b
        .client
        .post(&url)
        .header(ACCEPT, "text/html")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("name=Evil")
        .send()
        .await
        .expect("request");
    assert_eq!(html.status(), 403);
    assert!(
        html.text().await.unwrap_or_default().contains("csrf-error"),
        "a form post gets a readable page"
    );
    assert_eq!(workspace_name(&mut b, &ws).await, "Acme");
}

#[tokio::test]
async fn the_csrf_layer_reads_the_token_from_the_header_first() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (b, _) = logged_in_owner(&app).await;
    let post = |header: String, body: String| {
        b.client
            .post(format!("{}/api/workspaces/create", app.base))
            .header("x-csrf-token", header)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
    };
    // The right header passes the layer; the function itself still wants its argument.
    let res = post(b.csrf.clone(), "name=Second".into())
        .await
        .expect("request");
    let err = crate::helpers::decode_call(res)
        .await
        .expect_err("missing argument");
    assert_eq!(
        err.code,
        msgbuddy_domain::ErrorCode::Validation,
        "reached the function: {err:?}"
    );
    // A wrong header is refused even when the form carries the right token.
    let body = serde_urlencoded(&[("name", "Third"), ("csrf_token", &b.csrf)]);
    let res = post("wrong".into(), body).await.expect("request");
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn get_requests_change_nothing() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut b, ws) = logged_in_owner(&app).await;
    let res = b
        .client
        .get(format!(
            "{}/api/workspaces/create?name=ViaGet&csrf_token={}",
            app.base, b.csrf
        ))
        .send()
        .await
        .expect("request");
    assert!(
        !res.status().is_success(),
        "server functions do not answer GET: {}",
        res.status()
    );
    let me = b.call("me", &[]).await.expect("me");
    assert_eq!(me["workspaces"].as_array().map(Vec::len), Some(1));
    assert_eq!(workspace_name(&mut b, &ws).await, "Acme");
}
