//! The message pipeline's throughput, on SQLite and (with `TEST_DATABASE_URL=postgres://...`)
//! on PostgreSQL:
//!
//! - **messages/s end to end**: partner-API sends ([`api::send`]: key's workspace, rules,
//!   contact and conversation found or created, message stored `pending` with its event),
//!   drained by the real dispatcher through the Sandbox adapter, whose `sent`, `delivered`
//!   and `read` receipts are stored as signed webhook deliveries and processed by the real
//!   webhook processor, each status kept in the history and raised as a live event, with
//!   the search indexer running beside them as in the server's worker. The clock stops
//!   when the last message is `read`.
//! - **webhook events/s**: signed Sandbox webhooks (one customer message each) verified and
//!   stored by [`inbound::receive`], then processed into contacts, conversations and
//!   messages.
//! - **raw batched inserts/s** into the same database, for scale.
//!
//! `cargo bench -p msgbuddy-messaging --bench pipeline`; `BENCH_MESSAGES` and
//! `BENCH_WEBHOOKS` set the counts (20,000 and 50,000). The Sandbox channel's rate is lifted
//! for the run so the pipeline, not the channel's configured limit, is what is measured.

use msgbuddy_channels::WebhookRequest;
use msgbuddy_channels::sandbox::{SandboxEvent, SandboxWebhook};
use msgbuddy_core::crypto::MasterKeys;
use msgbuddy_core::events::EventBus;
use msgbuddy_core::seed;
use msgbuddy_core::workspaces::{self, Member};
use msgbuddy_core::{Actor, Db};
use msgbuddy_domain::Permission;
use msgbuddy_domain::message::Content;
use msgbuddy_messaging::api::SendRequest;
use msgbuddy_messaging::api_keys::{self, Caller, Mode};
use msgbuddy_messaging::{Messaging, accounts, api, dispatch, inbound};
use sqlx::Row;
use std::sync::Arc;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let messages = count_from_env("BENCH_MESSAGES", 20_000);
    let webhooks = count_from_env("BENCH_WEBHOOKS", 50_000);
    let dir = std::env::temp_dir().join(format!("msgbuddy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut targets = vec![(
        "SQLite".to_owned(),
        format!("sqlite://{}/bench.db", dir.display()),
    )];
    if let Ok(admin) = std::env::var("TEST_DATABASE_URL")
        && admin.starts_with("postgres")
    {
        targets.push((
            "PostgreSQL".to_owned(),
            msgbuddy_core::scratch::create_postgres(&admin, &bench_database()).await?,
        ));
    }
    println!(
        "msgbuddy pipeline benchmark: {messages} messages, {webhooks} webhooks, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    for (name, url) in targets {
        let db = Db::connect(&url, 16).await?;
        db.migrate().await?;
        let report = run(&db, messages, webhooks).await?;
        println!("\n{name}");
        println!(
            "  end to end (API -> dispatcher -> Sandbox -> sent, delivered, read): {:>8.0} messages/s  ({messages} in {:.2} s; API accepted {:.0}/s)",
            per_sec(messages, report.pipeline),
            report.pipeline.as_secs_f64(),
            per_sec(messages, report.accepted),
        );
        println!(
            "  webhook events verified and stored (processor paused):             {:>8.0} events/s    ({webhooks} in {:.2} s)",
            per_sec(webhooks, report.received),
            report.received.as_secs_f64()
        );
        println!(
            "  stored events processed into contacts, conversations, messages:   {:>8.0} events/s    ({webhooks} in {:.2} s)",
            per_sec(webhooks, report.processed),
            report.processed.as_secs_f64()
        );
        println!(
            "  raw batched inserts (500 rows a statement, one transaction each):   {:>8.0} rows/s",
            report.raw_inserts_per_sec
        );
        db.close().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Ok(admin) = std::env::var("TEST_DATABASE_URL")
        && admin.starts_with("postgres")
    {
        msgbuddy_core::scratch::drop_postgres(&admin, &bench_database()).await?;
    }
    Ok(())
}

fn bench_database() -> String {
    format!("msgbuddy_bench_{}", std::process::id())
}

fn per_sec(n: usize, d: Duration) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = n as f64;
    n / d.as_secs_f64().max(1e-9)
}

struct Report {
    accepted: Duration,
    pipeline: Duration,
    received: Duration,
    processed: Duration,
    raw_inserts_per_sec: f64,
}

async fn run(db: &Db, messages: usize, webhooks: usize) -> Result<Report, BoxError> {
    let bus = EventBus::start(db.clone()).await?;
    let keys = MasterKeys::parse(&MasterKeys::generate_spec())?;
    let m = Messaging::new(
        bus.clone(),
        keys,
        msgbuddy_channels::registry::Endpoints::default(),
        "http://127.0.0.1:3000",
        std::sync::Arc::new(msgbuddy_media::store::LocalStore::new(
            std::env::temp_dir().join("msgbuddy_bench_media"),
        )),
    );
    let demo = seed::seed_demo(&bus).await?;
    let member = workspaces::access(
        db,
        &demo.user_id,
        &demo.workspace_id,
        Permission::SettingsEdit,
    )
    .await?;
    let sandbox = accounts::ensure_sandbox(&m, &demo.workspace_id).await?;
    // Receipts at once, and no channel limit: the pipeline is what is measured.
    sqlx::query(
        "UPDATE channel_accounts SET rate_per_sec = 1000000, \
         settings = '{\"sent_after_ms\":0,\"delivered_after_ms\":0,\"read_after_ms\":0}' WHERE id = $1",
    )
    .bind(&sandbox)
    .execute(db.writer())
    .await?;
    // Read back as the adapter reads them: a delay left at its default would measure the
    // Sandbox's waiting, not the pipeline.
    let stored: String = sqlx::query("SELECT settings FROM channel_accounts WHERE id = $1")
        .bind(&sandbox)
        .fetch_one(db.reader())
        .await?
        .try_get(0)?;
    let delays = msgbuddy_channels::registry::sandbox_settings(&serde_json::from_str(&stored)?);
    if (
        delays.sent_after_ms,
        delays.delivered_after_ms,
        delays.read_after_ms,
    ) != (0, 0, 0)
    {
        return Err(format!("the Sandbox's receipt delays did not take: {delays:?}").into());
    }
    let caller = caller(&m, &member, &demo.user_id).await?;

    let (shutdown_tx, shutdown) = tokio::sync::watch::channel(false);
    let dispatcher = tokio::spawn(dispatch::run(
        m.clone(),
        "bench".to_owned(),
        dispatch::Settings::default(),
        shutdown.clone(),
    ));
    let (processor_stop, processor_shutdown) = tokio::sync::watch::channel(false);
    let processor = tokio::spawn(inbound::run(m.clone(), processor_shutdown));
    // SQLite's search index is kept by the worker, so it shares the writer here too.
    let indexer = tokio::spawn(msgbuddy_inbox::search_index::run(
        db.clone(),
        Duration::from_secs(1),
        shutdown.clone(),
    ));

    let start = Instant::now();
    let caller = Arc::new(caller);
    let callers = count_from_env("BENCH_CALLERS", 16);
    let senders: Vec<_> = (0..callers)
        .map(|task| {
            let (m, caller) = (m.clone(), caller.clone());
            tokio::spawn(async move {
                for i in (task..messages).step_by(callers) {
                    let req = send_request(i);
                    api::send(&m, &caller, &req).await?;
                }
                Ok::<_, msgbuddy_core::Error>(())
            })
        })
        .collect();
    for s in senders {
        s.await??;
    }
    let accepted = start.elapsed();
    // Every message is stored by now; counting the few not yet read (an index range that
    // shrinks) keeps the poll from competing with the pipeline, as counting the read ones
    // (a range that grows to all of them) would.
    wait_until(
        db,
        "SELECT COUNT(*) FROM messages WHERE status IN ('pending', 'sent', 'delivered')",
        0,
        true,
    )
    .await?;
    let read: i64 = sqlx::query("SELECT COUNT(*) FROM messages WHERE status = 'read'")
        .fetch_one(db.reader())
        .await?
        .try_get(0)?;
    if usize::try_from(read).ok() != Some(messages) {
        return Err(format!("{read} of {messages} messages ended read").into());
    }
    let pipeline = start.elapsed();

    // Ingestion alone first (the processor paused), then processing what was stored.
    let _ = processor_stop.send(true);
    let _ = processor.await;
    let received = webhook_ingestion(&m, &sandbox, webhooks).await?;
    let start = Instant::now();
    let (_, processor_shutdown) = tokio::sync::watch::channel(false);
    let processor = tokio::spawn(inbound::run(m.clone(), processor_shutdown));
    wait_until(
        db,
        "SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'",
        0,
        true,
    )
    .await?;
    let processed = start.elapsed();
    processor.abort();
    let _ = shutdown_tx.send(true);
    let _ = dispatcher.await;
    let _ = indexer.await;
    let raw_inserts_per_sec = raw_inserts(db).await?;
    Ok(Report {
        accepted,
        pipeline,
        received,
        processed,
        raw_inserts_per_sec,
    })
}

async fn caller(m: &Messaging, member: &Member, user_id: &str) -> Result<Caller, BoxError> {
    let actor = Actor {
        user_id: user_id.to_owned(),
        ip: None,
    };
    let key = api_keys::create(m, member, &actor, "bench", Mode::Live, Some(100_000)).await?;
    Ok(api_keys::authenticate(m, Some(&format!("Bearer {}", key.secret))).await?)
}

fn send_request(i: usize) -> SendRequest {
    SendRequest {
        channel: Some("sandbox".to_owned()),
        channel_id: None,
        to: format!("+1555{:07}", i % 10_000_000),
        name: Some(format!("Customer {i}")),
        text: Some(format!("Your order {i} is on its way.")),
        template: None,
        language: None,
        variables: None,
        media: None,
        content: None,
        subject: None,
        send_at: None,
    }
}

/// Polls `count_sql` until it reaches `target` (or, `down`, falls to it), or ten
/// minutes pass.
async fn wait_until(
    db: &Db,
    count_sql: &'static str,
    target: usize,
    down: bool,
) -> Result<(), BoxError> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let n: i64 = sqlx::query(count_sql)
            .fetch_one(db.reader())
            .await?
            .try_get(0)?;
        let n_ = usize::try_from(n).unwrap_or(0);
        if (!down && n_ >= target) || (down && n_ <= target) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("gave up waiting: {n} of {target} for `{count_sql}`").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Signed customer messages through the webhook endpoint's logic; returns the time to
/// verify and store them all.
async fn webhook_ingestion(
    m: &Messaging,
    sandbox: &str,
    webhooks: usize,
) -> Result<Duration, BoxError> {
    let bodies: Vec<(Vec<u8>, String)> = {
        let mut out = Vec::with_capacity(webhooks);
        for i in 0..webhooks {
            let hook = SandboxWebhook {
                events: vec![SandboxEvent::Message {
                    id: format!("bench_in_{i}"),
                    from: format!("+1666{:07}", i % 2_000),
                    name: None,
                    at_ms: msgbuddy_core::db::now_ms(),
                    content: Content::Text {
                        body: format!("Where is my order {i}?"),
                    },
                }],
            };
            let body = serde_json::to_vec(&hook)?;
            let signature = accounts::sandbox_signature(m, sandbox, &body).await?;
            out.push((body, signature));
        }
        out
    };
    let bodies = Arc::new(bodies);
    let start = Instant::now();
    let callers = count_from_env("BENCH_CALLERS", 16);
    let tasks: Vec<_> = (0..callers)
        .map(|task| {
            let (m, bodies, sandbox) = (m.clone(), bodies.clone(), sandbox.to_owned());
            tokio::spawn(async move {
                for i in (task..bodies.len()).step_by(callers) {
                    let (body, signature) = &bodies[i];
                    let headers = vec![
                        ("content-type".to_owned(), "application/json".to_owned()),
                        (
                            msgbuddy_channels::sandbox::SIGNATURE_HEADER.to_owned(),
                            signature.clone(),
                        ),
                    ];
                    let answer = inbound::receive(
                        &m,
                        &sandbox,
                        &WebhookRequest {
                            method: "POST",
                            url: "http://127.0.0.1:3000/webhooks/bench",
                            query: "",
                            headers: &headers,
                            body,
                        },
                    )
                    .await?;
                    assert_eq!(answer.status, 200, "the signed webhook is accepted");
                }
                Ok::<_, msgbuddy_core::Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(start.elapsed())
}

/// Rows of the size of a webhook delivery, 500 to a statement, one transaction each.
async fn raw_inserts(db: &Db) -> Result<f64, BoxError> {
    sqlx::query("CREATE TABLE bench_raw (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, body TEXT NOT NULL, at BIGINT NOT NULL)")
        .execute(db.writer())
        .await?;
    const ROWS: usize = 100_000;
    const BATCH: usize = 500;
    let body = "x".repeat(200);
    let start = Instant::now();
    for batch in 0..ROWS / BATCH {
        let mut tx = db.begin_write().await?;
        let sql = format!(
            "INSERT INTO bench_raw (id, workspace_id, body, at) VALUES {}",
            msgbuddy_core::db::placeholders(BATCH, 4, 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(msgbuddy_core::db::positional(&tx, sql)));
        for row in 0..BATCH {
            query = query
                .bind(format!("raw_{batch}_{row}"))
                .bind("ws")
                .bind(body.clone())
                .bind(i64::try_from(row).unwrap_or(0));
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(per_sec(ROWS, start.elapsed()))
}
