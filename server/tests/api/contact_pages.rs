//! The contacts pages and their server functions: fields and tags in Settings, a contact
//! saved from its form, the list's filters, export for those who manage the workspace
//! (streamed, formulas guarded), duplicates merged, delete with undo, roles and tenants.

use crate::helpers::{TestApp, TestDb, backends, count, member_with_role, owner_with_workspace};
use msgbuddy_domain::ErrorCode;
use serde_json::Value;

async fn tag_id(owner: &mut crate::helpers::Browser, ws: &str, name: &str) -> String {
    let settings = owner
        .call("contact-settings/get", &[("workspace_id", ws)])
        .await
        .expect("settings");
    settings["tags"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == name))
        .and_then(|t| t["id"].as_str())
        .expect("the tag")
        .to_owned()
}

async fn list(owner: &mut crate::helpers::Browser, ws: &str, filter: &[(&str, &str)]) -> Value {
    let mut form = vec![("workspace_id", ws)];
    form.extend_from_slice(filter);
    owner
        .call("contacts/list", &form)
        .await
        .unwrap_or_else(|e| panic!("{filter:?}: {e:?}"))
}

async fn export(
    app: &TestApp,
    b: &crate::helpers::Browser,
    ws: &str,
    file: &str,
    query: &str,
) -> (u16, String, String) {
    let res = b
        .client
        .get(format!("{}/w/{ws}/exports/{file}?{query}", app.base))
        .send()
        .await
        .expect("export");
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn contacts_are_kept_from_their_pages_filtered_exported_and_merged() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Audience").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut viewer, _) = member_with_role(&app, &mut owner, &ws, "viewer").await;
        let mut stranger = app.browser();
        let email = crate::helpers::unique_email("stranger");
        stranger
            .sign_up("Stranger", &email, "password-123")
            .await
            .expect("sign up");
        stranger.create_workspace("Elsewhere").await;

        let field = [
            ("workspace_id", ws.as_str()),
            ("scope", "contact"),
            ("key", "city"),
            ("label", "City"),
            ("kind", "text"),
        ];
        owner
            .call("contact-fields/create", &field)
            .await
            .expect("field");
        let refused = agent
            .call("contact-fields/create", &field)
            .await
            .expect_err("agents keep no settings");
        assert_eq!(refused.code, ErrorCode::Forbidden);
        owner
            .call(
                "tags/create",
                &[
                    ("workspace_id", &ws),
                    ("name", "vip"),
                    ("colour", "#f59e0b"),
                ],
            )
            .await
            .expect("tag");
        let vip = tag_id(&mut owner, &ws, "vip").await;

        // Saved from the form: a hostile name kept as text, the phone normalised.
        let hostile = "=HYPERLINK(\"http://evil\") <b>Ana</b>";
        let tag_box = format!("tags[{vip}]");
        let save = |name: &'static str, phone: &'static str, email: &'static str| {
            vec![
                ("name", name.to_owned()),
                ("phone", phone.to_owned()),
                ("email", email.to_owned()),
                ("fields[city]", "Pune".to_owned()),
                (tag_box.as_str(), "1".to_owned()),
                ("opted_out[sms]", "1".to_owned()),
            ]
        };
        fn form<'a>(ws: &'a str, pairs: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
            let mut f: Vec<(&str, &str)> = vec![("workspace_id", ws)];
            f.extend(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            f
        }
        let first = save(hostile, "+44 7911 123456", "");
        owner
            .call("contacts/save", &form(&ws, &first))
            .await
            .expect("saved");
        let page = list(&mut owner, &ws, &[("filter[tag]", &vip)]).await;
        assert_eq!(page["page"]["total"], 1);
        let row = &page["page"]["rows"][0];
        assert_eq!(row["phone"], "+447911123456");
        assert_eq!(row["opted_out"], 16, "SMS only");
        let ana = row["id"].as_str().expect("id").to_owned();
        let (_, html) = owner.page(&format!("/w/{ws}/contacts")).await;
        assert!(html.contains("&lt;b&gt;Ana&lt;/b&gt;") && !html.contains("<b>Ana</b>"));
        let (status, html) = owner.page(&format!("/w/{ws}/contacts/{ana}")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("value=\"Pune\""),
            "the field's value in its input"
        );

        // Searches are literal; filters are checked by name.
        for q in ["'; DROP TABLE contacts; --", "%", "_", "\\"] {
            let page = list(&mut owner, &ws, &[("filter[q]", q)]).await;
            assert_eq!(page["page"]["total"], 0, "{q}");
        }
        assert_eq!(
            list(&mut owner, &ws, &[("filter[q]", "7911 123")]).await["page"]["total"],
            1
        );
        let bad = owner
            .call(
                "contacts/list",
                &[("workspace_id", &ws), ("filter[blocked]", "maybe")],
            )
            .await
            .expect_err("refused");
        assert_eq!(bad.code, ErrorCode::Validation);

        // Roles and tenants.
        let denied = viewer
            .call(
                "contacts/save",
                &form(&ws, &save("Vic", "", "vic@example.com")),
            )
            .await
            .expect_err("viewer");
        assert_eq!(denied.code, ErrorCode::Forbidden);
        let hidden = stranger
            .call(
                "contacts/get",
                &[("workspace_id", &ws), ("contact_id", &ana)],
            )
            .await
            .expect_err("stranger");
        assert_eq!(hidden.code, ErrorCode::NotFound);

        // Export: CSV with the field's column and formulas guarded; JSON; managers only.
        let (status, kind, csv) =
            export(&app, &owner, &ws, "contacts.csv", &format!("tag={vip}")).await;
        assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
        let mut lines = csv.lines();
        assert!(lines.next().is_some_and(|h| h.ends_with(",city")), "{csv}");
        let line = lines.next().unwrap_or_default();
        assert!(
            line.contains("\"'=HYPERLINK(\"\"http://evil\"\") <b>Ana</b>\""),
            "{line}"
        );
        assert!(
            line.contains(",'+447911123456,") && line.ends_with(",Pune"),
            "{line}"
        );
        let (_, _, json) = export(&app, &owner, &ws, "contacts.json", "").await;
        let json: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(json[0]["fields"]["city"], "Pune");
        assert_eq!(json[0]["opted_out"][0], "sms");
        // A segment's export: the same streamed file, its conditions applied.
        let condition = [
            ("workspace_id", ws.as_str()),
            ("name", "Pune VIPs"),
            ("match_all", "all"),
            ("conditions[0][field]", "tag"),
            ("conditions[0][op]", "has"),
            ("conditions[0][value]", "vip"),
            ("conditions[1][field]", "field.city"),
            ("conditions[1][op]", "eq"),
            ("conditions[1][value]", "pune"),
        ];
        owner
            .call("segments/save", &condition)
            .await
            .expect("segment");
        let segment: String = sqlx::query_scalar("SELECT id FROM segments WHERE workspace_id = $1")
            .bind(&ws)
            .fetch_one(app.db.reader())
            .await
            .expect("the segment");
        let (status, _, csv) = export(
            &app,
            &owner,
            &ws,
            "contacts.csv",
            &format!("segment={segment}"),
        )
        .await;
        assert_eq!(status, 200, "{csv}");
        assert_eq!(csv.lines().count(), 2, "{csv}");
        // Compressed as browsers ask for it, the stream ends cleanly (the compression
        // layer polls it once more after its end).
        let gzip = owner
            .client
            .get(format!("{}/w/{ws}/exports/contacts.csv", app.base))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("gzip export");
        assert_eq!(gzip.headers()["content-encoding"], "gzip");
        assert!(
            gzip.bytes().await.is_ok_and(|b| !b.is_empty()),
            "the whole body arrives"
        );
        let (status, _, _) = export(&app, &agent, &ws, "contacts.csv", "").await;
        assert_eq!(status, 403);
        let (status, _, _) = export(&app, &stranger, &ws, "contacts.csv", "").await;
        assert_eq!(status, 404);

        // The same name by email: a likely duplicate, merged keeping Ana's phone and the
        // other's email.
        owner
            .call(
                "contacts/save",
                &form(&ws, &save(hostile, "", "ana@example.com")),
            )
            .await
            .expect("second");
        let dups = owner
            .call("contacts/duplicates", &[("workspace_id", &ws)])
            .await
            .expect("dups");
        let group = dups["groups"][0].as_array().expect("a group");
        assert_eq!(group.len(), 2);
        let other = group
            .iter()
            .map(|c| c["row"]["id"].as_str().unwrap_or_default().to_owned())
            .find(|id| *id != ana)
            .expect("the other");
        let merge_box = format!("merge[{other}]");
        owner
            .call(
                "contacts/merge",
                &[
                    ("workspace_id", &ws),
                    ("survivor", &ana),
                    (&merge_box, "1"),
                    ("pick[email]", &other),
                ],
            )
            .await
            .expect("merged");
        let merged = owner
            .call(
                "contacts/get",
                &[("workspace_id", &ws), ("contact_id", &ana)],
            )
            .await
            .expect("merged contact");
        assert_eq!(merged["contact"]["row"]["email"], "ana@example.com");
        assert_eq!(merged["contact"]["row"]["phone"], "+447911123456");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contacts WHERE id = $1",
                &[&other]
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'contact.merge' AND target_id = $1",
                &[&ana]
            )
            .await,
            1
        );

        // Deleted from its page, gone from the list, and back with Undo.
        owner
            .call(
                "contacts/delete",
                &[("workspace_id", &ws), ("contact_id", &ana)],
            )
            .await
            .expect("deleted");
        assert_eq!(list(&mut owner, &ws, &[]).await["page"]["total"], 0);
        owner
            .call(
                "contacts/restore",
                &[("workspace_id", &ws), ("contact_id", &ana)],
            )
            .await
            .expect("restored");
        assert_eq!(list(&mut owner, &ws, &[]).await["page"]["total"], 1);

        // STOP keywords are the workspace's own: saved, checked, audited.
        owner
            .call(
                "opt-out-keywords/save",
                &[
                    ("workspace_id", &ws),
                    ("stop_keywords", "stop, arret"),
                    ("start_keywords", "start"),
                    ("stop_reply", "Bye."),
                    ("start_reply", "Hi."),
                ],
            )
            .await
            .expect("keywords");
        let settings = owner
            .call("contact-settings/get", &[("workspace_id", &ws)])
            .await
            .expect("settings");
        assert_eq!(settings["stop_keywords"], "STOP, ARRET");
        let bad = owner
            .call(
                "opt-out-keywords/save",
                &[
                    ("workspace_id", &ws),
                    ("stop_keywords", "stop"),
                    ("start_keywords", "stop"),
                    ("stop_reply", "a"),
                    ("start_reply", "b"),
                ],
            )
            .await
            .expect_err("both");
        assert_eq!(bad.code, ErrorCode::Validation);
    }
}
