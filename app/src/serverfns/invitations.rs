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

/// A just-created invitation link travels to the page that shows it in a short-lived cookie
/// scoped to that page, so the secret never sits in a URL (history, logs, Referer). Reading
/// it changes no stored state (pages may run their reads more than once while rendering);
/// the page's answer deletes the cookie, so the link shows once.
#[cfg(feature = "ssr")]
mod new_link {
    use leptos::prelude::use_context;

    const COOKIE: &str = "msgbuddy_new_invitation";

    fn path(workspace_id: &str) -> String {
        format!("/w/{workspace_id}/settings/invitations")
    }

    fn set_cookie(value: &str, workspace_id: &str, max_age: u32) {
        let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        let secure = crate::server::ctx()
            .map(|c| c.secure_cookies)
            .unwrap_or(true);
        let cookie = format!(
            "{COOKIE}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
            path(workspace_id),
            if secure { "; Secure" } else { "" }
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
            res.append_header(axum::http::header::SET_COOKIE, v);
        }
    }

    /// Hands `token` to the invitations page the form returns to.
    pub fn pass_on(token: &str, workspace_id: &str) {
        set_cookie(token, workspace_id, 120);
    }

    /// The link waiting for this page, if any, and the cookie's deletion.
    pub fn take(workspace_id: &str) -> Option<String> {
        let parts = use_context::<axum::http::request::Parts>()?;
        let token = crate::server::cookie_token(&parts.headers, COOKIE)?;
        set_cookie("", workspace_id, 0);
        Some(format!("/invite/{token}"))
    }
}

#[server(input = GetUrl, endpoint = "invitations/list")]
pub async fn list_invitations(workspace_id: String) -> Result<InvitationsView, AppError> {
    use msgbuddy_core::invitations;
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::InvitationsView).await?;
    let new_link = new_link::take(&member.workspace_id);

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
    new_link::pass_on(&created.token, &member.workspace_id);
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
