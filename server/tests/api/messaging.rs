//! The message pipeline on the Sandbox channel: sending exactly once with every status in
//! the history, receiving signed webhooks once, statuses that never go backwards, the
//! rules, roles, tenants and test mode.

use crate::events::SseReader;
use crate::helpers::{
    Browser, TestApp, TestDb, backends, member_with_role, owner_with_workspace, settle,
};
use msgbuddy_domain::ErrorCode;
use msgbuddy_messaging::accounts;
use sqlx::Row;
use std::time::Duration;

/// The workspace's Sandbox channel, with receipts due at once.
async fn sandbox(owner: &mut Browser, ws: &str) -> String {
    let list = owner
        .call("channels/list", &[("workspace_id", ws)])
        .await
        .expect("channels");
    let id = list["channels"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["kind"] == "sandbox"))
        .and_then(|c| c["id"].as_str())
        .expect("every workspace has a Sandbox")
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
        .expect("sandbox settings");
    id
}

/// The Sandbox's own receipts an hour off, so only the ones a test posts count.
async fn receipts_an_hour_off(owner: &mut Browser, ws: &str, channel: &str) {
    owner
        .call(
            "channels/update",
            &[
                ("workspace_id", ws),
                ("channel_id", channel),
                ("name", "Sandbox"),
                ("values[sent_after_ms]", "3600000"),
                ("values[delivered_after_ms]", "3600000"),
                ("values[read_after_ms]", "3600000"),
            ],
        )
        .await
        .expect("settings");
}

async fn start(owner: &mut Browser, ws: &str, channel: &str, to: &str, text: &str) -> String {
    owner
        .call(
            "conversations/start",
            &[
                ("workspace_id", ws),
                ("channel_id", channel),
                ("to", to),
                ("name", "Ana"),
                ("text", text),
            ],
        )
        .await
        .expect("sent");
    conversation_with(owner, ws, false).await
}

async fn conversation_with(b: &mut Browser, ws: &str, test: bool) -> String {
    let list = b
        .call(
            "conversations/list",
            &[
                ("workspace_id", ws),
                ("test", if test { "true" } else { "false" }),
            ],
        )
        .await
        .expect("list");
    list["conversations"][0]["id"]
        .as_str()
        .expect("a conversation")
        .to_owned()
}

async fn thread(b: &mut Browser, ws: &str, conversation: &str) -> serde_json::Value {
    b.call(
        "conversations/thread",
        &[("workspace_id", ws), ("conversation_id", conversation)],
    )
    .await
    .expect("thread")
}

async fn statuses(app: &TestApp, message_id: &str) -> Vec<String> {
    sqlx::query("SELECT status FROM message_statuses WHERE message_id = $1 ORDER BY id")
        .bind(message_id)
        .fetch_all(app.db.reader())
        .await
        .expect("history")
        .iter()
        .map(|r| r.try_get(0).expect("status"))
        .collect()
}

#[tokio::test]
async fn a_text_to_the_sandbox_goes_sent_delivered_read_with_history_and_live_events() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Pipeline").await;
        let channel = sandbox(&mut owner, &ws).await;
        let mut sse = SseReader::open(&owner, &ws, None).await;
        let conversation = start(&mut owner, &ws, &channel, "+1 (555) 010-0001", "Hello Ana").await;
        let t = thread(&mut owner, &ws, &conversation).await;
        let message = t["messages"][0].clone();
        assert_eq!(message["status"], "pending");
        assert_eq!(t["conversation"]["contact_address"], "+15550100001");
        let id = message["id"].as_str().expect("id").to_owned();

        settle(&app).await;
        let t = thread(&mut owner, &ws, &conversation).await;
        assert_eq!(t["messages"][0]["status"], "read", "{}", backend.as_str());
        assert_eq!(
            statuses(&app, &id).await,
            vec!["pending", "sent", "delivered", "read"]
        );
        let provider_id: Option<String> =
            sqlx::query("SELECT provider_message_id FROM messages WHERE id = $1")
                .bind(&id)
                .fetch_one(app.db.reader())
                .await
                .expect("row")
                .try_get(0)
                .expect("column");
        assert!(provider_id.is_some_and(|p| p.starts_with("sbx_")));

        let events = sse.take(4).await;
        let names: Vec<_> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "message.created",
                "message.status_changed",
                "message.status_changed",
                "message.status_changed"
            ]
        );
        let live: Vec<_> = events[1..]
            .iter()
            .map(|e| e.data["status"].clone())
            .collect();
        assert_eq!(live, vec!["sent", "delivered", "read"]);
    }
}

#[tokio::test]
async fn a_failing_sandbox_send_fails_with_the_reason_and_retry_sends_it_again() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut owner, ws) = owner_with_workspace(&app, "Failures").await;
    let channel = sandbox(&mut owner, &ws).await;
    // The Sandbox refuses +999 numbers: a permanent error, failed at once, never retried.
    let conversation = start(&mut owner, &ws, &channel, "+99912345678", "Hi").await;
    settle(&app).await;
    let t = thread(&mut owner, &ws, &conversation).await;
    let m = &t["messages"][0];
    assert_eq!(m["status"], "failed");
    assert_eq!(m["error_code"], "sandbox.invalid_recipient");
    let id = m["id"].as_str().expect("id").to_owned();
    let attempts: i64 = sqlx::query("SELECT attempts FROM messages WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.reader())
        .await
        .expect("row")
        .try_get(0)
        .expect("attempts");
    assert_eq!(attempts, 1, "permanent errors are not retried");
    owner
        .call(
            "conversations/retry",
            &[("workspace_id", &ws), ("message_id", &id)],
        )
        .await
        .expect("retry");
    assert_eq!(
        thread(&mut owner, &ws, &conversation).await["messages"][0]["status"],
        "pending"
    );
    settle(&app).await;
    assert_eq!(
        statuses(&app, &id).await,
        vec!["pending", "failed", "pending", "failed"]
    );
    let e = owner
        .call(
            "conversations/retry",
            &[("workspace_id", &ws), ("message_id", &id)],
        )
        .await;
    assert!(e.is_ok(), "a failed message can be retried again");
}

async fn post_webhook(app: &TestApp, channel: &str, body: &str, signature: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/webhooks/{channel}", app.base))
        .header("content-type", "application/json")
        .header("x-sandbox-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .expect("webhook")
        .status()
        .as_u16()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    crate::helpers::count(app, sql, &[]).await
}

#[tokio::test]
async fn a_customer_message_is_stored_once_and_a_bad_signature_stores_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Inbound").await;
        let channel = sandbox(&mut owner, &ws).await;
        let body = r#"{"events":[{"type":"message","id":"sbx_in_1","from":"+15550100002","name":"Ravi","at_ms":1700000000000,"content":{"type":"text","body":"Where is my order?"}}]}"#;
        assert_eq!(post_webhook(&app, &channel, body, "sha256=0000").await, 401);
        assert_eq!(post_webhook(&app, &channel, body, "").await, 401);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_events").await, 0);

        let signature = accounts::sandbox_signature(&app.messaging, &channel, body.as_bytes())
            .await
            .expect("signature");
        let mut sse = SseReader::open(&owner, &ws, None).await;
        assert_eq!(post_webhook(&app, &channel, body, &signature).await, 200);
        assert_eq!(
            post_webhook(&app, &channel, body, &signature).await,
            200,
            "a retry is answered too"
        );
        settle(&app).await;
        // The same message again in another delivery (a provider retry with new framing).
        let again = body.replace("\"events\":[", "\"events\": [");
        let signature = accounts::sandbox_signature(&app.messaging, &channel, again.as_bytes())
            .await
            .expect("signature");
        assert_eq!(post_webhook(&app, &channel, &again, &signature).await, 200);
        settle(&app).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM messages").await,
            1,
            "{}",
            backend.as_str()
        );
        let conversation = conversation_with(&mut owner, &ws, false).await;
        let t = thread(&mut owner, &ws, &conversation).await;
        assert_eq!(t["conversation"]["contact_name"], "Ravi");
        assert_eq!(t["conversation"]["unread_count"], 1);
        assert_eq!(t["messages"][0]["direction"], "inbound");
        assert_eq!(t["messages"][0]["content"]["body"], "Where is my order?");
        let created = sse.next(Duration::from_secs(10)).await.expect("live event");
        assert_eq!(created.name, "message.created");
        assert_eq!(created.data["contact_name"], "Ravi");

        // An unreadable body is kept, with its error, for admins.
        let junk = "not json at all";
        let signature = accounts::sandbox_signature(&app.messaging, &channel, junk.as_bytes())
            .await
            .expect("signature");
        assert_eq!(post_webhook(&app, &channel, junk, &signature).await, 200);
        settle(&app).await;
        let failed: String = sqlx::query("SELECT error FROM webhook_events WHERE state = 'failed'")
            .fetch_one(app.db.reader())
            .await
            .expect("kept")
            .try_get(0)
            .expect("error");
        assert!(failed.contains("not a Sandbox webhook"), "{failed}");
        let page = owner
            .call(
                "channels/get",
                &[("workspace_id", &ws), ("channel_id", &channel)],
            )
            .await
            .expect("channel page");
        assert_eq!(page["failed"][0]["state"], "failed");
        assert_eq!(page["failed"][0]["body"], junk);
        assert!(
            page["failed"][0]["error"]
                .as_str()
                .is_some_and(|e| e.contains("not a Sandbox webhook"))
        );
    }
}

#[tokio::test]
async fn statuses_out_of_order_never_move_a_message_backwards() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Order").await;
        let channel = sandbox(&mut owner, &ws).await;
        receipts_an_hour_off(&mut owner, &ws, &channel).await;
        let conversation = start(&mut owner, &ws, &channel, "+15550100003", "Hi").await;
        settle(&app).await;
        let t = thread(&mut owner, &ws, &conversation).await;
        let id = t["messages"][0]["id"].as_str().expect("id").to_owned();
        let provider: String =
            sqlx::query("SELECT provider_message_id FROM messages WHERE id = $1")
                .bind(&id)
                .fetch_one(app.db.reader())
                .await
                .expect("row")
                .try_get(0)
                .expect("provider id");
        for status in ["read", "delivered", "sent", "read", "failed"] {
            let body = format!(
                r#"{{"events":[{{"type":"status","message_id":"{provider}","status":"{status}","at_ms":1}}]}}"#
            );
            let signature = accounts::sandbox_signature(&app.messaging, &channel, body.as_bytes())
                .await
                .expect("signature");
            assert_eq!(post_webhook(&app, &channel, &body, &signature).await, 200);
            settle(&app).await;
        }
        assert_eq!(
            thread(&mut owner, &ws, &conversation).await["messages"][0]["status"],
            "read"
        );
        assert_eq!(
            statuses(&app, &id).await,
            vec!["pending", "sent", "read"],
            "{}",
            backend.as_str()
        );
    }
}

#[tokio::test]
async fn an_interrupted_send_is_completed_with_the_same_id_never_sent_twice() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Crash").await;
        let channel = sandbox(&mut owner, &ws).await;
        let conversation = start(&mut owner, &ws, &channel, "+15550100004", "Once").await;
        // A worker claimed it and recorded the attempt, then died before any answer was
        // saved: the lease ran out with the message still `calling`.
        sqlx::query("UPDATE messages SET send_state = 'calling', attempts = 1, lease_until = 1, lease_owner = 'dead'")
            .execute(app.db.writer())
            .await
            .expect("crash");
        settle(&app).await;
        let t = thread(&mut owner, &ws, &conversation).await;
        assert_eq!(t["messages"][0]["status"], "read");
        let id = t["messages"][0]["id"].as_str().expect("id").to_owned();
        assert_eq!(
            statuses(&app, &id)
                .await
                .iter()
                .filter(|s| *s == "sent")
                .count(),
            1,
            "sent once"
        );
    }
}

#[tokio::test]
async fn roles_tenants_and_test_mode_keep_to_their_own() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Mine").await;
        let channel = sandbox(&mut owner, &ws).await;
        let conversation = start(&mut owner, &ws, &channel, "+15550100005", "Live one").await;

        // Test mode: its own contacts and conversations, never listed with live ones.
        owner
            .call(
                "conversations/start",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", &channel),
                    ("to", "+15550100005"),
                    ("text", "Test one"),
                    ("test", "1"),
                ],
            )
            .await
            .expect("test send");
        let live = owner
            .call(
                "conversations/list",
                &[("workspace_id", &ws), ("test", "false")],
            )
            .await
            .expect("live");
        let test = owner
            .call(
                "conversations/list",
                &[("workspace_id", &ws), ("test", "true")],
            )
            .await
            .expect("test");
        assert_eq!(live["conversations"].as_array().map(Vec::len), Some(1));
        assert_eq!(test["conversations"].as_array().map(Vec::len), Some(1));
        assert_eq!(live["conversations"][0]["last_message_preview"], "Live one");
        assert_eq!(test["conversations"][0]["last_message_preview"], "Test one");
        assert_ne!(
            live["conversations"][0]["id"],
            test["conversations"][0]["id"]
        );

        // Roles: a viewer reads but cannot send or manage channels; an agent sends.
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        thread(&mut viewer, &ws, &conversation).await;
        let e = viewer
            .call(
                "conversations/send",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &conversation),
                    ("text", "no"),
                ],
            )
            .await
            .expect_err("viewers cannot send");
        assert_eq!(e.code, ErrorCode::Forbidden);
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        agent
            .call(
                "conversations/send",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &conversation),
                    ("text", "agent here"),
                ],
            )
            .await
            .expect("agents send");
        let e = agent
            .call(
                "channels/action",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", &channel),
                    ("action", "check"),
                ],
            )
            .await
            .expect_err("agents do not manage channels");
        assert_eq!(e.code, ErrorCode::Forbidden);

        // Another tenant sees none of it, by any id.
        let mut stranger = app.browser();
        stranger
            .sign_up("Sam", "sam@example.com", "password-123")
            .await
            .expect("sign up");
        let theirs = stranger.create_workspace("Theirs").await;
        for (endpoint, form) in [
            (
                "conversations/thread",
                vec![
                    ("workspace_id", ws.as_str()),
                    ("conversation_id", conversation.as_str()),
                ],
            ),
            (
                "conversations/thread",
                vec![
                    ("workspace_id", theirs.as_str()),
                    ("conversation_id", conversation.as_str()),
                ],
            ),
            (
                "channels/get",
                vec![
                    ("workspace_id", theirs.as_str()),
                    ("channel_id", channel.as_str()),
                ],
            ),
            (
                "conversations/send",
                vec![
                    ("workspace_id", theirs.as_str()),
                    ("conversation_id", conversation.as_str()),
                    ("text", "x"),
                ],
            ),
            (
                "conversations/start",
                vec![
                    ("workspace_id", theirs.as_str()),
                    ("channel_id", channel.as_str()),
                    ("to", "+15550100006"),
                    ("text", "x"),
                ],
            ),
        ] {
            let e = stranger.call(endpoint, &form).await.expect_err(endpoint);
            assert!(
                matches!(e.code, ErrorCode::NotFound | ErrorCode::Validation),
                "{endpoint}: {e:?}"
            );
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM messages WHERE preview = 'x'").await,
            0
        );
    }
}

#[tokio::test]
async fn rules_refuse_with_the_rule_named_and_store_nothing() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut owner, ws) = owner_with_workspace(&app, "Rules").await;
    let channel = sandbox(&mut owner, &ws).await;
    for (to, text, field) in [
        ("not a number", "hi", "to"),
        ("+15550100007", "", "text"),
        ("+15550100007", &"a".repeat(4097) as &str, "rule"),
    ] {
        let e = owner
            .call(
                "conversations/start",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", &channel),
                    ("to", to),
                    ("text", text),
                ],
            )
            .await
            .expect_err("refused");
        assert_eq!(e.code, ErrorCode::Validation, "{to} {}", text.len());
        let details = e.details.expect("details");
        assert!(
            details.get(field).is_some() || details["field"] == field,
            "{details}"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 0);
}

#[tokio::test]
async fn a_scheduled_message_waits_for_its_time_and_can_be_canceled_until_then() {
    use msgbuddy_core::db::now_ms;
    use msgbuddy_domain::time::iso_utc;
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Later").await;
        let channel = sandbox(&mut owner, &ws).await;
        let conversation = start(&mut owner, &ws, &channel, "+15550100077", "Hi").await;
        settle(&app).await;
        let schedule = |at: i64| {
            vec![
                ("workspace_id".to_owned(), ws.clone()),
                ("conversation_id".to_owned(), conversation.clone()),
                ("text".to_owned(), "Your table is ready".to_owned()),
                ("send_at".to_owned(), iso_utc(at)),
            ]
        };

        // A time in the past is refused and stores nothing.
        let form = schedule(now_ms() - 60_000);
        let form_ref: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let e = owner
            .call("conversations/send", &form_ref)
            .await
            .expect_err("the past");
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 1);

        // An hour ahead: stored, checked, and held back by the dispatcher.
        let form = schedule(now_ms() + 3_600_000);
        let form_ref: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        owner
            .call("conversations/send", &form_ref)
            .await
            .expect("scheduled");
        settle(&app).await;
        let t = thread(&mut owner, &ws, &conversation).await;
        let later = t["messages"][1].clone();
        assert_eq!(later["status"], "pending");
        assert!(later["scheduled_at_ms"].as_i64().is_some(), "{later}");
        let later_id = later["id"].as_str().expect("id").to_owned();
        assert_eq!(statuses(&app, &later_id).await, vec!["pending"]);

        // Canceled before its time: it ends failed with the reason, and stays unsent.
        owner
            .call(
                "conversations/cancel",
                &[("workspace_id", &ws), ("message_id", &later_id)],
            )
            .await
            .expect("canceled");
        let again = owner
            .call(
                "conversations/cancel",
                &[("workspace_id", &ws), ("message_id", &later_id)],
            )
            .await
            .expect_err("only once");
        assert_eq!(again.code, ErrorCode::Conflict);
        settle(&app).await;
        let t = thread(&mut owner, &ws, &conversation).await;
        assert_eq!(t["messages"][1]["status"], "failed");
        assert_eq!(t["messages"][1]["error_code"], "canceled");
        assert_eq!(statuses(&app, &later_id).await, vec!["pending", "failed"]);
        let provider_id: Option<String> =
            sqlx::query("SELECT provider_message_id FROM messages WHERE id = $1")
                .bind(&later_id)
                .fetch_one(app.db.reader())
                .await
                .expect("row")
                .try_get(0)
                .expect("id");
        assert_eq!(
            provider_id, None,
            "a canceled message never reaches the provider"
        );

        // Two seconds ahead: nothing before its time, then sent, delivered, read.
        let form = schedule(now_ms() + 2_000);
        let form_ref: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        owner
            .call("conversations/send", &form_ref)
            .await
            .expect("scheduled");
        settle(&app).await;
        let t = thread(&mut owner, &ws, &conversation).await;
        let soon_id = t["messages"][2]["id"].as_str().expect("id").to_owned();
        assert_eq!(t["messages"][2]["status"], "pending");
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        settle(&app).await;
        assert_eq!(
            statuses(&app, &soon_id).await,
            vec!["pending", "sent", "delivered", "read"]
        );
        let late = owner
            .call(
                "conversations/cancel",
                &[("workspace_id", &ws), ("message_id", &soon_id)],
            )
            .await
            .expect_err("already sent");
        assert_eq!(late.code, ErrorCode::Conflict);
    }
}

/// Olivia's membership of `ws`, to call the pipeline as the inbox does.
async fn owner_member(app: &TestApp, ws: &str) -> msgbuddy_core::workspaces::Member {
    let user_id: String = sqlx::query("SELECT id FROM users WHERE email = 'olivia@example.com'")
        .fetch_one(app.db.reader())
        .await
        .expect("olivia")
        .try_get(0)
        .expect("id");
    msgbuddy_core::workspaces::Member {
        workspace_id: ws.to_owned(),
        user_id,
        role: msgbuddy_domain::Role::Owner,
        test_mode: false,
    }
}

#[tokio::test]
async fn concurrent_sends_are_stored_together_and_a_refused_one_creates_nothing() {
    use msgbuddy_domain::message::Content;
    use msgbuddy_messaging::messages::{self, Sender, To};
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Burst").await;
        let channel = sandbox(&mut owner, &ws).await;
        start(&mut owner, &ws, &channel, "+15550100020", "Hello").await;
        sqlx::query(
            "INSERT INTO contact_opt_outs (contact_id, channel_kind, reason, source, created_at) \
             SELECT id, 'sandbox', '', 'member', 0 FROM contacts WHERE phone = '+15550100020'",
        )
        .execute(app.db.writer())
        .await
        .expect("opt out");
        let member = owner_member(&app, &ws).await;
        let seq_before = app.bus.latest_seq(&ws).await.expect("seq");
        // Thirty sends to ten new customers (three each), five to the one who opted out and
        // five too long for the channel to new numbers, all in flight at once.
        let mut sends = Vec::new();
        for i in 0..30 {
            sends.push((format!("+155502000{:02}", i % 10), "On its way".to_owned()));
        }
        for _ in 0..5 {
            sends.push(("+15550100020".to_owned(), "Still there?".to_owned()));
        }
        for i in 0..5 {
            sends.push((format!("+15550300{i:03}"), "a".repeat(4097)));
        }
        let results = futures::future::join_all(sends.iter().map(|(to, text)| {
            messages::send(
                &app.messaging,
                Sender {
                    member: &member,
                    user_id: Some(&member.user_id),
                    source: "inbox",
                    is_test: false,
                },
                To::Address {
                    channel_id: &channel,
                    address: to,
                    name: None,
                },
                Content::Text { body: text.clone() },
                None,
            )
        }))
        .await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 30);
        let refused: Vec<String> = results
            .into_iter()
            .filter_map(Result::err)
            .map(|e| {
                e.into_app_error()
                    .details
                    .and_then(|d| d["rule"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            refused.iter().filter(|r| *r == "contact_opted_out").count(),
            5,
            "{refused:?}"
        );
        assert_eq!(refused.len(), 10, "{refused:?}");
        let n = |sql: &'static str| count(&app, sql);
        assert_eq!(
            n("SELECT COUNT(*) FROM contacts WHERE phone LIKE '+155502000%'").await,
            10,
            "one contact per customer, however many sends raced to create it"
        );
        assert_eq!(
            n("SELECT COUNT(*) FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.phone LIKE '+155502000%'").await,
            10
        );
        assert_eq!(
            n("SELECT COUNT(*) FROM contacts WHERE phone LIKE '+15550300%'").await,
            0,
            "a refused send creates no contact"
        );
        assert_eq!(n("SELECT COUNT(*) FROM messages").await, 31);
        assert_eq!(
            n("SELECT COUNT(*) FROM message_statuses WHERE status = 'pending'").await,
            31
        );
        // Every stored send raised its event, numbered without a gap.
        let events = app
            .bus
            .events_after(&ws, seq_before, 1000)
            .await
            .expect("events");
        let created = events
            .iter()
            .filter(|e| e.event.name() == "message.created")
            .count();
        assert_eq!(created, 30, "{}", backend.as_str());
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.seq, seq_before + 1 + i64::try_from(i).expect("i"));
        }
        settle(&app).await;
        assert_eq!(
            n("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'read'")
                .await,
            31,
            "{}",
            backend.as_str()
        );
    }
}

#[tokio::test]
async fn receipts_in_one_delivery_apply_in_order_and_an_unknown_one_waits() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Batch").await;
        let channel = sandbox(&mut owner, &ws).await;
        receipts_an_hour_off(&mut owner, &ws, &channel).await;
        start(&mut owner, &ws, &channel, "+15550100031", "One").await;
        start(&mut owner, &ws, &channel, "+15550100032", "Two").await;
        settle(&app).await;
        let sent: Vec<(String, String)> = sqlx::query(
            "SELECT id, provider_message_id FROM messages WHERE direction = 'outbound' ORDER BY id",
        )
        .fetch_all(app.db.reader())
        .await
        .expect("sent")
        .iter()
        .map(|r| {
            (
                r.try_get(0).expect("id"),
                r.try_get(1).expect("provider id"),
            )
        })
        .collect();
        let [(a, pa), (b, pb)] = <[(String, String); 2]>::try_from(sent).expect("two");
        let event = |id: &str, status: &str| {
            format!(r#"{{"type":"status","message_id":"{id}","status":"{status}","at_ms":1}}"#)
        };
        let body = format!(
            r#"{{"events":[{},{},{},{},{}]}}"#,
            event(&pa, "delivered"),
            event(&pa, "read"),
            event(&pb, "read"),
            event(&pb, "delivered"),
            event("sbx_nobody_knows", "read"),
        );
        let signature = accounts::sandbox_signature(&app.messaging, &channel, body.as_bytes())
            .await
            .expect("signature");
        assert_eq!(post_webhook(&app, &channel, &body, &signature).await, 200);
        let seq_before = app.bus.latest_seq(&ws).await.expect("seq");
        settle(&app).await;
        assert_eq!(
            statuses(&app, &a).await,
            vec!["pending", "sent", "delivered", "read"]
        );
        assert_eq!(statuses(&app, &b).await, vec!["pending", "sent", "read"]);
        let raised: Vec<String> = app
            .bus
            .events_after(&ws, seq_before, 100)
            .await
            .expect("events")
            .into_iter()
            .filter_map(|e| match e.event {
                msgbuddy_domain::DomainEvent::MessageStatusChanged {
                    message_id, status, ..
                } => Some(format!(
                    "{}:{}",
                    if message_id == a { "a" } else { "b" },
                    status.as_str()
                )),
                _ => None,
            })
            .collect();
        assert_eq!(raised, vec!["a:delivered", "a:read", "b:read"]);
        // The unknown receipt keeps its delivery for another try, with the reason.
        let row = sqlx::query(
            "SELECT state, error FROM webhook_events WHERE body LIKE '%sbx_nobody_knows%'",
        )
        .fetch_one(app.db.reader())
        .await
        .expect("delivery");
        let state: String = row.try_get(0).expect("state");
        let error: Option<String> = row.try_get(1).expect("error");
        assert_eq!(state, "pending", "{}", backend.as_str());
        assert!(error.unwrap_or_default().contains("does not know"));
    }
}
