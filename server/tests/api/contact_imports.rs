//! Contact imports: files uploaded through the form, started with a mapping, worked by the
//! import worker in chunks (each all or nothing, so a crash mid-chunk loses and
//! duplicates nothing), refused rows reported by line in a CSV that cannot run formulas.

use crate::helpers::{
    Browser, TestApp, TestDb, backends, count, member_with_role, multipart, owner_with_workspace,
    unique_email,
};
use msgbuddy_contacts::definitions;
use msgbuddy_contacts::fields::DefinitionInput;
use msgbuddy_contacts::import;
use msgbuddy_core::Actor;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::contact_import::{ImportStatus, ImportView};
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_domain::{ErrorCode, Role};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use sqlx::Row;

async fn member(app: &TestApp, ws: &str, role: &str) -> Member {
    let user_id: String = sqlx::query(
        "SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = $2 LIMIT 1",
    )
    .bind(ws)
    .bind(role)
    .fetch_one(app.db.reader())
    .await
    .expect("member")
    .try_get(0)
    .expect("id");
    Member {
        workspace_id: ws.to_owned(),
        user_id,
        role: role.parse::<Role>().expect("role"),
        test_mode: false,
    }
}

fn actor(member: &Member) -> Actor {
    Actor {
        user_id: member.user_id.clone(),
        ip: None,
    }
}

/// The workspace's contact fields for these tests: an age between 0 and 120, a tier of
/// Gold or Silver.
async fn define_fields(app: &TestApp, owner: &Member) {
    for input in [
        DefinitionInput {
            key: "age".into(),
            label: "Age".into(),
            kind: "number".into(),
            min: "0".into(),
            max: "120".into(),
            ..DefinitionInput::default()
        },
        DefinitionInput {
            key: "tier".into(),
            label: "Tier".into(),
            kind: "select".into(),
            options: "Gold\nSilver".into(),
            ..DefinitionInput::default()
        },
    ] {
        definitions::create(&app.db, &actor(owner), owner, FieldScope::Contact, &input)
            .await
            .expect("field");
    }
}

/// The `i`-th customer's phone number, as a person would type it.
fn phone(i: usize) -> String {
    format!("+91 98{:08}", i)
}

fn stored_phone(i: usize) -> String {
    format!("+9198{:08}", i)
}

/// A clean row of customer `i`: Name,Phone,Email,Age,Tier,Tags.
fn customer(i: usize, name: &str) -> String {
    format!(
        "{name} {i},{},c{i}@example.com,{},{},{}\n",
        phone(i),
        i % 100,
        if i.is_multiple_of(2) {
            "Gold"
        } else {
            "Silver"
        },
        if i.is_multiple_of(3) {
            "\"vip, Returning\""
        } else {
            "new"
        }
    )
}

const HEADER: &str = "Name,Phone,Email,Age,Tier,Tags\n";

/// Posts the import form as the browser does (token first); the status and `Location`.
async fn post_file(browser: &mut Browser, ws: &str, name: &str, bytes: &[u8]) -> (u16, String) {
    if browser.csrf.is_empty() {
        browser.page("/").await;
    }
    let csrf = browser.csrf.clone();
    let (content_type, body) = multipart(&[
        ("csrf_token", None, csrf.as_bytes()),
        ("file", Some(name), bytes),
    ]);
    let res = browser
        .client
        .post(format!("{}/w/{ws}/contacts/imports", browser.base))
        .header(ACCEPT, "text/html")
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("upload");
    let location = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (res.status().as_u16(), location)
}

/// Works every waiting import to its end.
async fn work_all(app: &TestApp, chunk_rows: usize) {
    for _ in 0..100 {
        let worked = import::work_once(&app.db, &app.bus, "test-worker", chunk_rows)
            .await
            .expect("work");
        if !worked {
            return;
        }
    }
    panic!("the worker never ran out of work");
}

/// Uploads `csv` through the service, starts it and works it; the finished import.
async fn import_file(
    app: &TestApp,
    owner: &Member,
    csv: &str,
    on_duplicate: &str,
    dry_run: bool,
    chunk_rows: usize,
) -> ImportView {
    let summary = import::upload(&app.db, &actor(owner), owner, "file.csv", csv.as_bytes())
        .await
        .expect("uploaded");
    import::start(
        &app.db,
        &actor(owner),
        owner,
        &summary.id,
        summary.mapping.clone(),
        on_duplicate,
        dry_run,
    )
    .await
    .expect("started");
    work_all(app, chunk_rows).await;
    import::get(&app.db, owner, &summary.id).await.expect("get")
}

async fn contacts_in(app: &TestApp, ws: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1",
        &[ws],
    )
    .await
}

/// A thousand customers with ten bad rows among them; each bad row's index and the start
/// of the reason it gets.
fn thousand_with_ten_bad() -> (String, Vec<(usize, &'static str)>) {
    let bad: Vec<(usize, &str, String)> = vec![
        (
            50,
            "Phone: +12 is not a valid phone number",
            "Bad,+12,b50@example.com,1,Gold,\n".into(),
        ),
        (
            150,
            "Email: Enter a valid email address.",
            format!("Bad,{},not-an-email,1,Gold,\n", phone(150)),
        ),
        (
            250,
            "Age: ",
            format!("Bad,{},b250@example.com,12abc,Gold,\n", phone(250)),
        ),
        (
            350,
            "Tier: ",
            format!("Bad,{},b350@example.com,1,Bronze,\n", phone(350)),
        ),
        (
            450,
            "The row has no phone number",
            "Nobody,,,1,Gold,vip\n".into(),
        ),
        (
            550,
            "Age: ",
            format!("Bad,{},b550@example.com,121,Gold,\n", phone(550)),
        ),
        (
            650,
            "Phone: A phone number has only digits",
            "Bad,call me maybe,b650@example.com,1,Gold,\n".into(),
        ),
        (
            750,
            "This row has 8 cells",
            format!("Bad,{},b750@example.com,1,Gold,vip,x,y\n", phone(750)),
        ),
        (
            850,
            "Name: ",
            format!("\u{202e}evil,{},b850@example.com,1,Gold,\n", phone(850)),
        ),
        (
            950,
            "Tags: ",
            format!(
                "Bad,{},b950@example.com,1,Gold,{}\n",
                phone(950),
                "t".repeat(41)
            ),
        ),
    ];
    let mut csv = HEADER.to_owned();
    for i in 0..1000 {
        match bad.iter().find(|(at, _, _)| *at == i) {
            Some((_, _, row)) => csv.push_str(row),
            None => csv.push_str(&customer(i, "Customer")),
        }
    }
    (
        csv,
        bad.iter().map(|(i, reason, _)| (*i, *reason)).collect(),
    )
}

/// Reads a CSV the way a spreadsheet would (quoted cells may hold commas and breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => cell.push(c),
        }
    }
    records
}

#[tokio::test]
async fn a_thousand_rows_with_ten_bad_ones_import_990_and_report_the_ten_by_line() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut browser, ws) = owner_with_workspace(&app, "Imports").await;
        let owner = member(&app, &ws, "owner").await;
        define_fields(&app, &owner).await;
        let (csv, bad) = thousand_with_ten_bad();

        let (status, location) =
            post_file(&mut browser, &ws, "customers.csv", csv.as_bytes()).await;
        assert_eq!(status, 303, "{backend:?}: {location}");
        let id = location
            .strip_prefix(&format!("/w/{ws}/contacts/imports/"))
            .expect("sent to the import's page")
            .to_owned();
        let uploaded = import::get(&app.db, &owner, &id).await.expect("get");
        assert_eq!(uploaded.status, ImportStatus::Uploaded);
        assert_eq!(uploaded.file_name, "customers.csv");
        assert_eq!(uploaded.total_rows, 1000);
        assert_eq!(
            uploaded.headers,
            ["Name", "Phone", "Email", "Age", "Tier", "Tags"]
        );
        assert_eq!(
            uploaded.mapping,
            ["name", "phone", "email", "field.age", "field.tier", "tags"]
        );
        assert_eq!(uploaded.preview.len(), 5);
        assert_eq!(uploaded.preview[1][0], "Customer 1");
        assert_eq!(contacts_in(&app, &ws).await, 0, "nothing before the start");

        let started = import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &id,
            uploaded.mapping.clone(),
            "update",
            false,
        )
        .await
        .expect("started");
        assert_eq!(started.status, ImportStatus::Queued);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'contact_import.start' AND target_id = $1", &[&id]).await,
            1
        );
        work_all(&app, 300).await;

        let done = import::get(&app.db, &owner, &id).await.expect("get");
        assert_eq!(
            done.status,
            ImportStatus::Done,
            "{backend:?}: {:?}",
            done.error
        );
        assert_eq!(
            (
                done.processed_rows,
                done.created_rows,
                done.updated_rows,
                done.skipped_rows,
                done.error_rows
            ),
            (1000, 990, 0, 0, 10),
            "{backend:?}"
        );
        assert!(done.finished_at_ms.is_some());
        assert_eq!(contacts_in(&app, &ws).await, 990);
        let asha = sqlx::query(
            "SELECT c.name, c.email, (SELECT COUNT(*) FROM contact_field_values v WHERE v.contact_id = c.id), \
               (SELECT COUNT(*) FROM contact_tags t WHERE t.contact_id = c.id) \
             FROM contacts c WHERE c.workspace_id = $1 AND c.phone = $2",
        )
        .bind(&ws)
        .bind(stored_phone(3))
        .fetch_one(app.db.reader())
        .await
        .expect("customer 3");
        assert_eq!(asha.try_get::<String, _>(0).expect("name"), "Customer 3");
        assert_eq!(
            asha.try_get::<String, _>(1).expect("email"),
            "c3@example.com"
        );
        assert_eq!(
            asha.try_get::<i64, _>(2).expect("values"),
            2,
            "age and tier"
        );
        assert_eq!(
            asha.try_get::<i64, _>(3).expect("tags"),
            2,
            "vip and Returning"
        );
        let age: f64 = sqlx::query(
            "SELECT v.value_number FROM contact_field_values v JOIN custom_fields f ON f.id = v.field_id \
             JOIN contacts c ON c.id = v.contact_id WHERE f.key = 'age' AND c.phone = $1",
        )
        .bind(stored_phone(42))
        .fetch_one(app.db.reader())
        .await
        .expect("age")
        .try_get(0)
        .expect("number");
        assert_eq!(age, 42.0);
        let tags =
            sqlx::query("SELECT name, colour FROM tags WHERE workspace_id = $1 ORDER BY name")
                .bind(&ws)
                .fetch_all(app.db.reader())
                .await
                .expect("tags");
        let mut tags: Vec<(String, String)> = tags
            .iter()
            .map(|r| (r.try_get(0).expect("name"), r.try_get(1).expect("colour")))
            .collect();
        tags.sort();
        assert_eq!(
            tags,
            [
                ("Returning".to_owned(), "#64748b".to_owned()),
                ("new".to_owned(), "#64748b".to_owned()),
                ("vip".to_owned(), "#64748b".to_owned())
            ]
        );
        let events = count(
            &app,
            "SELECT COUNT(*) FROM workspace_events WHERE workspace_id = $1 AND kind = 'contact_import.progress'",
            &[&ws],
        )
        .await;
        assert_eq!(
            events, 4,
            "one event per chunk of 300, the last saying done"
        );

        // The report: header plus the ten rows, by the line a spreadsheet shows them on.
        let res = browser
            .client
            .get(format!(
                "{}/w/{ws}/contacts/imports/{id}/errors.csv",
                app.base
            ))
            .send()
            .await
            .expect("report");
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            res.headers()["content-disposition"],
            format!("attachment; filename=\"import-errors-{id}.csv\"").as_str()
        );
        let report = csv_records(&res.text().await.expect("body"));
        assert_eq!(report[0], ["line", "reason", "row"]);
        assert_eq!(report.len(), 11, "{report:?}");
        for ((index, reason), record) in bad.iter().zip(&report[1..]) {
            assert_eq!(record[0], (index + 2).to_string(), "{record:?}");
            assert!(
                record[1].starts_with(reason),
                "{backend:?} line {}: {}",
                record[0],
                record[1]
            );
            assert!(!record[2].is_empty());
        }
        assert_eq!(
            report[1][2], "Bad,+12,b50@example.com,1,Gold,",
            "the row as the file had it"
        );

        // The list shows it, newest first.
        let listed = import::list(&app.db, &owner).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, id);
        // A finished import cannot be started again.
        let again = import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &id,
            done.mapping.clone(),
            "update",
            false,
        )
        .await
        .expect_err("already ran")
        .into_app_error();
        assert_eq!(again.code, ErrorCode::Conflict);
    }
}

#[tokio::test]
async fn a_second_file_skips_or_updates_the_contacts_it_shares_with_the_first() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_browser, ws) = owner_with_workspace(&app, "Overlap").await;
        let owner = member(&app, &ws, "owner").await;
        define_fields(&app, &owner).await;
        let first: String = HEADER.to_owned()
            + &(0..100)
                .map(|i| customer(i, "Customer"))
                .collect::<String>();
        let done = import_file(&app, &owner, &first, "update", false, 1000).await;
        assert_eq!(done.created_rows, 100);

        // 60 to 159: 40 known, 60 new.
        let second: String = HEADER.to_owned()
            + &(60..160)
                .map(|i| customer(i, "Renamed"))
                .collect::<String>();
        let skipped = import_file(&app, &owner, &second, "skip", false, 30).await;
        assert_eq!(
            (
                skipped.created_rows,
                skipped.updated_rows,
                skipped.skipped_rows,
                skipped.error_rows
            ),
            (60, 0, 40, 0),
            "{backend:?}"
        );
        let name_of = |i: usize| {
            let app = &app;
            let ws = ws.clone();
            async move {
                sqlx::query("SELECT name FROM contacts WHERE workspace_id = $1 AND phone = $2")
                    .bind(&ws)
                    .bind(stored_phone(i))
                    .fetch_one(app.db.reader())
                    .await
                    .expect("contact")
                    .try_get::<String, _>(0)
                    .expect("name")
            }
        };
        assert_eq!(name_of(70).await, "Customer 70", "skipped");
        assert_eq!(name_of(120).await, "Renamed 120", "created");

        let third: String = HEADER.to_owned()
            + &(60..160)
                .map(|i| format!("Updated {i},{},,{},,\n", phone(i), (i + 1) % 100))
                .collect::<String>();
        let updated = import_file(&app, &owner, &third, "update", false, 30).await;
        assert_eq!(
            (
                updated.created_rows,
                updated.updated_rows,
                updated.skipped_rows,
                updated.error_rows
            ),
            (0, 100, 0, 0),
            "{backend:?}"
        );
        assert_eq!(name_of(70).await, "Updated 70");
        assert_eq!(contacts_in(&app, &ws).await, 160);
        let kept = sqlx::query(
            "SELECT c.email, (SELECT COUNT(*) FROM contact_tags t WHERE t.contact_id = c.id), \
               (SELECT v.value_number FROM contact_field_values v JOIN custom_fields f ON f.id = v.field_id \
                WHERE v.contact_id = c.id AND f.key = 'age'), \
               (SELECT v.value_text FROM contact_field_values v JOIN custom_fields f ON f.id = v.field_id \
                WHERE v.contact_id = c.id AND f.key = 'tier') \
             FROM contacts c WHERE c.workspace_id = $1 AND c.phone = $2",
        )
        .bind(&ws)
        .bind(stored_phone(69))
        .fetch_one(app.db.reader())
        .await
        .expect("contact 69");
        assert_eq!(
            kept.try_get::<String, _>(0).expect("email"),
            "c69@example.com",
            "a blank cell keeps the value"
        );
        assert_eq!(kept.try_get::<i64, _>(1).expect("tags"), 2, "tags stay");
        assert_eq!(
            kept.try_get::<f64, _>(2).expect("age"),
            70.0,
            "a given value replaces"
        );
        assert_eq!(
            kept.try_get::<String, _>(3).expect("tier"),
            "Silver",
            "kept"
        );
    }
}

#[tokio::test]
async fn repeated_rows_in_one_file_are_duplicates_of_the_first_and_a_dry_run_writes_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_browser, ws) = owner_with_workspace(&app, "Repeats").await;
        let owner = member(&app, &ws, "owner").await;
        let csv = format!(
            "name,phone,email,opted_out\n\
             First,{p1},,\n\
             Second,{p2},two@example.com,\n\
             ,{p1},one@example.com,yes\n\
             Other,,two@example.com,\n\
             Third,{p2},one@example.com,\n\
             Fourth,{p4},,\n",
            p1 = phone(1),
            p2 = phone(2),
            p4 = phone(4),
        );
        // Chunks of two: the repeats fall in other chunks than the rows they repeat.
        let dry = import_file(&app, &owner, &csv, "update", true, 2).await;
        assert_eq!(
            (
                dry.status,
                dry.created_rows,
                dry.updated_rows,
                dry.skipped_rows,
                dry.error_rows
            ),
            (ImportStatus::Done, 3, 2, 0, 1),
            "{backend:?}"
        );
        assert_eq!(
            contacts_in(&app, &ws).await,
            0,
            "a dry run makes no contact"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM contact_opt_outs", &[]).await,
            0
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contact_import_errors WHERE import_id = $1",
                &[&dry.id]
            )
            .await,
            1,
            "but it reports"
        );
        let reason: String =
            sqlx::query("SELECT reason FROM contact_import_errors WHERE import_id = $1")
                .bind(&dry.id)
                .fetch_one(app.db.reader())
                .await
                .expect("error")
                .try_get(0)
                .expect("reason");
        assert_eq!(
            reason,
            "The phone number and the email address belong to two different contacts."
        );

        // The same import, for real now.
        import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &dry.id,
            dry.mapping.clone(),
            "update",
            false,
        )
        .await
        .expect("a finished dry run starts again");
        work_all(&app, 2).await;
        let real = import::get(&app.db, &owner, &dry.id).await.expect("get");
        assert_eq!(
            (
                real.dry_run,
                real.created_rows,
                real.updated_rows,
                real.skipped_rows,
                real.error_rows
            ),
            (false, 3, 2, 0, 1),
            "{backend:?}"
        );
        assert_eq!(contacts_in(&app, &ws).await, 3);
        let first = sqlx::query("SELECT id, name, email FROM contacts WHERE phone = $1")
            .bind(stored_phone(1))
            .fetch_one(app.db.reader())
            .await
            .expect("first");
        assert_eq!(
            first.try_get::<String, _>(1).expect("name"),
            "First",
            "a blank name keeps it"
        );
        assert_eq!(
            first.try_get::<String, _>(2).expect("email"),
            "one@example.com"
        );
        let first_id: String = first.try_get(0).expect("id");
        let opt_outs =
            sqlx::query("SELECT reason, source FROM contact_opt_outs WHERE contact_id = $1")
                .bind(&first_id)
                .fetch_all(app.db.reader())
                .await
                .expect("opt-outs");
        assert_eq!(opt_outs.len(), 5, "every channel kind");
        assert_eq!(
            opt_outs[0].try_get::<String, _>(0).expect("reason"),
            "Imported as opted out"
        );
        assert_eq!(
            opt_outs[0].try_get::<String, _>(1).expect("source"),
            "import"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contact_import_errors WHERE import_id = $1",
                &[&dry.id]
            )
            .await,
            1,
            "the dry run's report was replaced, not added to"
        );

        // With skip, every repeat is skipped.
        let csv = format!("phone,name\n{p},A\n{p},B\n{p},C\n", p = phone(9));
        let skipped = import_file(&app, &owner, &csv, "skip", false, 2).await;
        assert_eq!((skipped.created_rows, skipped.skipped_rows), (1, 2));
    }
}

#[tokio::test]
async fn a_worker_dying_mid_chunk_leaves_nothing_of_it_and_the_next_resumes_exactly_there() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_browser, ws) = owner_with_workspace(&app, "Crash").await;
        let owner = member(&app, &ws, "owner").await;
        define_fields(&app, &owner).await;
        let csv: String = HEADER.to_owned()
            + &(0..1000)
                .map(|i| customer(i, "Customer"))
                .collect::<String>();
        let summary = import::upload(&app.db, &actor(&owner), &owner, "big.csv", csv.as_bytes())
            .await
            .expect("uploaded");
        import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &summary.id,
            summary.mapping.clone(),
            "update",
            false,
        )
        .await
        .expect("started");

        // The first chunk commits; the worker dies writing the second.
        let crashed = import::work_once_crashing_at(&app.db, &app.bus, "doomed", 100, 150).await;
        assert!(crashed.is_err(), "{backend:?}");
        let view = import::get(&app.db, &owner, &summary.id)
            .await
            .expect("get");
        assert_eq!(
            (view.status, view.processed_rows, view.created_rows),
            (ImportStatus::Running, 100, 100)
        );
        assert_eq!(
            contacts_in(&app, &ws).await,
            100,
            "nothing of the second chunk"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM contact_field_values v JOIN contacts c ON c.id = v.contact_id WHERE c.workspace_id = $1", &[&ws]).await,
            200
        );
        // Its lease still holds: nobody else takes the import yet.
        assert!(
            !import::work_once(&app.db, &app.bus, "rescuer", 100)
                .await
                .expect("work")
        );
        sqlx::query("UPDATE contact_imports SET lease_until = 0 WHERE id = $1")
            .bind(&summary.id)
            .execute(app.db.writer())
            .await
            .expect("lease runs out");
        assert!(
            import::work_once(&app.db, &app.bus, "rescuer", 100)
                .await
                .expect("work")
        );

        let done = import::get(&app.db, &owner, &summary.id)
            .await
            .expect("get");
        assert_eq!(
            (
                done.status,
                done.processed_rows,
                done.created_rows,
                done.updated_rows,
                done.error_rows
            ),
            (ImportStatus::Done, 1000, 1000, 0, 0),
            "{backend:?}"
        );
        assert_eq!(contacts_in(&app, &ws).await, 1000, "every row exactly once");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(DISTINCT phone) FROM contacts WHERE workspace_id = $1",
                &[&ws]
            )
            .await,
            1000
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM contact_field_values v JOIN contacts c ON c.id = v.contact_id WHERE c.workspace_id = $1", &[&ws]).await,
            2000
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM contact_imports i WHERE i.id = $1 AND i.lease_owner IS NULL \
             AND NOT EXISTS (SELECT 1 FROM contact_import_files f WHERE f.import_id = i.id)",
                &[&summary.id]
            )
            .await,
            1,
            "a finished import lets go of its file and its lease"
        );

        // Dying in the second of two chunks written at once (PostgreSQL writes a pair
        // together) keeps the first and nothing of the second.
        let csv: String = HEADER.to_owned()
            + &(2000..2400)
                .map(|i| customer(i, "Second"))
                .collect::<String>();
        let summary = import::upload(&app.db, &actor(&owner), &owner, "b.csv", csv.as_bytes())
            .await
            .expect("uploaded");
        import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &summary.id,
            summary.mapping.clone(),
            "update",
            false,
        )
        .await
        .expect("started");
        assert!(
            import::work_once_crashing_at(&app.db, &app.bus, "doomed", 100, 250)
                .await
                .is_err()
        );
        let view = import::get(&app.db, &owner, &summary.id)
            .await
            .expect("get");
        assert_eq!(
            (view.processed_rows, view.created_rows),
            (200, 200),
            "{backend:?}"
        );
        assert_eq!(contacts_in(&app, &ws).await, 1200);
        sqlx::query("UPDATE contact_imports SET lease_until = 0 WHERE id = $1")
            .bind(&summary.id)
            .execute(app.db.writer())
            .await
            .expect("lease runs out");
        work_all(&app, 100).await;
        let view = import::get(&app.db, &owner, &summary.id)
            .await
            .expect("get");
        assert_eq!((view.status, view.created_rows), (ImportStatus::Done, 400));
        assert_eq!(contacts_in(&app, &ws).await, 1400);

        // A dry run that dies resumes with what its earlier rows would have made: the
        // repeat of row 50 at row 250 is still a duplicate.
        let mut csv = HEADER.to_owned();
        for i in 0..300 {
            csv.push_str(&customer(if i == 250 { 5050 } else { 5000 + i }, "Dry"));
        }
        let summary = import::upload(&app.db, &actor(&owner), &owner, "dry.csv", csv.as_bytes())
            .await
            .expect("uploaded");
        import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &summary.id,
            summary.mapping.clone(),
            "update",
            true,
        )
        .await
        .expect("started");
        assert!(
            import::work_once_crashing_at(&app.db, &app.bus, "doomed", 100, 220)
                .await
                .is_err()
        );
        sqlx::query("UPDATE contact_imports SET lease_until = 0 WHERE id = $1")
            .bind(&summary.id)
            .execute(app.db.writer())
            .await
            .expect("lease runs out");
        work_all(&app, 100).await;
        let dry = import::get(&app.db, &owner, &summary.id)
            .await
            .expect("get");
        assert_eq!(
            (
                dry.status,
                dry.created_rows,
                dry.updated_rows,
                dry.error_rows
            ),
            (ImportStatus::Done, 299, 1, 0),
            "{backend:?}"
        );
        assert_eq!(contacts_in(&app, &ws).await, 1400);
    }
}

#[tokio::test]
async fn imports_belong_to_their_workspace_and_viewers_cannot_upload() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner_browser, ws) = owner_with_workspace(&app, "Tenancy").await;
        let owner = member(&app, &ws, "owner").await;
        let csv = format!("name,phone\nAna,{}\nBad,+12\n", phone(1));
        let done = import_file(&app, &owner, &csv, "update", false, 10).await;
        assert_eq!(done.error_rows, 1);
        let report_url = format!(
            "{}/w/{ws}/contacts/imports/{}/errors.csv",
            app.base, done.id
        );

        // Another workspace's owner sees nothing of it.
        let mut stranger = app.browser();
        stranger
            .sign_up("Sam", &unique_email("sam"), "password-123")
            .await
            .expect("sign up");
        let theirs = stranger.create_workspace("Elsewhere").await;
        let stranger_member = member(&app, &theirs, "owner").await;
        let res = stranger.client.get(&report_url).send().await.expect("get");
        assert_eq!(res.status(), 404);
        let res = stranger
            .client
            .get(format!(
                "{}/w/{theirs}/contacts/imports/{}/errors.csv",
                app.base, done.id
            ))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 404, "not through their own workspace either");
        let e = import::get(&app.db, &stranger_member, &done.id)
            .await
            .expect_err("not theirs")
            .into_app_error();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert!(
            import::list(&app.db, &stranger_member)
                .await
                .expect("list")
                .is_empty()
        );
        let e = import::start(
            &app.db,
            &actor(&stranger_member),
            &stranger_member,
            &done.id,
            done.mapping.clone(),
            "update",
            false,
        )
        .await
        .expect_err("not theirs")
        .into_app_error();
        assert_eq!(e.code, ErrorCode::NotFound);
        let (status, _) = post_file(&mut stranger, &ws, "x.csv", csv.as_bytes()).await;
        assert_eq!(status, 404, "nor can they upload into it");
        let anonymous = reqwest::get(&report_url).await.expect("get");
        assert_eq!(anonymous.status(), 401);

        // A viewer may read the report but not upload.
        let (mut viewer, _) = member_with_role(&app, &mut owner_browser, &ws, "viewer").await;
        let (status, _) = post_file(&mut viewer, &ws, "x.csv", csv.as_bytes()).await;
        assert_eq!(status, 403);
        let res = viewer.client.get(&report_url).send().await.expect("get");
        assert_eq!(res.status(), 200);
        let viewer_member = member(&app, &ws, "viewer").await;
        let e = import::upload(
            &app.db,
            &actor(&viewer_member),
            &viewer_member,
            "x.csv",
            csv.as_bytes(),
        )
        .await
        .expect_err("viewers do not import")
        .into_app_error();
        assert_eq!(e.code, ErrorCode::Forbidden);

        // A form without the token is refused before the file is read.
        let (content_type, body) = multipart(&[("file", Some("x.csv"), csv.as_bytes())]);
        let res = owner_browser
            .client
            .post(format!("{}/w/{ws}/contacts/imports", app.base))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 403);
        assert_eq!(import::list(&app.db, &owner).await.expect("list").len(), 1);
    }
}

#[tokio::test]
async fn hostile_files_are_refused_or_kept_as_text_and_the_report_runs_no_formulas() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut browser, ws) = owner_with_workspace(&app, "Hostile").await;
        let owner = member(&app, &ws, "owner").await;
        let names = [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "<script>alert(1)</script>",
            "'; DROP TABLE contacts; --",
        ];
        let mut csv = "name,phone,email\n".to_owned();
        for (i, name) in names.iter().enumerate() {
            csv.push_str(&format!(
                "\"{}\",{},\n",
                name.replace('"', "\"\""),
                phone(i)
            ));
        }
        csv.push_str("=cmd|' /C calc'!A0,+12,\n");
        csv.push_str("@SUM(A1),,bad@\n");
        let done = import_file(&app, &owner, &csv, "update", false, 100).await;
        assert_eq!((done.created_rows, done.error_rows), (3, 2), "{backend:?}");
        for (i, name) in names.iter().enumerate() {
            let stored: String = sqlx::query("SELECT name FROM contacts WHERE phone = $1")
                .bind(stored_phone(i))
                .fetch_one(app.db.reader())
                .await
                .expect("contact")
                .try_get(0)
                .expect("name");
            assert_eq!(stored, *name, "kept exactly as text");
        }
        let res = browser
            .client
            .get(format!(
                "{}/w/{ws}/contacts/imports/{}/errors.csv",
                app.base, done.id
            ))
            .send()
            .await
            .expect("report");
        let text = res.text().await.expect("body");
        let report = csv_records(&text);
        assert_eq!(report[1][2], "'=cmd|' /C calc'!A0,+12,", "{text}");
        assert_eq!(report[2][2], "'@SUM(A1),,bad@");
        for record in &report[1..] {
            for cell in record {
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
            }
        }

        // Files that are not CSV or JSON are refused with a reason and keep nothing.
        for (name, bytes, reason) in [
            ("photo.csv", crate::helpers::PNG.to_vec(), "not a text file"),
            ("empty.csv", Vec::new(), "Choose a CSV or JSON file"),
            ("header.csv", b"name,phone\n".to_vec(), "no rows"),
            (
                "broken.json",
                b"[{\"name\": \"A\", \"phone\": }]".to_vec(),
                "JSON cannot be read at line 1",
            ),
        ] {
            let (status, location) = post_file(&mut browser, &ws, name, &bytes).await;
            assert_eq!(status, 303, "{name}");
            assert!(
                location.starts_with(&format!("/w/{ws}/contacts/imports?notice=")),
                "{name}: {location}"
            );
            let notice = location.replace("%20", " ");
            assert!(notice.contains(reason), "{name}: {notice}");
        }
        assert_eq!(import::list(&app.db, &owner).await.expect("list").len(), 1);

        // JSON: a list of flat objects; nested values refuse their row.
        let json = format!(
            "[{{\"name\": \"Jo\", \"phone\": \"{}\", \"vip\": true}},\n {{\"name\": \"Ky\", \"phone\": \"{}\", \"tags\": [\"a\"]}}]",
            phone(20),
            phone(21)
        );
        let (status, location) = post_file(&mut browser, &ws, "people.json", json.as_bytes()).await;
        assert_eq!(status, 303);
        let id = location.rsplit('/').next().expect("id").to_owned();
        let uploaded = import::get(&app.db, &owner, &id).await.expect("get");
        assert_eq!(uploaded.headers, ["name", "phone", "vip", "tags"]);
        assert_eq!(uploaded.mapping, ["name", "phone", "", "tags"]);
        import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &id,
            uploaded.mapping.clone(),
            "update",
            false,
        )
        .await
        .expect("started");
        work_all(&app, 100).await;
        let done = import::get(&app.db, &owner, &id).await.expect("get");
        assert_eq!((done.created_rows, done.error_rows), (1, 1));
        let reason: String = sqlx::query(
            "SELECT reason FROM contact_import_errors WHERE import_id = $1 AND line = 3",
        )
        .bind(&id)
        .fetch_one(app.db.reader())
        .await
        .expect("error on line 3")
        .try_get(0)
        .expect("reason");
        assert!(reason.starts_with("tags: a list or an object"), "{reason}");

        // A mapping naming what the workspace does not have is refused.
        let csv = format!("name,phone\nA,{}\n", phone(30));
        let summary = import::upload(&app.db, &actor(&owner), &owner, "m.csv", csv.as_bytes())
            .await
            .expect("uploaded");
        for mapping in [
            vec!["name".to_owned(), "field.nope".to_owned()],
            vec!["phone".to_owned(), "phone".to_owned()],
            vec!["name".to_owned(), String::new()],
            vec!["'; DROP TABLE contacts; --".to_owned(), "phone".to_owned()],
        ] {
            let e = import::start(
                &app.db,
                &actor(&owner),
                &owner,
                &summary.id,
                mapping.clone(),
                "update",
                false,
            )
            .await
            .expect_err("refused")
            .into_app_error();
            assert_eq!(e.field(), Some("mapping"), "{mapping:?}");
        }
        let e = import::start(
            &app.db,
            &actor(&owner),
            &owner,
            &summary.id,
            summary.mapping.clone(),
            "merge",
            false,
        )
        .await
        .expect_err("refused")
        .into_app_error();
        assert_eq!(e.field(), Some("on_duplicate"));
        let still = import::get(&app.db, &owner, &summary.id)
            .await
            .expect("get");
        assert_eq!(
            still.status,
            ImportStatus::Uploaded,
            "a refusal changes nothing"
        );
    }
}

#[tokio::test]
async fn required_fields_need_a_value_or_a_default_on_new_contacts_only() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_browser, ws) = owner_with_workspace(&app, "Required").await;
        let owner = member(&app, &ws, "owner").await;
        let first = format!("name,phone\nOld,{}\n", phone(1));
        import_file(&app, &owner, &first, "update", false, 10).await;
        for input in [
            DefinitionInput {
                key: "region".into(),
                label: "Region".into(),
                kind: "text".into(),
                required: true,
                ..DefinitionInput::default()
            },
            DefinitionInput {
                key: "plan".into(),
                label: "Plan".into(),
                kind: "select".into(),
                options: "Free\nPro".into(),
                required: true,
                default_value: "Free".into(),
                ..DefinitionInput::default()
            },
        ] {
            definitions::create(&app.db, &actor(&owner), &owner, FieldScope::Contact, &input)
                .await
                .expect("field");
        }
        let csv = format!(
            "name,phone,region\nOld again,{},\nNew,{},\nNewer,{},North\n",
            phone(1),
            phone(2),
            phone(3)
        );
        let done = import_file(&app, &owner, &csv, "update", false, 10).await;
        assert_eq!(
            (done.created_rows, done.updated_rows, done.error_rows),
            (1, 1, 1),
            "{backend:?}"
        );
        let reason: String = sqlx::query(
            "SELECT reason FROM contact_import_errors WHERE import_id = $1 AND line = 3",
        )
        .bind(&done.id)
        .fetch_one(app.db.reader())
        .await
        .expect("line 3")
        .try_get(0)
        .expect("reason");
        assert_eq!(reason, "region: Region is required.");
        let plan: String = sqlx::query(
            "SELECT v.value_text FROM contact_field_values v JOIN custom_fields f ON f.id = v.field_id \
             JOIN contacts c ON c.id = v.contact_id WHERE f.key = 'plan' AND c.phone = $1",
        )
        .bind(stored_phone(3))
        .fetch_one(app.db.reader())
        .await
        .expect("the default")
        .try_get(0)
        .expect("text");
        assert_eq!(plan, "Free");
    }
}

/// Makes an "inbound message" create the contact with `phone` at the moment the import
/// makes the tag `racy`: after the chunk looked its addresses up, before it inserts.
async fn race_on_tag(app: &TestApp, phone: &str) {
    let statements: Vec<String> = match app.db.backend() {
        msgbuddy_core::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER race AFTER INSERT ON tags WHEN NEW.name = 'racy' BEGIN \
             INSERT INTO contacts (id, workspace_id, is_test, name, phone, created_at, updated_at) \
             VALUES ('ct_race', NEW.workspace_id, 0, 'Inbound', '{phone}', 0, 0); END"
        )],
        msgbuddy_core::Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION race() RETURNS trigger AS $$ BEGIN IF NEW.name = 'racy' THEN \
                 INSERT INTO contacts (id, workspace_id, is_test, name, phone, created_at, updated_at) \
                 VALUES ('ct_race', NEW.workspace_id, 0, 'Inbound', '{phone}', 0, 0); END IF; RETURN NEW; END $$ \
                 LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER race AFTER INSERT ON tags FOR EACH ROW EXECUTE FUNCTION race()"
                .to_owned(),
        ],
    };
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.db.writer())
            .await
            .expect("trigger");
    }
}

#[tokio::test]
async fn a_contact_made_meanwhile_by_an_inbound_message_is_a_duplicate_found_late() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (_browser, ws) = owner_with_workspace(&app, "Race").await;
        let owner = member(&app, &ws, "owner").await;
        race_on_tag(&app, &stored_phone(77)).await;
        let csv = format!(
            "name,phone,tags\nAna,{},racy\nBo,{},\n",
            phone(77),
            phone(78)
        );
        let done = import_file(&app, &owner, &csv, "update", false, 10).await;
        assert_eq!(
            (
                done.status,
                done.created_rows,
                done.updated_rows,
                done.error_rows
            ),
            (ImportStatus::Done, 1, 1, 0),
            "{backend:?}: {:?}",
            done.error
        );
        assert_eq!(contacts_in(&app, &ws).await, 2);
        let ana = sqlx::query(
            "SELECT c.name, (SELECT COUNT(*) FROM contact_tags t WHERE t.contact_id = c.id) \
             FROM contacts c WHERE c.id = 'ct_race'",
        )
        .fetch_one(app.db.reader())
        .await
        .expect("the inbound contact");
        assert_eq!(
            ana.try_get::<String, _>(0).expect("name"),
            "Ana",
            "updated, not duplicated"
        );
        assert_eq!(ana.try_get::<i64, _>(1).expect("tags"), 1);
    }
}
