//! Who sees which conversation. Members with `ConversationsViewAll` (owners, admins,
//! supervisors, auditors) see every one; the others (agents, viewers) see the unassigned
//! ones and those assigned to them. Anything else is answered 404, as if it did not
//! exist, so ids cannot be probed.

use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::ConversationSummary;
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::conversations;
use sqlx::{AnyConnection, Row};

pub fn sees_all(member: &Member) -> bool {
    member.role.can(Permission::ConversationsViewAll)
}

/// Whether `member` may see a conversation assigned to `assignee_id`.
pub fn may_see(member: &Member, assignee_id: Option<&str>) -> bool {
    sees_all(member) || assignee_id.is_none_or(|a| a == member.user_id)
}

/// A conversation of the member's workspace they may see, for the thread page.
pub async fn conversation(m: &Messaging, member: &Member, id: &str) -> Result<ConversationSummary> {
    let conversation = conversations::get(m, member, id).await?;
    if !may_see(member, conversation.assignee_id.as_deref()) {
        return Err(AppError::not_found().into());
    }
    let mut one = [conversation];
    crate::labels::attach(&mut *m.db().reader().acquire().await?, &mut one).await?;
    let [conversation] = one;
    Ok(conversation)
}

/// What a change needs to know of a conversation, read in the change's transaction.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub status: String,
    pub assignee_id: Option<String>,
    pub snoozed_until: Option<i64>,
    pub is_test: bool,
    pub channel_id: String,
    pub contact_id: String,
}

/// The conversation `id` as `member` may change it, or 404.
pub(crate) async fn current(
    conn: &mut AnyConnection,
    member: &Member,
    id: &str,
) -> Result<Current> {
    let row = sqlx::query(
        "SELECT status, assignee_id, snoozed_until, is_test, channel_account_id, contact_id \
         FROM conversations WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id)
    .bind(&member.workspace_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    let current = Current {
        status: row.try_get(0)?,
        assignee_id: row.try_get(1)?,
        snoozed_until: row.try_get(2)?,
        is_test: row.try_get::<i64, _>(3)? != 0,
        channel_id: row.try_get(4)?,
        contact_id: row.try_get(5)?,
    };
    if may_see(member, current.assignee_id.as_deref()) {
        Ok(current)
    } else {
        Err(AppError::not_found().into())
    }
}

/// A user's display name (their email's local part when they set none).
pub(crate) async fn user_name(conn: &mut AnyConnection, user_id: &str) -> Result<String> {
    let row = sqlx::query("SELECT name, email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::internal(format!("user {user_id} vanished")))?;
    let name: String = row.try_get(0)?;
    let email: String = row.try_get(1)?;
    Ok(if name.trim().is_empty() {
        email.split('@').next().unwrap_or_default().to_owned()
    } else {
        name
    })
}

/// The assignee of each of the conversations `ids` of a workspace (`None`: unassigned), for
/// deciding who may hear of them. Conversations not found are left out.
pub async fn assignees(
    db: &msgbuddy_core::Db,
    workspace_id: &str,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, Option<String>>> {
    let mut out = std::collections::HashMap::new();
    // Within every backend's limit on bound parameters.
    for chunk in ids.chunks(500) {
        let placeholders = (2..chunk.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, assignee_id FROM conversations WHERE workspace_id = $1 AND id IN ({placeholders})"
        )))
        .bind(workspace_id.to_owned());
        for id in chunk {
            query = query.bind((*id).to_owned());
        }
        for row in query.fetch_all(db.reader()).await? {
            out.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(out)
}
