//! Webhooks in: verify and store fast, process in the background.
//!
//! [`receive`] checks the provider's signature (401 and nothing stored when it is bad or
//! missing), stores the raw body once (a provider retrying the same delivery sends the
//! same body) and answers. [`process_due`] reads stored deliveries in batches: customer
//! messages become contacts, conversations and messages (a message the provider delivers
//! twice is stored once); receipts move messages forward, never back. A receipt for a
//! message not yet known (it raced the send's answer) waits and is tried again. A body
//! that cannot be read is kept with its error for admins, never lost and never retried in
//! a loop.

use crate::Messaging;
use crate::accounts::{self, Loaded};
use crate::contacts::{self, AddressKind};
use crate::conversations;
use crate::keywords::{self, Confirmation};
use crate::messages::{StatusChanges, view_in};
use crate::receipts;
use msgbuddy_channels::{Inbound, InboundMessage, StatusUpdate, Verification, WebhookRequest};
use msgbuddy_core::db::{new_id, now_ms, positional, rows_per_statement};
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Backend, Error, Result};
use msgbuddy_domain::message::{Content, DeliveryView};
use msgbuddy_domain::{AppError, DomainEvent, Permission};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// What the webhook endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Answer {
    fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.to_owned(),
        }
    }
}

/// Receives one webhook request for channel account `channel_id`.
pub async fn receive(
    m: &Messaging,
    channel_id: &str,
    request: &WebhookRequest<'_>,
) -> Result<Answer> {
    let channel = match accounts::load_cached(m, channel_id).await {
        Ok(c) => c,
        Err(Error::App(e)) if e.code == msgbuddy_domain::ErrorCode::NotFound => {
            return Ok(Answer::text(404, "no such channel"));
        }
        Err(e) => return Err(e),
    };
    match channel.provider.verify_webhook(request) {
        Verification::Reject(reason) => {
            tracing::warn!(channel = %channel_id, %reason, "webhook refused");
            return Ok(Answer::text(401, "invalid signature"));
        }
        Verification::Challenge(challenge) => return Ok(Answer::text(200, &challenge)),
        Verification::Accept => {}
    }
    let (content_type, ok) = channel.provider.webhook_ok();
    if channel.status == accounts::STATUS_DISCONNECTED {
        // Answered, so the provider stops retrying; a disconnected channel takes nothing in.
        return Ok(Answer {
            status: 200,
            content_type,
            body: ok.to_owned(),
        });
    }
    let body = String::from_utf8_lossy(request.body);
    let content_type_in = request
        .header("content-type")
        .unwrap_or("")
        .chars()
        .take(100)
        .collect::<String>();
    m.ingest
        .store(crate::ingest::NewDelivery {
            workspace_id: channel.workspace_id.clone(),
            channel_id: channel.id.clone(),
            is_test: false,
            body_hash: msgbuddy_channels::signature::hex(&msgbuddy_channels::signature::sha256(
                [request.query.as_bytes(), b"\n", request.body]
                    .concat()
                    .as_slice(),
            )),
            content_type: content_type_in,
            query: request.query.chars().take(2000).collect(),
            body: body.into_owned(),
            received_at: now_ms(),
        })
        .await?;
    m.inbox.notify_one();
    Ok(Answer {
        status: 200,
        content_type,
        body: ok.to_owned(),
    })
}

/// A stored delivery, claimed for processing.
pub(crate) struct Delivery {
    pub id: String,
    pub workspace_id: String,
    pub channel_id: String,
    pub is_test: bool,
    pub body: String,
    pub content_type: String,
    pub attempts: i64,
    pub query: String,
}

/// How many times a receipt for an unknown message is tried (about ten minutes in all).
const MAX_TRIES: i64 = 12;

/// Processes due deliveries, at most `limit`. Returns how many it took.
pub async fn process_due(m: &Messaging, limit: i64) -> Result<usize> {
    let now = now_ms();
    let skip_locked = match m.db().backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // Claimed deliveries are pushed a minute ahead: if this process dies, another pass
    // takes them again then.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE webhook_events SET state = 'processing', process_after = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM webhook_events WHERE state IN ('pending', 'processing') AND process_after <= $2 \
                      ORDER BY process_after, id LIMIT $3{skip_locked}) \
         RETURNING id, workspace_id, channel_account_id, is_test, body, content_type, attempts, query"
    )))
    .bind(now + 60_000)
    .bind(now)
    .bind(limit)
    .fetch_all(m.db().writer())
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut deliveries = Vec::with_capacity(rows.len());
    for r in &rows {
        deliveries.push(Delivery {
            id: r.try_get(0)?,
            workspace_id: r.try_get(1)?,
            channel_id: r.try_get(2)?,
            is_test: crate::flag(r, 3)?,
            body: r.try_get(4)?,
            content_type: r.try_get(5)?,
            attempts: r.try_get(6)?,
            query: r.try_get(7)?,
        });
    }
    // In the order they were stored (ids sort by creation): a provider's `delivered` is
    // applied before its `read` when both come due at once.
    deliveries.sort_by(|a, b| a.id.cmp(&b.id));
    let count = deliveries.len();
    let mut channels: HashMap<String, Option<Loaded>> = HashMap::new();
    let mut tx = m.db().begin_write().await?;
    let mut changes = StatusChanges::default();
    let mut statuses = Vec::new();
    let mut read = vec![false; deliveries.len()];
    let mut confirmations = Vec::new();
    for (index, d) in deliveries.iter().enumerate() {
        if !channels.contains_key(&d.channel_id) {
            channels.insert(
                d.channel_id.clone(),
                accounts::load(m, &d.channel_id).await.ok(),
            );
        }
        let Some(channel) = channels.get(&d.channel_id).cloned().flatten() else {
            finish(
                &mut tx,
                &d.id,
                "failed",
                Some("The channel could not be loaded."),
            )
            .await?;
            continue;
        };
        let headers = vec![("content-type".to_owned(), d.content_type.clone())];
        let request = WebhookRequest {
            method: "POST",
            url: "",
            query: &d.query,
            headers: &headers,
            body: d.body.as_bytes(),
        };
        let items = match channel.provider.parse_webhook(&request) {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(delivery = %d.id, error = %e, "webhook body could not be read; kept for admins");
                finish(&mut tx, &d.id, "failed", Some(&e.0)).await?;
                continue;
            }
        };
        read[index] = true;
        for item in items {
            match item {
                Inbound::Message(msg) => {
                    apply_message(&mut tx, &mut changes, &mut confirmations, &channel, d, &msg)
                        .await?;
                }
                Inbound::Status(update) => statuses.push(Receipt {
                    delivery: index,
                    channel: channel.clone(),
                    update,
                }),
            }
        }
    }
    let later = receipts::apply(&mut tx, &mut changes, &deliveries, &statuses).await?;
    let mut done = Vec::with_capacity(count);
    for (index, d) in deliveries.iter().enumerate() {
        if !read[index] {
            continue;
        }
        match later.get(&index) {
            Some(why) if d.attempts < MAX_TRIES => {
                let wait = crate::dispatch::backoff(d.attempts).as_millis();
                sqlx::query("UPDATE webhook_events SET state = 'pending', process_after = $1, error = $2 WHERE id = $3")
                    .bind(now + i64::try_from(wait).unwrap_or(60_000))
                    .bind(why)
                    .bind(&d.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Some(why) => finish(&mut tx, &d.id, "done", Some(&format!("{why}; gave up"))).await?,
            None => done.push(d.id.as_str()),
        }
    }
    finish_all(&mut tx, &done).await?;
    let mut pending = Pending::default();
    changes.write(&mut tx, &m.bus, &mut pending).await?;
    tx.commit().await?;
    m.bus.committed(pending);
    keywords::confirm(m, confirmations).await;
    Ok(count)
}

/// A receipt read from a delivery, applied with the rest of its batch.
pub(crate) struct Receipt {
    /// Its delivery's index in the batch.
    pub delivery: usize,
    pub channel: Loaded,
    pub update: StatusUpdate,
}

async fn finish(
    conn: &mut AnyConnection,
    id: &str,
    state: &str,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_events SET state = $1, error = $2, processed_at = $3 WHERE id = $4",
    )
    .bind(state)
    .bind(error)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the deliveries `ids` done without an error, many to a statement.
async fn finish_all(conn: &mut AnyConnection, ids: &[&str]) -> Result<()> {
    let now = now_ms();
    for chunk in ids.chunks(rows_per_statement(1)) {
        let sql = format!(
            "UPDATE webhook_events SET state = 'done', error = NULL, processed_at = $1 WHERE id IN ({})",
            (2..chunk.len() + 2)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut update = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql))).bind(now);
        for id in chunk {
            update = update.bind(*id);
        }
        update.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn apply_message(
    conn: &mut AnyConnection,
    changes: &mut StatusChanges,
    confirmations: &mut Vec<Confirmation>,
    channel: &Loaded,
    d: &Delivery,
    msg: &InboundMessage,
) -> Result<()> {
    let exists = sqlx::query(
        "SELECT 1 FROM messages WHERE channel_account_id = $1 AND provider_message_id = $2",
    )
    .bind(&channel.id)
    .bind(&msg.provider_message_id)
    .fetch_optional(&mut *conn)
    .await?;
    if exists.is_some() {
        return Ok(());
    }
    let kind = AddressKind::of(channel.kind);
    let Ok(address) = kind.normalise(&msg.from.address) else {
        tracing::warn!(channel = %channel.id, "inbound message from an address msgbuddy cannot read; skipped");
        return Ok(());
    };
    let (contact_id, contact_name, flags) = contacts::find_or_create(
        conn,
        &d.workspace_id,
        d.is_test,
        kind,
        &address,
        msg.from.name.as_deref(),
    )
    .await?;
    let conversation_id = match threaded(conn, &channel.id, &msg.thread_ids).await? {
        Some(id) => id,
        None => {
            let (id, reopened) = conversations::for_inbound(
                conn,
                &d.workspace_id,
                d.is_test,
                &channel.id,
                &contact_id,
            )
            .await?;
            if let Some(note) = reopened {
                let conversation = conversations::summary_in(conn, &id).await?;
                changes.events.push(
                    &d.workspace_id,
                    DomainEvent::ConversationUpdated {
                        conversation: Box::new(conversation),
                        note: Box::new(note),
                        moved_from: None,
                    },
                );
            }
            id
        }
    };
    let id = new_id("msg");
    let preview = msg.content.preview();
    let content =
        serde_json::to_string(&msg.content).map_err(|e| Error::internal(e.to_string()))?;
    let now = now_ms();
    // The provider's time orders the thread, but never one from the future.
    let at = msg.at_ms.min(now);
    let inserted = sqlx::query(
        "INSERT INTO messages (id, workspace_id, is_test, conversation_id, channel_account_id, contact_id, direction, kind, content, preview, status, provider_message_id, source, reply_to, send_state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'inbound', $7, $8, $9, 'received', $10, 'provider', $11, 'done', $12, $13) \
         ON CONFLICT (channel_account_id, provider_message_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&d.workspace_id)
    .bind(i64::from(d.is_test))
    .bind(&conversation_id)
    .bind(&channel.id)
    .bind(&contact_id)
    .bind(msg.content.kind())
    .bind(content)
    .bind(&preview)
    .bind(&msg.provider_message_id)
    .bind(msg.reply_to.as_deref())
    .bind(at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(());
    }
    sqlx::query("INSERT INTO message_statuses (id, message_id, status, at, source) VALUES ($1, $2, 'received', $3, 'provider')")
        .bind(new_id("ms"))
        .bind(&id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    conversations::touch(conn, &conversation_id, at, &preview, true).await?;
    match &msg.content {
        Content::Media(media) if media.provider_id.is_some() => {
            crate::media::queue_download(conn, &id, &channel.id, None, now).await?;
        }
        // An email's files are read out of the stored mail.
        Content::Email { attachments, .. } if !attachments.is_empty() => {
            crate::media::queue_download(conn, &id, &channel.id, Some(&d.id), now).await?;
        }
        _ => {}
    }
    if let Content::Text { body } = &msg.content
        && let Some(reply) =
            keywords::apply(conn, &d.workspace_id, &contact_id, channel.kind, body).await?
    {
        confirmations.push(Confirmation {
            workspace_id: d.workspace_id.clone(),
            is_test: d.is_test,
            conversation_id: conversation_id.clone(),
            body: reply,
        });
    }
    let message = view_in(conn, &id).await?;
    // A blocked contact's messages are kept, and tell nobody.
    let told = if flags.blocked {
        None
    } else {
        crate::alerts::customer_wrote(
            conn,
            &d.workspace_id,
            &conversation_id,
            &contact_name,
            &preview,
        )
        .await?
    };
    changes.events.push(
        &d.workspace_id,
        DomainEvent::MessageCreated {
            message: Box::new(message),
            contact_name,
        },
    );
    if let Some(event) = told {
        changes.events.push(&d.workspace_id, event);
    }
    Ok(())
}

/// The open conversation an email answers: the one holding a message it names in
/// `In-Reply-To` or `References`.
async fn threaded(
    conn: &mut AnyConnection,
    channel_id: &str,
    thread_ids: &[String],
) -> Result<Option<String>> {
    let ids: Vec<&String> = thread_ids.iter().take(20).collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let placeholders = (0..ids.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT c.id FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.channel_account_id = $1 AND m.provider_message_id IN ({placeholders}) AND c.status <> 'resolved' \
         ORDER BY m.created_at DESC LIMIT 1"
    )))
    .bind(channel_id);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// A channel's deliveries that could not be read or applied, newest first.
pub async fn failed_deliveries(
    m: &Messaging,
    member: &Member,
    channel_id: &str,
    limit: i64,
) -> Result<Vec<DeliveryView>> {
    member.require(Permission::ChannelsManage)?;
    let rows = sqlx::query(
        "SELECT id, state, error, received_at, body FROM webhook_events \
         WHERE workspace_id = $1 AND channel_account_id = $2 AND (state = 'failed' OR error IS NOT NULL) \
         ORDER BY received_at DESC LIMIT $3",
    )
    .bind(&member.workspace_id)
    .bind(channel_id)
    .bind(limit.clamp(1, 200))
    .fetch_all(m.db().reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryView {
                id: r.try_get(0)?,
                state: r.try_get(1)?,
                error: r.try_get(2)?,
                received_at_ms: r.try_get(3)?,
                body: r.try_get::<String, _>(4)?.chars().take(2000).collect(),
            })
        })
        .collect()
}

/// Processes deliveries until `shutdown` flips: right away when one is stored, and every
/// half second for receipts that come due (the Sandbox's are stored ahead of time).
pub async fn run(m: Messaging, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let n = match process_due(&m, 500).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "webhook processing pass failed");
                0
            }
        };
        if n > 0 {
            continue;
        }
        tokio::select! {
            _ = m.inbox.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

impl From<AppError> for Answer {
    fn from(e: AppError) -> Self {
        Answer::text(e.code.http_status(), &e.message)
    }
}
