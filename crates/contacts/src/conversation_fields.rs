//! Values of the workspace's conversation-scoped custom fields (a conversation's
//! priority, an order number), set from the thread's side panel. Each value is checked
//! against its field as contact values are; who may see the conversation is the inbox's
//! question, asked before these are called.

use crate::definitions;
use crate::fields::{self, FieldValue};
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::contact::ConversationField;
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_domain::{AppError, Permission};
use serde_json::Value as Json;
use sqlx::{AnyConnection, Row};

/// Every conversation field of the workspace with the conversation's value.
pub async fn of(
    conn: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Vec<ConversationField>> {
    let definitions = definitions::load(conn, workspace_id, FieldScope::Conversation).await?;
    if definitions.is_empty() {
        return Ok(Vec::new());
    }
    let stored = sqlx::query(
        "SELECT field_id, value_text, value_number FROM conversation_field_values WHERE conversation_id = $1",
    )
    .bind(conversation_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(definitions.len());
    for field in definitions {
        let mut value = String::new();
        for row in &stored {
            if row.try_get::<String, _>(0)? == field.id
                && let Some(v) =
                    FieldValue::from_columns(field.kind, row.try_get(1)?, row.try_get(2)?)
            {
                value = v.display();
            }
        }
        out.push(ConversationField { field, value });
    }
    Ok(out)
}

/// Sets the given fields of a conversation of the member's workspace (by key; a
/// blank clears one, unless the field is required). Every value is checked first: one
/// refusal, named `field.<key>`, changes nothing.
pub async fn save(
    db: &Db,
    actor: &Actor,
    member: &Member,
    conversation_id: &str,
    values: &[(String, Json)],
) -> Result<()> {
    member.require(Permission::ConversationsReply)?;
    let mut tx = db.begin_write().await?;
    sqlx::query("SELECT 1 FROM conversations WHERE id = $1 AND workspace_id = $2")
        .bind(conversation_id)
        .bind(&member.workspace_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::App(AppError::not_found()))?;
    let definitions =
        definitions::load(&mut tx, &member.workspace_id, FieldScope::Conversation).await?;
    let mut checked = Vec::with_capacity(values.len());
    for (key, raw) in values {
        let name = format!("field.{key}");
        let def = definitions.iter().find(|d| d.key == *key).ok_or_else(|| {
            AppError::invalid_field(
                &name,
                "There is no such conversation field in this workspace.",
            )
        })?;
        let value = fields::value_from_json(def, raw)
            .and_then(|v| fields::check_required(def, &v).map(|()| v))
            .map_err(|m| AppError::invalid_field(&name, format!("{}: {m}", def.label)))?;
        checked.push((def, value));
    }
    for (def, value) in &checked {
        match value {
            None => {
                sqlx::query(
                    "DELETE FROM conversation_field_values WHERE conversation_id = $1 AND field_id = $2",
                )
                .bind(conversation_id)
                .bind(&def.id)
                .execute(&mut *tx)
                .await?;
            }
            Some(value) => {
                let (text, number) = value.to_columns();
                sqlx::query(
                    "INSERT INTO conversation_field_values (conversation_id, field_id, value_text, value_number) \
                     VALUES ($1, $2, $3, CAST($4 AS DOUBLE PRECISION)) \
                     ON CONFLICT (conversation_id, field_id) DO UPDATE SET value_text = excluded.value_text, value_number = excluded.value_number",
                )
                .bind(conversation_id)
                .bind(&def.id)
                .bind(text)
                .bind(crate::sql::real_text(number))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    let after: serde_json::Map<String, Json> = checked
        .iter()
        .map(|(def, v)| {
            (
                def.key.clone(),
                v.as_ref().map_or(Json::Null, FieldValue::to_json),
            )
        })
        .collect();
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "conversation.fields",
            target_type: "conversation",
            target_id: Some(conversation_id),
            before: None,
            after: Some(Json::Object(after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
