//! Private notes in a conversation.

use leptos::prelude::*;
use msgbuddy_domain::AppError;

/// Adds a private note from the thread's composer (its "Add private note" button); the
/// members it @mentions are notified.
#[server(endpoint = "conversations/note")]
pub async fn add_note(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    text: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    msgbuddy_inbox::notes::add(&messaging()?, &member, &conversation_id, &text).await?;
    redirect(&format!(
        "/w/{}/conversations/{conversation_id}",
        member.workspace_id
    ));
    Ok(())
}
