//! Settings for contacts: custom fields, tags and the opt-out keywords.
// A form's fields are a server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact::Tag;
use msgbuddy_domain::custom_field::FieldDefinition;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactSettingsView {
    pub contact_fields: Vec<FieldDefinition>,
    pub conversation_fields: Vec<FieldDefinition>,
    pub tags: Vec<Tag>,
    pub stop_keywords: String,
    pub start_keywords: String,
    pub stop_reply: String,
    pub start_reply: String,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
fn back(workspace_id: &str, page: &str) -> String {
    format!("/w/{workspace_id}/settings/{page}")
}

#[server(input = GetUrl, endpoint = "contact-settings/get")]
pub async fn get_contact_settings(workspace_id: String) -> Result<ContactSettingsView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::custom_field::FieldScope;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let db = crate::server::db()?;
    let keywords = {
        let mut conn = db
            .reader()
            .acquire()
            .await
            .map_err(msgbuddy_core::Error::from)?;
        msgbuddy_contacts::opt_outs::keywords(&mut conn, &member.workspace_id).await?
    };
    use msgbuddy_contacts::definitions::list;
    Ok(ContactSettingsView {
        contact_fields: list(&db, &member, FieldScope::Contact).await?,
        conversation_fields: list(&db, &member, FieldScope::Conversation).await?,
        tags: msgbuddy_contacts::tags::list(&db, &member).await?,
        stop_keywords: keywords.stop.join(", "),
        start_keywords: keywords.start.join(", "),
        stop_reply: keywords.stop_reply,
        start_reply: keywords.start_reply,
        can_edit: member.role.can(Permission::SettingsEdit),
    })
}

#[server(endpoint = "contact-fields/create")]
pub async fn create_contact_field(
    csrf_token: String,
    workspace_id: String,
    scope: String,
    key: String,
    label: String,
    kind: String,
    #[server(default)] required: Option<String>,
    #[server(default)] default_value: String,
    #[server(default)] options: String,
    #[server(default)] min: String,
    #[server(default)] max: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::custom_field::FieldScope;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let scope = FieldScope::parse(&scope)
        .ok_or_else(|| AppError::invalid_field("scope", "Choose contacts or conversations."))?;
    let input = msgbuddy_contacts::fields::DefinitionInput {
        key,
        label,
        kind,
        required: required.as_deref() == Some("1"),
        default_value,
        options,
        min,
        max,
    };
    msgbuddy_contacts::definitions::create(&db()?, &actor(&user), &member, scope, &input).await?;
    redirect(&back(&workspace_id, "contact-fields"));
    Ok(())
}

#[server(endpoint = "contact-fields/delete")]
pub async fn delete_contact_field(
    csrf_token: String,
    workspace_id: String,
    field_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    msgbuddy_contacts::definitions::delete(&db()?, &actor(&user), &member, &field_id).await?;
    redirect(&back(&workspace_id, "contact-fields"));
    Ok(())
}

#[server(endpoint = "tags/create")]
pub async fn create_tag(
    csrf_token: String,
    workspace_id: String,
    name: String,
    colour: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    msgbuddy_contacts::tags::create(&db()?, &actor(&user), &member, &name, &colour).await?;
    redirect(&back(&workspace_id, "tags"));
    Ok(())
}

#[server(endpoint = "tags/delete")]
pub async fn delete_tag(
    csrf_token: String,
    workspace_id: String,
    tag_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    msgbuddy_contacts::tags::delete(&db()?, &actor(&user), &member, &tag_id).await?;
    redirect(&back(&workspace_id, "tags"));
    Ok(())
}

#[server(endpoint = "opt-out-keywords/save")]
pub async fn save_opt_out_keywords(
    csrf_token: String,
    workspace_id: String,
    stop_keywords: String,
    start_keywords: String,
    stop_reply: String,
    start_reply: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let keywords = msgbuddy_contacts::opt_outs::Keywords::parse(
        &stop_keywords,
        &start_keywords,
        &stop_reply,
        &start_reply,
    )?;
    msgbuddy_contacts::opt_outs::save_keywords(&db()?, &actor(&user), &member, &keywords).await?;
    redirect(&back(&workspace_id, "tags"));
    Ok(())
}
