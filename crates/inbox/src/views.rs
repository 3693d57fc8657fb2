//! The conversation list: a view (Mine, Unassigned, All, Mentions, Snoozed, Resolved), filters
//! (channel, status, assignee, unread, a date range of the latest activity), and a sort
//! (latest activity, or the customers waiting longest for an answer). Pages are keyset
//! pages (`key:id` cursors, never OFFSET), so a conversation that moves or arrives while
//! someone pages neither repeats nor pushes another off a page.

use crate::access::sees_all;
use crate::conditions::Conditions;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::ConversationSummary;
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::conversations::{SUMMARY, summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Assigned to me, open or pending.
    Mine,
    /// Nobody's yet, open or pending.
    Unassigned,
    /// Every open or pending one the member may see.
    #[default]
    All,
    /// Any I was @mentioned in, whatever its status.
    Mentions,
    Snoozed,
    Resolved,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Mine,
        View::Unassigned,
        View::All,
        View::Mentions,
        View::Snoozed,
        View::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::All => "all",
            View::Mentions => "mentions",
            View::Snoozed => "snoozed",
            View::Resolved => "resolved",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == raw)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "view",
                    "Choose one of mine, unassigned, all, mentions, snoozed, resolved.",
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Latest activity first.
    #[default]
    Latest,
    /// Customers waiting for an answer, longest first (answered ones are left out).
    WaitingLongest,
}

impl Sort {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "latest" => Ok(Sort::Latest),
            "waiting" => Ok(Sort::WaitingLongest),
            _ => Err(AppError::invalid_field(
                "sort",
                "Sort by latest or waiting.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Latest => "latest",
            Sort::WaitingLongest => "waiting",
        }
    }
}

const STATUSES: [&str; 4] = ["open", "pending", "snoozed", "resolved"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub channel_id: Option<String>,
    /// One status, in views that show more than one.
    pub status: Option<String>,
    pub assignee_id: Option<String>,
    /// A label, or a parent label with its children.
    pub label_id: Option<String>,
    pub unread_only: bool,
    /// Latest activity at or after this time.
    pub since_ms: Option<i64>,
    /// Latest activity before this time.
    pub until_ms: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    pub view: View,
    pub filter: Filter,
    pub sort: Sort,
    pub is_test: bool,
    /// The `next` of the previous page.
    pub after: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub conversations: Vec<ConversationSummary>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
}

fn parse_cursor(raw: &str) -> Result<(i64, String), AppError> {
    raw.split_once(':')
        .and_then(|(key, id)| Some((key.parse::<i64>().ok()?, id.to_owned())))
        .filter(|(_, id)| !id.is_empty())
        .ok_or_else(|| {
            AppError::invalid_field(
                "after",
                "This page link is not valid; start again from the first page.",
            )
        })
}

/// One page of conversations for `member`.
pub async fn list(m: &Messaging, member: &Member, q: &Query) -> Result<Page> {
    member.require(Permission::ConversationsView)?;
    let mut w = Conditions::default();
    let ws = w.text(&member.workspace_id);
    let test = w.int(i64::from(q.is_test));
    w.and(format!("c.workspace_id = {ws} AND c.is_test = {test}"));
    if !sees_all(member) {
        let me = w.text(&member.user_id);
        w.and(format!("(c.assignee_id IS NULL OR c.assignee_id = {me})"));
    }
    let status = q.filter.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(AppError::invalid_field(
            "status",
            "Choose open, pending, snoozed or resolved.",
        )
        .into());
    }
    let active = |w: &mut Conditions| match status {
        Some(s) => {
            let p = w.text(s);
            w.and(format!("c.status = {p}"));
        }
        None => w.and("c.status IN ('open', 'pending')".to_owned()),
    };
    match q.view {
        View::Mine => {
            let me = w.text(&member.user_id);
            w.and(format!("c.assignee_id = {me}"));
            active(&mut w);
        }
        View::Unassigned => {
            w.and("c.assignee_id IS NULL".to_owned());
            active(&mut w);
        }
        View::All => active(&mut w),
        View::Mentions => {
            let (ws, me) = (w.text(&member.workspace_id), w.text(&member.user_id));
            w.and(format!(
                "c.id IN (SELECT conversation_id FROM mentions WHERE workspace_id = {ws} AND user_id = {me})"
            ));
            if let Some(s) = status {
                let p = w.text(s);
                w.and(format!("c.status = {p}"));
            }
        }
        View::Snoozed => w.and("c.status = 'snoozed'".to_owned()),
        View::Resolved => w.and("c.status = 'resolved'".to_owned()),
    }
    if let Some(channel) = q.filter.channel_id.as_deref().filter(|c| !c.is_empty()) {
        let p = w.text(channel);
        w.and(format!("c.channel_account_id = {p}"));
    }
    if let Some(assignee) = q.filter.assignee_id.as_deref().filter(|a| !a.is_empty()) {
        let p = w.text(assignee);
        w.and(format!("c.assignee_id = {p}"));
    }
    if let Some(label) = q.filter.label_id.as_deref().filter(|l| !l.is_empty()) {
        let (a, b) = (w.text(label), w.text(label));
        w.and(format!(
            "EXISTS (SELECT 1 FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id \
             WHERE cl.conversation_id = c.id AND (l.id = {a} OR l.parent_id = {b}))"
        ));
    }
    if q.filter.unread_only {
        w.and("c.unread_count > 0".to_owned());
    }
    if let Some(since) = q.filter.since_ms {
        let p = w.int(since);
        w.and(format!("c.last_message_at >= {p}"));
    }
    if let Some(until) = q.filter.until_ms {
        let p = w.int(until);
        w.and(format!("c.last_message_at < {p}"));
    }
    let cursor = q.after.as_deref().map(parse_cursor).transpose()?;
    let order = match q.sort {
        Sort::Latest => {
            if let Some((at, id)) = &cursor {
                let (a, a2, i) = (w.int(*at), w.int(*at), w.text(id));
                w.and(format!(
                    "(c.last_message_at < {a} OR (c.last_message_at = {a2} AND c.id < {i}))"
                ));
            }
            "c.last_message_at DESC, c.id DESC"
        }
        Sort::WaitingLongest => {
            w.and("c.waiting_since IS NOT NULL".to_owned());
            if let Some((at, id)) = &cursor {
                let (a, a2, i) = (w.int(*at), w.int(*at), w.text(id));
                w.and(format!(
                    "(c.waiting_since > {a} OR (c.waiting_since = {a2} AND c.id > {i}))"
                ));
            }
            "c.waiting_since ASC, c.id ASC"
        }
    };
    let limit = q.limit.clamp(1, 200);
    // One more than the page: whether there is a next page, without counting.
    let take = w.int(limit + 1);
    let sql = format!(
        "{SUMMARY} WHERE {} ORDER BY {order} LIMIT {take}",
        w.sql.join(" AND ")
    );
    let query = w.bind(sql);
    let mut conn = m.db().reader().acquire().await?;
    let rows = query.fetch_all(&mut *conn).await?;
    let mut conversations = rows
        .iter()
        .map(summary)
        .collect::<Result<Vec<_>, Error>>()?;
    let more = conversations.len() as i64 > limit;
    conversations.truncate(usize::try_from(limit).unwrap_or(50));
    crate::labels::attach(&mut conn, &mut conversations).await?;
    let next = more.then(|| conversations.last()).flatten().map(|c| {
        let key = match q.sort {
            Sort::Latest => c.last_message_at_ms,
            Sort::WaitingLongest => c.waiting_since_ms.unwrap_or_default(),
        };
        format!("{key}:{}", c.id)
    });
    Ok(Page {
        conversations,
        next,
    })
}
