//! Replies that quote a message (the provider's id of the quoted message travels with
//! the reply) and forwarding a copy of a message to another conversation.

use crate::helpers::{
    TestApp, TestDb, backends, count, member_with_role, owner_with_workspace, settle,
};
use crate::inbox::{act, customer_writes};
use serde_json::json;
use sqlx::Row;

async fn one(app: &TestApp, sql: &str, bind: &str) -> Option<String> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(bind)
        .fetch_one(app.db.reader())
        .await
        .expect("row")
        .try_get(0)
        .expect("value")
}

#[tokio::test]
async fn a_reply_quotes_its_message_and_a_message_forwards_to_another_conversation() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Replies").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (_, other_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let ana =
            customer_writes(&app, &mut owner, &ws, "+15550700001", "Where is my order?").await;
        let ben = customer_writes(&app, &mut owner, &ws, "+15550700002", "Hi").await;
        let question = one(
            &app,
            "SELECT id FROM messages WHERE conversation_id = $1",
            &ana,
        )
        .await
        .expect("id");
        let provider_id = one(
            &app,
            "SELECT provider_message_id FROM messages WHERE id = $1",
            &question,
        )
        .await
        .expect("the provider's id");

        // The reply carries the quoted message's provider id; the thread shows the quote.
        act(
            &mut owner,
            "conversations/send",
            &ws,
            &ana,
            &[("text", "It ships today."), ("reply_to", &question)],
        )
        .await
        .expect("replied");
        settle(&app).await;
        let answer =
            "SELECT reply_to FROM messages WHERE conversation_id = $1 AND direction = 'outbound'";
        assert_eq!(one(&app, answer, &ana).await, Some(provider_id.clone()));
        let thread = owner
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &ana)],
            )
            .await
            .expect("thread");
        let sent = thread["messages"]
            .as_array()
            .and_then(|l| l.iter().find(|m| m["direction"] == "outbound"))
            .expect("the reply");
        assert_eq!(sent["reply_to"], provider_id.as_str());
        let (_, html) = owner.page(&format!("/w/{ws}/conversations/{ana}")).await;
        assert!(
            html.contains("data-testid=\"message-quote\""),
            "the quote shows"
        );
        let (_, html) = owner
            .page(&format!("/w/{ws}/conversations/{ana}?reply={question}"))
            .await;
        assert!(
            html.contains("data-testid=\"composer-quote\"")
                && html.contains(&format!("name=\"reply_to\" value=\"{question}\""))
        );

        // Only a message of this conversation that the provider has can be quoted.
        let other_message = one(
            &app,
            "SELECT id FROM messages WHERE conversation_id = $1",
            &ben,
        )
        .await
        .expect("id");
        let before = count(&app, "SELECT COUNT(*) FROM messages", &[]).await;
        for quoted in [other_message.as_str(), "msg_nope", "' OR 1=1 --"] {
            let err = act(
                &mut owner,
                "conversations/send",
                &ws,
                &ana,
                &[("text", "x"), ("reply_to", quoted)],
            )
            .await
            .expect_err(quoted);
            assert_eq!(
                err.details,
                Some(json!({ "field": "reply_to" })),
                "{quoted}"
            );
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM messages", &[]).await,
            before,
            "nothing was sent"
        );

        // Forward the question to Ben's conversation: a copy goes out there.
        owner
            .call(
                "messages/forward",
                &[
                    ("workspace_id", &ws),
                    ("message_id", &question),
                    ("to_conversation_id", &ben),
                ],
            )
            .await
            .expect("forwarded");
        settle(&app).await;
        let copy =
            "SELECT preview FROM messages WHERE conversation_id = $1 AND direction = 'outbound'";
        assert_eq!(
            one(&app, copy, &ben).await.as_deref(),
            Some("Where is my order?")
        );
        for (to, field) in [
            (ana.as_str(), "to_conversation_id"),
            ("cv_nope", "to_conversation_id"),
        ] {
            let err = owner
                .call(
                    "messages/forward",
                    &[
                        ("workspace_id", &ws),
                        ("message_id", &question),
                        ("to_conversation_id", to),
                    ],
                )
                .await
                .expect_err(to);
            assert_eq!(err.details, Some(json!({ "field": field })), "{to}");
        }
        // An agent cannot forward into a conversation out of their reach.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &ben,
            &[("action", "assign"), ("assignee_id", &other_id)],
        )
        .await
        .expect("assigned");
        let err = agent
            .call(
                "messages/forward",
                &[
                    ("workspace_id", &ws),
                    ("message_id", &question),
                    ("to_conversation_id", &ben),
                ],
            )
            .await
            .expect_err("out of reach");
        assert_eq!(err.details, Some(json!({ "field": "to_conversation_id" })));
    }
}
