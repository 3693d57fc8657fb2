//! Marks: star a message (for the member's Starred page), pin one in its conversation,
//! mark a conversation read or unread.

use leptos::prelude::*;
// Reads are GET requests: safe, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::StarredMessage;

/// Stars (`on` = `1`) or unstars (`0`) a message for the member.
#[server(endpoint = "messages/star")]
pub async fn star_message(
    csrf_token: String,
    workspace_id: String,
    message_id: String,
    on: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsView).await?;
    let conversation =
        msgbuddy_inbox::marks::star(messaging()?.db(), &member, &message_id, on == "1").await?;
    redirect(&format!(
        "/w/{workspace_id}/conversations/{conversation}#m-{message_id}"
    ));
    Ok(())
}

/// Pins (`on` = `1`) or unpins (`0`) a message in its conversation.
#[server(endpoint = "messages/pin")]
pub async fn pin_message(
    csrf_token: String,
    workspace_id: String,
    message_id: String,
    on: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let conversation =
        msgbuddy_inbox::marks::pin(&messaging()?, &member, &message_id, on == "1").await?;
    redirect(&format!(
        "/w/{workspace_id}/conversations/{conversation}#m-{message_id}"
    ));
    Ok(())
}

/// Marks a conversation read (`read` = `1`) or unread (`0`); unread goes back to the list.
#[server(endpoint = "conversations/read")]
pub async fn mark_conversation(
    csrf_token: String,
    workspace_id: String,
    conversation_id: String,
    read: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let read = read == "1";
    msgbuddy_inbox::marks::set_read(messaging()?.db(), &member, &conversation_id, read).await?;
    if read {
        redirect(&format!(
            "/w/{workspace_id}/conversations/{conversation_id}"
        ));
    } else {
        redirect(&format!("/w/{workspace_id}/conversations"));
    }
    Ok(())
}

/// The member's starred messages, newest star first.
#[server(input = GetUrl, endpoint = "messages/starred")]
pub async fn starred_messages(workspace_id: String) -> Result<Vec<StarredMessage>, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    Ok(msgbuddy_inbox::marks::starred(crate::server::messaging()?.db(), &member).await?)
}

/// Forwards a copy of a message to another conversation, and opens that one.
#[server(endpoint = "messages/forward")]
pub async fn forward_message(
    csrf_token: String,
    workspace_id: String,
    message_id: String,
    to_conversation_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let sent = msgbuddy_inbox::replies::forward(
        &messaging()?,
        &member,
        &user.id,
        &message_id,
        &to_conversation_id,
    )
    .await?;
    redirect(&format!(
        "/w/{workspace_id}/conversations/{}#m-{}",
        sent.conversation_id, sent.id
    ));
    Ok(())
}

/// Deletes a message, for us (`reach` = `us`) or for the customer too (`everyone`), and
/// goes back to its thread.
#[server(endpoint = "messages/delete")]
pub async fn delete_message(
    csrf_token: String,
    workspace_id: String,
    message_id: String,
    reach: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_inbox::deletes::{Reach, delete};
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let reach = Reach::parse(&reach)?;
    let conversation = delete(&messaging()?, &member, &message_id, reach).await?;
    redirect(&format!(
        "/w/{workspace_id}/conversations/{}#m-{message_id}",
        conversation.id
    ));
    Ok(())
}
