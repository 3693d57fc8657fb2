//! Saved filters: personal named views of the list, kept as links the list itself checks.

use crate::helpers::{TestApp, TestDb, backends, count, member_with_role, owner_with_workspace};
use msgbuddy_domain::ErrorCode;
use serde_json::json;

#[tokio::test]
async fn members_keep_their_own_named_views_and_bad_ones_are_refused_by_field() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Views").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;

        let saved = owner
            .call(
                "views/save",
                &[
                    ("workspace_id", &ws),
                    ("name", "  Waiting   in the pool "),
                    ("params[view]", "unassigned"),
                    ("params[sort]", "waiting"),
                    ("params[since]", "2026-11-01"),
                    ("params[channel]", ""),
                ],
            )
            .await
            .expect("saved");
        assert_eq!(saved["name"], "Waiting in the pool");
        assert_eq!(
            saved["query"],
            "view=unassigned&sort=waiting&since=2026-11-01"
        );
        let id = saved["id"].as_str().expect("id").to_owned();

        // Its link is on the list, marked current when the list is that view.
        let (_, html) = owner
            .page(&format!(
                "/w/{ws}/conversations?view=unassigned&sort=waiting&since=2026-11-01"
            ))
            .await;
        assert!(html.contains(&format!(
            "href=\"/w/{ws}/conversations?view=unassigned&amp;sort=waiting&amp;since=2026-11-01\" aria-current=\"page\""
        )), "the saved view is linked and current");
        // Nobody else sees it, or can delete it.
        let (_, html) = agent.page(&format!("/w/{ws}/conversations")).await;
        assert!(!html.contains("Waiting in the pool"));
        let err = agent
            .call("views/delete", &[("workspace_id", &ws), ("view_id", &id)])
            .await
            .expect_err("not theirs");
        assert_eq!(err.code, ErrorCode::NotFound);

        // Bad input, by field; nothing is kept.
        let long = "x".repeat(61);
        for (name, view, field) in [
            ("", "all", "name"),
            (long.as_str(), "all", "name"),
            ("Waiting in the pool", "all", "name"),
            ("Odd", "everywhere", "view"),
            ("Odd", "all' OR 1=1 --", "view"),
        ] {
            let err = owner
                .call(
                    "views/save",
                    &[
                        ("workspace_id", &ws),
                        ("name", name),
                        ("params[view]", view),
                    ],
                )
                .await
                .expect_err(field);
            assert_eq!(
                err.details,
                Some(json!({ "field": field })),
                "{name} {view}"
            );
        }
        let err = owner
            .call(
                "views/save",
                &[
                    ("workspace_id", &ws),
                    ("name", "Days"),
                    ("params[since]", "yesterday"),
                ],
            )
            .await
            .expect_err("bad day");
        assert_eq!(err.details, Some(json!({ "field": "since" })));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM saved_views", &[]).await,
            1
        );

        // A name with markup is kept as text and shown escaped.
        owner
            .call(
                "views/save",
                &[
                    ("workspace_id", &ws),
                    ("name", "<img src=x onerror=alert(1)>"),
                    ("params[view]", "mine"),
                ],
            )
            .await
            .expect("markup is just a name");
        let (_, html) = owner.page(&format!("/w/{ws}/conversations")).await;
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!html.contains("<img src=x"));

        // At most 30 each.
        for n in 2..30 {
            owner
                .call(
                    "views/save",
                    &[
                        ("workspace_id", &ws),
                        ("name", &format!("View {n}")),
                        ("params[view]", "all"),
                    ],
                )
                .await
                .expect("under the limit");
        }
        let err = owner
            .call("views/save", &[("workspace_id", &ws), ("name", "One more")])
            .await
            .expect_err("over the limit");
        assert_eq!(err.details, Some(json!({ "field": "name" })));

        owner
            .call("views/delete", &[("workspace_id", &ws), ("view_id", &id)])
            .await
            .expect("deleted");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM saved_views", &[]).await,
            29
        );
    }
}
