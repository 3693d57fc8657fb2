//! Messages: storing one to send (after the channel's rules), reading threads, the status
//! history, and retrying a failed message by hand.

use crate::Messaging;
use crate::accounts::{STATUS_DISCONNECTED, STATUS_GOOD};
use crate::contacts::AddressKind;
use crate::outgoing::{Draft, Target};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::db::{placeholders, positional, rows_per_statement};
use msgbuddy_core::events::{Batch, EventBus, Pending};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{
    ChannelKind, Content, DeliveryStatus, Direction, MessageView, StatusChange,
};
use msgbuddy_domain::{AppError, DomainEvent, Permission};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Where a new message goes.
#[derive(Debug, Clone, Copy)]
pub enum To<'a> {
    /// An existing conversation.
    Conversation(&'a str),
    /// An address on a channel account; the contact and conversation are found or made.
    Address {
        channel_id: &'a str,
        address: &'a str,
        name: Option<&'a str>,
    },
}

/// Who sends, from where, and in which mode.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub member: &'a Member,
    /// The member who wrote it (the inbox), or `None` (an API key).
    pub user_id: Option<&'a str>,
    /// `inbox`, `api`, `campaign`.
    pub source: &'a str,
    /// Test-mode data, served by the Sandbox whatever the channel.
    pub is_test: bool,
}

/// The columns [`view`] reads, from `messages m` with its sender; a query adds its
/// `WHERE` and `ORDER BY`.
pub const VIEW: &str = "SELECT m.id, m.conversation_id, m.channel_account_id, m.direction, m.content, m.status, \
     m.error_code, m.error_message, u.name, m.created_at, m.is_test, m.scheduled_at, m.reply_to, \
     m.provider_message_id, m.deleted_at, m.deleted_for \
     FROM messages m LEFT JOIN users u ON u.id = m.sent_by";

/// How many columns [`VIEW`] selects: a query that adds its own after them reads those
/// from this index on.
pub const VIEW_COLUMNS: usize = 16;

/// A message row read with [`VIEW`].
pub fn view(row: &AnyRow) -> Result<MessageView> {
    let direction: String = row.try_get(3)?;
    let content: String = row.try_get(4)?;
    let status: String = row.try_get(5)?;
    Ok(MessageView {
        id: row.try_get(0)?,
        conversation_id: row.try_get(1)?,
        channel_id: row.try_get(2)?,
        direction: Direction::parse(&direction)
            .ok_or_else(|| Error::internal(format!("unknown direction `{direction}`")))?,
        content: serde_json::from_str(&content).unwrap_or(Content::Unsupported {
            kind: "unreadable".to_owned(),
        }),
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| Error::internal(format!("unknown status `{status}`")))?,
        error_code: row.try_get(6)?,
        error_message: row.try_get(7)?,
        sent_by: row.try_get(8)?,
        created_at_ms: row.try_get(9)?,
        is_test: crate::flag(row, 10)?,
        scheduled_at_ms: row.try_get(11)?,
        reply_to: row.try_get(12)?,
        provider_message_id: row.try_get(13)?,
        deleted_at_ms: row.try_get(14)?,
        deleted_for_everyone: row.try_get::<Option<String>, _>(15)?.as_deref() == Some("everyone"),
    })
}

pub async fn view_in(conn: &mut AnyConnection, id: &str) -> Result<MessageView> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{VIEW} WHERE m.id = $1")))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    view(&row)
}

/// Records one status change: the history row and the live event. The caller has
/// updated the message row in the same transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_status(
    conn: &mut AnyConnection,
    bus: &EventBus,
    pending: &mut Pending,
    workspace_id: &str,
    message_id: &str,
    conversation_id: &str,
    is_test: bool,
    status: DeliveryStatus,
    at_ms: i64,
    error: Option<(&str, &str)>,
    source: &str,
) -> Result<()> {
    let mut changes = StatusChanges::default();
    changes.push(NewStatus {
        workspace_id,
        message_id,
        conversation_id,
        is_test,
        status,
        at_ms,
        error,
        source,
    });
    changes.write(conn, bus, pending).await
}

/// One change of a message's delivery status.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewStatus<'a> {
    pub workspace_id: &'a str,
    pub message_id: &'a str,
    pub conversation_id: &'a str,
    pub is_test: bool,
    pub status: DeliveryStatus,
    pub at_ms: i64,
    pub error: Option<(&'a str, &'a str)>,
    pub source: &'a str,
}

/// Status changes gathered over a batch (a dispatcher pass, a batch of receipts), written
/// together: their history rows with multi-row inserts and their live events through one
/// [`Batch`] per transaction. The callers have updated the message rows already.
#[derive(Debug, Default)]
#[must_use = "call StatusChanges::write before the transaction commits"]
pub(crate) struct StatusChanges {
    rows: Vec<HistoryRow>,
    /// Other events of the same batch (a message created), kept in order with these.
    pub events: Batch,
}

#[derive(Debug)]
struct HistoryRow {
    message_id: String,
    status: DeliveryStatus,
    at_ms: i64,
    error: Option<(String, String)>,
    source: String,
}

impl StatusChanges {
    pub fn push(&mut self, c: NewStatus<'_>) {
        let error = c
            .error
            .map(|(code, text)| (code.to_owned(), text.to_owned()));
        self.rows.push(HistoryRow {
            message_id: c.message_id.to_owned(),
            status: c.status,
            at_ms: c.at_ms,
            error: error.clone(),
            source: c.source.to_owned(),
        });
        self.events.push(
            c.workspace_id,
            DomainEvent::MessageStatusChanged {
                message_id: c.message_id.to_owned(),
                conversation_id: c.conversation_id.to_owned(),
                status: c.status,
                error_code: error.as_ref().map(|e| e.0.clone()),
                error_message: error.map(|e| e.1),
                at_ms: c.at_ms,
                is_test: c.is_test,
            },
        );
    }

    /// A history row with no event of its own: a new message's `pending`, which its
    /// `message.created` announces.
    pub fn push_history(
        &mut self,
        message_id: &str,
        status: DeliveryStatus,
        at_ms: i64,
        source: &str,
    ) {
        self.rows.push(HistoryRow {
            message_id: message_id.to_owned(),
            status,
            at_ms,
            error: None,
            source: source.to_owned(),
        });
    }

    pub async fn write(
        self,
        conn: &mut AnyConnection,
        bus: &EventBus,
        pending: &mut Pending,
    ) -> Result<()> {
        const COLUMNS: usize = 7;
        for chunk in self.rows.chunks(rows_per_statement(COLUMNS)) {
            let sql = format!(
                "INSERT INTO message_statuses (id, message_id, status, at, error_code, error_message, source) VALUES {}",
                placeholders(chunk.len(), COLUMNS, 1)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
            for row in chunk {
                insert = insert
                    .bind(new_id("ms"))
                    .bind(&row.message_id)
                    .bind(row.status.as_str())
                    .bind(row.at_ms)
                    .bind(row.error.as_ref().map(|e| e.0.as_str()))
                    .bind(row.error.as_ref().map(|e| e.1.as_str()))
                    .bind(&row.source);
            }
            insert.execute(&mut *conn).await?;
        }
        self.events.record(bus, conn, pending).await
    }
}

/// The `max_segments` an SMS channel allows (10 unless set).
fn max_segments(settings: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(settings)
        .ok()
        .and_then(|s| {
            msgbuddy_channels::registry::setting(&s, "max_segments").and_then(|v| v.parse().ok())
        })
        .unwrap_or(10)
}

/// Stores a message to send after checking the channel's rules; the dispatcher sends it.
pub async fn send(
    m: &Messaging,
    sender: Sender<'_>,
    to: To<'_>,
    content: Content,
    reply_to: Option<&str>,
) -> Result<MessageView> {
    send_at(m, sender, to, content, reply_to, None).await
}

/// The source of the answer to a customer's opt-out keyword: it reaches them although
/// they have just opted out, once.
pub const OPT_OUT_REPLY: &str = "opt_out_reply";

/// How far ahead a message can be scheduled.
pub const MAX_SCHEDULE_AHEAD_MS: i64 = 90 * 86_400_000;

/// [`send`], at `at_ms` (milliseconds since the epoch) when given: the message is stored
/// and checked now, and the dispatcher holds it back until then.
///
/// What can be read without the writer (the channel, the file, the price) is read first;
/// the rest (the contact, the conversation, the channel's rules against them, the message
/// itself) is done by [`crate::outgoing`], which stores concurrent sends together.
pub async fn send_at(
    m: &Messaging,
    sender: Sender<'_>,
    to: To<'_>,
    content: Content,
    reply_to: Option<&str>,
    at_ms: Option<i64>,
) -> Result<MessageView> {
    let member = sender.member;
    member.require(Permission::ConversationsReply)?;
    if let Some(at) = at_ms {
        let now = now_ms();
        if at <= now {
            return Err(AppError::invalid_field("send_at", "Pick a time in the future.").into());
        }
        if at > now + MAX_SCHEDULE_AHEAD_MS {
            return Err(AppError::invalid_field(
                "send_at",
                "A message can be scheduled at most 90 days ahead.",
            )
            .into());
        }
    }
    let draft = prepare(m, sender, to, content, reply_to, at_ms).await?;
    m.outgoing.store(draft).await
}

/// Everything about a send that does not need the writer, checked.
async fn prepare(
    m: &Messaging,
    sender: Sender<'_>,
    to: To<'_>,
    content: Content,
    reply_to: Option<&str>,
    at_ms: Option<i64>,
) -> Result<Draft> {
    let workspace_id = sender.member.workspace_id.as_str();
    let mut conn = m.db().reader().acquire().await?;
    let channel_id = match to {
        To::Conversation(id) => sqlx::query(
            "SELECT channel_account_id FROM conversations WHERE id = $1 AND workspace_id = $2 AND is_test = $3",
        )
        .bind(id)
        .bind(workspace_id)
        .bind(i64::from(sender.is_test))
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::App(AppError::not_found()))?
        .try_get::<String, _>(0)?,
        To::Address { channel_id, .. } => channel_id.to_owned(),
    };
    let channel = sqlx::query(
        "SELECT kind, status, settings FROM channel_accounts WHERE id = $1 AND workspace_id = $2",
    )
    .bind(&channel_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        Error::App(AppError::invalid_field(
            "channel",
            "There is no such channel in this workspace.",
        ))
    })?;
    let kind: String = channel.try_get(0)?;
    let kind = ChannelKind::parse(&kind)?;
    let status: String = channel.try_get(1)?;
    let settings: String = channel.try_get(2)?;
    if status == STATUS_DISCONNECTED {
        return Err(
            AppError::conflict("This channel is disconnected; connect it again to send.").into(),
        );
    }
    if status != STATUS_GOOD && !sender.is_test {
        return Err(AppError::conflict(
            "This channel's credentials are not validated; fix them in Settings > Channels first.",
        )
        .into());
    }
    let address_kind = AddressKind::of(kind);
    let target = match to {
        To::Conversation(id) => Target::Conversation(id.to_owned()),
        To::Address { address, name, .. } => Target::Address {
            kind: address_kind,
            address: address_kind.normalise(address)?,
            name: name.map(str::to_owned),
        },
    };
    // An uploaded file is described by what msgbuddy read from it, never by the request.
    let content = match content {
        Content::Media(media) if media.media_id.is_some() => {
            let id = media.media_id.as_deref().unwrap_or_default();
            let file = msgbuddy_media::find(&mut conn, workspace_id, sender.is_test, id).await?;
            Content::Media(file.to_media(media.caption))
        }
        other => other,
    };
    // What the message will cost, as the workspace prices it: per segment for SMS.
    let units = match (&content, kind) {
        (Content::Text { body }, ChannelKind::Sms) => {
            i64::try_from(msgbuddy_channels::sms::segments(body).count).unwrap_or(1)
        }
        _ => 1,
    };
    let cost =
        crate::prices::format(crate::prices::of(&mut conn, workspace_id, kind).await? * units);
    let sent_by = match sender.user_id {
        Some(user_id) => sqlx::query("SELECT name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?,
        None => None,
    };
    Ok(Draft {
        workspace_id: workspace_id.to_owned(),
        is_test: sender.is_test,
        channel_id,
        kind,
        max_segments: max_segments(&settings),
        target,
        content,
        source: sender.source.to_owned(),
        user_id: sender.user_id.map(str::to_owned),
        sent_by,
        reply_to: reply_to.map(str::to_owned),
        at_ms,
        cost,
    })
}

/// Cancels a scheduled message that has not gone out: it ends `failed` with the reason
/// `canceled`. A message the dispatcher has already taken cannot be canceled.
pub async fn cancel_scheduled(m: &Messaging, member: &Member, id: &str) -> Result<MessageView> {
    member.require(Permission::ConversationsReply)?;
    let mut tx = m.db().begin_write().await?;
    let row = sqlx::query(
        "SELECT conversation_id, is_test FROM messages WHERE id = $1 AND workspace_id = $2 AND direction = 'outbound'",
    )
    .bind(id)
    .bind(&member.workspace_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let conversation_id: String = row.try_get(0)?;
    let is_test = crate::flag(&row, 1)?;
    let now = now_ms();
    let text = "Canceled before it was sent.";
    // Conditional on the dispatcher not having claimed it: the two can never both win.
    let canceled = sqlx::query(
        "UPDATE messages SET status = 'failed', send_state = 'done', error_code = 'canceled', error_message = $1, updated_at = $2 \
         WHERE id = $3 AND status = 'pending' AND send_state = 'idle' AND scheduled_at IS NOT NULL AND next_attempt_at > $2",
    )
    .bind(text)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if canceled.rows_affected() == 0 {
        return Err(AppError::conflict(
            "Only a scheduled message that has not been sent yet can be canceled.",
        )
        .into());
    }
    let mut pending = Pending::default();
    record_status(
        &mut tx,
        &m.bus,
        &mut pending,
        &member.workspace_id,
        id,
        &conversation_id,
        is_test,
        DeliveryStatus::Failed,
        now,
        Some(("canceled", text)),
        "member",
    )
    .await?;
    let message = view_in(&mut tx, id).await?;
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(message)
}

/// A conversation's messages, oldest first: the newest `limit`, or those before the
/// message `before` (scrolling back).
pub async fn thread(
    m: &Messaging,
    member: &Member,
    conversation_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<MessageView>> {
    thread_page(m, member, conversation_id, before, false, limit).await
}

/// The `limit` messages of a conversation up to and including message `at` (a search
/// result opens the thread there).
pub async fn thread_through(
    m: &Messaging,
    member: &Member,
    conversation_id: &str,
    at: &str,
    limit: i64,
) -> Result<Vec<MessageView>> {
    thread_page(m, member, conversation_id, Some(at), true, limit).await
}

async fn thread_page(
    m: &Messaging,
    member: &Member,
    conversation_id: &str,
    before: Option<&str>,
    inclusive: bool,
    limit: i64,
) -> Result<Vec<MessageView>> {
    member.require(Permission::ConversationsView)?;
    let cursor = match before {
        Some(id) => {
            sqlx::query("SELECT created_at FROM messages WHERE id = $1 AND conversation_id = $2")
                .bind(id)
                .bind(conversation_id)
                .fetch_optional(m.db().reader())
                .await?
                .map(|r| r.try_get::<i64, _>(0))
                .transpose()?
        }
        None => None,
    };
    let same_time = if inclusive { "m.id <= $4" } else { "m.id < $4" };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{VIEW} WHERE m.conversation_id = $1 AND m.workspace_id = $2 \
         AND ($3 IS NULL OR m.created_at < $3 OR (m.created_at = $3 AND {same_time})) \
         ORDER BY m.created_at DESC, m.id DESC LIMIT $5"
    )))
    .bind(conversation_id)
    .bind(&member.workspace_id)
    .bind(cursor)
    .bind(before)
    .bind(limit.clamp(1, 200))
    .fetch_all(m.db().reader())
    .await?;
    let mut out = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

pub async fn get(m: &Messaging, member: &Member, id: &str, is_test: bool) -> Result<MessageView> {
    member.require(Permission::ConversationsView)?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{VIEW} WHERE m.id = $1 AND m.workspace_id = $2 AND m.is_test = $3"
    )))
    .bind(id)
    .bind(&member.workspace_id)
    .bind(i64::from(is_test))
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    view(&row)
}

/// Every status a message went through, in the order msgbuddy learnt them.
pub async fn history(m: &Messaging, member: &Member, id: &str) -> Result<Vec<StatusChange>> {
    member.require(Permission::ConversationsView)?;
    let rows = sqlx::query(
        "SELECT s.status, s.at, s.error_code, s.error_message FROM message_statuses s \
         JOIN messages m ON m.id = s.message_id WHERE s.message_id = $1 AND m.workspace_id = $2 ORDER BY s.id",
    )
    .bind(id)
    .bind(&member.workspace_id)
    .fetch_all(m.db().reader())
    .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get(0)?;
            Ok(StatusChange {
                status: DeliveryStatus::parse(&status)
                    .ok_or_else(|| Error::internal(format!("unknown status `{status}`")))?,
                at_ms: r.try_get(1)?,
                error_code: r.try_get(2)?,
                error_message: r.try_get(3)?,
            })
        })
        .collect()
}

/// Sends a failed message again ("Retry"): back to pending with a fresh set of attempts.
pub async fn retry(m: &Messaging, member: &Member, id: &str) -> Result<MessageView> {
    member.require(Permission::ConversationsReply)?;
    let mut tx = m.db().begin_write().await?;
    let row = sqlx::query(
        "SELECT conversation_id, is_test FROM messages WHERE id = $1 AND workspace_id = $2 AND direction = 'outbound' AND status = 'failed' AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(&member.workspace_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::App(AppError::conflict("Only a failed message can be retried.")))?;
    let conversation_id: String = row.try_get(0)?;
    let is_test = crate::flag(&row, 1)?;
    let now = now_ms();
    sqlx::query(
        "UPDATE messages SET status = 'pending', attempts = 0, send_state = 'idle', next_attempt_at = $1, \
         lease_until = NULL, lease_owner = NULL, error_code = NULL, error_message = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let mut pending = Pending::default();
    record_status(
        &mut tx,
        &m.bus,
        &mut pending,
        &member.workspace_id,
        id,
        &conversation_id,
        is_test,
        DeliveryStatus::Pending,
        now,
        None,
        "retry",
    )
    .await?;
    let message = view_in(&mut tx, id).await?;
    tx.commit().await?;
    m.bus.committed(pending);
    m.outbox.notify_one();
    Ok(message)
}
