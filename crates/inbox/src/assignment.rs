//! Who answers a conversation: a supervisor (or admin, owner) assigns it to a member who
//! may reply, or takes it back to the pool; an agent claims an unassigned one, or gives
//! their own back. Assigning a conversation to whom it already belongs changes nothing;
//! assigning it to someone else notifies them.

use crate::access::{self, user_name};
use crate::timeline::{Before, ChangeNote, record_change};
use msgbuddy_core::Result;
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::message::ConversationSummary;
use msgbuddy_domain::notification::NotificationKind;
use msgbuddy_domain::role::Role;
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_notifications::{Notice, notify};
use sqlx::Row;

/// What to do with a conversation's assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign<'a> {
    /// To this member (by user id).
    To(&'a str),
    /// To the member acting, if nobody has it.
    Claim,
    /// Back to the pool.
    Unassign,
}

/// A member a conversation can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignee {
    pub user_id: String,
    pub name: String,
}

/// The members who may answer conversations (owners, admins, supervisors, agents), by
/// name.
pub async fn assignees(m: &Messaging, member: &Member) -> Result<Vec<Assignee>> {
    member.require(Permission::ConversationsView)?;
    let rows = sqlx::query(
        "SELECT u.id, u.name, u.email, ms.role FROM memberships ms JOIN users u ON u.id = ms.user_id \
         WHERE ms.workspace_id = $1 ORDER BY u.name, u.email",
    )
    .bind(&member.workspace_id)
    .fetch_all(m.db().reader())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let role: String = r.try_get(3)?;
        if !role
            .parse::<Role>()
            .ok()
            .is_some_and(|r| r.can(Permission::ConversationsReply))
        {
            continue;
        }
        let name: String = r.try_get(1)?;
        let email: String = r.try_get(2)?;
        out.push(Assignee {
            user_id: r.try_get(0)?,
            name: if name.trim().is_empty() { email } else { name },
        });
    }
    Ok(out)
}

/// Assigns, claims or unassigns conversation `id` as `member`.
pub async fn assign(
    m: &Messaging,
    member: &Member,
    id: &str,
    action: Assign<'_>,
) -> Result<ConversationSummary> {
    member.require(Permission::ConversationsReply)?;
    let mut tx = m.db().begin_write().await?;
    let current = access::current(&mut tx, member, id).await?;
    let actor = user_name(&mut tx, &member.user_id).await?;
    let (assignee, note) = match action {
        Assign::To(user_id) => {
            member.require(Permission::ConversationsAssign)?;
            let role: Option<String> = sqlx::query(
                "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
            )
            .bind(&member.workspace_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            if !role
                .as_deref()
                .and_then(|r| r.parse::<Role>().ok())
                .is_some_and(|r| r.can(Permission::ConversationsReply))
            {
                return Err(AppError::invalid_field(
                    "assignee_id",
                    "Assign the conversation to a member of this workspace who may reply.",
                )
                .into());
            }
            let name = user_name(&mut tx, user_id).await?;
            (
                Some(user_id.to_owned()),
                format!("Assigned to {name} by {actor}"),
            )
        }
        Assign::Claim => {
            match current.assignee_id.as_deref() {
                Some(a) if a == member.user_id => {}
                Some(a) => {
                    let name = user_name(&mut tx, a).await?;
                    return Err(AppError::conflict(format!(
                        "{name} already has this conversation; a supervisor can reassign it."
                    ))
                    .into());
                }
                None => {}
            }
            (Some(member.user_id.clone()), format!("Claimed by {actor}"))
        }
        Assign::Unassign => {
            let own = current.assignee_id.as_deref() == Some(member.user_id.as_str());
            if !own {
                member.require(Permission::ConversationsAssign)?;
            }
            let note = match current.assignee_id.as_deref() {
                Some(a) => format!(
                    "Unassigned from {} by {actor}",
                    user_name(&mut tx, a).await?
                ),
                None => String::new(),
            };
            (None, note)
        }
    };
    if assignee == current.assignee_id {
        // Nothing changes: no note, no event.
        drop(tx);
        return access::conversation(m, member, id).await;
    }
    // The inactivity clock starts when an agent gets it; a member's choice clears who was
    // passed over.
    sqlx::query(
        "UPDATE conversations SET assignee_id = $1, updated_at = $2, assigned_at = $2, \
         passed_over_id = NULL WHERE id = $3",
    )
    .bind(assignee.as_deref())
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let mut pending = Pending::default();
    let conversation = record_change(
        m,
        &mut tx,
        &mut pending,
        &member.workspace_id,
        ChangeNote {
            conversation_id: id,
            author_id: Some(&member.user_id),
            note: &note,
            before: Before::Assignee(current.assignee_id.as_deref()),
        },
    )
    .await?;
    // Someone else handing a member a conversation tells them.
    if let Some(to) = assignee.as_deref().filter(|to| *to != member.user_id) {
        notify(
            &m.bus,
            &mut tx,
            &mut pending,
            Notice {
                workspace_id: &member.workspace_id,
                user_id: to,
                kind: NotificationKind::Assigned,
                conversation_id: Some(id),
                body: &format!(
                    "{actor} assigned you the conversation with {}",
                    conversation.contact_name
                ),
            },
        )
        .await?;
    }
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(conversation)
}

/// Puts the open conversations of a member who left the workspace back in the pool, each
/// with a note. Returns how many.
pub async fn release(m: &Messaging, workspace_id: &str, user_id: &str) -> Result<usize> {
    let mut tx = m.db().begin_write().await?;
    let name = user_name(&mut tx, user_id).await?;
    let rows = sqlx::query(
        "UPDATE conversations SET assignee_id = NULL, updated_at = $1 \
         WHERE workspace_id = $2 AND assignee_id = $3 AND status <> 'resolved' RETURNING id",
    )
    .bind(now_ms())
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut pending = msgbuddy_core::events::Pending::default();
    let note = format!("Unassigned: {name} left the workspace");
    for row in &rows {
        let id: String = row.try_get(0)?;
        record_change(
            m,
            &mut tx,
            &mut pending,
            workspace_id,
            ChangeNote {
                conversation_id: &id,
                author_id: None,
                note: &note,
                before: Before::Assignee(Some(user_id)),
            },
        )
        .await?;
    }
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(rows.len())
}
