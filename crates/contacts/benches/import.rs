//! Contact import throughput: a generated file of 100,000 customers (name, phone, email,
//! two custom fields and a tag column) uploaded, started, and worked to the end by the
//! import worker's own function, on SQLite and PostgreSQL.
//!
//! Target: at least 10,000 rows a second from the start to the last commit.
//! `cargo bench -p msgbuddy-contacts --bench import`; on PostgreSQL too when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` is a `postgres://` URL (`BENCH_PG_ONLY`
//! skips SQLite); `BENCH_ROWS` changes the size.

use msgbuddy_contacts::definitions;
use msgbuddy_contacts::fields::DefinitionInput;
use msgbuddy_contacts::import;
use msgbuddy_core::events::EventBus;
use msgbuddy_core::workspaces::{self, Member};
use msgbuddy_core::{Actor, Db, seed};
use msgbuddy_domain::Permission;
use msgbuddy_domain::contact_import::ImportStatus;
use msgbuddy_domain::custom_field::FieldScope;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const TARGET_ROWS_PER_SECOND: f64 = 10_000.0;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("msgbuddy-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut targets = vec![(
        "SQLite".to_owned(),
        format!("sqlite://{}/bench.db", dir.display()),
    )];
    if std::env::var("BENCH_PG_ONLY").is_ok() {
        targets.clear();
    }
    let admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()
        .filter(|a| a.starts_with("postgres"));
    if let Some(admin) = &admin {
        targets.push((
            "PostgreSQL".to_owned(),
            msgbuddy_core::scratch::create_postgres(admin, &bench_database()).await?,
        ));
    }
    println!(
        "msgbuddy contact import benchmark: {rows} rows, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let file = generate(rows);
    println!("  file: {:.1} MB of CSV", file.len() as f64 / 1e6);
    for (name, url) in targets {
        let db = Db::connect(&url, 16).await?;
        db.migrate().await?;
        println!("\n{name}");
        run(&db, &file, rows).await?;
        db.close().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(admin) = &admin {
        msgbuddy_core::scratch::drop_postgres(admin, &bench_database()).await?;
    }
    Ok(())
}

async fn run(db: &Db, file: &str, rows: usize) -> Result<(), BoxError> {
    let bus = EventBus::start(db.clone()).await?;
    let demo = seed::seed_demo(&bus).await?;
    let owner = workspaces::access(
        db,
        &demo.user_id,
        &demo.workspace_id,
        Permission::SettingsEdit,
    )
    .await?;
    let actor = Actor {
        user_id: demo.user_id.clone(),
        ip: None,
    };
    define_fields(db, &actor, &owner).await?;

    let start = Instant::now();
    let summary = import::upload(db, &actor, &owner, "customers.csv", file.as_bytes()).await?;
    let uploaded = start.elapsed().as_secs_f64();
    import::start(
        db,
        &actor,
        &owner,
        &summary.id,
        summary.mapping.clone(),
        "update",
        false,
    )
    .await?;
    let start = Instant::now();
    while import::work_once(db, &bus, "bench", import::DEFAULT_CHUNK_ROWS).await? {}
    let worked = start.elapsed().as_secs_f64();

    let done = import::get(db, &owner, &summary.id).await?;
    if done.status != ImportStatus::Done || usize::try_from(done.created_rows)? != rows {
        return Err(format!(
            "the import ended {:?} with {} created, {} refused: {:?}",
            done.status, done.created_rows, done.error_rows, done.error
        )
        .into());
    }
    let rate = rows as f64 / worked;
    println!("  upload (read, check, store the file)   {uploaded:>7.2} s");
    println!(
        "  import {rows} rows in {worked:>7.2} s: {rate:>9.0} rows/s   (target {TARGET_ROWS_PER_SECOND:.0} rows/s: {})",
        if rate >= TARGET_ROWS_PER_SECOND {
            "met"
        } else {
            "NOT MET"
        }
    );

    // The same file again updates every contact: the duplicate path's speed.
    let summary = import::upload(db, &actor, &owner, "again.csv", file.as_bytes()).await?;
    import::start(
        db,
        &actor,
        &owner,
        &summary.id,
        summary.mapping.clone(),
        "update",
        false,
    )
    .await?;
    let start = Instant::now();
    while import::work_once(db, &bus, "bench", import::DEFAULT_CHUNK_ROWS).await? {}
    let worked = start.elapsed().as_secs_f64();
    let again = import::get(db, &owner, &summary.id).await?;
    println!(
        "  again, updating {} contacts in {worked:>7.2} s: {:>9.0} rows/s",
        again.updated_rows,
        rows as f64 / worked
    );
    Ok(())
}

async fn define_fields(db: &Db, actor: &Actor, owner: &Member) -> Result<(), BoxError> {
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
            options: "Gold\nSilver\nBronze".into(),
            ..DefinitionInput::default()
        },
    ] {
        definitions::create(db, actor, owner, FieldScope::Contact, &input).await?;
    }
    Ok(())
}

/// `rows` customers, each with their own phone number and email address.
fn generate(rows: usize) -> String {
    let tiers = ["Gold", "Silver", "Bronze"];
    let tags = ["vip", "\"new, trial\"", "returning", ""];
    let mut out = String::from("Name,Phone,Email,Age,Tier,Tags\n");
    for i in 0..rows {
        out.push_str(&format!(
            "Customer {i},+91 98{i:08},customer{i}@example.com,{},{},{}\n",
            i % 100,
            tiers[i % 3],
            tags[i % 4]
        ));
    }
    out
}

fn bench_database() -> String {
    format!("msgbuddy_import_bench_{}", std::process::id())
}
