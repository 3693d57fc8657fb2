//! One contact: created and edited by members (each change audited), read with its field
//! values, tags and opt-outs, deleted softly (restorable for [`UNDO_WINDOW_MS`], purged
//! by a job after).

use crate::definitions;
use crate::fields::{self, FieldValue};
use crate::opt_outs::{self, Source};
use crate::tags;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::contact::{ContactDetail, ContactRow, FieldEntry, OptOutView, UNDO_WINDOW_MS};
use msgbuddy_domain::custom_field::{FieldDefinition, FieldScope};
use msgbuddy_domain::message::{ChannelKind, OptOuts};
use msgbuddy_domain::values::{Email, is_invisible};
use msgbuddy_domain::{AppError, Permission};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The longest name and language tag.
const MAX_NAME_CHARS: usize = 120;
const MAX_LANGUAGE_CHARS: usize = 35;

/// A contact as a form or the API gives it. `None` leaves a part as it is (on create:
/// empty, defaults filled in).
#[derive(Debug, Clone, Default)]
pub struct ContactForm {
    pub name: String,
    pub phone: String,
    /// Other phone numbers; `None` leaves them as they are.
    pub phones: Option<Vec<String>>,
    pub email: String,
    pub telegram_id: String,
    pub language: String,
    /// Custom field values by key: a form's text, or the API's JSON (a number, `true`, a
    /// list of choices). Keys not given are left as they are; a blank or `null` clears one.
    pub fields: Vec<(String, serde_json::Value)>,
    /// Tag ids.
    pub tags: Option<Vec<String>>,
    /// The channel kinds they are opted out of.
    pub opted_out: Option<Vec<ChannelKind>>,
    pub blocked: Option<bool>,
}

/// The contact's own columns, checked.
struct Checked {
    name: String,
    phone: Option<String>,
    email: Option<String>,
    telegram_id: Option<String>,
    language: Option<String>,
}

fn digits(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

fn check(
    form: &ContactForm,
    current_phone: Option<&str>,
) -> std::result::Result<Checked, AppError> {
    let name = check_name(&form.name).map_err(|m| AppError::invalid_field("name", m))?;
    let phone = match form.phone.trim() {
        "" => None,
        // A number a provider gave us stays as it is even where the numbering plan has
        // no such number (test and fictional ranges), so the contact can still be edited.
        raw if raw.starts_with('+') && current_phone.is_some_and(|p| digits(p) == digits(raw)) => {
            current_phone.map(str::to_owned)
        }
        raw => Some(
            crate::phone::normalise(raw, None).map_err(|m| AppError::invalid_field("phone", m))?,
        ),
    };
    let email = match form.email.trim() {
        "" => None,
        raw => Some(Email::parse(raw)?.as_str().to_owned()),
    };
    let telegram_id = check_telegram_id(&form.telegram_id)
        .map_err(|m| AppError::invalid_field("telegram_id", m))?;
    let language =
        check_language(&form.language).map_err(|m| AppError::invalid_field("language", m))?;
    Ok(Checked {
        name,
        phone,
        email,
        telegram_id,
        language,
    })
}

/// A contact's name: 1 to [`MAX_NAME_CHARS`] visible characters, trimmed.
pub(crate) fn check_name(raw: &str) -> std::result::Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(is_invisible) {
        return Err(format!(
            "A name is 1 to {MAX_NAME_CHARS} visible characters."
        ));
    }
    Ok(name.to_owned())
}

/// A Telegram chat id (digits, a leading `-` for groups); blank is none.
pub(crate) fn check_telegram_id(raw: &str) -> std::result::Result<Option<String>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw if raw.len() <= 20
            && raw
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit())
            && raw != "-" =>
        {
            Ok(Some(raw.to_owned()))
        }
        _ => Err("A Telegram id is the chat's number, like 123456789.".to_owned()),
    }
}

/// A BCP 47 language tag such as `pt-BR`; blank is none.
pub(crate) fn check_language(raw: &str) -> std::result::Result<Option<String>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw if raw.len() <= MAX_LANGUAGE_CHARS
            && raw.split('-').all(|p| {
                !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric())
            }) =>
        {
            Ok(Some(raw.to_owned()))
        }
        _ => Err("Use a language tag such as en, pt-BR or hi.".to_owned()),
    }
}

/// The form's field values checked against the definitions: the values to write (`None`
/// clears) or the first field's problem, named `field.<key>`.
fn check_fields(
    definitions: &[FieldDefinition],
    form: &ContactForm,
    creating: bool,
) -> std::result::Result<Vec<(String, Option<FieldValue>)>, AppError> {
    let mut out = Vec::new();
    for (key, _) in &form.fields {
        if !definitions.iter().any(|d| d.key == *key) {
            return Err(AppError::invalid_field(
                &format!("field.{key}"),
                "There is no such contact field in this workspace.",
            ));
        }
    }
    for def in definitions {
        let given = form.fields.iter().rev().find(|(k, _)| *k == def.key);
        let raw = match (given, creating) {
            (Some((_, raw)), _) => raw.clone(),
            (None, true) => {
                serde_json::Value::String(def.default_value.clone().unwrap_or_default())
            }
            (None, false) => continue,
        };
        let field = format!("field.{}", def.key);
        let value = fields::value_from_json(def, &raw)
            .map_err(|m| AppError::invalid_field(&field, format!("{}: {m}", def.label)))?;
        fields::check_required(def, &value)
            .map_err(|m| AppError::invalid_field(&field, format!("{}: {m}", def.label)))?;
        out.push((def.id.clone(), value));
    }
    Ok(out)
}

/// A unique index refusing a phone, email or Telegram id another contact has.
fn taken(e: Error) -> Error {
    for (index, column, what) in [
        ("contacts_phone_key", "contacts.phone", "phone number"),
        ("contacts_email_key", "contacts.email", "email address"),
        (
            "contacts_telegram_key",
            "contacts.telegram_id",
            "Telegram id",
        ),
    ] {
        if e.is_unique_violation(index, column) {
            let field = column.trim_start_matches("contacts.");
            return AppError::invalid_field(field, format!("Another contact has this {what}."))
                .into();
        }
    }
    e
}

/// Creates a contact; its id.
pub async fn create(db: &Db, actor: &Actor, member: &Member, form: &ContactForm) -> Result<String> {
    member.require(Permission::ContactsEdit)?;
    let checked = check(form, None)?;
    let mut tx = db.begin_write().await?;
    let definitions = definitions::load(&mut tx, &member.workspace_id, FieldScope::Contact).await?;
    let values = check_fields(&definitions, form, true)?;
    if let Some(ids) = &form.tags {
        tags::check_ids(&mut tx, &member.workspace_id, ids).await?;
    }
    let id = new_id("ct");
    let now = now_ms();
    sqlx::query(
        "INSERT INTO contacts (id, workspace_id, is_test, name, phone, email, telegram_id, language, blocked, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .bind(&checked.name)
    .bind(checked.phone.as_deref())
    .bind(checked.email.as_deref())
    .bind(checked.telegram_id.as_deref())
    .bind(checked.language.as_deref())
    .bind(i64::from(form.blocked.unwrap_or(false)))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e.into()))?;
    set_phones(&mut tx, member, &id, &checked, form).await?;
    write_values(&mut tx, &id, &values).await?;
    if let Some(ids) = &form.tags {
        tags::set_on(&mut tx, &id, ids).await?;
    }
    if let Some(kinds) = &form.opted_out {
        set_opt_outs(&mut tx, &id, kinds).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "contact.create",
            target_type: "contact",
            target_id: Some(&id),
            before: None,
            after: Some(serde_json::json!({ "name": checked.name, "phone": checked.phone, "email": checked.email })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a contact.
pub async fn update(
    db: &Db,
    actor: &Actor,
    member: &Member,
    id: &str,
    form: &ContactForm,
) -> Result<()> {
    member.require(Permission::ContactsEdit)?;
    let mut tx = db.begin_write().await?;
    let before = row(&mut tx, member, id).await?;
    let checked = check(form, before.phone.as_deref())?;
    let definitions = definitions::load(&mut tx, &member.workspace_id, FieldScope::Contact).await?;
    let values = check_fields(&definitions, form, false)?;
    if let Some(ids) = &form.tags {
        tags::check_ids(&mut tx, &member.workspace_id, ids).await?;
    }
    sqlx::query(
        "UPDATE contacts SET name = $1, phone = $2, email = $3, telegram_id = $4, language = $5, \
         blocked = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&checked.name)
    .bind(checked.phone.as_deref())
    .bind(checked.email.as_deref())
    .bind(checked.telegram_id.as_deref())
    .bind(checked.language.as_deref())
    .bind(i64::from(form.blocked.unwrap_or(before.blocked)))
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e.into()))?;
    set_phones(&mut tx, member, id, &checked, form).await?;
    write_values(&mut tx, id, &values).await?;
    if let Some(ids) = &form.tags {
        tags::set_on(&mut tx, id, ids).await?;
    }
    if let Some(kinds) = &form.opted_out {
        set_opt_outs(&mut tx, id, kinds).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "contact.update",
            target_type: "contact",
            target_id: Some(id),
            before: Some(serde_json::json!({ "name": before.name, "phone": before.phone, "email": before.email, "blocked": before.blocked })),
            after: Some(serde_json::json!({ "name": checked.name, "phone": checked.phone, "email": checked.email, "blocked": form.blocked.unwrap_or(before.blocked) })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the main number is nobody else's other number, and sets the other numbers the
/// form gives.
async fn set_phones(
    conn: &mut AnyConnection,
    member: &Member,
    id: &str,
    checked: &Checked,
    form: &ContactForm,
) -> Result<()> {
    if let Some(phone) = &checked.phone {
        crate::phones::check_free_as_main(conn, member, id, phone, "phone").await?;
    }
    if let Some(given) = &form.phones {
        let others = crate::phones::check(given, checked.phone.as_deref())?;
        crate::phones::set(conn, member, id, &others).await?;
    }
    Ok(())
}

async fn write_values(
    conn: &mut AnyConnection,
    contact_id: &str,
    values: &[(String, Option<FieldValue>)],
) -> Result<()> {
    for (field_id, value) in values {
        match value {
            None => {
                sqlx::query(
                    "DELETE FROM contact_field_values WHERE contact_id = $1 AND field_id = $2",
                )
                .bind(contact_id)
                .bind(field_id)
                .execute(&mut *conn)
                .await?;
            }
            Some(value) => {
                let (text, number) = value.to_columns();
                sqlx::query(
                    "INSERT INTO contact_field_values (contact_id, field_id, value_text, value_number) \
                     VALUES ($1, $2, $3, CAST($4 AS DOUBLE PRECISION)) \
                     ON CONFLICT (contact_id, field_id) DO UPDATE SET value_text = excluded.value_text, value_number = excluded.value_number",
                )
                .bind(contact_id)
                .bind(field_id)
                .bind(text)
                .bind(crate::sql::real_text(number))
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// Makes the contact's opt-outs exactly `kinds` (a member's choice on the contact page).
async fn set_opt_outs(
    conn: &mut AnyConnection,
    contact_id: &str,
    kinds: &[ChannelKind],
) -> Result<()> {
    for kind in ChannelKind::ALL {
        if kinds.contains(&kind) {
            opt_outs::opt_out(conn, contact_id, kind, "Set by a member", Source::Member).await?;
        } else {
            opt_outs::opt_in(conn, contact_id, kind).await?;
        }
    }
    Ok(())
}

/// The columns [`read_row`] reads, from `contacts c`.
pub(crate) fn row_columns() -> String {
    format!(
        "c.id, c.name, c.phone, c.email, c.telegram_id, {}, c.blocked, c.created_at, c.last_seen_at",
        opt_outs::mask_sql("c.id")
    )
}

/// A list row (without its tags) from the first columns of [`row_columns`].
pub(crate) fn read_row(row: &AnyRow) -> Result<ContactRow> {
    Ok(ContactRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        phone: row.try_get(2)?,
        email: row.try_get(3)?,
        telegram_id: row.try_get(4)?,
        opted_out: OptOuts::from_mask(row.try_get(5)?),
        blocked: row.try_get::<i64, _>(6)? != 0,
        tags: Vec::new(),
        created_at_ms: row.try_get(7)?,
        last_seen_ms: row.try_get(8)?,
    })
}

/// A contact of the member's workspace and mode, deleted or not.
async fn row(conn: &mut AnyConnection, member: &Member, id: &str) -> Result<ContactRow> {
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM contacts c WHERE c.id = $1 AND c.workspace_id = $2 AND c.is_test = $3",
        row_columns()
    )))
    .bind(id)
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    read_row(&found)
}

/// The contact's custom field values in the fields' order, unset ones left out.
pub async fn field_entries(
    conn: &mut AnyConnection,
    workspace_id: &str,
    id: &str,
) -> Result<Vec<FieldEntry>> {
    Ok(field_values(conn, workspace_id, id)
        .await?
        .into_iter()
        .map(|(def, value)| FieldEntry {
            key: def.key,
            label: def.label,
            value: value.display(),
        })
        .collect())
}

/// The contact's custom field values with their fields, in the fields' order.
pub async fn field_values(
    conn: &mut AnyConnection,
    workspace_id: &str,
    id: &str,
) -> Result<Vec<(FieldDefinition, FieldValue)>> {
    let definitions = definitions::load(conn, workspace_id, FieldScope::Contact).await?;
    let stored = sqlx::query(
        "SELECT field_id, value_text, value_number FROM contact_field_values WHERE contact_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for def in definitions {
        let Some(v) = stored
            .iter()
            .find(|r| r.try_get::<String, _>(0).is_ok_and(|f| f == def.id))
        else {
            continue;
        };
        if let Some(value) = FieldValue::from_columns(def.kind, v.try_get(1)?, v.try_get(2)?) {
            out.push((def, value));
        }
    }
    Ok(out)
}

/// The whole contact (conversations are the inbox's to add).
pub async fn get(db: &Db, member: &Member, id: &str) -> Result<ContactDetail> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    let mut row = row(&mut conn, member, id).await?;
    let extra = sqlx::query("SELECT language, updated_at, deleted_at FROM contacts WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let deleted_at: Option<i64> = extra.try_get(2)?;
    row.tags = tags::of(&mut conn, id).await?;
    let phones = crate::phones::of(&mut conn, id).await?;
    let fields_out = field_entries(&mut conn, &member.workspace_id, id).await?;
    let opt_outs = opt_outs::of(&mut conn, id)
        .await?
        .into_iter()
        .map(|o| OptOutView {
            kind: o.kind,
            reason: o.reason,
            source: o.source,
            at_ms: o.at_ms,
        })
        .collect();
    Ok(ContactDetail {
        row,
        language: extra.try_get(0)?,
        phones,
        updated_at_ms: extra.try_get(1)?,
        fields: fields_out,
        opt_outs,
        conversations: Vec::new(),
        deleted_at_ms: deleted_at,
    })
}

/// Deletes a contact softly: lists leave it out at once, [`restore`] brings it back
/// within the undo window, and [`purge`] removes it (with its conversations) after.
pub async fn delete(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    set_deleted(db, actor, member, id, Some(now_ms())).await
}

/// Brings back a contact deleted within the undo window.
pub async fn restore(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    set_deleted(db, actor, member, id, None).await
}

async fn set_deleted(
    db: &Db,
    actor: &Actor,
    member: &Member,
    id: &str,
    at: Option<i64>,
) -> Result<()> {
    member.require(Permission::ContactsEdit)?;
    let mut tx = db.begin_write().await?;
    let current: Option<i64> = sqlx::query(
        "SELECT deleted_at FROM contacts WHERE id = $1 AND workspace_id = $2 AND is_test = $3",
    )
    .bind(id)
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?
    .try_get(0)?;
    match (at, current) {
        (Some(_), Some(_)) => {
            return Err(AppError::conflict("This contact is already deleted.").into());
        }
        (None, None) => return Err(AppError::conflict("This contact is not deleted.").into()),
        (None, Some(deleted)) if deleted + UNDO_WINDOW_MS < now_ms() => {
            return Err(AppError::conflict("The time to undo this deletion has passed.").into());
        }
        _ => {}
    }
    sqlx::query("UPDATE contacts SET deleted_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: if at.is_some() {
                "contact.delete"
            } else {
                "contact.restore"
            },
            target_type: "contact",
            target_id: Some(id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes contacts whose undo window has passed, with their conversations and messages;
/// how many.
pub async fn purge(db: &Db, now: i64) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("DELETE FROM contacts WHERE deleted_at IS NOT NULL AND deleted_at < $1")
        .bind(now - UNDO_WINDOW_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
