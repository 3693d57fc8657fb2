//! Contact imports: the list, one import, and starting it with a mapping. The file itself
//! is uploaded by a plain multipart route (`POST /w/{workspace}/contacts/imports`).

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact_import::ImportView;
use msgbuddy_domain::custom_field::FieldDefinition;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportsView {
    pub imports: Vec<ImportView>,
    pub can_edit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportPage {
    pub import: ImportView,
    /// The workspace's contact fields, which columns can fill.
    pub fields: Vec<FieldDefinition>,
    pub can_edit: bool,
}

#[server(input = GetUrl, endpoint = "imports/list")]
pub async fn list_imports(workspace_id: String) -> Result<ImportsView, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let db = crate::server::db()?;
    Ok(ImportsView {
        imports: msgbuddy_contacts::import::list(&db, &member).await?,
        can_edit: member.role.can(Permission::ContactsEdit),
    })
}

#[server(input = GetUrl, endpoint = "imports/get")]
pub async fn get_import(workspace_id: String, import_id: String) -> Result<ImportPage, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::custom_field::FieldScope;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let db = crate::server::db()?;
    Ok(ImportPage {
        import: msgbuddy_contacts::import::get(&db, &member, &import_id).await?,
        fields: msgbuddy_contacts::definitions::list(&db, &member, FieldScope::Contact).await?,
        can_edit: member.role.can(Permission::ContactsEdit),
    })
}

/// Starts the import with the mapping chosen per column (`mapping[<index>]=<target>`).
#[server(endpoint = "imports/start")]
pub async fn start_import(
    csrf_token: String,
    workspace_id: String,
    import_id: String,
    #[server(default)] mapping: HashMap<String, String>,
    #[server(default)] on_duplicate: String,
    #[server(default)] dry_run: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    let db = db()?;
    let columns = msgbuddy_contacts::import::get(&db, &member, &import_id)
        .await?
        .headers
        .len();
    let mapping: Vec<String> = (0..columns)
        .map(|i| mapping.get(&i.to_string()).cloned().unwrap_or_default())
        .collect();
    msgbuddy_contacts::import::start(
        &db,
        &actor(&user),
        &member,
        &import_id,
        mapping,
        &on_duplicate,
        dry_run.as_deref() == Some("1"),
    )
    .await?;
    redirect(&format!("/w/{workspace_id}/contacts/imports/{import_id}"));
    Ok(())
}
