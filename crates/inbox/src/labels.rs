//! Labels: managed in Settings by those who edit settings (each change audited), applied
//! to and removed from conversations by anyone who may reply (each a timeline note and a
//! live event). A label has at most one parent, itself top-level, so the tree is two
//! levels deep and never a cycle.

use crate::access;
use crate::timeline::commit_change;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Error, Result};
use msgbuddy_domain::message::{ConversationSummary, Label};
use msgbuddy_domain::values::{Colour, LabelName};
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A label as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct LabelForm {
    pub name: String,
    pub colour: String,
    pub description: String,
    pub parent_id: Option<String>,
}

const COLUMNS: &str = "id, name, colour, description, parent_id";

fn label(row: &AnyRow) -> Result<Label> {
    Ok(Label {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        colour: row.try_get(2)?,
        description: row.try_get(3)?,
        parent_id: row.try_get(4)?,
    })
}

/// The workspace's labels: each parent followed by its children, by name.
pub async fn list(m: &Messaging, member: &Member) -> Result<Vec<Label>> {
    member.require(Permission::ConversationsView)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM labels WHERE workspace_id = $1 ORDER BY lower(name)"
    )))
    .bind(&member.workspace_id)
    .fetch_all(m.db().reader())
    .await?;
    let all = rows.iter().map(label).collect::<Result<Vec<_>>>()?;
    let mut tree = Vec::with_capacity(all.len());
    for parent in all.iter().filter(|l| l.parent_id.is_none()) {
        tree.push(parent.clone());
        tree.extend(
            all.iter()
                .filter(|l| l.parent_id.as_deref() == Some(parent.id.as_str()))
                .cloned(),
        );
    }
    Ok(tree)
}

async fn find(conn: &mut AnyConnection, workspace_id: &str, id: &str) -> Result<Label> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM labels WHERE id = $1 AND workspace_id = $2"
    )))
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    label(&row)
}

/// Checks a form into a label's values.
async fn checked(
    conn: &mut AnyConnection,
    member: &Member,
    id: Option<&str>,
    form: &LabelForm,
) -> Result<(LabelName, Colour, String, Option<String>)> {
    let name = LabelName::parse(&form.name)?;
    let colour = Colour::parse(&form.colour)?;
    let description: String = form
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if description.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "description",
            "The description can be at most 200 characters.",
        )
        .into());
    }
    let parent = form.parent_id.as_deref().filter(|p| !p.is_empty());
    if let Some(parent) = parent {
        let bad_parent = |why: &str| Error::App(AppError::invalid_field("parent_id", why));
        if Some(parent) == id {
            return Err(bad_parent("A label cannot be its own parent."));
        }
        let found = find(conn, &member.workspace_id, parent)
            .await
            .map_err(|_| bad_parent("There is no such label to nest it under."))?;
        if found.parent_id.is_some() {
            return Err(bad_parent(
                "Labels nest one level deep: choose a top-level label as the parent.",
            ));
        }
        if let Some(id) = id {
            let children = sqlx::query("SELECT 1 FROM labels WHERE parent_id = $1 LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            if children.is_some() {
                return Err(bad_parent(
                    "This label has labels under it, so it stays at the top level.",
                ));
            }
        }
    }
    Ok((name, colour, description, parent.map(str::to_owned)))
}

fn taken(e: Error) -> Error {
    if e.is_unique_violation("labels_name_key", "name") {
        AppError::invalid_field("name", "There is already a label with this name.").into()
    } else {
        e
    }
}

/// Records a change of label `id` in the audit log.
async fn audited(
    conn: &mut AnyConnection,
    actor: &Actor,
    member: &Member,
    action: &str,
    id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    audit::record(
        conn,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action,
            target_type: "label",
            target_id: Some(id),
            before,
            after,
        },
    )
    .await
}

fn snapshot(l: &Label) -> serde_json::Value {
    serde_json::json!({
        "name": l.name, "colour": l.colour, "description": l.description, "parent_id": l.parent_id,
    })
}

/// Creates a label (Settings > Labels).
pub async fn create(
    m: &Messaging,
    member: &Member,
    actor: &Actor,
    form: &LabelForm,
) -> Result<Label> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = m.db().begin_write().await?;
    let (name, colour, description, parent_id) = checked(&mut tx, member, None, form).await?;
    let created = Label {
        id: new_id("lbl"),
        name: name.as_str().to_owned(),
        colour: colour.as_str().to_owned(),
        description,
        parent_id,
    };
    sqlx::query(
        "INSERT INTO labels (id, workspace_id, parent_id, name, colour, description, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&created.id)
    .bind(&member.workspace_id)
    .bind(created.parent_id.as_deref())
    .bind(&created.name)
    .bind(&created.colour)
    .bind(&created.description)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e.into()))?;
    audited(
        &mut tx,
        actor,
        member,
        "label.created",
        &created.id,
        None,
        Some(snapshot(&created)),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a label's name, colour, description or parent.
pub async fn update(
    m: &Messaging,
    member: &Member,
    actor: &Actor,
    id: &str,
    form: &LabelForm,
) -> Result<Label> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = m.db().begin_write().await?;
    let before = find(&mut tx, &member.workspace_id, id).await?;
    let (name, colour, description, parent_id) = checked(&mut tx, member, Some(id), form).await?;
    let after = Label {
        id: id.to_owned(),
        name: name.as_str().to_owned(),
        colour: colour.as_str().to_owned(),
        description,
        parent_id,
    };
    sqlx::query(
        "UPDATE labels SET name = $1, colour = $2, description = $3, parent_id = $4 WHERE id = $5",
    )
    .bind(&after.name)
    .bind(&after.colour)
    .bind(&after.description)
    .bind(after.parent_id.as_deref())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e.into()))?;
    audited(
        &mut tx,
        actor,
        member,
        "label.updated",
        id,
        Some(snapshot(&before)),
        Some(snapshot(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a label, its children, and their places on conversations.
pub async fn delete(m: &Messaging, member: &Member, actor: &Actor, id: &str) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = m.db().begin_write().await?;
    let before = find(&mut tx, &member.workspace_id, id).await?;
    // Children first: not every backend's foreign keys cascade the same way within one
    // statement.
    sqlx::query(
        "DELETE FROM conversation_labels WHERE label_id IN (SELECT id FROM labels WHERE id = $1 OR parent_id = $1)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM labels WHERE parent_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM labels WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audited(
        &mut tx,
        actor,
        member,
        "label.deleted",
        id,
        Some(snapshot(&before)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Puts label `label_id` on conversation `id` (`on`), or takes it off.
pub async fn set(
    m: &Messaging,
    member: &Member,
    id: &str,
    label_id: &str,
    on: bool,
) -> Result<ConversationSummary> {
    member.require(Permission::ConversationsReply)?;
    let mut tx = m.db().begin_write().await?;
    access::current(&mut tx, member, id).await?;
    let label = find(&mut tx, &member.workspace_id, label_id)
        .await
        .map_err(|_| AppError::invalid_field("label_id", "There is no such label."))?;
    let changed = if on {
        sqlx::query(
            "INSERT INTO conversation_labels (conversation_id, label_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (conversation_id, label_id) DO NOTHING",
        )
        .bind(id)
        .bind(label_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query("DELETE FROM conversation_labels WHERE conversation_id = $1 AND label_id = $2")
            .bind(id)
            .bind(label_id)
            .execute(&mut *tx)
            .await?
    };
    if changed.rows_affected() == 0 {
        drop(tx);
        return access::conversation(m, member, id).await;
    }
    let actor = access::user_name(&mut tx, &member.user_id).await?;
    let note = if on {
        format!("Label {} added by {actor}", label.name)
    } else {
        format!("Label {} removed by {actor}", label.name)
    };
    commit_change(m, tx, member, id, &note).await
}

/// Fills in the labels of `conversations`, in one query.
pub async fn attach(
    conn: &mut AnyConnection,
    conversations: &mut [ConversationSummary],
) -> Result<()> {
    if conversations.is_empty() {
        return Ok(());
    }
    let placeholders = (1..=conversations.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT cl.conversation_id, l.id, l.name, l.colour, l.description, l.parent_id \
         FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id \
         WHERE cl.conversation_id IN ({placeholders}) ORDER BY lower(l.name)"
    )));
    for c in conversations.iter() {
        query = query.bind(c.id.clone());
    }
    let mut by_conversation: HashMap<String, Vec<Label>> = HashMap::new();
    for row in query.fetch_all(&mut *conn).await? {
        let conversation: String = row.try_get(0)?;
        by_conversation
            .entry(conversation)
            .or_default()
            .push(Label {
                id: row.try_get(1)?,
                name: row.try_get(2)?,
                colour: row.try_get(3)?,
                description: row.try_get(4)?,
                parent_id: row.try_get(5)?,
            });
    }
    for c in conversations.iter_mut() {
        c.labels = by_conversation.remove(&c.id).unwrap_or_default();
    }
    Ok(())
}
