use crate::helpers::{TestApp, TestDb, backends};

#[tokio::test]
async fn healthz_reports_the_database_backend_and_version() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let res = reqwest::get(format!("{}/healthz", app.base))
            .await
            .expect("healthz");
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], backend.as_str());
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    }
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_gone() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    app.db.close().await;
    let res = reqwest::get(format!("{}/healthz", app.base))
        .await
        .expect("healthz");
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
}

#[tokio::test]
async fn unknown_pages_are_404_pages() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let mut b = app.browser();
    let (status, body) = b.page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(body.contains("data-testid=\"not-found\""));
}
