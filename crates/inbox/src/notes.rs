//! Private notes: what members write in a conversation for each other, never sent to the
//! customer. A note @mentions members by their name ("@Andy Agent"); each one mentioned
//! who may see the conversation gets a notification, and the conversation shows in their
//! Mentions view.

use crate::access::{self, user_name};
use crate::timeline::{self, Entry};
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::TimelineEntry;
use msgbuddy_domain::notification::NotificationKind;
use msgbuddy_domain::{AppError, Permission, Role};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::conversations::summary_in;
use msgbuddy_notifications::{Notice, notify};
use sqlx::{AnyConnection, Row};

/// How long a note may be, in characters.
const MAX_NOTE_CHARS: usize = 4_000;

/// Adds a private note to a conversation the member may see and reply in, notifying the
/// members it mentions. Returns the note.
pub async fn add(
    m: &Messaging,
    member: &Member,
    conversation_id: &str,
    text: &str,
) -> Result<TimelineEntry> {
    member.require(Permission::ConversationsReply)?;
    let body = text.trim();
    if body.is_empty() {
        return Err(AppError::invalid_field("text", "Write the note first.").into());
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::invalid_field("text", "A note is at most 4,000 characters.").into());
    }
    let mut tx = m.db().begin_write().await?;
    let current = access::current(&mut tx, member, conversation_id).await?;
    let author = user_name(&mut tx, &member.user_id).await?;
    let note = timeline::write(
        &mut tx,
        &member.workspace_id,
        conversation_id,
        Entry {
            kind: "note",
            author: Some((&member.user_id, Some(author.clone()))),
            body,
        },
    )
    .await?;
    let mut pending = Pending::default();
    let mut conversation = summary_in(&mut tx, conversation_id).await?;
    timeline::raise(
        m,
        &mut tx,
        &mut pending,
        &member.workspace_id,
        &mut conversation,
        note.clone(),
        None,
    )
    .await?;
    let members = workspace_members(&mut tx, &member.workspace_id).await?;
    let names: Vec<(String, String)> = members
        .iter()
        .map(|(id, name, _)| (id.clone(), name.clone()))
        .collect();
    let message = format!("{author} mentioned you: {body}");
    for id in mentioned(body, &names) {
        let Some((_, _, role)) = members.iter().find(|(m, _, _)| *m == id) else {
            continue;
        };
        let them = Member {
            workspace_id: member.workspace_id.clone(),
            user_id: id.clone(),
            role: *role,
            test_mode: false,
        };
        // Not oneself, and only those who may open the conversation.
        if id == member.user_id
            || !them.role.can(Permission::ConversationsView)
            || !access::may_see(&them, current.assignee_id.as_deref())
        {
            continue;
        }
        sqlx::query(
            "INSERT INTO mentions (note_id, user_id, workspace_id, conversation_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&note.id)
        .bind(&id)
        .bind(&member.workspace_id)
        .bind(conversation_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        notify(
            &m.bus,
            &mut tx,
            &mut pending,
            Notice {
                workspace_id: &member.workspace_id,
                user_id: &id,
                kind: NotificationKind::Mentioned,
                conversation_id: Some(conversation_id),
                body: &message,
            },
        )
        .await?;
    }
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(note)
}

/// Every member of the workspace: id, the name they are mentioned by, role.
async fn workspace_members(
    conn: &mut AnyConnection,
    workspace_id: &str,
) -> Result<Vec<(String, String, Role)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.name, u.email, ms.role FROM memberships ms JOIN users u ON u.id = ms.user_id \
         WHERE ms.workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get(1)?;
            let email: String = r.try_get(2)?;
            let role: String = r.try_get(3)?;
            let role = role
                .parse::<Role>()
                .map_err(|_| Error::internal(format!("unknown role `{role}`")))?;
            let name = if name.trim().is_empty() {
                email.split('@').next().unwrap_or_default().to_owned()
            } else {
                name
            };
            Ok((r.try_get(0)?, name, role))
        })
        .collect()
}

/// The ids of the members `body` mentions: `@` and a member's name, whatever its case,
/// not followed by a letter or digit. Where names share a start ("@Andy" and
/// "@Andy Agent"), the longest that matches is the one meant. Each id once, in order.
pub fn mentioned(body: &str, members: &[(String, String)]) -> Vec<String> {
    let text = body.to_lowercase();
    let mut names: Vec<(String, &str)> = members
        .iter()
        .filter(|(_, name)| !name.trim().is_empty())
        .map(|(id, name)| (name.trim().to_lowercase(), id.as_str()))
        .collect();
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut found: Vec<String> = Vec::new();
    for (at, _) in text.match_indices('@') {
        let rest = &text[at + 1..];
        let hit = names.iter().find(|(name, _)| {
            rest.starts_with(name.as_str())
                && !rest[name.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        });
        if let Some((_, id)) = hit
            && !found.iter().any(|f| f == id)
        {
            found.push((*id).to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> Vec<(String, String)> {
        [
            ("u1", "Andy"),
            ("u2", "Andy Agent"),
            ("u3", "Zoë Müller"),
            ("u4", "  "),
        ]
        .iter()
        .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
        .collect()
    }

    #[test]
    fn mentions_are_at_signs_and_names_whatever_their_case() {
        assert_eq!(mentioned("@andy agent can you look?", &team()), vec!["u2"]);
        assert_eq!(
            mentioned("Ask @Andy, then @ZOË MÜLLER.", &team()),
            vec!["u1", "u3"]
        );
        assert_eq!(mentioned("@Andy @andy again", &team()), vec!["u1"]);
    }

    #[test]
    fn a_name_inside_a_longer_word_or_an_email_is_no_mention() {
        assert!(mentioned("@Andyx and andy@example.com", &team()).is_empty());
        assert!(mentioned("no mentions @ all", &team()).is_empty());
        assert!(mentioned("", &team()).is_empty());
    }
}
