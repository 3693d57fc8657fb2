//! Quick replies: kept in Settings (audited, checked by field, scoped to channels) and
//! offered in the composer of conversations on their channels, with names filled in.

use crate::helpers::{TestApp, TestDb, backends, count, member_with_role, owner_with_workspace};
use crate::inbox::customer_writes;
use msgbuddy_domain::ErrorCode;
use serde_json::{Value, json};
use sqlx::Row;

async fn sandbox_of(app: &TestApp, ws: &str) -> String {
    sqlx::query("SELECT id FROM channel_accounts WHERE workspace_id = $1 AND kind = 'sandbox'")
        .bind(ws)
        .fetch_one(app.db.reader())
        .await
        .expect("the sandbox")
        .try_get(0)
        .expect("id")
}

fn shortcuts(replies: &Value) -> Vec<&str> {
    replies
        .as_array()
        .expect("replies")
        .iter()
        .filter_map(|r| r["shortcut"].as_str())
        .collect()
}

#[tokio::test]
async fn quick_replies_are_kept_in_settings_and_offered_on_their_channels() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Quick").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let (mut stranger, other_ws) = {
            let mut b = app.browser();
            let email = crate::helpers::unique_email("stranger");
            b.sign_up("Stranger", &email, "password-123")
                .await
                .expect("sign up");
            let ws = b.create_workspace("Elsewhere").await;
            (b, ws)
        };
        let conversation =
            customer_writes(&app, &mut owner, &ws, "+15550900001", "Can I get a refund?").await;
        stranger
            .call("channels/list", &[("workspace_id", &other_ws)])
            .await
            .expect("their channels");
        let sandbox = sandbox_of(&app, &ws).await;
        let foreign = sandbox_of(&app, &other_ws).await;

        // Created by those who edit settings: every channel, and one channel only.
        owner
            .call(
                "quick-replies/create",
                &[
                    ("workspace_id", &ws),
                    ("shortcut", " /Refund "),
                    (
                        "body",
                        "Hi {{contact.name}}, {{agent.name}} here: refunds take 5 days.",
                    ),
                ],
            )
            .await
            .expect("created");
        let channel_field = format!("channels[{sandbox}]");
        owner
            .call(
                "quick-replies/create",
                &[
                    ("workspace_id", &ws),
                    ("shortcut", "hours"),
                    (
                        "body",
                        "We answer from 9 to 5. </textarea><script>alert(1)</script>",
                    ),
                    (&channel_field, "1"),
                ],
            )
            .await
            .expect("created");
        let listed = owner
            .call("quick-replies/list", &[("workspace_id", &ws)])
            .await
            .expect("listed");
        assert_eq!(shortcuts(&listed["replies"]), ["hours", "refund"]);
        assert_eq!(listed["replies"][0]["channel_ids"], json!([sandbox]));
        assert_eq!(listed["replies"][1]["channel_ids"], json!([]));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'quick_reply.created'",
                &[]
            )
            .await,
            2
        );
        // Customer-given words on the settings page are text, never markup.
        let (status, html) = owner.page(&format!("/w/{ws}/settings/quick-replies")).await;
        assert_eq!(status, 200);
        assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        let at = html.find("<script>alert(1)");
        let around = at.and_then(|i| html.get(i.saturating_sub(300)..i + 100));
        assert!(at.is_none(), "{around:?}");

        // Bad input is refused by field, and nothing is kept.
        let long = "x".repeat(4097);
        let foreign_field = format!("channels[{foreign}]");
        for (shortcut, body, channel, field) in [
            ("two words", "Hi", None, "shortcut"),
            ("", "Hi", None, "shortcut"),
            ("a'; DROP TABLE quick_replies; --", "Hi", None, "shortcut"),
            ("REFUND", "Again", None, "shortcut"),
            ("blank", "   ", None, "body"),
            ("long", long.as_str(), None, "body"),
            ("theirs", "Hi", Some(foreign_field.as_str()), "channel_ids"),
        ] {
            let mut form = vec![
                ("workspace_id", ws.as_str()),
                ("shortcut", shortcut),
                ("body", body),
            ];
            if let Some(channel) = channel {
                form.push((channel, "1"));
            }
            let err = owner
                .call("quick-replies/create", &form)
                .await
                .expect_err(field);
            assert_eq!(err.details, Some(json!({ "field": field })), "{shortcut}");
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM quick_replies", &[]).await,
            2
        );

        // Agents use them but do not change them; viewers are offered none.
        let err = agent
            .call(
                "quick-replies/create",
                &[("workspace_id", &ws), ("shortcut", "mine"), ("body", "Hi")],
            )
            .await
            .expect_err("agents do not edit settings");
        assert_eq!(err.code, ErrorCode::Forbidden);
        let thread = agent
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &conversation)],
            )
            .await
            .expect("thread");
        assert_eq!(shortcuts(&thread["quick_replies"]), ["hours", "refund"]);
        let viewed = viewer
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &conversation)],
            )
            .await
            .expect("thread");
        assert_eq!(viewed["quick_replies"], json!([]));

        // Without JavaScript, `?quick=` starts the composer with the reply, names filled in.
        let refund = listed["replies"][1]["id"].as_str().expect("id").to_owned();
        let (_, html) = agent
            .page(&format!(
                "/w/{ws}/conversations/{conversation}?quick={refund}"
            ))
            .await;
        assert!(
            html.contains("Hi +15550900001, agent here: refunds take 5 days.</textarea>"),
            "the composer starts with the filled-in reply"
        );
        assert!(html.contains("data-testid=\"quick-reply-insert\""));
        // The hostile one too: in the composer as text, never markup.
        let hours = listed["replies"][0]["id"].as_str().expect("id").to_owned();
        let (_, html) = agent
            .page(&format!(
                "/w/{ws}/conversations/{conversation}?quick={hours}"
            ))
            .await;
        assert!(
            html.contains(
                "9 to 5. &lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"
            )
        );
        assert!(!html.contains("<script>alert(1)"));

        // Changed (body and scope) and deleted, each audited; strangers reach nothing.
        let hours = listed["replies"][0]["id"].as_str().expect("id").to_owned();
        let err = stranger
            .call(
                "quick-replies/delete",
                &[("workspace_id", &ws), ("quick_reply_id", &hours)],
            )
            .await
            .expect_err("not a member");
        assert_eq!(err.code, ErrorCode::NotFound);
        let err = stranger
            .call(
                "quick-replies/delete",
                &[("workspace_id", &other_ws), ("quick_reply_id", &hours)],
            )
            .await
            .expect_err("not in their workspace");
        assert_eq!(err.code, ErrorCode::NotFound);
        owner
            .call(
                "quick-replies/update",
                &[
                    ("workspace_id", &ws),
                    ("quick_reply_id", &hours),
                    ("shortcut", "opening-hours"),
                    ("body", "We answer from 8 to 6."),
                ],
            )
            .await
            .expect("updated");
        owner
            .call(
                "quick-replies/delete",
                &[("workspace_id", &ws), ("quick_reply_id", &refund)],
            )
            .await
            .expect("deleted");
        let listed = owner
            .call("quick-replies/list", &[("workspace_id", &ws)])
            .await
            .expect("listed");
        assert_eq!(shortcuts(&listed["replies"]), ["opening-hours"]);
        assert_eq!(listed["replies"][0]["body"], "We answer from 8 to 6.");
        assert_eq!(listed["replies"][0]["channel_ids"], json!([]));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('quick_reply.updated', 'quick_reply.deleted')",
                &[]
            )
            .await,
            2
        );
        let err = owner
            .call(
                "quick-replies/delete",
                &[("workspace_id", &ws), ("quick_reply_id", &refund)],
            )
            .await
            .expect_err("gone");
        assert_eq!(err.code, ErrorCode::NotFound);

        // A reply kept for another channel is not offered on the Sandbox's conversations.
        sqlx::query(
            "INSERT INTO channel_accounts (id, workspace_id, kind, name, status, settings, rate_per_sec, max_attempts, created_at, updated_at) \
             VALUES ('ch_sms_test', $1, 'sms', 'SMS', 'pending', '{}', 1, 3, 0, 0)",
        )
        .bind(&ws)
        .execute(app.db.writer())
        .await
        .expect("an SMS channel");
        owner
            .call(
                "quick-replies/update",
                &[
                    ("workspace_id", &ws),
                    ("quick_reply_id", &hours),
                    ("shortcut", "opening-hours"),
                    ("body", "We answer from 8 to 6."),
                    ("channels[ch_sms_test]", "1"),
                ],
            )
            .await
            .expect("scoped to SMS");
        let thread = agent
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &conversation)],
            )
            .await
            .expect("thread");
        assert_eq!(thread["quick_replies"], json!([]));
    }
}
