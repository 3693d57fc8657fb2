//! Channel accounts in Settings > Channels: list, connect ("Validate & save"), change,
//! check, subscribe, disconnect, and the Sandbox's "simulate a customer message".

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::{ChannelView, DeliveryView, KindForm};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelsView {
    pub channels: Vec<ChannelView>,
    pub can_manage: bool,
    /// The form of each kind that can be connected.
    pub kinds: Vec<KindForm>,
    /// msgbuddy's public base URL, to show webhook URLs in full.
    pub public_url: String,
}

#[cfg(feature = "ssr")]
fn kind_forms() -> Vec<KindForm> {
    use msgbuddy_domain::message::{ChannelKind, FieldSpec};
    ChannelKind::ALL
        .into_iter()
        .filter(|k| *k != ChannelKind::Sandbox)
        .map(|kind| KindForm {
            kind,
            fields: msgbuddy_channels::registry::fields(kind)
                .iter()
                .map(|f| FieldSpec {
                    name: f.name.to_owned(),
                    label: f.label.to_owned(),
                    secret: f.secret,
                    required: f.required,
                    hint: f.hint.to_owned(),
                })
                .collect(),
        })
        .collect()
}

#[server(input = GetUrl, endpoint = "channels/list")]
pub async fn list_channels(workspace_id: String) -> Result<ChannelsView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::accounts;
    let (_, member) = crate::server::member(&workspace_id, Permission::SettingsView).await?;
    let m = crate::server::messaging()?;
    Ok(ChannelsView {
        channels: accounts::list(&m, &member).await?,
        can_manage: member.role.can(Permission::ChannelsManage),
        kinds: kind_forms(),
        public_url: m.public_url.clone(),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelPage {
    pub channel: ChannelView,
    pub form: KindForm,
    pub can_manage: bool,
    pub webhook_url: String,
    /// Deliveries that could not be processed (admins only).
    pub failed: Vec<DeliveryView>,
}

#[server(input = GetUrl, endpoint = "channels/get")]
pub async fn get_channel(
    workspace_id: String,
    channel_id: String,
) -> Result<ChannelPage, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::message::FieldSpec;
    use msgbuddy_messaging::accounts;
    let (_, member) = crate::server::member(&workspace_id, Permission::SettingsView).await?;
    let m = crate::server::messaging()?;
    let channel = accounts::get(&m, &member, &channel_id).await?;
    let form = KindForm {
        kind: channel.kind,
        fields: msgbuddy_channels::registry::fields(channel.kind)
            .iter()
            .map(|f| FieldSpec {
                name: f.name.to_owned(),
                label: f.label.to_owned(),
                secret: f.secret,
                required: f.required,
                hint: f.hint.to_owned(),
            })
            .collect(),
    };
    let can_manage = member.role.can(Permission::ChannelsManage);
    let failed = if can_manage {
        msgbuddy_messaging::inbound::failed_deliveries(&m, &member, &channel.id, 50).await?
    } else {
        Vec::new()
    };
    Ok(ChannelPage {
        webhook_url: m.webhook_url(&channel.id),
        channel,
        form,
        can_manage,
        failed,
    })
}

/// "Validate & save" a new channel; the form's fields arrive as `values[name]`.
#[server(endpoint = "channels/create")]
pub async fn create_channel(
    csrf_token: String,
    workspace_id: String,
    kind: String,
    name: String,
    #[server(default)] values: HashMap<String, String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::message::ChannelKind;
    use msgbuddy_messaging::accounts::{self, ChannelForm};
    let (user, member) = member(&workspace_id, Permission::ChannelsManage).await?;
    let kind = ChannelKind::parse(&kind)?;
    let form = ChannelForm {
        name,
        values: values.into_iter().collect(),
    };
    let channel = accounts::create(&messaging()?, &member, &actor(&user), kind, &form).await?;
    redirect(&format!(
        "/w/{}/settings/channels/{}",
        member.workspace_id, channel.id
    ));
    Ok(())
}

#[server(endpoint = "channels/update")]
#[allow(clippy::too_many_arguments)]
pub async fn update_channel(
    csrf_token: String,
    workspace_id: String,
    channel_id: String,
    name: String,
    #[server(default)] values: HashMap<String, String>,
    rate_per_sec: Option<String>,
    max_attempts: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging};
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::accounts::{self, ChannelForm};
    let (user, member) = member(&workspace_id, Permission::ChannelsManage).await?;
    let number = |field: &str, raw: Option<String>| -> Result<Option<i64>, AppError> {
        match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid_field(field, "Use a whole number.")),
        }
    };
    let form = ChannelForm {
        name,
        values: values.into_iter().collect(),
    };
    accounts::update(
        &messaging()?,
        &member,
        &actor(&user),
        &channel_id,
        &form,
        number("rate_per_sec", rate_per_sec)?,
        number("max_attempts", max_attempts)?,
    )
    .await?;
    Ok(())
}

/// The buttons of a channel's page: `check` (health check), `subscribe`, `disconnect`.
#[server(endpoint = "channels/action")]
pub async fn channel_action(
    csrf_token: String,
    workspace_id: String,
    channel_id: String,
    action: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging};
    use msgbuddy_domain::Permission;
    use msgbuddy_messaging::accounts;
    let (user, member) = member(&workspace_id, Permission::ChannelsManage).await?;
    let (m, actor) = (messaging()?, actor(&user));
    match action.as_str() {
        "check" => accounts::check(&m, &member, &actor, &channel_id)
            .await
            .map(|_| ())?,
        "subscribe" => accounts::subscribe(&m, &member, &actor, &channel_id)
            .await
            .map(|_| ())?,
        "disconnect" => accounts::disconnect(&m, &member, &actor, &channel_id).await?,
        _ => {
            return Err(AppError::invalid_field(
                "action",
                "Use check, subscribe or disconnect.",
            ));
        }
    }
    Ok(())
}

/// The Sandbox delivers a message as if a customer wrote it; it shows up in Conversations.
#[server(endpoint = "channels/simulate")]
pub async fn simulate_customer_message(
    csrf_token: String,
    workspace_id: String,
    from: String,
    name: Option<String>,
    text: String,
    #[server(default)] test: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let is_test = test.as_deref() == Some("1");
    msgbuddy_messaging::sandbox::simulate_customer_message(
        &messaging()?,
        &member,
        is_test,
        &from,
        name.as_deref(),
        &text,
    )
    .await?;
    let mode = if is_test { "?test=1" } else { "" };
    redirect(&format!("/w/{}/conversations{mode}", member.workspace_id));
    Ok(())
}
