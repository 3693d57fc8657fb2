//! `/api/v1/contacts`: create, read, change (only what the body names), delete, and list
//! with filters a page at a time.

use crate::contact::{self, ContactForm};
use crate::{list, tags};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Result};
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact::{ContactDetail, ContactFilter, Tag};
use msgbuddy_domain::message::ChannelKind;
use msgbuddy_domain::time::iso_utc;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// A contact as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiContact {
    #[cfg_attr(feature = "openapi", schema(example = "ct_01HNQX2P8Y9R3T4V5W6Z7A8B9C"))]
    pub id: String,
    pub name: String,
    /// E.164.
    #[cfg_attr(feature = "openapi", schema(example = "+919876543210"))]
    pub phone: Option<String>,
    /// Other phone numbers (E.164); messages from any of them reach this contact.
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub telegram_id: Option<String>,
    /// A BCP 47 tag such as `pt-BR`.
    pub language: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Custom field values by key: text, numbers, `true`/`false`, dates as `YYYY-MM-DD`,
    /// lists of choices for multi-select fields.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: BTreeMap<String, Json>,
    /// The channel kinds they are opted out of (`whatsapp`, `telegram`, `email`, `sms`,
    /// `sandbox`): nothing is sent to them there.
    pub opted_out: Vec<String>,
    /// Nothing is sent to a blocked contact; their messages are kept without notifying.
    pub blocked: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
    /// Their last message to the workspace.
    pub last_seen_at: Option<String>,
    /// Whether this is test-mode data (made with an `ak_test_` key).
    pub test: bool,
}

/// What `POST` (a new contact: `name` needed) and `PATCH` (only what is given changes)
/// take. An empty string clears a detail; `null` or a missing member leaves it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: Option<String>,
    /// Any common format; stored as E.164. Without a `+country` code it is refused.
    pub phone: Option<String>,
    /// Other phone numbers (up to 5): exactly these afterwards.
    pub phones: Option<Vec<String>>,
    pub email: Option<String>,
    pub telegram_id: Option<String>,
    pub language: Option<String>,
    /// Tag names (or ids): the contact's tags become exactly these. Tags are made in the
    /// workspace's settings.
    pub tags: Option<Vec<String>>,
    /// Custom field values by key; keys not given are left as they are, `null` or `""`
    /// clears one. Each value is checked against its field's type.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Option<BTreeMap<String, Json>>,
    /// The channel kinds they are opted out of: exactly these afterwards.
    pub opted_out: Option<Vec<String>>,
    pub blocked: Option<bool>,
}

/// The list's filters (`GET /api/v1/contacts`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    /// Words in the name, phone or email.
    pub q: Option<String>,
    /// A tag's name or id.
    pub tag: Option<String>,
    /// A saved segment's id: the contacts in it now.
    pub segment: Option<String>,
    /// A group's id.
    pub group: Option<String>,
    /// A channel kind they can be reached on (they have its kind of address).
    pub channel: Option<String>,
    /// `true`: opted out of some channel; `false`: of none.
    pub opted_out: Option<bool>,
    pub blocked: Option<bool>,
    /// A contact field's key: contacts with `value` in it (holding that choice, for a
    /// list of choices; `true` or `false`, for a yes/no field; any value, without `value`).
    pub field: Option<String>,
    pub value: Option<String>,
    /// `newest` (the default) or `name`.
    pub sort: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A page of contacts (50 at most).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ContactPage {
    pub data: Vec<ApiContact>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many contacts match the filters.
    pub total: i64,
}

fn yes_no(value: Option<bool>) -> String {
    match value {
        None => String::new(),
        Some(true) => "yes".to_owned(),
        Some(false) => "no".to_owned(),
    }
}

fn tag_ids(all: &[Tag], names: &[String]) -> Result<Vec<String>> {
    names
        .iter()
        .map(|name| {
            super::tag_id(all, name).ok_or_else(|| {
                AppError::invalid_field(
                    "tags",
                    format!("There is no tag named {name:?} in this workspace."),
                )
                .into()
            })
        })
        .collect()
}

fn kinds(raw: &[String]) -> Result<Vec<ChannelKind>> {
    raw.iter()
        .map(|k| {
            ChannelKind::parse(k).map_err(|_| {
                AppError::invalid_field(
                    "opted_out",
                    format!("{k:?} is not a channel kind: use whatsapp, telegram, email, sms or sandbox."),
                )
                .into()
            })
        })
        .collect()
}

/// The form `input` makes of the contact as it is now (`None` for a new one).
async fn form(
    db: &Db,
    member: &Member,
    input: &ContactInput,
    now: Option<&ContactDetail>,
) -> Result<ContactForm> {
    let keep = |given: &Option<String>, current: Option<&String>| -> String {
        given
            .clone()
            .or_else(|| current.cloned())
            .unwrap_or_default()
    };
    let row = now.map(|d| &d.row);
    let tags = match &input.tags {
        Some(names) => Some(tag_ids(&tags::list(db, member).await?, names)?),
        None => None,
    };
    Ok(ContactForm {
        name: keep(&input.name, row.map(|r| &r.name)),
        phone: keep(&input.phone, row.and_then(|r| r.phone.as_ref())),
        phones: input.phones.clone(),
        email: keep(&input.email, row.and_then(|r| r.email.as_ref())),
        telegram_id: keep(&input.telegram_id, row.and_then(|r| r.telegram_id.as_ref())),
        language: keep(&input.language, now.and_then(|d| d.language.as_ref())),
        fields: input
            .fields
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        tags,
        opted_out: input.opted_out.as_deref().map(kinds).transpose()?,
        blocked: input.blocked,
    })
}

/// The contact as the API shows it.
pub async fn get(db: &Db, member: &Member, id: &str) -> Result<ApiContact> {
    let detail = contact::get(db, member, id).await?;
    if detail.deleted_at_ms.is_some() {
        return Err(AppError::not_found().into());
    }
    let mut conn = db.reader().acquire().await?;
    let values = contact::field_values(&mut conn, &member.workspace_id, id).await?;
    let row = detail.row;
    Ok(ApiContact {
        id: row.id,
        name: row.name,
        phone: row.phone,
        phones: detail.phones,
        email: row.email,
        telegram_id: row.telegram_id,
        language: detail.language,
        tags: row.tags.into_iter().map(|t| t.name).collect(),
        fields: values
            .into_iter()
            .map(|(def, value)| (def.key, value.to_json()))
            .collect(),
        opted_out: ChannelKind::ALL
            .into_iter()
            .filter(|k| row.opted_out.contains(*k))
            .map(|k| k.as_str().to_owned())
            .collect(),
        blocked: row.blocked,
        created_at: iso_utc(row.created_at_ms),
        updated_at: iso_utc(detail.updated_at_ms),
        last_seen_at: row.last_seen_ms.map(iso_utc),
        test: member.test_mode,
    })
}

/// Makes a contact from `input`; it.
pub async fn create(
    db: &Db,
    actor: &Actor,
    member: &Member,
    input: &ContactInput,
) -> Result<ApiContact> {
    if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(AppError::invalid_field("name", "A new contact needs a name.").into());
    }
    let form = form(db, member, input, None).await?;
    let id = contact::create(db, actor, member, &form).await?;
    get(db, member, &id).await
}

/// Changes what `input` names; the contact afterwards.
pub async fn update(
    db: &Db,
    actor: &Actor,
    member: &Member,
    id: &str,
    input: &ContactInput,
) -> Result<ApiContact> {
    let now = contact::get(db, member, id).await?;
    if now.deleted_at_ms.is_some() {
        return Err(AppError::not_found().into());
    }
    let form = form(db, member, input, Some(&now)).await?;
    contact::update(db, actor, member, id, &form).await?;
    get(db, member, id).await
}

/// Deletes a contact (restorable from the contact's page for ten minutes).
pub async fn delete(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    contact::delete(db, actor, member, id).await
}

/// A page of contacts matching `query`.
pub async fn list(db: &Db, member: &Member, query: &ContactQuery) -> Result<ContactPage> {
    let tag = match query.tag.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(raw) => super::tag_id(&tags::list(db, member).await?, raw).ok_or_else(|| {
            AppError::invalid_field("tag", "There is no such tag in this workspace.")
        })?,
    };
    let filter = ContactFilter {
        q: query.q.clone().unwrap_or_default(),
        tag,
        segment: query.segment.clone().unwrap_or_default(),
        group: query.group.clone().unwrap_or_default(),
        channel: query.channel.clone().unwrap_or_default(),
        opted_out: yes_no(query.opted_out),
        blocked: yes_no(query.blocked),
        field: query.field.clone().unwrap_or_default(),
        value: query.value.clone().unwrap_or_default(),
        sort: query.sort.clone().unwrap_or_default(),
    };
    let page = list::page(db, member, &filter, query.cursor.as_deref()).await?;
    let mut data = Vec::with_capacity(page.rows.len());
    for row in &page.rows {
        data.push(get(db, member, &row.id).await?);
    }
    Ok(ContactPage {
        data,
        next_cursor: page.next,
        total: page.total,
    })
}
