//! The role × action matrix, checked against real routes: each role either succeeds or
//! gets `forbidden`, exactly as `Role::can` says.

use crate::helpers::{TestApp, TestDb, backends, member_with_role, owner_with_workspace};
use msgbuddy_domain::{ErrorCode, Permission, Role};

/// A permission, the server function that needs it, and its arguments.
type Sample<'a> = (Permission, &'a str, Vec<(&'a str, &'a str)>);

#[tokio::test]
async fn every_role_can_do_exactly_what_the_matrix_allows_on_real_routes() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Matrix").await;
        let (_, victim) = member_with_role(&app, &mut owner, &ws, "viewer").await;

        for role in Role::ALL {
            let mut b = if role == Role::Owner {
                let mut b = app.browser();
                b.log_in("olivia@example.com", "password-123")
                    .await
                    .expect("log in");
                b
            } else {
                member_with_role(&app, &mut owner, &ws, role.as_str())
                    .await
                    .0
            };
            let samples: Vec<Sample> = vec![
                (
                    Permission::SettingsView,
                    "workspaces/settings",
                    vec![("workspace_id", &ws)],
                ),
                (
                    Permission::SettingsEdit,
                    "workspaces/settings/save",
                    vec![
                        ("workspace_id", &ws),
                        ("name", "Matrix"),
                        ("time_zone", "UTC"),
                        ("default_language", "en"),
                    ],
                ),
                (
                    Permission::MembersView,
                    "members/list",
                    vec![("workspace_id", &ws)],
                ),
                (
                    Permission::InvitationsView,
                    "invitations/list",
                    vec![("workspace_id", &ws)],
                ),
                (
                    Permission::InvitationsManage,
                    "invitations/create",
                    vec![("workspace_id", &ws), ("role", "viewer"), ("email", "")],
                ),
                (
                    Permission::AuditLogView,
                    "audit/list",
                    vec![("workspace_id", &ws)],
                ),
                // Setting the viewer's role to what it already is: allowed roles change nothing.
                (
                    Permission::MembersManage,
                    "members/role",
                    vec![
                        ("workspace_id", &ws),
                        ("user_id", &victim),
                        ("role", "viewer"),
                    ],
                ),
            ];
            for (permission, endpoint, form) in samples {
                let result = b.call(endpoint, &form).await;
                if role.can(permission) {
                    assert!(
                        result.is_ok(),
                        "{role} should be allowed {endpoint}: {result:?}"
                    );
                } else {
                    let err = result.expect_err(endpoint);
                    assert_eq!(err.code, ErrorCode::Forbidden, "{role} on {endpoint}");
                }
            }
            for (permission, page) in [
                (Permission::SettingsView, format!("/w/{ws}/settings")),
                (Permission::AuditLogView, format!("/w/{ws}/settings/audit")),
                (Permission::WorkspaceView, format!("/w/{ws}")),
            ] {
                let (status, body) = b.page(&page).await;
                let expected = if role.can(permission) { 200 } else { 403 };
                assert_eq!(status, expected, "{role} on {page}");
                if expected == 403 {
                    assert!(
                        body.contains("data-testid=\"forbidden\""),
                        "a friendly 403 page"
                    );
                }
                let shows_settings = body.contains("data-testid=\"nav-settings\"");
                assert_eq!(
                    shows_settings,
                    role.can(Permission::SettingsView),
                    "{role}: sidebar shows Settings only if allowed"
                );
            }
        }
    }
}

#[tokio::test]
async fn admins_cannot_touch_owners_and_the_last_owner_stays() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut owner = app.browser();
        owner
            .sign_up("Olivia", "olivia@example.com", "password-123")
            .await
            .expect("sign up");
        let owner_id = owner.user_id().await;
        let ws = owner.create_workspace("Owners").await;
        let (mut admin, admin_id) = member_with_role(&app, &mut owner, &ws, "admin").await;

        let e = admin
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &owner_id),
                    ("role", "viewer"),
                ],
            )
            .await;
        assert_eq!(
            e.expect_err("admin demoting owner").code,
            ErrorCode::Forbidden
        );
        let e = admin
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &admin_id),
                    ("role", "owner"),
                ],
            )
            .await;
        assert_eq!(
            e.expect_err("admin promoting to owner").code,
            ErrorCode::Forbidden
        );
        let e = admin
            .call(
                "members/remove",
                &[("workspace_id", &ws), ("user_id", &owner_id)],
            )
            .await;
        assert_eq!(
            e.expect_err("admin removing owner").code,
            ErrorCode::Forbidden
        );

        let e = owner
            .call(
                "members/remove",
                &[("workspace_id", &ws), ("user_id", &owner_id)],
            )
            .await;
        assert_eq!(e.expect_err("last owner leaving").code, ErrorCode::Conflict);
        let e = owner
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &owner_id),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(
            e.expect_err("last owner stepping down").code,
            ErrorCode::Conflict
        );

        owner
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &admin_id),
                    ("role", "owner"),
                ],
            )
            .await
            .expect("second owner");
        owner
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &owner_id),
                    ("role", "admin"),
                ],
            )
            .await
            .expect("now allowed");
        let e = owner
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &admin_id),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(
            e.expect_err("an admin cannot demote the remaining owner")
                .code,
            ErrorCode::Forbidden
        );
        let bad = admin
            .call(
                "members/role",
                &[
                    ("workspace_id", &ws),
                    ("user_id", &owner_id),
                    ("role", "root"),
                ],
            )
            .await;
        assert_eq!(bad.expect_err("unknown role").code, ErrorCode::Validation);
    }
}
