//! Group commit for incoming deliveries. Webhook requests arrive concurrently and each
//! must be durable before it is answered; writing them one transaction each makes the
//! single SQLite writer the bottleneck. Instead every request hands its row to one writer
//! task and waits: the writer takes whatever has queued up (up to [`BATCH`] rows), stores
//! it with one multi-row `INSERT` in one transaction, and then answers every waiter. Under
//! load batches grow by themselves; alone, a request is written at once.

use msgbuddy_core::db::{new_id, placeholders, positional};
use msgbuddy_core::{Db, Error, Result};
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// Rows per statement (eleven parameters each).
const BATCH: usize = 64;

/// One delivery to store.
#[derive(Debug, Clone)]
pub(crate) struct NewDelivery {
    pub workspace_id: String,
    pub channel_id: String,
    pub is_test: bool,
    pub body_hash: String,
    pub content_type: String,
    pub query: String,
    pub body: String,
    pub received_at: i64,
}

type Waiter = oneshot::Sender<std::result::Result<(), String>>;

pub struct Ingest {
    db: Db,
    writer: OnceLock<mpsc::Sender<(NewDelivery, Waiter)>>,
}

impl Ingest {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            writer: OnceLock::new(),
        }
    }

    /// Stores `delivery` (once per channel and body) and returns when it is committed.
    pub(crate) async fn store(&self, delivery: NewDelivery) -> Result<()> {
        let writer = self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * BATCH);
            tokio::spawn(write_batches(self.db.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        writer
            .send((delivery, reply))
            .await
            .map_err(|_| Error::internal("the delivery writer stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the delivery writer stopped"))?
            .map_err(Error::internal)
    }
}

async fn write_batches(db: Db, mut rx: mpsc::Receiver<(NewDelivery, Waiter)>) {
    loop {
        // Waits for one, then takes whatever queued up behind it.
        let mut batch = Vec::with_capacity(BATCH);
        if rx.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
        let rows: Vec<&NewDelivery> = batch.iter().map(|(d, _)| d).collect();
        let result = insert(&db, &rows).await.map_err(|e| {
            tracing::error!(error = %e, "storing webhook deliveries failed");
            e.to_string()
        });
        for (_, waiter) in batch {
            let _ = waiter.send(result.clone());
        }
    }
}

async fn insert(db: &Db, rows: &[&NewDelivery]) -> Result<()> {
    const COLUMNS: usize = 11;
    let sql = format!(
        "INSERT INTO webhook_events (id, workspace_id, channel_account_id, is_test, body_hash, content_type, query, body, state, received_at, process_after) \
         VALUES {} ON CONFLICT (channel_account_id, body_hash) DO NOTHING",
        placeholders(rows.len(), COLUMNS, 1)
    );
    let mut tx = db.begin_write().await?;
    let mut query = sqlx::query(sqlx::AssertSqlSafe(positional(&tx, sql)));
    for d in rows {
        query = query
            .bind(new_id("wh"))
            .bind(&d.workspace_id)
            .bind(&d.channel_id)
            .bind(i64::from(d.is_test))
            .bind(&d.body_hash)
            .bind(&d.content_type)
            .bind(&d.query)
            .bind(&d.body)
            .bind("pending")
            .bind(d.received_at)
            .bind(d.received_at);
    }
    query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
