//! Settings > Assignment (the auto-assignment rule, the inactivity threshold, each
//! member's capacity) and a member's own availability.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::assignment::{AgentLoad, AssignmentRules};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentView {
    pub rules: AssignmentRules,
    pub agents: Vec<AgentLoad>,
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
fn page(workspace_id: &str) -> String {
    format!("/w/{workspace_id}/settings/assignment")
}

#[server(input = GetUrl, endpoint = "assignment/settings")]
pub async fn get_assignment(workspace_id: String) -> Result<AssignmentView, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::SettingsView).await?;
    let db = crate::server::db()?;
    Ok(AssignmentView {
        rules: msgbuddy_inbox::auto_assign::rules(&db, &member).await?,
        agents: msgbuddy_inbox::auto_assign::loads(&db, &member).await?,
        can_edit: member.role.can(Permission::SettingsEdit),
    })
}

#[server(endpoint = "assignment/rules")]
pub async fn save_assignment_rules(
    csrf_token: String,
    workspace_id: String,
    auto_assign: String,
    #[server(default)] inactivity_minutes: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let rules = AssignmentRules::parse(&auto_assign, &inactivity_minutes)?;
    msgbuddy_inbox::auto_assign::save_rules(&db()?, &member, &actor(&user), rules).await?;
    redirect(&page(&workspace_id));
    Ok(())
}

#[server(endpoint = "assignment/capacity")]
pub async fn set_capacity(
    csrf_token: String,
    workspace_id: String,
    user_id: String,
    #[server(default)] capacity: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let capacity = msgbuddy_domain::assignment::parse_capacity(&capacity)?;
    msgbuddy_inbox::auto_assign::set_capacity(&db()?, &member, &actor(&user), &user_id, capacity)
        .await?;
    redirect(&page(&workspace_id));
    Ok(())
}

/// Sets the member's own availability; the form posts from the user menu of any page
/// and comes back to it.
#[server(endpoint = "assignment/availability")]
pub async fn set_availability(
    csrf_token: String,
    workspace_id: String,
    availability: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::assignment::Availability;
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsReply).await?;
    let to = Availability::parse(&availability)?;
    msgbuddy_inbox::presence::set_availability(&crate::server::db()?, &member, to).await?;
    Ok(())
}
