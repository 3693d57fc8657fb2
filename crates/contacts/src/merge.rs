//! Duplicates and merging. Phone, email and Telegram id are unique in a workspace, so
//! the same person shows up twice as one contact per address: the name they gave on
//! WhatsApp and again by email. [`duplicates`] finds contacts with the same name (case
//! and spacing aside) or whose phone or email another contact keeps in a custom field;
//! [`merge`] folds contacts into one survivor: conversations and messages move, tags,
//! groups and opt-outs are united, and each detail and field takes the value the member
//! picked (else the survivor's, else the first other contact's that has one).

use crate::contact::{read_row, row_columns};
use crate::definitions;
use crate::sql::Sql;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::now_ms;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::contact::ContactRow;
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_domain::{AppError, Permission};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Groups [`duplicates`] returns at most, and contacts merged at once.
const MAX_GROUPS: i64 = 50;
pub const MAX_MERGED: usize = 10;

/// The contact's own details a merge chooses between.
pub const DETAILS: [&str; 5] = ["name", "phone", "email", "telegram_id", "language"];

/// Likely duplicates: groups of two or more live contacts.
pub async fn duplicates(db: &Db, member: &Member) -> Result<Vec<Vec<ContactRow>>> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    let live = "c.workspace_id = $1 AND c.is_test = 0 AND c.deleted_at IS NULL";
    let names = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT lower(trim(c.name)) FROM contacts c WHERE {live} \
         GROUP BY lower(trim(c.name)) HAVING COUNT(*) > 1 ORDER BY 1 LIMIT {MAX_GROUPS}"
    )))
    .bind(&member.workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut groups = Vec::new();
    for row in names {
        let key: String = row.try_get(0)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM contacts c WHERE {live} AND lower(trim(c.name)) = $2 ORDER BY c.created_at, c.id",
            row_columns()
        )))
        .bind(&member.workspace_id)
        .bind(&key)
        .fetch_all(&mut *conn)
        .await?;
        groups.push(rows.iter().map(read_row).collect::<Result<Vec<_>>>()?);
    }
    // A phone or email one contact has as its address and another keeps in a field.
    let pairs = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, o.id FROM contacts c \
         JOIN contact_field_values v ON v.value_text IN (c.phone, c.email) \
         JOIN custom_fields f ON f.id = v.field_id AND f.kind IN ('phone', 'email') \
         JOIN contacts o ON o.id = v.contact_id AND o.id <> c.id AND o.deleted_at IS NULL \
         WHERE {live} AND f.workspace_id = $1 LIMIT {MAX_GROUPS}"
    )))
    .bind(&member.workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    for pair in pairs {
        let ids: [String; 2] = [pair.try_get(0)?, pair.try_get(1)?];
        if groups
            .iter()
            .any(|g| ids.iter().all(|id| g.iter().any(|r| &r.id == id)))
        {
            continue;
        }
        let mut group = Vec::new();
        for id in &ids {
            group.push(one(&mut conn, &member.workspace_id, id).await?);
        }
        groups.push(group);
    }
    Ok(groups)
}

async fn one(conn: &mut AnyConnection, workspace_id: &str, id: &str) -> Result<ContactRow> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM contacts c WHERE c.id = $1 AND c.workspace_id = $2 AND c.is_test = 0 AND c.deleted_at IS NULL",
        row_columns()
    )))
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::App(AppError::invalid_field("contacts", "A contact to merge does not exist here.")))?;
    read_row(&row)
}

/// What to merge: the survivor, the others, and for each detail (`name`, `phone`, ...)
/// or field key the contact whose value wins.
#[derive(Debug, Clone, Default)]
pub struct MergeRequest {
    pub survivor: String,
    pub others: Vec<String>,
    pub picks: HashMap<String, String>,
}

/// Merges the others into the survivor; audited with every merged contact's details.
pub async fn merge(db: &Db, actor: &Actor, member: &Member, req: &MergeRequest) -> Result<()> {
    member.require(Permission::ContactsEdit)?;
    let mut others = req.others.clone();
    others.retain(|o| *o != req.survivor);
    others.dedup();
    if others.is_empty() || others.len() > MAX_MERGED {
        return Err(AppError::invalid_field(
            "contacts",
            format!("Choose 1 to {MAX_MERGED} contacts to merge into the one you keep."),
        )
        .into());
    }
    let mut tx = db.begin_write().await?;
    let ws = member.workspace_id.as_str();
    let everyone: Vec<String> = std::iter::once(req.survivor.clone())
        .chain(others.iter().cloned())
        .collect();
    let mut details: HashMap<String, [Option<String>; 5]> = HashMap::new();
    for id in &everyone {
        one(&mut tx, ws, id).await?;
        let row = sqlx::query(
            "SELECT name, phone, email, telegram_id, language FROM contacts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        details.insert(
            id.clone(),
            [
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
            ],
        );
    }
    for (key, from) in &req.picks {
        if !everyone.contains(from) {
            return Err(AppError::invalid_field(
                &format!("pick.{key}"),
                "Pick one of the contacts being merged.",
            )
            .into());
        }
    }
    // Each detail: the pick, else the survivor's, else the first other's that has one.
    let chosen: Vec<Option<String>> = DETAILS
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let of = |id: &String| details.get(id).and_then(|d| d[i].clone());
            match req.picks.get(*key) {
                Some(from) => of(from),
                None => everyone.iter().find_map(of),
            }
        })
        .collect();
    if chosen[0].as_deref().is_none_or(str::is_empty) {
        return Err(
            AppError::invalid_field("pick.name", "The merged contact needs a name.").into(),
        );
    }
    let before = serde_json::json!(
        everyone
            .iter()
            .map(|id| (id.clone(), details.get(id).cloned()))
            .collect::<HashMap<_, _>>()
    );
    let fields = definitions::load(&mut tx, ws, FieldScope::Contact).await?;
    let field_picks: Vec<(String, String)> = fields
        .iter()
        .filter_map(|f| {
            req.picks
                .get(&f.key)
                .map(|from| (f.id.clone(), from.clone()))
        })
        .collect();
    for other in &others {
        move_history(&mut tx, &req.survivor, other).await?;
        unite(&mut tx, &req.survivor, other).await?;
    }
    // Picked field values replace the survivor's; unpicked ones keep the survivor's, or
    // take the first other's where the survivor has none.
    for (field_id, from) in &field_picks {
        if *from == req.survivor {
            continue;
        }
        sqlx::query("DELETE FROM contact_field_values WHERE contact_id = $1 AND field_id = $2")
            .bind(&req.survivor)
            .bind(field_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO contact_field_values (contact_id, field_id, value_text, value_number) \
             SELECT CAST($1 AS TEXT), field_id, value_text, value_number FROM contact_field_values WHERE contact_id = $2 AND field_id = $3",
        )
        .bind(&req.survivor)
        .bind(from)
        .bind(field_id)
        .execute(&mut *tx)
        .await?;
    }
    for other in &others {
        sqlx::query(
            "INSERT INTO contact_field_values (contact_id, field_id, value_text, value_number) \
             SELECT CAST($1 AS TEXT), field_id, value_text, value_number FROM contact_field_values WHERE contact_id = $2 \
             ON CONFLICT (contact_id, field_id) DO NOTHING",
        )
        .bind(&req.survivor)
        .bind(other)
        .execute(&mut *tx)
        .await?;
    }
    // The others go first, so the survivor can take their phone or email.
    let mut delete = Sql::new("DELETE FROM contacts WHERE id IN (");
    for (i, id) in others.iter().enumerate() {
        if i > 0 {
            delete.push(", ");
        }
        delete.bind_text(id.clone());
    }
    delete.push(")");
    delete.query().execute(&mut *tx).await?;
    sqlx::query(
        "UPDATE contacts SET name = $1, phone = $2, email = $3, telegram_id = $4, language = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(chosen[0].as_deref())
    .bind(chosen[1].as_deref())
    .bind(chosen[2].as_deref())
    .bind(chosen[3].as_deref())
    .bind(chosen[4].as_deref())
    .bind(now_ms())
    .bind(&req.survivor)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(ws),
            action: "contact.merge",
            target_type: "contact",
            target_id: Some(&req.survivor),
            before: Some(before),
            after: Some(serde_json::json!({ "survivor": req.survivor, "merged": others, "details": chosen })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves `other`'s conversations and messages to the survivor. A customer has one open
/// conversation per channel, so where both have one, `other`'s is resolved first.
async fn move_history(conn: &mut AnyConnection, survivor: &str, other: &str) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET status = 'resolved' WHERE contact_id = $1 AND status <> 'resolved' \
         AND channel_account_id IN (SELECT channel_account_id FROM conversations WHERE contact_id = $2 AND status <> 'resolved')",
    )
    .bind(other)
    .bind(survivor)
    .execute(&mut *conn)
    .await?;
    for table in ["conversations", "messages"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET contact_id = $1 WHERE contact_id = $2"
        )))
        .bind(survivor)
        .bind(other)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Gives the survivor `other`'s tags, groups, opt-outs and other phone numbers as well as
/// its own.
async fn unite(conn: &mut AnyConnection, survivor: &str, other: &str) -> Result<()> {
    for sql in [
        "INSERT INTO contact_tags (contact_id, tag_id, added_at) SELECT CAST($1 AS TEXT), tag_id, added_at FROM contact_tags WHERE contact_id = $2 ON CONFLICT DO NOTHING",
        "INSERT INTO contact_group_members (group_id, contact_id, added_at) SELECT group_id, CAST($1 AS TEXT), added_at FROM contact_group_members WHERE contact_id = $2 ON CONFLICT DO NOTHING",
        "INSERT INTO contact_opt_outs (contact_id, channel_kind, reason, source, created_at) SELECT CAST($1 AS TEXT), channel_kind, reason, source, created_at FROM contact_opt_outs WHERE contact_id = $2 ON CONFLICT DO NOTHING",
        "UPDATE contact_phones SET contact_id = $1 WHERE contact_id = $2",
        "UPDATE contacts SET blocked = 1 WHERE id = $1 AND EXISTS (SELECT 1 FROM contacts WHERE id = $2 AND blocked <> 0)",
    ] {
        sqlx::query(sql)
            .bind(survivor)
            .bind(other)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
