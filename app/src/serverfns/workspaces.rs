//! Creating workspaces, the workspace shell's data, and workspace settings.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::values::WorkspaceSettings;
use msgbuddy_domain::views::{User, WorkspaceSummary};
use msgbuddy_domain::{AppError, Role};
use serde::{Deserialize, Serialize};

/// Everything the workspace layout needs: who, where, with which role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceView {
    pub user: User,
    pub current: WorkspaceSummary,
    pub workspaces: Vec<WorkspaceSummary>,
    pub role: Role,
    /// The workspace's latest event when the page was made: the live stream starts right
    /// after it, so nothing between rendering and connecting is missed.
    pub event_seq: i64,
    /// The member's unread notifications.
    pub unread_notifications: i64,
    /// Whether the member takes conversations now; `None` for roles that do not reply.
    pub availability: Option<msgbuddy_domain::assignment::Availability>,
}

#[server(endpoint = "workspaces/create")]
pub async fn create_workspace(csrf_token: String, name: String) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, ctx, require_user};
    use msgbuddy_core::workspaces;
    use msgbuddy_domain::values::WorkspaceName;
    let user = require_user().await?;
    let name = WorkspaceName::parse(&name)?;
    let ws = workspaces::create(&ctx()?.bus, &actor(&user), &name).await?;
    crate::server::redirect(&format!("/w/{}", ws.id));
    Ok(())
}

#[server(input = GetUrl, endpoint = "workspaces/view")]
pub async fn get_workspace_view(workspace_id: String) -> Result<WorkspaceView, AppError> {
    use msgbuddy_core::workspaces;
    use msgbuddy_domain::Permission;
    let (user, member) = crate::server::member(&workspace_id, Permission::WorkspaceView).await?;
    let event_seq = crate::server::ctx()?.bus.latest_seq(&workspace_id).await?;
    let unread_notifications =
        msgbuddy_notifications::unread(&crate::server::db()?, &member).await?;
    let availability = if member.role.can(Permission::ConversationsReply) {
        Some(msgbuddy_inbox::presence::availability(&crate::server::db()?, &member).await?)
    } else {
        None
    };
    let list = workspaces::list_for_user(&crate::server::db()?, &user.id).await?;
    let current = list
        .iter()
        .find(|w| w.id == workspace_id)
        .cloned()
        .ok_or_else(AppError::not_found)?;
    Ok(WorkspaceView {
        user,
        current,
        workspaces: list,
        role: member.role,
        event_seq,
        unread_notifications,
        availability,
    })
}

/// The settings plus the time zone names the form offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub settings: WorkspaceSettings,
    pub time_zones: Vec<String>,
    pub can_edit: bool,
}

#[server(input = GetUrl, endpoint = "workspaces/settings")]
pub async fn get_settings(workspace_id: String) -> Result<SettingsForm, AppError> {
    use msgbuddy_core::workspaces;
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::values::TimeZone;
    let (_, member) = crate::server::member(&workspace_id, Permission::SettingsView).await?;
    let settings = workspaces::settings(&crate::server::db()?, &member).await?;
    Ok(SettingsForm {
        settings,
        time_zones: TimeZone::all_names().map(str::to_owned).collect(),
        can_edit: member.role.can(Permission::SettingsEdit),
    })
}

/// Saves the settings form. Business hours come as `<day>_open` / `<day>_close` fields.
#[server(endpoint = "workspaces/settings/save")]
#[allow(clippy::too_many_arguments)]
pub async fn save_settings(
    csrf_token: String,
    workspace_id: String,
    name: String,
    time_zone: String,
    default_language: String,
    #[server(default)] hours: std::collections::HashMap<String, String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, ctx, member};
    use msgbuddy_core::workspaces;
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::values::{BusinessHours, Language, TimeZone, WEEKDAYS, WorkspaceName};
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let mut days = [None; 7];
    for (i, day) in WEEKDAYS.iter().enumerate() {
        let open = hours
            .get(&format!("{day}_open"))
            .map(String::as_str)
            .unwrap_or("");
        let close = hours
            .get(&format!("{day}_close"))
            .map(String::as_str)
            .unwrap_or("");
        days[i] = BusinessHours::parse_day(day, open, close)?;
    }
    let settings = WorkspaceSettings {
        name: WorkspaceName::parse(&name)?.as_str().to_owned(),
        time_zone: TimeZone::parse(&time_zone)?.as_str().to_owned(),
        default_language: Language::parse(&default_language)?.as_str().to_owned(),
        business_hours: BusinessHours(days),
    };
    workspaces::update_settings(&ctx()?.bus, &member, &actor(&user), &settings).await?;
    Ok(())
}
