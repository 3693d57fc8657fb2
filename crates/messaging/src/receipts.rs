//! Delivery receipts applied a batch at a time.
//!
//! A busy channel sends three receipts for every message it accepts. Applied one by one,
//! each costs a lookup, an update, a history row and an event: a dozen round trips to the
//! single writer per message. Here a whole batch costs a handful: one lookup per channel
//! finds every message the receipts name, the receipts are applied in memory in the order
//! they were stored (a message never moves backwards: read stays read), one update writes
//! each message's final status, and the history rows and events of every step go in
//! together through [`StatusChanges`].

use crate::inbound::{Delivery, Receipt};
use crate::messages::{NewStatus, StatusChanges};
use msgbuddy_core::db::{now_ms, placeholders, positional, rows_per_statement};
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{ChannelKind, DeliveryStatus};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};

const COLUMNS: &str =
    "id, workspace_id, conversation_id, status, is_test, provider_message_id, channel_account_id";

/// A message some receipts of the batch name, and what they did to it.
struct Target {
    id: String,
    workspace_id: String,
    conversation_id: String,
    is_test: bool,
    /// Its status when the batch read it: the update is conditional on it.
    stored: DeliveryStatus,
    status: DeliveryStatus,
    error: Option<(String, String)>,
    /// The steps taken, in order.
    steps: Vec<Step>,
}

/// One status a receipt moved a message to: the status, its time and the provider's error.
type Step = (DeliveryStatus, i64, Option<(String, String)>);

impl Target {
    fn read(row: &AnyRow) -> Result<(Self, Option<String>, String)> {
        let status: String = row.try_get(3)?;
        let status = DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Pending);
        Ok((
            Target {
                id: row.try_get(0)?,
                workspace_id: row.try_get(1)?,
                conversation_id: row.try_get(2)?,
                is_test: crate::flag(row, 4)?,
                stored: status,
                status,
                error: None,
                steps: Vec::new(),
            },
            row.try_get(5)?,
            row.try_get(6)?,
        ))
    }
}

/// Applies `receipts` (in the order of their deliveries) inside the caller's transaction.
/// Returns, per delivery index, why one of its receipts must wait: it names a message
/// msgbuddy does not know yet.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    changes: &mut StatusChanges,
    deliveries: &[Delivery],
    receipts: &[Receipt],
) -> Result<HashMap<usize, String>> {
    let mut later = HashMap::new();
    if receipts.is_empty() {
        return Ok(later);
    }
    let mut targets: HashMap<String, Target> = HashMap::new();
    // (message, step) in the order the receipts moved them.
    let mut applied: Vec<(String, usize)> = Vec::new();
    let mut by_provider_id = find_by_provider_id(conn, receipts, &mut targets).await?;
    for r in receipts {
        let key = (r.channel.id.clone(), r.update.provider_message_id.clone());
        let id = match by_provider_id.get(&key) {
            Some(id) => id.clone(),
            None => match find_by_reference(conn, &deliveries[r.delivery], r).await? {
                Some((target, known_id)) => {
                    let id = target.id.clone();
                    if known_id.is_none() {
                        complete_interrupted_send(conn, &id, &r.update.provider_message_id).await?;
                    }
                    targets.entry(id.clone()).or_insert(target);
                    by_provider_id.insert(key, id.clone());
                    id
                }
                None => {
                    later.insert(
                        r.delivery,
                        format!(
                            "a {} receipt for {}, a message msgbuddy does not know (yet)",
                            r.update.status.as_str(),
                            r.update.provider_message_id
                        ),
                    );
                    continue;
                }
            },
        };
        let Some(target) = targets.get_mut(&id) else {
            continue;
        };
        if !target.status.may_become(r.update.status) {
            continue;
        }
        let error = r
            .update
            .error
            .as_ref()
            .map(|e| (e.code.clone(), e.message.clone()));
        target.status = r.update.status;
        if error.is_some() {
            target.error.clone_from(&error);
        }
        target
            .steps
            .push((r.update.status, r.update.at_ms.min(now_ms()), error));
        applied.push((id, target.steps.len() - 1));
    }
    let moved: Vec<&Target> = targets.values().filter(|t| !t.steps.is_empty()).collect();
    let written = write_statuses(conn, &moved).await?;
    // History and events in the order the receipts were applied.
    for (id, step) in &applied {
        if !written.contains(id.as_str()) {
            // Changed by someone else since the batch read it; its receipts are stale.
            continue;
        }
        let Some(target) = targets.get(id) else {
            continue;
        };
        let (status, at_ms, error) = &target.steps[*step];
        changes.push(NewStatus {
            workspace_id: &target.workspace_id,
            message_id: &target.id,
            conversation_id: &target.conversation_id,
            is_test: target.is_test,
            status: *status,
            at_ms: *at_ms,
            error: error.as_ref().map(|(c, m)| (c.as_str(), m.as_str())),
            source: "provider",
        });
    }
    Ok(later)
}

/// Finds the messages the receipts name by the provider's id, one query per channel and
/// chunk; returns (channel, provider id) → message id.
async fn find_by_provider_id(
    conn: &mut AnyConnection,
    receipts: &[Receipt],
    targets: &mut HashMap<String, Target>,
) -> Result<HashMap<(String, String), String>> {
    let mut per_channel: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in receipts {
        let ids = per_channel.entry(r.channel.id.as_str()).or_default();
        if !ids.contains(&r.update.provider_message_id.as_str()) {
            ids.push(&r.update.provider_message_id);
        }
    }
    let mut found = HashMap::new();
    for (channel_id, ids) in per_channel {
        for chunk in ids.chunks(rows_per_statement(1)) {
            let list = (2..chunk.len() + 2)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT {COLUMNS} FROM messages WHERE channel_account_id = $1 AND provider_message_id IN ({list})"
            );
            let mut query =
                sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql))).bind(channel_id);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let (target, provider_id, channel) = Target::read(&row)?;
                if let Some(provider_id) = provider_id {
                    found.insert((channel, provider_id), target.id.clone());
                }
                targets.entry(target.id.clone()).or_insert(target);
            }
        }
    }
    Ok(found)
}

/// The provider echoed msgbuddy's own id: a receipt for a message whose send answer was
/// lost, or a test-mode message the Sandbox served for another channel. Rare, so one
/// query each.
async fn find_by_reference(
    conn: &mut AnyConnection,
    delivery: &Delivery,
    r: &Receipt,
) -> Result<Option<(Target, Option<String>)>> {
    let Some(reference) = &r.update.reference else {
        return Ok(None);
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM messages WHERE id = $1 AND workspace_id = $2 AND direction = 'outbound' \
         AND (channel_account_id = $3 OR ($4 = 1 AND is_test = 1))"
    )))
    .bind(reference)
    .bind(&delivery.workspace_id)
    .bind(&r.channel.id)
    .bind(i64::from(r.channel.kind == ChannelKind::Sandbox))
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| Target::read(&row).map(|(target, known, _)| (target, known)))
        .transpose()
}

/// Completes a send that was interrupted before its answer was saved.
async fn complete_interrupted_send(
    conn: &mut AnyConnection,
    id: &str,
    provider_message_id: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE messages SET provider_message_id = $1, send_state = 'done', lease_until = NULL, error_message = NULL WHERE id = $2",
    )
    .bind(provider_message_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes each moved message's final status, conditional on the status the batch read;
/// returns the ids written.
async fn write_statuses(conn: &mut AnyConnection, moved: &[&Target]) -> Result<HashSet<String>> {
    const VALUES: usize = 5;
    let mut written = HashSet::with_capacity(moved.len());
    for chunk in moved.chunks(rows_per_statement(VALUES)) {
        let sql = format!(
            "UPDATE messages SET status = v.column2, error_code = COALESCE(v.column3, error_code), \
             error_message = COALESCE(v.column4, error_message), send_state = 'done', updated_at = $1 \
             FROM (VALUES {}) AS v WHERE messages.id = v.column1 AND messages.status = v.column5 RETURNING id",
            placeholders(chunk.len(), VALUES, 2)
        );
        let mut update = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql))).bind(now_ms());
        for t in chunk {
            update = update
                .bind(&t.id)
                .bind(t.status.as_str())
                .bind(t.error.as_ref().map(|e| e.0.as_str()))
                .bind(t.error.as_ref().map(|e| e.1.as_str()))
                .bind(t.stored.as_str());
        }
        for row in update.fetch_all(&mut *conn).await? {
            let id: String = row
                .try_get(0)
                .map_err(|e| Error::internal(format!("receipt update: {e}")))?;
            written.insert(id);
        }
    }
    Ok(written)
}
