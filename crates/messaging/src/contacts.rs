//! Contacts as the pipeline needs them: found or created by their address on a channel
//! (a phone number in E.164, a Telegram user id, an email address). The contacts module
//! grows them into full records later.

use msgbuddy_contacts::opt_outs;
use msgbuddy_core::Result;
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::{ChannelKind, OptOuts};
use msgbuddy_domain::values::{Email, Phone};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Which contact column a channel's addresses live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    Phone,
    Telegram,
    Email,
}

impl AddressKind {
    pub fn of(kind: ChannelKind) -> Self {
        match kind {
            ChannelKind::Sandbox | ChannelKind::Whatsapp | ChannelKind::Sms => AddressKind::Phone,
            ChannelKind::Telegram => AddressKind::Telegram,
            ChannelKind::Email => AddressKind::Email,
        }
    }

    pub(crate) fn column(self) -> &'static str {
        match self {
            AddressKind::Phone => "phone",
            AddressKind::Telegram => "telegram_id",
            AddressKind::Email => "email",
        }
    }

    /// The address in its one stored form, or a clear error naming the field `to`.
    pub fn normalise(self, raw: &str) -> Result<String, AppError> {
        match self {
            AddressKind::Phone => Phone::parse(raw)
                .map(|p| p.as_str().to_owned())
                .map_err(|_| {
                    AppError::invalid_field("to", "Use a phone number in E.164, like +15551234567.")
                }),
            AddressKind::Email => Email::parse(raw)
                .map(|e| e.as_str().to_owned())
                .map_err(|_| AppError::invalid_field("to", "Use a valid email address.")),
            AddressKind::Telegram => {
                let id = raw.trim();
                let ok = !id.is_empty()
                    && id.len() <= 20
                    && id
                        .trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit());
                if ok {
                    Ok(id.to_owned())
                } else {
                    Err(AppError::invalid_field(
                        "to",
                        "Use the numeric Telegram chat id.",
                    ))
                }
            }
        }
    }
}

/// The contact's flags that stop a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContactFlags {
    /// The channel kinds they opted out of.
    pub opted_out: OptOuts,
    pub blocked: bool,
}

/// A contact's id, name and flags, by its address on a channel kind.
pub async fn find(
    conn: &mut AnyConnection,
    workspace_id: &str,
    is_test: bool,
    kind: AddressKind,
    address: &str,
) -> Result<Option<(String, String, ContactFlags)>> {
    let column = kind.column();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, {}, blocked FROM contacts WHERE workspace_id = $1 AND is_test = $2 AND {column} = $3",
        opt_outs::mask_sql("contacts.id")
    )))
    .bind(workspace_id)
    .bind(i64::from(is_test))
    .bind(address)
    .fetch_optional(&mut *conn)
    .await?;
    if row.is_some() || column != "phone" {
        return row.as_ref().map(read).transpose();
    }
    // A contact's other numbers find them too.
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.name, {}, c.blocked FROM contact_phones p JOIN contacts c ON c.id = p.contact_id \
         WHERE p.workspace_id = $1 AND p.is_test = $2 AND p.phone = $3",
        opt_outs::mask_sql("c.id")
    )))
    .bind(workspace_id)
    .bind(i64::from(is_test))
    .bind(address)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(read).transpose()
}

/// A contact's id, name and flags from a row whose first columns are `id, name,
/// opt-out mask, blocked`.
pub(crate) fn read(row: &AnyRow) -> Result<(String, String, ContactFlags)> {
    Ok((
        row.try_get(0)?,
        row.try_get(1)?,
        ContactFlags {
            opted_out: OptOuts::from_mask(row.try_get(2)?),
            blocked: crate::flag(row, 3)?,
        },
    ))
}

/// The name a new contact gets: the one the provider or caller gave, if it is readable,
/// else the address.
pub fn display_name(name: Option<&str>, address: &str) -> String {
    name.map(str::trim)
        .filter(|n| !n.is_empty() && !n.chars().any(msgbuddy_domain::values::is_invisible))
        .map(|n| n.chars().take(120).collect::<String>())
        .unwrap_or_else(|| address.to_owned())
}

/// Creates the contact with this address, or finds the one another writer created a
/// moment ago; returns its id, name and flags.
pub async fn create(
    conn: &mut AnyConnection,
    workspace_id: &str,
    is_test: bool,
    kind: AddressKind,
    address: &str,
    name: Option<&str>,
) -> Result<(String, String, ContactFlags)> {
    let column = kind.column();
    let name = display_name(name, address);
    let created = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO contacts (id, workspace_id, is_test, name, {column}, created_at, updated_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT (workspace_id, is_test, {column}) DO NOTHING RETURNING id"
    )))
    .bind(new_id("ct"))
    .bind(workspace_id)
    .bind(i64::from(is_test))
    .bind(&name)
    .bind(address)
    .bind(now_ms())
    .fetch_optional(&mut *conn)
    .await?;
    match created {
        Some(row) => Ok((row.try_get(0)?, name, ContactFlags::default())),
        None => find(conn, workspace_id, is_test, kind, address)
            .await?
            .ok_or_else(|| msgbuddy_core::Error::internal("a contact vanished while created")),
    }
}

/// The contact with this address, created if there is none.
pub async fn find_or_create(
    conn: &mut AnyConnection,
    workspace_id: &str,
    is_test: bool,
    kind: AddressKind,
    address: &str,
    name: Option<&str>,
) -> Result<(String, String, ContactFlags)> {
    match find(conn, workspace_id, is_test, kind, address).await? {
        Some(found) => Ok(found),
        None => create(conn, workspace_id, is_test, kind, address, name).await,
    }
}
