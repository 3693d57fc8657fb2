//! Group commit for outgoing messages.
//!
//! Sends arrive concurrently (the inbox, the partner API, later campaigns) and each must be
//! stored before it is answered. One transaction each, with a dozen statements, made the
//! single SQLite writer the ceiling of the whole pipeline. Instead every send, checked as
//! far as it can be without the writer ([`crate::messages::send_at`]), is handed to one
//! writer task that takes whatever has queued up and stores it in one transaction: the
//! batch's contacts and conversations found with a query or two ([`recipients`]), the
//! channel's rules checked against them, what the accepted sends still lack created (so a
//! refused message creates nothing), then one insert of the messages, one of their
//! history rows, one update of the conversations and one write of the events. Alone, a
//! send is written at once.
//!
//! If the batch's transaction fails, each send is tried again on its own, so one bad row
//! never fails its neighbours.

mod recipients;

use crate::contacts::AddressKind;
use crate::conversations;
use crate::messages::StatusChanges;
use crate::rules;
use msgbuddy_core::db::{new_id, now_ms, placeholders, positional, rows_per_statement};
use msgbuddy_core::events::{EventBus, Pending};
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{ChannelKind, Content, DeliveryStatus, Direction, MessageView};
use msgbuddy_domain::{AppError, DomainEvent};
use recipients::Recipients;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::{Notify, mpsc, oneshot};

/// Sends stored per transaction, at most.
const BATCH: usize = 128;

/// Who a send goes to, as far as it could be resolved without the writer.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Conversation(String),
    Address {
        kind: AddressKind,
        /// Normalised.
        address: String,
        name: Option<String>,
    },
}

/// A send checked against everything that does not need the writer.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub workspace_id: String,
    pub is_test: bool,
    pub channel_id: String,
    pub kind: ChannelKind,
    pub max_segments: usize,
    pub target: Target,
    pub content: Content,
    pub source: String,
    pub user_id: Option<String>,
    /// The sending member's name, for the message as shown.
    pub sent_by: Option<String>,
    pub reply_to: Option<String>,
    pub at_ms: Option<i64>,
    pub cost: String,
}

type Answer = oneshot::Sender<Result<MessageView>>;

pub struct Outgoing {
    bus: EventBus,
    outbox: Arc<Notify>,
    writer: OnceLock<mpsc::Sender<(Draft, Answer)>>,
}

impl Outgoing {
    /// `outbox` wakes the dispatcher once sends are stored.
    pub fn new(bus: EventBus, outbox: Arc<Notify>) -> Self {
        Self {
            bus,
            outbox,
            writer: OnceLock::new(),
        }
    }

    /// Stores `draft` (with the batch it joins) and returns the message once committed, or
    /// the rule that refused it.
    pub(crate) async fn store(&self, draft: Draft) -> Result<MessageView> {
        let writer = self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * BATCH);
            tokio::spawn(write_batches(self.bus.clone(), self.outbox.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        writer
            .send((draft, reply))
            .await
            .map_err(|_| Error::internal("the message writer stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the message writer stopped"))?
    }
}

async fn write_batches(
    bus: EventBus,
    outbox: Arc<Notify>,
    mut rx: mpsc::Receiver<(Draft, Answer)>,
) {
    loop {
        // Waits for one, then takes whatever queued up behind it.
        let mut batch = Vec::with_capacity(BATCH);
        if rx.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
        let drafts: Vec<&Draft> = batch.iter().map(|(d, _)| d).collect();
        match write(&bus, &drafts).await {
            Ok(results) => {
                for ((_, answer), result) in batch.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, sends = batch.len(), "a batch of sends failed; storing each alone");
                for (draft, answer) in batch {
                    let result = match write(&bus, &[&draft]).await {
                        Ok(mut results) => results.pop().unwrap_or_else(|| {
                            Err(Error::internal("the message writer lost a send"))
                        }),
                        Err(e) => Err(e),
                    };
                    let _ = answer.send(result);
                }
            }
            Err(e) => {
                for (_, answer) in batch {
                    let _ = answer.send(Err(Error::internal(e.to_string())));
                }
            }
        }
        outbox.notify_one();
    }
}

/// A send that passed its rules, with the rows it goes into.
struct Placed<'a> {
    draft: &'a Draft,
    contact_id: String,
    contact_name: String,
    view: MessageView,
}

/// Stores `drafts` in one transaction; per draft, the message or the rule that refused it.
/// An error is the transaction's own.
async fn write(bus: &EventBus, drafts: &[&Draft]) -> Result<Vec<Result<MessageView>>> {
    let now = now_ms();
    let mut tx = bus.db().begin_write().await?;
    let mut recipients = Recipients::find(&mut tx, drafts).await?;
    // The rules first, against what exists: a refused send creates nothing.
    let mut results: Vec<Option<Result<MessageView>>> = drafts
        .iter()
        .map(|d| check(d, &recipients, now).err().map(|e| Err(Error::App(e))))
        .collect();
    let accepted: Vec<&Draft> = drafts
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_none())
        .map(|(d, _)| *d)
        .collect();
    recipients.create_missing(&mut tx, &accepted, now).await?;
    let mut placed = Vec::with_capacity(accepted.len());
    for (draft, result) in drafts.iter().zip(results.iter_mut()) {
        if result.is_some() {
            continue;
        }
        let (Some(contact), Some(conversation_id)) =
            (recipients.contact(draft), recipients.conversation(draft))
        else {
            *result = Some(Err(Error::internal(
                "the contact or conversation of a send could not be made",
            )));
            continue;
        };
        let view = MessageView {
            id: new_id("msg"),
            conversation_id,
            channel_id: draft.channel_id.clone(),
            direction: Direction::Outbound,
            content: draft.content.clone(),
            status: DeliveryStatus::Pending,
            error_code: None,
            error_message: None,
            sent_by: draft.sent_by.clone(),
            created_at_ms: now,
            is_test: draft.is_test,
            scheduled_at_ms: draft.at_ms,
            reply_to: draft.reply_to.clone(),
            provider_message_id: None,
            deleted_at_ms: None,
            deleted_for_everyone: false,
        };
        *result = Some(Ok(view.clone()));
        placed.push(Placed {
            draft,
            contact_id: contact.id.clone(),
            contact_name: contact.name.clone(),
            view,
        });
    }
    insert_messages(&mut tx, &placed, now).await?;
    touch_conversations(&mut tx, &placed, now).await?;
    let mut changes = StatusChanges::default();
    for p in placed {
        changes.push_history(&p.view.id, DeliveryStatus::Pending, now, &p.draft.source);
        changes.events.push(
            &p.draft.workspace_id,
            DomainEvent::MessageCreated {
                message: Box::new(p.view),
                contact_name: p.contact_name,
            },
        );
    }
    let mut pending = Pending::default();
    changes.write(&mut tx, bus, &mut pending).await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::internal("a send was left unanswered"))))
        .collect())
}

/// The channel's rules for one draft, against its contact and conversation as they are.
fn check(draft: &Draft, recipients: &Recipients, now: i64) -> std::result::Result<(), AppError> {
    let Some((flags, last_inbound)) = recipients.for_rules(draft) else {
        return Err(AppError::not_found());
    };
    let capabilities = msgbuddy_channels::registry::capabilities(draft.kind);
    rules::check(
        &draft.content,
        &rules::Context {
            kind: draft.kind,
            capabilities: &capabilities,
            contact: flags,
            window_open: conversations::window_open(capabilities.reply_window, last_inbound, now),
            max_segments: draft.max_segments,
            confirms_opt_out: draft.source == crate::messages::OPT_OUT_REPLY,
        },
    )
}

async fn insert_messages(conn: &mut AnyConnection, placed: &[Placed<'_>], now: i64) -> Result<()> {
    const COLUMNS: usize = 19;
    for chunk in placed.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO messages (id, workspace_id, is_test, conversation_id, channel_account_id, contact_id, direction, kind, \
             content, preview, status, source, sent_by, reply_to, next_attempt_at, created_at, updated_at, cost_estimate, scheduled_at) \
             VALUES {}",
            placeholders(chunk.len(), COLUMNS, 1)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for p in chunk {
            let d = p.draft;
            let content =
                serde_json::to_string(&d.content).map_err(|e| Error::internal(e.to_string()))?;
            insert = insert
                .bind(&p.view.id)
                .bind(&d.workspace_id)
                .bind(i64::from(d.is_test))
                .bind(&p.view.conversation_id)
                .bind(&d.channel_id)
                .bind(&p.contact_id)
                .bind(Direction::Outbound.as_str())
                .bind(d.content.kind())
                .bind(content)
                .bind(d.content.preview())
                .bind(DeliveryStatus::Pending.as_str())
                .bind(&d.source)
                .bind(d.user_id.as_deref())
                .bind(d.reply_to.as_deref())
                .bind(d.at_ms.unwrap_or(now))
                .bind(now)
                .bind(now)
                .bind(&d.cost)
                .bind(d.at_ms);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Moves each conversation of the batch to the top with its newest message's preview.
async fn touch_conversations(
    conn: &mut AnyConnection,
    placed: &[Placed<'_>],
    now: i64,
) -> Result<()> {
    // One row per conversation (an UPDATE ... FROM with two rows for one target applies
    // either): the last message of the batch wins.
    let mut latest: HashMap<&str, String> = HashMap::new();
    for p in placed {
        let preview: String = p.draft.content.preview().chars().take(200).collect();
        latest.insert(p.view.conversation_id.as_str(), preview);
    }
    let latest: Vec<(&str, String)> = latest.into_iter().collect();
    for chunk in latest.chunks(rows_per_statement(3)) {
        let sql = format!(
            "UPDATE conversations SET \
               last_message_at = CASE WHEN last_message_at > v.column3 THEN last_message_at ELSE v.column3 END, \
               last_message_preview = v.column2, updated_at = v.column3, waiting_since = NULL \
             FROM (VALUES {}) AS v WHERE conversations.id = v.column1",
            placeholders(chunk.len(), 3, 1)
        );
        let mut update = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for (id, preview) in chunk {
            update = update.bind(*id).bind(preview).bind(now);
        }
        update.execute(&mut *conn).await?;
    }
    Ok(())
}
