//! Sign up, log in, log out. These forms post as plain HTML forms (a full page load), so
//! the new session cookie and CSRF token take effect everywhere at once.

use leptos::prelude::*;
use msgbuddy_domain::AppError;

/// Only local paths are followed after login, so `?next=` cannot send users elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

#[server(endpoint = "auth/signup")]
pub async fn sign_up(
    csrf_token: String,
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{client_ip, ctx, session};
    use msgbuddy_core::{accounts, auth, rate_limit};
    use msgbuddy_domain::values::{Email, NewPassword, PersonName};
    let ctx = ctx()?;
    let db = ctx.bus.db();
    let ip = client_ip().unwrap_or_default();
    let ip_ok = rate_limit::hit(db, &format!("signup:ip:{ip}"), ctx.limits.per_ip).await?;
    let account_key = format!("signup:account:{}", email.trim().to_lowercase());
    let account_ok = rate_limit::hit(db, &account_key, ctx.limits.per_account).await?;
    if !ip_ok || !account_ok {
        return Err(AppError::rate_limited());
    }
    let name = PersonName::parse(&name)?;
    let email = Email::parse(&email)?;
    let password = NewPassword::parse(&password)?;
    let user = accounts::sign_up(db, &email, &name, &password).await?;
    auth::start(&session().await?, &user).await?;
    tracing::info!(user_id = %user.id, "signed up");
    leptos_axum::redirect(&safe_next(next.as_deref()));
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
    use crate::server::{client_ip, ctx, session};
    use msgbuddy_core::{accounts, auth, rate_limit};
    let ctx = ctx()?;
    let db = ctx.bus.db();
    let ip = client_ip().unwrap_or_default();
    let account_key = format!("login:account:{}", email.trim().to_lowercase());
    // Both limits count every attempt, so neither a single address guessing many accounts
    // nor many addresses guessing one account get far.
    let ip_ok = rate_limit::hit(db, &format!("login:ip:{ip}"), ctx.limits.per_ip).await?;
    let account_ok = rate_limit::hit(db, &account_key, ctx.limits.per_account).await?;
    if !ip_ok || !account_ok {
        tracing::warn!(%ip, "login rate limited");
        return Err(AppError::rate_limited());
    }
    let user = accounts::log_in(db, &email, &password).await?;
    rate_limit::clear(db, &account_key).await?;
    auth::start(&session().await?, &user).await?;
    tracing::info!(user_id = %user.id, "logged in");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(endpoint = "auth/logout")]
pub async fn log_out(csrf_token: String) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_core::auth;
    auth::end(&crate::server::session().await?).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/w/ws_1/settings")), "/w/ws_1/settings");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
