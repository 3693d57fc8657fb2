//! Marks: stars are the member's own (their Starred page), pins are the conversation's
//! (at most three, each a timeline note), read/unread moves the list's count; every mark
//! reaches only messages the member may see.

use crate::helpers::{
    TestApp, TestDb, backends, count, member_with_role, owner_with_workspace, unique_email,
};
use crate::inbox::{act, customer_writes, notes};
use msgbuddy_domain::ErrorCode;
use serde_json::json;
use sqlx::Row;

async fn messages_of(app: &TestApp, conversation: &str) -> Vec<String> {
    sqlx::query("SELECT id FROM messages WHERE conversation_id = $1 ORDER BY created_at, id")
        .bind(conversation)
        .fetch_all(app.db.reader())
        .await
        .expect("messages")
        .iter()
        .map(|r| r.try_get(0).expect("id"))
        .collect()
}

#[tokio::test]
async fn stars_are_personal_pins_are_shared_and_capped_and_unread_comes_back() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Marks").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut other, other_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let ana = customer_writes(&app, &mut owner, &ws, "+15550300001", "First").await;
        for text in ["Second", "Third", "Fourth <b>bold</b>"] {
            customer_writes(&app, &mut owner, &ws, "+15550300001", text).await;
        }
        let ids = messages_of(&app, &ana).await;
        assert_eq!(ids.len(), 4);

        // Stars: idempotent, personal, listed newest first, and undone.
        for id in [&ids[0], &ids[3], &ids[3]] {
            owner
                .call(
                    "messages/star",
                    &[("workspace_id", &ws), ("message_id", id), ("on", "1")],
                )
                .await
                .expect("starred");
            // Distinct star times: the list is by time.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let starred = owner
            .call("messages/starred", &[("workspace_id", &ws)])
            .await
            .expect("list");
        let listed: Vec<&str> = starred
            .as_array()
            .expect("list")
            .iter()
            .map(|s| s["message"]["id"].as_str().expect("id"))
            .collect();
        assert_eq!(listed, vec![ids[3].as_str(), ids[0].as_str()]);
        assert_eq!(starred[0]["contact_name"], "+15550300001");
        let theirs = agent
            .call("messages/starred", &[("workspace_id", &ws)])
            .await
            .expect("agent's list");
        assert_eq!(theirs, json!([]), "stars are personal");
        let (_, html) = owner.page(&format!("/w/{ws}/starred")).await;
        assert_eq!(html.matches("data-testid=\"starred-message\"").count(), 2);
        assert!(
            html.contains("Fourth &lt;b&gt;bold&lt;/b&gt;"),
            "bodies are escaped"
        );
        let (_, html) = owner.page(&format!("/w/{ws}/conversations/{ana}")).await;
        assert_eq!(html.matches("data-testid=\"message-unstar\"").count(), 2);
        owner
            .call(
                "messages/star",
                &[("workspace_id", &ws), ("message_id", &ids[0]), ("on", "0")],
            )
            .await
            .expect("unstarred");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM starred_messages", &[]).await,
            1
        );

        // Pins: shared, noted, at most three.
        for id in &ids[..3] {
            agent
                .call(
                    "messages/pin",
                    &[("workspace_id", &ws), ("message_id", id), ("on", "1")],
                )
                .await
                .expect("pinned");
        }
        let err = agent
            .call(
                "messages/pin",
                &[("workspace_id", &ws), ("message_id", &ids[3]), ("on", "1")],
            )
            .await
            .expect_err("a fourth pin");
        assert_eq!(err.details, Some(json!({ "field": "message_id" })));
        assert!(err.message.contains("at most 3"));
        // Pinning one already pinned changes nothing.
        agent
            .call(
                "messages/pin",
                &[("workspace_id", &ws), ("message_id", &ids[0]), ("on", "1")],
            )
            .await
            .expect("again");
        assert_eq!(
            notes(&app, &ana)
                .await
                .iter()
                .filter(|n| n.starts_with("Message pinned by"))
                .count(),
            3
        );
        let (_, html) = owner.page(&format!("/w/{ws}/conversations/{ana}")).await;
        assert!(html.contains("data-testid=\"pinned-messages\""));
        assert_eq!(html.matches("data-testid=\"message-unpin\"").count(), 3);
        owner
            .call(
                "messages/pin",
                &[("workspace_id", &ws), ("message_id", &ids[1]), ("on", "0")],
            )
            .await
            .expect("unpinned");
        assert!(
            notes(&app, &ana)
                .await
                .iter()
                .any(|n| n.starts_with("Message unpinned by"))
        );
        let err = viewer
            .call(
                "messages/pin",
                &[("workspace_id", &ws), ("message_id", &ids[3]), ("on", "1")],
            )
            .await
            .expect_err("viewer");
        assert_eq!(err.code, ErrorCode::Forbidden);
        let err = act(
            &mut viewer,
            "conversations/read",
            &ws,
            &ana,
            &[("read", "0")],
        )
        .await
        .expect_err("a viewer reads only");
        assert_eq!(err.code, ErrorCode::Forbidden);

        // Read and unread.
        sqlx::query("UPDATE conversations SET unread_count = 0 WHERE id = $1")
            .bind(&ana)
            .execute(app.db.writer())
            .await
            .expect("read");
        act(
            &mut owner,
            "conversations/read",
            &ws,
            &ana,
            &[("read", "0")],
        )
        .await
        .expect("unread");
        let unread = "SELECT unread_count FROM conversations WHERE id = $1";
        assert_eq!(count(&app, unread, &[ana.as_str()]).await, 1);
        act(
            &mut owner,
            "conversations/read",
            &ws,
            &ana,
            &[("read", "1")],
        )
        .await
        .expect("read again");
        assert_eq!(count(&app, unread, &[ana.as_str()]).await, 0);

        // Out of reach: another agent's conversation, another workspace's message.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &ana,
            &[("action", "assign"), ("assignee_id", &other_id)],
        )
        .await
        .expect("to the other agent");
        for (endpoint, on) in [("messages/star", "1"), ("messages/pin", "1")] {
            let err = agent
                .call(
                    endpoint,
                    &[("workspace_id", &ws), ("message_id", &ids[3]), ("on", on)],
                )
                .await
                .expect_err(endpoint);
            assert_eq!(err.code, ErrorCode::NotFound, "{endpoint}");
        }
        let err = act(
            &mut agent,
            "conversations/read",
            &ws,
            &ana,
            &[("read", "0")],
        )
        .await
        .expect_err("not theirs");
        assert_eq!(err.code, ErrorCode::NotFound);
        other
            .call(
                "messages/star",
                &[("workspace_id", &ws), ("message_id", &ids[3]), ("on", "1")],
            )
            .await
            .expect("the assignee may");
        let mut stranger = app.browser();
        stranger
            .sign_up("Sam", &unique_email("sam"), "password-123")
            .await
            .expect("sign up");
        let elsewhere = stranger.create_workspace("Elsewhere").await;
        let err = stranger
            .call(
                "messages/star",
                &[
                    ("workspace_id", &elsewhere),
                    ("message_id", &ids[3]),
                    ("on", "1"),
                ],
            )
            .await
            .expect_err("another workspace's message");
        assert_eq!(err.code, ErrorCode::NotFound);
    }
}
