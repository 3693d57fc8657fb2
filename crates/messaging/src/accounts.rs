//! Channel accounts: connecting a provider account to a workspace, validating its
//! credentials with the provider, and disconnecting it (history stays).
//!
//! Secrets (tokens, app secrets, passwords) are stored encrypted with the master key and
//! never returned: pages get them masked, and an empty secret field on an edit keeps the
//! stored one ("replace"). Every workspace has one built-in Sandbox channel.

use crate::Messaging;
use msgbuddy_channels::registry::{self, AccountConfig, Field};
use msgbuddy_channels::{Provider, Validation};
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::crypto::random_token;
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Error, Result};
use msgbuddy_domain::message::{ChannelKind, ChannelView};
use msgbuddy_domain::{AppError, DomainEvent, Permission};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The secret msgbuddy chooses for the account's webhooks (Sandbox signatures, Telegram's
/// `secret_token`); kept with the other secrets.
const WEBHOOK_SECRET: &str = "_webhook_secret";

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_GOOD: &str = "good";
pub const STATUS_INVALID: &str = "invalid";
pub const STATUS_DISCONNECTED: &str = "disconnected";

/// What the channel form sends: the kind, a name, and each field's value by name.
#[derive(Debug, Clone, Default)]
pub struct ChannelForm {
    pub name: String,
    pub values: BTreeMap<String, String>,
}

/// A stored account with its adapter, for sending and receiving.
#[derive(Clone)]
pub struct Loaded {
    pub id: String,
    pub workspace_id: String,
    pub kind: ChannelKind,
    pub status: String,
    pub rate_per_sec: u32,
    pub max_attempts: i64,
    pub provider: Arc<dyn Provider>,
}

const COLUMNS: &str = "id, workspace_id, kind, name, status, status_detail, settings, secrets, subscribed, rate_per_sec, max_attempts, created_at";

struct Row_ {
    id: String,
    workspace_id: String,
    kind: ChannelKind,
    name: String,
    status: String,
    status_detail: Option<String>,
    settings: serde_json::Value,
    secrets: BTreeMap<String, String>,
    subscribed: bool,
    rate_per_sec: i64,
    max_attempts: i64,
    created_at: i64,
}

impl Messaging {
    fn decrypt_secrets(&self, stored: Option<String>) -> Result<BTreeMap<String, String>> {
        let Some(stored) = stored else {
            return Ok(BTreeMap::new());
        };
        let plain = self.keys.decrypt(&stored)?;
        serde_json::from_slice(&plain)
            .map_err(|e| Error::internal(format!("channel secrets do not parse: {e}")))
    }

    fn encrypt_secrets(&self, secrets: &BTreeMap<String, String>) -> Result<String> {
        let json = serde_json::to_vec(secrets).map_err(|e| Error::internal(e.to_string()))?;
        self.keys.encrypt(&json)
    }

    fn read_row(&self, row: &AnyRow) -> Result<Row_> {
        let kind: String = row.try_get(2)?;
        let settings: String = row.try_get(6)?;
        Ok(Row_ {
            id: row.try_get(0)?,
            workspace_id: row.try_get(1)?,
            kind: ChannelKind::parse(&kind)
                .map_err(|_| Error::internal(format!("unknown channel kind `{kind}`")))?,
            name: row.try_get(3)?,
            status: row.try_get(4)?,
            status_detail: row.try_get(5)?,
            settings: serde_json::from_str(&settings).unwrap_or_default(),
            secrets: self.decrypt_secrets(row.try_get(7)?)?,
            subscribed: crate::flag(row, 8)?,
            rate_per_sec: row.try_get(9)?,
            max_attempts: row.try_get(10)?,
            created_at: row.try_get(11)?,
        })
    }

    /// The public URL providers call for this account.
    pub fn webhook_url(&self, channel_id: &str) -> String {
        format!("{}/webhooks/{channel_id}", self.public_url)
    }

    fn adapter(&self, row: &Row_) -> Result<Arc<dyn Provider>> {
        let webhook_url = self.webhook_url(&row.id);
        let config = AccountConfig {
            id: &row.id,
            name: &row.name,
            kind: row.kind,
            settings: &row.settings,
            secrets: &row.secrets,
            webhook_secret: row
                .secrets
                .get(WEBHOOK_SECRET)
                .map(String::as_str)
                .unwrap_or(""),
            webhook_url: &webhook_url,
        };
        registry::connect(&config, &self.endpoints, &self.http)
            .map_err(|e| AppError::validation(e.0).into())
    }
}

fn mask(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if secret.chars().count() <= 8 {
        "••••".to_owned()
    } else {
        format!("••••{tail}")
    }
}

fn view(row: &Row_) -> ChannelView {
    ChannelView {
        id: row.id.clone(),
        kind: row.kind,
        name: row.name.clone(),
        status: row.status.clone(),
        status_detail: row.status_detail.clone(),
        settings: row.settings.clone(),
        secrets: registry::fields(row.kind)
            .iter()
            .filter(|f| f.secret)
            .filter_map(|f| {
                row.secrets
                    .get(f.name)
                    .map(|s| (f.name.to_owned(), mask(s)))
            })
            .collect(),
        subscribed: row.subscribed,
        rate_per_sec: row.rate_per_sec,
        max_attempts: row.max_attempts,
        webhook_path: format!("/webhooks/{}", row.id),
        created_at_ms: row.created_at,
    }
}

/// Checks the form against the kind's fields: required ones present, numbers numeric,
/// phone numbers in E.164. Secrets left empty keep `previous` ones.
fn validate_form(
    kind: ChannelKind,
    form: &ChannelForm,
    previous: Option<&BTreeMap<String, String>>,
) -> Result<(String, serde_json::Value, BTreeMap<String, String>)> {
    let name = msgbuddy_domain::values::ChannelName::parse(&form.name)?
        .as_str()
        .to_owned();
    let mut settings = serde_json::Map::new();
    let mut secrets = BTreeMap::new();
    for Field {
        name: field,
        label,
        secret,
        required,
        ..
    } in registry::fields(kind)
    {
        let value = form
            .values
            .get(*field)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let value = match (value, secret) {
            (None, true) => previous.and_then(|p| p.get(*field).cloned()),
            (v, _) => v,
        };
        let Some(value) = value else {
            if *required {
                return Err(AppError::invalid_field(field, format!("{label} is required.")).into());
            }
            continue;
        };
        if value.chars().count() > 2048 || value.chars().any(char::is_control) {
            return Err(AppError::invalid_field(
                field,
                format!("{label} has invalid characters or is too long."),
            )
            .into());
        }
        let numeric = field.ends_with("_ms")
            || field.ends_with("_port")
            || matches!(*field, "failure_percent" | "max_segments");
        if numeric && value.parse::<u64>().is_err() {
            return Err(
                AppError::invalid_field(field, format!("{label} must be a whole number.")).into(),
            );
        }
        if *field == "failure_percent" && value.parse::<u64>().is_ok_and(|p| p > 100) {
            return Err(AppError::invalid_field(field, "Use 0 to 100.").into());
        }
        if *field == "from_number" {
            msgbuddy_domain::values::Phone::parse(&value)
                .map_err(|_| AppError::invalid_field(field, "Use E.164, like +15551234567."))?;
        }
        if *secret {
            secrets.insert((*field).to_owned(), value);
        } else {
            settings.insert((*field).to_owned(), serde_json::Value::String(value));
        }
    }
    let webhook_secret = previous
        .and_then(|p| p.get(WEBHOOK_SECRET).cloned())
        .unwrap_or_else(random_token);
    secrets.insert(WEBHOOK_SECRET.to_owned(), webhook_secret);
    Ok((name, serde_json::Value::Object(settings), secrets))
}

async fn fetch(m: &Messaging, workspace_id: &str, id: &str) -> Result<Row_> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM channel_accounts WHERE id = $1 AND workspace_id = $2"
    )))
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    m.read_row(&row)
}

/// Makes sure the workspace has its Sandbox channel; returns its id.
pub async fn ensure_sandbox(m: &Messaging, workspace_id: &str) -> Result<String> {
    let existing =
        sqlx::query("SELECT id FROM channel_accounts WHERE workspace_id = $1 AND kind = 'sandbox'")
            .bind(workspace_id)
            .fetch_optional(m.db().reader())
            .await?;
    if let Some(row) = existing {
        return Ok(row.try_get(0)?);
    }
    let mut secrets = BTreeMap::new();
    secrets.insert(WEBHOOK_SECRET.to_owned(), random_token());
    let now = now_ms();
    sqlx::query(
        "INSERT INTO channel_accounts (id, workspace_id, kind, name, status, status_detail, settings, secrets, rate_per_sec, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, 'sandbox', 'Sandbox', 'good', $3, '{}', $4, 1000, 5, $5, $5) \
         ON CONFLICT (workspace_id) WHERE kind = 'sandbox' DO NOTHING",
    )
    .bind(new_id("ch"))
    .bind(workspace_id)
    .bind("Sandbox: messages never leave this machine")
    .bind(m.encrypt_secrets(&secrets)?)
    .bind(now)
    .execute(m.db().writer())
    .await?;
    let row =
        sqlx::query("SELECT id FROM channel_accounts WHERE workspace_id = $1 AND kind = 'sandbox'")
            .bind(workspace_id)
            .fetch_one(m.db().writer())
            .await?;
    Ok(row.try_get(0)?)
}

/// The workspace's channels, the Sandbox first, then by age.
pub async fn list(m: &Messaging, member: &Member) -> Result<Vec<ChannelView>> {
    member.require(Permission::ConversationsView)?;
    ensure_sandbox(m, &member.workspace_id).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM channel_accounts WHERE workspace_id = $1 \
         ORDER BY CASE WHEN kind = 'sandbox' THEN 0 ELSE 1 END, created_at, id"
    )))
    .bind(&member.workspace_id)
    .fetch_all(m.db().reader())
    .await?;
    rows.iter()
        .map(|r| m.read_row(r).map(|r| view(&r)))
        .collect()
}

pub async fn get(m: &Messaging, member: &Member, id: &str) -> Result<ChannelView> {
    member.require(Permission::ConversationsView)?;
    Ok(view(&fetch(m, &member.workspace_id, id).await?))
}

/// Loads an account and its adapter (for the dispatcher and webhooks).
pub async fn load(m: &Messaging, id: &str) -> Result<Loaded> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM channel_accounts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let row = m.read_row(&row)?;
    Ok(Loaded {
        provider: m.adapter(&row)?,
        id: row.id,
        workspace_id: row.workspace_id,
        kind: row.kind,
        status: row.status,
        rate_per_sec: u32::try_from(row.rate_per_sec.max(1)).unwrap_or(1),
        max_attempts: row.max_attempts,
    })
}

/// How long a loaded adapter serves webhooks before it is read again: changes made on
/// another server instance reach this one within it (this instance's own changes at once).
const LOADED_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// [`load`], remembered for [`LOADED_TTL`]: a busy webhook endpoint does not read and
/// decrypt the account for every request.
pub async fn load_cached(m: &Messaging, id: &str) -> Result<Loaded> {
    let now = std::time::Instant::now();
    if let Ok(cache) = m.loaded.lock()
        && let Some((at, loaded)) = cache.get(id)
        && now.duration_since(*at) < LOADED_TTL
    {
        return Ok(loaded.clone());
    }
    let loaded = load(m, id).await?;
    if let Ok(mut cache) = m.loaded.lock() {
        cache.retain(|_, (at, _)| now.duration_since(*at) < LOADED_TTL);
        cache.insert(id.to_owned(), (now, loaded.clone()));
    }
    Ok(loaded)
}

/// Drops a changed account from the cache of [`load_cached`].
fn forget(m: &Messaging, id: &str) {
    if let Ok(mut cache) = m.loaded.lock() {
        cache.remove(id);
    }
}

/// The `X-Sandbox-Signature` the Sandbox puts on a webhook body for `channel_id`: what an
/// outside Sandbox client (tests, the benchmark) signs its deliveries with.
pub async fn sandbox_signature(m: &Messaging, channel_id: &str, body: &[u8]) -> Result<String> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM channel_accounts WHERE id = $1 AND kind = 'sandbox'"
    )))
    .bind(channel_id)
    .fetch_optional(m.db().reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let row = m.read_row(&row)?;
    let secret = row.secrets.get(WEBHOOK_SECRET).cloned().unwrap_or_default();
    Ok(msgbuddy_channels::sandbox::Sandbox::new(&row.id, Default::default(), &secret).sign(body))
}

/// The Sandbox adapter of a workspace: test mode serves every channel with it.
pub async fn load_sandbox(m: &Messaging, workspace_id: &str) -> Result<Loaded> {
    let id = ensure_sandbox(m, workspace_id).await?;
    load(m, &id).await
}

async fn record_change(
    m: &Messaging,
    actor: &Actor,
    row: &Row_,
    action: &str,
    before: Option<serde_json::Value>,
) -> Result<()> {
    forget(m, &row.id);
    let mut tx = m.db().begin_write().await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&row.workspace_id),
            action,
            target_type: "channel",
            target_id: Some(&row.id),
            before,
            after: Some(serde_json::json!({
                "name": row.name, "kind": row.kind, "status": row.status,
                "status_detail": row.status_detail, "settings": row.settings,
            })),
        },
    )
    .await?;
    let mut pending = Pending::default();
    m.bus
        .record(
            &mut tx,
            &mut pending,
            &row.workspace_id,
            &DomainEvent::ChannelUpdated {
                channel_id: row.id.clone(),
                kind: row.kind,
                status: row.status.clone(),
            },
        )
        .await?;
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(())
}

/// Asks the provider whether the credentials work and stores the answer (and, when they
/// do, registers the webhook where the provider takes it by API).
async fn check_with_provider(m: &Messaging, row: &mut Row_) -> Result<()> {
    let provider = m.adapter(row)?;
    let (status, detail) = match provider.validate().await {
        Ok(Validation::Good { detail }) => match provider.register_webhook().await {
            Ok(()) => (STATUS_GOOD, detail),
            Err(e) => (
                STATUS_INVALID,
                format!(
                    "The credentials work, but the webhook could not be registered: {}",
                    e.message
                ),
            ),
        },
        Ok(Validation::Invalid { reason }) => (STATUS_INVALID, reason),
        Err(e) => (
            STATUS_PENDING,
            format!(
                "Could not check with the provider ({}); try again.",
                e.message
            ),
        ),
    };
    let subscribed = match provider.subscription().await {
        Ok(Some(s)) => s,
        _ => row.subscribed,
    };
    sqlx::query(
        "UPDATE channel_accounts SET status = $1, status_detail = $2, subscribed = $3, checked_at = $4, updated_at = $4 WHERE id = $5",
    )
    .bind(status)
    .bind(&detail)
    .bind(i64::from(subscribed))
    .bind(now_ms())
    .bind(&row.id)
    .execute(m.db().writer())
    .await?;
    row.status = status.to_owned();
    row.status_detail = Some(detail);
    row.subscribed = subscribed;
    Ok(())
}

/// "Validate & save" for a new account.
pub async fn create(
    m: &Messaging,
    member: &Member,
    actor: &Actor,
    kind: ChannelKind,
    form: &ChannelForm,
) -> Result<ChannelView> {
    member.require(Permission::ChannelsManage)?;
    if kind == ChannelKind::Sandbox {
        return Err(AppError::conflict(
            "Every workspace has one Sandbox channel already; change its settings instead.",
        )
        .into());
    }
    let (name, settings, secrets) = validate_form(kind, form, None)?;
    let id = new_id("ch");
    let now = now_ms();
    let rate = i64::from(m.adapter_defaults(kind).default_rate_per_sec);
    sqlx::query(
        "INSERT INTO channel_accounts (id, workspace_id, kind, name, status, settings, secrets, rate_per_sec, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, 5, $8, $8)",
    )
    .bind(&id)
    .bind(&member.workspace_id)
    .bind(kind.as_str())
    .bind(&name)
    .bind(settings.to_string())
    .bind(m.encrypt_secrets(&secrets)?)
    .bind(rate)
    .bind(now)
    .execute(m.db().writer())
    .await?;
    let mut row = fetch(m, &member.workspace_id, &id).await?;
    check_with_provider(m, &mut row).await?;
    record_change(m, actor, &row, "channel.created", None).await?;
    Ok(view(&row))
}

/// Saves a changed form and checks the credentials again.
pub async fn update(
    m: &Messaging,
    member: &Member,
    actor: &Actor,
    id: &str,
    form: &ChannelForm,
    rate_per_sec: Option<i64>,
    max_attempts: Option<i64>,
) -> Result<ChannelView> {
    member.require(Permission::ChannelsManage)?;
    let before = fetch(m, &member.workspace_id, id).await?;
    if before.status == STATUS_DISCONNECTED {
        return Err(AppError::conflict("This channel is disconnected.").into());
    }
    let (name, settings, secrets) = validate_form(before.kind, form, Some(&before.secrets))?;
    let rate = rate_per_sec.unwrap_or(before.rate_per_sec);
    if !(1..=10_000).contains(&rate) {
        return Err(
            AppError::invalid_field("rate_per_sec", "Use 1 to 10000 messages per second.").into(),
        );
    }
    let attempts = max_attempts.unwrap_or(before.max_attempts);
    if !(1..=20).contains(&attempts) {
        return Err(AppError::invalid_field("max_attempts", "Use 1 to 20 attempts.").into());
    }
    sqlx::query(
        "UPDATE channel_accounts SET name = $1, settings = $2, secrets = $3, rate_per_sec = $4, max_attempts = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&name)
    .bind(settings.to_string())
    .bind(m.encrypt_secrets(&secrets)?)
    .bind(rate)
    .bind(attempts)
    .bind(now_ms())
    .bind(id)
    .execute(m.db().writer())
    .await?;
    let mut row = fetch(m, &member.workspace_id, id).await?;
    check_with_provider(m, &mut row).await?;
    let before_state = serde_json::json!({
        "name": before.name, "status": before.status, "settings": before.settings,
        "rate_per_sec": before.rate_per_sec, "max_attempts": before.max_attempts,
    });
    record_change(m, actor, &row, "channel.updated", Some(before_state)).await?;
    Ok(view(&row))
}

/// The health check: asks the provider again.
pub async fn check(m: &Messaging, member: &Member, actor: &Actor, id: &str) -> Result<ChannelView> {
    member.require(Permission::ChannelsManage)?;
    let mut row = fetch(m, &member.workspace_id, id).await?;
    if row.status == STATUS_DISCONNECTED {
        return Err(AppError::conflict("This channel is disconnected.").into());
    }
    let before = serde_json::json!({ "status": row.status });
    check_with_provider(m, &mut row).await?;
    record_change(m, actor, &row, "channel.checked", Some(before)).await?;
    Ok(view(&row))
}

/// WhatsApp's "Subscribe": subscribes the app to the account's webhooks.
pub async fn subscribe(
    m: &Messaging,
    member: &Member,
    actor: &Actor,
    id: &str,
) -> Result<ChannelView> {
    member.require(Permission::ChannelsManage)?;
    let mut row = fetch(m, &member.workspace_id, id).await?;
    let provider = m.adapter(&row)?;
    provider.subscribe().await.map_err(|e| {
        AppError::validation(format!(
            "The provider refused the subscription: {}",
            e.message
        ))
    })?;
    sqlx::query("UPDATE channel_accounts SET subscribed = 1, updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(m.db().writer())
        .await?;
    row.subscribed = true;
    record_change(
        m,
        actor,
        &row,
        "channel.subscribed",
        Some(serde_json::json!({"subscribed": false})),
    )
    .await?;
    Ok(view(&row))
}

/// Disconnects an account: it stops sending and receiving; its conversations and messages
/// stay. The Sandbox cannot be disconnected.
pub async fn disconnect(m: &Messaging, member: &Member, actor: &Actor, id: &str) -> Result<()> {
    forget(m, id);
    member.require(Permission::ChannelsManage)?;
    let mut row = fetch(m, &member.workspace_id, id).await?;
    if row.kind == ChannelKind::Sandbox {
        return Err(
            AppError::conflict("The Sandbox channel is built in and stays connected.").into(),
        );
    }
    if row.status == STATUS_DISCONNECTED {
        return Ok(());
    }
    let before = serde_json::json!({ "status": row.status });
    let now = now_ms();
    sqlx::query(
        "UPDATE channel_accounts SET status = 'disconnected', status_detail = $1, disconnected_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind("Disconnected; history is kept.")
    .bind(now)
    .bind(id)
    .execute(m.db().writer())
    .await?;
    row.status = STATUS_DISCONNECTED.to_owned();
    row.status_detail = Some("Disconnected; history is kept.".to_owned());
    record_change(m, actor, &row, "channel.disconnected", Some(before)).await
}

impl Messaging {
    /// Capabilities of a kind before an account exists (for defaults such as the rate).
    pub fn adapter_defaults(&self, kind: ChannelKind) -> msgbuddy_channels::Capabilities {
        msgbuddy_channels::registry::capabilities(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn secrets_show_only_their_last_four_characters() {
        assert_eq!(mask("EAAG1234567890abcd"), "••••abcd");
        assert_eq!(mask("short"), "••••");
    }
}
