//! The contact list and a contact's page: read, create, edit, delete and undo, tag many.
// A form's fields are a server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact::{ContactDetail, ContactFilter, ContactPage, Tag};
use msgbuddy_domain::custom_field::FieldDefinition;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The list page: a page of contacts and what its filters offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactsView {
    pub page: ContactPage,
    pub tags: Vec<Tag>,
    /// Saved segments: (id, name).
    pub segments: Vec<(String, String)>,
    pub groups: Vec<msgbuddy_domain::contact::Group>,
    /// The contact fields the list filters on: (key, label).
    pub fields: Vec<(String, String)>,
    pub can_edit: bool,
    /// Exporting the audience is for those who manage the workspace.
    pub can_export: bool,
}

/// A contact's page (or the new-contact form when `contact` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactView {
    pub contact: Option<ContactDetail>,
    pub fields: Vec<FieldDefinition>,
    pub tags: Vec<Tag>,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
fn list_page(workspace_id: &str) -> String {
    format!("/w/{workspace_id}/contacts")
}

#[server(input = GetUrl, endpoint = "contacts/list")]
pub async fn list_contacts(
    workspace_id: String,
    #[server(default)] filter: ContactFilter,
    after: Option<String>,
) -> Result<ContactsView, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let db = crate::server::db()?;
    let page = msgbuddy_contacts::list::page(&db, &member, &filter, after.as_deref()).await?;
    let segments = msgbuddy_contacts::segments::list(&db, &member)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(ContactsView {
        page,
        tags: msgbuddy_contacts::tags::list(&db, &member).await?,
        segments,
        groups: msgbuddy_contacts::groups::list(&db, &member).await?,
        fields: msgbuddy_contacts::definitions::list(
            &db,
            &member,
            msgbuddy_domain::custom_field::FieldScope::Contact,
        )
        .await?
        .into_iter()
        .map(|d| (d.key, d.label))
        .collect(),
        can_edit: member.role.can(Permission::ContactsEdit),
        can_export: member.role.can(Permission::SettingsEdit),
    })
}

#[server(input = GetUrl, endpoint = "contacts/get")]
pub async fn get_contact(
    workspace_id: String,
    contact_id: Option<String>,
) -> Result<ContactView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::custom_field::FieldScope;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let m = crate::server::messaging()?;
    let db = m.db().clone();
    let contact = match contact_id.filter(|id| !id.is_empty()) {
        Some(id) => {
            let mut detail = msgbuddy_contacts::contact::get(&db, &member, &id).await?;
            detail.conversations =
                msgbuddy_inbox::contact_panel::conversations_of(&m, &member, &id, None).await?;
            Some(detail)
        }
        None => None,
    };
    Ok(ContactView {
        contact,
        fields: msgbuddy_contacts::definitions::list(&db, &member, FieldScope::Contact).await?,
        tags: msgbuddy_contacts::tags::list(&db, &member).await?,
        can_edit: member.role.can(Permission::ContactsEdit),
    })
}

/// The contact form's fields, as the crate takes them. Ticked boxes come as
/// `tags[<id>]=1` and `opted_out[<kind>]=1`, custom fields as `fields[<key>]=value`.
#[cfg(feature = "ssr")]
#[allow(clippy::too_many_arguments)]
fn form(
    name: String,
    phone: String,
    phones: String,
    email: String,
    telegram_id: String,
    language: String,
    fields: HashMap<String, String>,
    tags: HashMap<String, String>,
    opted_out: HashMap<String, String>,
    blocked: Option<String>,
) -> msgbuddy_contacts::contact::ContactForm {
    use msgbuddy_domain::message::ChannelKind;
    let ticked = |map: HashMap<String, String>| {
        map.into_iter()
            .filter(|(_, on)| on == "1")
            .map(|(k, _)| k)
            .collect::<Vec<_>>()
    };
    msgbuddy_contacts::contact::ContactForm {
        name,
        phone,
        phones: Some(phones.lines().map(str::to_owned).collect()),
        email,
        telegram_id,
        language,
        fields: fields
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect(),
        tags: Some(ticked(tags)),
        opted_out: Some(
            ticked(opted_out)
                .iter()
                .filter_map(|k| ChannelKind::parse(k).ok())
                .collect(),
        ),
        blocked: Some(blocked.as_deref() == Some("1")),
    }
}

#[server(endpoint = "contacts/save")]
pub async fn save_contact(
    csrf_token: String,
    workspace_id: String,
    #[server(default)] contact_id: String,
    name: String,
    #[server(default)] phone: String,
    #[server(default)] phones: String,
    #[server(default)] email: String,
    #[server(default)] telegram_id: String,
    #[server(default)] language: String,
    #[server(default)] fields: HashMap<String, String>,
    #[server(default)] tags: HashMap<String, String>,
    #[server(default)] opted_out: HashMap<String, String>,
    #[server(default)] blocked: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    let form = form(
        name,
        phone,
        phones,
        email,
        telegram_id,
        language,
        fields,
        tags,
        opted_out,
        blocked,
    );
    let db = db()?;
    let id = if contact_id.is_empty() {
        msgbuddy_contacts::contact::create(&db, &actor(&user), &member, &form).await?
    } else {
        msgbuddy_contacts::contact::update(&db, &actor(&user), &member, &contact_id, &form).await?;
        contact_id
    };
    redirect(&format!("{}/{id}", list_page(&workspace_id)));
    Ok(())
}

#[server(endpoint = "contacts/delete")]
pub async fn delete_contact(
    csrf_token: String,
    workspace_id: String,
    contact_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    msgbuddy_contacts::contact::delete(&db()?, &actor(&user), &member, &contact_id).await?;
    redirect(&format!(
        "{}?deleted={}",
        list_page(&workspace_id),
        msgbuddy_domain::values::query_value(&contact_id)
    ));
    Ok(())
}

#[server(endpoint = "contacts/restore")]
pub async fn restore_contact(
    csrf_token: String,
    workspace_id: String,
    contact_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    msgbuddy_contacts::contact::restore(&db()?, &actor(&user), &member, &contact_id).await?;
    redirect(&format!("{}/{contact_id}", list_page(&workspace_id)));
    Ok(())
}

/// Adds or removes a tag on the ticked contacts (`contacts[<id>]=1`).
#[server(endpoint = "contacts/tag")]
pub async fn tag_contacts(
    csrf_token: String,
    workspace_id: String,
    #[server(default)] tag_id: String,
    action: String,
    #[server(default)] contacts: HashMap<String, String>,
    #[server(default)] every: String,
    #[server(default)] filter: ContactFilter,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{db, member, redirect};
    use msgbuddy_contacts::tags;
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    let add = match action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::invalid_field("action", "Choose add or remove.")),
    };
    if tag_id.is_empty() {
        return Err(AppError::invalid_field("tag_id", "Choose a tag first."));
    }
    let db = db()?;
    if every == "1" {
        tags::apply_to_filter(&db, &member, &tag_id, &filter, add).await?;
    } else {
        tags::apply_to_many(&db, &member, &tag_id, &ticked(contacts)?, add).await?;
    }
    let list = list_page(&workspace_id);
    redirect(if back.starts_with(&list) {
        &back
    } else {
        &list
    });
    Ok(())
}

/// The contacts ticked in the list's form (`contacts[<id>]=1`).
#[cfg(feature = "ssr")]
pub(crate) fn ticked(contacts: HashMap<String, String>) -> Result<Vec<String>, AppError> {
    let ids: Vec<String> = contacts
        .into_iter()
        .filter(|(_, on)| on == "1")
        .map(|(id, _)| id)
        .collect();
    if ids.is_empty() {
        return Err(AppError::invalid_field(
            "contacts",
            "Tick the contacts first, or choose every contact the filter matches.",
        ));
    }
    Ok(ids)
}

/// Likely duplicates, each contact whole, so a member can choose what the merged one
/// keeps.
#[server(input = GetUrl, endpoint = "contacts/duplicates")]
pub async fn list_duplicates(workspace_id: String) -> Result<DuplicatesView, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let db = crate::server::db()?;
    let mut groups = Vec::new();
    for group in msgbuddy_contacts::merge::duplicates(&db, &member).await? {
        let mut whole = Vec::with_capacity(group.len());
        for row in group {
            whole.push(msgbuddy_contacts::contact::get(&db, &member, &row.id).await?);
        }
        groups.push(whole);
    }
    Ok(DuplicatesView {
        groups,
        can_edit: member.role.can(Permission::ContactsEdit),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatesView {
    pub groups: Vec<Vec<ContactDetail>>,
    pub can_edit: bool,
}

/// Merges the ticked contacts (`merge[<id>]=1`) into `survivor`; `pick[<detail or field
/// key>]=<contact id>` says whose value wins.
#[server(endpoint = "contacts/merge")]
pub async fn merge_contacts(
    csrf_token: String,
    workspace_id: String,
    survivor: String,
    #[server(default)] merge: HashMap<String, String>,
    #[server(default)] pick: HashMap<String, String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    let request = msgbuddy_contacts::merge::MergeRequest {
        survivor: survivor.clone(),
        others: merge
            .into_iter()
            .filter(|(_, on)| on == "1")
            .map(|(id, _)| id)
            .collect(),
        picks: pick
            .into_iter()
            .filter(|(_, from)| !from.is_empty())
            .collect(),
    };
    msgbuddy_contacts::merge::merge(&db()?, &actor(&user), &member, &request).await?;
    redirect(&format!("{}/{survivor}", list_page(&workspace_id)));
    Ok(())
}
