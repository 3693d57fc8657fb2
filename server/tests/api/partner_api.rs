//! The partner REST API: keys, messages, idempotency, test mode, rate limits, tenants and
//! the OpenAPI document.

use crate::helpers::{Browser, TestApp, TestDb, backends, owner_with_workspace, settle};
use msgbuddy_core::Actor;
use msgbuddy_domain::Permission;
use msgbuddy_messaging::api_keys::{self, Mode};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn key(
    app: &TestApp,
    owner: &mut Browser,
    ws: &str,
    mode: Mode,
    rate: Option<i64>,
) -> String {
    let user = owner.user_id().await;
    let member = msgbuddy_core::workspaces::access(&app.db, &user, ws, Permission::WorkspaceView)
        .await
        .expect("member");
    let actor = Actor {
        user_id: user,
        ip: None,
    };
    api_keys::create(&app.messaging, &member, &actor, "Partner", mode, rate)
        .await
        .expect("key")
        .secret
}

struct Api<'a> {
    app: &'a TestApp,
    key: String,
}

impl Api<'_> {
    async fn post(
        &self,
        body: Value,
        idempotency: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.post_raw(body.to_string(), idempotency).await
    }

    /// Posts a body as written (JSON objects keep their order).
    async fn post_raw(
        &self,
        body: String,
        idempotency: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("{}/api/v1/messages", self.app.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body);
        if let Some(k) = idempotency {
            req = req.header("Idempotency-Key", k);
        }
        let res = req.send().await.expect("request");
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.json().await.unwrap_or_default())
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", self.app.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or_default())
    }
}

/// The Sandbox's receipts at once.
async fn instant_sandbox(owner: &mut Browser, ws: &str) {
    let list = owner
        .call("channels/list", &[("workspace_id", ws)])
        .await
        .expect("channels");
    let id = list["channels"][0]["id"]
        .as_str()
        .expect("sandbox")
        .to_owned();
    owner
        .call(
            "channels/update",
            &[
                ("workspace_id", ws),
                ("channel_id", &id),
                ("name", "Sandbox"),
                ("values[delivered_after_ms]", "0"),
                ("values[read_after_ms]", "0"),
            ],
        )
        .await
        .expect("settings");
}

#[tokio::test]
async fn the_api_queues_a_template_reads_it_back_and_lists_with_filters() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Partner").await;
        instant_sandbox(&mut owner, &ws).await;
        owner
            .call(
                "api-keys/price",
                &[
                    ("workspace_id", &ws),
                    ("kind", "sandbox"),
                    ("price", "0.012"),
                ],
            )
            .await
            .expect("price");
        let api = Api {
            app: &app,
            key: key(&app, &mut owner, &ws, Mode::Live, None).await,
        };

        // The seed's own example, on the Sandbox.
        let (status, headers, queued) = api
            .post_raw(
                r#"{ "channel": "sandbox", "to": "+15551234567", "template": "order_confirmation", "language": "en",
                     "variables": { "name": "Nayeem", "order_id": "TR-204821", "eta": "15 minutes" } }"#.to_owned(),
                Some("7f3e2c1a-9b8d-4f6e-a2c1-b3d4e5f6a7b8"),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
        assert!(
            queued["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("msg_"))
        );
        assert_eq!(queued["status"], "queued");
        assert_eq!(queued["channel"], "sandbox");
        assert_eq!(queued["cost_estimate"], "0.012");
        assert!(
            msgbuddy_domain::time::parse_rfc3339_utc(queued["created_at"].as_str().expect("time"))
                .is_some()
        );
        assert_eq!(headers["ratelimit-limit"], "600");
        assert_eq!(headers["ratelimit-remaining"], "599");
        let id = queued["id"].as_str().expect("id").to_owned();

        let (status, message) = api.get(&format!("/api/v1/messages/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(message["status"], "queued");
        assert_eq!(
            message["content"]["parameters"],
            json!(["Nayeem", "TR-204821", "15 minutes"])
        );
        settle(&app).await;
        let (_, message) = api.get(&format!("/api/v1/messages/{id}")).await;
        assert_eq!(message["status"], "read", "{}", backend.as_str());
        assert_eq!(message["test"], false);

        for i in 0..3 {
            let (status, _, _) = api.post(json!({ "channel": "sandbox", "to": format!("+1555000{i:04}"), "text": format!("Hello {i}") }), None).await;
            assert_eq!(status, StatusCode::ACCEPTED);
        }
        let (_, page) = api.get("/api/v1/messages?limit=2&direction=outbound").await;
        assert_eq!(page["data"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            page["data"][0]["content"]["body"], "Hello 2",
            "newest first"
        );
        let cursor = page["next_cursor"].as_str().expect("more").to_owned();
        let (_, rest) = api
            .get(&format!(
                "/api/v1/messages?limit=2&direction=outbound&cursor={cursor}"
            ))
            .await;
        assert_eq!(rest["data"].as_array().map(Vec::len), Some(2));
        let (_, done) = api.get("/api/v1/messages?status=read").await;
        assert_eq!(done["data"].as_array().map(Vec::len), Some(1));
        let (_, queued_only) = api.get("/api/v1/messages?status=queued").await;
        assert_eq!(queued_only["data"].as_array().map(Vec::len), Some(3));
        let conversation = message["conversation_id"].as_str().expect("conversation");
        let (_, by_conversation) = api
            .get(&format!("/api/v1/messages?conversation_id={conversation}"))
            .await;
        assert_eq!(by_conversation["data"].as_array().map(Vec::len), Some(1));
        let (_, future) = api.get("/api/v1/messages?since=2999-01-01T00:00:00Z").await;
        assert_eq!(future["data"].as_array().map(Vec::len), Some(0));

        // Bad input: a clear error in the envelope, nothing stored.
        for (body, field) in [
            (
                json!({ "channel": "sandbox", "to": "+15550000001", "txt": "typo" }),
                None,
            ),
            (
                json!({ "channel": "whatsapp", "to": "+15550000001", "text": "hi" }),
                Some("channel"),
            ),
            (
                json!({ "channel": "sandbox", "to": "not a phone", "text": "hi" }),
                Some("to"),
            ),
            (
                json!({ "channel": "sandbox", "to": "+15550000001" }),
                Some("text"),
            ),
        ] {
            let (status, _, error) = api.post(body.clone(), None).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
            assert_eq!(error["error"]["code"], "validation");
            if let Some(field) = field {
                assert_eq!(error["error"]["details"]["field"], field, "{error}");
            }
        }
        let (status, error) = api.get("/api/v1/messages?since=yesterday").await;
        assert_eq!(
            (status, error["error"]["details"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("since"))
        );
        let (_, all) = api.get("/api/v1/messages?limit=200").await;
        assert_eq!(all["data"].as_array().map(Vec::len), Some(4));

        // Keys: none, a wrong one, a revoked one.
        for bad in ["", "ak_live_wrong", "Bearer-less"] {
            let res = reqwest::Client::new()
                .get(format!("{}/api/v1/messages", app.base))
                .header("authorization", format!("Bearer {bad}"))
                .send()
                .await
                .expect("request");
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let user = owner.user_id().await;
        let member =
            msgbuddy_core::workspaces::access(&app.db, &user, &ws, Permission::WorkspaceView)
                .await
                .expect("member");
        let key_id = api_keys::list(&app.messaging, &member).await.expect("keys")[0]
            .id
            .clone();
        owner
            .call(
                "api-keys/revoke",
                &[("workspace_id", &ws), ("key_id", &key_id)],
            )
            .await
            .expect("revoked");
        assert_eq!(
            api.get("/api/v1/messages").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_another_body_and_a_call_in_flight_per_workspace_and_mode() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Idempotent").await;
        let live = Api {
            app: &app,
            key: key(&app, &mut owner, &ws, Mode::Live, None).await,
        };
        let test = Api {
            app: &app,
            key: key(&app, &mut owner, &ws, Mode::Test, None).await,
        };
        let body = json!({ "channel": "sandbox", "to": "+15551230000", "text": "Once" });

        let (s1, _, first) = live.post(body.clone(), Some("key-1")).await;
        let (s2, headers, again) = live.post(body.clone(), Some("key-1")).await;
        assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
        assert_eq!(first, again, "the saved answer");
        assert_eq!(headers["idempotent-replayed"], "true");
        let (status, _, error) = live
            .post(
                json!({ "channel": "sandbox", "to": "+15551230000", "text": "Twice?" }),
                Some("key-1"),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error["error"]["details"]["reason"], "key_reused");

        // The same key in test mode is another key.
        let (status, _, in_test) = test.post(body.clone(), Some("key-1")).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_ne!(in_test["id"], first["id"]);
        // ...and in another workspace.
        let mut other = app.browser();
        other
            .sign_up("Oscar", "oscar@example.com", "password-123")
            .await
            .expect("sign up");
        let other_ws = other.create_workspace("Other").await;
        let elsewhere = Api {
            app: &app,
            key: key(&app, &mut other, &other_ws, Mode::Live, None).await,
        };
        let (status, _, theirs) = elsewhere.post(body.clone(), Some("key-1")).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_ne!(theirs["id"], first["id"]);

        // A call still being answered: 409.
        let hash = msgbuddy_core::crypto::token_hash(&format!("POST /api/v1/messages\n{body}"));
        msgbuddy_messaging::idempotency::begin(app.messaging.db(), &ws, "live", "key-2", &hash)
            .await
            .expect("claimed");
        let (status, _, error) = live.post(body.clone(), Some("key-2")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");
        assert_eq!(error["error"]["details"]["reason"], "in_flight");
        let (status, _, _) = live
            .post(body.clone(), Some("x".repeat(300).as_str()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let (_, list) = live.get("/api/v1/messages").await;
        assert_eq!(
            list["data"].as_array().map(Vec::len),
            Some(1),
            "one message for the replayed key, {}",
            backend.as_str()
        );
    }
}

#[tokio::test]
async fn test_keys_see_only_test_data_and_the_sandbox_serves_every_channel() {
    for backend in backends() {
        let bot = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path_regex("/bot.*/getMe$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": { "id": 1, "is_bot": true, "first_name": "Shop", "username": "shop_bot" } })))
            .mount(&bot)
            .await;
        Mock::given(method("POST"))
            .and(path_regex("/bot.*/setWebhook$"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": true })),
            )
            .mount(&bot)
            .await;
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_TELEGRAM_API_URL", &bot.uri())]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Modes").await;
        instant_sandbox(&mut owner, &ws).await;
        owner
            .call(
                "channels/create",
                &[
                    ("workspace_id", &ws),
                    ("kind", "telegram"),
                    ("name", "Bot"),
                    ("values[bot_token]", "1:abc"),
                ],
            )
            .await
            .expect("telegram");
        let live = Api {
            app: &app,
            key: key(&app, &mut owner, &ws, Mode::Live, None).await,
        };
        let test = Api {
            app: &app,
            key: key(&app, &mut owner, &ws, Mode::Test, None).await,
        };

        let (_, _, live_msg) = live
            .post(
                json!({ "channel": "sandbox", "to": "+15552220000", "text": "live" }),
                None,
            )
            .await;
        let (status, _, test_msg) = test
            .post(
                json!({ "channel": "telegram", "to": "424242", "text": "test" }),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{test_msg}");
        assert_eq!(test_msg["channel"], "telegram", "the same answer as live");
        settle(&app).await;

        assert_eq!(
            test.get(&format!(
                "/api/v1/messages/{}",
                live_msg["id"].as_str().expect("id")
            ))
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            live.get(&format!(
                "/api/v1/messages/{}",
                test_msg["id"].as_str().expect("id")
            ))
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        let (_, test_list) = test.get("/api/v1/messages").await;
        assert_eq!(test_list["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(test_list["data"][0]["test"], true);
        let (_, test_one) = test
            .get(&format!(
                "/api/v1/messages/{}",
                test_msg["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(
            test_one["status"],
            "read",
            "the Sandbox's receipts, {}",
            backend.as_str()
        );
        let sends = bot.received_requests().await.expect("recorded");
        assert!(
            sends
                .iter()
                .all(|r| !r.url.path().ends_with("/sendMessage")),
            "nothing left the machine"
        );
        let (_, live_list) = live.get("/api/v1/messages").await;
        assert_eq!(live_list["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(live_list["data"][0]["test"], false);
        let ui_live = owner
            .call(
                "conversations/list",
                &[("workspace_id", &ws), ("test", "false")],
            )
            .await
            .expect("ui");
        assert_eq!(
            ui_live["conversations"].as_array().map(Vec::len),
            Some(1),
            "the live inbox shows no test data"
        );
    }
}

#[tokio::test]
async fn keys_have_their_own_rate_limit_and_tenants_stay_apart() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut owner, ws) = owner_with_workspace(&app, "Limits").await;
    let limited = Api {
        app: &app,
        key: key(&app, &mut owner, &ws, Mode::Live, Some(3)).await,
    };
    for _ in 0..3 {
        assert_eq!(limited.get("/api/v1/messages").await.0, StatusCode::OK);
    }
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/messages", app.base))
        .bearer_auth(&limited.key)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    assert_eq!(
        res.json::<Value>().await.expect("json")["error"]["code"],
        "rate_limited"
    );

    let mine = Api {
        app: &app,
        key: key(&app, &mut owner, &ws, Mode::Live, None).await,
    };
    let (_, _, queued) = mine
        .post(
            json!({ "channel": "sandbox", "to": "+15553330000", "text": "mine" }),
            None,
        )
        .await;
    let mut other = app.browser();
    other
        .sign_up("Oscar", "oscar@example.com", "password-123")
        .await
        .expect("sign up");
    let other_ws = other.create_workspace("Other").await;
    let theirs = Api {
        app: &app,
        key: key(&app, &mut other, &other_ws, Mode::Live, None).await,
    };
    assert_eq!(
        theirs
            .get(&format!(
                "/api/v1/messages/{}",
                queued["id"].as_str().expect("id")
            ))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _, error) = theirs
        .post(
            json!({ "channel_id": queued["channel_id"], "to": "+15553330000", "text": "hijack" }),
            None,
        )
        .await;
    let _ = error;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = theirs.get("/api/v1/messages").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn the_openapi_document_and_the_docs_page_describe_the_api() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let post = &doc["paths"]["/api/v1/messages"]["post"];
    assert!(post["responses"]["202"].is_object());
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SendRequest"
    );
    assert!(doc["paths"]["/api/v1/messages/{id}"]["get"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ApiMessage"]["properties"]["cost_estimate"].is_object());
    let page = reqwest::get(format!("{}/api/docs", app.base))
        .await
        .expect("docs");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("script-src 'none'"),
        "the docs page needs no script: {csp}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("/api/v1/messages") && html.contains("SendRequest"));
    assert!(!html.contains("<script"), "and loads nothing from outside");
}
