//! Search message text across the workspace's whole history, newest first, with filters
//! for channel, contact, direction and a date range, and the matching words marked.
//!
//! Each backend finds words its own way behind [`FullText`]: SQLite with the FTS5 index
//! `messages_fts` (newest first by its rowid, the order messages were stored), PostgreSQL
//! with `to_tsvector('simple', preview)` and its GIN index (newest first by time; words
//! that match few messages are taken from the index, see [`few_matches`]). Neither ranks
//! matches: a common word costs one page of results, not every message holding it.
//! Members see only results from conversations they may see.

use crate::access::sees_all;
use crate::conditions::Conditions;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Backend, Result};
use msgbuddy_domain::message::{Direction, MATCH_END, MATCH_START, SearchHit};
use msgbuddy_domain::{AppError, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::messages::{VIEW, view};
use sqlx::Row;
use std::collections::HashMap;

/// Words searched for at most.
const MAX_WORDS: usize = 12;

#[derive(Debug, Clone, Default)]
pub struct Search {
    pub text: String,
    pub channel_id: Option<String>,
    pub contact_id: Option<String>,
    pub direction: Option<Direction>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub is_test: bool,
    /// The last message id of the previous page.
    pub after: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub hits: Vec<SearchHit>,
    pub next: Option<String>,
}

/// How a backend matches words: the `FROM` and the match condition, the snippet, the
/// order, and the page cursor. `$1` is the words as [`FullText::terms`] gives them.
trait FullText: Sync {
    /// The words as the backend's match parameter.
    fn terms(&self, words: &[String]) -> String;
    fn from(&self) -> &'static str;
    /// How the conversation and contact are joined on.
    fn join(&self) -> &'static str;
    fn matches(&self) -> &'static str;
    /// The matched text around the words, marked.
    fn snippet(&self) -> String;
    fn order(&self) -> &'static str;
    /// Rows after the message `$n` in [`FullText::order`].
    fn after(&self, param: &str) -> String;
}

struct Fts5;

impl FullText for Fts5 {
    fn terms(&self, words: &[String]) -> String {
        // Each word a quoted phrase: nothing a customer types is read as FTS5 syntax.
        words
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ")
    }
    // `CROSS JOIN` is SQLite's way to fix the join order: the index first, in rowid
    // order, each match then finding its message, conversation and contact, so the first
    // page of a common word stops after a page of matches. Left to itself, the planner
    // may start from the workspace's messages and look each one up in the index: every
    // message of the workspace for every search.
    fn from(&self) -> &'static str {
        "messages_fts f CROSS JOIN messages m ON m.rowid = f.rowid"
    }
    fn join(&self) -> &'static str {
        "CROSS JOIN"
    }
    fn matches(&self) -> &'static str {
        "messages_fts MATCH $1"
    }
    fn snippet(&self) -> String {
        format!(
            "snippet(messages_fts, 0, char({}), char({}), '…', 24)",
            u32::from(MATCH_START),
            u32::from(MATCH_END)
        )
    }
    fn order(&self) -> &'static str {
        "f.rowid DESC"
    }
    fn after(&self, param: &str) -> String {
        format!("f.rowid < (SELECT rowid FROM messages WHERE id = {param})")
    }
}

struct PgText;

impl FullText for PgText {
    fn terms(&self, words: &[String]) -> String {
        words.join(" ")
    }
    fn from(&self) -> &'static str {
        "messages m"
    }
    fn join(&self) -> &'static str {
        "JOIN"
    }
    fn matches(&self) -> &'static str {
        "to_tsvector('simple', m.preview) @@ plainto_tsquery('simple', $1)"
    }
    fn snippet(&self) -> String {
        format!(
            "ts_headline('simple', m.preview, plainto_tsquery('simple', $1), 'StartSel={}, StopSel={}, MaxWords=30, MinWords=12')",
            MATCH_START, MATCH_END
        )
    }
    fn order(&self) -> &'static str {
        "m.created_at DESC, m.id DESC"
    }
    fn after(&self, param: &str) -> String {
        format!("(m.created_at, m.id) < (SELECT created_at, id FROM messages WHERE id = {param})")
    }
}

fn engine(backend: Backend) -> &'static dyn FullText {
    match backend {
        Backend::Sqlite => &Fts5,
        Backend::Postgres => &PgText,
    }
}

/// Matches counted at most by [`few_matches`].
const FEW: i64 = 1_000;

/// Whether the words match fewer than [`FEW`] messages (PostgreSQL). Newest first, a
/// common word is best found walking the messages by time until a page has matched; a
/// rare one (or words each common and never together) that way reads every message, and
/// is best found through the GIN index, whose matches are few to sort. PostgreSQL's
/// estimates cannot tell these apart, so the index answers first, alone (table scans
/// and plain index scans off, so no other index joins in): it counts the matches in the
/// whole table, stopping at [`FEW`]. A word common elsewhere but rare in this workspace
/// takes the walk.
async fn few_matches(
    conn: &mut sqlx::AnyConnection,
    fts: &dyn FullText,
    terms: &str,
) -> Result<bool> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    for setting in ["enable_seqscan", "enable_indexscan", "enable_indexonlyscan"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL {setting} = off")))
            .execute(&mut *tx)
            .await?;
    }
    let count: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE {} LIMIT {FEW}) x",
        fts.matches()
    )))
    .bind(terms.to_owned())
    .persistent(false)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    tx.commit().await?;
    Ok(count < FEW)
}

/// The words of a search: letters and digits runs of what was typed, at most a dozen.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(MAX_WORDS)
        .collect()
}

/// One page of messages matching `q`, newest first.
pub async fn search(m: &Messaging, member: &Member, q: &Search) -> Result<Results> {
    member.require(Permission::ConversationsView)?;
    let words = words(&q.text);
    if words.is_empty() {
        return Err(AppError::invalid_field("q", "Type a word to search for.").into());
    }
    // What was stored a moment ago is found too.
    crate::search_index::catch_up(m.db()).await?;
    let fts = engine(m.db().backend());
    let mut w = Conditions::default();
    let terms = fts.terms(&words);
    // `$1`, the words, first: the backends' snippets refer to it too.
    w.text(&terms);
    w.and(fts.matches().to_owned());
    let ws = w.text(&member.workspace_id);
    let test = w.int(i64::from(q.is_test));
    w.and(format!("m.workspace_id = {ws} AND m.is_test = {test}"));
    if !sees_all(member) {
        let me = w.text(&member.user_id);
        w.and(format!("(c.assignee_id IS NULL OR c.assignee_id = {me})"));
    }
    if let Some(channel) = q.channel_id.as_deref().filter(|c| !c.is_empty()) {
        let p = w.text(channel);
        w.and(format!("m.channel_account_id = {p}"));
    }
    if let Some(contact) = q.contact_id.as_deref().filter(|c| !c.is_empty()) {
        let p = w.text(contact);
        w.and(format!("m.contact_id = {p}"));
    }
    if let Some(direction) = q.direction {
        let p = w.text(direction.as_str());
        w.and(format!("m.direction = {p}"));
    }
    if let Some(since) = q.since_ms {
        let p = w.int(since);
        w.and(format!("m.created_at >= {p}"));
    }
    if let Some(until) = q.until_ms {
        let p = w.int(until);
        w.and(format!("m.created_at < {p}"));
    }
    if let Some(after) = q.after.as_deref().filter(|a| !a.is_empty()) {
        let p = w.text(after);
        w.and(fts.after(&p));
    }
    let mut conn = m.db().reader().acquire().await?;
    let conditions = w.sql.join(" AND ");
    let few = m.db().backend() == Backend::Postgres && few_matches(&mut conn, fts, &terms).await?;
    let limit = q.limit.clamp(1, 100);
    let take = w.int(limit + 1);
    let sql = if few {
        // The matches from the GIN index first, however old, then the newest of them.
        format!(
            "WITH hits AS MATERIALIZED (SELECT m.id FROM messages m WHERE {matches}) \
             SELECT m.id, {snippet}, ct.name FROM hits h JOIN messages m ON m.id = h.id \
             JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = m.contact_id \
             WHERE {conditions} ORDER BY {order} LIMIT {take}",
            matches = fts.matches(),
            snippet = fts.snippet(),
            order = fts.order(),
        )
    } else {
        format!(
            "SELECT m.id, {snippet}, ct.name FROM {from} \
             {join} conversations c ON c.id = m.conversation_id {join} contacts ct ON ct.id = m.contact_id \
             WHERE {conditions} ORDER BY {order} LIMIT {take}",
            snippet = fts.snippet(),
            from = fts.from(),
            join = fts.join(),
            order = fts.order(),
        )
    };
    // Planned for these words each time (not once for any): how common they are is what
    // decides the plan.
    let rows = w.bind(sql).persistent(false).fetch_all(&mut *conn).await?;
    let more = rows.len() as i64 > limit;
    let mut found: Vec<(String, String, String)> = Vec::with_capacity(rows.len());
    for row in rows.iter().take(usize::try_from(limit).unwrap_or(25)) {
        found.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
    }
    // The messages themselves, in one query.
    let mut messages = HashMap::new();
    if !found.is_empty() {
        let placeholders = (1..=found.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut load = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{VIEW} WHERE m.id IN ({placeholders})"
        )));
        for (id, _, _) in &found {
            load = load.bind(id.clone());
        }
        for row in load.fetch_all(&mut *conn).await? {
            let message = view(&row)?;
            messages.insert(message.id.clone(), message);
        }
    }
    let next = more
        .then(|| found.last().map(|(id, _, _)| id.clone()))
        .flatten();
    let hits = found
        .into_iter()
        .filter_map(|(id, snippet, contact_name)| {
            messages.remove(&id).map(|message| SearchHit {
                message,
                contact_name,
                snippet,
            })
        })
        .collect();
    Ok(Results { hits, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_letters_and_digits_and_never_fts_syntax() {
        assert_eq!(
            words("Order #1042, délivré?"),
            vec!["order", "1042", "délivré"]
        );
        assert_eq!(words("\" OR 1=1 -- NEAR("), vec!["or", "1", "1", "near"]);
        assert!(words("?!  …").is_empty());
        assert_eq!(
            Fts5.terms(&words("parcel NOT damaged")),
            "\"parcel\" \"not\" \"damaged\""
        );
        assert_eq!(words(&"a ".repeat(50)).len(), MAX_WORDS);
    }
}
