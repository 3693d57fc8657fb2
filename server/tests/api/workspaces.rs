use crate::helpers::{TestApp, TestDb, backends, member_with_role, owner_with_workspace};
use msgbuddy_domain::ErrorCode;

#[tokio::test]
async fn settings_are_validated_saved_and_audited_with_before_and_after() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let mut b = app.browser();
        b.sign_up("Ana", "ana@example.com", "password-123")
            .await
            .expect("sign up");
        let ws = b.create_workspace("Acme").await;
        let save =
            |name: &'static str, tz: &'static str, lang: &'static str, mon_open: &'static str| {
                vec![
                    ("workspace_id", ws.clone()),
                    ("name", name.to_owned()),
                    ("time_zone", tz.to_owned()),
                    ("default_language", lang.to_owned()),
                    ("hours[mon_open]", mon_open.to_owned()),
                    ("hours[mon_close]", "17:00".to_owned()),
                ]
            };
        for (form, field) in [
            (save("", "UTC", "en", "09:00"), "name"),
            (save("Acme", "Mars/Olympus", "en", "09:00"), "time_zone"),
            (save("Acme", "UTC", "english", "09:00"), "default_language"),
            (save("Acme", "UTC", "en", "18:00"), "hours_mon"),
        ] {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let err = b
                .call("workspaces/settings/save", &form)
                .await
                .expect_err(field);
            assert_eq!(err.code, ErrorCode::Validation);
            assert_eq!(
                err.details.as_ref().and_then(|d| d["field"].as_str()),
                Some(field)
            );
        }
        let unchanged = b
            .call("workspaces/settings", &[("workspace_id", &ws)])
            .await
            .expect("settings");
        assert_eq!(unchanged["settings"]["name"], "Acme");

        let form = save("Acme Support", "Europe/Berlin", "de", "08:30");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.call("workspaces/settings/save", &form)
            .await
            .expect("saved");
        let saved = b
            .call("workspaces/settings", &[("workspace_id", &ws)])
            .await
            .expect("settings");
        assert_eq!(saved["settings"]["name"], "Acme Support");
        assert_eq!(saved["settings"]["time_zone"], "Europe/Berlin");
        assert_eq!(saved["settings"]["default_language"], "de");
        assert_eq!(
            saved["settings"]["business_hours"][0],
            serde_json::json!({"open": 510, "close": 1020})
        );
        assert_eq!(
            saved["settings"]["business_hours"][1],
            serde_json::Value::Null,
            "tuesday left empty is closed"
        );

        let log = b
            .call(
                "audit/list",
                &[("workspace_id", &ws), ("action", "workspace.settings")],
            )
            .await
            .expect("audit");
        let entry = &log[0];
        assert_eq!(entry["action"], "workspace.settings_changed");
        assert_eq!(entry["actor_email"], "ana@example.com");
        assert_eq!(entry["ip"], "127.0.0.1");
        assert!(
            entry["before"]
                .as_str()
                .unwrap_or_default()
                .contains("\"Acme\"")
        );
        assert!(
            entry["after"]
                .as_str()
                .unwrap_or_default()
                .contains("Europe/Berlin")
        );
    }
}

#[tokio::test]
async fn invitations_can_be_accepted_once_revoked_or_expire() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Invites").await;

        let token = owner.invite(&ws, "agent").await;
        let mut first = app.browser();
        first
            .sign_up("First", "first@example.com", "password-123")
            .await
            .expect("sign up");
        let preview = first
            .call("invitations/preview", &[("token", &token)])
            .await
            .expect("preview");
        assert_eq!(preview["workspace_name"], "Invites");
        assert_eq!(preview["role"], "agent");
        first
            .call("invitations/accept", &[("token", &token)])
            .await
            .expect("accepted");
        let mut second = app.browser();
        second
            .sign_up("Second", "second@example.com", "password-123")
            .await
            .expect("sign up");
        let used = second
            .call("invitations/accept", &[("token", &token)])
            .await
            .expect_err("used link");
        assert_eq!(used.code, ErrorCode::NotFound);

        let revoked = owner.invite(&ws, "viewer").await;
        let id = owner
            .call("invitations/list", &[("workspace_id", &ws)])
            .await
            .expect("list")["invitations"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        owner
            .call(
                "invitations/revoke",
                &[("workspace_id", &ws), ("invitation_id", &id)],
            )
            .await
            .expect("revoked");
        assert_eq!(
            second
                .call("invitations/accept", &[("token", &revoked)])
                .await
                .expect_err("revoked")
                .code,
            ErrorCode::NotFound
        );

        let for_someone = owner
            .call(
                "invitations/create",
                &[
                    ("workspace_id", &ws),
                    ("role", "viewer"),
                    ("email", "someone@example.com"),
                ],
            )
            .await
            .expect("created");
        let token = for_someone
            .as_str()
            .and_then(|l| l.strip_prefix("/invite/"))
            .expect("link")
            .to_owned();
        assert_eq!(
            second
                .call("invitations/accept", &[("token", &token)])
                .await
                .expect_err("other email")
                .code,
            ErrorCode::Forbidden
        );

        // Expiry: an invitation created already expired cannot be used.
        let member = msgbuddy_core::workspaces::access(
            &app.db,
            &owner.user_id().await,
            &ws,
            msgbuddy_domain::Permission::InvitationsManage,
        )
        .await
        .expect("owner");
        let actor = msgbuddy_core::Actor {
            user_id: member.user_id.clone(),
            ip: None,
        };
        let expired = msgbuddy_core::invitations::create(
            &app.bus,
            &member,
            &actor,
            None,
            msgbuddy_domain::Role::Agent,
            -1,
        )
        .await
        .expect("created");
        assert_eq!(
            second
                .call("invitations/accept", &[("token", &expired.token)])
                .await
                .expect_err("expired")
                .code,
            ErrorCode::NotFound
        );

        let members = owner
            .call("members/list", &[("workspace_id", &ws)])
            .await
            .expect("members");
        let emails: Vec<&str> = members["members"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|m| m["email"].as_str())
            .collect();
        assert_eq!(emails, vec!["olivia@example.com", "first@example.com"]);
        let log = owner
            .call(
                "audit/list",
                &[("workspace_id", &ws), ("action", "invitation.")],
            )
            .await
            .expect("audit");
        let actions: Vec<&str> = log
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for action in [
            "invitation.created",
            "invitation.accepted",
            "invitation.revoked",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
    }
}

#[tokio::test]
async fn a_user_can_switch_between_several_workspaces() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let mut owner = app.browser();
    owner
        .sign_up("Olivia", "olivia@example.com", "password-123")
        .await
        .expect("sign up");
    let first = owner.create_workspace("First").await;
    let (mut agent, _) = member_with_role(&app, &mut owner, &first, "agent").await;
    let own = agent.create_workspace("Agent's own").await;
    let me = agent.call("me", &[]).await.expect("me");
    let roles: Vec<(String, String)> = me["workspaces"]
        .as_array()
        .expect("list")
        .iter()
        .map(|w| {
            (
                w["id"].as_str().unwrap_or_default().to_owned(),
                w["role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(roles.contains(&(first.clone(), "agent".to_owned())));
    assert!(roles.contains(&(own.clone(), "owner".to_owned())));
    let (_, page) = agent.page(&format!("/w/{own}")).await;
    assert!(page.contains("data-testid=\"workspace-switcher\""));
    assert!(
        page.contains(&format!("href=\"/w/{first}\"")),
        "the switcher links the other workspace"
    );
}
