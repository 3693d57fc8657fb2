//! Export of the contacts a filter (or segment) matches, as CSV with a column per custom
//! field, or as JSON. Pages of [`PAGE_ROWS`] are read one after another by keyset and
//! written out as they come, so a million contacts never sit in memory at once.
//!
//! CSV cells are guarded against formulas ([`crate::spreadsheet`]).

use crate::contact::{read_row, row_columns};
use crate::definitions;
use crate::fields::FieldValue;
use crate::spreadsheet::record;
use crate::sql::Sql;
use crate::tags;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Db, Result};
use msgbuddy_domain::Permission;
use msgbuddy_domain::contact::{ContactFilter, ContactRow};
use msgbuddy_domain::custom_field::{FieldDefinition, FieldScope};
use msgbuddy_domain::time::iso_utc;
use sqlx::Row;
use std::collections::HashMap;

/// Contacts read per query.
pub const PAGE_ROWS: usize = 1000;

/// What the file is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// An export under way: call [`Export::next_chunk`] until it gives `None`.
pub struct Export {
    db: Db,
    format: Format,
    filter: Sql,
    fields: Vec<FieldDefinition>,
    after: Option<String>,
    started: bool,
    wrote_any: bool,
    done: bool,
}

/// Starts an export of what `filter` matches; exporting the audience is for those who
/// manage the workspace.
pub async fn start(
    db: &Db,
    member: &Member,
    filter: &ContactFilter,
    format: Format,
) -> Result<Export> {
    member.require(Permission::SettingsEdit)?;
    let mut conn = db.reader().acquire().await?;
    let where_sql = crate::list::where_sql(&mut conn, member, filter).await?;
    let fields = definitions::load(&mut conn, &member.workspace_id, FieldScope::Contact).await?;
    Ok(Export {
        db: db.clone(),
        format,
        filter: where_sql,
        fields,
        after: None,
        started: false,
        wrote_any: false,
        done: false,
    })
}

impl Export {
    /// The next part of the file, or `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.started {
            self.started = true;
            match self.format {
                Format::Csv => out.push_str(&self.csv_header()),
                Format::Json => out.push('['),
            }
        }
        let mut conn = self.db.reader().acquire().await?;
        let mut sql = Sql::new(&format!("SELECT {} FROM contacts c WHERE ", row_columns()));
        sql.append(self.filter.clone());
        if let Some(after) = &self.after {
            sql.push(" AND c.id > ").bind_text(after.clone());
        }
        sql.push(&format!(" ORDER BY c.id LIMIT {PAGE_ROWS}"));
        let rows = sql.fetch_all(&mut conn).await?;
        let mut page: Vec<ContactRow> = rows.iter().map(read_row).collect::<Result<_>>()?;
        let ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
        let mut worn = tags::of_many(&mut conn, &ids).await?;
        for row in &mut page {
            row.tags = worn.remove(&row.id).unwrap_or_default();
        }
        let values = self.values_of(&mut conn, &ids).await?;
        let extra = extras(&mut conn, &ids).await?;
        let mut phones = other_phones(&mut conn, &ids).await?;
        for row in &page {
            let empty = HashMap::new();
            let values = values.get(&row.id).unwrap_or(&empty);
            let more = Extra {
                language: extra.get(&row.id).cloned().flatten(),
                other_phones: phones.remove(&row.id).unwrap_or_default(),
            };
            match self.format {
                Format::Csv => out.push_str(&self.csv_row(row, more, values)),
                Format::Json => {
                    if self.wrote_any {
                        out.push(',');
                    }
                    out.push_str(&self.json_row(row, more, values));
                }
            }
            self.wrote_any = true;
        }
        if page.len() < PAGE_ROWS {
            self.done = true;
            if self.format == Format::Json {
                out.push(']');
            }
        }
        if let Some(last) = page.last() {
            self.after = Some(last.id.clone());
        }
        Ok(Some(out))
    }

    fn csv_header(&self) -> String {
        let mut cells: Vec<String> = [
            "id",
            "name",
            "phone",
            "other_phones",
            "email",
            "telegram_id",
            "language",
            "tags",
            "opted_out",
            "blocked",
            "created_at",
            "last_seen_at",
        ]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
        cells.extend(self.fields.iter().map(|f| f.key.clone()));
        record(&cells)
    }

    fn csv_row(
        &self,
        row: &ContactRow,
        more: Extra,
        values: &HashMap<String, FieldValue>,
    ) -> String {
        let mut cells = vec![
            row.id.clone(),
            row.name.clone(),
            row.phone.clone().unwrap_or_default(),
            more.other_phones.join(", "),
            row.email.clone().unwrap_or_default(),
            row.telegram_id.clone().unwrap_or_default(),
            more.language.unwrap_or_default(),
            row.tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            row.opted_out
                .kinds()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if row.blocked { "yes" } else { "no" }.to_owned(),
            iso_utc(row.created_at_ms),
            row.last_seen_ms.map(iso_utc).unwrap_or_default(),
        ];
        cells.extend(self.fields.iter().map(|f| {
            values
                .get(&f.id)
                .map(FieldValue::display)
                .unwrap_or_default()
        }));
        record(&cells)
    }

    fn json_row(
        &self,
        row: &ContactRow,
        more: Extra,
        values: &HashMap<String, FieldValue>,
    ) -> String {
        let fields: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .filter_map(|f| values.get(&f.id).map(|v| (f.key.clone(), v.to_json())))
            .collect();
        serde_json::json!({
            "id": row.id,
            "name": row.name,
            "phone": row.phone,
            "other_phones": more.other_phones,
            "email": row.email,
            "telegram_id": row.telegram_id,
            "language": more.language,
            "tags": row.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            "opted_out": row.opted_out.kinds().map(|k| k.as_str()).collect::<Vec<_>>(),
            "blocked": row.blocked,
            "created_at": iso_utc(row.created_at_ms),
            "last_seen_at": row.last_seen_ms.map(iso_utc),
            "fields": fields,
        })
        .to_string()
    }

    /// Field values of a page of contacts: contact id → field id → value.
    async fn values_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        ids: &[String],
    ) -> Result<HashMap<String, HashMap<String, FieldValue>>> {
        let mut out: HashMap<String, HashMap<String, FieldValue>> = HashMap::new();
        if ids.is_empty() || self.fields.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new(
            "SELECT contact_id, field_id, value_text, value_number FROM contact_field_values WHERE contact_id IN (",
        );
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(id.clone());
        }
        sql.push(")");
        let kinds: HashMap<&str, _> = self
            .fields
            .iter()
            .map(|f| (f.id.as_str(), f.kind))
            .collect();
        for row in sql.fetch_all(conn).await? {
            let field: String = row.try_get(1)?;
            let Some(kind) = kinds.get(field.as_str()) else {
                continue;
            };
            if let Some(value) = FieldValue::from_columns(*kind, row.try_get(2)?, row.try_get(3)?) {
                out.entry(row.try_get(0)?).or_default().insert(field, value);
            }
        }
        Ok(out)
    }
}

/// What a contact's export row has beyond its list row.
struct Extra {
    language: Option<String>,
    /// Its other phone numbers, in their order.
    other_phones: Vec<String>,
}

/// The other phone numbers of each contact of a page that has any.
async fn other_phones(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut sql = Sql::new("SELECT contact_id, phone FROM contact_phones WHERE contact_id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_text(id.clone());
    }
    sql.push(") ORDER BY contact_id, position");
    for row in sql.fetch_all(conn).await? {
        out.entry(row.try_get(0)?)
            .or_default()
            .push(row.try_get(1)?);
    }
    Ok(out)
}

/// The language of each contact of a page (the list row does not carry it).
async fn extras(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Option<String>>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut sql = Sql::new("SELECT id, language FROM contacts WHERE id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_text(id.clone());
    }
    sql.push(")");
    for row in sql.fetch_all(conn).await? {
        out.insert(row.try_get(0)?, row.try_get(1)?);
    }
    Ok(out)
}
