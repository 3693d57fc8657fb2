//! Invitations by link: an admin creates one with a role, the link carries a secret token
//! (stored only hashed), and whoever opens it while logged in joins with that role.

use crate::Actor;
use crate::accounts::User;
use crate::audit::{self, Entry};
use crate::crypto::{random_token, token_hash};
use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result};
use crate::events::{EventBus, Pending};
use crate::workspaces::Member;
use msgbuddy_domain::values::Email;
pub use msgbuddy_domain::views::{CreatedInvitation, Invitation, InvitationPreview};
use msgbuddy_domain::{AppError, DomainEvent, Permission, Role};
use sqlx::Row;

pub const DEFAULT_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

pub async fn create(
    bus: &EventBus,
    member: &Member,
    actor: &Actor,
    email: Option<&Email>,
    role: Role,
    ttl_ms: i64,
) -> Result<CreatedInvitation> {
    member.require(Permission::InvitationsManage)?;
    if !member.role.can_assign(role) {
        return Err(AppError::forbidden().into());
    }
    let token = random_token();
    let now = now_ms();
    let invitation = Invitation {
        id: new_id("inv"),
        email: email.map(|e| e.as_str().to_owned()),
        role,
        created_at_ms: now,
        expires_at_ms: now + ttl_ms,
    };
    let mut tx = bus.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO invitations (id, workspace_id, token_hash, email, role, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&invitation.id)
    .bind(&member.workspace_id)
    .bind(token_hash(&token))
    .bind(invitation.email.as_deref())
    .bind(role.as_str())
    .bind(&actor.user_id)
    .bind(now)
    .bind(invitation.expires_at_ms)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "invitation.created",
            target_type: "invitation",
            target_id: Some(&invitation.id),
            before: None,
            after: Some(serde_json::json!({ "email": invitation.email, "role": role, "expires_at": invitation.expires_at_ms })),
        },
    )
    .await?;
    let mut pending = Pending::default();
    let event = DomainEvent::InvitationCreated {
        invitation_id: invitation.id.clone(),
        email: invitation.email.clone(),
        role,
    };
    bus.record(&mut tx, &mut pending, &member.workspace_id, &event)
        .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(CreatedInvitation { invitation, token })
}

/// Invitations that can still be accepted, newest first.
pub async fn list_pending(db: &Db, member: &Member) -> Result<Vec<Invitation>> {
    member.require(Permission::InvitationsView)?;
    let rows = sqlx::query(
        "SELECT id, email, role, created_at, expires_at FROM invitations \
         WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY created_at DESC",
    )
    .bind(&member.workspace_id)
    .bind(now_ms())
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Invitation {
                id: r.try_get(0)?,
                email: r.try_get(1)?,
                role: crate::db::role_at(r, 2)?,
                created_at_ms: r.try_get(3)?,
                expires_at_ms: r.try_get(4)?,
            })
        })
        .collect()
}

pub async fn revoke(
    bus: &EventBus,
    member: &Member,
    actor: &Actor,
    invitation_id: &str,
) -> Result<()> {
    member.require(Permission::InvitationsManage)?;
    let mut tx = bus.db().begin_write().await?;
    let done = sqlx::query(
        "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(invitation_id)
    .bind(&member.workspace_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found().into());
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "invitation.revoked",
            target_type: "invitation",
            target_id: Some(invitation_id),
            before: Some(serde_json::json!({ "status": "pending" })),
            after: Some(serde_json::json!({ "status": "revoked" })),
        },
    )
    .await?;
    let mut pending = Pending::default();
    let event = DomainEvent::InvitationRevoked {
        invitation_id: invitation_id.to_owned(),
    };
    bus.record(&mut tx, &mut pending, &member.workspace_id, &event)
        .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(())
}

fn unusable() -> Error {
    AppError::not_found()
        .with_details(serde_json::json!({ "reason": "invitation_unusable" }))
        .into()
}

fn workspace_suspended() -> Error {
    AppError::new(
        msgbuddy_domain::ErrorCode::Forbidden,
        "This workspace is suspended, so its invitations cannot be accepted.",
    )
    .with_details(serde_json::json!({ "reason": "workspace_suspended" }))
    .into()
}

/// What an invitation link leads to, if it can still be used. A suspended workspace's
/// invitations cannot.
pub async fn preview(db: &Db, token: &str) -> Result<InvitationPreview> {
    let row = sqlx::query(
        "SELECT i.workspace_id, w.name, i.role, i.email, w.suspended_at FROM invitations i JOIN workspaces w ON w.id = i.workspace_id \
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(db.reader())
    .await?
    .ok_or_else(unusable)?;
    if row.try_get::<Option<i64>, _>(4)?.is_some() {
        return Err(workspace_suspended());
    }
    Ok(InvitationPreview {
        workspace_id: row.try_get(0)?,
        workspace_name: row.try_get(1)?,
        role: crate::db::role_at(&row, 2)?,
        email: row.try_get(3)?,
    })
}

/// Joins `user` to the invitation's workspace. The invitation is claimed with a conditional
/// update, so two people racing for one link cannot both join.
pub async fn accept(
    bus: &EventBus,
    user: &User,
    ip: Option<String>,
    token: &str,
) -> Result<Member> {
    let preview = preview(bus.db(), token).await?;
    if preview
        .email
        .as_ref()
        .is_some_and(|email| email != &user.email)
    {
        return Err(AppError::forbidden()
            .with_details(serde_json::json!({ "reason": "invitation_for_other_email" }))
            .into());
    }
    let now = now_ms();
    let mut tx = bus.db().begin_write().await?;
    // The suspension is checked again inside the transaction: a workspace suspended
    // between the preview and this point stays closed.
    let suspended: Option<i64> = sqlx::query("SELECT suspended_at FROM workspaces WHERE id = $1")
        .bind(&preview.workspace_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if suspended.is_some() {
        return Err(workspace_suspended());
    }
    let claimed = sqlx::query(
        "UPDATE invitations SET accepted_at = $1, accepted_by = $2 \
         WHERE token_hash = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1 RETURNING id",
    )
    .bind(now)
    .bind(&user.id)
    .bind(token_hash(token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(unusable)?;
    let invitation_id: String = claimed.try_get(0)?;
    let joined = sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, user_id) DO NOTHING",
    )
    .bind(&preview.workspace_id)
    .bind(&user.id)
    .bind(preview.role.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if joined.rows_affected() == 0 {
        return Err(AppError::conflict("You are already a member of this workspace.").into());
    }
    let actor = Actor {
        user_id: user.id.clone(),
        ip,
    };
    audit::record(
        &mut tx,
        &actor,
        Entry {
            workspace_id: Some(&preview.workspace_id),
            action: "invitation.accepted",
            target_type: "invitation",
            target_id: Some(&invitation_id),
            before: Some(serde_json::json!({ "status": "pending" })),
            after: Some(serde_json::json!({ "status": "accepted", "user": user.email, "role": preview.role })),
        },
    )
    .await?;
    let mut pending = Pending::default();
    let mut joined_seq = 0;
    for event in [
        DomainEvent::InvitationAccepted {
            invitation_id,
            user_id: user.id.clone(),
        },
        DomainEvent::MemberJoined {
            user_id: user.id.clone(),
            email: user.email.clone(),
            role: preview.role,
        },
    ] {
        joined_seq = bus
            .record(&mut tx, &mut pending, &preview.workspace_id, &event)
            .await?;
    }
    // The new member's live stream starts after their own arrival: what the workspace
    // did before they joined is not theirs to replay.
    sqlx::query("UPDATE memberships SET joined_seq = $1 WHERE workspace_id = $2 AND user_id = $3")
        .bind(joined_seq)
        .bind(&preview.workspace_id)
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    bus.committed(pending);
    Ok(Member {
        workspace_id: preview.workspace_id,
        user_id: user.id.clone(),
        role: preview.role,
        test_mode: false,
    })
}

/// Deletes invitations that expired unaccepted more than `grace_ms` ago. Run by the worker.
pub async fn delete_expired(db: &Db, grace_ms: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at < $1")
        .bind(now_ms() - grace_ms)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}
