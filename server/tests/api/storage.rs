//! Storage on both backends: the schemas match, and one story runs the same on each.

use crate::helpers::{Story, TestDb, backends, test_config};
use msgbuddy_core::{Backend, Db, audit, invitations, members, workspaces};
use msgbuddy_domain::values::{Email, NewPassword, PersonName};
use msgbuddy_domain::{Permission, Role};
use sqlx::Row;
use std::collections::BTreeSet;

const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");

/// Tables of SQLite's own search index beside FTS5's (PostgreSQL's GIN index needs none).
const SQLITE_SEARCH_TABLES: &[&str] = &["search_cursor"];

/// The tables and columns every backend has: `columns` without SQLite's search tables.
fn shared(columns: BTreeSet<String>) -> BTreeSet<String> {
    columns
        .into_iter()
        .filter(|c| {
            !SQLITE_SEARCH_TABLES
                .iter()
                .any(|t| c.starts_with(&format!("{t}.")))
        })
        .collect()
}

/// `table.column` for every column a migration folder creates, read from its SQL.
fn columns_in_sql(dir: &str) -> BTreeSet<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("migrations dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut out = BTreeSet::new();
    for file in files {
        let sql = std::fs::read_to_string(file).expect("migration");
        for stmt in sql.split(';') {
            // `ALTER TABLE t ADD COLUMN c ...` adds one column.
            if let Some((table, column)) = stmt
                .split_once("ALTER TABLE ")
                .and_then(|(_, r)| r.split_once(" ADD COLUMN "))
            {
                let column = column.split_whitespace().next().unwrap_or("");
                out.insert(format!("{}.{column}", table.trim()));
                continue;
            }
            // `ALTER TABLE t DROP COLUMN c` removes one.
            if let Some((table, column)) = stmt
                .split_once("ALTER TABLE ")
                .and_then(|(_, r)| r.split_once(" DROP COLUMN "))
            {
                let column = column.split_whitespace().next().unwrap_or("");
                out.remove(&format!("{}.{column}", table.trim()));
                continue;
            }
            let Some(rest) = stmt
                .trim_start()
                .split_once("CREATE TABLE ")
                .map(|(_, r)| r)
            else {
                continue;
            };
            let (table, body) = rest.split_once('(').expect("table body");
            for line in body.lines().map(str::trim) {
                let first = line.split_whitespace().next().unwrap_or("");
                let is_column = !first.is_empty()
                    && !["CONSTRAINT", "PRIMARY", "FOREIGN", "UNIQUE", ")", "--"]
                        .iter()
                        .any(|k| first.starts_with(k));
                if is_column {
                    out.insert(format!("{}.{}", table.trim(), first.trim_end_matches(',')));
                }
            }
        }
    }
    out
}

#[test]
fn both_migration_folders_define_the_same_tables_and_columns() {
    let sqlite = columns_in_sql(&format!("{MIGRATIONS}/sqlite"));
    let postgres = columns_in_sql(&format!("{MIGRATIONS}/postgres"));
    assert!(
        sqlite.contains("users.email") && sqlite.contains("workspace_events.seq"),
        "{sqlite:?}"
    );
    assert!(
        sqlite.contains("search_cursor.indexed_through"),
        "{sqlite:?}"
    );
    assert_eq!(shared(sqlite), postgres);
}

async fn live_columns(db: &Db) -> BTreeSet<String> {
    let sql = match db.backend() {
        // Only plain tables: a full-text index (FTS5's virtual table and its shadow
        // tables) is the backend's own, as PostgreSQL's GIN index is.
        Backend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
             JOIN pragma_table_list t ON t.name = m.name AND t.schema = 'main' \
             WHERE m.type = 'table' AND t.type = 'table' \
             AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_%' ESCAPE '\\'"
        }
        Backend::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%'"
        }
    };
    let rows = sqlx::query(sql)
        .fetch_all(db.reader())
        .await
        .expect("schema query");
    rows.iter()
        .map(|r| {
            format!(
                "{}.{}",
                r.try_get::<String, _>(0).expect("table"),
                r.try_get::<String, _>(1).expect("column")
            )
        })
        .collect()
}

#[tokio::test]
async fn migrated_databases_have_the_same_tables_and_columns_on_every_backend() {
    let expected = columns_in_sql(&format!("{MIGRATIONS}/sqlite"));
    for backend in backends() {
        let test_db = TestDb::new(backend).await;
        let db = server::startup::open_db(&test_config(&test_db, &[]))
            .await
            .expect("open");
        let expected = match backend {
            Backend::Sqlite => expected.clone(),
            Backend::Postgres => shared(expected.clone()),
        };
        assert_eq!(live_columns(&db).await, expected, "{}", backend.as_str());
        db.migrate().await.expect("migrating twice is a no-op");
    }
}

/// The foundation's story, straight through the services, on each backend.
#[tokio::test]
async fn the_foundation_story_runs_the_same_on_every_backend() {
    for backend in backends() {
        let test_db = TestDb::new(backend).await;
        let Story {
            db,
            bus,
            actor,
            member,
            ..
        } = Story::begin(&test_db, "Story").await;
        let agent = msgbuddy_core::accounts::sign_up(
            &db,
            &Email::parse("a@example.com").expect("e"),
            &PersonName::parse("A").expect("n"),
            &NewPassword::parse("password-123").expect("pw"),
        )
        .await
        .expect("agent");
        let ws_id = member.workspace_id.clone();
        let invite = invitations::create(&bus, &member, &actor, None, Role::Agent, 60_000)
            .await
            .expect("invite");
        invitations::accept(&bus, &agent, None, &invite.token)
            .await
            .expect("accept");
        members::change_role(&bus, &member, &actor, &agent.id, Role::Supervisor)
            .await
            .expect("role");
        let listed = members::list(&db, &member).await.expect("list");
        assert_eq!(
            listed.iter().map(|m| m.role).collect::<Vec<_>>(),
            vec![Role::Owner, Role::Supervisor]
        );
        members::remove(&bus, &member, &actor, &agent.id)
            .await
            .expect("remove");
        assert!(
            workspaces::access(&db, &agent.id, &ws_id, Permission::WorkspaceView)
                .await
                .is_err()
        );

        let events = bus.events_after(&ws_id, 0, 100).await.expect("events");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=events.len() as i64).collect::<Vec<_>>(),
            "gap-free per-workspace sequence"
        );
        let names: Vec<&str> = events.iter().map(|e| e.event.name()).collect();
        assert_eq!(
            names,
            vec![
                "invitation.created",
                "invitation.accepted",
                "member.joined",
                "member.role_changed",
                "member.removed"
            ]
        );
        let log = audit::list(&db, &ws_id, &Default::default())
            .await
            .expect("audit");
        let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "workspace.created",
                "invitation.created",
                "invitation.accepted",
                "member.role_changed",
                "member.removed"
            ]
        );
        assert!(
            log.iter()
                .filter(|e| e.action != "invitation.accepted")
                .all(|e| e.ip.as_deref() == Some("10.0.0.1"))
        );
        db.close().await;
    }
}

#[tokio::test]
async fn concurrent_writers_never_lose_an_event_sequence_number() {
    for backend in backends() {
        let test_db = TestDb::new(backend).await;
        let Story {
            db,
            bus,
            actor,
            member,
            ..
        } = Story::begin(&test_db, "Busy").await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (bus, member, actor) = (bus.clone(), member.clone(), actor.clone());
                tokio::spawn(async move {
                    invitations::create(&bus, &member, &actor, None, Role::Viewer, 60_000).await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task").expect("invitation");
        }
        let seqs: Vec<i64> = bus
            .events_after(&member.workspace_id, 0, 100)
            .await
            .expect("events")
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>(), "{}", backend.as_str());
        db.close().await;
    }
}
