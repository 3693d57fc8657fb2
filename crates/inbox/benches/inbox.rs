//! The inbox at scale: a workspace of 100,000 conversations and 1,000,000 messages, seeded
//! straight into the database, then the server time of what an agent does all day, each
//! through the inbox's own functions as the server functions call them:
//!
//! - the first page of the conversation list (All, Mine, Unassigned, Resolved; 25 rows),
//! - a 50-message thread page (the newest, and one deep in a 1,000-message history),
//! - a search (a word in every eighth message, a word in 100, two words never together).
//!
//! Targets: p95 under 15 ms for the list, 5 ms for the thread page, 50 ms for search.
//! `cargo bench -p msgbuddy-inbox --bench inbox`; on PostgreSQL too when
//! `TEST_DATABASE_URL=postgres://...` is set; `BENCH_CONVERSATIONS`, `BENCH_MESSAGES` and
//! `BENCH_ROUNDS` change the sizes.

use msgbuddy_core::crypto::MasterKeys;
use msgbuddy_core::events::EventBus;
use msgbuddy_core::workspaces::{self, Member};
use msgbuddy_core::{Backend, Db, seed};
use msgbuddy_domain::Permission;
use msgbuddy_inbox::search::{self, Search};
use msgbuddy_inbox::views::{self, Query, View};
use msgbuddy_messaging::{Messaging, accounts, messages};
use std::future::Future;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Conversations with a long history (1,000 messages each of the first 100,000).
const LONG: i64 = 100;
/// Words the messages say, one each, in turn; `zephyr` in one message of 10,000.
const WORDS: [&str; 8] = [
    "parcel", "refund", "invoice", "delivery", "damaged", "address", "courier", "thanks",
];

fn from_env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let conversations = from_env("BENCH_CONVERSATIONS", 100_000);
    let messages = from_env("BENCH_MESSAGES", 1_000_000);
    let rounds = from_env("BENCH_ROUNDS", 200);
    let dir = std::env::temp_dir().join(format!("msgbuddy-inbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut targets = vec![(
        "SQLite".to_owned(),
        format!("sqlite://{}/bench.db", dir.display()),
    )];
    let admin = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|a| a.starts_with("postgres"));
    if let Some(admin) = &admin {
        targets.push((
            "PostgreSQL".to_owned(),
            msgbuddy_core::scratch::create_postgres(admin, &bench_database()).await?,
        ));
    }
    println!(
        "msgbuddy inbox benchmark: {conversations} conversations, {messages} messages, {rounds} rounds each, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    for (name, url) in targets {
        let db = Db::connect(&url, 16).await?;
        db.migrate().await?;
        println!("\n{name}");
        run(&db, conversations, messages, rounds).await?;
        db.close().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(admin) = &admin {
        msgbuddy_core::scratch::drop_postgres(admin, &bench_database()).await?;
    }
    Ok(())
}

async fn run(db: &Db, conversations: i64, messages: i64, rounds: i64) -> Result<(), BoxError> {
    let bus = EventBus::start(db.clone()).await?;
    let m = Messaging::new(
        bus.clone(),
        MasterKeys::parse(&MasterKeys::generate_spec())?,
        msgbuddy_channels::registry::Endpoints::default(),
        "http://127.0.0.1:3000",
        std::sync::Arc::new(msgbuddy_media::store::LocalStore::new(
            std::env::temp_dir().join("msgbuddy_inbox_bench_media"),
        )),
    );
    let demo = seed::seed_demo(&bus).await?;
    let owner = workspaces::access(
        db,
        &demo.user_id,
        &demo.workspace_id,
        Permission::SettingsEdit,
    )
    .await?;
    let channel = accounts::ensure_sandbox(&m, &demo.workspace_id).await?;

    let start = Instant::now();
    seed_inbox(db, &owner, &channel, conversations, messages).await?;
    println!("  seeded in {:.1} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    msgbuddy_inbox::search_index::catch_up(db).await?;
    if db.backend() == Backend::Sqlite {
        println!(
            "  search index caught up with {messages} messages in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }

    for view in [View::All, View::Mine, View::Unassigned, View::Resolved] {
        let q = Query {
            view,
            limit: 25,
            ..Query::default()
        };
        let t = time(rounds, |_| async {
            let page = views::list(&m, &owner, &q).await?;
            expect(page.conversations.len() == 25, "a full first page")
        })
        .await?;
        report(&format!("list, first page of {}", view.as_str()), &t, 15.0);
    }

    let newest = time(rounds, |i| {
        let (m, owner) = (&m, &owner);
        async move {
            let id = format!("bcv_{}", i % LONG + 1);
            let page = messages::thread(m, owner, &id, None, 50).await?;
            expect(page.len() == 50, "50 messages")
        }
    })
    .await?;
    report("thread, newest 50 of 1,000", &newest, 5.0);
    // A cursor halfway back: the message 500 places from the newest.
    let deep = time(rounds, |i| {
        let (m, owner) = (&m, &owner);
        async move {
            let n = i % LONG + 1;
            let id = format!("bcv_{n}");
            let before = format!("bms_{}", n + LONG * 500);
            let page = messages::thread(m, owner, &id, Some(&before), 50).await?;
            expect(page.len() == 50, "50 older messages")
        }
    })
    .await?;
    report("thread, 50 from halfway back", &deep, 5.0);

    for (label, text) in [
        ("search, a word in every 8th message", "parcel"),
        ("search, a word in 1 of 10,000", "zephyr"),
        ("search, two words never together", "parcel refund"),
    ] {
        let t = time(rounds, |_| async {
            let found = search::search(
                &m,
                &owner,
                &Search {
                    text: text.to_owned(),
                    limit: 25,
                    ..Search::default()
                },
            )
            .await?;
            let expected = match text {
                "parcel" => 25,
                "zephyr" => 25.min(usize::try_from(messages / 10_000).unwrap_or(0)),
                _ => 0,
            };
            expect(found.hits.len() == expected, "the expected number of hits")
        })
        .await?;
        report(label, &t, 50.0);
    }
    Ok(())
}

fn expect(ok: bool, what: &str) -> Result<(), BoxError> {
    if ok {
        Ok(())
    } else {
        Err(format!("the benchmark's query did not return {what}").into())
    }
}

/// Each round's time, sorted, after a warm-up of a tenth as many rounds.
async fn time<F, Fut>(rounds: i64, mut run: F) -> Result<Vec<Duration>, BoxError>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<(), BoxError>>,
{
    for i in 0..rounds / 10 {
        run(i).await?;
    }
    let mut times = Vec::new();
    for i in 0..rounds {
        let start = Instant::now();
        run(i).await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times)
}

fn report(what: &str, sorted: &[Duration], target_ms: f64) {
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[i].as_secs_f64() * 1000.0
    };
    let p95 = at(0.95);
    println!(
        "  {what:<40} p50 {:>7.2} ms   p95 {p95:>7.2} ms   (target p95 < {target_ms} ms: {})",
        at(0.5),
        if p95 < target_ms { "met" } else { "NOT MET" }
    );
}

/// The workspace's contacts, conversations and messages, written by the database itself.
/// Every tenth conversation is resolved and every third the owner's; the first [`LONG`]
/// have 1,000 messages each, the rest about nine. Message `i` is the `i`-th stored, a
/// millisecond after the one before.
async fn seed_inbox(
    db: &Db,
    owner: &Member,
    channel: &str,
    conversations: i64,
    messages: i64,
) -> Result<(), BoxError> {
    let t0: i64 = 1_700_000_000_000;
    let numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)";
    let mut tx = db.begin_write().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{numbers} INSERT INTO contacts (id, workspace_id, is_test, name, phone, created_at, updated_at) \
         SELECT 'bct_' || i, $2, 0, 'Customer ' || i, '+1555' || i, $3, $3 FROM n"
    )))
    .bind(conversations)
    .bind(&owner.workspace_id)
    .bind(t0)
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{numbers} INSERT INTO conversations (id, workspace_id, is_test, channel_account_id, contact_id, status, \
           last_message_at, last_message_preview, unread_count, created_at, updated_at, assignee_id) \
         SELECT 'bcv_' || i, $2, 0, $3, 'bct_' || i, CASE WHEN i % 10 = 0 THEN 'resolved' ELSE 'open' END, \
           $4 + i * 10, 'Order ' || i, 0, $4, $4, CASE WHEN i % 3 = 0 THEN $5 END FROM n"
    )))
    .bind(conversations)
    .bind(&owner.workspace_id)
    .bind(channel)
    .bind(t0)
    .bind(&owner.user_id)
    .execute(&mut *tx)
    .await?;
    let word = WORDS
        .iter()
        .enumerate()
        .map(|(k, w)| format!("WHEN {k} THEN '{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let long_messages = LONG * 1_000;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{numbers}, b(i, c, body) AS (SELECT i, \
             CASE WHEN i <= {long_messages} THEN (i - 1) % {LONG} + 1 ELSE (i - 1) % $2 + 1 END, \
             'Order ' || i || ' ' || CASE WHEN i % 10000 = 0 THEN 'zephyr' ELSE CASE i % 8 {word} END END FROM n) \
         INSERT INTO messages (id, workspace_id, is_test, conversation_id, channel_account_id, contact_id, direction, \
           kind, content, preview, status, source, created_at, updated_at) \
         SELECT 'bms_' || i, $3, 0, 'bcv_' || c, $4, 'bct_' || c, \
           CASE WHEN i % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'text', \
           '{{\"type\":\"text\",\"body\":\"' || body || '\"}}', body, \
           CASE WHEN i % 2 = 0 THEN 'received' ELSE 'delivered' END, 'bench', $5 + i, $5 + i FROM b"
    )))
    .bind(messages)
    .bind(conversations)
    .bind(&owner.workspace_id)
    .bind(channel)
    .bind(t0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if db.backend() == Backend::Postgres {
        // What autovacuum does on its own after a load like this: statistics for the
        // planner, and the GIN index's pending list merged into the index.
        sqlx::query("VACUUM ANALYZE").execute(db.writer()).await?;
    }
    Ok(())
}

fn bench_database() -> String {
    format!("msgbuddy_inbox_bench_{}", std::process::id())
}
