//! Channels that are read rather than called: email over IMAP.
//!
//! A poll asks the adapter for what arrived after the account's cursor and stores each
//! raw message as a webhook delivery (deduplicated by its bytes, like any webhook), with
//! the new cursor, in one transaction: a crash between the two never loses mail and never
//! takes it twice. The webhook processor then turns the deliveries into messages.

use crate::Messaging;
use crate::accounts::{self, STATUS_DISCONNECTED};
use msgbuddy_channels::{ErrorClass, email, signature};
use msgbuddy_core::Result;
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::events::Pending;
use msgbuddy_domain::DomainEvent;
use sqlx::Row;
use std::time::Duration;

/// Polls every connected email account once. Returns how many messages were stored.
pub async fn poll_all(m: &Messaging) -> Result<usize> {
    let rows = sqlx::query(
        "SELECT id, poll_cursor FROM channel_accounts WHERE kind = 'email' AND status <> $1 ORDER BY polled_at",
    )
    .bind(STATUS_DISCONNECTED)
    .fetch_all(m.db().reader())
    .await?;
    let mut stored = 0;
    for row in rows {
        let id: String = row.try_get(0)?;
        let cursor: Option<String> = row.try_get(1)?;
        stored += poll_one(m, &id, cursor.as_deref()).await?;
    }
    if stored > 0 {
        m.inbox.notify_one();
    }
    Ok(stored)
}

async fn poll_one(m: &Messaging, channel_id: &str, cursor: Option<&str>) -> Result<usize> {
    let channel = match accounts::load(m, channel_id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(channel = %channel_id, error = %e, "email channel could not be loaded for polling");
            return Ok(0);
        }
    };
    let polled = match channel.provider.poll(cursor).await {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(0),
        Err(e) => {
            tracing::warn!(channel = %channel_id, error = %e, "mailbox poll failed");
            if e.class == ErrorClass::Credentials && channel.status != accounts::STATUS_INVALID {
                mark_invalid(m, &channel, &e.message).await?;
            }
            return Ok(0);
        }
    };
    let now = now_ms();
    let mut tx = m.db().begin_write().await?;
    let mut stored = 0;
    for raw in &polled.messages {
        let done = sqlx::query(
            "INSERT INTO webhook_events (id, workspace_id, channel_account_id, is_test, body_hash, content_type, query, body, state, received_at, process_after) \
             VALUES ($1, $2, $3, 0, $4, $5, '', $6, 'pending', $7, $7) ON CONFLICT (channel_account_id, body_hash) DO NOTHING",
        )
        .bind(new_id("wh"))
        .bind(&channel.workspace_id)
        .bind(&channel.id)
        .bind(signature::hex(&signature::sha256(raw)))
        .bind(email::RFC822)
        .bind(email::encode_stored(raw))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        stored += usize::try_from(done.rows_affected()).unwrap_or(0);
    }
    sqlx::query("UPDATE channel_accounts SET poll_cursor = $1, polled_at = $2 WHERE id = $3")
        .bind(&polled.cursor)
        .bind(now)
        .bind(&channel.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(stored)
}

async fn mark_invalid(m: &Messaging, channel: &accounts::Loaded, reason: &str) -> Result<()> {
    let mut tx = m.db().begin_write().await?;
    let mut pending = Pending::default();
    sqlx::query("UPDATE channel_accounts SET status = $1, status_detail = $2, updated_at = $3 WHERE id = $4")
        .bind(accounts::STATUS_INVALID)
        .bind(reason)
        .bind(now_ms())
        .bind(&channel.id)
        .execute(&mut *tx)
        .await?;
    for event in
        crate::alerts::channel_invalid(&mut tx, &channel.workspace_id, &channel.id, reason).await?
    {
        m.bus
            .record(&mut tx, &mut pending, &channel.workspace_id, &event)
            .await?;
    }
    m.bus
        .record(
            &mut tx,
            &mut pending,
            &channel.workspace_id,
            &DomainEvent::ChannelUpdated {
                channel_id: channel.id.clone(),
                kind: channel.kind,
                status: accounts::STATUS_INVALID.to_owned(),
            },
        )
        .await?;
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(())
}

/// Polls every `every` until `shutdown` flips.
pub async fn run(m: Messaging, every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = poll_all(&m).await {
            tracing::error!(error = %e, "mailbox polling failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
