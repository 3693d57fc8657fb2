//! Saved filters: the member's own named views of the conversation list.

use super::conversations::ListParams;
use leptos::prelude::*;
use msgbuddy_domain::AppError;
use serde::{Deserialize, Serialize};

/// A saved view, as a link: its name and the list's query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedViewLink {
    pub id: String,
    pub name: String,
    pub query: String,
}

/// Saves the list's view, filters and sort (`params`) as a view called `name`, then
/// opens it.
#[server(endpoint = "views/save")]
pub async fn save_view(
    csrf_token: String,
    workspace_id: String,
    name: String,
    #[server(default)] params: ListParams,
) -> Result<SavedViewLink, AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsView).await?;
    // Only a list that loads is worth keeping: the same checks as the list's.
    super::conversations::list_query(&params, false, None)?;
    let fields: Vec<(&str, &str)> = params
        .fields()
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    let view =
        msgbuddy_inbox::saved_views::save(messaging()?.db(), &member, &name, &fields).await?;
    redirect(&format!("/w/{workspace_id}/conversations?{}", view.query));
    Ok(SavedViewLink {
        id: view.id,
        name: view.name,
        query: view.query,
    })
}

/// Deletes one of the member's saved views.
#[server(endpoint = "views/delete")]
pub async fn delete_view(
    csrf_token: String,
    workspace_id: String,
    view_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsView).await?;
    msgbuddy_inbox::saved_views::delete(messaging()?.db(), &member, &view_id).await?;
    redirect(&format!("/w/{workspace_id}/conversations"));
    Ok(())
}
