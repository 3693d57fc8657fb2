use crate::helpers::{Browser, TestApp, TestDb, backends, unique_email};
use msgbuddy_domain::ErrorCode;

#[tokio::test]
async fn sign_up_log_out_and_log_in_again() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut b = app.browser();
        let email = unique_email("ana");
        b.sign_up("Ana", &email, "correct horse battery")
            .await
            .expect("sign up");
        let me = b.call("me", &[]).await.expect("me");
        assert_eq!(me["user"]["email"], email.as_str());
        b.call("auth/logout", &[]).await.expect("log out");
        let (status, _) = b.page("/account").await;
        assert_eq!(status, 302, "logged out: the account page sends to login");
        assert_eq!(
            b.call("me", &[]).await.expect("me"),
            serde_json::Value::Null
        );
        b.log_in(&email.to_uppercase(), "correct horse battery")
            .await
            .expect("log in, email case-insensitive");
        assert_eq!(
            b.call("me", &[]).await.expect("me")["user"]["email"],
            email.as_str()
        );
    }
}

#[tokio::test]
async fn bad_sign_ups_are_refused_with_a_clear_message() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let mut b = app.browser();
    let short = b
        .call(
            "auth/signup",
            &[
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("password", "short"),
            ],
        )
        .await;
    let short = short.expect_err("short password refused");
    assert_eq!(short.code, ErrorCode::Validation);
    assert!(short.message.contains("at least 8"), "{}", short.message);
    let bad_email = b
        .call(
            "auth/signup",
            &[
                ("name", "Ana"),
                ("email", "not-an-email"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert_eq!(
        bad_email.expect_err("bad email").code,
        ErrorCode::Validation
    );
    let long = "p".repeat(64);
    b.sign_up("Ana", "ana@example.com", &long)
        .await
        .expect("a 64-character password is accepted");
    let mut other = app.browser();
    let taken = other
        .call(
            "auth/signup",
            &[
                ("name", "Eve"),
                ("email", "ana@example.com"),
                ("password", "whatever123"),
            ],
        )
        .await;
    let taken = taken.expect_err("taken email refused");
    assert!(
        !taken.message.to_lowercase().contains("exists"),
        "does not confirm the account exists: {}",
        taken.message
    );
}

#[tokio::test]
async fn login_errors_do_not_reveal_whether_an_email_exists() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let mut b = app.browser();
    b.sign_up("Ana", "ana@example.com", "password-123")
        .await
        .expect("sign up");
    let mut eve = app.browser();
    let wrong_password = eve
        .call(
            "auth/login",
            &[("email", "ana@example.com"), ("password", "nope-nope")],
        )
        .await
        .expect_err("refused");
    let no_account = eve
        .call(
            "auth/login",
            &[("email", "ghost@example.com"), ("password", "nope-nope")],
        )
        .await
        .expect_err("refused");
    assert_eq!(wrong_password, no_account);
}

#[tokio::test]
async fn session_id_is_rotated_at_login_and_the_old_one_is_dead() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut setup = app.browser();
        setup
            .sign_up("Ana", "ana@example.com", "password-123")
            .await
            .expect("sign up");
        // Anonymous visitors have no session to fix, so the id to rotate is one that
        // existed before this login: the browser's earlier session.
        let mut b = app.browser();
        b.log_in("ana@example.com", "password-123")
            .await
            .expect("first log in");
        let before = b.session_cookie().expect("a session after the first login");
        b.log_in("ana@example.com", "password-123")
            .await
            .expect("log in");
        let after = b.session_cookie().expect("session after login");
        assert_ne!(before, after, "login must issue a new session id");
        let (status, _) = b.page("/account").await;
        assert_eq!(status, 200, "the new session is logged in");
        let mut stale = Browser::with_session_cookie(&app.base, &before);
        let (status, _) = stale.page("/account").await;
        assert_eq!(status, 302, "the pre-login session id is not logged in");
    }
}

#[tokio::test]
async fn changing_the_password_revokes_every_other_session() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut laptop = app.browser();
        laptop
            .sign_up("Ana", "ana@example.com", "password-123")
            .await
            .expect("sign up");
        let mut phone = app.browser();
        phone
            .log_in("ana@example.com", "password-123")
            .await
            .expect("log in on phone");
        assert!(phone.call("me", &[]).await.expect("me").is_object());

        let wrong = laptop
            .call(
                "account/password",
                &[
                    ("current_password", "not-it-123"),
                    ("new_password", "new-password-456"),
                ],
            )
            .await;
        assert_eq!(
            wrong.expect_err("wrong current password").code,
            ErrorCode::Validation
        );
        assert!(
            phone.call("me", &[]).await.expect("me").is_object(),
            "a failed change revokes nothing"
        );

        laptop
            .call(
                "account/password",
                &[
                    ("current_password", "password-123"),
                    ("new_password", "new-password-456"),
                ],
            )
            .await
            .expect("password changed");
        laptop.page("/account").await;
        assert!(
            laptop.call("me", &[]).await.expect("me").is_object(),
            "the session that changed it stays logged in"
        );
        let (status, _) = phone.page("/account").await;
        assert_eq!(
            status, 302,
            "the other session is gone: its next page load asks for login"
        );
        assert_eq!(
            phone.call("me", &[]).await.expect("me"),
            serde_json::Value::Null
        );
        let mut again = app.browser();
        assert!(
            again
                .log_in("ana@example.com", "password-123")
                .await
                .is_err(),
            "old password no longer works"
        );
        again
            .log_in("ana@example.com", "new-password-456")
            .await
            .expect("new password works");
    }
}

#[tokio::test]
async fn login_rate_limit_kicks_in_per_account() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_LOGIN_LIMIT_PER_ACCOUNT", "3")]).await;
        let mut setup = app.browser();
        setup
            .sign_up("Ana", "ana@example.com", "password-123")
            .await
            .expect("sign up");
        let mut attacker = app.browser();
        for _ in 0..3 {
            let e = attacker
                .call(
                    "auth/login",
                    &[("email", "ana@example.com"), ("password", "guess-guess")],
                )
                .await;
            assert_eq!(e.expect_err("wrong password").code, ErrorCode::Validation);
        }
        let blocked = attacker
            .call(
                "auth/login",
                &[("email", "ana@example.com"), ("password", "password-123")],
            )
            .await;
        assert_eq!(
            blocked.expect_err("limited").code,
            ErrorCode::RateLimited,
            "even the right password waits"
        );
    }
}

#[tokio::test]
async fn login_rate_limit_kicks_in_per_ip() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[("MSGBUDDY_LOGIN_LIMIT_PER_IP", "4")]).await;
    let mut b = app.browser();
    for i in 0..4 {
        let email = format!("user{i}@example.com");
        let e = b
            .call(
                "auth/login",
                &[("email", &email), ("password", "guess-guess")],
            )
            .await;
        assert_eq!(e.expect_err("no such user").code, ErrorCode::Validation);
    }
    let e = b
        .call(
            "auth/login",
            &[("email", "user9@example.com"), ("password", "guess-guess")],
        )
        .await;
    assert_eq!(e.expect_err("limited").code, ErrorCode::RateLimited);
}
