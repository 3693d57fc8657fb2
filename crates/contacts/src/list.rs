//! The contact list: search, filters, two sorts and keyset pages (a page after the last
//! row shown, so contacts arriving meanwhile never shift or repeat a page).

use crate::contact::{read_row, row_columns};
use crate::segments;
use crate::sql::Sql;
use crate::tags;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Db, Result};
use msgbuddy_domain::contact::{ContactFilter, ContactPage, ContactSort, PAGE_SIZE};
use msgbuddy_domain::message::ChannelKind;
use msgbuddy_domain::{AppError, Permission};
use sqlx::Row;

/// The longest search.
const MAX_QUERY_CHARS: usize = 200;

/// `raw` for a `LIKE ... ESCAPE '\'` pattern, matching it anywhere.
pub(crate) fn contains_pattern(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    out.push('%');
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The `WHERE` clause of a filter (without the keyset), from `contacts c`. A segment is
/// [`page`]'s to add: reading it takes the database.
pub fn filter_sql(
    workspace_id: &str,
    test_mode: bool,
    filter: &ContactFilter,
) -> std::result::Result<Sql, AppError> {
    let mut sql = Sql::new("c.workspace_id = ");
    sql.bind_text(workspace_id)
        .push(" AND c.is_test = ")
        .bind_int(i64::from(test_mode))
        .push(" AND c.deleted_at IS NULL");
    if filter.field.is_empty() && !filter.value.trim().is_empty() {
        return Err(AppError::invalid_field(
            "field",
            "Choose the field to look for the value in.",
        ));
    }
    let q = filter.q.trim();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::invalid_field(
            "q",
            format!("Search for at most {MAX_QUERY_CHARS} characters."),
        ));
    }
    if !q.is_empty() {
        let pattern = contains_pattern(&q.to_lowercase());
        sql.push(" AND (c.name_folded LIKE ")
            .bind_text(pattern.clone())
            .push(" ESCAPE '\\' OR c.email LIKE ")
            .bind_text(pattern.clone())
            .push(" ESCAPE '\\' OR c.phone LIKE ")
            .bind_text(pattern.clone())
            .push(" ESCAPE '\\' OR EXISTS (SELECT 1 FROM contact_phones p WHERE p.contact_id = c.id AND p.phone LIKE ")
            .bind_text(pattern);
        sql.push(" ESCAPE '\\')");
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 && digits.len() != q.len() {
            sql.push(" OR c.phone LIKE ")
                .bind_text(format!("%{digits}%"));
        }
        sql.push(")");
    }
    if !filter.tag.is_empty() {
        sql.push(
            " AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag_id = ",
        )
        .bind_text(filter.tag.clone())
        .push(")");
    }
    if !filter.group.is_empty() {
        sql.push(" AND EXISTS (SELECT 1 FROM contact_group_members g WHERE g.contact_id = c.id AND g.group_id = ")
            .bind_text(filter.group.clone())
            .push(")");
    }
    if !filter.channel.is_empty() {
        let kind = ChannelKind::parse(&filter.channel)
            .map_err(|_| AppError::invalid_field("channel", "Choose a channel from the list."))?;
        sql.push(match kind {
            ChannelKind::Email => " AND c.email IS NOT NULL",
            ChannelKind::Telegram => " AND c.telegram_id IS NOT NULL",
            ChannelKind::Whatsapp | ChannelKind::Sms | ChannelKind::Sandbox => {
                " AND c.phone IS NOT NULL"
            }
        });
    }
    let opted_out = "EXISTS (SELECT 1 FROM contact_opt_outs o WHERE o.contact_id = c.id)";
    match filter.opted_out.as_str() {
        "" => {}
        "yes" => {
            sql.push(" AND ").push(opted_out);
        }
        "no" => {
            sql.push(" AND NOT ").push(opted_out);
        }
        _ => return Err(AppError::invalid_field("opted_out", "Choose yes or no.")),
    }
    match filter.blocked.as_str() {
        "" => {}
        "yes" => {
            sql.push(" AND c.blocked <> 0");
        }
        "no" => {
            sql.push(" AND c.blocked = 0");
        }
        _ => return Err(AppError::invalid_field("blocked", "Choose yes or no.")),
    }
    Ok(sql)
}

/// The whole `WHERE` clause of a filter, its segment's conditions included: what the
/// list pages through and the export writes out.
pub async fn where_sql(
    conn: &mut sqlx::AnyConnection,
    member: &Member,
    filter: &ContactFilter,
) -> Result<Sql> {
    let mut filtered = filter_sql(&member.workspace_id, member.test_mode, filter)?;
    if !filter.segment.is_empty()
        && let Some(part) =
            segments::list_filter(conn, &member.workspace_id, &filter.segment).await?
    {
        filtered.push(" AND ").append(part);
    }
    if !filter.field.is_empty() {
        let part = segments::field_filter(conn, &member.workspace_id, &filter.field, &filter.value)
            .await?;
        filtered.push(" AND ").append(part);
    }
    Ok(filtered)
}

/// A page of the workspace's contacts matching `filter`, after the contact `after`.
pub async fn page(
    db: &Db,
    member: &Member,
    filter: &ContactFilter,
    after: Option<&str>,
) -> Result<ContactPage> {
    member.require(Permission::ContactsView)?;
    let sort = match filter.sort.as_str() {
        "" => ContactSort::default(),
        raw => ContactSort::parse(raw)
            .ok_or_else(|| AppError::invalid_field("sort", "Sort by newest or name."))?,
    };
    let mut conn = db.reader().acquire().await?;
    let filtered = where_sql(&mut conn, member, filter).await?;
    let mut count = Sql::new("SELECT COUNT(*) FROM contacts c WHERE ");
    count.append(filtered.clone());
    let total: i64 = count.query().fetch_one(&mut *conn).await?.try_get(0)?;
    let mut sql = Sql::new(&format!("SELECT {} FROM contacts c WHERE ", row_columns()));
    sql.append(filtered);
    let (keys, order) = match sort {
        ContactSort::Newest => (
            "c.created_at, c.id",
            " ORDER BY c.created_at DESC, c.id DESC",
        ),
        ContactSort::Name => ("c.name, c.id", " ORDER BY c.name, c.id"),
    };
    if let Some(after) = after.filter(|a| !a.is_empty()) {
        let cmp = if sort == ContactSort::Newest {
            "<"
        } else {
            ">"
        };
        let own = keys.replace("c.", "a.");
        sql.push(&format!(
            " AND ({keys}) {cmp} (SELECT {own} FROM contacts a WHERE a.id = "
        ))
        .bind_text(after)
        .push(" AND a.workspace_id = ")
        .bind_text(member.workspace_id.clone())
        .push(")");
    }
    sql.push(order).push(&format!(" LIMIT {}", PAGE_SIZE + 1));
    let rows = sql.fetch_all(&mut conn).await?;
    let mut page: Vec<_> = rows.iter().map(read_row).collect::<Result<_>>()?;
    let next = (page.len() > PAGE_SIZE).then(|| {
        page.truncate(PAGE_SIZE);
        page.last().map(|r| r.id.clone())
    });
    let ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
    let mut tags = tags::of_many(&mut conn, &ids).await?;
    for row in &mut page {
        row.tags = tags.remove(&row.id).unwrap_or_default();
    }
    Ok(ContactPage {
        rows: page,
        next: next.flatten(),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_match_their_text_literally() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        let filter = ContactFilter {
            q: "o'brien; DROP TABLE contacts".into(),
            ..ContactFilter::default()
        };
        let sql = filter_sql("ws_1", false, &filter).expect("valid");
        assert!(
            !sql.text().contains("brien"),
            "values are bound: {}",
            sql.text()
        );
        let bad = ContactFilter {
            blocked: "maybe".into(),
            ..ContactFilter::default()
        };
        assert!(filter_sql("ws_1", false, &bad).is_err());
    }
}
