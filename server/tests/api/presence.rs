//! Who is viewing or typing in a conversation reaches the others live, over the event
//! stream, only where they may see the conversation; nothing of it is stored.

use crate::events::{SseEvent, SseReader};
use crate::helpers::{
    Browser, TestApp, TestDb, backends, count, member_with_role, owner_with_workspace,
};
use crate::inbox::{act, customer_writes};
use msgbuddy_domain::ErrorCode;

fn presence(events: &[SseEvent]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter(|e| e.name == "conversation.presence")
        .map(|e| {
            (
                e.data["name"].as_str().unwrap_or_default().to_owned(),
                e.data["activity"].as_str().unwrap_or_default().to_owned(),
                e.data["conversation_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

async fn announce(
    b: &mut Browser,
    ws: &str,
    conversation: &str,
    activity: &str,
) -> Result<serde_json::Value, msgbuddy_domain::AppError> {
    act(
        b,
        "conversations/presence",
        ws,
        conversation,
        &[("activity", activity)],
    )
    .await
}

#[tokio::test]
async fn viewing_and_typing_reach_the_members_who_may_see_the_conversation_and_are_not_stored() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Presence").await;
        let (mut a, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut b, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let pool = customer_writes(&app, &mut owner, &ws, "+15550005001", "hello").await;
        let theirs = customer_writes(&app, &mut owner, &ws, "+15550005002", "hi").await;
        act(
            &mut a,
            "conversations/assign",
            &ws,
            &theirs,
            &[("action", "claim")],
        )
        .await
        .expect("claimed");
        let stored = count(&app, "SELECT COUNT(*) FROM workspace_events", &[]).await;
        let mut owner_feed = SseReader::open(&owner, &ws, None).await;
        let mut a_feed = SseReader::open(&a, &ws, None).await;
        let mut b_feed = SseReader::open(&b, &ws, None).await;
        announce(&mut a, &ws, &pool, "viewing")
            .await
            .expect("announced");
        announce(&mut a, &ws, &theirs, "typing")
            .await
            .expect("announced");
        let agent_name = "agent".to_owned();
        assert_eq!(
            presence(&owner_feed.until_quiet().await),
            vec![
                (agent_name.clone(), "viewing".into(), pool.clone()),
                (agent_name.clone(), "typing".into(), theirs.clone()),
            ],
            "{}",
            backend.as_str()
        );
        // B sees the pool, not A's own conversation; A does not hear itself.
        assert_eq!(
            presence(&b_feed.until_quiet().await),
            vec![(agent_name.clone(), "viewing".into(), pool.clone())]
        );
        assert_eq!(presence(&a_feed.until_quiet().await), vec![]);

        // Nobody announces themselves where they cannot see, or types without replying.
        let e = announce(&mut b, &ws, &theirs, "viewing")
            .await
            .expect_err("not B's to see");
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = announce(&mut viewer, &ws, &pool, "typing")
            .await
            .expect_err("viewers do not write");
        assert_eq!(e.code, ErrorCode::Forbidden);
        let e = announce(&mut a, &ws, &pool, "shouting")
            .await
            .expect_err("not an activity");
        assert_eq!(e.details, Some(serde_json::json!({ "field": "activity" })));
        // A viewer looking on is seen; leaving is told too.
        announce(&mut viewer, &ws, &pool, "viewing")
            .await
            .expect("announced");
        announce(&mut a, &ws, &pool, "left")
            .await
            .expect("announced");
        assert_eq!(
            presence(&b_feed.until_quiet().await),
            vec![
                ("viewer".into(), "viewing".into(), pool.clone()),
                (agent_name.clone(), "left".into(), pool.clone()),
            ]
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM workspace_events", &[]).await,
            stored,
            "presence is not stored"
        );
    }
}
