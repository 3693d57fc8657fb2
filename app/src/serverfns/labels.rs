//! Settings > Labels, and putting labels on conversations.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::Label;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelsView {
    /// Each parent followed by its children.
    pub labels: Vec<Label>,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
fn page(workspace_id: &str) -> String {
    format!("/w/{workspace_id}/settings/labels")
}

#[cfg(feature = "ssr")]
fn form(
    name: String,
    colour: String,
    description: Option<String>,
    parent_id: Option<String>,
) -> msgbuddy_inbox::labels::LabelForm {
    msgbuddy_inbox::labels::LabelForm {
        name,
        colour,
        description: description.unwrap_or_default(),
        parent_id: parent_id.filter(|p| !p.is_empty()),
    }
}

#[server(input = GetUrl, endpoint = "labels/list")]
pub async fn list_labels(workspace_id: String) -> Result<LabelsView, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    Ok(LabelsView {
        labels: msgbuddy_inbox::labels::list(&crate::server::messaging()?, &member).await?,
        can_edit: member.role.can(Permission::SettingsEdit),
    })
}

#[server(endpoint = "labels/create")]
pub async fn create_label(
    csrf_token: String,
    workspace_id: String,
    name: String,
    colour: String,
    #[server(default)] description: Option<String>,
    #[server(default)] parent_id: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let label = form(name, colour, description, parent_id);
    msgbuddy_inbox::labels::create(&messaging()?, &member, &actor(&user), &label).await?;
    redirect(&page(&workspace_id));
    Ok(())
}

#[server(endpoint = "labels/update")]
pub async fn update_label(
    csrf_token: String,
    workspace_id: String,
    label_id: String,
    name: String,
    colour: String,
    #[server(default)] description: Option<String>,
    #[server(default)] parent_id: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let label = form(name, colour, description, parent_id);
    msgbuddy_inbox::labels::update(&messaging()?, &member, &actor(&user), &label_id, &label)
        .await?;
    redirect(&page(&workspace_id));
    Ok(())
}

#[server(endpoint = "labels/delete")]
pub async fn delete_label(
    csrf_token: String,
    workspace_id: String,
    label_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    msgbuddy_inbox::labels::delete(&messaging()?, &member, &actor(&user), &label_id).await?;
    redirect(&page(&workspace_id));
    Ok(())
}

/// Puts a label on a conversation (`on` = `1`) or takes it off (`0`).
#[server(endpoint = "conversations/label")]
pub async fn label_conversation(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    label_id: String,
    on: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    msgbuddy_inbox::labels::set(
        &messaging()?,
        &member,
        &conversation_id,
        &label_id,
        on == "1",
    )
    .await?;
    redirect(&format!(
        "/w/{workspace_id}/conversations/{conversation_id}"
    ));
    Ok(())
}
