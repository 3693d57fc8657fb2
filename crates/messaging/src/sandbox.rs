//! The Sandbox's side effects: the receipts it promised when it accepted a message, and
//! customer messages simulated from its settings page. Both are stored as Sandbox webhook
//! deliveries, due when the receipt would arrive, so they travel the same path as any
//! provider's webhooks.

use crate::Messaging;
use crate::accounts::{self, Loaded};
use msgbuddy_channels::sandbox::{SandboxEvent, SandboxWebhook};
use msgbuddy_channels::{Accepted, signature};
use msgbuddy_core::db::{new_id, now_ms, placeholders, positional, rows_per_statement};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::Content;
use msgbuddy_domain::values::Phone;
use msgbuddy_domain::{AppError, Permission};
use sqlx::AnyConnection;

/// A Sandbox webhook delivery to store, due at `due_ms`.
#[derive(Debug)]
pub(crate) struct Hook {
    workspace_id: String,
    channel_id: String,
    is_test: bool,
    body: String,
    due_ms: i64,
    now: i64,
}

impl Hook {
    fn new(
        workspace_id: &str,
        channel_id: &str,
        is_test: bool,
        hook: &SandboxWebhook,
        due_ms: i64,
        now: i64,
    ) -> Result<Self> {
        Ok(Self {
            workspace_id: workspace_id.to_owned(),
            channel_id: channel_id.to_owned(),
            is_test,
            body: serde_json::to_string(hook).map_err(|e| Error::internal(e.to_string()))?,
            due_ms,
            now,
        })
    }
}

/// Stores `hooks` as pending deliveries, many to a statement; one already stored (the
/// same body on the same channel) is kept once.
pub(crate) async fn store_all(conn: &mut AnyConnection, hooks: &[Hook]) -> Result<()> {
    const COLUMNS: usize = 10;
    for chunk in hooks.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO webhook_events (id, workspace_id, channel_account_id, is_test, body_hash, body, received_at, process_after, content_type, state) \
             VALUES {} ON CONFLICT (channel_account_id, body_hash) DO NOTHING",
            placeholders(chunk.len(), COLUMNS, 1)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for h in chunk {
            insert = insert
                .bind(new_id("wh"))
                .bind(&h.workspace_id)
                .bind(&h.channel_id)
                .bind(i64::from(h.is_test))
                .bind(signature::hex(&signature::sha256(h.body.as_bytes())))
                .bind(&h.body)
                .bind(h.now)
                .bind(h.due_ms)
                .bind("application/json")
                .bind("pending");
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The receipts the Sandbox promised for a message it accepted, as deliveries to store.
pub(crate) fn receipts(
    sandbox: &Loaded,
    workspace_id: &str,
    message_id: &str,
    is_test: bool,
    accepted: &Accepted,
    now: i64,
) -> Result<Vec<Hook>> {
    accepted
        .scheduled_receipts
        .iter()
        .map(|receipt| {
            let at = now + i64::try_from(receipt.after.as_millis()).unwrap_or(0);
            let hook = SandboxWebhook {
                events: vec![SandboxEvent::Status {
                    message_id: accepted.provider_message_id.clone(),
                    status: receipt.status,
                    at_ms: at,
                    reference: Some(message_id.to_owned()),
                    error_code: receipt.error.as_ref().map(|e| e.code.clone()),
                    error_message: receipt.error.as_ref().map(|e| e.message.clone()),
                }],
            };
            Hook::new(workspace_id, &sandbox.id, is_test, &hook, at, now)
        })
        .collect()
}

/// "Simulate a customer message": the Sandbox delivers a message from `from` as if a
/// customer had written.
pub async fn simulate_customer_message(
    m: &Messaging,
    member: &Member,
    is_test: bool,
    from: &str,
    name: Option<&str>,
    text: &str,
) -> Result<()> {
    member.require(Permission::ConversationsReply)?;
    let from = Phone::parse(from).map_err(|_| {
        AppError::invalid_field("from", "Use a phone number in E.164, like +15551234567.")
    })?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 4096 {
        return Err(AppError::invalid_field("text", "Write 1 to 4096 characters.").into());
    }
    let sandbox = accounts::load_sandbox(m, &member.workspace_id).await?;
    let now = now_ms();
    let hook = SandboxWebhook {
        events: vec![SandboxEvent::Message {
            id: new_id("sbx_in"),
            from: from.as_str().to_owned(),
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            at_ms: now,
            content: Content::Text {
                body: text.to_owned(),
            },
        }],
    };
    let hook = Hook::new(&member.workspace_id, &sandbox.id, is_test, &hook, now, now)?;
    let mut conn = m.db().writer().acquire().await?;
    store_all(&mut conn, &[hook]).await?;
    drop(conn);
    m.inbox.notify_one();
    Ok(())
}
