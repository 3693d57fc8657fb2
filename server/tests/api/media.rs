//! Media: files typed by their content, kept under the data directory, served only to
//! members of their workspace (or to a provider holding a signed link), from the
//! thread's attachment form and the partner API.

use crate::helpers::{
    Browser, PNG, TestApp, TestDb, backends, multipart, owner_with_workspace, settle, unique_email,
};
use msgbuddy_core::Actor;
use msgbuddy_domain::Permission;
use msgbuddy_messaging::api_keys::{self, Mode};
use serde_json::{Value, json};
use sqlx::Row;

/// An executable, whatever it is called.
const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";

/// Another user, owning another workspace.
async fn someone_else(app: &TestApp, workspace: &str) -> (Browser, String) {
    let mut b = app.browser();
    b.sign_up("Sam", &unique_email("sam"), "password-123")
        .await
        .expect("sign up");
    let ws = b.create_workspace(workspace).await;
    (b, ws)
}

async fn count(app: &TestApp, table: &'static str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.db.reader())
        .await
        .expect("count")
        .try_get(0)
        .expect("count")
}

/// A conversation on the workspace's Sandbox channel.
async fn sandbox_conversation(owner: &mut Browser, ws: &str) -> String {
    let list = owner
        .call("channels/list", &[("workspace_id", ws)])
        .await
        .expect("channels");
    let channel = list["channels"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["kind"] == "sandbox"))
        .and_then(|c| c["id"].as_str())
        .expect("sandbox")
        .to_owned();
    owner
        .call(
            "conversations/start",
            &[
                ("workspace_id", ws),
                ("channel_id", &channel),
                ("to", "+15550100007"),
                ("name", "Ana"),
                ("text", "Here is the photo you asked for"),
            ],
        )
        .await
        .expect("started");
    let list = owner
        .call(
            "conversations/list",
            &[("workspace_id", ws), ("test", "false")],
        )
        .await
        .expect("list");
    list["conversations"][0]["id"]
        .as_str()
        .expect("conversation")
        .to_owned()
}

async fn thread(owner: &mut Browser, ws: &str, conversation: &str) -> Vec<Value> {
    let t = owner
        .call(
            "conversations/thread",
            &[("workspace_id", ws), ("conversation_id", conversation)],
        )
        .await
        .expect("thread");
    t["messages"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_file_from_the_thread_form_is_typed_by_content_sent_and_shown_only_to_members() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Media").await;
        let conversation = sandbox_conversation(&mut owner, &ws).await;
        let page = format!("/w/{ws}/conversations/{conversation}");
        let (status, html) = owner.page(&page).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("data-testid=\"attachment-form\""),
            "the form is on the page"
        );
        assert!(html.contains("enctype=\"multipart/form-data\""));
        let csrf = owner.csrf.clone();

        // Sent from the form: stored, sent through the Sandbox, back to the thread.
        let (status, location) = owner
            .attach(
                &ws,
                &conversation,
                &[
                    ("csrf_token", None, csrf.as_bytes()),
                    ("caption", None, "The pixel".as_bytes()),
                    ("file", Some("../../pixel.gif"), PNG),
                ],
            )
            .await;
        assert_eq!((status, location.as_str()), (303, page.as_str()));
        settle(&app).await;
        let messages = thread(&mut owner, &ws, &conversation).await;
        let sent = messages.last().expect("the file message");
        let media = &sent["content"];
        assert_eq!(sent["content"]["type"], "media", "{sent}");
        assert_eq!(media["kind"], "image");
        assert_eq!(
            media["mime_type"], "image/png",
            "the content decides, not the name"
        );
        assert_eq!(
            media["filename"], "pixel.gif",
            "only the last part of the name"
        );
        assert_eq!(media["caption"], "The pixel");
        assert_eq!(media["size_bytes"], PNG.len());
        assert_ne!(sent["status"], "pending", "the Sandbox took it: {sent}");
        let id = media["media_id"].as_str().expect("stored").to_owned();
        let stored = db.data_dir.join("media").join(&ws).join(&id);
        assert_eq!(std::fs::read(&stored).expect("on disk"), PNG);

        // Members get it with a type and headers that keep it from running anything.
        let res = owner
            .client
            .get(format!("{}/media/{id}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        assert_eq!(h["content-type"], "image/png");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
        assert!(
            h["content-disposition"]
                .to_str()
                .unwrap_or_default()
                .starts_with("inline;")
        );
        assert_eq!(res.bytes().await.expect("bytes").as_ref(), PNG);
        let (_, html) = owner.page(&page).await;
        assert!(
            html.contains(&format!("src=\"/media/{id}\"")),
            "shown in the thread"
        );

        // Nobody else: not logged in, another workspace's owner, a link with a bad signature.
        let anonymous = reqwest::get(format!("{}/media/{id}", app.base))
            .await
            .expect("get");
        assert_eq!(anonymous.status(), 401);
        let (mut stranger, _) = someone_else(&app, "Elsewhere").await;
        stranger.page("/").await;
        let res = stranger
            .client
            .get(format!("{}/media/{id}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 404);
        let forged = reqwest::get(format!(
            "{}/media/{id}?expires=99999999999999&signature={}",
            app.base,
            "0".repeat(64)
        ))
        .await
        .expect("get");
        assert_eq!(forged.status(), 404);
        let link = app
            .messaging
            .media
            .signed_url(&id, msgbuddy_core::db::now_ms() + 60_000);
        let signed = reqwest::get(&link).await.expect("get");
        assert_eq!(signed.status(), 200, "a provider's signed link works");
        let expired = app
            .messaging
            .media
            .signed_url(&id, msgbuddy_core::db::now_ms() - 1);
        assert_eq!(reqwest::get(&expired).await.expect("get").status(), 404);
        // The stranger cannot post into the conversation either.
        let stranger_csrf = stranger.csrf.clone();
        let (status, _) = stranger
            .attach(
                &ws,
                &conversation,
                &[
                    ("csrf_token", None, stranger_csrf.as_bytes()),
                    ("file", Some("a.png"), PNG),
                ],
            )
            .await;
        assert_eq!(status, 404);

        // Refused: a file whose content is no type msgbuddy sends, whatever its name. The
        // page shows the server's reason; nothing is kept.
        let (files, messages_before) = (
            count(&app, "media_files").await,
            count(&app, "messages").await,
        );
        let (status, location) = owner
            .attach(
                &ws,
                &conversation,
                &[
                    ("csrf_token", None, csrf.as_bytes()),
                    ("file", Some("invoice.pdf"), EXE),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert!(
            location.starts_with(&format!("{page}?notice=")),
            "{location}"
        );
        let (_, html) = owner.page(&location).await;
        assert!(
            html.contains("not a type msgbuddy sends"),
            "the reason is shown"
        );
        let forged = format!("{page}?notice=Call+us+at+555&notice_sig={}", "0".repeat(64));
        let (_, html) = owner.page(&forged).await;
        assert!(
            !html.contains("Call us at 555"),
            "a notice msgbuddy did not sign is not shown"
        );
        // No file at all.
        let (_, location) = owner
            .attach(
                &ws,
                &conversation,
                &[
                    ("csrf_token", None, csrf.as_bytes()),
                    ("file", Some(""), b""),
                ],
            )
            .await;
        assert!(location.contains("notice="), "{location}");
        // A real image, but larger than the Sandbox takes for images (5 MB): the channel's
        // rule refuses it and the upload is not kept.
        let mut big = PNG.to_vec();
        big.resize(6 * 1024 * 1024, 0);
        let (status, location) = owner
            .attach(
                &ws,
                &conversation,
                &[
                    ("csrf_token", None, csrf.as_bytes()),
                    ("file", Some("big.png"), &big),
                ],
            )
            .await;
        assert_eq!(status, 303, "{location}");
        let (_, html) = owner.page(&location).await;
        assert!(
            html.contains("larger than the 5 MB"),
            "the channel's rule is shown: {location}"
        );
        assert_eq!(count(&app, "media_files").await, files);
        assert_eq!(count(&app, "messages").await, messages_before);
        let on_disk = std::fs::read_dir(db.data_dir.join("media").join(&ws))
            .expect("dir")
            .count();
        assert_eq!(on_disk, 1, "only the first file is on disk");

        // Without the token first, or with a wrong one: refused before the file is read.
        for parts in [
            vec![
                ("file", Some("a.png"), PNG),
                ("csrf_token", None, csrf.as_bytes()),
            ],
            vec![
                ("csrf_token", None, b"wrong".as_slice()),
                ("file", Some("a.png"), PNG),
            ],
        ] {
            let (status, _) = owner.attach(&ws, &conversation, &parts).await;
            assert_eq!(status, 403);
        }
        // A file form anywhere else is refused by the CSRF layer.
        let (content_type, body) = multipart(&[("csrf_token", None, csrf.as_bytes())]);
        let res = owner
            .client
            .post(format!("{}/api/conversations/send", app.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 403);
        assert_eq!(count(&app, "media_files").await, files);
    }
}

async fn key(app: &TestApp, owner: &mut Browser, ws: &str, mode: Mode) -> String {
    let user = owner.user_id().await;
    let member = msgbuddy_core::workspaces::access(&app.db, &user, ws, Permission::WorkspaceView)
        .await
        .expect("member");
    let actor = Actor {
        user_id: user,
        ip: None,
    };
    api_keys::create(&app.messaging, &member, &actor, "Partner", mode, None)
        .await
        .expect("key")
        .secret
}

async fn upload(
    app: &TestApp,
    key: &str,
    parts: &[(&str, Option<&str>, &[u8])],
    idem: Option<&str>,
) -> (u16, Value) {
    let (content_type, body) = multipart(parts);
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/media", app.base))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body);
    if let Some(k) = idem {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.expect("upload");
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

async fn send(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/messages", app.base))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("send");
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn partners_upload_files_and_send_them_by_id_within_their_workspace_and_mode() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Partner media").await;
        let live = key(&app, &mut owner, &ws, Mode::Live).await;
        let test = key(&app, &mut owner, &ws, Mode::Test).await;

        let (status, file) = upload(
            &app,
            &live,
            &[("file", Some("pixel.png"), PNG)],
            Some("up-1"),
        )
        .await;
        assert_eq!(status, 201, "{file}");
        assert_eq!(
            (
                file["kind"].as_str(),
                file["mime_type"].as_str(),
                file["test"].as_bool()
            ),
            (Some("image"), Some("image/png"), Some(false))
        );
        assert_eq!(file["size_bytes"], PNG.len());
        assert_eq!(file["sha256"], msgbuddy_core::crypto::sha256_hex(PNG));
        let id = file["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("med_"));
        // The same key and file: the first answer again, no second copy.
        let (status, again) = upload(
            &app,
            &live,
            &[("file", Some("pixel.png"), PNG)],
            Some("up-1"),
        )
        .await;
        assert_eq!((status, &again["id"]), (201, &file["id"]));
        assert_eq!(count(&app, "media_files").await, 1);
        // Another file under that key: 422.
        let (status, _) = upload(
            &app,
            &live,
            &[("file", Some("x.txt"), b"hello")],
            Some("up-1"),
        )
        .await;
        assert_eq!(status, 422);

        // Refusals, each with the envelope, none stored.
        let (status, e) = upload(&app, &live, &[("file", Some("invoice.pdf"), EXE)], None).await;
        assert_eq!(status, 422);
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("not a type"),
            "{e}"
        );
        let (status, e) = upload(&app, &live, &[("other", None, PNG)], None).await;
        assert_eq!(
            (status, e["error"]["details"]["field"].as_str()),
            (422, Some("file"))
        );
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/media", app.base))
            .bearer_auth(&live)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 422);
        let (status, _) = upload(&app, "ak_live_nope", &[("file", Some("a.png"), PNG)], None).await;
        assert_eq!(status, 401);
        let huge = vec![b'a'; msgbuddy_media::MAX_BYTES + 70 * 1024];
        let (status, _) = upload(&app, &live, &[("file", Some("big.txt"), &huge)], None).await;
        assert_eq!(status, 413);
        assert_eq!(count(&app, "media_files").await, 1);
        // A large file under the limit goes in whole (no framework limit below ours).
        let mut large = PNG.to_vec();
        large.resize(12 * 1024 * 1024, 0);
        let (status, file) =
            upload(&app, &live, &[("file", Some("large.png"), &large)], None).await;
        assert_eq!(
            (status, file["size_bytes"].as_u64()),
            (201, Some(12 * 1024 * 1024)),
            "{file}"
        );
        let large_id = file["id"].as_str().expect("id").to_owned();
        sqlx::query("DELETE FROM media_files WHERE id = $1")
            .bind(&large_id)
            .execute(app.db.writer())
            .await
            .expect("forget the large file");

        // Sent by id: the message carries what msgbuddy read, not what the request says.
        let (status, queued) = send(
            &app,
            &live,
            json!({ "channel": "sandbox", "to": "+15550100008", "media": { "media_id": id, "caption": "Receipt" } }),
        )
        .await;
        assert_eq!(status, 202, "{queued}");
        settle(&app).await;
        let res = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/messages/{}",
                app.base,
                queued["id"].as_str().unwrap_or_default()
            ))
            .bearer_auth(&live)
            .send()
            .await
            .expect("get");
        let message: Value = res.json().await.expect("json");
        assert_eq!(message["content"]["mime_type"], "image/png", "{message}");
        assert_eq!(message["content"]["media_id"], id.as_str());
        assert_ne!(message["status"], "queued");

        // Test mode and live data stay apart; so do workspaces.
        let (status, e) = send(
            &app,
            &test,
            json!({ "channel": "sandbox", "to": "+15550100008", "media": { "media_id": id } }),
        )
        .await;
        assert_eq!(
            (status, e["error"]["details"]["field"].as_str()),
            (422, Some("media_id"))
        );
        let (mut other, other_ws) = someone_else(&app, "Other partner").await;
        let other_key = key(&app, &mut other, &other_ws, Mode::Live).await;
        let (status, _) = send(
            &app,
            &other_key,
            json!({ "channel": "sandbox", "to": "+15550100008", "media": { "media_id": id } }),
        )
        .await;
        assert_eq!(status, 422);
        let (status, e) = send(
            &app,
            &live,
            json!({ "channel": "sandbox", "to": "+15550100008", "media": { "media_id": id, "url": "https://example.com/a.png" } }),
        )
        .await;
        assert_eq!(
            (status, e["error"]["details"]["field"].as_str()),
            (422, Some("media"))
        );

        // The partner downloads the file, or one range of it; only with a key of its
        // workspace and mode.
        let download = |key: String, range: Option<&'static str>| {
            let url = format!("{}/api/v1/media/{id}", app.base);
            async move {
                let mut req = reqwest::Client::new().get(url).bearer_auth(key);
                if let Some(r) = range {
                    req = req.header("range", r);
                }
                req.send().await.expect("download")
            }
        };
        let res = download(live.clone(), None).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.headers()["accept-ranges"], "bytes");
        assert!(res.headers().contains_key("ratelimit-remaining"));
        assert_eq!(res.bytes().await.expect("bytes").as_ref(), PNG);
        let res = download(live.clone(), Some("bytes=1-3")).await;
        assert_eq!(res.status(), 206);
        assert_eq!(
            res.headers()["content-range"],
            format!("bytes 1-3/{}", PNG.len()).as_str()
        );
        assert_eq!(res.bytes().await.expect("bytes").as_ref(), &PNG[1..4]);
        let res = download(live.clone(), Some("bytes=100000-")).await;
        assert_eq!(res.status(), 416);
        assert_eq!(
            res.headers()["content-range"],
            format!("bytes */{}", PNG.len()).as_str()
        );
        for (key, why) in [
            (test.clone(), "a test key, live file"),
            (other_key.clone(), "another workspace"),
        ] {
            let res = download(key, None).await;
            assert_eq!(res.status(), 404, "{why}");
            let body: Value = res.json().await.expect("envelope");
            assert_eq!(body["error"]["code"], "not_found", "{why}");
        }
        assert_eq!(download("ak_live_nope".into(), None).await.status(), 401);
    }
}
