//! Where a conversation is: open, pending (waiting on the customer), snoozed until a
//! time, or resolved. A snooze ends by a job at its time, or when the customer writes
//! (the pipeline wakes the conversation as it stores the message). A resolved
//! conversation reopens only if the contact has no other open one on that channel.

use crate::access::{self, user_name};
use crate::timeline::{Before, ChangeNote, commit_change, record_change};
use msgbuddy_core::Result;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::message::ConversationSummary;
use msgbuddy_domain::time::format_utc;
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use sqlx::Row;
use std::time::Duration;

/// The longest snooze.
const MAX_SNOOZE_MS: i64 = 365 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Open,
    Pending,
    Snooze { until_ms: i64 },
    Resolve,
}

impl Change {
    /// Reads a status form: `open`, `pending`, `resolved`, or `snoozed` with its time.
    pub fn parse(status: &str, snooze_until_ms: Option<i64>) -> Result<Self, AppError> {
        match status {
            "open" => Ok(Change::Open),
            "pending" => Ok(Change::Pending),
            "resolved" => Ok(Change::Resolve),
            "snoozed" => snooze_until_ms
                .map(|until_ms| Change::Snooze { until_ms })
                .ok_or_else(|| {
                    AppError::invalid_field("snooze_until", "Say until when to snooze it.")
                }),
            _ => Err(AppError::invalid_field(
                "status",
                "Choose open, pending, snoozed or resolved.",
            )),
        }
    }

    /// The time a snooze ends, checked against `now`: to come, and at most a year away.
    pub fn snoozed_until(self, now: i64) -> Result<Option<i64>, AppError> {
        match self {
            Change::Snooze { until_ms } if until_ms <= now => Err(AppError::invalid_field(
                "snooze_until",
                "Snooze it until a time to come.",
            )),
            Change::Snooze { until_ms } if until_ms > now + MAX_SNOOZE_MS => {
                Err(AppError::invalid_field(
                    "snooze_until",
                    "A conversation can be snoozed for at most a year.",
                ))
            }
            Change::Snooze { until_ms } => Ok(Some(until_ms)),
            _ => Ok(None),
        }
    }

    fn status(self) -> &'static str {
        match self {
            Change::Open => "open",
            Change::Pending => "pending",
            Change::Snooze { .. } => "snoozed",
            Change::Resolve => "resolved",
        }
    }
}

/// Moves conversation `id` to another status as `member` (anyone who may reply).
pub async fn set(
    m: &Messaging,
    member: &Member,
    id: &str,
    change: Change,
) -> Result<ConversationSummary> {
    member.require(Permission::ConversationsReply)?;
    let now = now_ms();
    let snoozed_until = change.snoozed_until(now)?;
    let mut tx = m.db().begin_write().await?;
    let current = access::current(&mut tx, member, id).await?;
    if current.status == change.status() && current.snoozed_until == snoozed_until {
        drop(tx);
        return access::conversation(m, member, id).await;
    }
    if current.status == "resolved" {
        // One open conversation per contact and channel: the customer may have written
        // again since, which opened a new one.
        let other = sqlx::query(
            "SELECT id FROM conversations WHERE channel_account_id = $1 AND contact_id = $2 AND is_test = $3 \
             AND status <> 'resolved' AND id <> $4",
        )
        .bind(&current.channel_id)
        .bind(&current.contact_id)
        .bind(i64::from(current.is_test))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if other.is_some() {
            return Err(AppError::conflict(
                "This contact has a newer open conversation on this channel; continue there.",
            )
            .into());
        }
    }
    let actor = user_name(&mut tx, &member.user_id).await?;
    let note = match change {
        Change::Open if current.status == "resolved" => format!("Reopened by {actor}"),
        Change::Open => format!("Marked open by {actor}"),
        Change::Pending => format!("Marked pending by {actor}"),
        Change::Snooze { until_ms } => {
            format!("Snoozed until {} by {actor}", format_utc(until_ms))
        }
        Change::Resolve => format!("Resolved by {actor}"),
    };
    sqlx::query(
        "UPDATE conversations SET status = $1, snoozed_until = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(change.status())
    .bind(snoozed_until)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    commit_change(m, tx, member, id, &note).await
}

/// Wakes the snoozed conversations whose time has come, a batch at a time. Returns how
/// many woke.
pub async fn wake_due(m: &Messaging) -> Result<usize> {
    let now = now_ms();
    let mut tx = m.db().begin_write().await?;
    // One statement claims them: a second instance finds them open already.
    let rows = sqlx::query(
        "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = $1 \
         WHERE status = 'snoozed' AND snoozed_until <= $1 \
           AND id IN (SELECT id FROM conversations WHERE status = 'snoozed' AND snoozed_until <= $1 \
                      ORDER BY snoozed_until LIMIT 100) \
         RETURNING id, workspace_id",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let mut pending = Pending::default();
    for row in &rows {
        let id: String = row.try_get(0)?;
        let workspace_id: String = row.try_get(1)?;
        record_change(
            m,
            &mut tx,
            &mut pending,
            &workspace_id,
            ChangeNote {
                conversation_id: &id,
                author_id: None,
                note: "Woke up: the snooze ended",
                before: Before::Same,
            },
        )
        .await?;
    }
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(rows.len())
}

/// Wakes snoozed conversations every `every` until `shutdown` flips.
pub async fn run(m: Messaging, every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        match wake_due(&m).await {
            Ok(n) if n > 0 => {
                tracing::info!(woke = n, "snoozed conversations woke up");
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "waking snoozed conversations failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
