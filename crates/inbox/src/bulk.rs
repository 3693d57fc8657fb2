//! One change to many conversations: the ones a member ticked, or every conversation a
//! list's view and filters match (all pages, not just the one on screen). Each
//! conversation changes as it would alone (its own transaction, timeline note and live
//! event); the input is checked once before anything changes, and a conversation that
//! cannot take the change (gone, out of reach, a newer one open) is reported, not fatal.

use crate::assignment::{self, Assign};
use crate::status::{self, Change};
use crate::views::{self, Query};
use msgbuddy_core::db::now_ms;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;

/// The most conversations one bulk change touches.
pub const MAX_CONVERSATIONS: usize = 5_000;

/// What to do to each conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    Assign(Assign<'a>),
    /// Put on (`on`) or take off a label.
    Label {
        label_id: &'a str,
        on: bool,
    },
    Status(Change),
}

/// Which conversations.
#[derive(Debug, Clone)]
pub enum Target {
    /// These, by id.
    Chosen(Vec<String>),
    /// Every one the query matches, for the member acting.
    Matching(Query),
}

/// How a bulk change went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Conversations that now are as asked (changed, or already so).
    pub done: usize,
    /// Conversations that could not take the change, each with the reason.
    pub failed: Vec<(String, String)>,
}

/// Applies `action` to `target` as `member`.
pub async fn apply(
    m: &Messaging,
    member: &Member,
    target: Target,
    action: Action<'_>,
) -> Result<Outcome> {
    check(m, member, action).await?;
    let ids = match target {
        Target::Chosen(mut ids) => {
            ids.sort();
            ids.dedup();
            ids.retain(|id| !id.trim().is_empty());
            ids
        }
        Target::Matching(query) => matching(m, member, query).await?,
    };
    if ids.is_empty() {
        return Err(AppError::invalid_field(
            "selected",
            "Tick at least one conversation, or choose every conversation that matches.",
        )
        .into());
    }
    if ids.len() > MAX_CONVERSATIONS {
        return Err(AppError::invalid_field(
            "selected",
            format!(
                "One change can reach at most {MAX_CONVERSATIONS} conversations; narrow the filters first."
            ),
        )
        .into());
    }
    let mut outcome = Outcome::default();
    for id in ids {
        let result = match action {
            Action::Assign(how) => assignment::assign(m, member, &id, how).await.map(drop),
            Action::Label { label_id, on } => crate::labels::set(m, member, &id, label_id, on)
                .await
                .map(drop),
            Action::Status(change) => status::set(m, member, &id, change).await.map(drop),
        };
        match result {
            Ok(()) => outcome.done += 1,
            // What one conversation refuses is reported with it; a fault stops the rest.
            Err(Error::App(e)) => outcome.failed.push((id, e.message)),
            Err(e) => return Err(e),
        }
    }
    Ok(outcome)
}

/// Refuses, before anything changes, an action the member may not take or whose input
/// is wrong for every conversation alike.
async fn check(m: &Messaging, member: &Member, action: Action<'_>) -> Result<()> {
    member.require(Permission::ConversationsReply)?;
    match action {
        Action::Assign(Assign::To(user_id)) => {
            member.require(Permission::ConversationsAssign)?;
            let known = assignment::assignees(m, member)
                .await?
                .iter()
                .any(|a| a.user_id == user_id);
            if !known {
                return Err(AppError::invalid_field(
                    "assignee_id",
                    "Assign the conversations to a member of this workspace who may reply.",
                )
                .into());
            }
        }
        // Unassigning others' conversations is for those who assign; an agent may
        // only give back their own, which each conversation checks.
        Action::Assign(_) => {}
        Action::Label { label_id, .. } => {
            let known = crate::labels::list(m, member)
                .await?
                .iter()
                .any(|l| l.id == label_id);
            if !known {
                return Err(AppError::invalid_field("label_id", "There is no such label.").into());
            }
        }
        Action::Status(change) => {
            change.snoozed_until(now_ms())?;
        }
    }
    Ok(())
}

/// Every conversation `query` matches for `member`, page by page, ids only; stops
/// counting just past the limit.
async fn matching(m: &Messaging, member: &Member, mut query: Query) -> Result<Vec<String>> {
    query.after = None;
    query.limit = 200;
    let mut ids = Vec::new();
    loop {
        let page = views::list(m, member, &query).await?;
        ids.extend(page.conversations.into_iter().map(|c| c.id));
        match page.next {
            Some(next) if ids.len() <= MAX_CONVERSATIONS => query.after = Some(next),
            _ => return Ok(ids),
        }
    }
}
