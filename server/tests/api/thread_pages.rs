//! A long thread in pages: the newest page first, then older pages before its oldest
//! message, in order and without gaps or repeats, for those who may see the conversation.

use crate::helpers::{TestApp, TestDb, backends, member_with_role, owner_with_workspace};
use crate::inbox::{act, customer_writes};
use msgbuddy_domain::ErrorCode;
use serde_json::Value;

fn texts(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"]["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn older_pages_come_before_the_oldest_shown_until_the_first_message() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app: TestApp = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Long").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (_, someone) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let chat = customer_writes(&app, &mut owner, &ws, "+15550960001", "Reply 0").await;
        for i in 1..=204 {
            act(
                &mut owner,
                "conversations/send",
                &ws,
                &chat,
                &[("text", &format!("Reply {i}"))],
            )
            .await
            .expect("sent");
        }
        let all: Vec<String> = (0..=204).map(|i| format!("Reply {i}")).collect();

        let first = owner
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &chat)],
            )
            .await
            .expect("thread");
        assert_eq!(texts(&first["messages"]), all[105..]);
        let mut before = first["older"].as_str().expect("older").to_owned();
        let mut pages = Vec::new();
        loop {
            let page = owner
                .call(
                    "conversations/older",
                    &[
                        ("workspace_id", &ws),
                        ("conversation_id", &chat),
                        ("before", &before),
                    ],
                )
                .await
                .expect("older");
            pages.push(texts(&page["messages"]));
            match page["older"].as_str() {
                Some(next) => before = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(pages, [all[5..105].to_vec(), all[..5].to_vec()]);

        // Someone else's conversation is out of an agent's reach, page by page too.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &chat,
            &[("action", "assign"), ("assignee_id", &someone)],
        )
        .await
        .expect("assigned");
        let err = agent
            .call(
                "conversations/older",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &chat),
                    ("before", &before),
                ],
            )
            .await
            .expect_err("not theirs");
        assert_eq!(err.code, ErrorCode::NotFound);
    }
}
