//! The inbox: the list's views and filters, keyset pages that hold still while new
//! conversations arrive, assignment and statuses with their timeline notes and events,
//! who may do what (agents see the pool and their own), and the snooze alarm.

use crate::helpers::{
    Browser, TestApp, TestDb, backends, member_with_role, owner_with_workspace, settle,
};
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::role::Role;
use msgbuddy_inbox::views::{self, Query, Sort, View};
use serde_json::Value;
use sqlx::Row;

/// A customer writes to the workspace's Sandbox number; returns their conversation.
pub(crate) async fn customer_writes(
    app: &TestApp,
    owner: &mut Browser,
    ws: &str,
    from: &str,
    text: &str,
) -> String {
    owner
        .call(
            "channels/simulate",
            &[
                ("workspace_id", ws),
                ("from", from),
                ("name", from),
                ("text", text),
            ],
        )
        .await
        .expect("simulated");
    settle(app).await;
    let id: String = sqlx::query(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.phone = $1 AND c.status <> 'resolved'",
    )
    .bind(from)
    .fetch_one(app.db.reader())
    .await
    .expect("the conversation")
    .try_get(0)
    .expect("id");
    id
}

/// The ids a member's list shows for a view and filters, in order.
pub(crate) async fn listed(
    b: &mut Browser,
    ws: &str,
    params: &[(&str, &str)],
) -> Result<Vec<String>, msgbuddy_domain::AppError> {
    let mut form = vec![("workspace_id", ws), ("test", "false")];
    let named: Vec<(String, &str)> = params
        .iter()
        .map(|(k, v)| (format!("params[{k}]"), *v))
        .collect();
    form.extend(named.iter().map(|(k, v)| (k.as_str(), *v)));
    let page = b.call("conversations/list", &form).await?;
    Ok(page["conversations"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

pub(crate) async fn act(
    b: &mut Browser,
    endpoint: &str,
    ws: &str,
    conversation: &str,
    fields: &[(&str, &str)],
) -> Result<Value, msgbuddy_domain::AppError> {
    let mut form = vec![("workspace_id", ws), ("conversation_id", conversation)];
    form.extend_from_slice(fields);
    b.call(endpoint, &form).await
}

pub(crate) async fn notes(app: &TestApp, conversation: &str) -> Vec<String> {
    sqlx::query(
        "SELECT body FROM conversation_notes WHERE conversation_id = $1 ORDER BY created_at, id",
    )
    .bind(conversation)
    .fetch_all(app.db.reader())
    .await
    .expect("notes")
    .iter()
    .map(|r| r.try_get(0).expect("body"))
    .collect()
}

#[tokio::test]
async fn views_filters_assignment_and_statuses_with_their_notes_and_rights() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Inbox").await;
        let (mut agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut other, other_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;

        let ana =
            customer_writes(&app, &mut owner, &ws, "+15550100001", "Where is my order?").await;
        let ben = customer_writes(&app, &mut owner, &ws, "+15550100002", "Hello").await;
        let cy = customer_writes(&app, &mut owner, &ws, "+15550100003", "Refund please").await;

        // Newest activity first; nobody has them yet.
        assert_eq!(
            listed(&mut owner, &ws, &[]).await.expect("all"),
            vec![cy.clone(), ben.clone(), ana.clone()]
        );
        assert_eq!(
            listed(&mut owner, &ws, &[("view", "unassigned")])
                .await
                .expect("pool")
                .len(),
            3
        );
        assert!(
            listed(&mut agent, &ws, &[("view", "mine")])
                .await
                .expect("mine")
                .is_empty()
        );

        // An agent claims one; a supervisor's role assigns another to the other agent.
        act(
            &mut agent,
            "conversations/assign",
            &ws,
            &ana,
            &[("action", "claim")],
        )
        .await
        .expect("claimed");
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &ben,
            &[("action", "assign"), ("assignee_id", &other_id)],
        )
        .await
        .expect("assigned");
        assert_eq!(
            listed(&mut agent, &ws, &[("view", "mine")])
                .await
                .expect("mine"),
            vec![ana.clone()]
        );
        assert_eq!(
            listed(&mut owner, &ws, &[("view", "unassigned")])
                .await
                .expect("pool"),
            vec![cy.clone()]
        );
        assert_eq!(
            listed(&mut owner, &ws, &[("assignee", &other_id)])
                .await
                .expect("by assignee"),
            vec![ben.clone()]
        );
        // Agents see the pool and their own, never another agent's, not even by id.
        assert_eq!(
            listed(&mut agent, &ws, &[]).await.expect("agent all"),
            vec![cy.clone(), ana.clone()]
        );
        let hidden = agent
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &ben)],
            )
            .await
            .expect_err("another agent's");
        assert_eq!(hidden.code.http_status(), 404);
        let (status, _) = agent.page(&format!("/w/{ws}/conversations/{ben}")).await;
        assert_eq!(status, 404);
        // ... nor claim or reply in it.
        let e = act(
            &mut agent,
            "conversations/assign",
            &ws,
            &ben,
            &[("action", "claim")],
        )
        .await
        .expect_err("not theirs");
        assert_eq!(e.code.http_status(), 404);
        let e = act(
            &mut agent,
            "conversations/send",
            &ws,
            &ben,
            &[("text", "Hi")],
        )
        .await
        .expect_err("not theirs");
        assert_eq!(e.code.http_status(), 404);
        // Agents do not assign to others; viewers change nothing.
        let e = act(
            &mut agent,
            "conversations/assign",
            &ws,
            &cy,
            &[("action", "assign"), ("assignee_id", &other_id)],
        )
        .await
        .expect_err("agent assigns");
        assert_eq!(e.code.http_status(), 403);
        let e = act(
            &mut viewer,
            "conversations/status",
            &ws,
            &cy,
            &[("status", "resolved")],
        )
        .await
        .expect_err("viewer");
        assert_eq!(e.code.http_status(), 403);
        let e = act(
            &mut owner,
            "conversations/assign",
            &ws,
            &cy,
            &[("action", "assign"), ("assignee_id", "usr_nobody")],
        )
        .await
        .expect_err("stranger");
        assert_eq!(
            e.details.as_ref().and_then(|d| d["field"].as_str()),
            Some("assignee_id")
        );
        // A claimed conversation cannot be claimed from under its agent.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &cy,
            &[("action", "assign"), ("assignee_id", &agent_id)],
        )
        .await
        .expect("assigned");
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &cy,
            &[("action", "unassign")],
        )
        .await
        .expect("back to the pool");
        act(
            &mut other,
            "conversations/assign",
            &ws,
            &cy,
            &[("action", "claim")],
        )
        .await
        .expect("claimed");
        let e = act(
            &mut agent,
            "conversations/assign",
            &ws,
            &cy,
            &[("action", "claim")],
        )
        .await
        .expect_err("taken");
        assert_eq!(
            e.code.http_status(),
            404,
            "taken by another agent: no longer visible"
        );
        act(
            &mut other,
            "conversations/assign",
            &ws,
            &cy,
            &[("action", "unassign")],
        )
        .await
        .expect("given back");

        // Statuses: pending, resolved (out of the active views), reopened.
        act(
            &mut agent,
            "conversations/status",
            &ws,
            &ana,
            &[("status", "pending")],
        )
        .await
        .expect("pending");
        assert_eq!(
            listed(&mut agent, &ws, &[("view", "mine"), ("status", "pending")])
                .await
                .expect("pending"),
            vec![ana.clone()]
        );
        assert!(
            listed(&mut agent, &ws, &[("view", "mine"), ("status", "open")])
                .await
                .expect("open")
                .is_empty()
        );
        act(
            &mut agent,
            "conversations/status",
            &ws,
            &ana,
            &[("status", "resolved")],
        )
        .await
        .expect("resolved");
        assert!(
            listed(&mut agent, &ws, &[("view", "mine")])
                .await
                .expect("mine")
                .is_empty()
        );
        assert_eq!(
            listed(&mut agent, &ws, &[("view", "resolved")])
                .await
                .expect("resolved"),
            vec![ana.clone()]
        );
        act(
            &mut agent,
            "conversations/status",
            &ws,
            &ana,
            &[("status", "open")],
        )
        .await
        .expect("reopened");
        // Snoozed for a day: only in Snoozed; a customer's message wakes it at once.
        act(
            &mut owner,
            "conversations/status",
            &ws,
            &cy,
            &[("status", "snoozed"), ("snooze_hours", "24")],
        )
        .await
        .expect("snoozed");
        assert_eq!(
            listed(&mut owner, &ws, &[("view", "snoozed")])
                .await
                .expect("snoozed"),
            vec![cy.clone()]
        );
        assert!(
            !listed(&mut owner, &ws, &[])
                .await
                .expect("all")
                .contains(&cy)
        );
        let e = act(
            &mut owner,
            "conversations/status",
            &ws,
            &cy,
            &[("status", "snoozed"), ("snooze_until", "2001-01-01T00:00")],
        )
        .await
        .expect_err("past");
        assert_eq!(
            e.details.as_ref().and_then(|d| d["field"].as_str()),
            Some("snooze_until")
        );
        let e = act(
            &mut owner,
            "conversations/status",
            &ws,
            &cy,
            &[("status", "sleeping")],
        )
        .await
        .expect_err("no such status");
        assert_eq!(
            e.details.as_ref().and_then(|d| d["field"].as_str()),
            Some("status")
        );
        customer_writes(&app, &mut owner, &ws, "+15550100003", "Any news?").await;
        assert!(
            listed(&mut owner, &ws, &[])
                .await
                .expect("all")
                .contains(&cy),
            "woken by the customer"
        );

        // Each change left a note, and the same change twice left one.
        act(
            &mut agent,
            "conversations/status",
            &ws,
            &ana,
            &[("status", "open")],
        )
        .await
        .expect("no change");
        assert_eq!(
            notes(&app, &ana).await,
            vec![
                "Claimed by agent".to_owned(),
                "Marked pending by agent".to_owned(),
                "Resolved by agent".to_owned(),
                "Reopened by agent".to_owned(),
            ]
        );
        let cy_notes = notes(&app, &cy).await;
        assert_eq!(cy_notes[0], "Assigned to agent by Olivia");
        assert_eq!(cy_notes[1], "Unassigned from agent by Olivia");
        assert!(
            cy_notes
                .last()
                .is_some_and(|n| n.starts_with("Snoozed until ")),
            "{cy_notes:?}"
        );
        let events: i64 = sqlx::query(
            "SELECT COUNT(*) FROM workspace_events WHERE kind = 'conversation.updated'",
        )
        .fetch_one(app.db.reader())
        .await
        .map(|r| r.try_get(0).expect("n"))
        .unwrap_or(-1);
        assert_eq!(
            events,
            i64::try_from(
                notes(&app, &ana).await.len() + notes(&app, &ben).await.len() + cy_notes.len()
            )
            .expect("n")
        );

        // Waiting longest: customers not yet answered, the longest wait first; an answer
        // takes a conversation out.
        assert_eq!(
            listed(&mut owner, &ws, &[("sort", "waiting")])
                .await
                .expect("waiting"),
            vec![ana.clone(), ben.clone(), cy.clone()]
        );
        act(
            &mut agent,
            "conversations/send",
            &ws,
            &ana,
            &[("text", "It ships today.")],
        )
        .await
        .expect("answered");
        assert_eq!(
            listed(&mut owner, &ws, &[("sort", "waiting")])
                .await
                .expect("waiting"),
            vec![ben.clone(), cy.clone()]
        );
        // Unread only.
        owner
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &ben)],
            )
            .await
            .expect("seen");

        // Bad filters are refused with the field named.
        let e = listed(&mut owner, &ws, &[("view", "everything")])
            .await
            .expect_err("bad view");
        assert_eq!(
            e.details.as_ref().and_then(|d| d["field"].as_str()),
            Some("view")
        );
        let e = listed(&mut owner, &ws, &[("sort", "random")])
            .await
            .expect_err("bad sort");
        assert_eq!(
            e.details.as_ref().and_then(|d| d["field"].as_str()),
            Some("sort")
        );

        // The pages: tabs, filters, the row's assignee, and the thread's controls.
        let (_, html) = owner
            .page(&format!("/w/{ws}/conversations?view=unassigned"))
            .await;
        assert!(
            html.contains("data-testid=\"inbox-views\"")
                && html.contains("data-testid=\"inbox-filters\"")
        );
        assert!(
            html.contains(&format!("data-id=\"{cy}\""))
                && !html.contains(&format!("data-id=\"{ben}\""))
        );
        let (_, html) = owner.page(&format!("/w/{ws}/conversations/{ben}")).await;
        assert!(
            html.contains("data-testid=\"assign-form\"")
                && html.contains("data-testid=\"resolve\"")
        );
        assert!(html.contains("Open · assigned to agent"), "the status line");
        let (_, html) = viewer.page(&format!("/w/{ws}/conversations/{cy}")).await;
        assert!(
            !html.contains("data-testid=\"conversation-actions\""),
            "viewers get no controls"
        );
    }
}

fn member(ws: &str, user_id: &str, role: Role) -> Member {
    Member {
        workspace_id: ws.to_owned(),
        user_id: user_id.to_owned(),
        role,
        test_mode: false,
    }
}

#[tokio::test]
async fn keyset_pages_hold_still_while_conversations_arrive_and_the_snooze_alarm_wakes_them() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Pages").await;
        let owner_id = owner.user_id().await;
        let mut all = Vec::new();
        for n in 0..7 {
            all.push(
                customer_writes(&app, &mut owner, &ws, &format!("+1555020000{n}"), "Hi").await,
            );
        }
        all.reverse();
        let me = member(&ws, &owner_id, Role::Owner);
        let mut query = Query {
            view: View::All,
            limit: 3,
            ..Query::default()
        };
        let first = views::list(&app.messaging, &me, &query)
            .await
            .expect("page 1");
        assert_eq!(
            first
                .conversations
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>(),
            all[..3]
        );
        // New conversations arrive and an old one gets a message while the member pages on.
        customer_writes(&app, &mut owner, &ws, "+15550200100", "New one").await;
        let mut seen: Vec<String> = first.conversations.iter().map(|c| c.id.clone()).collect();
        query.after = first.next.clone();
        while query.after.is_some() {
            let page = views::list(&app.messaging, &me, &query)
                .await
                .expect("page");
            seen.extend(page.conversations.iter().map(|c| c.id.clone()));
            query.after = page.next;
        }
        assert_eq!(
            seen, all,
            "every conversation once, none skipped, none twice"
        );
        // The same for the waiting-longest order.
        let mut waiting = Query {
            sort: Sort::WaitingLongest,
            limit: 2,
            ..Query::default()
        };
        let mut order = Vec::new();
        loop {
            let page = views::list(&app.messaging, &me, &waiting)
                .await
                .expect("page");
            order.extend(page.conversations.iter().map(|c| c.id.clone()));
            if page.next.is_none() {
                break;
            }
            waiting.after = page.next;
        }
        assert_eq!(order.len(), 8);
        assert_eq!(order[..7].iter().rev().cloned().collect::<Vec<_>>(), all);
        let e = views::list(
            &app.messaging,
            &me,
            &Query {
                after: Some("nonsense".into()),
                ..Query::default()
            },
        )
        .await
        .expect_err("bad cursor");
        assert!(e.to_string().contains("page link"), "{e}");

        // The alarm: a snooze whose time came wakes with a note; a later one sleeps on.
        act(
            &mut owner,
            "conversations/status",
            &ws,
            &all[0],
            &[("status", "snoozed"), ("snooze_hours", "1")],
        )
        .await
        .expect("snoozed");
        act(
            &mut owner,
            "conversations/status",
            &ws,
            &all[1],
            &[("status", "snoozed"), ("snooze_hours", "1")],
        )
        .await
        .expect("snoozed");
        sqlx::query("UPDATE conversations SET snoozed_until = 1000 WHERE id = $1")
            .bind(&all[0])
            .execute(app.db.writer())
            .await
            .expect("due");
        assert_eq!(
            msgbuddy_inbox::status::wake_due(&app.messaging)
                .await
                .expect("woke"),
            1
        );
        assert_eq!(
            msgbuddy_inbox::status::wake_due(&app.messaging)
                .await
                .expect("again"),
            0
        );
        let status = |id: String| {
            let db = app.db.clone();
            async move {
                sqlx::query("SELECT status FROM conversations WHERE id = $1")
                    .bind(id)
                    .fetch_one(db.reader())
                    .await
                    .expect("row")
                    .try_get::<String, _>(0)
                    .expect("status")
            }
        };
        assert_eq!(status(all[0].clone()).await, "open");
        assert_eq!(status(all[1].clone()).await, "snoozed");
        assert_eq!(
            notes(&app, &all[0]).await.last().map(String::as_str),
            Some("Woke up: the snooze ended")
        );
    }
}

#[tokio::test]
async fn a_customer_writing_again_reopens_their_resolved_conversation_for_its_agent_or_the_pool() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Reopen").await;
        let (mut agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let ana = customer_writes(&app, &mut owner, &ws, "+15550100401", "Hi").await;
        let ben = customer_writes(&app, &mut owner, &ws, "+15550100402", "Hello").await;
        for id in [&ana, &ben] {
            act(
                &mut agent,
                "conversations/assign",
                &ws,
                id,
                &[("action", "claim")],
            )
            .await
            .expect("claimed");
        }
        act(
            &mut agent,
            "conversations/status",
            &ws,
            &ana,
            &[("status", "resolved")],
        )
        .await
        .expect("resolved");

        // The customer writes again: the same conversation, open, still the agent's.
        let again = customer_writes(&app, &mut owner, &ws, "+15550100401", "One more thing").await;
        assert_eq!(again, ana);
        assert_eq!(
            listed(&mut agent, &ws, &[("view", "mine")])
                .await
                .expect("mine"),
            vec![ana.clone(), ben.clone()]
        );
        assert_eq!(
            notes(&app, &ana).await.last().map(String::as_str),
            Some("Reopened: the customer wrote again")
        );
        let reopened: i64 = sqlx::query(
            "SELECT COUNT(*) FROM workspace_events WHERE kind = 'conversation.updated' AND payload LIKE '%Reopened: the customer%'",
        )
        .fetch_one(app.db.reader())
        .await
        .map(|r| r.try_get(0).expect("n"))
        .unwrap_or(-1);
        assert_eq!(reopened, 1, "raised live");

        // Resolved again, and the agent leaves the workspace: the next message reopens it
        // into the pool.
        act(
            &mut agent,
            "conversations/status",
            &ws,
            &ana,
            &[("status", "resolved")],
        )
        .await
        .expect("resolved");
        owner
            .call(
                "members/remove",
                &[("workspace_id", &ws), ("user_id", &agent_id)],
            )
            .await
            .expect("removed");
        // Ben's open conversation went back to the pool when the agent left.
        assert_eq!(
            listed(&mut owner, &ws, &[("view", "unassigned")])
                .await
                .expect("pool"),
            vec![ben.clone()]
        );
        assert_eq!(
            notes(&app, &ben).await.last().map(String::as_str),
            Some("Unassigned: agent left the workspace")
        );
        let again = customer_writes(&app, &mut owner, &ws, "+15550100401", "Hello?").await;
        assert_eq!(again, ana);
        assert_eq!(
            listed(&mut owner, &ws, &[("view", "unassigned")])
                .await
                .expect("pool"),
            vec![ana.clone(), ben.clone()]
        );
        assert_eq!(
            notes(&app, &ana).await.last().map(String::as_str),
            Some("Reopened: the customer wrote again; back in the pool")
        );
        let conversations: i64 = sqlx::query("SELECT COUNT(*) FROM conversations")
            .fetch_one(app.db.reader())
            .await
            .map(|r| r.try_get(0).expect("n"))
            .unwrap_or(-1);
        assert_eq!(conversations, 2);
    }
}

#[tokio::test]
async fn labels_are_managed_in_settings_put_on_conversations_and_filter_the_list() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Labels").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        create_label(&mut owner, &ws, "Billing", "#FF0000", "")
            .await
            .expect("billing");
        let list = owner
            .call("labels/list", &[("workspace_id", &ws)])
            .await
            .expect("labels");
        let billing = list["labels"][0]["id"].as_str().expect("id").to_owned();
        assert_eq!(list["labels"][0]["colour"], "#ff0000");
        assert_eq!(list["labels"][0]["description"], "Money matters");
        create_label(&mut owner, &ws, "Refunds", "#00ff00", &billing)
            .await
            .expect("refunds");
        create_label(&mut owner, &ws, "VIP", "#0000ff", "")
            .await
            .expect("vip");
        let list = owner
            .call("labels/list", &[("workspace_id", &ws)])
            .await
            .expect("labels");
        let names: Vec<&str> = list["labels"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|l| l["name"].as_str())
            .collect();
        assert_eq!(
            names,
            vec!["Billing", "Refunds", "VIP"],
            "each parent, then its children"
        );
        let refunds = list["labels"][1]["id"].as_str().expect("id").to_owned();
        let vip = list["labels"][2]["id"].as_str().expect("id").to_owned();

        // Refused, each naming its field, and nothing stored.
        let field = |e: msgbuddy_domain::AppError| {
            e.details
                .as_ref()
                .and_then(|d| d["field"].as_str())
                .map(str::to_owned)
        };
        let e = create_label(&mut owner, &ws, "billing", "#123456", "")
            .await
            .expect_err("taken");
        assert_eq!(field(e).as_deref(), Some("name"));
        let e = create_label(&mut owner, &ws, "Red", "red", "")
            .await
            .expect_err("colour");
        assert_eq!(field(e).as_deref(), Some("colour"));
        let e = create_label(&mut owner, &ws, "Deep", "#123456", &refunds)
            .await
            .expect_err("two levels");
        assert_eq!(field(e).as_deref(), Some("parent_id"));
        let e = create_label(&mut owner, &ws, "Zero\u{200b}width", "#123456", "")
            .await
            .expect_err("invisible");
        assert_eq!(field(e).as_deref(), Some("name"));
        let e = create_label(&mut agent, &ws, "Agents", "#123456", "")
            .await
            .expect_err("agent");
        assert_eq!(e.code.http_status(), 403);
        let e = owner
            .call(
                "labels/update",
                &[
                    ("workspace_id", &ws),
                    ("label_id", &billing),
                    ("name", "Billing"),
                    ("colour", "#ff0000"),
                    ("parent_id", &vip),
                ],
            )
            .await
            .expect_err("a parent with children stays on top");
        assert_eq!(field(e).as_deref(), Some("parent_id"));
        let count = |sql: &'static str| {
            let db = app.db.clone();
            async move {
                sqlx::query(sql)
                    .fetch_one(db.reader())
                    .await
                    .map(|r| r.try_get::<i64, _>(0).expect("n"))
                    .expect("count")
            }
        };
        assert_eq!(count("SELECT COUNT(*) FROM labels").await, 3);
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_log WHERE action = 'label.created'").await,
            3
        );

        // An agent puts Refunds on a conversation: its note, and the Billing filter finds it.
        let ana = customer_writes(&app, &mut owner, &ws, "+15550100501", "Refund?").await;
        let ben = customer_writes(&app, &mut owner, &ws, "+15550100502", "Hi").await;
        act(
            &mut agent,
            "conversations/label",
            &ws,
            &ana,
            &[("label_id", &refunds), ("on", "1")],
        )
        .await
        .expect("labelled");
        act(
            &mut agent,
            "conversations/label",
            &ws,
            &ben,
            &[("label_id", &vip), ("on", "1")],
        )
        .await
        .expect("labelled");
        assert_eq!(
            listed(&mut agent, &ws, &[("label", &billing)])
                .await
                .expect("billing"),
            vec![ana.clone()]
        );
        assert_eq!(
            listed(&mut agent, &ws, &[("label", &refunds)])
                .await
                .expect("refunds"),
            vec![ana.clone()]
        );
        assert_eq!(
            listed(&mut agent, &ws, &[("label", &vip)])
                .await
                .expect("vip"),
            vec![ben.clone()]
        );
        let page = agent
            .call(
                "conversations/list",
                &[("workspace_id", &ws), ("test", "false")],
            )
            .await
            .expect("list");
        let row = page["conversations"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["id"] == ana.as_str()))
            .cloned()
            .expect("ana");
        assert_eq!(
            row["labels"][0]["name"], "Refunds",
            "rows carry their labels"
        );
        assert_eq!(
            notes(&app, &ana).await,
            vec!["Label Refunds added by agent".to_owned()]
        );
        let e = act(
            &mut agent,
            "conversations/label",
            &ws,
            &ana,
            &[("label_id", "lbl_nope"), ("on", "1")],
        )
        .await
        .expect_err("no such label");
        assert_eq!(field(e).as_deref(), Some("label_id"));
        // The same label twice changes nothing; taking it off is a note too.
        act(
            &mut agent,
            "conversations/label",
            &ws,
            &ana,
            &[("label_id", &refunds), ("on", "1")],
        )
        .await
        .expect("again");
        act(
            &mut agent,
            "conversations/label",
            &ws,
            &ana,
            &[("label_id", &refunds), ("on", "0")],
        )
        .await
        .expect("off");
        assert_eq!(
            notes(&app, &ana).await,
            vec![
                "Label Refunds added by agent".to_owned(),
                "Label Refunds removed by agent".to_owned()
            ]
        );
        act(
            &mut agent,
            "conversations/label",
            &ws,
            &ana,
            &[("label_id", &refunds), ("on", "1")],
        )
        .await
        .expect("on again");

        // Deleting Billing takes Refunds and its places with it, audited.
        owner
            .call(
                "labels/delete",
                &[("workspace_id", &ws), ("label_id", &billing)],
            )
            .await
            .expect("deleted");
        assert_eq!(count("SELECT COUNT(*) FROM labels").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM conversation_labels").await, 1);
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_log WHERE action = 'label.deleted'").await,
            1
        );

        // The pages: Settings > Labels for the owner, chips and forms in the thread.
        let (status, html) = owner.page(&format!("/w/{ws}/settings/labels")).await;
        assert_eq!(status, 200);
        assert!(html.contains("data-testid=\"label-form\"") && html.contains(">VIP<"));
        let (_, html) = agent.page(&format!("/w/{ws}/settings/labels")).await;
        assert!(
            !html.contains("data-testid=\"label-form\""),
            "agents only see the list"
        );
        let (_, html) = agent.page(&format!("/w/{ws}/conversations/{ben}")).await;
        assert!(
            html.contains("data-testid=\"label-chip\"")
                && html.contains("data-testid=\"label-remove\"")
        );
    }
}

async fn create_label(
    b: &mut Browser,
    ws: &str,
    name: &str,
    colour: &str,
    parent: &str,
) -> Result<Value, msgbuddy_domain::AppError> {
    b.call(
        "labels/create",
        &[
            ("workspace_id", ws),
            ("name", name),
            ("colour", colour),
            ("description", "  Money   matters "),
            ("parent_id", parent),
        ],
    )
    .await
}

/// The list's date range is of the latest activity, whole UTC days at both ends; a day
/// that is not one is refused by name.
#[tokio::test]
async fn the_list_filters_by_a_range_of_days_of_latest_activity() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Days").await;
        let old = customer_writes(&app, &mut owner, &ws, "+15550101001", "Last year").await;
        let new = customer_writes(&app, &mut owner, &ws, "+15550101002", "Today").await;
        // 2025-03-10 12:00 UTC.
        sqlx::query("UPDATE conversations SET last_message_at = 1741608000000 WHERE id = $1")
            .bind(&old)
            .execute(app.db.writer())
            .await
            .expect("moved back");
        let days = |since: &'static str, until: &'static str| {
            vec![("view", "all"), ("since", since), ("until", until)]
        };
        assert_eq!(
            listed(&mut owner, &ws, &days("2025-03-10", "2025-03-10"))
                .await
                .expect("that day"),
            vec![old.clone()]
        );
        assert_eq!(
            listed(&mut owner, &ws, &days("2025-03-11", ""))
                .await
                .expect("since the day after"),
            vec![new.clone()]
        );
        assert_eq!(
            listed(&mut owner, &ws, &days("", "2025-03-09"))
                .await
                .expect("until the day before"),
            Vec::<String>::new()
        );
        assert_eq!(
            listed(&mut owner, &ws, &days("", ""))
                .await
                .expect("no range")
                .len(),
            2
        );
        for (since, until, field) in [("yesterday", "", "since"), ("", "2025-13-40", "until")] {
            let e = listed(&mut owner, &ws, &days(since, until))
                .await
                .expect_err("not a day");
            assert_eq!(e.code.http_status(), 422);
            assert_eq!(
                e.details.as_ref().and_then(|d| d["field"].as_str()),
                Some(field)
            );
        }
    }
}
