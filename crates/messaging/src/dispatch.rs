//! The dispatcher: sends due messages exactly once.
//!
//! The messages table is the outbox. A pass claims a batch of due `pending` messages with
//! a lease and records the attempt (`send_state = 'calling'`, `attempts + 1`) in the same
//! write, *before* any provider is called. Then each message is sent (at its channel's
//! rate) and the answers are written back in batches, each write conditional on the lease
//! still being this pass's.
//!
//! After a crash, a message whose lease ran out while `calling` may or may not have been
//! accepted. It is never simply sent again:
//! - where the provider deduplicates on msgbuddy's message id (the Sandbox), it is sent
//!   again with the same id, and the provider answers with the original acceptance;
//! - elsewhere it waits (`send_state = 'unknown'`) for the provider's receipt, which
//!   carries msgbuddy's id where the provider echoes one (WhatsApp
//!   `biz_opaque_callback_data`, Twilio's status callback URL) and completes it; with no
//!   receipt within [`Settings::unknown_timeout`] it fails as "unconfirmed" and a person
//!   decides whether to retry.
//!
//! Throttling (HTTP 429, WhatsApp 130429/131056) puts the message back without counting an
//! attempt and slows the channel down; other retryable errors back off exponentially with
//! jitter up to the channel's `max_attempts`; permanent errors fail at once with the
//! provider's code and text.

use crate::Messaging;
use crate::accounts::{self, Loaded};
use crate::messages::{NewStatus, StatusChanges, record_status};
use crate::sandbox;
use futures::StreamExt;
use msgbuddy_channels::{Accepted, EmailThread, ErrorClass, Outbound, ProviderError, Recipient};
use msgbuddy_core::db::{now_ms, placeholders, positional, rows_per_statement};
use msgbuddy_core::events::Pending;
use msgbuddy_core::{Backend, Result};
use msgbuddy_domain::message::{ChannelKind, Content, DeliveryStatus};
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Messages claimed per pass.
    pub batch: i64,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// How long a claim holds a message; longer than any single send takes.
    pub lease: Duration,
    /// How long a message interrupted mid-send waits for a receipt to confirm it.
    pub unknown_timeout: Duration,
    /// A message that would wait longer than this for its channel's rate is put back.
    pub max_rate_wait: Duration,
    /// The first retry's delay; each next one doubles (with jitter) up to ten minutes.
    pub retry_base: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            batch: 512,
            concurrency: 128,
            lease: Duration::from_secs(120),
            unknown_timeout: Duration::from_secs(15 * 60),
            max_rate_wait: Duration::from_secs(2),
            retry_base: Duration::from_secs(2),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A claimed message, ready to send.
struct Claimed {
    id: String,
    workspace_id: String,
    is_test: bool,
    conversation_id: String,
    channel_id: String,
    content: Content,
    reply_to: Option<String>,
    attempts: i64,
    to: Recipient,
    /// Email: the thread this message answers.
    thread: Option<EmailThread>,
}

enum Outcome {
    Accepted(Accepted),
    /// Not sent: wait this long (the channel's rate, or the provider said slow down).
    PutOff {
        after: Duration,
        slow_down: bool,
    },
    Failed(ProviderError),
}

struct Done {
    message: Claimed,
    channel: Option<Loaded>,
    outcome: Outcome,
}

static PASS: AtomicU64 = AtomicU64::new(0);

/// One pass: reconciles interrupted sends, then claims and sends a batch. Returns how many
/// messages it claimed. The worker calls it in a loop; tests call it directly.
pub async fn dispatch_due(m: &Messaging, worker: &str, settings: &Settings) -> Result<usize> {
    reconcile_interrupted(m, settings).await?;
    let owner = format!("{worker}:{}", PASS.fetch_add(1, Ordering::Relaxed));
    let claimed = claim(m, &owner, settings).await?;
    let count = claimed.len();
    if count == 0 {
        return Ok(0);
    }
    let mut channels: HashMap<String, Option<Loaded>> = HashMap::new();
    let mut jobs = Vec::with_capacity(count);
    for message in claimed {
        let key = if message.is_test {
            format!("test:{}", message.workspace_id)
        } else {
            message.channel_id.clone()
        };
        if !channels.contains_key(&key) {
            let loaded = if message.is_test {
                accounts::load_sandbox(m, &message.workspace_id).await
            } else {
                accounts::load(m, &message.channel_id).await
            };
            if let Err(e) = &loaded {
                tracing::warn!(channel = %message.channel_id, error = %e, "channel could not be loaded for sending");
            }
            channels.insert(key.clone(), loaded.ok());
        }
        let channel = channels.get(&key).cloned().flatten();
        let mut message = message;
        if channel
            .as_ref()
            .is_some_and(|c| c.kind == ChannelKind::Email)
        {
            message.thread = email_thread(m, &message.conversation_id, &message.id).await?;
        }
        jobs.push((message, channel));
    }
    let mut results = futures::stream::iter(jobs)
        .map(|(message, channel)| send_one(m, settings, message, channel))
        .buffer_unordered(settings.concurrency)
        .ready_chunks(256);
    while let Some(chunk) = results.next().await {
        write_outcomes(m, &owner, settings, chunk).await?;
    }
    Ok(count)
}

async fn claim(m: &Messaging, owner: &str, settings: &Settings) -> Result<Vec<Claimed>> {
    let now = now_ms();
    let skip_locked = match m.db().backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE messages SET send_state = 'calling', attempts = attempts + 1, lease_until = $1, lease_owner = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM messages WHERE status = 'pending' AND send_state = 'idle' AND next_attempt_at <= $3 \
                      ORDER BY next_attempt_at LIMIT $4{skip_locked})"
    )))
    .bind(now + ms(settings.lease))
    .bind(owner)
    .bind(now)
    .bind(settings.batch)
    .execute(m.db().writer())
    .await?;
    let rows = sqlx::query(
        "SELECT m.id, m.workspace_id, m.is_test, m.conversation_id, m.channel_account_id, m.content, m.reply_to, m.attempts, \
                ch.kind, ct.phone, ct.telegram_id, ct.email, ct.name \
         FROM messages m JOIN contacts ct ON ct.id = m.contact_id JOIN channel_accounts ch ON ch.id = m.channel_account_id \
         WHERE m.lease_owner = $1 AND m.send_state = 'calling'",
    )
    .bind(owner)
    .fetch_all(m.db().reader())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get(8)?;
        let address: Option<String> = match ChannelKind::parse(&kind)? {
            ChannelKind::Telegram => row.try_get(10)?,
            ChannelKind::Email => row.try_get(11)?,
            _ => row.try_get(9)?,
        };
        let content: String = row.try_get(5)?;
        out.push(Claimed {
            id: row.try_get(0)?,
            workspace_id: row.try_get(1)?,
            is_test: crate::flag(&row, 2)?,
            conversation_id: row.try_get(3)?,
            channel_id: row.try_get(4)?,
            content: serde_json::from_str(&content).unwrap_or(Content::Unsupported {
                kind: "unreadable".to_owned(),
            }),
            reply_to: row.try_get(6)?,
            attempts: row.try_get(7)?,
            to: Recipient {
                address: address.unwrap_or_default(),
                name: row.try_get(12)?,
            },
            thread: None,
        });
    }
    Ok(out)
}

async fn send_one(
    m: &Messaging,
    settings: &Settings,
    message: Claimed,
    channel: Option<Loaded>,
) -> Done {
    let Some(loaded) = channel.clone() else {
        let outcome = Outcome::Failed(ProviderError::new(
            ErrorClass::Permanent,
            "channel_unavailable",
            "The channel could not be loaded (disconnected or misconfigured).",
        ));
        return Done {
            message,
            channel,
            outcome,
        };
    };
    if loaded.status == accounts::STATUS_DISCONNECTED && !message.is_test {
        let outcome = Outcome::Failed(ProviderError::new(
            ErrorClass::Permanent,
            "channel_disconnected",
            "The channel was disconnected before this message was sent.",
        ));
        return Done {
            message,
            channel,
            outcome,
        };
    }
    let caps = loaded.provider.capabilities();
    let mut wait = m.throttle.reserve(&loaded.id, loaded.rate_per_sec);
    if let Some(per_chat) = caps.per_recipient_rate_per_sec {
        let key = format!("{}:{}", loaded.id, message.to.address);
        wait = wait.max(m.throttle.reserve(&key, per_chat));
    }
    if wait > settings.max_rate_wait {
        m.throttle.release(&loaded.id, loaded.rate_per_sec);
        let outcome = Outcome::PutOff {
            after: wait,
            slow_down: false,
        };
        return Done {
            message,
            channel,
            outcome,
        };
    }
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    // A stored file goes to the provider as a link signed for it alone, or as its bytes
    // to a channel that attaches files.
    let content = match &message.content {
        Content::Media(media) => Content::Media(m.media.for_provider(media)),
        other => other.clone(),
    };
    let file = match (&message.content, caps.attaches_files) {
        (Content::Media(media), true) => match attached_bytes(m, media).await {
            Ok(bytes) => Some(bytes),
            Err(failure) => {
                return Done {
                    message,
                    channel,
                    outcome: Outcome::Failed(failure),
                };
            }
        },
        _ => None,
    };
    let result = loaded
        .provider
        .send(&Outbound {
            to: &message.to,
            content: &content,
            reference: &message.id,
            reply_to: message.reply_to.as_deref(),
            thread: message.thread.as_ref(),
            file: file.as_deref(),
        })
        .await;
    let outcome = match result {
        Ok(accepted) => Outcome::Accepted(accepted),
        Err(e) => match e.class {
            ErrorClass::Throttled { retry_after } => {
                let pause = retry_after.unwrap_or(Duration::from_secs(1));
                m.throttle.slow_down(&loaded.id, pause);
                tracing::info!(channel = %loaded.id, code = %e.code, "provider asked to slow down");
                Outcome::PutOff {
                    after: pause,
                    slow_down: true,
                }
            }
            _ => Outcome::Failed(e),
        },
    };
    Done {
        message,
        channel,
        outcome,
    }
}

/// The bytes of a media message's stored file, for a channel that attaches files.
async fn attached_bytes(
    m: &Messaging,
    media: &msgbuddy_domain::message::Media,
) -> std::result::Result<Vec<u8>, ProviderError> {
    let unavailable = |why: &str| {
        ProviderError::new(
            ErrorClass::Permanent,
            "media_unavailable",
            format!("The file to attach {why}."),
        )
    };
    let Some(id) = media.media_id.as_deref() else {
        return Err(unavailable("is not kept in msgbuddy"));
    };
    match m.media.read(m.db(), id).await {
        Ok(Some((_, bytes))) => Ok(bytes),
        Ok(None) => Err(unavailable("was deleted")),
        Err(e) => {
            // The store could not be read (a disk or database error): try again later.
            tracing::warn!(media = %id, error = %e, "reading a file to attach failed");
            Err(ProviderError::new(
                ErrorClass::Retryable,
                "media_unavailable",
                "The file to attach could not be read; msgbuddy will try again.",
            ))
        }
    }
}

/// The subject and earlier `Message-ID`s of an email conversation, for the answer's
/// `Subject`, `In-Reply-To` and `References`.
async fn email_thread(
    m: &Messaging,
    conversation_id: &str,
    message_id: &str,
) -> Result<Option<EmailThread>> {
    let rows = sqlx::query(
        "SELECT provider_message_id, content FROM messages WHERE conversation_id = $1 AND id <> $2 \
         AND provider_message_id IS NOT NULL ORDER BY created_at DESC LIMIT 20",
    )
    .bind(conversation_id)
    .bind(message_id)
    .fetch_all(m.db().reader())
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut thread = EmailThread::default();
    for row in rows.iter().rev() {
        thread.references.push(row.try_get(0)?);
        let content: String = row.try_get(1)?;
        if let Ok(Content::Email { subject, .. }) = serde_json::from_str(&content)
            && !subject.trim().is_empty()
        {
            // The latest subject wins.
            thread.subject = subject;
        }
    }
    Ok(Some(thread))
}

/// Exponential backoff with jitter: 2 s, 4 s, 8 s ... up to ten minutes, ±25 %.
pub fn backoff(attempt: i64) -> Duration {
    backoff_from(Duration::from_secs(2), attempt)
}

/// [`backoff`] starting at `first` instead of two seconds.
pub fn backoff_from(first: Duration, attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    let first = u64::try_from(first.as_millis()).unwrap_or(2_000);
    let base = (first.saturating_mul(1u64 << exp.min(16))).min(600_000);
    let mut r = [0u8; 2];
    msgbuddy_core::crypto::fill_random(&mut r);
    let jitter = f64::from(u16::from_le_bytes(r)) / f64::from(u16::MAX) * 0.5 - 0.25;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let millis = (base as f64 * (1.0 + jitter)) as u64;
    Duration::from_millis(millis)
}

/// Writes a chunk of answers in one transaction. Accepted sends, nearly all of them, are
/// set-based: one update marks them all `sent` (each still conditional on this pass's
/// lease), one insert keeps their history, one their events, one the Sandbox's receipts.
async fn write_outcomes(
    m: &Messaging,
    owner: &str,
    settings: &Settings,
    done: Vec<Done>,
) -> Result<()> {
    let now = now_ms();
    let mut tx = m.db().begin_write().await?;
    let mut pending = Pending::default();
    let mut changes = StatusChanges::default();
    let mut accepted = Vec::new();
    let mut bad_credentials = Vec::new();
    let mine = "id = $1 AND lease_owner = $2 AND send_state = 'calling'";
    for Done {
        message,
        channel,
        outcome,
    } in done
    {
        match outcome {
            Outcome::Accepted(answer) => accepted.push((message, channel, answer)),
            Outcome::PutOff { after, slow_down } => {
                let _ = slow_down;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE messages SET send_state = 'idle', attempts = attempts - 1, lease_until = NULL, lease_owner = NULL, \
                     next_attempt_at = $3, updated_at = $4 WHERE {mine}"
                )))
                .bind(&message.id)
                .bind(owner)
                .bind(now + ms(after))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            Outcome::Failed(e) => {
                let max_attempts = channel.as_ref().map_or(1, |c| c.max_attempts);
                let retry = e.class == ErrorClass::Retryable && message.attempts < max_attempts;
                if retry {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE messages SET send_state = 'idle', lease_until = NULL, lease_owner = NULL, next_attempt_at = $3, \
                         error_code = $4, error_message = $5, updated_at = $6 WHERE {mine}"
                    )))
                    .bind(&message.id)
                    .bind(owner)
                    .bind(now + ms(backoff_from(settings.retry_base, message.attempts)))
                    .bind(&e.code)
                    .bind(&e.message)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    continue;
                }
                let text = if e.class == ErrorClass::Retryable {
                    format!(
                        "{} (gave up after {} attempts)",
                        e.message, message.attempts
                    )
                } else {
                    e.message.clone()
                };
                let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE messages SET status = 'failed', send_state = 'done', lease_until = NULL, \
                     error_code = $3, error_message = $4, updated_at = $5 WHERE {mine}"
                )))
                .bind(&message.id)
                .bind(owner)
                .bind(&e.code)
                .bind(&text)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    continue;
                }
                changes.push(NewStatus {
                    workspace_id: &message.workspace_id,
                    message_id: &message.id,
                    conversation_id: &message.conversation_id,
                    is_test: message.is_test,
                    status: DeliveryStatus::Failed,
                    at_ms: now,
                    error: Some((&e.code, &text)),
                    source: "provider",
                });
                if e.class == ErrorClass::Credentials
                    && let Some(c) = channel
                    && !message.is_test
                {
                    bad_credentials.push((c, e));
                }
            }
        }
    }
    let sent = mark_sent(&mut tx, owner, now, &accepted).await?;
    let mut receipts = Vec::new();
    for (message, channel, answer) in &accepted {
        if !sent.contains(message.id.as_str()) {
            continue;
        }
        changes.push(NewStatus {
            workspace_id: &message.workspace_id,
            message_id: &message.id,
            conversation_id: &message.conversation_id,
            is_test: message.is_test,
            status: DeliveryStatus::Sent,
            at_ms: now,
            error: None,
            source: "provider",
        });
        if let Some(channel) = channel {
            receipts.extend(sandbox::receipts(
                channel,
                &message.workspace_id,
                &message.id,
                message.is_test,
                answer,
                now,
            )?);
        }
    }
    sandbox::store_all(&mut tx, &receipts).await?;
    for (channel, e) in &bad_credentials {
        let reason = format!("The provider refused the credentials: {}", e.message);
        // Only the first failure tells the admins; the channel stays invalid after it.
        let became_invalid = sqlx::query("UPDATE channel_accounts SET status = 'invalid', status_detail = $1, updated_at = $2 WHERE id = $3 AND status <> 'invalid'")
            .bind(&reason)
            .bind(now)
            .bind(&channel.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if became_invalid {
            for event in
                crate::alerts::channel_invalid(&mut tx, &channel.workspace_id, &channel.id, &reason)
                    .await?
            {
                changes.events.push(&channel.workspace_id, event);
            }
        }
        changes.events.push(
            &channel.workspace_id,
            msgbuddy_domain::DomainEvent::ChannelUpdated {
                channel_id: channel.id.clone(),
                kind: channel.kind,
                status: accounts::STATUS_INVALID.to_owned(),
            },
        );
    }
    changes.write(&mut tx, &m.bus, &mut pending).await?;
    tx.commit().await?;
    m.bus.committed(pending);
    if !receipts.is_empty() {
        m.inbox.notify_one();
    }
    Ok(())
}

/// Marks the accepted sends `sent` with their provider ids, each only while this pass
/// still holds its lease; returns the ids it marked.
async fn mark_sent(
    conn: &mut AnyConnection,
    owner: &str,
    now: i64,
    accepted: &[(Claimed, Option<Loaded>, Accepted)],
) -> Result<HashSet<String>> {
    let mut sent = HashSet::with_capacity(accepted.len());
    for chunk in accepted.chunks(rows_per_statement(2)) {
        let sql = format!(
            "UPDATE messages SET status = 'sent', provider_message_id = v.column2, send_state = 'done', lease_until = NULL, \
             error_code = NULL, error_message = NULL, updated_at = $1 \
             FROM (VALUES {}) AS v \
             WHERE messages.id = v.column1 AND messages.lease_owner = ${} AND messages.send_state = 'calling' \
             RETURNING id",
            placeholders(chunk.len(), 2, 2),
            chunk.len() * 2 + 2
        );
        let mut update = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql))).bind(now);
        for (message, _, answer) in chunk {
            update = update.bind(&message.id).bind(&answer.provider_message_id);
        }
        update = update.bind(owner);
        for row in update.fetch_all(&mut *conn).await? {
            sent.insert(row.try_get::<String, _>(0)?);
        }
    }
    Ok(sent)
}

/// Messages whose send was interrupted (their lease ran out while `calling`): completed
/// where the provider deduplicates, otherwise left to wait for a receipt; and those that
/// waited too long fail as unconfirmed.
async fn reconcile_interrupted(m: &Messaging, settings: &Settings) -> Result<()> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT id, channel_account_id, is_test, workspace_id FROM messages \
         WHERE status = 'pending' AND send_state = 'calling' AND lease_until < $1 LIMIT 500",
    )
    .bind(now)
    .fetch_all(m.db().reader())
    .await?;
    for row in rows {
        let id: String = row.try_get(0)?;
        let channel_id: String = row.try_get(1)?;
        let is_test = crate::flag(&row, 2)?;
        let idempotent = is_test
            || accounts::load(m, &channel_id)
                .await
                .map(|c| c.provider.idempotent_sends())
                .unwrap_or(false);
        if idempotent {
            sqlx::query(
                "UPDATE messages SET send_state = 'idle', lease_until = NULL, lease_owner = NULL, next_attempt_at = $1 \
                 WHERE id = $2 AND send_state = 'calling' AND lease_until < $1",
            )
            .bind(now)
            .bind(&id)
            .execute(m.db().writer())
            .await?;
            tracing::warn!(message = %id, "send was interrupted; sending again with the same id (the provider deduplicates)");
        } else {
            sqlx::query(
                "UPDATE messages SET send_state = 'unknown', lease_until = NULL, next_attempt_at = $1, error_message = $2 \
                 WHERE id = $3 AND send_state = 'calling' AND lease_until < $4",
            )
            .bind(now + ms(settings.unknown_timeout))
            .bind("msgbuddy stopped while sending; waiting for the provider's receipt to confirm it.")
            .bind(&id)
            .bind(now)
            .execute(m.db().writer())
            .await?;
            tracing::warn!(message = %id, "send was interrupted; waiting for a receipt instead of sending again");
        }
    }
    let expired = sqlx::query(
        "SELECT id, workspace_id, conversation_id, is_test FROM messages WHERE status = 'pending' AND send_state = 'unknown' AND next_attempt_at <= $1 LIMIT 500",
    )
    .bind(now)
    .fetch_all(m.db().reader())
    .await?;
    if expired.is_empty() {
        return Ok(());
    }
    let code = "unconfirmed";
    let text = "msgbuddy stopped while sending this message and the provider never confirmed it. \
                It may or may not have been delivered; check before retrying.";
    let mut tx = m.db().begin_write().await?;
    let mut pending = Pending::default();
    for row in expired {
        let id: String = row.try_get(0)?;
        let done = sqlx::query(
            "UPDATE messages SET status = 'failed', send_state = 'done', error_code = $1, error_message = $2, updated_at = $3 \
             WHERE id = $4 AND status = 'pending' AND send_state = 'unknown'",
        )
        .bind(code)
        .bind(text)
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            record_status(
                &mut tx,
                &m.bus,
                &mut pending,
                &row.try_get::<String, _>(1)?,
                &id,
                &row.try_get::<String, _>(2)?,
                crate::flag(&row, 3)?,
                DeliveryStatus::Failed,
                now,
                Some((code, text)),
                "dispatcher",
            )
            .await?;
        }
    }
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(())
}

/// Runs passes until `shutdown` flips: right away when a message is queued, otherwise
/// every second (for scheduled and retried messages).
pub async fn run(
    m: Messaging,
    worker: String,
    settings: Settings,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let claimed = match dispatch_due(&m, &worker, &settings).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "dispatch pass failed");
                0
            }
        };
        if claimed > 0 {
            continue;
        }
        tokio::select! {
            _ = m.outbox.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_ceiling() {
        for _ in 0..50 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(1_500) && first <= Duration::from_millis(2_500));
            let fourth = backoff(4);
            assert!(
                fourth >= Duration::from_millis(12_000) && fourth <= Duration::from_millis(20_000)
            );
            assert!(backoff(30) <= Duration::from_millis(750_000));
        }
    }
}
