//! Private notes and notifications, on both backends: a note's @mentions notify the
//! members who may see the conversation, live and to them alone; the Mentions view; an
//! assignment notifies the assignee; marking read; a note never reaches the customer;
//! bad input changes nothing.

use crate::events::{SseEvent, SseReader};
use crate::helpers::{
    Browser, TestApp, TestDb, backends, count, member_with_role, owner_with_workspace,
};
use crate::inbox::{act, customer_writes, listed, notes};
use serde_json::Value;

async fn notifications(b: &mut Browser, ws: &str) -> Value {
    b.call("notifications/list", &[("workspace_id", ws)])
        .await
        .expect("notifications")
}

async fn message_count(app: &TestApp, conversation: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1",
        &[conversation],
    )
    .await
}

#[tokio::test]
async fn a_private_note_notifies_the_members_it_mentions_and_only_them() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Notes").await;
        let (mut agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut supervisor, supervisor_id) =
            member_with_role(&app, &mut owner, &ws, "supervisor").await;
        let conversation =
            customer_writes(&app, &mut owner, &ws, "+15550100801", "My parcel is late").await;
        let messages = message_count(&app, &conversation).await;
        let mut agent_sse = SseReader::open(&agent, &ws, None).await;
        let mut supervisor_sse = SseReader::open(&supervisor, &ws, None).await;

        // The owner mentions the agent (and themselves, which notifies nobody).
        act(
            &mut owner,
            "conversations/note",
            &ws,
            &conversation,
            &[(
                "text",
                "  @AGENT can you check the courier? @Olivia will call.  ",
            )],
        )
        .await
        .expect("note");
        let thread = owner
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &conversation)],
            )
            .await
            .expect("thread");
        let note = thread["timeline"]
            .as_array()
            .and_then(|t| t.iter().find(|n| n["kind"] == "note"))
            .cloned()
            .expect("the note is in the timeline");
        assert_eq!(
            note["body"],
            "@AGENT can you check the courier? @Olivia will call."
        );
        assert_eq!(note["author_name"], "Olivia");
        assert_eq!(
            message_count(&app, &conversation).await,
            messages,
            "a note is never sent to the customer"
        );

        // Live: the agent hears of their notification; the supervisor sees the note on the
        // conversation but never the agent's notification.
        let heard = agent_sse.until_quiet().await;
        let mine: Vec<&SseEvent> = heard
            .iter()
            .filter(|e| e.name == "notification.created")
            .collect();
        assert_eq!(mine.len(), 1, "{heard:?}");
        assert_eq!(mine[0].data["user_id"], agent_id.as_str());
        assert_eq!(
            mine[0].data["notification"]["body"],
            "Olivia mentioned you: @AGENT can you check the courier? @Olivia will call."
        );
        assert!(
            heard
                .iter()
                .any(|e| e.name == "conversation.updated" && e.data["note"]["kind"] == "note")
        );
        let overheard = supervisor_sse.until_quiet().await;
        assert!(overheard.iter().any(|e| e.name == "conversation.updated"));
        assert!(
            overheard.iter().all(|e| e.name != "notification.created"),
            "{overheard:?}"
        );

        // The agent's notification centre and Mentions view; nobody else's.
        let list = notifications(&mut agent, &ws).await;
        assert_eq!(list["unread"], 1);
        assert_eq!(list["notifications"][0]["kind"], "mentioned");
        assert_eq!(
            list["notifications"][0]["conversation_id"],
            conversation.as_str()
        );
        assert_eq!(notifications(&mut owner, &ws).await["unread"], 0);
        assert_eq!(
            listed(&mut agent, &ws, &[("view", "mentions")])
                .await
                .expect("mentions"),
            vec![conversation.clone()]
        );
        assert!(
            listed(&mut supervisor, &ws, &[("view", "mentions")])
                .await
                .expect("none")
                .is_empty()
        );

        // Assigned to the supervisor by the owner: they are told; the agent, who can no
        // longer see the conversation, is mentioned in vain.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &conversation,
            &[("action", "assign"), ("assignee_id", &supervisor_id)],
        )
        .await
        .expect("assigned");
        let told = notifications(&mut supervisor, &ws).await;
        assert_eq!(told["unread"], 1);
        assert_eq!(told["notifications"][0]["kind"], "assigned");
        assert_eq!(
            told["notifications"][0]["body"],
            "Olivia assigned you the conversation with +15550100801"
        );
        act(
            &mut owner,
            "conversations/note",
            &ws,
            &conversation,
            &[("text", "@agent never mind")],
        )
        .await
        .expect("second note");
        assert_eq!(notifications(&mut agent, &ws).await["unread"], 1);

        // Marking read: one's own, by id or all; another member's is not found.
        let theirs = told["notifications"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let e = agent
            .call(
                "notifications/read",
                &[("workspace_id", &ws), ("notification_id", &theirs)],
            )
            .await
            .expect_err("not the agent's");
        assert_eq!(e.code.http_status(), 404);
        assert_eq!(notifications(&mut supervisor, &ws).await["unread"], 1);
        let own = list["notifications"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        agent
            .call(
                "notifications/read",
                &[("workspace_id", &ws), ("notification_id", &own)],
            )
            .await
            .expect("read");
        let after = notifications(&mut agent, &ws).await;
        assert_eq!(after["unread"], 0);
        assert_eq!(after["notifications"][0]["read"], true);
        supervisor
            .call("notifications/read", &[("workspace_id", &ws)])
            .await
            .expect("all read");
        assert_eq!(notifications(&mut supervisor, &ws).await["unread"], 0);
    }
}

#[tokio::test]
async fn bad_notes_are_refused_and_change_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Bad notes").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let (_, other_agent) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let conversation = customer_writes(&app, &mut owner, &ws, "+15550100802", "Hello").await;
        let before = notes(&app, &conversation).await;
        let long = "x".repeat(4_001);
        for (text, field) in [("   ", "text"), (long.as_str(), "text")] {
            let e = act(
                &mut owner,
                "conversations/note",
                &ws,
                &conversation,
                &[("text", text)],
            )
            .await
            .expect_err("refused");
            assert_eq!(e.code.http_status(), 422, "{e:?}");
            assert_eq!(
                e.details.as_ref().and_then(|d| d["field"].as_str()),
                Some(field)
            );
        }
        let e = act(
            &mut viewer,
            "conversations/note",
            &ws,
            &conversation,
            &[("text", "hi")],
        )
        .await
        .expect_err("viewers read only");
        assert_eq!(e.code.http_status(), 403);
        let e = act(
            &mut owner,
            "conversations/note",
            &ws,
            "cnv_missing",
            &[("text", "hi")],
        )
        .await
        .expect_err("no such conversation");
        assert_eq!(e.code.http_status(), 404);
        // Another agent's conversation is not there for this agent.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &conversation,
            &[("action", "assign"), ("assignee_id", &other_agent)],
        )
        .await
        .expect("assigned");
        let e = act(
            &mut agent,
            "conversations/note",
            &ws,
            &conversation,
            &[("text", "hi")],
        )
        .await
        .expect_err("hidden");
        assert_eq!(e.code.http_status(), 404);
        let after = notes(&app, &conversation).await;
        assert_eq!(
            after.len(),
            before.len() + 1,
            "only the assignment's note: {after:?}"
        );
        let unknown = owner
            .call(
                "notifications/read",
                &[("workspace_id", &ws), ("notification_id", "ntf_nope")],
            )
            .await
            .expect_err("unknown notification");
        assert_eq!(unknown.code.http_status(), 404);
    }
}
