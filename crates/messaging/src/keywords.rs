//! A customer's opt-out keywords: a message that is only STOP (or another of the
//! workspace's words) opts the contact out of that channel kind, START opts them back in,
//! and each answers once with the workspace's confirmation. Twilio answers SMS keywords
//! itself (and blocks its number for them until START), so SMS keywords change the
//! contact's state and msgbuddy sends no second answer.

use crate::Messaging;
use crate::messages::{self, OPT_OUT_REPLY, Sender, To};
use msgbuddy_contacts::opt_outs::{self, KeywordAction, Source};
use msgbuddy_core::Result;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::Role;
use msgbuddy_domain::message::{ChannelKind, Content};
use sqlx::AnyConnection;

/// A confirmation to send once the customer's message is committed.
#[derive(Debug, Clone)]
pub(crate) struct Confirmation {
    pub workspace_id: String,
    pub is_test: bool,
    pub conversation_id: String,
    pub body: String,
}

/// Applies `text` if it is a keyword; the confirmation to send, if the state changed.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    workspace_id: &str,
    contact_id: &str,
    kind: ChannelKind,
    text: &str,
) -> Result<Option<String>> {
    let keywords = opt_outs::keywords(conn, workspace_id).await?;
    let (changed, reply) = match keywords.classify(text) {
        None => return Ok(None),
        Some(KeywordAction::Stop) => {
            let reason = format!("Wrote {}", text.trim());
            let changed =
                opt_outs::opt_out(conn, contact_id, kind, &reason, Source::Keyword).await?;
            (changed, keywords.stop_reply)
        }
        Some(KeywordAction::Start) => (
            opt_outs::opt_in(conn, contact_id, kind).await?,
            keywords.start_reply,
        ),
    };
    Ok((changed && kind != ChannelKind::Sms).then_some(reply))
}

/// Sends the confirmations; one that cannot go is logged, the customer's state stays.
pub(crate) async fn confirm(m: &Messaging, confirmations: Vec<Confirmation>) {
    for c in confirmations {
        let system = Member {
            workspace_id: c.workspace_id.clone(),
            user_id: "system".to_owned(),
            role: Role::Agent,
            test_mode: false,
        };
        let sender = Sender {
            member: &system,
            user_id: None,
            source: OPT_OUT_REPLY,
            is_test: c.is_test,
        };
        let content = Content::Text { body: c.body };
        let sent = messages::send(
            m,
            sender,
            To::Conversation(&c.conversation_id),
            content,
            None,
        );
        if let Err(e) = sent.await {
            tracing::warn!(conversation = %c.conversation_id, error = %e, "an opt-out confirmation could not be sent");
        }
    }
}
