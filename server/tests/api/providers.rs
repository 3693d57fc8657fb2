//! The real providers' wire formats, end to end: a local server stands in for the Meta
//! Graph API, the Telegram Bot API and Twilio, and answers in their documented shapes;
//! everything of msgbuddy's is real.

use crate::helpers::{Browser, TestApp, TestDb, backends, owner_with_workspace};
use msgbuddy_channels::signature;
use msgbuddy_domain::message::Content;
use msgbuddy_domain::{ErrorCode, Permission};
use msgbuddy_messaging::{dispatch, inbound, messages};
use serde_json::{Value, json};
use sqlx::Row;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PNID: &str = "106540352242922";
const WABA: &str = "102290129340398";
const APP_SECRET: &str = "meta-app-secret";

fn fast() -> dispatch::Settings {
    dispatch::Settings {
        retry_base: Duration::from_millis(20),
        ..Default::default()
    }
}

/// Runs the worker's steps until nothing is due (or `rounds` passes).
async fn settle(app: &TestApp, rounds: usize) {
    for _ in 0..rounds {
        let sent = dispatch::dispatch_due(&app.messaging, "test", &fast())
            .await
            .expect("dispatch");
        let processed = inbound::process_due(&app.messaging, 500)
            .await
            .expect("process");
        if sent == 0 && processed == 0 {
            return;
        }
    }
}

async fn create_channel(
    owner: &mut Browser,
    ws: &str,
    kind: &str,
    values: &[(&str, &str)],
) -> Value {
    let mut form: Vec<(String, String)> = vec![
        ("workspace_id".into(), ws.into()),
        ("kind".into(), kind.into()),
        ("name".into(), format!("{kind} line")),
    ];
    for (k, v) in values {
        form.push((format!("values[{k}]"), (*v).to_owned()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    owner.call("channels/create", &form).await.expect("created");
    let list = owner
        .call("channels/list", &[("workspace_id", ws)])
        .await
        .expect("list");
    list["channels"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["kind"] == kind))
        .cloned()
        .expect("the new channel")
}

async fn post(
    app: &TestApp,
    path_and_query: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path_and_query}", app.base))
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.expect("webhook");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

fn meta_signature(body: &[u8]) -> String {
    format!(
        "sha256={}",
        signature::hex(&signature::hmac_sha256(APP_SECRET.as_bytes(), body))
    )
}

fn whatsapp_text(from: &str, id: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": WABA, "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": PNID },
            "contacts": [{ "profile": { "name": "Sheena Nelson" }, "wa_id": from }],
            "messages": [{ "from": from, "id": id, "timestamp": (msgbuddy_core::db::now_ms() / 1000).to_string(), "type": "text", "text": { "body": text } }]
        }}]}]
    }))
    .expect("json")
}

fn whatsapp_status(wamid: &str, status: &str, reference: Option<&str>) -> Vec<u8> {
    let mut s = json!({ "id": wamid, "status": status, "timestamp": "1750263773", "recipient_id": "16505551234" });
    if let Some(r) = reference {
        s["biz_opaque_callback_data"] = json!(r);
    }
    if status == "failed" {
        s["errors"] = json!([{ "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable", "error_data": { "details": "Message Undeliverable." } }]);
    }
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": WABA, "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": PNID },
            "statuses": [s]
        }}]}]
    }))
    .expect("json")
}

async fn graph_api() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/{PNID}")))
        .and(header("authorization", "Bearer EAAG-test-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "display_phone_number": "+1 555-078-3881", "verified_name": "Jasper's Market",
            "quality_rating": "GREEN", "id": PNID
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{WABA}/subscribed_apps")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [] })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/{WABA}/subscribed_apps")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
        .mount(&server)
        .await;
    server
}

/// Answers sends with a new `wamid` each time, like Meta.
struct Accepts(AtomicUsize);

impl Respond for Accepts {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        let to = serde_json::from_slice::<Value>(&request.body)
            .map(|b| b["to"].clone())
            .unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": to, "wa_id": to }],
            "messages": [{ "id": format!("wamid.TEST{n}"), "message_status": "accepted" }]
        }))
    }
}

async fn whatsapp_channel(app: &TestApp, owner: &mut Browser, ws: &str) -> String {
    let channel = create_channel(
        owner,
        ws,
        "whatsapp",
        &[
            ("phone_number_id", PNID),
            ("waba_id", WABA),
            ("app_id", "1234"),
            ("app_secret", APP_SECRET),
            ("access_token", "EAAG-test-token"),
            ("verify_token", "verify me"),
        ],
    )
    .await;
    assert_eq!(channel["status"], "good", "{channel}");
    assert!(
        channel["status_detail"]
            .as_str()
            .is_some_and(|d| d.contains("Jasper's Market"))
    );
    assert_eq!(
        channel["secrets"],
        json!([
            ["app_secret", "••••cret"],
            ["access_token", "••••oken"],
            ["verify_token", "••••y me"]
        ]),
        "secrets never leave the server unmasked"
    );
    let _ = app;
    channel["id"].as_str().expect("id").to_owned()
}

/// Runs the media downloader once; the content of the message the provider calls `id`.
async fn after_download(app: &TestApp, id: &str) -> Value {
    msgbuddy_messaging::media::download_due(&app.messaging)
        .await
        .expect("download");
    let content = single(
        app,
        "SELECT content FROM messages WHERE provider_message_id = $1",
        id,
    )
    .await;
    serde_json::from_str(&content).expect("json")
}

async fn single(app: &TestApp, sql: &'static str, bind: &str) -> String {
    sqlx::query(sql)
        .bind(bind)
        .fetch_one(app.db.reader())
        .await
        .expect("row")
        .try_get(0)
        .expect("value")
}

#[tokio::test]
async fn whatsapp_connects_receives_sends_and_tracks_statuses_in_metas_formats() {
    for backend in backends() {
        let meta = graph_api().await;
        Mock::given(method("POST"))
            .and(path(format!("/{PNID}/messages")))
            .and(header("authorization", "Bearer EAAG-test-token"))
            .respond_with(Accepts(AtomicUsize::new(0)))
            .mount(&meta)
            .await;
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_WHATSAPP_API_URL", &meta.uri())]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "WhatsApp").await;
        let channel = whatsapp_channel(&app, &mut owner, &ws).await;
        owner
            .call(
                "channels/action",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", &channel),
                    ("action", "subscribe"),
                ],
            )
            .await
            .expect("subscribed");
        let view = owner
            .call(
                "channels/get",
                &[("workspace_id", &ws), ("channel_id", &channel)],
            )
            .await
            .expect("get");
        assert_eq!(view["channel"]["subscribed"], true);

        // Meta's subscription handshake.
        let hook = format!("/webhooks/{channel}");
        let challenge = reqwest::get(format!(
            "{}{hook}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify+me",
            app.base
        ))
        .await
        .expect("handshake");
        assert_eq!(
            (
                challenge.status().as_u16(),
                challenge.text().await.expect("text")
            ),
            (200, "1158201444".to_owned())
        );
        let wrong = reqwest::get(format!(
            "{}{hook}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope",
            app.base
        ))
        .await
        .expect("handshake");
        assert_eq!(wrong.status(), 401);

        // A bad signature stores nothing.
        let body = whatsapp_text("16505551234", "wamid.IN1", "Does it come in another color?");
        assert_eq!(
            post(
                &app,
                &hook,
                body.clone(),
                &[("x-hub-signature-256", "sha256=00".into())]
            )
            .await
            .0,
            401
        );
        assert_eq!(post(&app, &hook, body.clone(), &[]).await.0, 401);
        let stored: i64 = sqlx::query("SELECT COUNT(*) FROM webhook_events")
            .fetch_one(app.db.reader())
            .await
            .expect("n")
            .try_get(0)
            .expect("n");
        assert_eq!(stored, 0);

        // The customer writes (twice: Meta retries), which opens the 24-hour window.
        for _ in 0..2 {
            let (status, _) = post(
                &app,
                &hook,
                body.clone(),
                &[("x-hub-signature-256", meta_signature(&body))],
            )
            .await;
            assert_eq!(status, 200);
        }
        settle(&app, 5).await;
        let list = owner
            .call(
                "conversations/list",
                &[("workspace_id", &ws), ("test", "false")],
            )
            .await
            .expect("list");
        let conversation = list["conversations"][0].clone();
        assert_eq!(conversation["contact_name"], "Sheena Nelson");
        assert_eq!(conversation["contact_address"], "+16505551234");
        assert!(conversation["window_closes_at_ms"].as_i64().is_some());
        let conversation_id = conversation["id"].as_str().expect("id").to_owned();
        // The row counts the window down (24 hours from the customer's message, to the minute).
        let (_, page) = owner.page(&format!("/w/{ws}/conversations")).await;
        let countdown = page
            .split("data-testid=\"conversation-window\"")
            .nth(1)
            .and_then(|rest| rest.split_once('>'))
            .and_then(|(_, text)| text.split('<').next())
            .expect("a countdown in the row");
        assert!(
            ["Window: 24h 0m left", "Window: 23h 59m left"].contains(&countdown),
            "{countdown}"
        );
        let inbound_count: i64 =
            sqlx::query("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
                .fetch_one(app.db.reader())
                .await
                .expect("n")
                .try_get(0)
                .expect("n");
        assert_eq!(inbound_count, 1, "a retried webhook stores one message");

        // The reply goes out in Meta's request shape.
        owner
            .call(
                "conversations/send",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &conversation_id),
                    ("text", "Yes, in blue and red."),
                ],
            )
            .await
            .expect("sent");
        settle(&app, 5).await;
        let requests = meta.received_requests().await.expect("recorded");
        let send = requests
            .iter()
            .find(|r| r.url.path() == format!("/{PNID}/messages"))
            .expect("a send");
        let sent: Value = serde_json::from_slice(&send.body).expect("json");
        let message_id = single(
            &app,
            "SELECT id FROM messages WHERE direction = 'outbound' AND conversation_id = $1",
            &conversation_id,
        )
        .await;
        assert_eq!(sent["messaging_product"], "whatsapp");
        assert_eq!(sent["to"], "16505551234");
        assert_eq!(sent["type"], "text");
        assert_eq!(sent["text"]["body"], "Yes, in blue and red.");
        assert_eq!(sent["biz_opaque_callback_data"], message_id.as_str());
        let wamid = single(
            &app,
            "SELECT provider_message_id FROM messages WHERE id = $1",
            &message_id,
        )
        .await;
        assert_eq!(wamid, "wamid.TEST0");
        assert_eq!(
            single(
                &app,
                "SELECT status FROM messages WHERE id = $1",
                &message_id
            )
            .await,
            "sent"
        );

        // Receipts, out of order and repeated: read stays read; a later failure is ignored.
        for status in ["read", "delivered", "sent", "read", "failed"] {
            let body = whatsapp_status(&wamid, status, Some(&message_id));
            assert_eq!(
                post(
                    &app,
                    &hook,
                    body.clone(),
                    &[("x-hub-signature-256", meta_signature(&body))]
                )
                .await
                .0,
                200
            );
            settle(&app, 5).await;
        }
        assert_eq!(
            single(
                &app,
                "SELECT status FROM messages WHERE id = $1",
                &message_id
            )
            .await,
            "read",
            "{}",
            backend.as_str()
        );
        let history: Vec<String> =
            sqlx::query("SELECT status FROM message_statuses WHERE message_id = $1 ORDER BY id")
                .bind(&message_id)
                .fetch_all(app.db.reader())
                .await
                .expect("history")
                .iter()
                .map(|r| r.try_get(0).expect("s"))
                .collect();
        assert_eq!(history, vec!["pending", "sent", "read"]);

        // Outside the window only a template may go; the template goes in Meta's shape.
        let owner_id = owner.user_id().await;
        let member =
            msgbuddy_core::workspaces::access(&app.db, &owner_id, &ws, Permission::WorkspaceView)
                .await
                .expect("member");
        let sender = messages::Sender {
            member: &member,
            user_id: Some(&owner_id),
            source: "inbox",
            is_test: false,
        };
        let to = messages::To::Address {
            channel_id: &channel,
            address: "+16505550000",
            name: None,
        };
        let refused = messages::send(
            &app.messaging,
            sender,
            to,
            Content::Text { body: "Hi".into() },
            None,
        )
        .await
        .expect_err("window closed")
        .into_app_error();
        assert_eq!(refused.code, ErrorCode::Validation);
        assert_eq!(
            refused.details.expect("details")["rule"],
            "reply_window_closed"
        );
        let template = Content::Template {
            name: "order_confirmation".into(),
            language: "en".into(),
            parameters: vec!["Nayeem".into(), "TR-204821".into()],
        };
        messages::send(&app.messaging, sender, to, template, None)
            .await
            .expect("templates may go");
        settle(&app, 5).await;
        let requests = meta.received_requests().await.expect("recorded");
        let last: Value = serde_json::from_slice(
            &requests
                .iter()
                .rev()
                .find(|r| r.url.path().ends_with("/messages"))
                .expect("send")
                .body,
        )
        .expect("json");
        assert_eq!(last["type"], "template");
        assert_eq!(last["template"]["name"], "order_confirmation");
        assert_eq!(
            last["template"]["components"][0]["parameters"][1]["text"],
            "TR-204821"
        );

        // In the inbox, that conversation's composer is the template form (its window
        // never opened), and what it sends is a template with the parameters given.
        let closed = single(
            &app,
            "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.phone = $1",
            "+16505550000",
        )
        .await;
        let (_, html) = owner.page(&format!("/w/{ws}/conversations/{closed}")).await;
        assert!(html.contains("data-testid=\"template-composer\""));
        assert!(!html.contains("data-testid=\"composer-text\""));
        let err = owner
            .call(
                "conversations/send-template",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &closed),
                    ("name", "  "),
                    ("language", "en"),
                ],
            )
            .await
            .expect_err("no name");
        assert_eq!(err.details.expect("details")["field"], "template");
        owner
            .call(
                "conversations/send-template",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &closed),
                    ("name", "delivery_update"),
                    ("language", "en_US"),
                    ("parameters", "Nayeem\r\n\r\n  Tuesday \r\n"),
                ],
            )
            .await
            .expect("template sent from the inbox");
        settle(&app, 5).await;
        let requests = meta.received_requests().await.expect("recorded");
        let last: Value = serde_json::from_slice(
            &requests
                .iter()
                .rev()
                .find(|r| r.url.path().ends_with("/messages"))
                .expect("send")
                .body,
        )
        .expect("json");
        assert_eq!(last["template"]["name"], "delivery_update");
        assert_eq!(last["template"]["language"]["code"], "en_US");
        let parameters = &last["template"]["components"][0]["parameters"];
        assert_eq!(parameters[0]["text"], "Nayeem");
        assert_eq!(parameters[1]["text"], "Tuesday");
        assert!(parameters.get(2).is_none());
    }
}

/// Half the sends are refused: alternately a 429 (code 130429) and a 500; the other half
/// are accepted with a new id.
struct Flaky {
    calls: AtomicUsize,
}

impl Respond for Flaky {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        match n % 4 {
            0 => ResponseTemplate::new(429).set_body_json(json!({ "error": {
                "message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
                "error_data": { "messaging_product": "whatsapp", "details": "Cloud API message throughput has been reached." },
                "fbtrace_id": "A" } })),
            2 => ResponseTemplate::new(500).set_body_json(json!({ "error": {
                "message": "An unknown error occurred", "type": "OAuthException", "code": 1, "fbtrace_id": "B" } })),
            _ => ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp", "contacts": [],
                "messages": [{ "id": format!("wamid.FLAKY{n}") }] })),
        }
    }
}

#[tokio::test]
async fn a_provider_refusing_half_the_time_slows_the_sender_and_sends_each_message_once() {
    let meta = graph_api().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PNID}/messages")))
        .respond_with(Flaky {
            calls: AtomicUsize::new(0),
        })
        .mount(&meta)
        .await;
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[("MSGBUDDY_WHATSAPP_API_URL", &meta.uri())]).await;
    let (mut owner, ws) = owner_with_workspace(&app, "Flaky").await;
    let channel = whatsapp_channel(&app, &mut owner, &ws).await;
    let owner_id = owner.user_id().await;
    let member =
        msgbuddy_core::workspaces::access(&app.db, &owner_id, &ws, Permission::WorkspaceView)
            .await
            .expect("member");
    let sender = messages::Sender {
        member: &member,
        user_id: Some(&owner_id),
        source: "api",
        is_test: false,
    };
    for i in 0..12 {
        let to = format!("+1555020{i:04}");
        let template = Content::Template {
            name: "hello_world".into(),
            language: "en_US".into(),
            parameters: vec![],
        };
        messages::send(
            &app.messaging,
            sender,
            messages::To::Address {
                channel_id: &channel,
                address: &to,
                name: None,
            },
            template,
            None,
        )
        .await
        .expect("queued");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut slowed = false;
    loop {
        dispatch::dispatch_due(&app.messaging, "test", &fast())
            .await
            .expect("dispatch");
        slowed |= app.messaging.throttle.factor(&channel) < 1.0;
        let pending: i64 = sqlx::query("SELECT COUNT(*) FROM messages WHERE status = 'pending'")
            .fetch_one(app.db.reader())
            .await
            .expect("n")
            .try_get(0)
            .expect("n");
        if pending == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{pending} still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(slowed, "the 429s slowed the channel down");
    let rows = sqlx::query("SELECT status, error_code FROM messages")
        .fetch_all(app.db.reader())
        .await
        .expect("rows");
    for r in &rows {
        let status: String = r.try_get(0).expect("status");
        let code: Option<String> = r.try_get(1).expect("code");
        assert!(
            status == "sent" || (status == "failed" && code.is_some()),
            "{status} {code:?}"
        );
    }
    // Each accepted send is one message: no message was accepted twice.
    let requests = meta.received_requests().await.expect("recorded");
    let mut accepted_refs: Vec<String> = Vec::new();
    for (n, r) in requests
        .iter()
        .filter(|r| r.url.path().ends_with("/messages"))
        .enumerate()
    {
        if n % 4 == 1 || n % 4 == 3 {
            let body: Value = serde_json::from_slice(&r.body).expect("json");
            accepted_refs.push(
                body["biz_opaque_callback_data"]
                    .as_str()
                    .expect("ref")
                    .to_owned(),
            );
        }
    }
    let total = accepted_refs.len();
    accepted_refs.sort();
    accepted_refs.dedup();
    assert_eq!(accepted_refs.len(), total, "no message was accepted twice");
    let sent: i64 = sqlx::query("SELECT COUNT(*) FROM messages WHERE status = 'sent'")
        .fetch_one(app.db.reader())
        .await
        .expect("n")
        .try_get(0)
        .expect("n");
    assert_eq!(usize::try_from(sent).expect("n"), total);
}

#[tokio::test]
async fn telegram_registers_its_webhook_with_a_secret_and_speaks_the_bot_api() {
    for backend in backends() {
        let bot = MockServer::start().await;
        let token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
        Mock::given(method("POST"))
            .and(path(format!("/bot{token}/getMe")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": {
                "id": 123456, "is_bot": true, "first_name": "Shop", "username": "shop_bot" } })),
            )
            .mount(&bot)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/bot{token}/setWebhook")))
            .and(body_string_contains("secret_token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({ "ok": true, "result": true, "description": "Webhook was set" }),
            ))
            .mount(&bot)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/bot{token}/sendMessage")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": {
                "message_id": 55, "from": { "id": 123456, "is_bot": true, "first_name": "Shop" },
                "chat": { "id": 1111111, "first_name": "Test", "type": "private" }, "date": 1441645600, "text": "Hello back" } })))
            .mount(&bot)
            .await;
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_TELEGRAM_API_URL", &bot.uri())]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Telegram").await;
        let channel = create_channel(&mut owner, &ws, "telegram", &[("bot_token", token)]).await;
        assert_eq!(channel["status"], "good");
        assert_eq!(channel["status_detail"], "@shop_bot (Shop)");
        let channel = channel["id"].as_str().expect("id").to_owned();
        let requests = bot.received_requests().await.expect("recorded");
        let set: Value = serde_json::from_slice(
            &requests
                .iter()
                .find(|r| r.url.path().ends_with("/setWebhook"))
                .expect("setWebhook")
                .body,
        )
        .expect("json");
        assert_eq!(set["url"], format!("{}/webhooks/{channel}", app.base));
        let secret = set["secret_token"].as_str().expect("a secret").to_owned();
        assert!(secret.len() >= 32);

        let hook = format!("/webhooks/{channel}");
        let update = serde_json::to_vec(&json!({ "update_id": 10000, "message": {
            "message_id": 1365, "from": { "id": 1111111, "is_bot": false, "first_name": "Test", "last_name": "Lastname" },
            "chat": { "id": 1111111, "type": "private", "first_name": "Test" }, "date": 1441645532, "text": "Hi shop" } })).expect("json");
        assert_eq!(
            post(
                &app,
                &hook,
                update.clone(),
                &[("x-telegram-bot-api-secret-token", "guess".into())]
            )
            .await
            .0,
            401
        );
        assert_eq!(
            post(
                &app,
                &hook,
                update.clone(),
                &[("x-telegram-bot-api-secret-token", secret.clone())]
            )
            .await
            .0,
            200
        );
        settle(&app, 5).await;
        let list = owner
            .call(
                "conversations/list",
                &[("workspace_id", &ws), ("test", "false")],
            )
            .await
            .expect("list");
        assert_eq!(list["conversations"][0]["contact_name"], "Test Lastname");
        assert_eq!(list["conversations"][0]["contact_address"], "1111111");
        let conversation = list["conversations"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        owner
            .call(
                "conversations/send",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &conversation),
                    ("text", "Hello back"),
                ],
            )
            .await
            .expect("sent");
        settle(&app, 5).await;
        let requests = bot.received_requests().await.expect("recorded");
        let send: Value = serde_json::from_slice(
            &requests
                .iter()
                .find(|r| r.url.path().ends_with("/sendMessage"))
                .expect("sendMessage")
                .body,
        )
        .expect("json");
        assert_eq!(send["chat_id"], 1_111_111);
        assert_eq!(send["text"], "Hello back");
        assert_eq!(
            single(
                &app,
                "SELECT provider_message_id FROM messages WHERE direction = $1",
                "outbound"
            )
            .await,
            "1111111:55"
        );
        assert_eq!(
            single(
                &app,
                "SELECT status FROM messages WHERE direction = $1",
                "outbound"
            )
            .await,
            "sent"
        );

        // A photo: Telegram's largest size is fetched by getFile and its file path.
        Mock::given(method("POST"))
            .and(path(format!("/bot{token}/getFile")))
            .and(body_string_contains("AgACAgIAAxkBAAIBZ2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": {
                "file_id": "AgACAgIAAxkBAAIBZ2", "file_unique_id": "AQADb6sxG", "file_size": JPEG.len(),
                "file_path": "photos/file_7.jpg" } })))
            .mount(&bot)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/file/bot{token}/photos/file_7.jpg")))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(JPEG))
            .mount(&bot)
            .await;
        let photo = serde_json::to_vec(&json!({ "update_id": 10001, "message": {
            "message_id": 1366, "from": { "id": 1111111, "is_bot": false, "first_name": "Test" },
            "chat": { "id": 1111111, "type": "private", "first_name": "Test" }, "date": 1441645540,
            "photo": [
                { "file_id": "AgACAgIAAxkBAAIBZ1", "file_unique_id": "AQADb6sxGs", "file_size": 1200, "width": 90, "height": 67 },
                { "file_id": "AgACAgIAAxkBAAIBZ2", "file_unique_id": "AQADb6sxG", "file_size": JPEG.len(), "width": 800, "height": 600 }
            ],
            "caption": "Broken on arrival" } }))
        .expect("json");
        assert_eq!(
            post(
                &app,
                &hook,
                photo,
                &[("x-telegram-bot-api-secret-token", secret.clone())]
            )
            .await
            .0,
            200
        );
        settle(&app, 5).await;
        let content = after_download(&app, "1111111:1366").await;
        assert_eq!(content["kind"], "image", "{content}");
        assert_eq!(content["caption"], "Broken on arrival");
        assert_eq!(content["mime_type"], "image/jpeg");
        let media_id = content["media_id"].as_str().expect("downloaded");
        let res = owner
            .client
            .get(format!("{}/media/{media_id}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.bytes().await.expect("bytes").as_ref(), JPEG);

        // Deleting for everyone is Telegram's deleteMessage. Where Telegram refuses, the
        // message stays as it was and the member reads Telegram's reason.
        Mock::given(method("POST"))
            .and(path(format!("/bot{token}/deleteMessage")))
            .and(body_string_contains("\"message_id\":55"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": true })),
            )
            .mount(&bot)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/bot{token}/deleteMessage")))
            .and(body_string_contains("\"message_id\":1367"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "ok": false,
                "error_code": 400, "description": "Bad Request: message can't be deleted for everyone" })))
            .mount(&bot)
            .await;
        let ours = single(
            &app,
            "SELECT id FROM messages WHERE provider_message_id = $1",
            "1111111:55",
        )
        .await;
        // Telegram's 48 hours count from the message's own date (this one is from 2015).
        let old = single(
            &app,
            "SELECT id FROM messages WHERE provider_message_id = $1",
            "1111111:1365",
        )
        .await;
        let err = owner
            .call(
                "messages/delete",
                &[
                    ("workspace_id", &ws),
                    ("message_id", &old),
                    ("reach", "everyone"),
                ],
            )
            .await
            .expect_err("too old");
        assert!(err.message.contains("within 48 hours"), "{}", err.message);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs();
        let fresh = serde_json::to_vec(&json!({ "update_id": 10002, "message": {
            "message_id": 1367, "from": { "id": 1111111, "is_bot": false, "first_name": "Test" },
            "chat": { "id": 1111111, "type": "private", "first_name": "Test" }, "date": now,
            "text": "Forget what I said" } }))
        .expect("json");
        let secret_header = [("x-telegram-bot-api-secret-token", secret.clone())];
        assert_eq!(post(&app, &hook, fresh, &secret_header).await.0, 200);
        settle(&app, 5).await;
        let theirs = single(
            &app,
            "SELECT id FROM messages WHERE provider_message_id = $1",
            "1111111:1367",
        )
        .await;
        let err = owner
            .call(
                "messages/delete",
                &[
                    ("workspace_id", &ws),
                    ("message_id", &theirs),
                    ("reach", "everyone"),
                ],
            )
            .await
            .expect_err("Telegram refuses");
        assert!(
            err.message
                .contains("message can't be deleted for everyone"),
            "{}",
            err.message
        );
        let standing = "SELECT COUNT(*) FROM messages WHERE id = $1 AND deleted_at IS NULL AND preview = 'Forget what I said'";
        assert_eq!(crate::helpers::count(&app, standing, &[&theirs]).await, 1);
        owner
            .call(
                "messages/delete",
                &[
                    ("workspace_id", &ws),
                    ("message_id", &ours),
                    ("reach", "everyone"),
                ],
            )
            .await
            .expect("deleted for everyone");
        let requests = bot.received_requests().await.expect("recorded");
        let deleted: Value = serde_json::from_slice(
            &requests
                .iter()
                .rfind(|r| r.url.path().ends_with("/deleteMessage"))
                .expect("deleteMessage")
                .body,
        )
        .expect("json");
        assert_eq!(deleted, json!({ "chat_id": 1_111_111, "message_id": 55 }));
        assert_eq!(
            single(
                &app,
                "SELECT deleted_for FROM messages WHERE id = $1",
                &ours
            )
            .await,
            "everyone"
        );
    }
}

#[tokio::test]
async fn twilio_sms_validates_sends_and_verifies_signed_callbacks() {
    for backend in backends() {
        let twilio = MockServer::start().await;
        let sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        Mock::given(method("GET"))
            .and(path(format!("/2010-04-01/Accounts/{sid}.json")))
            .and(header(
                "authorization",
                "Basic QUNhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYTp0d2lsaW8tYXV0aC10b2tlbg==",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "sid": sid, "friendly_name": "Shop SMS", "status": "active", "type": "Full" })))
            .mount(&twilio)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/2010-04-01/Accounts/{sid}/Messages.json")))
            .and(body_string_contains("To=%2B15558675310"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "sid": "SM1234567890abcdef1234567890abcdef", "status": "queued", "num_segments": "1",
                "error_code": null, "error_message": null, "date_created": "Thu, 24 Aug 2023 05:01:45 +0000" })))
            .mount(&twilio)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/2010-04-01/Accounts/{sid}/Messages.json")))
            .and(body_string_contains("To=%2B15005550001"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400 })))
            .mount(&twilio)
            .await;
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_TWILIO_API_URL", &twilio.uri())]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "SMS").await;
        let channel = create_channel(
            &mut owner,
            &ws,
            "sms",
            &[
                ("account_sid", sid),
                ("auth_token", "twilio-auth-token"),
                ("from_number", "+15017250604"),
            ],
        )
        .await;
        assert_eq!(channel["status"], "good", "{channel}");
        let channel = channel["id"].as_str().expect("id").to_owned();

        for to in ["+15558675310", "+15005550001"] {
            owner
                .call(
                    "conversations/start",
                    &[
                        ("workspace_id", &ws),
                        ("channel_id", &channel),
                        ("to", to),
                        ("text", "Your table is ready"),
                    ],
                )
                .await
                .expect("queued");
        }
        settle(&app, 5).await;
        let good = single(
            &app,
            "SELECT m.id FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.phone = $1",
            "+15558675310",
        )
        .await;
        assert_eq!(
            single(&app, "SELECT status FROM messages WHERE id = $1", &good).await,
            "sent"
        );
        let bad = single(
            &app,
            "SELECT m.id FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.phone = $1",
            "+15005550001",
        )
        .await;
        assert_eq!(
            single(&app, "SELECT error_code FROM messages WHERE id = $1", &bad).await,
            "21211"
        );
        assert_eq!(
            single(&app, "SELECT status FROM messages WHERE id = $1", &bad).await,
            "failed"
        );
        let requests = twilio.received_requests().await.expect("recorded");
        let form = requests
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .find(|body| body.contains("To=%2B15558675310"))
            .expect("the send to +15558675310");
        let fields = msgbuddy_channels::http::form_pairs(&form);
        let field = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(field("From"), "+15017250604");
        assert_eq!(field("Body"), "Your table is ready");
        let callback = field("StatusCallback");
        assert_eq!(
            callback,
            format!("{}/webhooks/{channel}?ref={good}", app.base)
        );

        // Twilio calls the status callback URL, signed over that URL and its fields.
        let body = "SmsSid=SM1234567890abcdef1234567890abcdef&SmsStatus=delivered&MessageStatus=delivered&To=%2B15558675310&MessageSid=SM1234567890abcdef1234567890abcdef&AccountSid=ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&From=%2B15017250604&ApiVersion=2010-04-01";
        let signed = msgbuddy_channels::twilio::sign(
            "twilio-auth-token",
            &callback,
            &msgbuddy_channels::http::form_pairs(body),
        );
        let path_and_query = callback.trim_start_matches(&app.base).to_owned();
        let form_type = (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        );
        assert_eq!(
            post(
                &app,
                &path_and_query,
                body.into(),
                &[form_type.clone(), ("x-twilio-signature", "bogus".into())]
            )
            .await
            .0,
            401
        );
        let (status, answer) = post(
            &app,
            &path_and_query,
            body.into(),
            &[form_type.clone(), ("x-twilio-signature", signed)],
        )
        .await;
        assert_eq!(status, 200);
        assert!(answer.contains("<Response>"), "{answer}");
        settle(&app, 5).await;
        assert_eq!(
            single(&app, "SELECT status FROM messages WHERE id = $1", &good).await,
            "delivered",
            "{}",
            backend.as_str()
        );

        // An inbound SMS opens a conversation with the sender.
        let hook = format!("/webhooks/{channel}");
        let inbound_body = "SmsMessageSid=SMin1&NumMedia=0&SmsSid=SMin1&SmsStatus=received&Body=Is+the+shop+open%3F&To=%2B15017250604&NumSegments=1&MessageSid=SMin1&AccountSid=ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&From=%2B14155551234&ApiVersion=2010-04-01";
        let signed = msgbuddy_channels::twilio::sign(
            "twilio-auth-token",
            &format!("{}{hook}", app.base),
            &msgbuddy_channels::http::form_pairs(inbound_body),
        );
        assert_eq!(
            post(
                &app,
                &hook,
                inbound_body.into(),
                &[form_type.clone(), ("x-twilio-signature", signed)]
            )
            .await
            .0,
            200
        );
        settle(&app, 5).await;
        assert_eq!(
            single(
                &app,
                "SELECT preview FROM messages WHERE provider_message_id = $1",
                "SMin1"
            )
            .await,
            "Is the shop open?"
        );

        // An MMS: its MediaUrl on Twilio's API host answers (with the account's basic
        // auth) by a redirect to the media CDN, here the same local host. A redirect
        // anywhere else is not followed.
        let media_path = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/MMin2/Media/ME557ce644e5ab84fa21cc21112e22c485";
        Mock::given(method("GET"))
            .and(path(media_path))
            .and(header(
                "authorization",
                "Basic QUNhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYTp0d2lsaW8tYXV0aC10b2tlbg==",
            ))
            .respond_with(
                ResponseTemplate::new(307)
                    .insert_header("location", format!("{}/cdn/ME557c.jpg", twilio.uri())),
            )
            .mount(&twilio)
            .await;
        Mock::given(method("GET"))
            .and(path("/cdn/ME557c.jpg"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "image/jpeg")
                    .set_body_bytes(JPEG),
            )
            .mount(&twilio)
            .await;
        Mock::given(method("GET"))
            .and(path("/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/MMin3/Media/MEevil"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "https://evil.example/steal"))
            .mount(&twilio)
            .await;
        for (sid, media) in [("MMin2", media_path.to_owned()), ("MMin3", "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/MMin3/Media/MEevil".to_owned())] {
            let body = format!(
                "SmsMessageSid={sid}&NumMedia=1&MediaContentType0=image%2Fjpeg&MediaUrl0={}&SmsStatus=received&Body=&To=%2B15017250604&MessageSid={sid}&AccountSid=ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&From=%2B14155551234&ApiVersion=2010-04-01",
                msgbuddy_domain::values::query_value(&format!("{}{media}", twilio.uri()))
            );
            let signed = msgbuddy_channels::twilio::sign(
                "twilio-auth-token",
                &format!("{}{hook}", app.base),
                &msgbuddy_channels::http::form_pairs(&body),
            );
            let answer = post(&app, &hook, body.into_bytes(), &[form_type.clone(), ("x-twilio-signature", signed)]).await;
            assert_eq!(answer.0, 200);
        }
        settle(&app, 5).await;
        let content = after_download(&app, "MMin2").await;
        assert_eq!(content["mime_type"], "image/jpeg", "{content}");
        assert!(content["media_id"].as_str().is_some(), "{content}");
        let refused = single(
            &app,
            "SELECT d.last_error FROM media_downloads d JOIN messages m ON m.id = d.message_id WHERE m.provider_message_id = $1",
            "MMin3",
        )
        .await;
        assert!(refused.contains("evil.example"), "{refused}");
    }
}

/// The real binary, serving with its worker, on a free port.
struct Child {
    process: std::process::Child,
    base: String,
}

impl Child {
    fn start(db: &TestDb, meta: &str) -> Child {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config = crate::helpers::test_config(db, &[]);
        let process = std::process::Command::new(env!("CARGO_BIN_EXE_msgbuddy"))
            .arg("serve")
            .env("DATABASE_URL", &config.database_url)
            .env("MSGBUDDY_DATA_DIR", &config.data_dir)
            .env("MSGBUDDY_SEED_DEMO", "false")
            .env("MSGBUDDY_WHATSAPP_API_URL", meta)
            .env("MSGBUDDY_SEND_LEASE_SECS", "2")
            .env("MSGBUDDY_LOG", "warn")
            .env("LEPTOS_OUTPUT_NAME", "msgbuddy")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env_remove("MSGBUDDY_CONFIG")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the binary starts");
        Child {
            process,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn ready(&self) {
        for _ in 0..200 {
            if reqwest::get(format!("{}/healthz", self.base))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not start");
    }

    /// SIGKILL: no shutdown, no draining, like a crash.
    fn crash(mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_after_the_provider_accepted_a_send_never_sends_it_again_and_it_ends_sent()
{
    for backend in backends() {
        let meta = graph_api().await;
        // Meta accepts the send, but answers slowly: the worker dies before the answer.
        Mock::given(method("POST"))
            .and(path(format!("/{PNID}/messages")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_delay(Duration::from_secs(10))
                    .set_body_json(json!({
                "messaging_product": "whatsapp", "contacts": [],
                "messages": [{ "id": "wamid.CRASH1", "message_status": "accepted" }] })),
            )
            .mount(&meta)
            .await;
        let db = TestDb::new(backend).await;
        let (ws, channel, message_id) = {
            let app = TestApp::spawn(&db, &[("MSGBUDDY_WHATSAPP_API_URL", &meta.uri())]).await;
            let (mut owner, ws) = owner_with_workspace(&app, "Crash").await;
            let channel = whatsapp_channel(&app, &mut owner, &ws).await;
            let body = whatsapp_text("16505551234", "wamid.IN1", "Hello?");
            post(
                &app,
                &format!("/webhooks/{channel}"),
                body.clone(),
                &[("x-hub-signature-256", meta_signature(&body))],
            )
            .await;
            settle(&app, 3).await;
            let list = owner
                .call(
                    "conversations/list",
                    &[("workspace_id", &ws), ("test", "false")],
                )
                .await
                .expect("list");
            let conversation = list["conversations"][0]["id"]
                .as_str()
                .expect("id")
                .to_owned();
            owner
                .call(
                    "conversations/send",
                    &[
                        ("workspace_id", &ws),
                        ("conversation_id", &conversation),
                        ("text", "Exactly once"),
                    ],
                )
                .await
                .expect("queued");
            let message_id = single(
                &app,
                "SELECT id FROM messages WHERE direction = $1",
                "outbound",
            )
            .await;
            (ws, channel, message_id)
        };
        let reader =
            msgbuddy_core::Db::connect(&crate::helpers::test_config(&db, &[]).database_url, 2)
                .await
                .expect("db");
        let state = async |column: &'static str| -> String {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {column} FROM messages WHERE direction = 'outbound'"
            )))
            .fetch_one(reader.reader())
            .await
            .expect("row")
            .try_get::<String, _>(0)
            .expect("value")
        };

        let first = Child::start(&db, &meta.uri());
        first.ready().await;
        let sends = async || {
            meta.received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .filter(|r| r.url.path().ends_with("/messages"))
                .count()
        };
        wait_for("the send to reach the provider", async || {
            sends().await == 1
        })
        .await;
        first.crash();
        assert_eq!(
            (state("status").await, state("send_state").await),
            ("pending".into(), "calling".into())
        );

        let second = Child::start(&db, &meta.uri());
        second.ready().await;
        // The lease runs out; with no way to ask Meta, the send waits for its receipt.
        wait_for("the interrupted send to be reconciled", async || {
            state("send_state").await == "unknown"
        })
        .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(sends().await, 1, "not sent again");

        // Meta's `sent` receipt carries msgbuddy's id in biz_opaque_callback_data.
        let body = whatsapp_status("wamid.CRASH1", "sent", Some(&message_id));
        let res = reqwest::Client::new()
            .post(format!("{}/webhooks/{channel}", second.base))
            .header("x-hub-signature-256", meta_signature(&body))
            .body(body)
            .send()
            .await
            .expect("webhook");
        assert_eq!(res.status(), 200);
        wait_for("the receipt to complete the message", async || {
            state("status").await == "sent"
        })
        .await;
        assert_eq!(state("provider_message_id").await, "wamid.CRASH1");
        assert_eq!(sends().await, 1, "sent exactly once, {}", backend.as_str());
        second.crash();
        reader.close().await;
        let _ = ws;
    }
}

fn whatsapp_image(from: &str, id: &str, media_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": WABA, "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": PNID },
            "contacts": [{ "profile": { "name": "Sheena Nelson" }, "wa_id": from }],
            "messages": [{ "from": from, "id": id, "timestamp": (msgbuddy_core::db::now_ms() / 1000).to_string(), "type": "image",
                "image": { "caption": "The scratch on the lid", "mime_type": "image/jpeg", "sha256": "8Wr8bLYc7B6RudTGkHGoLYsbnwWAJpNvvqm2hQWtrB4=", "id": media_id } }]
        }}]}]
    }))
    .expect("json")
}

/// A JPEG's first bytes: enough for msgbuddy to know it by its content.
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";

#[tokio::test]
async fn whatsapp_media_goes_out_by_signed_link_and_comes_in_from_metas_hosts_only() {
    for backend in backends() {
        let meta = graph_api().await;
        Mock::given(method("POST"))
            .and(path(format!("/{PNID}/messages")))
            .respond_with(Accepts(AtomicUsize::new(0)))
            .mount(&meta)
            .await;
        // Meta's media look-up: the file's URL on the CDN (here, the same local server),
        // which answers only with the access token.
        Mock::given(method("GET"))
            .and(path("/1037543291543636"))
            .and(header("authorization", "Bearer EAAG-test-token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "url": format!("{}/whatsapp_business/attachments/?mid=1037543291543636", meta.uri()),
                "mime_type": "image/jpeg", "sha256": "f1fa", "file_size": JPEG.len().to_string(),
                "id": "1037543291543636"
            })))
            .mount(&meta)
            .await;
        Mock::given(method("GET"))
            .and(path("/whatsapp_business/attachments/"))
            .and(header("authorization", "Bearer EAAG-test-token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "image/jpeg")
                    .set_body_bytes(JPEG),
            )
            .mount(&meta)
            .await;
        // A media id whose URL points somewhere else.
        Mock::given(method("GET"))
            .and(path("/2000000000000002"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "url": "http://169.254.169.254/latest/meta-data/iam",
                "mime_type": "image/jpeg", "id": "2000000000000002"
            })))
            .mount(&meta)
            .await;
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_WHATSAPP_API_URL", &meta.uri())]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "WhatsApp media").await;
        let channel = whatsapp_channel(&app, &mut owner, &ws).await;
        let hook = format!("/webhooks/{channel}");

        // A customer's photo: stored at once, then fetched from Meta and kept.
        let body = whatsapp_image("16505551234", "wamid.IMG1", "1037543291543636");
        let signed = [("x-hub-signature-256", meta_signature(&body))];
        assert_eq!(post(&app, &hook, body.clone(), &signed).await.0, 200);
        settle(&app, 5).await;
        let message_id = single(
            &app,
            "SELECT id FROM messages WHERE provider_message_id = $1",
            "wamid.IMG1",
        )
        .await;
        let content = after_download(&app, "wamid.IMG1").await;
        assert_eq!(content["kind"], "image", "{content}");
        assert_eq!(content["caption"], "The scratch on the lid");
        assert_eq!(content["provider_id"], "1037543291543636");
        let media_id = content["media_id"].as_str().expect("downloaded").to_owned();
        let res = owner
            .client
            .get(format!("{}/media/{media_id}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.bytes().await.expect("bytes").as_ref(), JPEG);
        let pending: i64 = sqlx::query("SELECT COUNT(*) FROM media_downloads")
            .fetch_one(app.db.reader())
            .await
            .expect("n")
            .try_get(0)
            .expect("n");
        assert_eq!(pending, 0, "done downloads leave no row");

        // A URL off Meta's hosts is never fetched: the download fails for good, with why.
        let body = whatsapp_image("16505551234", "wamid.IMG2", "2000000000000002");
        let signed = [("x-hub-signature-256", meta_signature(&body))];
        assert_eq!(post(&app, &hook, body.clone(), &signed).await.0, 200);
        settle(&app, 5).await;
        let second = single(
            &app,
            "SELECT id FROM messages WHERE provider_message_id = $1",
            "wamid.IMG2",
        )
        .await;
        assert!(
            after_download(&app, "wamid.IMG2")
                .await
                .get("media_id")
                .is_none(),
            "nothing kept from a URL off Meta's hosts"
        );
        let row =
            sqlx::query("SELECT state, last_error FROM media_downloads WHERE message_id = $1")
                .bind(&second)
                .fetch_one(app.db.reader())
                .await
                .expect("row");
        let (state, error): (String, String) =
            (row.try_get(0).expect("s"), row.try_get(1).expect("e"));
        assert_eq!(state, "failed");
        assert!(error.contains("provider's own hosts"), "{error}");

        // The reply with a file: Meta gets a link to it, signed for that file alone.
        let conversation = single(
            &app,
            "SELECT conversation_id FROM messages WHERE id = $1",
            &message_id,
        )
        .await;
        owner
            .page(&format!("/w/{ws}/conversations/{conversation}"))
            .await;
        let csrf = owner.csrf.clone();
        let (status, _) = owner
            .attach(
                &ws,
                &conversation,
                &[
                    ("csrf_token", None, csrf.as_bytes()),
                    ("file", Some("label.png"), crate::helpers::PNG),
                ],
            )
            .await;
        assert_eq!(status, 303);
        settle(&app, 5).await;
        let requests = meta.received_requests().await.expect("recorded");
        let send = requests
            .iter()
            .find(|r| r.url.path() == format!("/{PNID}/messages"))
            .expect("a send");
        let sent: Value = serde_json::from_slice(&send.body).expect("json");
        assert_eq!(sent["type"], "image", "{sent}");
        let link = sent["image"]["link"].as_str().expect("a link").to_owned();
        assert!(
            link.starts_with(&format!("{}/media/med_", app.base)),
            "{link}"
        );
        assert!(
            link.contains("expires=") && link.contains("signature="),
            "{link}"
        );
        // Meta fetches it without a session; the same link for another file does not work.
        let fetched = reqwest::get(&link).await.expect("fetch");
        assert_eq!(fetched.status(), 200);
        assert_eq!(
            fetched.bytes().await.expect("bytes").as_ref(),
            crate::helpers::PNG
        );
        let other = link.replace(
            link.split("/media/")
                .nth(1)
                .and_then(|r| r.split('?').next())
                .unwrap_or_default(),
            &media_id,
        );
        assert_eq!(reqwest::get(&other).await.expect("fetch").status(), 404);
    }
}
