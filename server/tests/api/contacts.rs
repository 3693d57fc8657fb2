//! Contacts: custom field values checked on every write, and opt-outs by keyword that
//! the message pipeline then keeps to.

use crate::helpers::{TestApp, TestDb, backends, count, owner_with_workspace, settle};
use crate::inbox::{act, customer_writes};
use msgbuddy_contacts::contact::{self, ContactForm};
use msgbuddy_contacts::definitions;
use msgbuddy_contacts::fields::DefinitionInput;
use msgbuddy_core::Actor;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_domain::{AppError, ErrorCode};
use sqlx::Row;

async fn owner_member(app: &TestApp, ws: &str) -> Member {
    let user_id: String =
        sqlx::query("SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'owner'")
            .bind(ws)
            .fetch_one(app.db.reader())
            .await
            .expect("owner")
            .try_get(0)
            .expect("id");
    Member {
        workspace_id: ws.to_owned(),
        user_id,
        role: msgbuddy_domain::Role::Owner,
        test_mode: false,
    }
}

fn actor(member: &Member) -> Actor {
    Actor {
        user_id: member.user_id.clone(),
        ip: None,
    }
}

fn field_of(e: msgbuddy_core::Error) -> String {
    let e: AppError = e.into_app_error();
    assert_eq!(e.code, ErrorCode::Validation, "{e:?}");
    e.field().unwrap_or_default().to_owned()
}

fn def(key: &str, kind: &str) -> DefinitionInput {
    DefinitionInput {
        key: key.into(),
        label: key.replace('_', " "),
        kind: kind.into(),
        ..DefinitionInput::default()
    }
}

#[tokio::test]
async fn every_field_kind_checks_its_values_on_every_write_and_a_refusal_keeps_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_owner, ws) = owner_with_workspace(&app, "Fields").await;
        let member = owner_member(&app, &ws).await;
        let actor = actor(&member);
        let mut defs = vec![
            def("city", "text"),
            def("notes", "long_text"),
            DefinitionInput {
                min: "0".into(),
                max: "120".into(),
                ..def("age", "number")
            },
            def("birthday", "date"),
            def("renews_at", "date_time"),
            def("vip", "boolean"),
            DefinitionInput {
                options: "Gold\nSilver".into(),
                default_value: "Silver".into(),
                ..def("tier", "select")
            },
            DefinitionInput {
                options: "Sport\nMusic\nFood".into(),
                ..def("interests", "multi_select")
            },
            def("work_email", "email"),
            def("work_phone", "phone"),
            def("site", "url"),
        ];
        defs[0].required = true;
        for d in &defs {
            definitions::create(&app.db, &actor, &member, FieldScope::Contact, d)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", d.key));
        }
        // A definition that breaks its own rules is refused by field.
        let bad_default = DefinitionInput {
            default_value: "Bronze".into(),
            ..def("level", "select")
        };
        let bad_default = DefinitionInput {
            options: "Gold".into(),
            ..bad_default
        };
        for (bad, field) in [
            (def("city", "text"), "key"),
            (def("name", "text"), "key"),
            (def("x'; DROP TABLE contacts; --", "text"), "key"),
            (def("size", "colour"), "kind"),
            (
                DefinitionInput {
                    min: "5".into(),
                    max: "1".into(),
                    ..def("score", "number")
                },
                "max",
            ),
            (
                DefinitionInput {
                    options: "A\na".into(),
                    ..def("pick", "select")
                },
                "options",
            ),
            (bad_default, "default_value"),
        ] {
            let e = definitions::create(&app.db, &actor, &member, FieldScope::Contact, &bad)
                .await
                .expect_err("refused");
            assert_eq!(field_of(e), field, "{}", bad.key);
        }
        let good = |fields: &[(&str, &str)]| ContactForm {
            name: "Asha Rao".into(),
            phone: "+91 98765 43210".into(),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).into()))
                .collect(),
            ..ContactForm::default()
        };
        let id = contact::create(
            &app.db,
            &actor,
            &member,
            &good(&[
                ("city", "Pune"),
                ("notes", "Likes \"quotes\" and 'apostrophes'\nand two lines"),
                ("age", "34"),
                ("birthday", "1992-02-29"),
                ("renews_at", "2026-12-01T09:30:00+05:30"),
                ("vip", "yes"),
                ("interests", "food; sport"),
                ("work_email", "Asha@Example.COM"),
                ("work_phone", "+44 7911 123456"),
                ("site", "https://example.com/asha"),
            ]),
        )
        .await
        .expect("created");
        let detail = contact::get(&app.db, &member, &id).await.expect("detail");
        assert_eq!(detail.row.phone.as_deref(), Some("+919876543210"));
        let value = |key: &str| {
            detail
                .fields
                .iter()
                .find(|f| f.key == key)
                .map(|f| f.value.clone())
                .unwrap_or_default()
        };
        assert_eq!(value("city"), "Pune");
        assert_eq!(value("age"), "34");
        assert_eq!(value("birthday"), "1992-02-29");
        assert_eq!(value("renews_at"), "2026-12-01T04:00:00Z");
        assert_eq!(value("vip"), "true");
        assert_eq!(value("tier"), "Silver", "the default filled in");
        assert_eq!(value("interests"), "Sport, Food", "in the options' order");
        assert_eq!(value("work_phone"), "+447911123456");
        assert!(value("work_email").ends_with("@example.com"));
        let stored = count(
            &app,
            "SELECT COUNT(*) FROM contact_field_values WHERE contact_id = $1",
            &[&id],
        )
        .await;
        assert_eq!(stored, 11);

        // Each bad value is refused naming its field, and the contact is not made.
        let before = count(
            &app,
            "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1",
            &[&ws],
        )
        .await;
        for (key, raw) in [
            ("city", ""),
            ("city", "tab\there"),
            ("age", "121"),
            ("age", "12abc"),
            ("birthday", "2023-02-29"),
            ("renews_at", "tomorrow"),
            ("vip", "perhaps"),
            ("tier", "Bronze"),
            ("interests", "Sport, Chess"),
            ("work_email", "asha@"),
            ("work_phone", "+12"),
            ("site", "javascript:alert(1)"),
            ("nonexistent", "x"),
        ] {
            let mut form = good(&[("city", "Pune")]);
            form.phone = String::new();
            form.fields.push((key.to_owned(), raw.into()));
            let e = contact::create(&app.db, &actor, &member, &form)
                .await
                .expect_err(key);
            assert_eq!(field_of(e), format!("field.{key}"), "{key} = {raw}");
        }
        // The contact's own columns too, and a phone another contact has.
        for (form, field) in [
            (
                ContactForm {
                    name: " ".into(),
                    ..good(&[("city", "Pune")])
                },
                "name",
            ),
            (
                ContactForm {
                    phone: "12345".into(),
                    ..good(&[("city", "Pune")])
                },
                "phone",
            ),
            (
                ContactForm {
                    email: "not an email".into(),
                    ..good(&[("city", "Pune")])
                },
                "email",
            ),
            (good(&[("city", "Pune")]), "phone"),
        ] {
            let e = contact::create(&app.db, &actor, &member, &form)
                .await
                .expect_err(field);
            assert_eq!(field_of(e), field);
        }
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1",
                &[&ws]
            )
            .await,
            before,
            "nothing refused was kept"
        );
        // Hostile text is a valid text and is kept as written.
        let hostile = "'; DROP TABLE contacts; -- <script>alert(1)</script>";
        let mut edit = good(&[("city", hostile)]);
        edit.phone = "+91 98765 43210".into();
        contact::update(&app.db, &actor, &member, &id, &edit)
            .await
            .expect("updated");
        let detail = contact::get(&app.db, &member, &id).await.expect("detail");
        assert!(
            detail
                .fields
                .iter()
                .any(|f| f.key == "city" && f.value == hostile)
        );
        assert_eq!(
            detail.fields.len(),
            11,
            "fields not in the form are left as they were"
        );
        // Deleted softly: restored within the window; audited.
        contact::delete(&app.db, &actor, &member, &id)
            .await
            .expect("deleted");
        assert!(
            contact::delete(&app.db, &actor, &member, &id)
                .await
                .is_err()
        );
        contact::restore(&app.db, &actor, &member, &id)
            .await
            .expect("restored");
        let audited = count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND target_type IN ('contact', 'custom_field')",
            &[&ws],
        )
        .await;
        assert_eq!(
            audited,
            11 + 4,
            "eleven fields; create, update, delete, restore"
        );
        // After the undo window the clean-up removes it for good.
        contact::delete(&app.db, &actor, &member, &id)
            .await
            .expect("deleted again");
        let now = msgbuddy_core::db::now_ms();
        assert_eq!(
            contact::purge(&app.db, now).await.expect("purge"),
            0,
            "still in its window"
        );
        let later = now + msgbuddy_domain::contact::UNDO_WINDOW_MS + 1;
        assert_eq!(contact::purge(&app.db, later).await.expect("purge"), 1);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM contacts WHERE id = $1", &[&id]).await,
            0
        );
        let values = "SELECT COUNT(*) FROM contact_field_values WHERE contact_id = $1";
        assert_eq!(count(&app, values, &[&id]).await, 0);
    }
}

#[tokio::test]
async fn stop_opts_the_contact_out_of_its_channel_and_sends_are_refused_until_start() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Keywords").await;
        let from = "+15550970001";
        let chat = customer_writes(&app, &mut owner, &ws, from, "Hello").await;
        act(
            &mut owner,
            "conversations/send",
            &ws,
            &chat,
            &[("text", "Hi!")],
        )
        .await
        .expect("sent before the opt-out");
        // Not a keyword: a sentence that has one in it.
        customer_writes(&app, &mut owner, &ws, from, "please stop calling me later").await;
        let opted = "SELECT COUNT(*) FROM contact_opt_outs o JOIN contacts c ON c.id = o.contact_id WHERE c.phone = $1";
        assert_eq!(count(&app, opted, &[from]).await, 0);

        customer_writes(&app, &mut owner, &ws, from, "Stop.").await;
        settle(&app).await;
        assert_eq!(count(&app, opted, &[from]).await, 1);
        let row = sqlx::query(
            "SELECT o.channel_kind, o.source, o.reason FROM contact_opt_outs o JOIN contacts c ON c.id = o.contact_id WHERE c.phone = $1",
        )
        .bind(from)
        .fetch_one(app.db.reader())
        .await
        .expect("opt-out");
        assert_eq!(row.try_get::<String, _>(0).expect("kind"), "sandbox");
        assert_eq!(row.try_get::<String, _>(1).expect("source"), "keyword");
        assert_eq!(row.try_get::<String, _>(2).expect("reason"), "Wrote Stop.");
        // The confirmation went out once, and went through the pipeline to the customer.
        let confirmations = "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND source = 'opt_out_reply' AND status <> 'failed'";
        assert_eq!(count(&app, confirmations, &[&chat]).await, 1);
        // A second STOP changes nothing and sends nothing more.
        customer_writes(&app, &mut owner, &ws, from, "STOP").await;
        assert_eq!(count(&app, confirmations, &[&chat]).await, 1);

        let refused = act(
            &mut owner,
            "conversations/send",
            &ws,
            &chat,
            &[("text", "Are you there?")],
        )
        .await
        .expect_err("refused");
        assert_eq!(refused.code, ErrorCode::Validation);
        assert_eq!(
            refused.details.as_ref().and_then(|d| d["rule"].as_str()),
            Some("contact_opted_out"),
            "{refused:?}"
        );
        assert!(refused.message.contains("Sandbox"), "{}", refused.message);
        let sent =
            "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND direction = 'outbound'";
        assert_eq!(
            count(&app, sent, &[&chat]).await,
            2,
            "the reply and the confirmation only"
        );

        customer_writes(&app, &mut owner, &ws, from, "start").await;
        assert_eq!(count(&app, opted, &[from]).await, 0);
        act(
            &mut owner,
            "conversations/send",
            &ws,
            &chat,
            &[("text", "Welcome back")],
        )
        .await
        .expect("sent after START");
        assert_eq!(
            count(&app, sent, &[&chat]).await,
            4,
            "the START confirmation and the reply"
        );
    }
}
