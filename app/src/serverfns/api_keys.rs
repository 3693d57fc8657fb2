//! Settings > API keys: the partner API's keys, and the price per message that its
//! `cost_estimate` quotes.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::ChannelKind;
use serde::{Deserialize, Serialize};

/// A key as the page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub test: bool,
    pub prefix: String,
    pub rate_per_minute: i64,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeysView {
    pub keys: Vec<KeyRow>,
    pub prices: Vec<(ChannelKind, String)>,
    pub can_manage: bool,
    /// A key just created by this user, shown once.
    pub new_key: Option<String>,
}

#[cfg(feature = "ssr")]
const NEW_KEY: &str = "msgbuddy_new_api_key";

#[cfg(feature = "ssr")]
fn page_path(workspace_id: &str) -> String {
    format!("/w/{workspace_id}/settings/api-keys")
}

#[server(input = GetUrl, endpoint = "api-keys/list")]
pub async fn list_api_keys(workspace_id: String) -> Result<ApiKeysView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::{api_keys, prices};
    let (_, member) = crate::server::member(&workspace_id, Permission::SettingsView).await?;
    let m = crate::server::messaging()?;
    let keys = api_keys::list(&m, &member)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            test: k.mode.is_test(),
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            rate_per_minute: k.rate_per_minute,
            created_at_ms: k.created_at_ms,
            last_used_at_ms: k.last_used_at_ms,
            revoked: k.revoked,
        })
        .collect();
    Ok(ApiKeysView {
        keys,
        prices: prices::list(&m, &member).await?,
        can_manage: member.role.can(Permission::SettingsEdit),
        new_key: crate::server::flash::take(NEW_KEY, &page_path(&member.workspace_id)),
    })
}

#[server(endpoint = "api-keys/create")]
pub async fn create_api_key(
    csrf_token: String,
    workspace_id: String,
    name: String,
    mode: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::api_keys::{self, Mode};
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let created = api_keys::create(
        &messaging()?,
        &member,
        &actor(&user),
        &name,
        Mode::parse(&mode)?,
        None,
    )
    .await?;
    let path = page_path(&member.workspace_id);
    crate::server::flash::pass_on(NEW_KEY, &path, &created.secret);
    redirect(&path);
    Ok(())
}

#[server(endpoint = "api-keys/revoke")]
pub async fn revoke_api_key(
    csrf_token: String,
    workspace_id: String,
    key_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    msgbuddy_messaging::api_keys::revoke(&messaging()?, &member, &actor(&user), &key_id).await?;
    Ok(())
}

#[server(endpoint = "api-keys/price")]
pub async fn set_price(
    csrf_token: String,
    workspace_id: String,
    kind: String,
    price: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::SettingsEdit).await?;
    let kind = ChannelKind::parse(&kind)?;
    msgbuddy_messaging::prices::set(&messaging()?, &member, &actor(&user), kind, &price).await?;
    Ok(())
}
