//! A conversation's own custom fields (priority, order number), set from the thread's
//! side panel.
// A form's fields are a server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use msgbuddy_domain::AppError;
use std::collections::HashMap;

/// Sets the posted fields (`fields[<key>]`) of a conversation the member may see.
#[server(endpoint = "conversations/fields")]
pub async fn save_conversation_fields(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    #[server(default)] fields: HashMap<String, String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let m = messaging()?;
    msgbuddy_inbox::access::conversation(&m, &member, &conversation_id).await?;
    let values: Vec<(String, serde_json::Value)> = fields
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    msgbuddy_contacts::conversation_fields::save(
        m.db(),
        &actor(&user),
        &member,
        &conversation_id,
        &values,
    )
    .await?;
    redirect(&format!(
        "/w/{workspace_id}/conversations/{conversation_id}"
    ));
    Ok(())
}
