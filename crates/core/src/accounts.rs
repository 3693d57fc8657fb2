//! User accounts: sign up, log in, change password, platform admins.

use crate::crypto::{hash_password_async, verify_password_async};
use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result};
use crate::rate_limit::{self, Limit};
use msgbuddy_domain::AppError;
use msgbuddy_domain::values::{Email, NewPassword, PASSWORD_MAX_CHARS, PersonName};
pub use msgbuddy_domain::views::User;
use sqlx::Row;
use sqlx::any::AnyRow;

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        name: row.try_get(2)?,
        is_platform_admin: row.try_get::<i64, _>(3)? != 0,
        password_changed_at: row.try_get(4)?,
    })
}

/// How many password guesses an address and an account get per window, for log-in,
/// sign-up and the current password when changing it.
#[derive(Debug, Clone, Copy)]
pub struct AuthLimits {
    pub per_ip: Limit,
    pub per_account: Limit,
}

/// The message for every failed login: it never says whether the email exists.
pub fn bad_credentials() -> AppError {
    AppError::validation("Email or password is incorrect.")
}

/// Creates an account. Hashing happens before the insert, outside any transaction, so the
/// single SQLite writer is never held for the ~20 ms argon2 takes.
pub async fn sign_up(
    db: &Db,
    email: &Email,
    name: &PersonName,
    password: &NewPassword,
) -> Result<User> {
    let hash = hash_password_async(password.expose().to_owned()).await?;
    let now = now_ms();
    let id = new_id("usr");
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, is_platform_admin, password_changed_at, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(hash)
    .bind(now)
    .execute(db.writer())
    .await
    .map_err(Error::from);
    match inserted {
        Ok(_) => {}
        // Deliberately vague: the sign-up form must not become a way to test which emails
        // have accounts.
        Err(e) if e.is_unique_violation("users_email_key", "users.email") => {
            return Err(AppError::validation(
                "We could not create an account with these details. If you already have an account, log in instead.",
            )
            .into());
        }
        Err(e) => return Err(e),
    }
    Ok(User {
        id,
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        is_platform_admin: false,
        password_changed_at: now,
    })
}

/// Signs up within the per-address and per-email limits.
pub async fn sign_up_limited(
    db: &Db,
    limits: &AuthLimits,
    ip: &str,
    email: &str,
    name: &str,
    password: &str,
) -> Result<User> {
    let account_key = format!("signup:account:{}", email.trim().to_lowercase());
    rate_limit::check_all(
        db,
        &[
            (&format!("signup:ip:{ip}"), limits.per_ip),
            (&account_key, limits.per_account),
        ],
    )
    .await?;
    let name = PersonName::parse(name)?;
    let email = Email::parse(email)?;
    let password = NewPassword::parse(password)?;
    sign_up(db, &email, &name, &password).await
}

/// Logs in within the limits. Both count every attempt, so neither one address guessing
/// many accounts nor many addresses guessing one account get far; a success clears the
/// account's count.
pub async fn log_in_limited(
    db: &Db,
    limits: &AuthLimits,
    ip: &str,
    email: &str,
    password: &str,
) -> Result<User> {
    let account_key = format!("login:account:{}", email.trim().to_lowercase());
    rate_limit::check_all(
        db,
        &[
            (&format!("login:ip:{ip}"), limits.per_ip),
            (&account_key, limits.per_account),
        ],
    )
    .await?;
    let user = log_in(db, email, password).await?;
    rate_limit::clear(db, &account_key).await?;
    Ok(user)
}

/// Checks an email and password. Unknown emails cost the same time as wrong passwords;
/// a password longer than any we accept is refused before it is hashed.
pub async fn log_in(db: &Db, email: &str, password: &str) -> Result<User> {
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(bad_credentials().into());
    }
    let email = Email::parse(email).map_err(|_| bad_credentials())?;
    let row = sqlx::query(
        "SELECT id, email, name, is_platform_admin, password_changed_at, password_hash FROM users WHERE email = $1",
    )
        .bind(email.as_str())
        .fetch_optional(db.reader())
        .await?;
    let hash = row
        .as_ref()
        .map(|r| r.try_get::<String, _>(5))
        .transpose()?;
    let matches = verify_password_async(password.to_owned(), hash).await?;
    match row {
        Some(row) if matches => user_from_row(&row),
        _ => Err(bad_credentials().into()),
    }
}

pub async fn find(db: &Db, user_id: &str) -> Result<Option<User>> {
    let row = sqlx::query(
        "SELECT id, email, name, is_platform_admin, password_changed_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.reader())
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn find_by_email(db: &Db, email: &Email) -> Result<Option<User>> {
    let row = sqlx::query("SELECT id, email, name, is_platform_admin, password_changed_at FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Changes a password after checking the current one, and revokes every other session of
/// the user (the caller rotates its own session id). Guesses at the current password are
/// limited like logins, so a stolen session cannot try passwords without end.
pub async fn change_password(
    db: &Db,
    limit: Limit,
    user_id: &str,
    current: &str,
    new: &NewPassword,
    keep_session_id: Option<&str>,
) -> Result<()> {
    let attempts_key = format!("password:account:{user_id}");
    rate_limit::check_all(db, &[(&attempts_key, limit)]).await?;
    let hash: String = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.reader())
        .await?
        .ok_or_else(|| Error::App(AppError::unauthenticated()))?
        .try_get(0)?;
    let current_ok = current.chars().count() <= PASSWORD_MAX_CHARS
        && verify_password_async(current.to_owned(), Some(hash)).await?;
    if !current_ok {
        return Err(AppError::invalid_field(
            "current_password",
            "The current password is incorrect.",
        )
        .into());
    }
    rate_limit::clear(db, &attempts_key).await?;
    let new_hash = hash_password_async(new.expose().to_owned()).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(new_hash)
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
        .bind(user_id)
        .bind(keep_session_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a user as platform admin (command line only; the UI cannot do this).
pub async fn set_platform_admin(db: &Db, email: &Email, is_admin: bool) -> Result<User> {
    let done = sqlx::query("UPDATE users SET is_platform_admin = $1 WHERE email = $2")
        .bind(i64::from(is_admin))
        .bind(email.as_str())
        .execute(db.writer())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found()
            .with_details(serde_json::json!({"email": email.as_str()}))
            .into());
    }
    find_by_email(db, email)
        .await?
        .ok_or_else(|| Error::App(AppError::not_found()))
}
