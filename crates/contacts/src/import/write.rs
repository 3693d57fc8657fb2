//! The SQL of a chunk: set-based reads and writes, a few statements per chunk whatever
//! its size, all in the chunk's transaction. Statements are written with `$n` for both
//! backends and made positional for SQLite ([`positional`]), where binding thousands of
//! numbered parameters would cost more than the write.

use super::plan::{KeyKind, Known};
use crate::fields::FieldValue;
use msgbuddy_core::Result;
use msgbuddy_core::db::{placeholders, positional, rows_per_statement};
use msgbuddy_domain::message::ChannelKind;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What one contact gets from the chunk's rows, merged in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub telegram_id: Option<String>,
    pub language: Option<String>,
    /// Field id to value; a later row's value wins.
    pub fields: BTreeMap<String, FieldValue>,
    pub tags: Vec<String>,
    pub opt_out: bool,
}

/// `(template per column, one {} per parameter)` rows numbered from `first`.
fn values_sql(rows: usize, columns: &[&str], first: usize) -> String {
    let mut out = String::with_capacity(rows * columns.len() * 8);
    let mut n = first;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&column.replace("{}", &format!("${n}")));
            n += 1;
        }
        out.push(')');
    }
    out
}

/// The contacts of the workspace and mode whose address of `kind` is one of `values`,
/// with their addresses.
pub async fn lookup(
    conn: &mut AnyConnection,
    workspace_id: &str,
    test_mode: bool,
    kind: KeyKind,
    values: &[&String],
) -> Result<Vec<(String, Known)>> {
    let column = match kind {
        KeyKind::Phone => "phone",
        KeyKind::Email => "email",
        KeyKind::Telegram => "telegram_id",
    };
    let values: Vec<&String> = values
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for chunk in values.chunks(rows_per_statement(1) - 2) {
        let sql = lookup_sql(conn, column, chunk.len());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(workspace_id)
            .bind(i64::from(test_mode));
        for value in chunk {
            query = query.bind(value.as_str());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let deleted: Option<i64> = row.try_get(4)?;
            out.push((
                row.try_get(0)?,
                Known {
                    phone: row.try_get(1)?,
                    email: row.try_get(2)?,
                    telegram_id: row.try_get(3)?,
                    deleted: deleted.is_some(),
                },
            ));
        }
    }
    Ok(out)
}

/// The lookup of `count` values of `column`, by the column's unique index.
fn lookup_sql(conn: &AnyConnection, column: &str, count: usize) -> String {
    let sql = format!(
        "SELECT id, phone, email, telegram_id, deleted_at FROM contacts \
         WHERE workspace_id = $1 AND is_test = $2 AND {column} IN {}",
        placeholders(1, count, 3)
    );
    positional(conn, sql)
}

/// The workspace's tags' names.
pub async fn tag_names(conn: &mut AnyConnection, workspace_id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM tags WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Makes the tags among `names` the workspace lacks; every tag's id by lowercased name.
pub async fn ensure_tags(
    conn: &mut AnyConnection,
    workspace_id: &str,
    names: &[String],
    now: i64,
) -> Result<HashMap<String, String>> {
    let mut ids = tag_ids(conn, workspace_id).await?;
    let mut missing: Vec<&String> = Vec::new();
    let mut seen = HashSet::new();
    for name in names {
        let folded = name.to_lowercase();
        if !ids.contains_key(&folded) && seen.insert(folded) {
            missing.push(name);
        }
    }
    if missing.is_empty() {
        return Ok(ids);
    }
    for chunk in missing.chunks(rows_per_statement(5)) {
        let sql = format!(
            "INSERT INTO tags (id, workspace_id, name, colour, created_at) VALUES {} ON CONFLICT DO NOTHING",
            values_sql(chunk.len(), &["{}"; 5], 1)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for name in chunk {
            insert = insert
                .bind(msgbuddy_core::db::new_id("tag"))
                .bind(workspace_id)
                .bind(name.as_str())
                .bind(NEW_TAG_COLOUR)
                .bind(now);
        }
        insert.execute(&mut *conn).await?;
    }
    // A member may have made one of them meanwhile: read the ids back either way.
    ids = tag_ids(conn, workspace_id).await?;
    Ok(ids)
}

/// The colour of tags an import makes: a quiet slate, for a person to change.
const NEW_TAG_COLOUR: &str = "#64748b";

async fn tag_ids(conn: &mut AnyConnection, workspace_id: &str) -> Result<HashMap<String, String>> {
    let rows = sqlx::query("SELECT id, name FROM tags WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(1)?;
        out.insert(name.to_lowercase(), row.try_get(0)?);
    }
    Ok(out)
}

/// Inserts new contacts; the ids inserted. A contact whose address another contact took
/// meanwhile (an inbound message, between the lookup and here) is not inserted, and the
/// caller treats it as a duplicate found late.
///
/// That race is rare, and `ON CONFLICT` costs every row a probe of each unique index
/// before its insert: the rows go in plainly, and only when one of them collides does a
/// savepoint take them back for the careful insert.
pub async fn insert_contacts(
    conn: &mut AnyConnection,
    workspace_id: &str,
    test_mode: bool,
    contacts: &[(&String, &Change)],
    now: i64,
) -> Result<HashSet<String>> {
    if contacts.is_empty() {
        return Ok(HashSet::new());
    }
    sqlx::query("SAVEPOINT import_contacts")
        .execute(&mut *conn)
        .await?;
    let inserted = match insert_rows(conn, workspace_id, test_mode, contacts, now, false).await {
        Ok(_) => contacts.iter().map(|(id, _)| (*id).clone()).collect(),
        Err(e) if is_unique_violation(&e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT import_contacts")
                .execute(&mut *conn)
                .await?;
            insert_rows(conn, workspace_id, test_mode, contacts, now, true).await?
        }
        Err(e) => return Err(e),
    };
    sqlx::query("RELEASE SAVEPOINT import_contacts")
        .execute(&mut *conn)
        .await?;
    Ok(inserted)
}

fn is_unique_violation(e: &msgbuddy_core::Error) -> bool {
    matches!(
        e,
        msgbuddy_core::Error::Db(sqlx::Error::Database(db))
            if db.kind() == sqlx::error::ErrorKind::UniqueViolation
    )
}

/// The insert itself; `careful` skips rows that collide and says which went in.
async fn insert_rows(
    conn: &mut AnyConnection,
    workspace_id: &str,
    test_mode: bool,
    contacts: &[(&String, &Change)],
    now: i64,
    careful: bool,
) -> Result<HashSet<String>> {
    let tail = if careful {
        " ON CONFLICT DO NOTHING RETURNING id"
    } else {
        ""
    };
    let mut inserted = HashSet::new();
    for chunk in contacts.chunks(rows_per_statement(10)) {
        let sql = format!(
            "INSERT INTO contacts (id, workspace_id, is_test, name, phone, email, telegram_id, language, created_at, updated_at) \
             VALUES {}{tail}",
            values_sql(chunk.len(), &["{}"; 10], 1)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for (id, c) in chunk {
            insert = insert
                .bind(id.as_str())
                .bind(workspace_id)
                .bind(i64::from(test_mode))
                .bind(c.name.as_deref().unwrap_or_default())
                .bind(c.phone.as_deref())
                .bind(c.email.as_deref())
                .bind(c.telegram_id.as_deref())
                .bind(c.language.as_deref())
                .bind(now)
                .bind(now);
        }
        if careful {
            for row in insert.fetch_all(&mut *conn).await? {
                inserted.insert(row.try_get::<String, _>(0)?);
            }
        } else {
            insert.execute(&mut *conn).await?;
        }
    }
    Ok(inserted)
}

/// The live contact holding one of the change's addresses (phone first), and whether it is
/// deleted.
pub async fn holder(
    conn: &mut AnyConnection,
    workspace_id: &str,
    test_mode: bool,
    c: &Change,
) -> Result<Option<(String, bool)>> {
    let row = sqlx::query(
        "SELECT id, deleted_at FROM contacts WHERE workspace_id = $1 AND is_test = $5 \
         AND (phone = $2 OR email = $3 OR telegram_id = $4) \
         ORDER BY CASE WHEN phone = $2 THEN 0 WHEN email = $3 THEN 1 ELSE 2 END LIMIT 1",
    )
    .bind(workspace_id)
    .bind(c.phone.as_deref())
    .bind(c.email.as_deref())
    .bind(c.telegram_id.as_deref())
    .bind(i64::from(test_mode))
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get::<Option<i64>, _>(1)?.is_some())))
        .transpose()
}

/// Fills in the given columns of existing contacts (a blank keeps what is there). A
/// contact the row would not change is left alone: a file imported twice rewrites no row
/// and no index entry.
pub async fn update_contacts(
    conn: &mut AnyConnection,
    updates: &[(&String, &Change)],
    now: i64,
) -> Result<()> {
    for chunk in updates.chunks(rows_per_statement(6)) {
        let sql = format!(
            "UPDATE contacts SET name = COALESCE(v.column2, contacts.name), \
               phone = COALESCE(v.column3, contacts.phone), email = COALESCE(v.column4, contacts.email), \
               telegram_id = COALESCE(v.column5, contacts.telegram_id), \
               language = COALESCE(v.column6, contacts.language), updated_at = $1 \
             FROM (VALUES {}) AS v WHERE contacts.id = v.column1 \
               AND (contacts.name IS DISTINCT FROM COALESCE(v.column2, contacts.name) \
                 OR contacts.phone IS DISTINCT FROM COALESCE(v.column3, contacts.phone) \
                 OR contacts.email IS DISTINCT FROM COALESCE(v.column4, contacts.email) \
                 OR contacts.telegram_id IS DISTINCT FROM COALESCE(v.column5, contacts.telegram_id) \
                 OR contacts.language IS DISTINCT FROM COALESCE(v.column6, contacts.language))",
            values_sql(chunk.len(), &["{}"; 6], 2)
        );
        let mut update = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql))).bind(now);
        for (id, c) in chunk {
            update = update
                .bind(id.as_str())
                .bind(c.name.as_deref())
                .bind(c.phone.as_deref())
                .bind(c.email.as_deref())
                .bind(c.telegram_id.as_deref())
                .bind(c.language.as_deref());
        }
        update.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes field values. `fresh` contacts were made in this transaction and have none
/// yet; others have theirs replaced, where they differ.
pub async fn upsert_values(
    conn: &mut AnyConnection,
    values: &[(&String, &String, &FieldValue)],
    fresh: bool,
) -> Result<()> {
    let conflict = if fresh {
        ""
    } else {
        " ON CONFLICT (contact_id, field_id) DO UPDATE SET value_text = excluded.value_text, \
         value_number = excluded.value_number \
         WHERE contact_field_values.value_text IS DISTINCT FROM excluded.value_text \
           OR contact_field_values.value_number IS DISTINCT FROM excluded.value_number"
    };
    for chunk in values.chunks(rows_per_statement(4)) {
        let sql = format!(
            "INSERT INTO contact_field_values (contact_id, field_id, value_text, value_number) VALUES {}{conflict}",
            values_sql(
                chunk.len(),
                &["{}", "{}", "{}", "CAST({} AS DOUBLE PRECISION)"],
                1
            )
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for (contact_id, field_id, value) in chunk {
            let (text, number) = value.to_columns();
            insert = insert
                .bind(contact_id.as_str())
                .bind(field_id.as_str())
                .bind(text)
                .bind(crate::sql::real_text(number));
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Puts tags on contacts (`(contact, tag)` pairs, without repeats); on contacts that are
/// not `fresh`, those already on stay.
pub async fn add_tags(
    conn: &mut AnyConnection,
    pairs: &[(&String, &String)],
    now: i64,
    fresh: bool,
) -> Result<()> {
    let conflict = if fresh { "" } else { " ON CONFLICT DO NOTHING" };
    for chunk in pairs.chunks(rows_per_statement(3)) {
        let sql = format!(
            "INSERT INTO contact_tags (contact_id, tag_id, added_at) VALUES {}{conflict}",
            values_sql(chunk.len(), &["{}"; 3], 1)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for (contact_id, tag_id) in chunk {
            insert = insert
                .bind(contact_id.as_str())
                .bind(tag_id.as_str())
                .bind(now);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Opts contacts out of every channel kind, as the file said; earlier opt-outs stay as
/// they were recorded.
pub async fn opt_out_everywhere(
    conn: &mut AnyConnection,
    contact_ids: &[&String],
    now: i64,
) -> Result<()> {
    let rows: Vec<(&String, ChannelKind)> = contact_ids
        .iter()
        .flat_map(|id| ChannelKind::ALL.into_iter().map(move |kind| (*id, kind)))
        .collect();
    for chunk in rows.chunks(rows_per_statement(5)) {
        let sql = format!(
            "INSERT INTO contact_opt_outs (contact_id, channel_kind, reason, source, created_at) VALUES {} \
             ON CONFLICT (contact_id, channel_kind) DO NOTHING",
            values_sql(chunk.len(), &["{}"; 5], 1)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for (contact_id, kind) in chunk {
            insert = insert
                .bind(contact_id.as_str())
                .bind(kind.as_str())
                .bind(OPT_OUT_REASON)
                .bind(crate::opt_outs::Source::Import.as_str())
                .bind(now);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

const OPT_OUT_REASON: &str = "Imported as opted out";

/// A row the import refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: i64,
    pub reason: String,
    pub raw: String,
}

/// The longest row text kept with an error.
const MAX_RAW_CHARS: usize = 2_000;

pub async fn record_errors(
    conn: &mut AnyConnection,
    import_id: &str,
    errors: &[RowError],
) -> Result<()> {
    for chunk in errors.chunks(rows_per_statement(4)) {
        let sql = format!(
            "INSERT INTO contact_import_errors (import_id, line, reason, raw) VALUES {} ON CONFLICT DO NOTHING",
            values_sql(chunk.len(), &["{}"; 4], 1)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
        for e in chunk {
            insert = insert
                .bind(import_id)
                .bind(e.line)
                .bind(e.reason.as_str())
                .bind(e.raw.chars().take(MAX_RAW_CHARS).collect::<String>());
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::values_sql;

    #[test]
    fn value_rows_number_their_parameters_in_order() {
        assert_eq!(
            values_sql(2, &["{}", "CAST({} AS DOUBLE PRECISION)"], 3),
            "($3, CAST($4 AS DOUBLE PRECISION)), ($5, CAST($6 AS DOUBLE PRECISION))"
        );
    }
}
