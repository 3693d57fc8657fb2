//! The platform admin panel.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::views::WorkspaceUsage;

#[server(input = GetUrl, endpoint = "admin/workspaces")]
pub async fn admin_workspaces() -> Result<Vec<WorkspaceUsage>, AppError> {
    let user = crate::server::require_user().await?;
    Ok(msgbuddy_core::platform::list_workspaces(&crate::server::db()?, &user).await?)
}

#[server(endpoint = "admin/suspend")]
pub async fn set_workspace_suspended(
    csrf_token: String,
    workspace_id: String,
    suspended: bool,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{client_ip, ctx, require_user};
    let user = require_user().await?;
    msgbuddy_core::platform::set_suspended(
        &ctx()?.bus,
        &user,
        client_ip(),
        &workspace_id,
        suspended,
    )
    .await?;
    Ok(())
}
