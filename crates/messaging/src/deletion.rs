//! Deleting a sent or received message for the customer too, where the channel's
//! provider can (Telegram within 48 hours of sending; the Sandbox likewise). The inbox
//! asks here first and changes nothing of its own if the provider refuses.

use crate::{Messaging, accounts};
use msgbuddy_core::db::now_ms;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::AppError;

/// Whether channel `channel_id` can delete messages for the customer at all.
pub async fn supported(m: &Messaging, channel_id: &str) -> bool {
    accounts::load(m, channel_id)
        .await
        .is_ok_and(|c| c.provider.deletes_within().is_some())
}

/// Asks the channel's provider to delete the message for the customer.
pub async fn for_the_customer(
    m: &Messaging,
    channel_id: &str,
    provider_id: Option<&str>,
    created_at: i64,
) -> Result<()> {
    let refused = |why: String| Error::App(AppError::invalid_field("reach", why));
    let channel = accounts::load(m, channel_id).await?;
    let Some(within) = channel.provider.deletes_within() else {
        return Err(refused(format!(
            "{} cannot delete a message for the customer; delete it for us only.",
            channel.kind.label()
        )));
    };
    let within_ms = i64::try_from(within.as_millis()).unwrap_or(i64::MAX);
    if now_ms() - created_at > within_ms {
        return Err(refused(format!(
            "{} deletes a message for the customer only within {} hours of it being sent.",
            channel.kind.label(),
            within.as_secs() / 3600
        )));
    }
    let Some(provider_id) = provider_id else {
        return Err(refused(
            "The provider never took this message, so there is nothing to delete there.".to_owned(),
        ));
    };
    channel
        .provider
        .delete_for_everyone(provider_id)
        .await
        .map_err(|e| refused(format!("The provider did not delete it: {}", e.message)))
}
