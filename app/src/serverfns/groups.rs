//! Groups: hand-picked lists of contacts, made on their page and filled from the
//! contact list (the ticked contacts, or every one the filter matches).
// A form's fields are a server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact::{ContactFilter, Group};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupsView {
    pub groups: Vec<Group>,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
fn groups_page(workspace_id: &str) -> String {
    format!("/w/{workspace_id}/contacts/groups")
}

#[server(input = GetUrl, endpoint = "groups/list")]
pub async fn load_groups(workspace_id: String) -> Result<GroupsView, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let db = crate::server::db()?;
    Ok(GroupsView {
        groups: msgbuddy_contacts::groups::list(&db, &member).await?,
        can_edit: member.role.can(Permission::ContactsEdit),
    })
}

#[server(endpoint = "groups/create")]
pub async fn create_group(
    csrf_token: String,
    workspace_id: String,
    name: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    msgbuddy_contacts::groups::create(&db()?, &actor(&user), &member, &name).await?;
    redirect(&groups_page(&workspace_id));
    Ok(())
}

#[server(endpoint = "groups/delete")]
pub async fn delete_group(
    csrf_token: String,
    workspace_id: String,
    group_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    msgbuddy_contacts::groups::delete(&db()?, &actor(&user), &member, &group_id).await?;
    redirect(&groups_page(&workspace_id));
    Ok(())
}

/// Puts the ticked contacts in a group or takes them out; with `every` set, every
/// contact `filter` matches.
#[server(endpoint = "groups/contacts")]
pub async fn group_contacts(
    csrf_token: String,
    workspace_id: String,
    #[server(default)] group_id: String,
    action: String,
    #[server(default)] contacts: HashMap<String, String>,
    #[server(default)] every: String,
    #[server(default)] filter: ContactFilter,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{db, member, redirect};
    use msgbuddy_contacts::groups;
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    let add = match action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::invalid_field("action", "Choose add or remove.")),
    };
    if group_id.is_empty() {
        return Err(AppError::invalid_field("group_id", "Choose a group first."));
    }
    let db = db()?;
    if every == "1" {
        groups::apply_to_filter(&db, &member, &group_id, &filter, add).await?;
    } else {
        let ids = super::contacts::ticked(contacts)?;
        if add {
            groups::add(&db, &member, &group_id, &ids).await?;
        } else {
            groups::remove(&db, &member, &group_id, &ids).await?;
        }
    }
    let list = format!("/w/{workspace_id}/contacts");
    redirect(if back.starts_with(&list) {
        &back
    } else {
        &list
    });
    Ok(())
}
