//! A member of workspace A gets 404 for every id of workspace B.

use crate::helpers::{TestApp, TestDb, backends, member_with_role};
use msgbuddy_domain::ErrorCode;

#[tokio::test]
async fn members_of_one_workspace_get_404_for_every_id_of_another() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut alice = app.browser();
        alice
            .sign_up("Alice", "alice@example.com", "password-123")
            .await
            .expect("sign up");
        let ws_a = alice.create_workspace("Alpha").await;
        let mut bob = app.browser();
        bob.sign_up("Bob", "bob@example.com", "password-123")
            .await
            .expect("sign up");
        let ws_b = bob.create_workspace("Beta").await;
        let bob_id = bob.user_id().await;
        let (_, carol_id) = member_with_role(&app, &mut bob, &ws_b, "agent").await;
        let _pending = bob.invite(&ws_b, "viewer").await;
        let inv_b = bob
            .call("invitations/list", &[("workspace_id", &ws_b)])
            .await
            .expect("list")["invitations"][0]["id"]
            .as_str()
            .expect("invitation id")
            .to_owned();

        // Every server function that takes a workspace id, with B's ids, as Alice.
        let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("workspaces/view", vec![("workspace_id", &ws_b)]),
            ("workspaces/settings", vec![("workspace_id", &ws_b)]),
            (
                "workspaces/settings/save",
                vec![
                    ("workspace_id", &ws_b),
                    ("name", "Pwned"),
                    ("time_zone", "UTC"),
                    ("default_language", "en"),
                ],
            ),
            ("members/list", vec![("workspace_id", &ws_b)]),
            (
                "members/role",
                vec![
                    ("workspace_id", &ws_b),
                    ("user_id", &carol_id),
                    ("role", "owner"),
                ],
            ),
            (
                "members/remove",
                vec![("workspace_id", &ws_b), ("user_id", &bob_id)],
            ),
            ("invitations/list", vec![("workspace_id", &ws_b)]),
            (
                "invitations/create",
                vec![("workspace_id", &ws_b), ("role", "owner"), ("email", "")],
            ),
            (
                "invitations/revoke",
                vec![("workspace_id", &ws_b), ("invitation_id", &inv_b)],
            ),
            ("audit/list", vec![("workspace_id", &ws_b)]),
            // B's ids inside Alice's own workspace are just as unknown.
            (
                "members/role",
                vec![
                    ("workspace_id", &ws_a),
                    ("user_id", &carol_id),
                    ("role", "viewer"),
                ],
            ),
            (
                "members/remove",
                vec![("workspace_id", &ws_a), ("user_id", &bob_id)],
            ),
            (
                "invitations/revoke",
                vec![("workspace_id", &ws_a), ("invitation_id", &inv_b)],
            ),
        ];
        for (endpoint, form) in calls {
            let err = alice.call(endpoint, &form).await.expect_err(endpoint);
            assert_eq!(
                err.code,
                ErrorCode::NotFound,
                "{endpoint} {form:?} on {}",
                backend.as_str()
            );
        }
        for path in [
            format!("/w/{ws_b}"),
            format!("/w/{ws_b}/settings"),
            format!("/w/{ws_b}/settings/members"),
            format!("/w/{ws_b}/settings/invitations"),
            format!("/w/{ws_b}/settings/audit"),
        ] {
            let (status, _) = alice.page(&path).await;
            assert_eq!(status, 404, "{path}");
        }
        let sse = alice
            .client
            .get(format!("{}/events?workspace={ws_b}", app.base))
            .send()
            .await
            .expect("sse");
        assert_eq!(sse.status(), 404);

        // And B is untouched.
        let settings = bob
            .call("workspaces/settings", &[("workspace_id", &ws_b)])
            .await
            .expect("settings");
        assert_eq!(settings["settings"]["name"], "Beta");
        let members = bob
            .call("members/list", &[("workspace_id", &ws_b)])
            .await
            .expect("members");
        assert_eq!(members["members"].as_array().map(Vec::len), Some(2));
    }
}
