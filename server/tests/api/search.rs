//! Search over the whole history of a workspace's messages, on both backends: newest
//! first with the words marked, filters, pages, who may see which results, and input
//! that would be query syntax read as plain words.

use crate::helpers::{
    Browser, TestApp, TestDb, backends, member_with_role, owner_with_workspace, settle,
};
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::Role;
use msgbuddy_domain::message::{MATCH_END, MATCH_START};
use msgbuddy_inbox::search::{self, Search};
use serde_json::Value;
use sqlx::Row;

async fn customer_writes(app: &TestApp, b: &mut Browser, ws: &str, from: &str, text: &str) {
    b.call(
        "channels/simulate",
        &[
            ("workspace_id", ws),
            ("from", from),
            ("name", from),
            ("text", text),
        ],
    )
    .await
    .expect("simulated");
    settle(app).await;
}

async fn found(
    b: &mut Browser,
    ws: &str,
    params: &[(&str, &str)],
) -> Result<Vec<Value>, msgbuddy_domain::AppError> {
    let named: Vec<(String, &str)> = params
        .iter()
        .map(|(k, v)| (format!("params[{k}]"), *v))
        .collect();
    let mut form = vec![("workspace_id", ws)];
    form.extend(named.iter().map(|(k, v)| (k.as_str(), *v)));
    let page = b.call("search", &form).await?;
    Ok(page["hits"].as_array().cloned().unwrap_or_default())
}

fn texts(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .filter_map(|h| h["message"]["content"]["body"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn messages_are_found_by_their_words_newest_first_with_filters_and_rights() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Search").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (mut other_agent, other_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        customer_writes(
            &app,
            &mut owner,
            &ws,
            "+15550100601",
            "My parcel arrived damaged",
        )
        .await;
        customer_writes(
            &app,
            &mut owner,
            &ws,
            "+15550100602",
            "Where is the parcel? Order 1042",
        )
        .await;
        customer_writes(&app, &mut owner, &ws, "+15550100603", "Thanks, all good").await;
        // An old message: the whole history is searched, not a recent window.
        sqlx::query("UPDATE messages SET created_at = created_at - 63072000000 WHERE preview LIKE 'My parcel%'")
            .execute(app.db.writer())
            .await
            .expect("two years back");

        let hits = found(&mut owner, &ws, &[("q", "parcel")])
            .await
            .expect("search");
        assert_eq!(
            texts(&hits),
            vec![
                "Where is the parcel? Order 1042",
                "My parcel arrived damaged"
            ],
            "newest first"
        );
        let snippet = hits[0]["snippet"].as_str().expect("snippet");
        assert!(
            snippet.contains(&format!("{MATCH_START}parcel{MATCH_END}")),
            "the word is marked: {snippet:?}"
        );
        assert_eq!(hits[0]["contact_name"], "+15550100602");
        // Every word must match; case and accents aside.
        assert_eq!(
            texts(
                &found(&mut owner, &ws, &[("q", "PARCEL damaged")])
                    .await
                    .expect("two words")
            ),
            vec!["My parcel arrived damaged"]
        );
        assert_eq!(
            texts(
                &found(&mut owner, &ws, &[("q", "1042")])
                    .await
                    .expect("number")
            )
            .len(),
            1
        );
        // Query syntax is read as words.
        for typed in [
            "\"parcel",
            "parcel OR thanks",
            "parcel*",
            "NEAR(parcel damaged)",
            "parcel:",
            "-parcel",
            "'; DROP TABLE messages; --",
        ] {
            let result = found(&mut owner, &ws, &[("q", typed)]).await;
            assert!(result.is_ok(), "{typed}: {result:?}");
        }
        assert!(
            found(&mut owner, &ws, &[("q", "parcel OR thanks")])
                .await
                .expect("words")
                .is_empty(),
            "OR is a word here"
        );
        let e = found(&mut owner, &ws, &[("q", "?!")])
            .await
            .expect_err("no words");
        assert_eq!(
            e.details.as_ref().and_then(|d| d["field"].as_str()),
            Some("q")
        );

        // Filters: direction, dates.
        let channel = sandbox(&mut owner, &ws).await;
        owner
            .call(
                "conversations/start",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", &channel),
                    ("to", "+15550100602"),
                    ("text", "Your parcel ships today"),
                ],
            )
            .await
            .expect("answered");
        settle(&app).await;
        assert_eq!(
            texts(
                &found(
                    &mut owner,
                    &ws,
                    &[("q", "parcel"), ("direction", "outbound")]
                )
                .await
                .expect("out")
            ),
            vec!["Your parcel ships today"]
        );
        assert_eq!(
            found(
                &mut owner,
                &ws,
                &[("q", "parcel"), ("direction", "inbound")]
            )
            .await
            .expect("in")
            .len(),
            2
        );
        let year_ago = msgbuddy_domain::time::iso_utc(msgbuddy_core::db::now_ms() - 31_536_000_000);
        let since = &year_ago[..10];
        assert_eq!(
            found(&mut owner, &ws, &[("q", "parcel"), ("since", since)])
                .await
                .expect("recent")
                .len(),
            2
        );
        assert_eq!(
            found(&mut owner, &ws, &[("q", "parcel"), ("until", since)])
                .await
                .expect("old")
                .len(),
            1
        );
        let e = found(&mut owner, &ws, &[("q", "parcel"), ("since", "last week")])
            .await
            .expect_err("bad day");
        assert_eq!(
            e.details.as_ref().and_then(|d| d["field"].as_str()),
            Some("since")
        );

        // Pages, newest first, each message once.
        let me = Member {
            workspace_id: ws.clone(),
            user_id: owner.user_id().await,
            role: Role::Owner,
            test_mode: false,
        };
        let mut q = Search {
            text: "parcel".into(),
            limit: 2,
            ..Search::default()
        };
        let mut all = Vec::new();
        loop {
            let page = search::search(&app.messaging, &me, &q).await.expect("page");
            all.extend(page.hits.iter().map(|h| h.message.id.clone()));
            match page.next {
                Some(next) => q.after = Some(next),
                None => break,
            }
        }
        assert_eq!(all.len(), 3);
        let mut unique = all.clone();
        unique.dedup();
        assert_eq!(unique, all);

        // An agent finds nothing in another agent's conversation; another workspace finds
        // nothing of this one.
        let conversation: String =
            sqlx::query("SELECT conversation_id FROM messages WHERE preview LIKE 'My parcel%'")
                .fetch_one(app.db.reader())
                .await
                .map(|r| sqlx::Row::try_get(&r, 0).expect("id"))
                .expect("row");
        owner
            .call(
                "conversations/assign",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &conversation),
                    ("action", "assign"),
                    ("assignee_id", &other_id),
                ],
            )
            .await
            .expect("assigned");
        assert_eq!(
            texts(
                &found(&mut agent, &ws, &[("q", "damaged")])
                    .await
                    .expect("agent")
            )
            .len(),
            0
        );
        assert_eq!(
            texts(
                &found(&mut other_agent, &ws, &[("q", "damaged")])
                    .await
                    .expect("theirs")
            )
            .len(),
            1
        );
        let mut stranger = app.browser();
        stranger
            .sign_up(
                "Stranger",
                &crate::helpers::unique_email("stranger"),
                "password-123",
            )
            .await
            .expect("sign up");
        let elsewhere = stranger.create_workspace("Elsewhere").await;
        assert!(
            found(&mut stranger, &elsewhere, &[("q", "parcel")])
                .await
                .expect("own")
                .is_empty()
        );
        let e = found(&mut stranger, &ws, &[("q", "parcel")])
            .await
            .expect_err("not a member");
        assert!(matches!(e.code.http_status(), 403 | 404), "{e:?}");

        // The page: results marked, each opening its thread at the message.
        let (status, html) = owner.page(&format!("/w/{ws}/search?q=parcel")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("data-testid=\"search-result\"") && html.contains("<mark"),
            "marked results"
        );
        let id = &hits[1]["message"]["id"].as_str().expect("id").to_owned();
        assert!(html.contains(&format!("?at={id}#m-{id}")));
        let (status, html) = owner
            .page(&format!("/w/{ws}/conversations/{conversation}?at={id}"))
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("id=\"m-{id}\"")),
            "the thread opens at the message"
        );
    }
}

async fn sandbox(owner: &mut Browser, ws: &str) -> String {
    let list = owner
        .call("channels/list", &[("workspace_id", ws)])
        .await
        .expect("channels");
    list["channels"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["kind"] == "sandbox"))
        .and_then(|c| c["id"].as_str())
        .expect("sandbox")
        .to_owned()
}

async fn indexed_through(app: &TestApp) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT (SELECT indexed_through FROM search_cursor), (SELECT COALESCE(MAX(rowid), 0) FROM messages)",
    )
    .fetch_one(app.db.reader())
    .await
    .expect("cursor");
    (row.get(0), row.get(1))
}

/// SQLite indexes messages in the background, off the send path: the worker's step
/// indexes what waits, a search catches up first, and a deleted message's rowid, handed out
/// again by SQLite, is indexed for its new message.
#[tokio::test]
async fn the_sqlite_index_follows_stored_and_deleted_messages() {
    let db = TestDb::new(msgbuddy_core::Backend::Sqlite).await;
    let app = TestApp::spawn(&db, &[]).await;
    let (mut owner, ws) = owner_with_workspace(&app, "Indexer").await;
    customer_writes(&app, &mut owner, &ws, "+15550100701", "Alpha arrives first").await;
    // Storing a message left it for the indexer; the worker's step indexes it.
    let (through, newest) = indexed_through(&app).await;
    assert!(
        through < newest,
        "not indexed on the send path: {through} of {newest}"
    );
    let indexed = msgbuddy_inbox::search_index::index_batch(&app.db)
        .await
        .expect("indexed");
    assert_eq!(indexed, 1);
    assert_eq!(indexed_through(&app).await, (newest, newest));
    assert_eq!(
        msgbuddy_inbox::search_index::index_batch(&app.db)
            .await
            .expect("nothing left"),
        0
    );
    assert_eq!(
        texts(
            &found(&mut owner, &ws, &[("q", "alpha")])
                .await
                .expect("alpha")
        ),
        vec!["Alpha arrives first"]
    );

    // The newest message goes; the next one stored takes its rowid back.
    let (_, newest) = indexed_through(&app).await;
    sqlx::query("DELETE FROM messages WHERE rowid = $1")
        .bind(newest)
        .execute(app.db.writer())
        .await
        .expect("deleted");
    assert!(
        found(&mut owner, &ws, &[("q", "alpha")])
            .await
            .expect("alpha")
            .is_empty(),
        "a deleted message leaves the index"
    );
    customer_writes(&app, &mut owner, &ws, "+15550100702", "Bravo comes after").await;
    let (_, reused) = indexed_through(&app).await;
    assert_eq!(reused, newest, "SQLite handed the rowid out again");
    assert_eq!(
        texts(
            &found(&mut owner, &ws, &[("q", "bravo")])
                .await
                .expect("bravo")
        ),
        vec!["Bravo comes after"]
    );
    assert!(
        found(&mut owner, &ws, &[("q", "alpha")])
            .await
            .expect("alpha")
            .is_empty()
    );
}
