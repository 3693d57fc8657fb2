//! Deleting messages: for us (words gone from the thread, search, stars and pins; the
//! timeline says who) or for everyone where the provider can (the Sandbox, here; Telegram
//! in `providers`), refused whole when it cannot be done.

use crate::helpers::{
    Browser, TestApp, TestDb, backends, count, member_with_role, owner_with_workspace, settle,
};
use crate::inbox::{act, customer_writes};
use msgbuddy_domain::ErrorCode;
use serde_json::{Value, json};
use sqlx::Row;

async fn id_of(app: &TestApp, conversation: &str, direction: &str) -> String {
    sqlx::query(
        "SELECT id FROM messages WHERE conversation_id = $1 AND direction = $2 ORDER BY created_at LIMIT 1",
    )
    .bind(conversation)
    .bind(direction)
    .fetch_one(app.db.reader())
    .await
    .expect("a message")
    .try_get(0)
    .expect("id")
}

async fn delete(
    b: &mut Browser,
    ws: &str,
    message_id: &str,
    reach: &str,
) -> Result<Value, msgbuddy_domain::AppError> {
    b.call(
        "messages/delete",
        &[
            ("workspace_id", ws),
            ("message_id", message_id),
            ("reach", reach),
        ],
    )
    .await
}

async fn thread_of(b: &mut Browser, ws: &str, conversation: &str) -> Value {
    b.call(
        "conversations/thread",
        &[("workspace_id", ws), ("conversation_id", conversation)],
    )
    .await
    .expect("thread")
}

fn message<'a>(thread: &'a Value, id: &str) -> &'a Value {
    thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["id"] == id)
        .expect("the message is still in the thread")
}

#[tokio::test]
async fn a_message_is_deleted_for_us_or_for_everyone_and_bad_deletes_change_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Deletes").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let (mut agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (_, other_agent) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let chat = customer_writes(
            &app,
            &mut owner,
            &ws,
            "+15550950001",
            "My card number is 4111",
        )
        .await;
        let other = customer_writes(&app, &mut owner, &ws, "+15550950002", "Hello").await;
        act(
            &mut owner,
            "conversations/send",
            &ws,
            &chat,
            &[("text", "Thanks, noted.")],
        )
        .await
        .expect("sent");
        settle(&app).await;
        let theirs = id_of(&app, &chat, "inbound").await;
        let ours = id_of(&app, &chat, "outbound").await;
        let on = [
            ("workspace_id", ws.as_str()),
            ("message_id", &theirs),
            ("on", "1"),
        ];
        for endpoint in ["messages/star", "messages/pin"] {
            owner.call(endpoint, &on).await.expect(endpoint);
        }

        // Refused whole: a bad reach, a reader, a conversation out of reach.
        let err = delete(&mut owner, &ws, &theirs, "the moon")
            .await
            .expect_err("reach");
        assert_eq!(err.details, Some(json!({ "field": "reach" })));
        let err = delete(&mut viewer, &ws, &theirs, "us")
            .await
            .expect_err("viewers read");
        assert_eq!(err.code, ErrorCode::Forbidden);
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &chat,
            &[("action", "assign"), ("assignee_id", &other_agent)],
        )
        .await
        .expect("assigned to another agent");
        let err = delete(&mut agent, &ws, &theirs, "us")
            .await
            .expect_err("not theirs");
        assert_eq!(err.code, ErrorCode::NotFound);
        let err = delete(&mut owner, &ws, "msg_nope", "us")
            .await
            .expect_err("unknown");
        assert_eq!(err.code, ErrorCode::NotFound);
        let standing = "SELECT COUNT(*) FROM messages WHERE deleted_at IS NULL";
        assert_eq!(count(&app, standing, &[]).await, 3);

        let hits = owner
            .call("search", &[("workspace_id", &ws), ("params[q]", "4111")])
            .await
            .expect("search");
        assert_eq!(
            hits["hits"].as_array().map(Vec::len),
            Some(1),
            "found before"
        );

        // For us: the words go from the thread, search, stars and pins; the timeline says who.
        delete(&mut owner, &ws, &theirs, "us")
            .await
            .expect("deleted");
        let thread = thread_of(&mut owner, &ws, &chat).await;
        let gone = message(&thread, &theirs);
        assert!(gone["deleted_at_ms"].is_i64());
        assert_eq!(gone["deleted_for_everyone"], false);
        assert_eq!(gone["content"], json!({ "type": "text", "body": "" }));
        assert_eq!(thread["pinned"], json!([]));
        assert_eq!(thread["starred"], json!([]));
        let notes: Vec<&str> = thread["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter_map(|n| n["body"].as_str())
            .collect();
        assert!(
            notes.contains(&"A message was deleted by Olivia"),
            "{notes:?}"
        );
        let hits = owner
            .call("search", &[("workspace_id", &ws), ("params[q]", "4111")])
            .await
            .expect("search");
        assert_eq!(hits["hits"], json!([]));
        let (_, html) = owner.page(&format!("/w/{ws}/conversations/{chat}")).await;
        assert!(html.contains("This message was deleted."));
        assert!(!html.contains("My card number is 4111"));
        // Once is enough; a deleted message is neither starred, pinned nor forwarded.
        let err = delete(&mut owner, &ws, &theirs, "us")
            .await
            .expect_err("again");
        assert_eq!(err.code, ErrorCode::Conflict);
        let err = owner.call("messages/star", &on).await.expect_err("deleted");
        assert_eq!(err.code, ErrorCode::NotFound);
        let err = owner
            .call(
                "messages/forward",
                &[
                    ("workspace_id", &ws),
                    ("message_id", &theirs),
                    ("to_conversation_id", &other),
                ],
            )
            .await
            .expect_err("deleted");
        assert_eq!(err.details, Some(json!({ "field": "message_id" })));

        // For everyone, where the channel can (the Sandbox can, as Telegram does).
        assert_eq!(thread["deletes_for_everyone"], true);
        delete(&mut owner, &ws, &ours, "everyone")
            .await
            .expect("deleted for everyone");
        let thread = thread_of(&mut owner, &ws, &chat).await;
        assert_eq!(message(&thread, &ours)["deleted_for_everyone"], true);
        // Both its messages gone, the list row shows no words of them.
        let list = owner
            .call(
                "conversations/list",
                &[("workspace_id", &ws), ("test", "false")],
            )
            .await
            .expect("list");
        let row = list["conversations"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|c| c["id"] == chat.as_str())
            .expect("the row");
        assert_eq!(row["last_message_preview"], "");
        let (_, html) = owner.page(&format!("/w/{ws}/conversations")).await;
        assert!(!html.contains("Thanks, noted.") && !html.contains("4111"));

        // A scheduled message has not gone out: it is canceled, not deleted.
        let week_ms = 7 * 24 * 3600 * 1000;
        let in_a_week = msgbuddy_domain::time::iso_utc(msgbuddy_core::db::now_ms() + week_ms);
        act(
            &mut owner,
            "conversations/send",
            &ws,
            &other,
            &[("text", "Tomorrow"), ("send_at", &in_a_week)],
        )
        .await
        .expect("scheduled");
        let later = id_of(&app, &other, "outbound").await;
        let err = delete(&mut owner, &ws, &later, "us")
            .await
            .expect_err("pending");
        assert_eq!(err.details, Some(json!({ "field": "message_id" })));
        assert!(err.message.contains("cancel it instead"), "{}", err.message);

        // A failed message deleted for us is not sent again by Retry (it has no words).
        let sandbox: String =
            sqlx::query("SELECT channel_account_id FROM conversations WHERE id = $1")
                .bind(&other)
                .fetch_one(app.db.reader())
                .await
                .expect("channel")
                .try_get(0)
                .expect("id");
        owner
            .call(
                "channels/update",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", &sandbox),
                    ("name", "Sandbox"),
                    ("values[sent_after_ms]", "0"),
                    ("values[failure_percent]", "100"),
                ],
            )
            .await
            .expect("a failing Sandbox");
        act(
            &mut owner,
            "conversations/send",
            &ws,
            &other,
            &[("text", "Doomed")],
        )
        .await
        .expect("sent");
        let doomed: String = sqlx::query("SELECT id FROM messages WHERE preview = 'Doomed'")
            .fetch_one(app.db.reader())
            .await
            .expect("the message")
            .try_get(0)
            .expect("id");
        let failed = "SELECT COUNT(*) FROM messages WHERE id = $1 AND status = 'failed'";
        for _ in 0..50 {
            settle(&app).await;
            if count(&app, failed, &[&doomed]).await == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            count(&app, failed, &[&doomed]).await,
            1,
            "the Sandbox failed it"
        );
        delete(&mut owner, &ws, &doomed, "us")
            .await
            .expect("deleted");
        let err = owner
            .call(
                "conversations/retry",
                &[("workspace_id", &ws), ("message_id", &doomed)],
            )
            .await
            .expect_err("nothing to send");
        assert_eq!(err.code, ErrorCode::Conflict);
        let retried =
            "SELECT COUNT(*) FROM messages WHERE id = $1 AND status = 'failed' AND attempts <= 1";
        assert_eq!(count(&app, retried, &[&doomed]).await, 1);

        // The agent deletes in their own conversation.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &other,
            &[("action", "assign"), ("assignee_id", &agent_id)],
        )
        .await
        .expect("assigned");
        let hello = id_of(&app, &other, "inbound").await;
        delete(&mut agent, &ws, &hello, "us")
            .await
            .expect("their own");
        assert_eq!(count(&app, standing, &[]).await, 1, "the scheduled one");
    }
}
