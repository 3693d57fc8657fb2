//! `/events`: replay after `Last-Event-ID`, role filtering, and events crossing server
//! instances on PostgreSQL.

use crate::helpers::{
    Browser, TestApp, TestDb, backends, member_with_role, owner_with_workspace, settle,
};
use crate::inbox::{act, customer_writes};
use msgbuddy_core::Backend;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: i64,
    pub name: String,
    pub data: serde_json::Value,
}

/// An open SSE connection read event by event.
pub struct SseReader {
    res: reqwest::Response,
    buf: String,
}

impl SseReader {
    pub async fn open(b: &Browser, workspace: &str, last_event_id: Option<i64>) -> SseReader {
        let mut req = b
            .client
            .get(format!("{}/events?workspace={workspace}", b.base))
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.expect("sse request");
        assert_eq!(res.status(), 200, "SSE stream opens");
        SseReader {
            res,
            buf: String::new(),
        }
    }

    /// The next event, or `None` if none arrives within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if let Some(e) = parse_block(&block) {
                    return Some(e);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .ok()?
                .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Every event the stream brings until it has been quiet for a second.
    pub async fn until_quiet(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while let Some(e) = self.next(Duration::from_secs(1)).await {
            out.push(e);
        }
        out
    }

    pub async fn take(&mut self, n: usize) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while out.len() < n {
            match self.next(Duration::from_secs(10)).await {
                Some(e) => out.push(e),
                None => break,
            }
        }
        out
    }
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let (mut id, mut name, mut data) = (None, None, String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            name = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    Some(SseEvent {
        // Stored events count from 1; presence signals are not stored and carry no id.
        id: id.unwrap_or(0),
        name: name?,
        data: serde_json::from_str(&data).ok()?,
    })
}

#[tokio::test]
async fn a_reconnecting_client_receives_every_event_it_missed_then_live_ones() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Live").await;
        for role in ["agent", "viewer", "supervisor"] {
            owner.invite(&ws, role).await;
        }
        // The first connection saw event 1, then dropped.
        let mut sse = SseReader::open(&owner, &ws, Some(1)).await;
        let replay = sse.take(2).await;
        assert_eq!(
            replay.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![2, 3],
            "{}",
            backend.as_str()
        );
        assert!(replay.iter().all(|e| e.name == "invitation.created"));
        assert_eq!(replay[0].data["role"], "viewer");

        owner.invite(&ws, "auditor").await;
        let live = sse.next(Duration::from_secs(10)).await.expect("live event");
        assert_eq!((live.id, live.name.as_str()), (4, "invitation.created"));
        assert_eq!(live.data["role"], "auditor");

        let fresh = SseReader::open(&owner, &ws, None).await;
        drop(fresh);
        let mut from_zero = SseReader::open(&owner, &ws, Some(0)).await;
        assert_eq!(
            from_zero
                .take(4)
                .await
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
    }
}

#[tokio::test]
async fn members_see_only_events_their_role_allows_and_hear_their_role_change() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Roles").await;
        let (agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let mut sse = SseReader::open(&agent, &ws, None).await;
        owner.invite(&ws, "viewer").await; // invitations are not for agents' eyes
        owner
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &agent_id),
                    ("role", "admin"),
                ],
            )
            .await
            .expect("promoted");
        let changed = sse
            .next(Duration::from_secs(10))
            .await
            .expect("role change arrives");
        assert_eq!(
            changed.name, "member.role_changed",
            "the invitation event was filtered out"
        );
        assert_eq!(changed.data["user_id"], agent_id.as_str());
        assert_eq!(changed.data["to"], "admin");
        owner.invite(&ws, "viewer").await;
        let now_visible = sse
            .next(Duration::from_secs(10))
            .await
            .expect("admin now sees invitations");
        assert_eq!(now_visible.name, "invitation.created");

        owner
            .call(
                "members/remove",
                &[("workspace_id", &ws), ("user_id", &agent_id)],
            )
            .await
            .expect("removed");
        let removed = sse
            .next(Duration::from_secs(10))
            .await
            .expect("removal arrives");
        assert_eq!(removed.name, "member.removed");
        assert_eq!(
            sse.next(Duration::from_secs(3)).await,
            None,
            "the stream ends after removal"
        );
    }
}

#[tokio::test]
async fn an_event_raised_on_one_instance_reaches_a_subscriber_of_another() {
    if !backends().contains(&Backend::Postgres) {
        eprintln!("skipped: set TEST_DATABASE_URL to run the PostgreSQL cross-instance test");
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let first = TestApp::spawn(&db, &[]).await;
    let second = TestApp::spawn(&db, &[]).await;
    let mut owner = first.browser();
    owner
        .sign_up("Olivia", "olivia@example.com", "password-123")
        .await
        .expect("sign up");
    let ws = owner.create_workspace("Cluster").await;
    let mut watcher = second.browser();
    watcher
        .log_in("olivia@example.com", "password-123")
        .await
        .expect("same account on the other instance");
    let mut sse = SseReader::open(&watcher, &ws, None).await;
    // Let the subscription settle, then raise the event on the first instance.
    tokio::time::sleep(Duration::from_millis(200)).await;
    owner.invite(&ws, "agent").await;
    let event = sse
        .next(Duration::from_secs(5))
        .await
        .expect("event crosses instances well before the 15 s re-check");
    assert_eq!(event.name, "invitation.created");
    assert_eq!(event.id, 1);
}

/// The conversation a conversation event is about.
fn conversation_of(e: &SseEvent) -> Option<&str> {
    e.data["message"]["conversation_id"]
        .as_str()
        .or_else(|| e.data["conversation_id"].as_str())
        .or_else(|| e.data["conversation"]["id"].as_str())
}

/// The names of the events about `conversation`.
fn about(events: &[SseEvent], conversation: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| conversation_of(e) == Some(conversation))
        .map(|e| e.name.clone())
        .collect()
}

/// Agents hear of the pool's conversations and their own, never another agent's; a
/// conversation assigned away is told to whoever saw it before, then no more.
#[tokio::test]
async fn agents_hear_only_of_the_conversations_they_may_see() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Scoped").await;
        let (ann, ann_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (bob, bob_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let mut owner_sse = SseReader::open(&owner, &ws, None).await;
        let mut ann_sse = SseReader::open(&ann, &ws, None).await;
        let mut bob_sse = SseReader::open(&bob, &ws, None).await;

        // In the pool: everyone hears of it.
        let c = customer_writes(&app, &mut owner, &ws, "+15550100901", "Hello?").await;
        for sse in [&mut owner_sse, &mut ann_sse, &mut bob_sse] {
            assert_eq!(about(&sse.until_quiet().await, &c), vec!["message.created"]);
        }

        // Assigned to Ann: she and Bob (who saw it in the pool) hear of the move.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &c,
            &[("action", "assign"), ("assignee_id", &ann_id)],
        )
        .await
        .expect("to Ann");
        assert_eq!(
            about(&ann_sse.until_quiet().await, &c),
            vec!["conversation.updated"]
        );
        let moved = bob_sse.until_quiet().await;
        assert_eq!(about(&moved, &c), vec!["conversation.updated"]);
        assert_eq!(moved[0].data["moved_from"], "pool");
        assert_eq!(
            about(&owner_sse.until_quiet().await, &c),
            vec!["conversation.updated"]
        );

        // Now Ann's: her customer's words and her replies' receipts reach her alone.
        customer_writes(&app, &mut owner, &ws, "+15550100901", "Still there?").await;
        act(
            &mut owner,
            "conversations/send",
            &ws,
            &c,
            &[("text", "Yes, looking now")],
        )
        .await
        .expect("reply");
        settle(&app).await;
        let hers = about(&ann_sse.until_quiet().await, &c);
        assert!(hers.contains(&"message.created".to_owned()), "{hers:?}");
        assert!(
            hers.contains(&"message.status_changed".to_owned()),
            "{hers:?}"
        );
        assert_eq!(
            about(&bob_sse.until_quiet().await, &c),
            Vec::<String>::new()
        );
        assert_eq!(
            about(&owner_sse.until_quiet().await, &c),
            hers,
            "the owner hears all"
        );

        // Reassigned to Bob: Ann is told it left her, then hears no more of it.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &c,
            &[("action", "assign"), ("assignee_id", &bob_id)],
        )
        .await
        .expect("to Bob");
        let left = ann_sse.until_quiet().await;
        assert_eq!(about(&left, &c), vec!["conversation.updated"]);
        assert_eq!(
            left[0].data["moved_from"]["member"]["user_id"],
            ann_id.as_str()
        );
        assert_eq!(
            about(&bob_sse.until_quiet().await, &c),
            vec!["conversation.updated"]
        );
        customer_writes(&app, &mut owner, &ws, "+15550100901", "Hello again").await;
        assert_eq!(
            about(&ann_sse.until_quiet().await, &c),
            Vec::<String>::new()
        );
        // Bob hears it (and the receipts of Ann's reply that came in since, now his).
        let his = about(&bob_sse.until_quiet().await, &c);
        assert!(his.contains(&"message.created".to_owned()), "{his:?}");

        // A replay is held to the conversation as it is now: Ann, reconnecting, gets none
        // of its messages (Bob's now), only the two moves that concerned her.
        let mut replay = SseReader::open(&ann, &ws, Some(0)).await;
        assert_eq!(
            about(&replay.until_quiet().await, &c),
            vec!["conversation.updated", "conversation.updated"]
        );
    }
}
