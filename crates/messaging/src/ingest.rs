//! Group commit for incoming deliveries. Webhook requests arrive concurrently and each
//! must be durable before it is answered; writing them one transaction each makes the
//! single SQLite writer the bottleneck. Instead every request hands its row to one writer
//! task and waits: the writer takes whatever has queued up (up to [`BATCH`] rows), stores
//! it with one multi-row `INSERT` in one transaction, and then answers every waiter. Under
//! load batches grow by themselves; alone, a request is written at once.

use msgbuddy_core::db::new_id;
use msgbuddy_core::{Db, Error, Result};
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// Rows per statement (ten parameters each).
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
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
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
    let values = (0..rows.len())
        .map(|i| {
            let p = i * 9;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'pending', ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 9,
                p + 9
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_events (id, workspace_id, channel_account_id, is_test, body_hash, content_type, query, body, state, received_at, process_after) \
         VALUES {values} ON CONFLICT (channel_account_id, body_hash) DO NOTHING"
    )));
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
            .bind(d.received_at);
    }
    let mut tx = db.writer().begin().await?;
    query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
