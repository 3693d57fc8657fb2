//! Auto-assignment and the inactivity rule, both run by a job.
//!
//! A workspace may share out its open, unassigned (live) conversations by itself: round
//! robin gives each to the eligible agent given one longest ago, least busy to the one with
//! the fewest open conversations. Eligible: a member who may reply, is online by their own
//! choice, has a page open ([`crate::presence`]) and holds fewer open conversations than
//! their capacity (if they have one). The oldest waiting customer goes first.
//!
//! With an inactivity threshold, a conversation whose customer has waited that long since
//! it was given to its agent goes back to the pool with a note, and that agent is passed
//! over when it is shared out again (until someone else has had it).
//!
//! One pass of either runs in one transaction per workspace, which first writes the
//! workspace's settings row: on PostgreSQL that row lock makes concurrent passes of two
//! server instances take turns, so capacities hold.

use crate::access::user_name;
use crate::presence::CONNECTED_WITHIN_MS;
use crate::timeline::{Before, ChangeNote, record_change};
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::now_ms;
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Result};
use msgbuddy_domain::assignment::{AgentLoad, AssignmentRules, AutoAssign, Availability};
use msgbuddy_domain::notification::NotificationKind;
use msgbuddy_domain::role::Role;
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_notifications::{Notice, notify};
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// Conversations one pass handles per workspace.
const BATCH: i64 = 100;

/// The workspace's assignment rules.
pub async fn rules(db: &Db, member: &Member) -> Result<AssignmentRules> {
    member.require(Permission::SettingsView)?;
    read_rules(&mut *db.reader().acquire().await?, &member.workspace_id).await
}

async fn read_rules(conn: &mut AnyConnection, workspace_id: &str) -> Result<AssignmentRules> {
    let row = sqlx::query(
        "SELECT auto_assign, inactivity_minutes FROM inbox_settings WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(AssignmentRules::default());
    };
    Ok(AssignmentRules {
        auto_assign: AutoAssign::parse(&row.try_get::<String, _>(0)?).unwrap_or_default(),
        inactivity_minutes: row
            .try_get::<Option<i64>, _>(1)?
            .and_then(|m| u32::try_from(m).ok()),
    })
}

/// Saves the workspace's assignment rules (those who edit settings), audited.
pub async fn save_rules(
    db: &Db,
    member: &Member,
    actor: &Actor,
    rules: AssignmentRules,
) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let before = read_rules(&mut tx, &member.workspace_id).await?;
    if before == rules {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO inbox_settings (workspace_id, auto_assign, inactivity_minutes) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id) DO UPDATE SET auto_assign = excluded.auto_assign, \
           inactivity_minutes = excluded.inactivity_minutes",
    )
    .bind(&member.workspace_id)
    .bind(rules.auto_assign.as_str())
    .bind(rules.inactivity_minutes.map(i64::from))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "inbox.assignment_rules_changed",
            target_type: "workspace",
            target_id: Some(&member.workspace_id),
            before: Some(serde_json::to_value(before).unwrap_or_default()),
            after: Some(serde_json::to_value(rules).unwrap_or_default()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every member who may reply, with their availability, capacity and open conversations.
pub async fn loads(db: &Db, member: &Member) -> Result<Vec<AgentLoad>> {
    member.require(Permission::SettingsView)?;
    let now = now_ms();
    let mut conn = db.reader().acquire().await?;
    let agents = candidates(&mut conn, &member.workspace_id, now, false).await?;
    Ok(agents
        .into_iter()
        .map(|a| AgentLoad {
            user_id: a.user_id,
            name: a.name,
            availability: a.availability,
            connected: a.connected,
            capacity: a.capacity,
            open_conversations: a.open,
        })
        .collect())
}

/// Sets how many open conversations auto-assignment may give `user_id` (`None`: no
/// limit), audited.
pub async fn set_capacity(
    db: &Db,
    member: &Member,
    actor: &Actor,
    user_id: &str,
    capacity: Option<u32>,
) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let role: Option<String> =
        sqlx::query("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(&member.workspace_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    if !may_reply(role.as_deref()) {
        return Err(AppError::invalid_field(
            "user_id",
            "Only members who may reply take conversations.",
        )
        .into());
    }
    let before: Option<i64> = sqlx::query(
        "SELECT capacity FROM member_presence WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(&member.workspace_id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get::<Option<i64>, _>(0))
    .transpose()?
    .flatten();
    let after = capacity.map(i64::from);
    if before == after {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO member_presence (workspace_id, user_id, capacity) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET capacity = excluded.capacity",
    )
    .bind(&member.workspace_id)
    .bind(user_id)
    .bind(after)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "member.capacity_changed",
            target_type: "user",
            target_id: Some(user_id),
            before: Some(serde_json::json!({ "capacity": before })),
            after: Some(serde_json::json!({ "capacity": after })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn may_reply(role: Option<&str>) -> bool {
    role.and_then(|r| r.parse::<Role>().ok())
        .is_some_and(|r| r.can(Permission::ConversationsReply))
}

/// A member who may reply, as auto-assignment weighs them.
#[derive(Debug, Clone)]
struct Candidate {
    user_id: String,
    name: String,
    availability: Availability,
    connected: bool,
    capacity: Option<u32>,
    /// Open live conversations assigned to them.
    open: i64,
    last_assigned_at: Option<i64>,
}

impl Candidate {
    fn takes_more(&self) -> bool {
        self.availability == Availability::Online
            && self.connected
            && self.capacity.is_none_or(|c| self.open < i64::from(c))
    }
}

/// The workspace's members who may reply (only those who can take a conversation now,
/// with `eligible_only`), by name.
async fn candidates(
    conn: &mut AnyConnection,
    workspace_id: &str,
    now: i64,
    eligible_only: bool,
) -> Result<Vec<Candidate>> {
    let rows = sqlx::query(
        "SELECT ms.user_id, u.name, u.email, ms.role, p.availability, p.last_seen_at, p.capacity, \
           p.last_assigned_at, \
           (SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = ms.workspace_id \
              AND c.is_test = 0 AND c.assignee_id = ms.user_id AND c.status = 'open') \
         FROM memberships ms JOIN users u ON u.id = ms.user_id \
         LEFT JOIN member_presence p ON p.workspace_id = ms.workspace_id AND p.user_id = ms.user_id \
         WHERE ms.workspace_id = $1 ORDER BY u.name, u.email",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::new();
    for row in &rows {
        if !may_reply(row.try_get::<Option<String>, _>(3)?.as_deref()) {
            continue;
        }
        let name: String = row.try_get(1)?;
        let email: String = row.try_get(2)?;
        let candidate = Candidate {
            user_id: row.try_get(0)?,
            name: if name.trim().is_empty() { email } else { name },
            availability: row
                .try_get::<Option<String>, _>(4)?
                .and_then(|a| Availability::parse(&a).ok())
                .unwrap_or_default(),
            connected: row
                .try_get::<Option<i64>, _>(5)?
                .is_some_and(|seen| seen >= now - CONNECTED_WITHIN_MS),
            capacity: row
                .try_get::<Option<i64>, _>(6)?
                .and_then(|c| u32::try_from(c).ok()),
            last_assigned_at: row.try_get(7)?,
            open: row.try_get(8)?,
        };
        if !eligible_only || candidate.takes_more() {
            out.push(candidate);
        }
    }
    Ok(out)
}

/// Whom `mode` gives the next conversation to, passing over `passed_over`.
fn pick<'a>(mode: AutoAssign, agents: &'a [Candidate], passed_over: Option<&str>) -> Option<usize> {
    let eligible = agents
        .iter()
        .enumerate()
        .filter(|(_, a)| a.takes_more() && Some(a.user_id.as_str()) != passed_over);
    // Never given one sorts first (`None` < `Some`); ids break ties the same way each time.
    let turn = |a: &'a Candidate| (a.last_assigned_at, a.user_id.as_str());
    match mode {
        AutoAssign::Off => None,
        AutoAssign::RoundRobin => eligible.min_by_key(|(_, a)| turn(a)).map(|(i, _)| i),
        AutoAssign::LeastBusy => eligible
            .min_by_key(|(_, a)| (a.open, turn(a)))
            .map(|(i, _)| i),
    }
}

/// Takes the workspace's turn: writing its settings row locks it on PostgreSQL until the
/// transaction ends (SQLite has one writer anyway).
async fn lock_workspace(conn: &mut AnyConnection, workspace_id: &str) -> Result<()> {
    sqlx::query("UPDATE inbox_settings SET swept_at = $1 WHERE workspace_id = $2")
        .bind(now_ms())
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives the pool's open live conversations to eligible agents in every workspace with
/// auto-assignment on. Returns how many were assigned.
pub async fn assign_pool(m: &Messaging) -> Result<usize> {
    let workspaces: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.workspace_id, s.auto_assign FROM inbox_settings s \
         WHERE s.auto_assign <> 'off' AND EXISTS (SELECT 1 FROM conversations c \
           WHERE c.workspace_id = s.workspace_id AND c.is_test = 0 AND c.status = 'open' \
             AND c.assignee_id IS NULL)",
    )
    .fetch_all(m.db().reader())
    .await?;
    let mut assigned = 0;
    for (workspace_id, mode) in workspaces {
        let mode = AutoAssign::parse(&mode).unwrap_or_default();
        assigned += assign_workspace_pool(m, &workspace_id, mode).await?;
    }
    Ok(assigned)
}

async fn assign_workspace_pool(
    m: &Messaging,
    workspace_id: &str,
    mode: AutoAssign,
) -> Result<usize> {
    let now = now_ms();
    let mut tx = m.db().begin_write().await?;
    lock_workspace(&mut tx, workspace_id).await?;
    let mut agents = candidates(&mut tx, workspace_id, now, true).await?;
    if agents.is_empty() {
        return Ok(0);
    }
    let pool: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, passed_over_id FROM conversations \
         WHERE workspace_id = $1 AND is_test = 0 AND status = 'open' AND assignee_id IS NULL \
         ORDER BY COALESCE(waiting_since, last_message_at), id LIMIT $2",
    )
    .bind(workspace_id)
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    let mut pending = Pending::default();
    let mut assigned = 0;
    for (seq, (id, passed_over)) in pool.iter().enumerate() {
        let Some(i) = pick(mode, &agents, passed_over.as_deref()) else {
            continue;
        };
        // Later picks in this pass count as later turns.
        let at = now + seq as i64;
        let agent = &mut agents[i];
        sqlx::query(
            "UPDATE conversations SET assignee_id = $1, assigned_at = $2, passed_over_id = NULL, \
             updated_at = $2 WHERE id = $3",
        )
        .bind(&agent.user_id)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE member_presence SET last_assigned_at = $1 WHERE workspace_id = $2 AND user_id = $3",
        )
        .bind(at)
        .bind(workspace_id)
        .bind(&agent.user_id)
        .execute(&mut *tx)
        .await?;
        agent.open += 1;
        agent.last_assigned_at = Some(at);
        let note = format!(
            "Auto-assigned to {} ({})",
            agent.name,
            mode.label().to_lowercase()
        );
        let conversation = record_change(
            m,
            &mut tx,
            &mut pending,
            workspace_id,
            ChangeNote {
                conversation_id: id,
                author_id: None,
                note: &note,
                before: Before::Assignee(None),
            },
        )
        .await?;
        notify(
            &m.bus,
            &mut tx,
            &mut pending,
            Notice {
                workspace_id,
                user_id: &agent.user_id,
                kind: NotificationKind::Assigned,
                conversation_id: Some(id),
                body: &format!(
                    "The conversation with {} was assigned to you",
                    conversation.contact_name
                ),
            },
        )
        .await?;
        assigned += 1;
    }
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(assigned)
}

/// Puts back in the pool every open live conversation whose customer has waited longer
/// than its workspace's inactivity threshold since its agent got it. Returns how many.
pub async fn release_inactive(m: &Messaging) -> Result<usize> {
    let now = now_ms();
    let due: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT c.workspace_id, c.id, c.assignee_id, s.inactivity_minutes FROM conversations c \
         JOIN inbox_settings s ON s.workspace_id = c.workspace_id \
         WHERE s.inactivity_minutes IS NOT NULL AND c.status = 'open' AND c.is_test = 0 \
           AND c.assignee_id IS NOT NULL AND c.waiting_since IS NOT NULL \
           AND c.waiting_since <= $1 - s.inactivity_minutes * 60000 \
           AND (c.assigned_at IS NULL OR c.assigned_at <= $1 - s.inactivity_minutes * 60000) \
         ORDER BY c.workspace_id, c.waiting_since LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(m.db().reader())
    .await?;
    let mut released = 0;
    let mut rest = due.as_slice();
    while let Some((workspace_id, ..)) = rest.first() {
        let n = rest.iter().take_while(|d| d.0 == *workspace_id).count();
        let (batch, tail) = rest.split_at(n);
        released += release_in_workspace(m, workspace_id, batch).await?;
        rest = tail;
    }
    Ok(released)
}

async fn release_in_workspace(
    m: &Messaging,
    workspace_id: &str,
    due: &[(String, String, String, i64)],
) -> Result<usize> {
    let mut tx = m.db().begin_write().await?;
    lock_workspace(&mut tx, workspace_id).await?;
    let mut pending = Pending::default();
    let mut released = 0;
    for (_, id, agent, minutes) in due {
        // Only if nothing changed since it was read: the agent may have just replied.
        let done = sqlx::query(
            "UPDATE conversations SET assignee_id = NULL, assigned_at = NULL, passed_over_id = $1, \
             updated_at = $2 WHERE id = $3 AND assignee_id = $1 AND status = 'open' \
             AND waiting_since IS NOT NULL",
        )
        .bind(agent)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            continue;
        }
        let name = user_name(&mut tx, agent).await?;
        let note = format!(
            "Unassigned: {name} had not replied within {}",
            minutes_text(*minutes)
        );
        record_change(
            m,
            &mut tx,
            &mut pending,
            workspace_id,
            ChangeNote {
                conversation_id: id,
                author_id: None,
                note: &note,
                before: Before::Assignee(Some(agent)),
            },
        )
        .await?;
        released += 1;
    }
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(released)
}

fn minutes_text(minutes: i64) -> String {
    if minutes == 1 {
        "1 minute".to_owned()
    } else {
        format!("{minutes} minutes")
    }
}

/// Applies the inactivity rule, then auto-assigns, every `every` until `shutdown` flips.
pub async fn run(m: Messaging, every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        match release_inactive(&m).await {
            Ok(n) if n > 0 => tracing::info!(released = n, "inactive conversations unassigned"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "the inactivity rule failed"),
        }
        match assign_pool(&m).await {
            Ok(n) if n > 0 => tracing::info!(assigned = n, "conversations auto-assigned"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "auto-assignment failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, open: i64, last: Option<i64>, capacity: Option<u32>) -> Candidate {
        Candidate {
            user_id: id.to_owned(),
            name: id.to_owned(),
            availability: Availability::Online,
            connected: true,
            capacity,
            open,
            last_assigned_at: last,
        }
    }

    #[test]
    fn round_robin_takes_turns_and_least_busy_takes_the_lightest() {
        let agents = [
            agent("a", 0, Some(30), None),
            agent("b", 5, None, None),
            agent("c", 1, Some(10), None),
        ];
        assert_eq!(pick(AutoAssign::RoundRobin, &agents, None), Some(1));
        assert_eq!(pick(AutoAssign::LeastBusy, &agents, None), Some(0));
        assert_eq!(pick(AutoAssign::RoundRobin, &agents, Some("b")), Some(2));
        assert_eq!(pick(AutoAssign::Off, &agents, None), None);
    }

    #[test]
    fn nobody_full_away_or_disconnected_is_picked() {
        let mut away = agent("a", 0, None, None);
        away.availability = Availability::Away;
        let mut gone = agent("b", 0, None, None);
        gone.connected = false;
        let full = agent("c", 2, None, Some(2));
        let agents = [away, gone, full];
        assert_eq!(pick(AutoAssign::LeastBusy, &agents, None), None);
        assert_eq!(pick(AutoAssign::RoundRobin, &agents, None), None);
    }
}
