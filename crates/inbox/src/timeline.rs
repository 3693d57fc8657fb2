//! A conversation's timeline besides its messages: one system note for every change
//! (assigned to X by Y, resolved by Z, woke up from a snooze), written in the change's
//! transaction, and raised with the conversation as it now is; and members' private
//! notes ([`crate::notes`]).

use crate::access;
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::message::{ConversationSummary, TimelineEntry};
use msgbuddy_domain::{DomainEvent, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::conversations::summary_in;
use sqlx::{AnyConnection, Row};

/// Writes a system note, and the `conversation.updated` event that carries it with the
/// conversation as the change left it. Returns that conversation.
pub(crate) async fn record_change(
    m: &Messaging,
    conn: &mut AnyConnection,
    pending: &mut Pending,
    workspace_id: &str,
    conversation_id: &str,
    author_id: Option<&str>,
    body: &str,
) -> Result<ConversationSummary> {
    let note = write(
        conn,
        workspace_id,
        conversation_id,
        Entry {
            kind: "system",
            author: author_id.map(|id| (id, None)),
            body,
        },
    )
    .await?;
    raise(m, conn, pending, workspace_id, conversation_id, note).await
}

/// A timeline entry to write: its kind, its author (id, and the name it shows with), its
/// words.
pub(crate) struct Entry<'a> {
    pub kind: &'a str,
    pub author: Option<(&'a str, Option<String>)>,
    pub body: &'a str,
}

/// Stores an entry of a conversation's timeline.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    entry: Entry<'_>,
) -> Result<TimelineEntry> {
    let (author_id, author_name) = entry.author.unzip();
    let note = TimelineEntry {
        id: new_id("note"),
        conversation_id: conversation_id.to_owned(),
        kind: entry.kind.to_owned(),
        body: entry.body.to_owned(),
        created_at_ms: now_ms(),
        author_name: author_name.flatten(),
    };
    sqlx::query(
        "INSERT INTO conversation_notes (id, workspace_id, conversation_id, kind, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&note.id)
    .bind(workspace_id)
    .bind(conversation_id)
    .bind(&note.kind)
    .bind(author_id)
    .bind(&note.body)
    .bind(note.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(note)
}

/// Raises `conversation.updated` with the conversation as it now is and the timeline's
/// new entry. Returns that conversation.
pub(crate) async fn raise(
    m: &Messaging,
    conn: &mut AnyConnection,
    pending: &mut Pending,
    workspace_id: &str,
    conversation_id: &str,
    note: TimelineEntry,
) -> Result<ConversationSummary> {
    let mut one = [summary_in(conn, conversation_id).await?];
    crate::labels::attach(conn, &mut one).await?;
    let [conversation] = one;
    m.bus
        .record(
            conn,
            pending,
            workspace_id,
            &DomainEvent::ConversationUpdated {
                conversation: Box::new(conversation.clone()),
                note: Box::new(note),
            },
        )
        .await?;
    Ok(conversation)
}

/// Ends a member's change of one conversation: its note and event, then the commit.
pub(crate) async fn commit_change(
    m: &Messaging,
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    member: &Member,
    conversation_id: &str,
    note: &str,
) -> Result<ConversationSummary> {
    let mut pending = Pending::default();
    let conversation = record_change(
        m,
        &mut tx,
        &mut pending,
        &member.workspace_id,
        conversation_id,
        Some(&member.user_id),
        note,
    )
    .await?;
    tx.commit().await?;
    m.bus.committed(pending);
    Ok(conversation)
}

/// The newest notes of a conversation the member may see, oldest first.
pub async fn list(
    m: &Messaging,
    member: &Member,
    conversation_id: &str,
) -> Result<Vec<TimelineEntry>> {
    member.require(Permission::ConversationsView)?;
    let mut conn = m.db().reader().acquire().await?;
    access::current(&mut conn, member, conversation_id).await?;
    // Private notes show who wrote them; system notes name whoever they are about.
    let rows = sqlx::query(
        "SELECT n.id, n.kind, n.body, n.created_at, CASE WHEN n.kind = 'note' THEN u.name END \
         FROM conversation_notes n LEFT JOIN users u ON u.id = n.author_id \
         WHERE n.conversation_id = $1 AND n.workspace_id = $2 ORDER BY n.created_at DESC, n.id DESC LIMIT 200",
    )
    .bind(conversation_id)
    .bind(&member.workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut notes = rows
        .iter()
        .map(|r| {
            Ok(TimelineEntry {
                id: r.try_get(0)?,
                conversation_id: conversation_id.to_owned(),
                kind: r.try_get(1)?,
                body: r.try_get(2)?,
                created_at_ms: r.try_get(3)?,
                author_name: r.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    notes.reverse();
    Ok(notes)
}
