//! API keys for partners: `ak_live_…` acts on the workspace's live data, `ak_test_…` on its
//! test-mode data, which the Sandbox serves whatever the channel. A key is shown once and
//! stored only as its SHA-256; it is named, revocable, shows when it was last used, and has
//! its own rate limit. Creating and revoking keys go to the audit log.

use crate::Messaging;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::crypto::{random_token, token_hash};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Error, Result};
use msgbuddy_domain::values::ChannelName;
use msgbuddy_domain::{AppError, Permission, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Test => "test",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "live" => Ok(Mode::Live),
            "test" => Ok(Mode::Test),
            _ => Err(AppError::invalid_field("mode", "Choose live or test.")),
        }
    }
    pub fn is_test(self) -> bool {
        self == Mode::Test
    }
}

/// A key as its settings page shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub mode: Mode,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub rate_per_minute: i64,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked: bool,
}

/// A new key and its secret, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: ApiKeyView,
    pub secret: String,
}

/// Who is calling the API: a key of a workspace, in its mode.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: String,
    pub mode: Mode,
    /// The member who made the key, whom the audit trail names for its changes.
    pub made_by: Option<String>,
    pub rate_per_minute: i64,
    /// The key acts with an agent's rights: it reads and sends messages.
    pub member: Member,
}

impl Caller {
    /// Who the audit trail names for the key's changes: its maker, or no one if they left.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.made_by.clone().unwrap_or_default(),
            ip: None,
        }
    }
}

pub const DEFAULT_RATE_PER_MINUTE: i64 = 600;

fn view(r: &AnyRow) -> Result<ApiKeyView> {
    let mode: String = r.try_get(2)?;
    Ok(ApiKeyView {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        mode: Mode::parse(&mode)
            .map_err(|_| Error::internal(format!("unknown key mode `{mode}`")))?,
        prefix: r.try_get(3)?,
        rate_per_minute: r.try_get(4)?,
        created_at_ms: r.try_get(5)?,
        last_used_at_ms: r.try_get(6)?,
        revoked: r.try_get::<Option<i64>, _>(7)?.is_some(),
    })
}

const COLUMNS: &str =
    "id, name, mode, prefix, rate_per_minute, created_at, last_used_at, revoked_at";

pub async fn list(m: &Messaging, member: &Member) -> Result<Vec<ApiKeyView>> {
    member.require(Permission::SettingsView)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC"
    )))
    .bind(&member.workspace_id)
    .fetch_all(m.db().reader())
    .await?;
    rows.iter().map(view).collect()
}

pub async fn create(
    m: &Messaging,
    member: &Member,
    actor: &Actor,
    name: &str,
    mode: Mode,
    rate_per_minute: Option<i64>,
) -> Result<CreatedKey> {
    member.require(Permission::SettingsEdit)?;
    let name = ChannelName::parse(name)
        .map_err(|_| AppError::invalid_field("name", "Name the key (1 to 80 characters)."))?;
    let rate = rate_per_minute.unwrap_or(DEFAULT_RATE_PER_MINUTE);
    if !(1..=100_000).contains(&rate) {
        return Err(
            AppError::invalid_field("rate_per_minute", "Use 1 to 100000 calls a minute.").into(),
        );
    }
    let secret = format!("ak_{}_{}", mode.as_str(), random_token());
    let prefix = format!("{}…", &secret[..12]);
    let id = new_id("key");
    let now = now_ms();
    let mut tx = m.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO api_keys (id, workspace_id, name, mode, prefix, key_hash, rate_per_minute, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&member.workspace_id)
    .bind(name.as_str())
    .bind(mode.as_str())
    .bind(&prefix)
    .bind(token_hash(&secret))
    .bind(rate)
    .bind(&actor.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "api_key.created",
            target_type: "api_key",
            target_id: Some(&id),
            before: None,
            after: Some(serde_json::json!({ "name": name.as_str(), "mode": mode, "prefix": prefix, "rate_per_minute": rate })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedKey {
        key: ApiKeyView {
            id,
            name: name.as_str().to_owned(),
            mode,
            prefix,
            rate_per_minute: rate,
            created_at_ms: now,
            last_used_at_ms: None,
            revoked: false,
        },
        secret,
    })
}

pub async fn revoke(m: &Messaging, member: &Member, actor: &Actor, id: &str) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = m.db().begin_write().await?;
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(id)
        .bind(&member.workspace_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found().into());
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "api_key.revoked",
            target_type: "api_key",
            target_id: Some(id),
            before: Some(serde_json::json!({ "revoked": false })),
            after: Some(serde_json::json!({ "revoked": true })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn unauthenticated() -> Error {
    AppError::new(
        msgbuddy_domain::ErrorCode::Unauthenticated,
        "Send a valid API key as `Authorization: Bearer ak_live_…` (or `ak_test_…`).",
    )
    .into()
}

/// The caller behind an `Authorization` header value. Unknown, malformed and revoked keys
/// are all the same 401; a suspended workspace is a 403.
pub async fn authenticate(m: &Messaging, authorization: Option<&str>) -> Result<Caller> {
    let secret = authorization
        .and_then(|h| h.trim().strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| (s.starts_with("ak_live_") || s.starts_with("ak_test_")) && s.len() < 100)
        .ok_or_else(unauthenticated)?;
    let row = sqlx::query(
        "SELECT k.id, k.workspace_id, k.mode, k.rate_per_minute, k.last_used_at, w.suspended_at, k.created_by FROM api_keys k \
         JOIN workspaces w ON w.id = k.workspace_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
    )
    .bind(token_hash(secret))
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(unauthenticated)?;
    if row.try_get::<Option<i64>, _>(5)?.is_some() {
        return Err(AppError::forbidden()
            .with_details(serde_json::json!({ "reason": "workspace_suspended" }))
            .into());
    }
    let key_id: String = row.try_get(0)?;
    let mode: String = row.try_get(2)?;
    let mode =
        Mode::parse(&mode).map_err(|_| Error::internal(format!("unknown key mode `{mode}`")))?;
    let last_used: Option<i64> = row.try_get(4)?;
    let now = now_ms();
    // "Last used" to the minute, without a write on every call.
    if last_used.is_none_or(|at| now - at > 60_000) {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&key_id)
            .execute(m.db().writer())
            .await?;
    }
    Ok(Caller {
        mode,
        made_by: row.try_get(6)?,
        rate_per_minute: row.try_get(3)?,
        member: Member {
            workspace_id: row.try_get(1)?,
            user_id: key_id.clone(),
            role: Role::Agent,
            test_mode: mode.is_test(),
        },
        key_id,
    })
}
