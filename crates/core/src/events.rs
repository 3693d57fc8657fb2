//! The domain event bus.
//!
//! An event is written in the same transaction as the change it describes, with the next
//! number of its workspace's sequence, so the stored log has no gaps and commit order is
//! sequence order (the counter row is locked until commit). After commit, subscribers are
//! woken with "workspace W has reached seq N" and read what they have not seen from the
//! database. A woken subscriber never relies on the wake-up carrying data, which makes a
//! lost or lagging wake-up harmless: the next one (or the periodic check) catches up.
//!
//! How the wake-up travels is what differs by backend: in-process on SQLite (one server),
//! `NOTIFY` on PostgreSQL, sent inside the transaction so it is delivered only on commit and
//! reaches every server instance listening on the database.
//!
//! Presence signals (who is viewing or typing in a conversation) take the same road
//! without the log: they are worth something only for seconds, so they are not stored,
//! and travel in-process on SQLite and as a `NOTIFY` of their own on PostgreSQL.

use crate::db::{Backend, Db, now_ms, placeholders, positional, rows_per_statement};
use crate::error::Result;
use msgbuddy_domain::event::PresenceSignal;
use msgbuddy_domain::{DomainEvent, EventEnvelope};
use sqlx::{AnyConnection, Row};
use tokio::sync::broadcast;

const CHANNEL: &str = "msgbuddy_events";
const SIGNALS: &str = "msgbuddy_presence";

/// A wake-up: the workspace and the newest sequence number committed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wakeup {
    pub workspace_id: String,
    pub seq: i64,
}

#[derive(Debug, Clone)]
pub struct EventBus {
    db: Db,
    wakeups: broadcast::Sender<Wakeup>,
    signals: broadcast::Sender<PresenceSignal>,
}

/// Events recorded in a transaction that is not committed yet.
#[derive(Debug, Default)]
#[must_use = "call EventBus::committed after the transaction commits"]
pub struct Pending(Vec<Wakeup>);

/// Events gathered over a batch of work, per workspace in the order they happened, to be
/// recorded together by [`Batch::record`] before the transaction commits.
#[derive(Debug, Default)]
#[must_use = "call Batch::record before the transaction commits"]
pub struct Batch(Vec<(String, Vec<DomainEvent>)>);

impl Batch {
    pub fn push(&mut self, workspace_id: &str, event: DomainEvent) {
        match self.0.iter_mut().find(|(ws, _)| ws == workspace_id) {
            Some((_, events)) => events.push(event),
            None => self.0.push((workspace_id.to_owned(), vec![event])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records every gathered event inside the caller's transaction.
    pub async fn record(
        self,
        bus: &EventBus,
        conn: &mut AnyConnection,
        pending: &mut Pending,
    ) -> Result<()> {
        for (workspace_id, events) in self.0 {
            bus.record_all(conn, pending, &workspace_id, &events)
                .await?;
        }
        Ok(())
    }
}

impl EventBus {
    /// Creates the bus; on PostgreSQL also starts listening for other instances' events.
    pub async fn start(db: Db) -> Result<Self> {
        let (wakeups, _) = broadcast::channel(1024);
        let (signals, _) = broadcast::channel(1024);
        let bus = EventBus {
            db,
            wakeups,
            signals,
        };
        if bus.db.backend() == Backend::Postgres {
            let mut listener = sqlx::postgres::PgListener::connect(bus.db.url()).await?;
            listener.listen_all([CHANNEL, SIGNALS]).await?;
            let tx = bus.wakeups.clone();
            let signals = bus.signals.clone();
            tokio::spawn(async move {
                loop {
                    match listener.recv().await {
                        Ok(note) if note.channel() == SIGNALS => {
                            // Only msgbuddy writes here; anything else is dropped.
                            if let Ok(s) = serde_json::from_str(note.payload()) {
                                let _ = signals.send(s);
                            }
                        }
                        Ok(note) => {
                            if let Some(w) = parse_wakeup(note.payload()) {
                                let _ = tx.send(w);
                            }
                        }
                        // PgListener reconnects by itself on the next recv; subscribers'
                        // periodic check covers anything missed meanwhile.
                        Err(e) => {
                            tracing::warn!(error = %e, "event listener lost its connection");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    }
                }
            });
        }
        Ok(bus)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Stores `event` as the next event of `workspace_id`, inside the caller's transaction.
    pub async fn record(
        &self,
        conn: &mut AnyConnection,
        pending: &mut Pending,
        workspace_id: &str,
        event: &DomainEvent,
    ) -> Result<i64> {
        self.record_all(conn, pending, workspace_id, std::slice::from_ref(event))
            .await
    }

    /// Stores `events` as the next events of `workspace_id`, in order, inside the caller's
    /// transaction, and returns the last sequence number. However many there are, the
    /// counter moves once and the rows go in with multi-row inserts: a batch of receipts
    /// costs a few statements, not two per event.
    pub async fn record_all(
        &self,
        conn: &mut AnyConnection,
        pending: &mut Pending,
        workspace_id: &str,
        events: &[DomainEvent],
    ) -> Result<i64> {
        let count = i64::try_from(events.len())
            .map_err(|_| crate::Error::internal("too many events for one transaction"))?;
        if count == 0 {
            return Ok(0);
        }
        let last: i64 = sqlx::query(
            "UPDATE workspaces SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq",
        )
        .bind(workspace_id)
        .bind(count)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let now = now_ms();
        let mut seq = last - count;
        for chunk in events.chunks(rows_per_statement(5)) {
            let sql = format!(
                "INSERT INTO workspace_events (workspace_id, seq, kind, payload, created_at) VALUES {}",
                placeholders(chunk.len(), 5, 1)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
            for event in chunk {
                seq += 1;
                let payload = serde_json::to_string(event)
                    .map_err(|e| crate::Error::internal(e.to_string()))?;
                insert = insert
                    .bind(workspace_id)
                    .bind(seq)
                    .bind(event.name())
                    .bind(payload)
                    .bind(now);
            }
            insert.execute(&mut *conn).await?;
        }
        if self.db.backend() == Backend::Postgres {
            // One wake-up names the newest: subscribers read everything up to it.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{workspace_id} {last}"))
                .execute(&mut *conn)
                .await?;
        }
        pending.0.push(Wakeup {
            workspace_id: workspace_id.to_owned(),
            seq: last,
        });
        Ok(last)
    }

    /// Wakes this instance's subscribers once the transaction holding `pending` committed.
    /// On PostgreSQL the database does it (the `NOTIFY` goes out with the commit).
    pub fn committed(&self, pending: Pending) {
        if self.db.backend() == Backend::Sqlite {
            for w in pending.0 {
                let _ = self.wakeups.send(w);
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Wakeup> {
        self.wakeups.subscribe()
    }

    /// Tells every instance's subscribers of `signal`, now (nothing is stored).
    pub async fn signal(&self, signal: &PresenceSignal) -> Result<()> {
        if self.db.backend() == Backend::Postgres {
            // This instance hears it back through its own listener, like the others.
            let payload =
                serde_json::to_string(signal).map_err(|e| crate::Error::internal(e.to_string()))?;
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(SIGNALS)
                .bind(payload)
                .execute(self.db.writer())
                .await?;
        } else {
            let _ = self.signals.send(signal.clone());
        }
        Ok(())
    }

    pub fn subscribe_signals(&self) -> broadcast::Receiver<PresenceSignal> {
        self.signals.subscribe()
    }

    /// Events of `workspace_id` after `after_seq`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        workspace_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<EventEnvelope>> {
        let rows = sqlx::query(
            "SELECT seq, payload, created_at FROM workspace_events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(workspace_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(self.db.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let payload: String = row.try_get(1)?;
            let event: DomainEvent = match serde_json::from_str(&payload) {
                Ok(e) => e,
                // An event kind this build does not know (written by a newer instance during
                // a rolling upgrade) is skipped rather than ending the stream.
                Err(e) => {
                    tracing::warn!(error = %e, "skipping an event this version cannot read");
                    continue;
                }
            };
            out.push(EventEnvelope {
                workspace_id: workspace_id.to_owned(),
                seq: row.try_get(0)?,
                at_ms: row.try_get(2)?,
                event,
            });
        }
        Ok(out)
    }

    /// The newest sequence number of a workspace (0 before its first event).
    pub async fn latest_seq(&self, workspace_id: &str) -> Result<i64> {
        let seq = sqlx::query("SELECT event_seq FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(self.db.reader())
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
        Ok(seq.unwrap_or(0))
    }
}

fn parse_wakeup(payload: &str) -> Option<Wakeup> {
    let (ws, seq) = payload.split_once(' ')?;
    Some(Wakeup {
        workspace_id: ws.to_owned(),
        seq: seq.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakeups_parse_from_notify_payloads() {
        assert_eq!(
            parse_wakeup("ws_1 42"),
            Some(Wakeup {
                workspace_id: "ws_1".into(),
                seq: 42
            })
        );
        assert_eq!(parse_wakeup("ws_1"), None);
        assert_eq!(parse_wakeup("ws_1 x"), None);
    }
}
