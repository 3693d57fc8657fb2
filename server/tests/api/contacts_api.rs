//! The contacts part of the partner API: contacts made, read, changed, listed and deleted
//! in the key's mode; tags, segments and groups; bulk imports; and the OpenAPI document
//! describing all of it.

use crate::helpers::{Browser, TestApp, TestDb, backends, count, owner_with_workspace};
use msgbuddy_contacts::definitions;
use msgbuddy_contacts::fields::DefinitionInput;
use msgbuddy_contacts::import;
use msgbuddy_core::Actor;
use msgbuddy_domain::Permission;
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_messaging::api_keys::{self, Mode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A key of `mode` made by the workspace's owner.
async fn key(app: &TestApp, owner: &mut Browser, ws: &str, mode: Mode) -> Api {
    let user = owner.user_id().await;
    let member = msgbuddy_core::workspaces::access(&app.db, &user, ws, Permission::WorkspaceView)
        .await
        .expect("member");
    let actor = Actor {
        user_id: user,
        ip: None,
    };
    let secret = api_keys::create(&app.messaging, &member, &actor, "Partner", mode, None)
        .await
        .expect("key")
        .secret;
    Api {
        base: app.base.clone(),
        key: secret,
    }
}

struct Api {
    base: String,
    key: String,
}

impl Api {
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        if let Some(k) = idempotency {
            req = req.header("Idempotency-Key", k);
        }
        let res = req.send().await.expect("request");
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.json().await.unwrap_or_default())
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, value) = self.send(method, path, body.as_ref(), None).await;
        (status, value)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
}

/// The validation error's field.
fn field(body: &Value) -> &str {
    assert_eq!(body["error"]["code"], "validation", "{body}");
    body["error"]["details"]["field"]
        .as_str()
        .unwrap_or_default()
}

/// A workspace with three custom fields and two tags, and an owner's live and test keys.
async fn world(app: &TestApp) -> (Browser, String, Api, Api) {
    let (mut owner, ws) = owner_with_workspace(app, "Audience").await;
    let user = owner.user_id().await;
    let member = msgbuddy_core::workspaces::access(&app.db, &user, &ws, Permission::SettingsEdit)
        .await
        .expect("member");
    let actor = Actor {
        user_id: user,
        ip: None,
    };
    for (key, kind, options) in [
        ("city", "text", ""),
        ("age", "number", ""),
        ("interests", "multi_select", "Music\nSport\nBooks"),
    ] {
        definitions::create(
            &app.db,
            &actor,
            &member,
            FieldScope::Contact,
            &DefinitionInput {
                key: key.into(),
                label: key.into(),
                kind: kind.into(),
                options: options.into(),
                ..DefinitionInput::default()
            },
        )
        .await
        .expect("field");
    }
    for name in ["vip", "wholesale"] {
        msgbuddy_contacts::tags::create(&app.db, &actor, &member, name, "#4f46e5")
            .await
            .expect("tag");
    }
    let live = key(app, &mut owner, &ws, Mode::Live).await;
    let test = key(app, &mut owner, &ws, Mode::Test).await;
    (owner, ws, live, test)
}

#[tokio::test]
async fn contacts_are_made_read_changed_listed_and_deleted_in_the_key_s_mode() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_owner, ws, live, test) = world(&app).await;
        let contacts = |ws: String| {
            let app = &app;
            async move {
                count(
                    app,
                    "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1",
                    &[&ws],
                )
                .await
            }
        };

        let asha = json!({
            "name": "Asha Rao", "phone": "+91 98765 43210", "email": "asha@example.com",
            "tags": ["VIP"], "fields": { "city": "Pune", "age": 31, "interests": ["Music", "Books"] }
        });
        let (status, headers, made) = live
            .send(
                Method::POST,
                "/api/v1/contacts",
                Some(&asha),
                Some("asha-1"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert!(headers.contains_key("ratelimit-remaining"));
        let id = made["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("ct_"));
        assert_eq!(made["phone"], "+919876543210", "stored as E.164");
        assert_eq!(made["tags"], json!(["vip"]));
        assert_eq!(made["fields"]["city"], "Pune");
        assert_eq!(made["fields"]["age"], json!(31.0));
        assert_eq!(made["fields"]["interests"], json!(["Music", "Books"]));
        assert_eq!(made["test"], false);
        assert!(
            made["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        // The same call again is answered from the first; nothing new is made.
        let (status, headers, again) = live
            .send(
                Method::POST,
                "/api/v1/contacts",
                Some(&asha),
                Some("asha-1"),
            )
            .await;
        assert_eq!((status, &again["id"]), (StatusCode::CREATED, &made["id"]));
        assert_eq!(headers["idempotent-replayed"], "true");
        assert_eq!(contacts(ws.clone()).await, 1);

        // Every bad input is refused by what is wrong, and changes nothing.
        for (body, expected) in [
            (json!({ "phone": "+14155550100" }), "name"),
            (json!({ "name": "  " }), "name"),
            (json!({ "name": "X", "phone": "12" }), "phone"),
            (json!({ "name": "X", "email": "not an email" }), "email"),
            (json!({ "name": "X", "phone": "+91 98765 43210" }), "phone"),
            (
                json!({ "name": "X", "fields": { "age": "old" } }),
                "field.age",
            ),
            (
                json!({ "name": "X", "fields": { "interests": ["Opera"] } }),
                "field.interests",
            ),
            (
                json!({ "name": "X", "fields": { "nope": 1 } }),
                "field.nope",
            ),
            (json!({ "name": "X", "tags": ["platinum"] }), "tags"),
            (json!({ "name": "X", "opted_out": ["pigeon"] }), "opted_out"),
        ] {
            let (status, refused) = live
                .call(Method::POST, "/api/v1/contacts", Some(body.clone()))
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {refused}"
            );
            assert_eq!(field(&refused), expected, "{body}");
        }
        let (status, refused) = live
            .call(
                Method::POST,
                "/api/v1/contacts",
                Some(json!({ "name": "X", "nickname": "x" })),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown members: {refused}"
        );
        assert!(
            refused["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("nickname"))
        );
        assert_eq!(contacts(ws.clone()).await, 1, "nothing refused was kept");

        let (status, read) = live.get(&format!("/api/v1/contacts/{id}")).await;
        assert_eq!((status, &read), (StatusCode::OK, &made));

        // A change touches only what it names; "" clears a detail and null a field.
        let (status, changed) = live
            .call(
                Method::PATCH,
                &format!("/api/v1/contacts/{id}"),
                Some(json!({ "email": "", "fields": { "city": null, "age": 32 }, "opted_out": ["sms"] })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["email"], Value::Null);
        assert_eq!(changed["name"], "Asha Rao");
        assert_eq!(changed["phone"], "+919876543210");
        assert_eq!(changed["tags"], json!(["vip"]));
        assert_eq!(
            changed["fields"],
            json!({ "age": 32.0, "interests": ["Music", "Books"] })
        );
        assert_eq!(changed["opted_out"], json!(["sms"]));
        let (status, refused) = live
            .call(
                Method::PATCH,
                &format!("/api/v1/contacts/{id}"),
                Some(json!({ "fields": { "age": true } })),
            )
            .await;
        assert_eq!(
            (status, field(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "field.age")
        );
        assert_eq!(
            live.get(&format!("/api/v1/contacts/{id}")).await.1["fields"]["age"],
            json!(32.0)
        );

        let (status, ben) = live
            .call(
                Method::POST,
                "/api/v1/contacts",
                Some(json!({ "name": "Ben Okafor", "email": "ben@example.com" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        for (query, expected) in [
            ("", vec!["Ben Okafor", "Asha Rao"]),
            ("?sort=name", vec!["Asha Rao", "Ben Okafor"]),
            ("?tag=vip", vec!["Asha Rao"]),
            ("?q=okafor", vec!["Ben Okafor"]),
            ("?opted_out=true", vec!["Asha Rao"]),
            ("?opted_out=false", vec!["Ben Okafor"]),
            ("?channel=whatsapp", vec!["Asha Rao"]),
            ("?q=%27%3B%20DROP%20TABLE%20contacts%3B%20--", vec![]),
        ] {
            let (status, page) = live.get(&format!("/api/v1/contacts{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {page}");
            let names: Vec<&str> = page["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|c| c["name"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(names, expected, "{query}");
            assert_eq!(page["total"], json!(expected.len()), "{query}");
        }
        for (query, expected) in [
            ("?tag=platinum", "tag"),
            ("?channel=pigeon", "channel"),
            ("?segment=seg_nope", "segment"),
        ] {
            let (status, refused) = live.get(&format!("/api/v1/contacts{query}")).await;
            assert_eq!(
                (status, field(&refused)),
                (StatusCode::UNPROCESSABLE_ENTITY, expected),
                "{query}"
            );
        }
        let (status, _) = live.get("/api/v1/contacts?blocked=maybe").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // A test key sees none of it, and keeps its own contacts (the same phone too).
        assert_eq!(
            test.get(&format!("/api/v1/contacts/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(test.get("/api/v1/contacts").await.1["total"], 0);
        let (status, twin) = test
            .call(
                Method::POST,
                "/api/v1/contacts",
                Some(json!({ "name": "Asha (test)", "phone": "+919876543210" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{twin}");
        assert_eq!(twin["test"], true);
        let twin_id = twin["id"].as_str().expect("id");
        assert_eq!(
            live.get(&format!("/api/v1/contacts/{twin_id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(live.get("/api/v1/contacts").await.1["total"], 2);
        assert_eq!(
            test.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), None)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            test.call(
                Method::PATCH,
                &format!("/api/v1/contacts/{id}"),
                Some(json!({ "name": "Hijacked" }))
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );

        // Deleting hides the contact at once; the audit trail names the key's maker.
        let ben_id = ben["id"].as_str().expect("id");
        let (status, _) = live
            .call(Method::DELETE, &format!("/api/v1/contacts/{ben_id}"), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            live.get(&format!("/api/v1/contacts/{ben_id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            live.call(Method::DELETE, &format!("/api/v1/contacts/{ben_id}"), None)
                .await
                .0,
            StatusCode::CONFLICT
        );
        assert_eq!(live.get("/api/v1/contacts").await.1["total"], 1);
        let audited = count(
            &app,
            "SELECT COUNT(*) FROM audit_log a JOIN memberships m ON m.user_id = a.actor_user_id AND m.workspace_id = a.workspace_id \
             WHERE a.workspace_id = $1 AND a.action IN ('contact.create', 'contact.update', 'contact.delete') AND m.role = 'owner'",
            &[&ws],
        )
        .await;
        assert_eq!(
            audited, 5,
            "two made live, one changed, one deleted, one made in test mode"
        );

        // Another workspace's key finds nothing of this one.
        let (mut other, other_ws) = owner_with_workspace_named(&app, "Elsewhere").await;
        let stranger = key(&app, &mut other, &other_ws, Mode::Live).await;
        assert_eq!(
            stranger.get(&format!("/api/v1/contacts/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(stranger.get("/api/v1/contacts").await.1["total"], 0);
    }
}

/// A second owner with a workspace of their own.
async fn owner_with_workspace_named(app: &TestApp, name: &str) -> (Browser, String) {
    let mut browser = app.browser();
    browser
        .sign_up(
            "Other",
            &crate::helpers::unique_email("other"),
            "password-123",
        )
        .await
        .expect("sign up");
    let ws = browser.create_workspace(name).await;
    (browser, ws)
}

#[tokio::test]
async fn tags_segments_and_groups_over_the_api() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_owner, _ws, live, test) = world(&app).await;
        let mut ids = Vec::new();
        for (name, phone, city, tags) in [
            ("Asha", "+919876543210", "Pune", vec!["vip"]),
            ("Ben", "+14155550101", "Pune", vec![]),
            ("Chen", "+14155550102", "Delhi", vec!["vip"]),
            ("Dia", "+14155550103", "Pune", vec!["vip", "wholesale"]),
        ] {
            let (status, made) = live
                .call(Method::POST, "/api/v1/contacts", Some(json!({ "name": name, "phone": phone, "tags": tags, "fields": { "city": city } })))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{made}");
            ids.push(made["id"].as_str().expect("id").to_owned());
        }
        let (_, tags) = live.get("/api/v1/tags").await;
        assert_eq!(tags.as_array().map(Vec::len), Some(2));
        assert_eq!(tags[0]["name"], "vip");

        // Tagging one contact.
        let ben = &ids[1];
        let (status, _) = live
            .call(
                Method::POST,
                &format!("/api/v1/contacts/{ben}/tags"),
                Some(json!({ "tag": "wholesale" })),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            live.get(&format!("/api/v1/contacts/{ben}")).await.1["tags"],
            json!(["wholesale"])
        );
        let (status, _) = live
            .call(
                Method::DELETE,
                &format!("/api/v1/contacts/{ben}/tags/wholesale"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            live.get(&format!("/api/v1/contacts/{ben}")).await.1["tags"],
            json!([])
        );
        let (status, refused) = live
            .call(
                Method::POST,
                &format!("/api/v1/contacts/{ben}/tags"),
                Some(json!({ "tag": "platinum" })),
            )
            .await;
        assert_eq!(
            (status, field(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "tag")
        );
        assert_eq!(
            test.call(
                Method::POST,
                &format!("/api/v1/contacts/{ben}/tags"),
                Some(json!({ "tag": "vip" }))
            )
            .await
            .0,
            StatusCode::NOT_FOUND,
            "a test key cannot tag a live contact"
        );

        // Segments: saved, counted, listed by the contact list, refused off the allow-list.
        let vip_in_pune = json!({
            "name": "VIP in Pune",
            "conditions": [
                { "field": "tag", "op": "has", "value": "VIP" },
                { "field": "field.city", "op": "eq", "value": "pune" }
            ]
        });
        let (status, saved) = live
            .call(Method::POST, "/api/v1/segments", Some(vip_in_pune.clone()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        assert_eq!(saved["count"], 2);
        assert_eq!(saved["match"], "all");
        let seg = saved["id"].as_str().expect("id").to_owned();
        assert_eq!(
            live.get(&format!("/api/v1/segments/{seg}")).await.1["count"],
            2
        );
        let (_, members) = live
            .get(&format!("/api/v1/contacts?segment={seg}&sort=name"))
            .await;
        let names: Vec<&str> = members["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|c| c["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["Asha", "Dia"]);
        assert_eq!(
            test.get(&format!("/api/v1/segments/{seg}")).await.1["count"],
            0,
            "test mode has its own contacts"
        );
        let (_, listed) = live.get("/api/v1/segments").await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        let (status, _) = live
            .call(Method::POST, "/api/v1/segments", Some(vip_in_pune))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the name is taken"
        );
        for (condition, expected) in [
            (
                json!({ "field": "tag", "op": "drop", "value": "vip" }),
                "conditions.0.op",
            ),
            (
                json!({ "field": "password_hash", "op": "eq", "value": "x" }),
                "conditions.0.field",
            ),
            (
                json!({ "field": "field.age", "op": "gt", "value": "1; DROP TABLE contacts" }),
                "conditions.0.value",
            ),
        ] {
            let (status, refused) = live
                .call(
                    Method::POST,
                    "/api/v1/segments",
                    Some(json!({ "name": "Bad", "conditions": [condition] })),
                )
                .await;
            assert_eq!(
                (status, field(&refused)),
                (StatusCode::UNPROCESSABLE_ENTITY, expected),
                "{refused}"
            );
        }
        let any = json!({ "name": "Delhi or wholesale", "match": "any", "conditions": [
            { "field": "field.city", "op": "eq", "value": "Delhi" },
            { "field": "tag", "op": "has", "value": "wholesale" }
        ] });
        let (status, saved_any) = live.call(Method::POST, "/api/v1/segments", Some(any)).await;
        assert_eq!(
            (status, &saved_any["count"]),
            (StatusCode::CREATED, &json!(2)),
            "{saved_any}"
        );
        let (status, _) = live
            .call(Method::DELETE, &format!("/api/v1/segments/{seg}"), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            live.get(&format!("/api/v1/segments/{seg}")).await.0,
            StatusCode::NOT_FOUND
        );

        // Groups: made, filled by id (other modes' and unknown ids change nothing), listed.
        let (_, test_contact) = test
            .call(
                Method::POST,
                "/api/v1/contacts",
                Some(json!({ "name": "Test" })),
            )
            .await;
        let (status, group) = live
            .call(
                Method::POST,
                "/api/v1/groups",
                Some(json!({ "name": "Launch guests" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{group}");
        let grp = group["id"].as_str().expect("id").to_owned();
        let (status, added) = live
            .call(
                Method::POST,
                &format!("/api/v1/groups/{grp}/contacts"),
                Some(json!({ "contact_ids": [ids[0], ids[1], ids[1], test_contact["id"], "ct_nope"] })),
            )
            .await;
        assert_eq!(
            (status, &added["changed"]),
            (StatusCode::OK, &json!(2)),
            "{added}"
        );
        assert_eq!(
            live.get(&format!("/api/v1/groups/{grp}")).await.1["contacts"],
            2
        );
        assert_eq!(
            live.get(&format!("/api/v1/contacts?group={grp}")).await.1["total"],
            2
        );
        let (_, removed) = live
            .call(
                Method::POST,
                &format!("/api/v1/groups/{grp}/contacts/remove"),
                Some(json!({ "contact_ids": [ids[1]] })),
            )
            .await;
        assert_eq!(removed["changed"], 1);
        let in_group = json!({ "name": "Guests", "conditions": [{ "field": "group", "op": "in", "value": "launch guests" }] });
        let (_, guests) = live
            .call(Method::POST, "/api/v1/segments", Some(in_group))
            .await;
        assert_eq!(guests["count"], 1, "{guests}");
        let (status, refused) = live
            .call(
                Method::POST,
                "/api/v1/groups",
                Some(json!({ "name": "LAUNCH GUESTS" })),
            )
            .await;
        assert_eq!(
            (status, field(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "name")
        );
        let too_many: Vec<String> = (0..1001).map(|i| format!("ct_{i}")).collect();
        let (status, refused) = live
            .call(
                Method::POST,
                &format!("/api/v1/groups/{grp}/contacts"),
                Some(json!({ "contact_ids": too_many })),
            )
            .await;
        assert_eq!(
            (status, field(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "contact_ids")
        );
        assert_eq!(live.get("/api/v1/groups").await.1[0]["contacts"], 1);
        assert_eq!(test.get("/api/v1/groups").await.1[0]["contacts"], 0);
        let (status, _) = live
            .call(Method::DELETE, &format!("/api/v1/groups/{grp}"), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            live.get(&format!("/api/v1/groups/{grp}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            live.get(&format!("/api/v1/contacts/{}", ids[0])).await.0,
            StatusCode::OK,
            "its contacts stay"
        );
    }
}

#[tokio::test]
async fn imports_run_in_the_key_s_mode_and_report_their_refused_rows() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_owner, ws, live, test) = world(&app).await;
        let csv = "name,phone,city,tags\nAna,+14155550100,Pune,vip\nBad phone,12,Pune,\nCarlos,+14155550102,Delhi,\"vip,new\"\n";
        let post = |api: &Api, query: &str| {
            let (base, key, query) = (api.base.clone(), api.key.clone(), query.to_owned());
            async move {
                let res = reqwest::Client::new()
                    .post(format!("{base}/api/v1/contacts/import{query}"))
                    .bearer_auth(key)
                    .header("content-type", "text/csv")
                    .body(csv)
                    .send()
                    .await
                    .expect("request");
                (res.status(), res.json::<Value>().await.unwrap_or_default())
            }
        };
        let (status, queued) = post(&test, "?file_name=partners.csv").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
        assert_eq!(queued["status"], "queued");
        assert_eq!(
            queued["mapping"],
            json!(["name", "phone", "field.city", "tags"])
        );
        let id = queued["id"].as_str().expect("id").to_owned();
        while import::work_once(&app.db, &app.bus, "test-worker", 2_000)
            .await
            .expect("work")
        {}
        let (_, done) = test.get(&format!("/api/v1/contacts/imports/{id}")).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(
            (done["created_rows"].as_i64(), done["error_rows"].as_i64()),
            (Some(2), Some(1))
        );
        let (_, made) = test.get("/api/v1/contacts?sort=name").await;
        assert_eq!(made["total"], 2);
        assert!(
            made["data"]
                .as_array()
                .expect("data")
                .iter()
                .all(|c| c["test"] == true)
        );
        assert_eq!(made["data"][1]["tags"], json!(["new", "vip"]));
        assert_eq!(
            live.get("/api/v1/contacts").await.1["total"],
            0,
            "a test import writes test contacts only"
        );
        assert_eq!(
            live.get(&format!("/api/v1/contacts/imports/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        let report = reqwest::Client::new()
            .get(format!("{}/api/v1/contacts/imports/{id}/errors", test.base))
            .bearer_auth(&test.key)
            .send()
            .await
            .expect("report");
        assert_eq!(report.status(), StatusCode::OK);
        assert!(
            report.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/csv"))
        );
        let text = report.text().await.expect("text");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[1].starts_with("3,"), "the file's line: {text}");

        // The live import of the same file finds none of the test contacts as duplicates.
        let (status, queued) = post(&live, "?on_duplicate=skip").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
        while import::work_once(&app.db, &app.bus, "test-worker", 2_000)
            .await
            .expect("work")
        {}
        let (_, done) = live
            .get(&format!(
                "/api/v1/contacts/imports/{}",
                queued["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(
            (done["created_rows"].as_i64(), done["skipped_rows"].as_i64()),
            (Some(2), Some(0)),
            "{done}"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1",
                &[&ws]
            )
            .await,
            4
        );

        // Bad requests are refused and store nothing.
        let before = imports_of(&app, &ws).await;
        let (status, refused) = post(&live, "?on_duplicate=merge").await;
        assert_eq!(
            (status, field(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "on_duplicate")
        );
        let (status, _) = post(&live, "?dry_run=perhaps").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(imports_of(&app, &ws).await, before);
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/contacts/import", live.base))
            .bearer_auth(&live.key)
            .body("\u{0}\u{1}binary")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/contacts/import", live.base))
            .bearer_auth(&live.key)
            .header("content-length", (60 * 1024 * 1024).to_string())
            .body("x")
            .send()
            .await;
        if let Ok(res) = res {
            assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        }
        let (status, _) = live.get("/api/v1/contacts/imports/imp_nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

async fn imports_of(app: &TestApp, ws: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM contact_imports WHERE workspace_id = $1",
        &[ws],
    )
    .await
}

#[tokio::test]
async fn the_openapi_document_describes_the_contacts_api() {
    let db = TestDb::new(backends()[0]).await;
    let app = TestApp::spawn(&db, &[]).await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/api/v1/contacts", &["get", "post"][..]),
        ("/api/v1/contacts/{id}", &["get", "patch", "delete"][..]),
        ("/api/v1/contacts/import", &["post"][..]),
        ("/api/v1/contacts/imports/{id}", &["get"][..]),
        ("/api/v1/contacts/imports/{id}/errors", &["get"][..]),
        ("/api/v1/contacts/{id}/tags", &["post"][..]),
        ("/api/v1/contacts/{id}/tags/{tag}", &["delete"][..]),
        ("/api/v1/tags", &["get"][..]),
        ("/api/v1/segments", &["get", "post"][..]),
        ("/api/v1/segments/{id}", &["get", "delete"][..]),
        ("/api/v1/groups", &["get", "post"][..]),
        ("/api/v1/groups/{id}", &["get", "delete"][..]),
        ("/api/v1/groups/{id}/contacts", &["post"][..]),
        ("/api/v1/groups/{id}/contacts/remove", &["post"][..]),
    ] {
        for m in methods {
            assert!(paths[path][m].is_object(), "{m} {path}");
            assert!(paths[path][m]["responses"]["401"].is_object(), "{m} {path}");
        }
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ApiContact"]["properties"]["fields"].is_object());
    assert!(schemas["ContactInput"]["properties"]["tags"].is_object());
    assert!(schemas["ApiSegment"]["properties"]["match"].is_object());
    let list_params: Vec<&str> = paths["/api/v1/contacts"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for p in [
        "q",
        "tag",
        "segment",
        "group",
        "channel",
        "opted_out",
        "blocked",
        "sort",
        "cursor",
    ] {
        assert!(list_params.contains(&p), "{p}: {list_params:?}");
    }
}
