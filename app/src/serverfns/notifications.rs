//! The member's notification centre.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::notification::NotificationList;

#[server(input = GetUrl, endpoint = "notifications/list")]
pub async fn list_notifications(workspace_id: String) -> Result<NotificationList, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::WorkspaceView).await?;
    Ok(msgbuddy_notifications::list(&crate::server::db()?, &member).await?)
}

/// Marks one notification read, or every one when `notification_id` is empty.
#[server(endpoint = "notifications/read")]
pub async fn mark_notifications_read(
    csrf_token: String,
    workspace_id: String,
    #[server(default)] notification_id: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::WorkspaceView).await?;
    let one = notification_id.as_deref().filter(|id| !id.is_empty());
    msgbuddy_notifications::mark_read(&crate::server::db()?, &member, one).await?;
    crate::server::redirect(&format!("/w/{}/notifications", member.workspace_id));
    Ok(())
}
