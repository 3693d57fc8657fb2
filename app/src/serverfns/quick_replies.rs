//! Settings > Quick replies.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::quick_reply::QuickReply;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickRepliesView {
    pub replies: Vec<QuickReply>,
    /// The workspace's channels, to limit a reply to some: (id, "Kind: name").
    pub channels: Vec<(String, String)>,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
fn page(workspace_id: &str) -> String {
    format!("/w/{workspace_id}/settings/quick-replies")
}

/// The form's fields as the inbox takes them; the ticked channels come as
/// `channels[<id>]=1`.
#[cfg(feature = "ssr")]
fn form(
    shortcut: String,
    body: String,
    channels: HashMap<String, String>,
) -> msgbuddy_inbox::quick_replies::QuickReplyForm {
    msgbuddy_inbox::quick_replies::QuickReplyForm {
        shortcut,
        body,
        channel_ids: channels
            .into_iter()
            .filter(|(_, on)| on == "1")
            .map(|(id, _)| id)
            .collect(),
    }
}

#[server(input = GetUrl, endpoint = "quick-replies/list")]
pub async fn list_quick_replies(workspace_id: String) -> Result<QuickRepliesView, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let m = crate::server::messaging()?;
    let channels = msgbuddy_messaging::accounts::list(&m, &member)
        .await?
        .into_iter()
        .map(|c| (c.id, format!("{}: {}", c.kind.label(), c.name)))
        .collect();
    Ok(QuickRepliesView {
        replies: msgbuddy_inbox::quick_replies::list(m.db(), &member).await?,
        channels,
        can_edit: member.role.can(Permission::SettingsEdit),
    })
}

#[server(endpoint = "quick-replies/create")]
pub async fn create_quick_reply(
    csrf_token: String,
    workspace_id: String,
    shortcut: String,
    body: String,
    #[server(default)] channels: HashMap<String, String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let form = form(shortcut, body, channels);
    msgbuddy_inbox::quick_replies::create(&db()?, &member, &actor(&user), &form).await?;
    redirect(&page(&workspace_id));
    Ok(())
}

#[server(endpoint = "quick-replies/update")]
pub async fn update_quick_reply(
    csrf_token: String,
    workspace_id: String,
    quick_reply_id: String,
    shortcut: String,
    body: String,
    #[server(default)] channels: HashMap<String, String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let form = form(shortcut, body, channels);
    msgbuddy_inbox::quick_replies::update(&db()?, &member, &actor(&user), &quick_reply_id, &form)
        .await?;
    redirect(&page(&workspace_id));
    Ok(())
}

#[server(endpoint = "quick-replies/delete")]
pub async fn delete_quick_reply(
    csrf_token: String,
    workspace_id: String,
    quick_reply_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    msgbuddy_inbox::quick_replies::delete(&db()?, &member, &actor(&user), &quick_reply_id).await?;
    redirect(&page(&workspace_id));
    Ok(())
}
