//! Segments: conditions on contacts' columns, tags, groups, channels, opt-outs and custom
//! fields, counted and previewed live, saved per workspace (audited), and used as the
//! contact list's filter. Hostile text is only ever a value to look for.

use crate::helpers::{Browser, TestApp, TestDb, backends, count, owner_with_workspace};
use msgbuddy_contacts::contact::{self, ContactForm};
use msgbuddy_contacts::fields::DefinitionInput;
use msgbuddy_contacts::opt_outs::{self, Source};
use msgbuddy_contacts::{definitions, list, segments, tags};
use msgbuddy_core::Actor;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::contact::ContactFilter;
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_domain::message::ChannelKind;
use msgbuddy_domain::segment::{Condition, Segment};
use msgbuddy_domain::{AppError, ErrorCode};
use sqlx::Row;
use std::collections::BTreeSet;

const DAY_MS: i64 = 86_400_000;

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

fn app_error(e: msgbuddy_core::Error) -> AppError {
    e.into_app_error()
}

fn field_of(e: msgbuddy_core::Error) -> String {
    let e = app_error(e);
    assert_eq!(e.code, ErrorCode::Validation, "{e:?}");
    e.field().unwrap_or_default().to_owned()
}

fn cond(field: &str, op: &str, value: &str) -> Condition {
    Condition {
        field: field.to_owned(),
        op: op.to_owned(),
        value: value.to_owned(),
    }
}

fn segment(match_all: bool, conditions: &[(&str, &str, &str)]) -> Segment {
    Segment {
        id: String::new(),
        name: String::new(),
        match_all,
        conditions: conditions.iter().map(|(f, o, v)| cond(f, o, v)).collect(),
    }
}

/// A workspace with three custom fields, a tag, a group and twelve live contacts (and a
/// deleted one and a test-mode one that no segment may find).
struct World {
    app: TestApp,
    owner: Browser,
    ws: String,
    member: Member,
    vip: String,
    ids: Vec<String>,
}

impl World {
    fn set(&self, indices: &[usize]) -> BTreeSet<String> {
        indices.iter().map(|i| self.ids[*i].clone()).collect()
    }

    /// The segment's count and preview are exactly the contacts `expected`.
    async fn expect(&self, s: &Segment, expected: &[usize]) {
        let n = segments::count(&self.app.db, &self.member, s)
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", s.conditions));
        let rows = segments::preview(&self.app.db, &self.member, s, 100)
            .await
            .expect("preview");
        let found: BTreeSet<String> = rows.into_iter().map(|r| r.id).collect();
        assert_eq!(found, self.set(expected), "{:?}", s.conditions);
        assert_eq!(
            n,
            i64::try_from(expected.len()).expect("small"),
            "{:?}",
            s.conditions
        );
    }

    async fn expect_all(&self, conditions: &[(&str, &str, &str)], expected: &[usize]) {
        self.expect(&segment(true, conditions), expected).await;
    }

    async fn refused(&self, conditions: &[(&str, &str, &str)]) -> String {
        let e = segments::count(&self.app.db, &self.member, &segment(true, conditions))
            .await
            .expect_err("refused");
        field_of(e)
    }
}

fn def(key: &str, kind: &str) -> DefinitionInput {
    DefinitionInput {
        key: key.into(),
        label: key.replace('_', " "),
        kind: kind.into(),
        ..DefinitionInput::default()
    }
}

/// name, phone, email, telegram, city, age, interests, vip, blocked
type Row12 = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
);

const CONTACTS: [Row12; 12] = [
    (
        "Asha Rao",
        "+91 98765 43200",
        "asha@example.com",
        "",
        "Pune",
        "34",
        "Sport, Food",
        true,
        false,
    ),
    (
        "Bilal Khan",
        "+91 98765 43201",
        "",
        "",
        "pune",
        "28",
        "Music",
        true,
        false,
    ),
    (
        "Chen Wei",
        "",
        "chen@example.com",
        "",
        "Mumbai",
        "45",
        "Food",
        true,
        false,
    ),
    (
        "Dora Silva",
        "+91 98765 43203",
        "",
        "12345",
        "PUNE",
        "19",
        "",
        false,
        false,
    ),
    (
        "Emeka Obi",
        "",
        "emeka@example.com",
        "",
        "Delhi",
        "",
        "Sport",
        false,
        false,
    ),
    (
        "Farah Ali",
        "+91 98765 43205",
        "farah@example.com",
        "",
        "O'Brien%_\\",
        "60",
        "",
        true,
        true,
    ),
    (
        "Gita Patel",
        "+91 98765 43206",
        "",
        "",
        "",
        "70",
        "Music, Food",
        false,
        false,
    ),
    (
        "Hugo Lang",
        "",
        "",
        "99887766",
        "Punekar",
        "33",
        "",
        false,
        false,
    ),
    (
        "Ines Roy",
        "+91 98765 43208",
        "ines@example.com",
        "",
        "Berlin",
        "18",
        "Sport",
        false,
        true,
    ),
    (
        "Jun Mori",
        "+91 98765 43209",
        "",
        "",
        "",
        "",
        "",
        false,
        false,
    ),
    (
        "Kofi Mensah",
        "",
        "kofi@example.com",
        "",
        "Pune",
        "50",
        "Sport, Music",
        false,
        false,
    ),
    (
        "Lena Berg",
        "+91 98765 43211",
        "lena@example.com",
        "",
        "Oslo",
        "41",
        "",
        true,
        false,
    ),
];

async fn world(db: &TestDb) -> World {
    let app = TestApp::spawn(db, &[]).await;
    let (owner, ws) = owner_with_workspace(&app, "Segments").await;
    let member = owner_member(&app, &ws).await;
    let actor = actor(&member);
    for d in [
        def("city", "text"),
        DefinitionInput {
            min: "0".into(),
            max: "120".into(),
            ..def("age", "number")
        },
        DefinitionInput {
            options: "Sport\nMusic\nFood".into(),
            ..def("interests", "multi_select")
        },
    ] {
        definitions::create(&app.db, &actor, &member, FieldScope::Contact, &d)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", d.key));
    }
    let vip = tags::create(&app.db, &actor, &member, "vip", "#4f46e5")
        .await
        .expect("tag")
        .id;
    let mut ids = Vec::new();
    for (name, phone, email, telegram, city, age, interests, is_vip, blocked) in CONTACTS {
        let fields = [("city", city), ("age", age), ("interests", interests)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), (*v).into()))
            .collect();
        let form = ContactForm {
            name: name.into(),
            phone: phone.into(),
            email: email.into(),
            telegram_id: telegram.into(),
            language: if name == "Chen Wei" {
                "pt-BR".into()
            } else {
                String::new()
            },
            fields,
            tags: Some(if is_vip {
                vec![vip.clone()]
            } else {
                Vec::new()
            }),
            blocked: Some(blocked),
            ..ContactForm::default()
        };
        ids.push(
            contact::create(&app.db, &actor, &member, &form)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}")),
        );
    }
    // A deleted contact matches everything the first one does, and no segment finds it.
    let gone = contact::create(
        &app.db,
        &actor,
        &member,
        &ContactForm {
            name: "Zed Gone".into(),
            email: "zed@example.com".into(),
            fields: vec![("city".into(), "Pune".into())],
            tags: Some(vec![vip.clone()]),
            ..ContactForm::default()
        },
    )
    .await
    .expect("created");
    contact::delete(&app.db, &actor, &member, &gone)
        .await
        .expect("deleted");
    // So does a test-mode contact (an `ak_test_` key's), which no live segment finds.
    let tester = Member {
        test_mode: true,
        ..member.clone()
    };
    contact::create(
        &app.db,
        &actor,
        &tester,
        &ContactForm {
            name: "Tess Test".into(),
            email: "tess@example.com".into(),
            fields: vec![("city".into(), "Pune".into())],
            tags: Some(vec![vip.clone()]),
            ..ContactForm::default()
        },
    )
    .await
    .expect("test-mode contact");
    World {
        app,
        owner,
        ws,
        member,
        vip,
        ids,
    }
}

/// Ages, last messages, opt-outs and a group, written as the pipeline and later modules
/// would.
async fn history(w: &World) {
    let now = msgbuddy_core::db::now_ms();
    let set = |sql: &'static str, ms: i64, i: usize| {
        sqlx::query(sql)
            .bind(ms)
            .bind(w.ids[i].clone())
            .execute(w.app.db.writer())
    };
    for i in [9, 10, 11] {
        set(
            "UPDATE contacts SET created_at = $1 WHERE id = $2",
            now - 40 * DAY_MS,
            i,
        )
        .await
        .expect("aged");
    }
    for (i, ago) in [(0, 2), (1, 2), (2, 100)] {
        set(
            "UPDATE contacts SET last_seen_at = $1 WHERE id = $2",
            now - ago * DAY_MS,
            i,
        )
        .await
        .expect("wrote");
    }
    let mut tx = w.app.db.begin_write().await.expect("write");
    for (i, kind) in [
        (0, ChannelKind::Whatsapp),
        (3, ChannelKind::Sms),
        (8, ChannelKind::Email),
    ] {
        opt_outs::opt_out(&mut tx, &w.ids[i], kind, "Asked", Source::Member)
            .await
            .expect("opted out");
    }
    tx.commit().await.expect("commit");
    sqlx::query("INSERT INTO contact_groups (id, workspace_id, name, created_at) VALUES ('grp_seg', $1, 'Stand', $2)")
        .bind(w.ws.clone())
        .bind(now)
        .execute(w.app.db.writer())
        .await
        .expect("group");
    for i in [4, 5] {
        sqlx::query("INSERT INTO contact_group_members (group_id, contact_id, added_at) VALUES ('grp_seg', $1, $2)")
            .bind(w.ids[i].clone())
            .bind(now)
            .execute(w.app.db.writer())
            .await
            .expect("member");
    }
}

#[tokio::test]
async fn segments_count_and_preview_exactly_the_contacts_their_conditions_describe() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let w = world(&db).await;
        history(&w).await;
        let vip = w.vip.as_str();
        let now = msgbuddy_domain::time::iso_utc(msgbuddy_core::db::now_ms());
        let today = now.get(..10).expect("a day");

        // The product's own example, whatever the case typed.
        w.expect_all(
            &[("tag", "has", vip), ("field.city", "eq", "Pune")],
            &[0, 1],
        )
        .await;
        w.expect_all(
            &[("tag", "has", vip), ("field.city", "eq", " pUNE ")],
            &[0, 1],
        )
        .await;
        w.expect(
            &segment(false, &[("tag", "has", vip), ("field.city", "eq", "pune")]),
            &[0, 1, 2, 3, 5, 10, 11],
        )
        .await;
        w.expect_all(&[("tag", "has_not", vip)], &[3, 4, 6, 7, 8, 9, 10])
            .await;
        w.expect_all(&[("field.city", "contains", "PUN")], &[0, 1, 3, 7, 10])
            .await;
        w.expect_all(&[("field.city", "starts_with", "punek")], &[7])
            .await;
        w.expect_all(&[("field.city", "neq", "pune")], &[2, 4, 5, 6, 7, 8, 9, 11])
            .await;
        w.expect_all(
            &[("field.city", "not_contains", "pune")],
            &[2, 4, 5, 6, 8, 9, 11],
        )
        .await;
        w.expect_all(&[("field.city", "is_not_set", "")], &[6, 9])
            .await;
        w.expect_all(
            &[("field.city", "is_set", "")],
            &[0, 1, 2, 3, 4, 5, 7, 8, 10, 11],
        )
        .await;

        // Number ranges; a threshold beyond the field's bounds is a fair question.
        w.expect_all(
            &[("field.age", "gte", "30"), ("field.age", "lt", "50")],
            &[0, 2, 7, 11],
        )
        .await;
        w.expect_all(&[("field.age", "gt", "60")], &[6]).await;
        w.expect_all(&[("field.age", "lte", "19")], &[3, 8]).await;
        w.expect_all(&[("field.age", "eq", "34")], &[0]).await;
        w.expect_all(
            &[("field.age", "neq", "34")],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        )
        .await;
        w.expect_all(&[("field.age", "gt", "500")], &[]).await;
        w.expect_all(&[("field.age", "is_not_set", "")], &[4, 9])
            .await;

        // Whole options of a multi-select, never a part of one.
        w.expect_all(&[("field.interests", "includes", "sport")], &[0, 4, 8, 10])
            .await;
        w.expect_all(&[("field.interests", "includes", "Food")], &[0, 2, 6])
            .await;
        w.expect_all(
            &[("field.interests", "excludes", "Sport")],
            &[1, 2, 3, 5, 6, 7, 9, 11],
        )
        .await;
        w.expect_all(
            &[
                ("field.interests", "includes", "Sport"),
                ("field.interests", "excludes", "music"),
            ],
            &[0, 4, 8],
        )
        .await;
        w.expect_all(
            &[("field.interests", "is_set", "")],
            &[0, 1, 2, 4, 6, 8, 10],
        )
        .await;

        // The contact's own columns and moments.
        w.expect_all(&[("name", "contains", "RAO")], &[0]).await;
        w.expect_all(&[("email", "eq", "ASHA@Example.com")], &[0])
            .await;
        w.expect_all(&[("email", "is_not_set", "")], &[1, 3, 6, 7, 9])
            .await;
        w.expect_all(&[("phone", "eq", "+91 98765 43200")], &[0])
            .await;
        w.expect_all(
            &[("phone", "starts_with", "+9198765432")],
            &[0, 1, 3, 5, 6, 8, 9, 11],
        )
        .await;
        w.expect_all(&[("language", "eq", "PT-br")], &[2]).await;
        w.expect_all(
            &[("created_at", "within_last_days", "7")],
            &[0, 1, 2, 3, 4, 5, 6, 7, 8],
        )
        .await;
        w.expect_all(&[("created_at", "more_than_days_ago", "30")], &[9, 10, 11])
            .await;
        w.expect_all(&[("created_at", "before", today)], &[9, 10, 11])
            .await;
        w.expect_all(&[("created_at", "after", today)], &[]).await;
        w.expect_all(&[("last_inbound_at", "is_set", "")], &[0, 1, 2])
            .await;
        w.expect_all(&[("last_inbound_at", "within_last_days", "7")], &[0, 1])
            .await;
        w.expect_all(&[("last_inbound_at", "more_than_days_ago", "30")], &[2])
            .await;
        w.expect_all(
            &[("last_inbound_at", "is_not_set", "")],
            &[3, 4, 5, 6, 7, 8, 9, 10, 11],
        )
        .await;

        // Opt-outs, blocking, channels and groups.
        w.expect_all(&[("opted_out", "is", "any")], &[0, 3, 8])
            .await;
        w.expect_all(&[("opted_out", "is", "sms")], &[3]).await;
        w.expect_all(
            &[("opted_out", "is_not", "any")],
            &[1, 2, 4, 5, 6, 7, 9, 10, 11],
        )
        .await;
        w.expect_all(
            &[("opted_out", "is_not", "whatsapp")],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        )
        .await;
        w.expect_all(&[("blocked", "is_true", "")], &[5, 8]).await;
        w.expect_all(
            &[("blocked", "is_false", "ignored")],
            &[0, 1, 2, 3, 4, 6, 7, 9, 10, 11],
        )
        .await;
        w.expect_all(&[("channel", "is", "email")], &[0, 2, 4, 5, 8, 10, 11])
            .await;
        w.expect_all(&[("channel", "is", "telegram")], &[3, 7])
            .await;
        w.expect_all(&[("channel", "is", "whatsapp")], &[0, 1, 3, 5, 6, 8, 9, 11])
            .await;
        w.expect_all(
            &[("channel", "is_not", "telegram")],
            &[0, 1, 2, 4, 5, 6, 8, 9, 10, 11],
        )
        .await;
        w.expect_all(&[("group", "in", "grp_seg")], &[4, 5]).await;
        w.expect_all(
            &[("group", "not_in", "grp_seg"), ("blocked", "is_false", "")],
            &[0, 1, 2, 3, 6, 7, 9, 10, 11],
        )
        .await;
        // Everyone, for a segment still without conditions.
        w.expect_all(&[], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
            .await;

        // The newest first, as the list shows them.
        let vips = segment(true, &[("tag", "has", vip)]);
        let all = segments::preview(&w.app.db, &w.member, &vips, 100)
            .await
            .expect("preview");
        let first = segments::preview(&w.app.db, &w.member, &vips, 2)
            .await
            .expect("preview");
        assert_eq!(first, all[..2].to_vec());
        assert!(all.iter().all(|r| r.tags.iter().any(|t| t.id == vip)));
        assert_eq!(
            all.last().map(|r| r.id.clone()),
            Some(w.ids[11].clone()),
            "the oldest last"
        );
    }
}

#[tokio::test]
async fn hostile_text_is_only_ever_a_value_to_look_for() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let w = world(&db).await;
        let contacts = "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1";
        let values = "SELECT COUNT(*) FROM contact_field_values v JOIN contacts c ON c.id = v.contact_id WHERE c.workspace_id = $1";
        let before = (
            count(&w.app, contacts, &[&w.ws]).await,
            count(&w.app, values, &[&w.ws]).await,
        );
        assert_eq!(
            before.0, 14,
            "twelve live contacts, a deleted one and a test-mode one"
        );
        let long = "'; DROP TABLE contacts; --".repeat(4_000);
        let huge = "%".repeat(100_000);
        // O'Brien%_\ is the one city holding quotes, wildcards and a backslash.
        for (value, with_it) in [
            ("'", &[5][..]),
            ("\"", &[][..]),
            ("'; DROP TABLE contacts; --", &[][..]),
            ("%", &[5][..]),
            ("_", &[5][..]),
            ("\\", &[5][..]),
            ("%_\\", &[5][..]),
            ("' OR '1'='1", &[][..]),
            ("O'Brien%_\\", &[5][..]),
            ("o'brien%_\\", &[5][..]),
            ("☃ Ünïcødé", &[][..]),
            ("$1", &[][..]),
            (long.as_str(), &[][..]),
            (huge.as_str(), &[][..]),
        ] {
            w.expect_all(&[("field.city", "contains", value)], with_it)
                .await;
            let equal: &[usize] = if value.eq_ignore_ascii_case("O'Brien%_\\") {
                &[5]
            } else {
                &[]
            };
            w.expect_all(&[("field.city", "eq", value)], equal).await;
            let starts: &[usize] = if value.to_ascii_lowercase().starts_with("o'") {
                &[5]
            } else {
                &[]
            };
            w.expect_all(&[("field.city", "starts_with", value)], starts)
                .await;
            let others: Vec<usize> = (0..12).filter(|i| !with_it.contains(i)).collect();
            w.expect_all(&[("field.city", "not_contains", value)], &others)
                .await;
            for own in ["name", "email", "phone", "language"] {
                w.expect_all(&[(own, "contains", value)], &[]).await;
                w.expect_all(&[(own, "eq", value)], &[]).await;
            }
        }
        // The same values where no text is expected are refused, naming the value.
        for (field, op) in [
            ("field.age", "gt"),
            ("field.interests", "includes"),
            ("tag", "has"),
            ("group", "in"),
            ("channel", "is"),
            ("opted_out", "is"),
            ("created_at", "before"),
            ("last_inbound_at", "within_last_days"),
        ] {
            for value in ["' OR '1'='1", huge.as_str()] {
                assert_eq!(
                    w.refused(&[(field, op, value)]).await,
                    "conditions.0.value",
                    "{field}"
                );
            }
        }
        let after = (
            count(&w.app, contacts, &[&w.ws]).await,
            count(&w.app, values, &[&w.ws]).await,
        );
        assert_eq!(after, before, "every contact and value is still there");
    }
}

#[tokio::test]
async fn conditions_off_the_allow_list_are_refused_by_what_is_wrong() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut w = world(&db).await;
        let vip = w.vip.clone();
        let other_ws = w.owner.create_workspace("Elsewhere").await;
        let other = owner_member(&w.app, &other_ws).await;
        let their_tag = tags::create(&w.app.db, &actor(&other), &other, "vip", "#4f46e5")
            .await
            .expect("tag")
            .id;
        for (conditions, field) in [
            (vec![("field.nope", "eq", "x")], "conditions.0.field"),
            (vec![("telegram_id", "eq", "1")], "conditions.0.field"),
            (
                vec![("name; DROP TABLE contacts; --", "eq", "x")],
                "conditions.0.field",
            ),
            (vec![("", "eq", "x")], "conditions.0.field"),
            (vec![("name", "gt", "a")], "conditions.0.op"),
            (vec![("field.age", "includes", "1")], "conditions.0.op"),
            (vec![("tag", "eq", vip.as_str())], "conditions.0.op"),
            (vec![("created_at", "is_set", "")], "conditions.0.op"),
            (
                vec![("blocked", "is_true", ""), ("field.city", "EQ", "x")],
                "conditions.1.op",
            ),
            (vec![("field.age", "gt", "abc")], "conditions.0.value"),
            (vec![("field.age", "gt", "")], "conditions.0.value"),
            (
                vec![("field.interests", "includes", "Chess")],
                "conditions.0.value",
            ),
            (vec![("tag", "has", "tag_nope")], "conditions.0.value"),
            (
                vec![("tag", "has", their_tag.as_str())],
                "conditions.0.value",
            ),
            (
                vec![("created_at", "within_last_days", "36501")],
                "conditions.0.value",
            ),
            (
                vec![("created_at", "after", "2026-02-30")],
                "conditions.0.value",
            ),
            (vec![("channel", "is", "fax")], "conditions.0.value"),
            (
                vec![("name", "contains", "nul\0here")],
                "conditions.0.value",
            ),
        ] {
            assert_eq!(w.refused(&conditions).await, field, "{conditions:?}");
            let saved = segments::create(
                &w.app.db,
                &actor(&w.member),
                &w.member,
                "Refused",
                true,
                &conditions
                    .iter()
                    .map(|(f, o, v)| cond(f, o, v))
                    .collect::<Vec<_>>(),
            )
            .await
            .expect_err("refused");
            assert_eq!(field_of(saved), field);
        }
        let too_many: Vec<(&str, &str, &str)> =
            (0..21).map(|_| ("blocked", "is_false", "")).collect();
        assert_eq!(w.refused(&too_many).await, "conditions");
        assert_eq!(
            count(&w.app, "SELECT COUNT(*) FROM segments", &[]).await,
            0,
            "nothing refused was kept"
        );
    }
}

#[tokio::test]
async fn saved_segments_are_the_list_s_filter_and_stay_in_their_workspace() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut w = world(&db).await;
        let (db_, member) = (&w.app.db, &w.member);
        let actor = actor(member);
        let vip = w.vip.clone();
        let pune = [cond("tag", "has", &vip), cond("field.city", "eq", "pune")];
        let id = segments::create(db_, &actor, member, "  VIP   in Pune ", true, &pune)
            .await
            .expect("saved");
        for (name, field) in [
            ("vip IN pune", "name"),
            ("", "name"),
            (&"x".repeat(81)[..], "name"),
        ] {
            let e = segments::create(db_, &actor, member, name, true, &pune)
                .await
                .expect_err("refused");
            assert_eq!(field_of(e), field, "{name:.10}");
        }
        let sport = segments::create(
            db_,
            &actor,
            member,
            "Sport fans",
            true,
            &[cond("field.interests", "includes", "Sport")],
        )
        .await
        .expect("saved");
        let saved = segments::list(db_, member).await.expect("list");
        let names: Vec<&str> = saved.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Sport fans", "VIP in Pune"]);
        let got = segments::get(db_, member, &id).await.expect("get");
        assert_eq!(got.conditions, pune.to_vec());
        assert!(got.match_all);
        assert_eq!(segments::count(db_, member, &got).await.expect("count"), 2);

        // The list filtered by the segment shows what its preview shows.
        let filter = ContactFilter {
            segment: id.clone(),
            ..ContactFilter::default()
        };
        let page = list::page(db_, member, &filter, None).await.expect("page");
        let preview = segments::preview(db_, member, &got, 100)
            .await
            .expect("preview");
        assert_eq!(page.rows, preview);
        assert_eq!(page.total, 2);
        let narrowed = ContactFilter {
            q: "asha".into(),
            ..filter.clone()
        };
        let page = list::page(db_, member, &narrowed, None)
            .await
            .expect("page");
        assert_eq!(
            page.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            [w.ids[0].clone()]
        );
        for unknown in ["seg_nope", "' OR '1'='1"] {
            let bad = ContactFilter {
                segment: unknown.into(),
                ..ContactFilter::default()
            };
            let e = list::page(db_, member, &bad, None)
                .await
                .expect_err("unknown");
            assert_eq!(field_of(e), "segment");
        }

        // Changed: renamed, any-of, and refused a name another segment has.
        let anywhere = [cond("tag", "has", &vip)];
        segments::update(db_, &actor, member, &id, "VIP anywhere", false, &anywhere)
            .await
            .expect("updated");
        let got = segments::get(db_, member, &id).await.expect("get");
        assert_eq!((got.name.as_str(), got.match_all), ("VIP anywhere", false));
        assert_eq!(segments::count(db_, member, &got).await.expect("count"), 5);
        let page = list::page(db_, member, &filter, None).await.expect("page");
        assert_eq!(page.total, 5);
        let e = segments::update(db_, &actor, member, &id, "SPORT FANS", true, &anywhere)
            .await
            .expect_err("taken");
        assert_eq!(field_of(e), "name");
        // Keeping its own name in another case is no clash.
        segments::update(db_, &actor, member, &id, "vip ANYWHERE", false, &anywhere)
            .await
            .expect("updated");
        segments::delete(db_, &actor, member, &sport)
            .await
            .expect("deleted");
        assert_eq!(segments::list(db_, member).await.expect("list").len(), 1);
        let gone = segments::get(db_, member, &sport).await.expect_err("gone");
        assert_eq!(app_error(gone).code, ErrorCode::NotFound);
        let audited = sqlx::query(
            "SELECT action FROM audit_log WHERE workspace_id = $1 AND target_type = 'segment' ORDER BY created_at, id",
        )
        .bind(w.ws.clone())
        .fetch_all(db_.reader())
        .await
        .expect("audit");
        let actions: Vec<String> = audited
            .iter()
            .map(|r| r.try_get(0).expect("action"))
            .collect();
        assert_eq!(
            actions,
            [
                "segment.create",
                "segment.create",
                "segment.update",
                "segment.update",
                "segment.delete"
            ]
        );

        // A field deleted since stops the segment with a clear error, not a panic.
        let tier = definitions::create(
            db_,
            &actor,
            member,
            FieldScope::Contact,
            &DefinitionInput {
                options: "Gold\nSilver".into(),
                ..def("tier", "select")
            },
        )
        .await
        .expect("field");
        let gold = segments::create(
            db_,
            &actor,
            member,
            "Gold",
            true,
            &[cond("field.tier", "eq", "gold")],
        )
        .await
        .expect("saved");
        definitions::delete(db_, &actor, member, &tier)
            .await
            .expect("deleted");
        let stale = segments::get(db_, member, &gold)
            .await
            .expect("still listed");
        let e = segments::count(db_, member, &stale)
            .await
            .expect_err("stale");
        assert_eq!(field_of(e), "conditions.0.field");
        let by_gold = ContactFilter {
            segment: gold.clone(),
            ..ContactFilter::default()
        };
        let e = app_error(
            list::page(db_, member, &by_gold, None)
                .await
                .expect_err("stale"),
        );
        assert_eq!(e.field(), Some("segment"));
        assert!(e.message.contains("Gold"), "{}", e.message);
        let summaries = segments::summaries(db_, member).await.expect("summaries");
        let problem = summaries
            .iter()
            .find(|s| s.id == gold)
            .and_then(|s| s.problem.clone());
        assert!(problem.is_some_and(|p| p.contains("field")));
        assert!(
            summaries
                .iter()
                .any(|s| s.id == id && s.problem.is_none() && s.conditions_count == 1)
        );

        // Another workspace neither sees nor uses them.
        let other_ws = w.owner.create_workspace("Elsewhere").await;
        let other = owner_member(&w.app, &other_ws).await;
        let e = segments::get(db_, &other, &id)
            .await
            .expect_err("not theirs");
        assert_eq!(app_error(e).code, ErrorCode::NotFound);
        let theirs = ContactFilter {
            segment: id.clone(),
            ..ContactFilter::default()
        };
        let e = list::page(db_, &other, &theirs, None)
            .await
            .expect_err("not theirs");
        assert_eq!(field_of(e), "segment");
        let e = segments::update(db_, &actor, &other, &id, "Mine now", true, &[])
            .await
            .expect_err("not theirs");
        assert_eq!(app_error(e).code, ErrorCode::NotFound);
        let e = segments::delete(db_, &actor, &other, &id)
            .await
            .expect_err("not theirs");
        assert_eq!(app_error(e).code, ErrorCode::NotFound);
        assert!(segments::list(db_, &other).await.expect("list").is_empty());
        // Their copy of the name is theirs to use.
        segments::create(db_, &actor, &other, "VIP anywhere", true, &[])
            .await
            .expect("their own");
        assert_eq!(
            segments::get(db_, member, &id).await.expect("kept").name,
            "vip ANYWHERE"
        );
    }
}

/// The segment's count is the number of contacts its preview lists (fewer than 100 here).
async fn agrees(w: &World, match_all: bool, conditions: &[(&str, &str, &str)]) {
    let s = segment(match_all, conditions);
    let n = segments::count(&w.app.db, &w.member, &s)
        .await
        .unwrap_or_else(|e| panic!("{conditions:?}: {e}"));
    let listed = segments::preview(&w.app.db, &w.member, &s, 100)
        .await
        .expect("preview")
        .len();
    assert_eq!(n, i64::try_from(listed).expect("small"), "{conditions:?}");
}

async fn all_agree(w: &World, conditions: &[&[(&str, &str, &str)]]) {
    agrees(w, true, &[]).await;
    for c in conditions {
        agrees(w, true, c).await;
    }
}

/// Segments are counted from set sizes the database's triggers keep (each test's
/// database is checked against its sets when dropped, in `helpers`): counts stay those of
/// the preview through opt-ins, deletions, tags, groups and fields deleted, contacts
/// purged, and the sizes' folding.
#[tokio::test]
async fn counts_from_set_sizes_follow_deletions_purges_and_folding() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let w = world(&db).await;
        history(&w).await;
        let actor = actor(&w.member);
        let vip = w.vip.clone();
        let (pune, old, sms) = (
            ("field.city", "eq", "Pune"),
            ("field.age", "gt", "30"),
            ("opted_out", "is", "sms"),
        );
        let lasting: &[&[(&str, &str, &str)]] = &[
            &[pune],
            &[("field.city", "neq", "Pune")],
            &[sms],
            &[("opted_out", "is_not", "whatsapp")],
            &[("created_at", "within_last_days", "30")],
            &[("created_at", "more_than_days_ago", "30")],
            &[("created_at", "after", "2020-01-01")],
            &[pune, sms],
        ];
        let vip_too: &[&[(&str, &str, &str)]] = &[
            &[("tag", "has", &vip)],
            &[("tag", "has_not", &vip)],
            &[("group", "in", "grp_seg")],
            &[old],
            &[("tag", "has", &vip), pune, old],
        ];
        all_agree(&w, lasting).await;
        all_agree(&w, vip_too).await;
        agrees(&w, false, &[("tag", "has", &vip), pune]).await;
        agrees(&w, false, &[("tag", "has", &vip), old, sms]).await;

        let mut conn = w.app.db.writer().acquire().await.expect("conn");
        assert!(
            opt_outs::opt_in(&mut conn, &w.ids[3], ChannelKind::Sms)
                .await
                .expect("opted in")
        );
        drop(conn);
        contact::delete(&w.app.db, &actor, &w.member, &w.ids[0])
            .await
            .expect("deleted");
        all_agree(&w, lasting).await;
        all_agree(&w, vip_too).await;

        msgbuddy_contacts::set_sizes::compact(&w.app.db)
            .await
            .expect("folded");
        let rows = count(&w.app, "SELECT COUNT(*) FROM contact_set_sizes", &[]).await;
        let values = count(
            &w.app,
            "SELECT COUNT(*) FROM (SELECT DISTINCT set_id, value_text, value_number FROM contact_set_sizes) s",
            &[],
        )
        .await;
        assert_eq!(rows, values, "one row per value once folded");
        all_agree(&w, lasting).await;

        let age: String =
            sqlx::query("SELECT id FROM custom_fields WHERE workspace_id = $1 AND key = 'age'")
                .bind(w.ws.clone())
                .fetch_one(w.app.db.reader())
                .await
                .expect("age")
                .get(0);
        definitions::delete(&w.app.db, &actor, &w.member, &age)
            .await
            .expect("field deleted");
        tags::delete(&w.app.db, &actor, &w.member, &vip)
            .await
            .expect("tag deleted");
        msgbuddy_contacts::groups::delete(&w.app.db, &actor, &w.member, "grp_seg")
            .await
            .expect("group deleted");
        let later = msgbuddy_core::db::now_ms() + 365 * DAY_MS;
        assert_eq!(contact::purge(&w.app.db, later).await.expect("purged"), 2);
        all_agree(&w, lasting).await;
        msgbuddy_contacts::set_sizes::compact(&w.app.db)
            .await
            .expect("folded");
        all_agree(&w, lasting).await;
    }
}

/// The list filters on one contact field's value as the segment's condition does (the
/// list's rows are the preview's), and refuses what it cannot read by `field` or `value`.
#[tokio::test]
async fn the_list_filters_on_a_field_s_value_as_a_segment_would() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut w = world(&db).await;
        let (db_, member) = (&w.app.db, &w.member);
        let by = |field: &str, value: &str| ContactFilter {
            field: field.into(),
            value: value.into(),
            ..ContactFilter::default()
        };
        for (field, value, op) in [
            ("city", "PUNE", "eq"),
            ("age", "34", "eq"),
            ("interests", "music", "includes"),
            ("city", "", "is_set"),
            ("interests", "", "is_set"),
            ("city", "Robert'); DROP TABLE contacts; --", "eq"),
            ("city", "%", "eq"),
        ] {
            let page = list::page(db_, member, &by(field, value), None)
                .await
                .unwrap_or_else(|e| panic!("{field} {value}: {e}"));
            let key = format!("field.{field}");
            let s = segment(true, &[(key.as_str(), op, value)]);
            let preview = segments::preview(db_, member, &s, 100)
                .await
                .expect("preview");
            assert_eq!(page.rows, preview, "{field} {value:?}");
            assert_eq!(
                page.total,
                i64::try_from(preview.len()).expect("small"),
                "{field} {value:?}"
            );
            if op != "eq" || !value.contains(['%', ';']) {
                assert!(page.total > 0, "{field} {value:?} finds someone");
            }
        }
        let pune = list::page(db_, member, &by("city", "pune"), None)
            .await
            .expect("page");
        let names: BTreeSet<&str> = pune.rows.iter().map(|r| r.name.as_str()).collect();
        assert!(
            names.contains("Asha Rao") && names.contains("Bilal Khan"),
            "{names:?}"
        );
        assert!(
            !names.contains("Zed Gone") && !names.contains("Tess Test"),
            "the deleted and test-mode contacts are left out: {names:?}"
        );
        for (filter, field) in [
            (by("nope", "x"), "field"),
            (by("' OR 1=1 --", ""), "field"),
            (by("", "Pune"), "field"),
            (by("age", "old"), "value"),
            (by("interests", "Chess"), "value"),
        ] {
            let e = list::page(db_, member, &filter, None)
                .await
                .expect_err("refused");
            assert_eq!(field_of(e), field, "{filter:?}");
        }
        // The page reads the filter from its address and offers the fields.
        let (status, html) = w
            .owner
            .page(&format!("/w/{}/contacts?field=city&value=Pune", w.ws))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("{} contacts", pune.total)), "{html}");
        assert!(html.contains(r#"data-testid="filter-field""#));
        assert!(html.contains(r#"value="Pune""#), "{html}");
    }
}
