//! Saved filters: a member names the list's current view, filters and sort, and gets it
//! back as a link beside the built-in views. Personal: nobody else sees them. The
//! query string is rebuilt here from the list's own fields, so a saved view is never
//! more than a link to the list.

use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Db, Error, Result};
use msgbuddy_domain::values::query_value;
use msgbuddy_domain::{AppError, Permission};
use sqlx::Row;

/// The most views one member keeps in a workspace.
pub const MAX_VIEWS: i64 = 30;
const MAX_NAME_CHARS: usize = 60;
/// The list's query fields a view may keep.
const FIELDS: [&str; 9] = [
    "view", "channel", "status", "assignee", "label", "unread", "sort", "since", "until",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    /// The list's query string, without `?`.
    pub query: String,
}

/// The member's saved views, by name.
pub async fn list(db: &Db, member: &Member) -> Result<Vec<SavedView>> {
    member.require(Permission::ConversationsView)?;
    let rows = sqlx::query(
        "SELECT id, name, query FROM saved_views WHERE workspace_id = $1 AND user_id = $2 \
         ORDER BY lower(name), id",
    )
    .bind(&member.workspace_id)
    .bind(&member.user_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SavedView {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                query: r.try_get(2)?,
            })
        })
        .collect()
}

/// Saves the list's `fields` (name, value; empty ones left out) as a view called `name`.
/// The caller has checked that the fields make a valid list.
pub async fn save(
    db: &Db,
    member: &Member,
    name: &str,
    fields: &[(&str, &str)],
) -> Result<SavedView> {
    member.require(Permission::ConversationsView)?;
    let name = checked_name(name)?;
    let query = query_string(fields)?;
    let mut tx = db.begin_write().await?;
    let kept: i64 =
        sqlx::query("SELECT COUNT(*) FROM saved_views WHERE workspace_id = $1 AND user_id = $2")
            .bind(&member.workspace_id)
            .bind(&member.user_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    if kept >= MAX_VIEWS {
        return Err(AppError::invalid_field(
            "name",
            format!("You can keep {MAX_VIEWS} views; delete one first."),
        )
        .into());
    }
    let view = SavedView {
        id: new_id("sv"),
        name,
        query,
    };
    let inserted = sqlx::query(
        "INSERT INTO saved_views (id, workspace_id, user_id, name, query, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&view.id)
    .bind(&member.workspace_id)
    .bind(&member.user_id)
    .bind(&view.name)
    .bind(&view.query)
    .bind(now_ms())
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) => {
            let e = Error::from(e);
            if e.is_unique_violation(
                "saved_views_workspace_id_user_id_name_key",
                "saved_views.name",
            ) {
                return Err(AppError::invalid_field(
                    "name",
                    "You already have a view with this name.",
                )
                .into());
            }
            return Err(e);
        }
    }
    tx.commit().await?;
    Ok(view)
}

/// Deletes one of the member's views; another's, or none, is not found.
pub async fn delete(db: &Db, member: &Member, id: &str) -> Result<()> {
    member.require(Permission::ConversationsView)?;
    let gone =
        sqlx::query("DELETE FROM saved_views WHERE id = $1 AND workspace_id = $2 AND user_id = $3")
            .bind(id)
            .bind(&member.workspace_id)
            .bind(&member.user_id)
            .execute(db.writer())
            .await?;
    if gone.rows_affected() == 0 {
        return Err(AppError::not_found().into());
    }
    Ok(())
}

fn checked_name(raw: &str) -> Result<String, AppError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(AppError::invalid_field("name", "Give the view a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid_field(
            "name",
            format!("A view's name has at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid_field(
            "name",
            "A view's name cannot hold control characters.",
        ));
    }
    Ok(name)
}

/// `view=mine&label=lb_1`: the known fields, each value escaped, in the list's order.
fn query_string(fields: &[(&str, &str)]) -> Result<String, AppError> {
    let mut pairs = Vec::new();
    for (name, value) in fields {
        if !FIELDS.contains(name) {
            return Err(AppError::validation(format!(
                "A view cannot keep the field {name}."
            )));
        }
        if value.len() > 200 {
            return Err(AppError::invalid_field(name, "This value is too long."));
        }
        if !value.trim().is_empty() {
            pairs.push(format!("{name}={}", query_value(value.trim())));
        }
    }
    Ok(pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(checked_name("  My   VIPs ").expect("ok"), "My VIPs");
        assert!(checked_name("   ").is_err());
        assert!(checked_name(&"x".repeat(61)).is_err());
        assert!(checked_name("a\u{7}b").is_err());
    }

    #[test]
    fn the_query_keeps_known_fields_escaped_and_drops_empty_ones() {
        assert_eq!(
            query_string(&[("view", "mine"), ("label", "lb 1&x=2"), ("channel", "")]).expect("ok"),
            "view=mine&label=lb%201%26x%3D2"
        );
        assert!(query_string(&[("after", "1:x")]).is_err());
    }
}
