//! A conversation's timeline besides its messages: one system note for every change
//! (assigned to X by Y, resolved by Z, woke up from a snooze), written in the change's
//! transaction, and raised with the conversation as it now is; and members' private
//! notes ([`crate::notes`]).

use crate::access;
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::events::Pending;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::event::MovedFrom;
use msgbuddy_domain::message::{ConversationSummary, TimelineEntry};
use msgbuddy_domain::{DomainEvent, Permission};
use msgbuddy_messaging::Messaging;
use msgbuddy_messaging::conversations::summary_in;
use sqlx::{AnyConnection, Row};

/// A change to a conversation, as its timeline and its event tell it.
pub(crate) struct ChangeNote<'a> {
    pub conversation_id: &'a str,
    /// Who made it; `None` for msgbuddy itself (a job, a member leaving).
    pub author_id: Option<&'a str>,
    /// The system note's words.
    pub note: &'a str,
    /// The assignee before, for a change that may have reassigned it.
    pub before: Before<'a>,
}

/// What a change did to the assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Before<'a> {
    /// Left it as it was.
    Same,
    /// May have moved it from this assignee (`None`: the pool).
    Assignee(Option<&'a str>),
}

/// Writes a change's system note, and the `conversation.updated` event that carries it
/// with the conversation as the change left it. Returns that conversation.
pub(crate) async fn record_change(
    m: &Messaging,
    conn: &mut AnyConnection,
    pending: &mut Pending,
    workspace_id: &str,
    change: ChangeNote<'_>,
) -> Result<ConversationSummary> {
    let note = write(
        conn,
        workspace_id,
        change.conversation_id,
        Entry {
            kind: "system",
            author: change.author_id.map(|id| (id, None)),
            body: change.note,
        },
    )
    .await?;
    let mut conversation = summary_in(conn, change.conversation_id).await?;
    let moved_from = match change.before {
        Before::Assignee(before) if before != conversation.assignee_id.as_deref() => {
            Some(before.map_or(MovedFrom::Pool, |user_id| MovedFrom::Member {
                user_id: user_id.to_owned(),
            }))
        }
        _ => None,
    };
    raise(
        m,
        conn,
        pending,
        workspace_id,
        &mut conversation,
        note,
        moved_from,
    )
    .await?;
    Ok(conversation)
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

/// Raises `conversation.updated` with `conversation` (as it now is, read in this
/// transaction; its labels are added here) and the timeline's new entry.
pub(crate) async fn raise(
    m: &Messaging,
    conn: &mut AnyConnection,
    pending: &mut Pending,
    workspace_id: &str,
    conversation: &mut ConversationSummary,
    note: TimelineEntry,
    moved_from: Option<MovedFrom>,
) -> Result<()> {
    crate::labels::attach(conn, std::slice::from_mut(conversation)).await?;
    m.bus
        .record(
            conn,
            pending,
            workspace_id,
            &DomainEvent::ConversationUpdated {
                conversation: Box::new(conversation.clone()),
                note: Box::new(note),
                moved_from,
            },
        )
        .await?;
    Ok(())
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
        ChangeNote {
            conversation_id,
            author_id: Some(&member.user_id),
            note,
            before: Before::Same,
        },
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
