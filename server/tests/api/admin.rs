//! The platform admin panel and the command line that grants it.

use crate::helpers::{TestApp, TestDb, backends, owner_with_workspace, test_config};
use msgbuddy_domain::ErrorCode;
use std::process::Command;

#[tokio::test]
async fn only_platform_admins_see_all_workspaces_and_suspension_locks_members_out() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Tenant").await;
        let mut staff = app.browser();
        staff
            .sign_up("Staff", "staff@example.com", "password-123")
            .await
            .expect("sign up");

        assert_eq!(
            staff
                .call("admin/workspaces", &[])
                .await
                .expect_err("not yet admin")
                .code,
            ErrorCode::Forbidden
        );
        let (status, body) = staff.page("/admin").await;
        assert_eq!(status, 403);
        assert!(body.contains("data-testid=\"forbidden\""));

        let email = msgbuddy_domain::values::Email::parse("staff@example.com").expect("email");
        msgbuddy_core::accounts::set_platform_admin(&app.db, &email, true)
            .await
            .expect("granted");
        let list = staff
            .call("admin/workspaces", &[])
            .await
            .expect("admin list");
        let row = list
            .as_array()
            .and_then(|l| l.iter().find(|w| w["id"] == ws.as_str()))
            .expect("tenant listed")
            .clone();
        assert_eq!(row["members"], 1);
        assert_eq!(row["suspended"], false);

        staff
            .call(
                "admin/suspend",
                &[("workspace_id", &ws), ("suspended", "true")],
            )
            .await
            .expect("suspended");
        let locked = owner
            .call("workspaces/settings", &[("workspace_id", &ws)])
            .await
            .expect_err("suspended");
        assert_eq!(locked.code, ErrorCode::Forbidden);
        staff
            .call(
                "admin/suspend",
                &[("workspace_id", &ws), ("suspended", "false")],
            )
            .await
            .expect("reinstated");
        owner
            .call("workspaces/settings", &[("workspace_id", &ws)])
            .await
            .expect("usable again");
        let log = owner
            .call(
                "audit/list",
                &[("workspace_id", &ws), ("action", "workspace.")],
            )
            .await
            .expect("audit");
        let actions: Vec<&str> = log
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(
            actions.contains(&"workspace.suspended") && actions.contains(&"workspace.reinstated"),
            "{actions:?}"
        );
    }
}

fn cli(db: &TestDb, args: &[&str]) -> (bool, String) {
    let config = test_config(db, &[]);
    let out = Command::new(env!("CARGO_BIN_EXE_msgbuddy"))
        .args(args)
        .env("DATABASE_URL", &config.database_url)
        .env("MSGBUDDY_DATA_DIR", &config.data_dir)
        .env("MSGBUDDY_LOG", "warn")
        .env_remove("MSGBUDDY_CONFIG")
        .output()
        .expect("binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn the_command_line_migrates_creates_users_and_grants_platform_admin() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (ok, out) = cli(&db, &["migrate"]);
        assert!(ok, "{out}");
        assert!(
            out.contains(&format!("migrations applied ({})", backend.as_str())),
            "{out}"
        );
        let (ok, out) = cli(
            &db,
            &[
                "create-user",
                "--email",
                "ops@example.com",
                "--name",
                "Ops",
                "--password",
                "ops-password-1",
            ],
        );
        assert!(ok, "{out}");
        let (ok, out) = cli(
            &db,
            &[
                "create-user",
                "--email",
                "bad",
                "--name",
                "Ops",
                "--password",
                "ops-password-1",
            ],
        );
        assert!(!ok && out.contains("valid email"), "{out}");
        let (ok, out) = cli(
            &db,
            &["grant-platform-admin", "--email", "nobody@example.com"],
        );
        assert!(!ok && out.contains("no user with email"), "{out}");
        let (ok, out) = cli(&db, &["grant-platform-admin", "--email", "ops@example.com"]);
        assert!(ok && out.contains("is a platform admin"), "{out}");
        let (ok, out) = cli(&db, &["seed-demo"]);
        assert!(ok && out.contains("owner@demo.msgbuddy.test"), "{out}");
        for sub in [
            "serve",
            "migrate",
            "create-user",
            "grant-platform-admin",
            "seed-demo",
        ] {
            let (ok, out) = cli(&db, &[sub, "--help"]);
            assert!(ok && out.contains("Usage"), "{sub} --help: {out}");
        }

        let app = TestApp::spawn(&db, &[]).await;
        let mut ops = app.browser();
        ops.log_in("ops@example.com", "ops-password-1")
            .await
            .expect("CLI user logs in");
        let list = ops
            .call("admin/workspaces", &[])
            .await
            .expect("platform admin");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "the demo workspace");
    }
}
