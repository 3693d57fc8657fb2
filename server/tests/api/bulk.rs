//! Bulk changes from the list: ticked conversations, or every one a view and its filters
//! match across all pages; each changed conversation gets its timeline note; bad input
//! changes nothing; a conversation out of reach is reported, not changed.

use crate::helpers::{
    Browser, TestApp, TestDb, backends, count, member_with_role, owner_with_workspace,
};
use crate::inbox::{customer_writes, listed, notes};
use msgbuddy_domain::ErrorCode;
use serde_json::{Value, json};

async fn bulk(
    b: &mut Browser,
    ws: &str,
    fields: &[(&str, &str)],
) -> Result<Value, msgbuddy_domain::AppError> {
    let mut form = vec![("workspace_id", ws)];
    form.extend_from_slice(fields);
    b.call("conversations/bulk", &form).await
}

fn ticked(ids: &[&String]) -> Vec<(String, &'static str)> {
    ids.iter()
        .map(|id| (format!("selected[{id}]"), "1"))
        .collect()
}

fn with<'a>(
    ticks: &'a [(String, &'static str)],
    rest: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = ticks.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    form.extend_from_slice(rest);
    form
}

#[tokio::test]
async fn bulk_changes_reach_the_ticked_rows_or_every_match_and_refuse_bad_input_whole() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Bulk").await;
        let (mut agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut viewer, viewer_id) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let mut ids = Vec::new();
        for n in 1..=5 {
            ids.push(
                customer_writes(&app, &mut owner, &ws, &format!("+1555020000{n}"), "Hi").await,
            );
        }
        let [a, b, c, d, e] = [&ids[0], &ids[1], &ids[2], &ids[3], &ids[4]];
        owner
            .call(
                "labels/create",
                &[
                    ("workspace_id", &ws),
                    ("name", "Billing"),
                    ("colour", "#2563eb"),
                ],
            )
            .await
            .expect("label");
        let label: String = sqlx::query_scalar("SELECT id FROM labels WHERE name = 'Billing'")
            .fetch_one(app.db.reader())
            .await
            .expect("label id");

        // The ticked two go to the agent, each with its note.
        let ticks = ticked(&[a, b]);
        let done = bulk(
            &mut owner,
            &ws,
            &with(&ticks, &[("action", "assign"), ("assignee_id", &agent_id)]),
        )
        .await
        .expect("assigned");
        assert_eq!(done, json!({ "done": 2, "failed": [] }));
        let mut mine = listed(&mut agent, &ws, &[("view", "mine")])
            .await
            .expect("mine");
        mine.sort();
        let mut expected = vec![a.clone(), b.clone()];
        expected.sort();
        assert_eq!(mine, expected);
        assert!(
            notes(&app, a)
                .await
                .iter()
                .any(|n| n.starts_with("Assigned to"))
        );

        // Every match of the Unassigned view gets the label, on all pages (not only c..e
        // ticked: none are), and nothing else does.
        let done = bulk(
            &mut owner,
            &ws,
            &[
                ("everything", "1"),
                ("params[view]", "unassigned"),
                ("action", "label"),
                ("label_id", &label),
            ],
        )
        .await
        .expect("labelled");
        assert_eq!(done["done"], 3);
        let mut labelled = listed(&mut owner, &ws, &[("label", &label)])
            .await
            .expect("labelled");
        labelled.sort();
        let mut expected = vec![c.clone(), d.clone(), e.clone()];
        expected.sort();
        assert_eq!(labelled, expected);

        // Resolve every conversation with that label: the filter travels with the form.
        let done = bulk(
            &mut owner,
            &ws,
            &[
                ("everything", "1"),
                ("params[label]", &label),
                ("action", "status"),
                ("status", "resolved"),
            ],
        )
        .await
        .expect("resolved");
        assert_eq!(done["done"], 3);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM conversations WHERE status = 'resolved'",
                &[]
            )
            .await,
            3
        );
        assert!(
            notes(&app, e)
                .await
                .iter()
                .any(|n| n.starts_with("Resolved by"))
        );

        // An agent snoozes their own and the pool's; another's (out of their reach) is
        // reported and left alone.
        let (_, other_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let fresh = customer_writes(&app, &mut owner, &ws, "+15550200009", "Later").await;
        bulk(
            &mut owner,
            &ws,
            &with(
                &ticked(&[&fresh]),
                &[("action", "assign"), ("assignee_id", &other_id)],
            ),
        )
        .await
        .expect("to the other agent");
        let ticks = ticked(&[a, &fresh]);
        let done = bulk(
            &mut agent,
            &ws,
            &with(
                &ticks,
                &[
                    ("action", "status"),
                    ("status", "snoozed"),
                    ("snooze_hours", "4"),
                ],
            ),
        )
        .await
        .expect("snoozed");
        assert_eq!(done["done"], 1);
        assert_eq!(done["failed"][0][0], fresh.as_str());
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM conversations WHERE id = $1 AND status = 'snoozed'",
                &[a.as_str()]
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM conversations WHERE id = $1 AND status = 'open'",
                &[fresh.as_str()]
            )
            .await,
            1
        );

        // Bad input is refused by field before anything changes.
        let before = count(&app, "SELECT COUNT(*) FROM conversation_notes", &[]).await;
        let ticks = ticked(&[b]);
        let tick: Vec<(&str, &str)> = with(&ticks, &[]);
        for (fields, field) in [
            (
                vec![("action", "label"), ("label_id", "lb_nope")],
                "label_id",
            ),
            (
                vec![("action", "label"), ("label_id", "' OR 1=1 --")],
                "label_id",
            ),
            (vec![("action", "label")], "label_id"),
            (
                vec![("action", "assign"), ("assignee_id", viewer_id.as_str())],
                "assignee_id",
            ),
            (
                vec![
                    ("action", "status"),
                    ("status", "snoozed"),
                    ("snooze_hours", "0"),
                ],
                "snooze_hours",
            ),
            (vec![("action", "status"), ("status", "closed")], "status"),
            (vec![("action", "drop")], "action"),
        ] {
            let mut form = tick.clone();
            form.extend(fields.iter().copied());
            let err = bulk(&mut owner, &ws, &form).await.expect_err(field);
            assert_eq!(err.details, Some(json!({ "field": field })), "{fields:?}");
        }
        let err = bulk(
            &mut owner,
            &ws,
            &[("action", "status"), ("status", "resolved")],
        )
        .await
        .expect_err("nothing ticked");
        assert_eq!(err.details, Some(json!({ "field": "selected" })));
        let err = bulk(
            &mut owner,
            &ws,
            &[
                ("everything", "1"),
                ("params[view]", "everywhere"),
                ("action", "claim"),
            ],
        )
        .await
        .expect_err("bad view");
        assert_eq!(err.details, Some(json!({ "field": "view" })));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM conversation_notes", &[]).await,
            before,
            "nothing changed"
        );

        // Rights: a viewer changes nothing; an agent may not hand conversations out.
        let err = bulk(
            &mut viewer,
            &ws,
            &with(&ticks, &[("action", "status"), ("status", "resolved")]),
        )
        .await
        .expect_err("viewer");
        assert_eq!(err.code, ErrorCode::Forbidden);
        let err = bulk(
            &mut agent,
            &ws,
            &with(&ticks, &[("action", "assign"), ("assignee_id", &agent_id)]),
        )
        .await
        .expect_err("agent assigning");
        assert_eq!(err.code, ErrorCode::Forbidden);

        // The page: a checkbox per row for the bar, no bar for a viewer, and the result.
        let (_, html) = owner
            .page(&format!("/w/{ws}/conversations?bulk_done=2&bulk_failed=1"))
            .await;
        assert!(html.contains("data-testid=\"bulk-form\""));
        assert!(html.contains(&format!("name=\"selected[{fresh}]\"")));
        assert!(html.contains("Changed 2 conversations. 1 conversation could not take the change"));
        let (_, html) = viewer.page(&format!("/w/{ws}/conversations")).await;
        assert!(!html.contains("data-testid=\"bulk-form\""));
        assert!(!html.contains("data-testid=\"conversation-select\""));
    }
}
