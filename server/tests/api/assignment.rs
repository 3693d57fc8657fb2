//! Auto-assignment and the inactivity rule, run by their job's steps: round robin takes
//! turns, least busy evens out loads, nobody away, disconnected or at capacity gets one,
//! and an agent who lets a waiting customer lapse loses the conversation to someone else.
//! The settings refuse bad input by field and only those who edit settings change them.

use crate::events::SseReader;
use crate::helpers::{
    Browser, TestApp, TestDb, backends, count, member_with_role, owner_with_workspace,
};
use crate::inbox::{act, customer_writes, notes};
use msgbuddy_inbox::auto_assign::{assign_pool, release_inactive};
use sqlx::Row;

/// How many open live conversations of the workspace each of `users` holds.
async fn loads(app: &TestApp, ws: &str, users: &[&str]) -> Vec<i64> {
    let mut out = Vec::new();
    for user in users {
        out.push(
            count(
                app,
                "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND assignee_id = $2 AND status = 'open'",
                &[ws, user],
            )
            .await,
        );
    }
    out
}

async fn rules(owner: &mut Browser, ws: &str, mode: &str, minutes: &str) {
    owner
        .call(
            "assignment/rules",
            &[
                ("workspace_id", ws),
                ("auto_assign", mode),
                ("inactivity_minutes", minutes),
            ],
        )
        .await
        .expect("rules saved");
}

async fn assignee(app: &TestApp, conversation: &str) -> Option<String> {
    sqlx::query("SELECT assignee_id FROM conversations WHERE id = $1")
        .bind(conversation)
        .fetch_one(app.db.reader())
        .await
        .expect("row")
        .try_get(0)
        .expect("assignee")
}

#[tokio::test]
async fn auto_assignment_takes_turns_evens_loads_and_keeps_capacities_and_availability() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Shared out").await;
        let (mut a, a_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (b, b_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut c, c_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        // A and B have the inbox open; C too, but is away; the owner has no page open.
        let _a_page = SseReader::open(&a, &ws, None).await;
        let _b_page = SseReader::open(&b, &ws, None).await;
        let _c_page = SseReader::open(&c, &ws, None).await;
        c.call(
            "assignment/availability",
            &[("workspace_id", &ws), ("availability", "away")],
        )
        .await
        .expect("away");
        owner
            .call(
                "assignment/capacity",
                &[("workspace_id", &ws), ("user_id", &a_id), ("capacity", "2")],
            )
            .await
            .expect("capacity");

        // Off: the pool stays the pool.
        let first = customer_writes(&app, &mut owner, &ws, "+15550001001", "hello").await;
        assert_eq!(assign_pool(&app.messaging).await.expect("pass"), 0);
        assert_eq!(assignee(&app, &first).await, None);

        // Round robin: A and B in turn, the oldest waiting customer first, until A is full.
        rules(&mut owner, &ws, "round_robin", "").await;
        let mut waiting = vec![first];
        for i in 2..=6 {
            waiting.push(
                customer_writes(&app, &mut owner, &ws, &format!("+1555000100{i}"), "hi").await,
            );
        }
        assert_eq!(assign_pool(&app.messaging).await.expect("pass"), 6);
        assert_eq!(
            loads(&app, &ws, &[&a_id, &b_id, &c_id]).await,
            vec![2, 4, 0]
        );
        let order = [
            assignee(&app, &waiting[0]).await,
            assignee(&app, &waiting[1]).await,
            assignee(&app, &waiting[2]).await,
            assignee(&app, &waiting[3]).await,
        ];
        let (a_some, b_some) = (Some(a_id.clone()), Some(b_id.clone()));
        // Whoever went first, the two alternate while both have room.
        assert!(
            order
                == [
                    a_some.clone(),
                    b_some.clone(),
                    a_some.clone(),
                    b_some.clone()
                ]
                || order
                    == [
                        b_some.clone(),
                        a_some.clone(),
                        b_some.clone(),
                        a_some.clone()
                    ],
            "{order:?}"
        );
        let agent_notes = notes(&app, &waiting[0]).await;
        assert!(
            agent_notes
                .last()
                .is_some_and(|n| n.starts_with("Auto-assigned to ") && n.ends_with("(round robin)")),
            "{agent_notes:?}"
        );
        // The agent hears of it in their notification centre.
        let a_notices = count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'assigned'",
            &[&a_id],
        )
        .await;
        assert_eq!(a_notices, 2);
        // A second pass finds nothing to do.
        assert_eq!(assign_pool(&app.messaging).await.expect("again"), 0);

        // Least busy: C comes back online with nothing; A is full. New customers go to
        // C until C has as many as B, then they share.
        c.call(
            "assignment/availability",
            &[("workspace_id", &ws), ("availability", "online")],
        )
        .await
        .expect("online");
        rules(&mut owner, &ws, "least_busy", "").await;
        for i in 0..6 {
            customer_writes(&app, &mut owner, &ws, &format!("+1555000200{i}"), "hi").await;
        }
        assert_eq!(assign_pool(&app.messaging).await.expect("pass"), 6);
        assert_eq!(
            loads(&app, &ws, &[&a_id, &b_id, &c_id]).await,
            vec![2, 5, 5]
        );

        // A member with no page open takes nothing, whatever their availability.
        drop(_b_page);
        drop(_c_page);
        sqlx::query("UPDATE member_presence SET last_seen_at = 0 WHERE user_id IN ($1, $2)")
            .bind(&b_id)
            .bind(&c_id)
            .execute(app.db.writer())
            .await
            .expect("long gone");
        let late = customer_writes(&app, &mut owner, &ws, "+15550003000", "anyone?").await;
        assert_eq!(assign_pool(&app.messaging).await.expect("pass"), 0);
        assert_eq!(assignee(&app, &late).await, None);
        // A resolving one of theirs frees room under their capacity.
        let a_conversation: String = sqlx::query(
            "SELECT id FROM conversations WHERE assignee_id = $1 AND status = 'open' LIMIT 1",
        )
        .bind(&a_id)
        .fetch_one(app.db.reader())
        .await
        .expect("one of A's")
        .try_get(0)
        .expect("id");
        act(
            &mut a,
            "conversations/status",
            &ws,
            &a_conversation,
            &[("status", "resolved")],
        )
        .await
        .expect("resolved");
        assert_eq!(assign_pool(&app.messaging).await.expect("pass"), 1);
        assert_eq!(assignee(&app, &late).await, a_some);
    }
}

#[tokio::test]
async fn an_agent_who_leaves_a_customer_waiting_loses_the_conversation_to_someone_else() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Lapses").await;
        let (mut a, a_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (b, b_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let _a_page = SseReader::open(&a, &ws, None).await;
        let _b_page = SseReader::open(&b, &ws, None).await;
        rules(&mut owner, &ws, "round_robin", "15").await;
        let lapsed = customer_writes(&app, &mut owner, &ws, "+15550004001", "help?").await;
        let answered = customer_writes(&app, &mut owner, &ws, "+15550004002", "help!").await;
        act(
            &mut a,
            "conversations/assign",
            &ws,
            &lapsed,
            &[("action", "claim")],
        )
        .await
        .expect("claimed");
        act(
            &mut a,
            "conversations/assign",
            &ws,
            &answered,
            &[("action", "claim")],
        )
        .await
        .expect("claimed");
        a.call(
            "conversations/send",
            &[
                ("workspace_id", &ws),
                ("conversation_id", &answered),
                ("text", "On it"),
            ],
        )
        .await
        .expect("replied");
        crate::helpers::settle(&app).await;

        // Not yet: fifteen minutes have not passed.
        assert_eq!(release_inactive(&app.messaging).await.expect("pass"), 0);
        // Sixteen minutes later (moved back in the data, as a clock would move forward).
        for conversation in [&lapsed, &answered] {
            sqlx::query(
                "UPDATE conversations SET assigned_at = assigned_at - 960000, \
                 waiting_since = waiting_since - 960000 WHERE id = $1",
            )
            .bind(conversation)
            .execute(app.db.writer())
            .await
            .expect("time passes");
        }
        assert_eq!(release_inactive(&app.messaging).await.expect("pass"), 1);
        assert_eq!(assignee(&app, &lapsed).await, None);
        assert_eq!(
            assignee(&app, &answered).await,
            Some(a_id.clone()),
            "a customer who was answered is not waiting"
        );
        let lapsed_notes = notes(&app, &lapsed).await;
        assert!(
            lapsed_notes
                .last()
                .is_some_and(|n| n.starts_with("Unassigned: ")
                    && n.ends_with("had not replied within 15 minutes")),
            "{lapsed_notes:?}"
        );
        // Shared out again, it goes to B, not back to A, though A's turn would be next.
        assert_eq!(assign_pool(&app.messaging).await.expect("pass"), 1);
        assert_eq!(assignee(&app, &lapsed).await, Some(b_id.clone()));
        // B's clock starts now: the rule does not take it straight away.
        assert_eq!(release_inactive(&app.messaging).await.expect("pass"), 0);
    }
}

#[tokio::test]
async fn assignment_settings_refuse_bad_input_by_field_and_belong_to_those_who_edit_settings() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut owner, ws) = owner_with_workspace(&app, "Rules").await;
    let (mut supervisor, _) = member_with_role(&app, &mut owner, &ws, "supervisor").await;
    let (_viewer, viewer_id) = member_with_role(&app, &mut owner, &ws, "viewer").await;
    let (_agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
    for (mode, minutes, field) in [
        ("always", "", "auto_assign"),
        ("round_robin", "0", "inactivity_minutes"),
        ("round_robin", "1e9", "inactivity_minutes"),
        (
            "round_robin",
            "'; DROP TABLE inbox_settings; --",
            "inactivity_minutes",
        ),
    ] {
        let e = owner
            .call(
                "assignment/rules",
                &[
                    ("workspace_id", &ws),
                    ("auto_assign", mode),
                    ("inactivity_minutes", minutes),
                ],
            )
            .await
            .expect_err(minutes);
        assert_eq!(
            e.details,
            Some(serde_json::json!({ "field": field })),
            "{minutes}"
        );
    }
    for (user, capacity, field) in [
        (&agent_id, "-1", "capacity"),
        (&agent_id, "100000", "capacity"),
        (&viewer_id, "3", "user_id"),
        (&"nobody".to_owned(), "3", "user_id"),
    ] {
        let e = owner
            .call(
                "assignment/capacity",
                &[
                    ("workspace_id", &ws),
                    ("user_id", user),
                    ("capacity", capacity),
                ],
            )
            .await
            .expect_err(capacity);
        assert_eq!(
            e.details,
            Some(serde_json::json!({ "field": field })),
            "{capacity}"
        );
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM inbox_settings", &[]).await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM member_presence WHERE capacity IS NOT NULL",
            &[]
        )
        .await,
        0
    );
    // Supervisors assign by hand but do not change the workspace's rules.
    let e = supervisor
        .call(
            "assignment/rules",
            &[
                ("workspace_id", &ws),
                ("auto_assign", "least_busy"),
                ("inactivity_minutes", ""),
            ],
        )
        .await
        .expect_err("not theirs");
    assert_eq!(e.code, msgbuddy_domain::ErrorCode::Forbidden);
    let e = supervisor
        .call("assignment/settings", &[("workspace_id", &ws)])
        .await
        .expect_err("not theirs to read either");
    assert_eq!(e.code, msgbuddy_domain::ErrorCode::Forbidden);
    // The owner's changes are audited; the page shows them.
    rules(&mut owner, &ws, "least_busy", "30").await;
    owner
        .call(
            "assignment/capacity",
            &[
                ("workspace_id", &ws),
                ("user_id", &agent_id),
                ("capacity", "4"),
            ],
        )
        .await
        .expect("capacity");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('inbox.assignment_rules_changed', 'member.capacity_changed')",
            &[]
        )
        .await,
        2
    );
    let (status, page) = owner.page(&format!("/w/{ws}/settings/assignment")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<option value="least_busy" selected"#),
        "the mode shows"
    );
    assert!(page.contains(r#"value="30""#), "the threshold shows");
    assert!(page.contains(r#"value="4""#), "the capacity shows");
}
