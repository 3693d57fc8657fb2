//! The contact beside a thread: their details and their other conversations (those the
//! member may see), so an agent answers knowing what came before. Custom fields and
//! tags join it with the contacts module.

use crate::access::sees_all;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{ContactPanel, ConversationSummary, OptOuts};
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::conversations::{SUMMARY, summary};
use sqlx::Row;

/// Conversations a contact's panel or page lists, at most.
const OTHERS: i64 = 20;

/// The panel for `conversation`'s contact, as `member` may see it.
pub async fn panel(
    m: &Messaging,
    member: &Member,
    conversation: &ConversationSummary,
) -> Result<ContactPanel> {
    member.require(Permission::ConversationsView)?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, phone, email, telegram_id, {}, blocked, created_at, last_seen_at \
         FROM contacts WHERE id = $1 AND workspace_id = $2",
        msgbuddy_contacts::opt_outs::mask_sql("contacts.id")
    )))
    .bind(&conversation.contact_id)
    .bind(&member.workspace_id)
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let others =
        conversations_of(m, member, &conversation.contact_id, Some(&conversation.id)).await?;
    let (other_phones, tags, fields, conversation_fields) = {
        let mut conn = m.db().reader().acquire().await?;
        let id = conversation.contact_id.as_str();
        let ws = member.workspace_id.as_str();
        (
            msgbuddy_contacts::phones::of(&mut conn, id).await?,
            msgbuddy_contacts::tags::of(&mut conn, id).await?,
            msgbuddy_contacts::contact::field_entries(&mut conn, ws, id).await?,
            msgbuddy_contacts::conversation_fields::of(&mut conn, ws, &conversation.id).await?,
        )
    };
    Ok(ContactPanel {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        phone: row.try_get(2)?,
        other_phones,
        email: row.try_get(3)?,
        telegram_id: row.try_get(4)?,
        opted_out: OptOuts::from_mask(row.try_get(5)?),
        blocked: row.try_get::<i64, _>(6)? != 0,
        created_at_ms: row.try_get(7)?,
        last_seen_ms: row.try_get(8)?,
        tags,
        fields,
        conversation_fields,
        conversations: others,
    })
}

/// The contact's newest conversations `member` may see, but `except`.
pub async fn conversations_of(
    m: &Messaging,
    member: &Member,
    contact_id: &str,
    except: Option<&str>,
) -> Result<Vec<ConversationSummary>> {
    member.require(Permission::ConversationsView)?;
    let visible = if sees_all(member) {
        ""
    } else {
        " AND (c.assignee_id IS NULL OR c.assignee_id = $4)"
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SUMMARY} WHERE c.contact_id = $1 AND c.workspace_id = $2 AND c.id <> $3{visible} \
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT {OTHERS}"
    )))
    .bind(contact_id)
    .bind(&member.workspace_id)
    .bind(except.unwrap_or_default());
    let rows = if visible.is_empty() {
        rows
    } else {
        rows.bind(&member.user_id)
    };
    rows.fetch_all(m.db().reader())
        .await?
        .iter()
        .map(summary)
        .collect()
}
