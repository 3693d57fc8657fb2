//! The logged-in user's own account.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::views::{User, WorkspaceSummary};
use serde::{Deserialize, Serialize};

/// Who is looking at the page, and which workspaces they can switch to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub user: User,
    pub workspaces: Vec<WorkspaceSummary>,
}

/// `None` when nobody is logged in.
#[server(input = GetUrl, endpoint = "me")]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    use msgbuddy_core::workspaces;
    let Some(user) = crate::server::current_user().await? else {
        return Ok(None);
    };
    let workspaces = workspaces::list_for_user(&crate::server::db()?, &user.id).await?;
    Ok(Some(Me { user, workspaces }))
}

#[server(endpoint = "account/password")]
pub async fn change_password(
    csrf_token: String,
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{ctx, db, redirect, require_user, session};
    use msgbuddy_core::{accounts, auth};
    use msgbuddy_domain::values::NewPassword;
    let user = require_user().await?;
    let new = NewPassword::parse(&new_password)?;
    let session = session().await?;
    let keep = session.id().map(|id| id.to_string());
    accounts::change_password(
        &db()?,
        ctx()?.limits.per_account,
        &user.id,
        &current_password,
        &new,
        keep.as_deref(),
    )
    .await?;
    // Every other session is gone; this one starts afresh under a new id.
    let user = accounts::find(&db()?, &user.id)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    auth::start(&session, &user).await?;
    redirect("/account?changed=1");
    Ok(())
}
