//! Groups made and filled from the contact list (the ticked contacts or every match),
//! tags put on every match, a contact's other phone numbers, and a conversation's own
//! fields set beside the thread.

use crate::helpers::{
    Browser, TestApp, TestDb, backends, count, member_with_role, owner_with_workspace, settle,
};
use crate::inbox::customer_writes;
use msgbuddy_domain::ErrorCode;
use serde_json::Value;

async fn save_contact(
    b: &mut Browser,
    ws: &str,
    form: &[(&str, &str)],
) -> Result<Value, msgbuddy_domain::AppError> {
    let mut all = vec![("workspace_id", ws)];
    all.extend_from_slice(form);
    b.call("contacts/save", &all).await
}

async fn total(b: &mut Browser, ws: &str, filter: &[(&str, &str)]) -> i64 {
    let mut form = vec![("workspace_id", ws)];
    form.extend_from_slice(filter);
    let list = b
        .call("contacts/list", &form)
        .await
        .unwrap_or_else(|e| panic!("{filter:?}: {e:?}"));
    list["page"]["total"].as_i64().expect("total")
}

async fn contact_id(app: &TestApp, ws: &str, name: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT id FROM contacts WHERE workspace_id = $1 AND name = $2")
        .bind(ws)
        .bind(name)
        .fetch_one(app.db.reader())
        .await
        .expect("contact")
        .try_get(0)
        .expect("id")
}

#[tokio::test]
async fn groups_are_made_filled_from_the_list_and_filter_it() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Lists").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        for (name, phone) in [
            ("Asha Rao", "+919876543210"),
            ("Ben Rao", "+14155550101"),
            ("Chen Li", "+14155550102"),
        ] {
            save_contact(&mut owner, &ws, &[("name", name), ("phone", phone)])
                .await
                .expect("saved");
        }
        owner
            .call(
                "groups/create",
                &[("workspace_id", &ws), ("name", "Launch guests")],
            )
            .await
            .expect("group");
        let refused = viewer
            .call("groups/create", &[("workspace_id", &ws), ("name", "Mine")])
            .await
            .expect_err("viewers only look");
        assert_eq!(refused.code, ErrorCode::Forbidden);
        let dup = owner
            .call(
                "groups/create",
                &[("workspace_id", &ws), ("name", "launch GUESTS")],
            )
            .await
            .expect_err("taken");
        assert_eq!(dup.field(), Some("name"));
        let groups = owner
            .call("groups/list", &[("workspace_id", &ws)])
            .await
            .expect("list");
        let group = groups["groups"][0]["id"].as_str().expect("id").to_owned();
        assert_eq!(groups["groups"][0]["contacts"], 0);

        // The ticked contacts.
        let asha = contact_id(&app, &ws, "Asha Rao").await;
        let key = format!("contacts[{asha}]");
        let ticked = [
            ("workspace_id", ws.as_str()),
            ("group_id", &group),
            ("action", "add"),
            (key.as_str(), "1"),
        ];
        owner.call("groups/contacts", &ticked).await.expect("added");
        assert_eq!(
            total(&mut owner, &ws, &[("filter[group]", &group)]).await,
            1
        );
        let nothing = owner
            .call(
                "groups/contacts",
                &[
                    ("workspace_id", &ws),
                    ("group_id", &group),
                    ("action", "add"),
                ],
            )
            .await
            .expect_err("nothing ticked");
        assert_eq!(nothing.field(), Some("contacts"));

        // Every contact the filter matches, far beyond the ticked page.
        let every = [
            ("workspace_id", ws.as_str()),
            ("group_id", &group),
            ("action", "add"),
            ("every", "1"),
            ("filter[q]", "rao"),
        ];
        owner
            .call("groups/contacts", &every)
            .await
            .expect("every match");
        assert_eq!(
            total(&mut owner, &ws, &[("filter[group]", &group)]).await,
            2
        );
        let mut removal = every;
        removal[2] = ("action", "remove");
        owner
            .call("groups/contacts", &removal)
            .await
            .expect("removed");
        assert_eq!(
            total(&mut owner, &ws, &[("filter[group]", &group)]).await,
            0
        );

        // Tags too go on every match.
        owner
            .call(
                "tags/create",
                &[
                    ("workspace_id", &ws),
                    ("name", "vip"),
                    ("colour", "#4f46e5"),
                ],
            )
            .await
            .expect("tag");
        let settings = owner
            .call("contact-settings/get", &[("workspace_id", &ws)])
            .await
            .expect("settings");
        let vip = settings["tags"][0]["id"]
            .as_str()
            .expect("tag id")
            .to_owned();
        let tag_every = [
            ("workspace_id", ws.as_str()),
            ("tag_id", &vip),
            ("action", "add"),
            ("every", "1"),
            ("filter[q]", "+1415"),
        ];
        owner
            .call("contacts/tag", &tag_every)
            .await
            .expect("tagged");
        assert_eq!(total(&mut owner, &ws, &[("filter[tag]", &vip)]).await, 2);

        // The page lists the group with its count and links to the filtered list.
        owner
            .call("groups/contacts", &ticked)
            .await
            .expect("added again");
        let (status, html) = owner.page(&format!("/w/{ws}/contacts/groups")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Launch guests") && html.contains("1 contact<"),
            "{html}"
        );
        assert!(html.contains(&format!("/w/{ws}/contacts?group={group}")));

        // Another workspace sees none of it.
        let mut stranger = app.browser();
        stranger
            .sign_up(
                "Stranger",
                &crate::helpers::unique_email("stranger"),
                "password-123",
            )
            .await
            .expect("sign up");
        stranger.create_workspace("Elsewhere").await;
        let hidden = stranger
            .call("groups/list", &[("workspace_id", &ws)])
            .await
            .expect_err("not theirs");
        assert_eq!(hidden.code, ErrorCode::NotFound);

        owner
            .call(
                "groups/delete",
                &[("workspace_id", &ws), ("group_id", &group)],
            )
            .await
            .expect("deleted");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contact_group_members WHERE group_id = $1",
                &[&group]
            )
            .await,
            0
        );
        assert_eq!(total(&mut owner, &ws, &[]).await, 3, "its contacts stay");
    }
}

#[tokio::test]
async fn other_phone_numbers_are_kept_checked_and_reach_the_contact() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Phones").await;
        save_contact(
            &mut owner,
            &ws,
            &[
                ("name", "Asha Rao"),
                ("phone", "+919876543210"),
                ("phones", "+1 415 555 0100\n+1 415 555 0100\n"),
            ],
        )
        .await
        .expect("saved");
        save_contact(
            &mut owner,
            &ws,
            &[("name", "Ben"), ("phone", "+14155550101")],
        )
        .await
        .expect("saved");
        let asha = contact_id(&app, &ws, "Asha Rao").await;
        let ben = contact_id(&app, &ws, "Ben").await;
        let page = owner
            .call(
                "contacts/get",
                &[("workspace_id", &ws), ("contact_id", &asha)],
            )
            .await
            .expect("page");
        assert_eq!(
            page["contact"]["phones"],
            serde_json::json!(["+14155550100"]),
            "{page}"
        );
        // A number is one contact's, whether main or other.
        for (who, form) in [
            (
                &ben,
                vec![
                    ("name", "Ben"),
                    ("phone", "+14155550101"),
                    ("phones", "+14155550100"),
                ],
            ),
            (&ben, vec![("name", "Ben"), ("phone", "+14155550100")]),
            (
                &ben,
                vec![
                    ("name", "Ben"),
                    ("phone", "+14155550101"),
                    ("phones", "+919876543210"),
                ],
            ),
            (
                &asha,
                vec![
                    ("name", "Asha Rao"),
                    ("phone", "+919876543210"),
                    ("phones", "not a number"),
                ],
            ),
        ] {
            let mut form = form.clone();
            form.push(("contact_id", who.as_str()));
            let refused = save_contact(&mut owner, &ws, &form)
                .await
                .expect_err("refused");
            assert_eq!(refused.code, ErrorCode::Validation, "{form:?}");
            assert!(
                matches!(refused.field(), Some("phone" | "phones")),
                "{form:?}: {refused:?}"
            );
        }
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contact_phones WHERE contact_id = $1",
                &[&ben]
            )
            .await,
            0
        );
        assert_eq!(
            total(&mut owner, &ws, &[("filter[q]", "0100")]).await,
            1,
            "search finds other numbers"
        );
        // The export carries them, in a column and an array of their own.
        let (status, csv) = owner
            .page(&format!("/w/{ws}/exports/contacts.csv?q=asha"))
            .await;
        assert_eq!(status, 200);
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .is_some_and(|h| h.starts_with("id,name,phone,other_phones,email,")),
            "{csv}"
        );
        assert!(
            lines
                .next()
                .is_some_and(|row| row.contains(",'+919876543210,'+14155550100,")),
            "{csv}"
        );
        let (_, json) = owner
            .page(&format!("/w/{ws}/exports/contacts.json?q=asha"))
            .await;
        let json: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(json[0]["other_phones"], serde_json::json!(["+14155550100"]));
        // A message from the other number lands on Asha's contact, not a new one.
        let conversation = customer_writes_from(&app, &mut owner, &ws, "+14155550100").await;
        let thread = owner
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &conversation)],
            )
            .await
            .expect("thread");
        assert_eq!(thread["contact"]["id"], asha.as_str());
        assert_eq!(
            thread["contact"]["other_phones"],
            serde_json::json!(["+14155550100"]),
            "the side panel lists the other numbers"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1",
                &[&ws]
            )
            .await,
            2
        );
    }
}

/// A customer writes from `from`; the conversation it lands in.
async fn customer_writes_from(app: &TestApp, owner: &mut Browser, ws: &str, from: &str) -> String {
    use sqlx::Row;
    owner
        .call(
            "channels/simulate",
            &[
                ("workspace_id", ws),
                ("from", from),
                ("name", "Someone"),
                ("text", "Hello from my other phone"),
            ],
        )
        .await
        .expect("simulated");
    settle(app).await;
    sqlx::query("SELECT conversation_id FROM messages WHERE workspace_id = $1 AND direction = 'inbound' ORDER BY created_at DESC LIMIT 1")
        .bind(ws)
        .fetch_one(app.db.reader())
        .await
        .expect("message")
        .try_get(0)
        .expect("id")
}

/// The conversation's own fields as the thread's panel has them.
async fn conversation_fields(b: &mut Browser, ws: &str, conversation: &str) -> Value {
    let thread = b
        .call(
            "conversations/thread",
            &[("workspace_id", ws), ("conversation_id", conversation)],
        )
        .await
        .expect("thread");
    thread["contact"]["conversation_fields"].clone()
}

#[tokio::test]
async fn a_conversation_s_own_fields_are_set_beside_the_thread_and_checked() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Orders").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        for (key, kind, options) in [
            ("priority", "select", "Low\nHigh"),
            ("order_number", "number", ""),
        ] {
            owner
                .call(
                    "contact-fields/create",
                    &[
                        ("workspace_id", &ws),
                        ("scope", "conversation"),
                        ("key", key),
                        ("label", key),
                        ("kind", kind),
                        ("options", options),
                    ],
                )
                .await
                .expect("field");
        }
        let conversation =
            customer_writes(&app, &mut owner, &ws, "+15550700001", "Where is my order?").await;
        let fields = conversation_fields(&mut owner, &ws, &conversation).await;
        assert_eq!(fields.as_array().map(Vec::len), Some(2));
        assert_eq!(fields[0]["value"], "");
        let save = |values: Vec<(&'static str, &'static str)>| {
            let mut form = vec![
                ("workspace_id".to_owned(), ws.clone()),
                ("conversation_id".to_owned(), conversation.clone()),
            ];
            form.extend(
                values
                    .into_iter()
                    .map(|(k, v)| (format!("fields[{k}]"), v.to_owned())),
            );
            form
        };
        let form = save(vec![("priority", "High"), ("order_number", "1042")]);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        owner
            .call("conversations/fields", &pairs)
            .await
            .expect("saved");
        let fields = conversation_fields(&mut owner, &ws, &conversation).await;
        assert_eq!(
            (fields[0]["value"].as_str(), fields[1]["value"].as_str()),
            (Some("High"), Some("1042"))
        );
        for (bad, field) in [
            (vec![("priority", "Urgent")], "field.priority"),
            (vec![("order_number", "ten")], "field.order_number"),
            (vec![("nope", "1")], "field.nope"),
        ] {
            let form = save(bad);
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let refused = owner
                .call("conversations/fields", &pairs)
                .await
                .expect_err("refused");
            assert_eq!(refused.field(), Some(field));
        }
        let fields = conversation_fields(&mut owner, &ws, &conversation).await;
        assert_eq!(fields[0]["value"], "High", "a refusal changes nothing");
        let form = save(vec![("priority", "")]);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let refused = viewer
            .call("conversations/fields", &pairs)
            .await
            .expect_err("viewers only look");
        assert_eq!(refused.code, ErrorCode::Forbidden);
        owner
            .call("conversations/fields", &pairs)
            .await
            .expect("cleared");
        let fields = conversation_fields(&mut owner, &ws, &conversation).await;
        assert_eq!(fields[0]["value"], "");
        let (_, html) = owner
            .page(&format!("/w/{ws}/conversations/{conversation}"))
            .await;
        assert!(
            html.contains("data-testid=\"conversation-fields\"") && html.contains("1042"),
            "the panel's form"
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND action = 'conversation.fields'", &[&ws]).await, 2);
    }
}

#[tokio::test]
async fn the_run_command_s_demo_seeds_every_module_on_both_backends() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        server::demo::seed_all(&app.messaging)
            .await
            .expect("the demo seeds");
        for (sql, expected) in [
            (
                "SELECT COUNT(*) FROM contact_groups WHERE name = $1",
                ("Launch guests", 1),
            ),
            (
                "SELECT COUNT(*) FROM contact_group_members m JOIN contact_groups g ON g.id = m.group_id WHERE g.name = $1",
                ("Launch guests", 2),
            ),
            (
                "SELECT COUNT(*) FROM segments WHERE name = $1",
                ("VIP in Pune", 1),
            ),
            (
                "SELECT COUNT(*) FROM contact_phones WHERE phone = $1",
                ("+14155550109", 1),
            ),
            (
                "SELECT COUNT(*) FROM conversation_field_values WHERE value_text = $1",
                ("A-1042", 1),
            ),
        ] {
            assert_eq!(count(&app, sql, &[expected.0]).await, expected.1, "{sql}");
        }
    }
}
