//! Sign up, log in, log out. These forms post as plain HTML forms (a full page load), so
//! the new session cookie and CSRF token take effect everywhere at once.

use leptos::prelude::*;
use msgbuddy_domain::AppError;

#[server(endpoint = "auth/signup")]
pub async fn sign_up(
    csrf_token: String,
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{client_ip, ctx, redirect, session};
    use msgbuddy_core::{accounts, auth};
    let ctx = ctx()?;
    let ip = client_ip().unwrap_or_default();
    let user =
        accounts::sign_up_limited(ctx.bus.db(), &ctx.limits, &ip, &email, &name, &password).await?;
    auth::start(&session().await?, &user).await?;
    tracing::info!(user_id = %user.id, "signed up");
    redirect(next.as_deref().unwrap_or("/"));
    Ok(())
}

#[server(endpoint = "auth/login")]
pub async fn log_in(
    csrf_token: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{client_ip, ctx, redirect, session};
    use msgbuddy_core::{accounts, auth};
    let ctx = ctx()?;
    let ip = client_ip().unwrap_or_default();
    let user = accounts::log_in_limited(ctx.bus.db(), &ctx.limits, &ip, &email, &password)
        .await
        .inspect_err(|e| {
            if matches!(e, msgbuddy_core::Error::App(a) if a.code == msgbuddy_domain::ErrorCode::RateLimited) {
                tracing::warn!(%ip, "login rate limited");
            }
        })?;
    auth::start(&session().await?, &user).await?;
    tracing::info!(user_id = %user.id, "logged in");
    redirect(next.as_deref().unwrap_or("/"));
    Ok(())
}

#[server(endpoint = "auth/logout")]
pub async fn log_out(csrf_token: String) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_core::auth;
    auth::end(&crate::server::session().await?).await?;
    crate::server::redirect("/login");
    Ok(())
}
