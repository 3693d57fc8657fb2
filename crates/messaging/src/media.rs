//! Files customers send: downloaded from the provider in the background.
//!
//! An inbound message with a file is stored at once with the provider's reference, and a
//! `media_downloads` row in the same transaction. The downloader takes due rows, asks the
//! channel's adapter for the bytes (which fetches only from the provider's own hosts),
//! keeps them in the media library and points the message at its copy, with a
//! `message.updated` event. Failures retry with backoff; after the last attempt the row
//! stays `failed` with the reason, and the message keeps showing the file as unavailable.
//!
//! An email's attachments came inside the mail: the row names the stored delivery, and
//! the adapter reads each file out of it. Those it could read are kept even when another
//! one fails.

use crate::Messaging;
use crate::accounts;
use crate::dispatch::backoff;
use crate::messages::view_in;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::Pending;
use msgbuddy_core::{Backend, Error, Result};
use msgbuddy_domain::DomainEvent;
use msgbuddy_domain::message::{Content, Media};
use msgbuddy_media::{MAX_BYTES, NewFile, Origin};
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// Attempts before a download is given up.
pub const MAX_ATTEMPTS: i64 = 5;

/// How long a claimed download is left to its instance.
const LEASE_MS: i64 = 10 * 60 * 1000;

/// Queues the download of an inbound message's files (in the transaction that stores
/// it). `delivery_id` is the stored delivery the files came inside, if they did.
pub(crate) async fn queue_download(
    conn: &mut AnyConnection,
    message_id: &str,
    channel_id: &str,
    delivery_id: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO media_downloads (message_id, channel_account_id, delivery_id, next_attempt_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(message_id)
    .bind(channel_id)
    .bind(delivery_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What became of one download.
enum Outcome {
    Stored,
    /// Nothing to fetch (the adapter has no files, or the message is gone).
    Nothing,
    Failed {
        retry: bool,
        reason: String,
    },
}

/// Downloads due files, a few at a time. Returns how many rows it handled.
pub async fn download_due(m: &Messaging) -> Result<usize> {
    let now = now_ms();
    let skip_locked = match m.db().backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // Claimed rows are pushed past the lease: another instance leaves them alone, and a
    // download cut off by a crash is taken again after it.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE media_downloads SET next_attempt_at = $1 \
         WHERE message_id IN (SELECT message_id FROM media_downloads WHERE state = 'waiting' AND next_attempt_at <= $2 \
                              ORDER BY next_attempt_at LIMIT 8{skip_locked}) \
         RETURNING message_id, channel_account_id, attempts, delivery_id"
    )))
    .bind(now + LEASE_MS)
    .bind(now)
    .fetch_all(m.db().writer())
    .await?;
    for row in &rows {
        let message_id: String = row.try_get(0)?;
        let channel_id: String = row.try_get(1)?;
        let attempts: i64 = row.try_get(2)?;
        let delivery_id: Option<String> = row.try_get(3)?;
        let outcome = download_one(m, &message_id, &channel_id, delivery_id.as_deref())
            .await
            .unwrap_or_else(|e| Outcome::Failed {
                retry: true,
                reason: e.to_string(),
            });
        match outcome {
            Outcome::Stored | Outcome::Nothing => {
                sqlx::query("DELETE FROM media_downloads WHERE message_id = $1")
                    .bind(&message_id)
                    .execute(m.db().writer())
                    .await?;
            }
            Outcome::Failed { retry, reason } => {
                let attempts = attempts + 1;
                let give_up = !retry || attempts >= MAX_ATTEMPTS;
                tracing::warn!(message = %message_id, attempts, give_up, %reason, "inbound media download failed");
                let wait = i64::try_from(backoff(attempts).as_millis()).unwrap_or(i64::MAX);
                sqlx::query(
                    "UPDATE media_downloads SET attempts = $1, last_error = $2, state = $3, next_attempt_at = $4 WHERE message_id = $5",
                )
                .bind(attempts)
                .bind(&reason)
                .bind(if give_up { "failed" } else { "waiting" })
                .bind(now_ms().saturating_add(wait))
                .bind(&message_id)
                .execute(m.db().writer())
                .await?;
            }
        }
    }
    Ok(rows.len())
}

async fn download_one(
    m: &Messaging,
    message_id: &str,
    channel_id: &str,
    delivery_id: Option<&str>,
) -> Result<Outcome> {
    let Some(row) =
        sqlx::query("SELECT workspace_id, is_test, content FROM messages WHERE id = $1")
            .bind(message_id)
            .fetch_optional(m.db().reader())
            .await?
    else {
        return Ok(Outcome::Nothing);
    };
    let owner = Owner {
        workspace_id: row.try_get(0)?,
        is_test: crate::flag(&row, 1)?,
    };
    let content: String = row.try_get(2)?;
    match serde_json::from_str::<Content>(&content) {
        Ok(Content::Media(media)) => fetch_one(m, message_id, channel_id, &owner, media).await,
        Ok(Content::Email {
            subject,
            body,
            attachments,
        }) => {
            let Some(delivery_id) = delivery_id else {
                return Ok(Outcome::Nothing);
            };
            let (attachments, outcome) =
                read_attachments(m, channel_id, delivery_id, &owner, attachments).await?;
            if let Some(attachments) = attachments {
                let content = Content::Email {
                    subject,
                    body,
                    attachments,
                };
                replace_content(m, message_id, &owner.workspace_id, &content).await?;
            }
            Ok(outcome)
        }
        _ => Ok(Outcome::Nothing),
    }
}

/// Whose file it is.
struct Owner {
    workspace_id: String,
    is_test: bool,
}

fn failed_at_provider(e: &msgbuddy_channels::ProviderError) -> Outcome {
    let retry = matches!(
        e.class,
        msgbuddy_channels::ErrorClass::Retryable | msgbuddy_channels::ErrorClass::Throttled { .. }
    );
    Outcome::Failed {
        retry,
        reason: e.to_string(),
    }
}

/// A media message's file, fetched from the provider.
async fn fetch_one(
    m: &Messaging,
    message_id: &str,
    channel_id: &str,
    owner: &Owner,
    media: Media,
) -> Result<Outcome> {
    let channel = accounts::load(m, channel_id).await?;
    let fetched = match channel.provider.fetch_media(&media, MAX_BYTES).await {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(Outcome::Nothing),
        Err(e) => return Ok(failed_at_provider(&e)),
    };
    match keep(m, owner, &media, &fetched.bytes).await? {
        Ok(stored) => {
            replace_content(m, message_id, &owner.workspace_id, &Content::Media(stored)).await?;
            Ok(Outcome::Stored)
        }
        Err(reason) => Ok(Outcome::Failed {
            retry: false,
            reason,
        }),
    }
}

/// An email's attachments, read out of the stored mail: the list with every file that
/// could be kept pointing at its copy (`None` when none was), and how it went.
async fn read_attachments(
    m: &Messaging,
    channel_id: &str,
    delivery_id: &str,
    owner: &Owner,
    mut attachments: Vec<Media>,
) -> Result<(Option<Vec<Media>>, Outcome)> {
    let Some(body) = sqlx::query("SELECT body FROM webhook_events WHERE id = $1")
        .bind(delivery_id)
        .fetch_optional(m.db().reader())
        .await?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?
    else {
        let reason = "The mail the files came in is no longer kept.".to_owned();
        return Ok((
            None,
            Outcome::Failed {
                retry: false,
                reason,
            },
        ));
    };
    let channel = accounts::load(m, channel_id).await?;
    let mut kept = 0;
    let mut failures = Vec::new();
    for attachment in attachments.iter_mut().filter(|a| a.media_id.is_none()) {
        let name = attachment
            .filename
            .clone()
            .unwrap_or_else(|| attachment.kind.as_str().to_owned());
        let bytes = match channel
            .provider
            .attached_file(body.as_bytes(), attachment, MAX_BYTES)
        {
            Ok(Some(fetched)) => fetched.bytes,
            Ok(None) => continue,
            Err(e) => {
                failures.push(format!("{name}: {}", e.message));
                continue;
            }
        };
        match keep(m, owner, attachment, &bytes).await? {
            Ok(stored) => {
                *attachment = stored;
                kept += 1;
            }
            Err(reason) => failures.push(format!("{name}: {reason}")),
        }
    }
    let outcome = match (failures.is_empty(), kept) {
        (true, 0) => Outcome::Nothing,
        (true, _) => Outcome::Stored,
        // Reading the stored mail again gives the same answer: no retry.
        (false, _) => Outcome::Failed {
            retry: false,
            reason: failures.join("; "),
        },
    };
    Ok(((kept > 0).then_some(attachments), outcome))
}

/// Keeps a customer's file in the media library: the stored file as message content
/// (with the provider's reference kept, for a later look-up), or why it was refused.
async fn keep(
    m: &Messaging,
    owner: &Owner,
    media: &Media,
    bytes: &[u8],
) -> Result<std::result::Result<Media, String>> {
    let saved = m
        .media
        .save(
            m.db(),
            NewFile {
                workspace_id: &owner.workspace_id,
                is_test: owner.is_test,
                bytes,
                filename: media.filename.as_deref(),
                origin: Origin::Inbound,
                created_by: None,
            },
        )
        .await;
    match saved {
        Ok(file) => {
            let mut stored = file.to_media(media.caption.clone());
            stored.provider_id = media.provider_id.clone();
            Ok(Ok(stored))
        }
        Err(Error::App(e)) => Ok(Err(e.message)),
        Err(e) => Err(e),
    }
}

/// Points the message at its stored files, with a `message.updated` event.
async fn replace_content(
    m: &Messaging,
    message_id: &str,
    workspace_id: &str,
    content: &Content,
) -> Result<()> {
    let content = serde_json::to_string(content).map_err(|e| Error::internal(e.to_string()))?;
    let mut tx = m.db().begin_write().await?;
    // A message deleted while its file was on the way stays deleted.
    let replaced = sqlx::query(
        "UPDATE messages SET content = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL",
    )
    .bind(content)
    .bind(now_ms())
    .bind(message_id)
    .execute(&mut *tx)
    .await?;
    if replaced.rows_affected() == 0 {
        return Ok(());
    }
    let message = view_in(&mut tx, message_id).await?;
    let mut pending = Pending::default();
    m.bus
        .record(
            &mut tx,
            &mut pending,
            workspace_id,
            &DomainEvent::MessageUpdated {
                message: Box::new(message),
            },
        )
        .await?;
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(())
}

/// Downloads due files every second until `shutdown` flips.
pub async fn run(m: Messaging, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let handled = match download_due(&m).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "media downloader failed");
                0
            }
        };
        if handled == 0 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
