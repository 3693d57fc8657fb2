//! Invitation links: create, list, revoke, and accept.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::views::{Invitation, InvitationPreview};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationsView {
    pub invitations: Vec<Invitation>,
    pub can_manage: bool,
    /// The link of an invitation this user just created, shown once.
    pub new_link: Option<String>,
}

/// A just-created link travels to the page that shows it once (see [`crate::server::flash`]).
#[cfg(feature = "ssr")]
const NEW_LINK: &str = "msgbuddy_new_invitation";

#[cfg(feature = "ssr")]
fn invitations_path(workspace_id: &str) -> String {
    format!("/w/{workspace_id}/settings/invitations")
}

#[server(input = GetUrl, endpoint = "invitations/list")]
pub async fn list_invitations(workspace_id: String) -> Result<InvitationsView, AppError> {
    use msgbuddy_core::invitations;
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::InvitationsView).await?;
    let new_link = crate::server::flash::take(NEW_LINK, &invitations_path(&member.workspace_id))
        .map(|token| format!("/invite/{token}"));

    Ok(InvitationsView {
        invitations: invitations::list_pending(&crate::server::db()?, &member).await?,
        can_manage: member.role.can(Permission::InvitationsManage),
        new_link,
    })
}

/// Creates an invitation and returns its link path (`/invite/<token>`), shown once.
#[server(endpoint = "invitations/create")]
pub async fn create_invitation(
    csrf_token: String,
    workspace_id: String,
    email: Option<String>,
    role: String,
) -> Result<String, AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, ctx, member};
    use msgbuddy_core::invitations;
    use msgbuddy_domain::values::Email;
    use msgbuddy_domain::{Permission, Role};
    let (user, member) = member(&workspace_id, Permission::InvitationsManage).await?;
    let role: Role = role
        .parse()
        .map_err(|e: msgbuddy_domain::role::UnknownRole| {
            AppError::invalid_field("role", e.to_string())
        })?;
    let email = match email.as_deref().map(str::trim) {
        Some(e) if !e.is_empty() => Some(Email::parse(e)?),
        _ => None,
    };
    let ctx = ctx()?;
    let created = invitations::create(
        &ctx.bus,
        &member,
        &actor(&user),
        email.as_ref(),
        role,
        ctx.invitation_ttl_ms,
    )
    .await?;
    let link = format!("/invite/{}", created.token);
    // The page the form returns to shows the link once.
    crate::server::flash::pass_on(
        NEW_LINK,
        &invitations_path(&member.workspace_id),
        &created.token,
    );
    crate::server::redirect(&format!("/w/{}/settings/invitations", member.workspace_id));
    Ok(link)
}

#[server(endpoint = "invitations/revoke")]
pub async fn revoke_invitation(
    csrf_token: String,
    workspace_id: String,
    invitation_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, ctx, member};
    use msgbuddy_core::invitations;
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::InvitationsManage).await?;
    invitations::revoke(&ctx()?.bus, &member, &actor(&user), &invitation_id).await?;
    Ok(())
}

#[server(input = GetUrl, endpoint = "invitations/preview")]
pub async fn get_invitation_preview(token: String) -> Result<InvitationPreview, AppError> {
    Ok(msgbuddy_core::invitations::preview(&crate::server::db()?, &token).await?)
}

#[server(endpoint = "invitations/accept")]
pub async fn accept_invitation(csrf_token: String, token: String) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{client_ip, ctx, require_user};
    use msgbuddy_core::invitations;
    let user = require_user().await?;
    let member = invitations::accept(&ctx()?.bus, &user, client_ip(), &token).await?;
    crate::server::redirect(&format!("/w/{}", member.workspace_id));
    Ok(())
}
