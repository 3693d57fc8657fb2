//! A workspace's members.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::views::MemberInfo;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersView {
    pub members: Vec<MemberInfo>,
    pub can_manage: bool,
    pub me: String,
}

#[server(input = GetUrl, endpoint = "members/list")]
pub async fn list_members(workspace_id: String) -> Result<MembersView, AppError> {
    use msgbuddy_core::members;
    use msgbuddy_domain::Permission;
    let (user, member) = crate::server::member(&workspace_id, Permission::MembersView).await?;
    Ok(MembersView {
        members: members::list(&crate::server::db()?, &member).await?,
        can_manage: member.role.can(Permission::MembersManage),
        me: user.id,
    })
}

#[server(endpoint = "members/role")]
pub async fn change_role(
    csrf_token: String,
    workspace_id: String,
    user_id: String,
    role: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, ctx, member};
    use msgbuddy_core::members;
    use msgbuddy_domain::{Permission, Role};
    let (user, member) = member(&workspace_id, Permission::MembersManage).await?;
    let role: Role = role
        .parse()
        .map_err(|e: msgbuddy_domain::role::UnknownRole| {
            AppError::invalid_field("role", e.to_string())
        })?;
    members::change_role(&ctx()?.bus, &member, &actor(&user), &user_id, role).await?;
    Ok(())
}

#[server(endpoint = "members/remove")]
pub async fn remove_member(
    csrf_token: String,
    workspace_id: String,
    user_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, ctx, member};
    use msgbuddy_core::members;
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::MembersManage).await?;
    let ctx = ctx()?;
    members::remove(&ctx.bus, &member, &actor(&user), &user_id).await?;
    // Their open conversations go back to the pool, so no customer waits on someone gone.
    msgbuddy_inbox::assignment::release(&ctx.messaging, &member.workspace_id, &user_id).await?;
    Ok(())
}
