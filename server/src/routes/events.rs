//! `GET /events?workspace=<id>`: the workspace's domain events over SSE.
//!
//! Each event's SSE `id` is its per-workspace sequence number. A client that reconnects
//! with `Last-Event-ID: n` first receives every event after `n` from the database, then
//! live ones, so a dropped connection leaves no gap. Events are filtered by the member's
//! role, which is followed live: a `member.role_changed` for this member changes what the
//! rest of the stream shows, and `member.removed` ends it. An event for one member (a
//! notification) reaches only them, and members who see only the pool and their own
//! conversations (agents, viewers) hear only of those: whether they may is read when the
//! event is streamed, so a conversation assigned away stops reaching them.
//!
//! An open stream is how msgbuddy knows a member has a page open: it checks in for them
//! as it opens and every [`presence::HEARTBEAT`] after, and auto-assignment gives
//! conversations only to members who are connected.
//!
//! Presence signals (another member viewing or typing in a conversation this member may
//! see) go out as `conversation.presence` events without an `id`: they are not stored,
//! so they neither move nor need the resume point.

use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use msgbuddy_core::events::EventBus;
use msgbuddy_core::{auth, members, workspaces};
use msgbuddy_domain::event::{MovedFrom, PresenceSignal};
use msgbuddy_domain::{AppError, DomainEvent, EventEnvelope, Permission, Role};
use msgbuddy_inbox::presence;
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tower_sessions::Session;

/// How many stored events one database read returns while catching up.
const BATCH: i64 = 200;
/// A subscriber re-checks the database this often even without a wake-up, so an event
/// whose wake-up was lost (listener reconnecting) still arrives.
const RECHECK: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    workspace: String,
    /// For clients that cannot set `Last-Event-ID` (the header wins when both are given).
    last_event_id: Option<i64>,
}

pub async fn stream(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let db = state.db();
    let user = auth::current_user(db, &session, state.services.absolute_session_ms)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    let member =
        workspaces::access(db, &user.id, &query.workspace, Permission::WorkspaceView).await?;
    let header_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    // Never further back than the member's own arrival.
    let joined = members::joined_seq(db, &member).await?;
    let cursor = match header_id.or(query.last_event_id) {
        Some(seen) => seen.max(joined),
        None => state.bus().latest_seq(&member.workspace_id).await?,
    };
    presence::seen(db, &member.workspace_id, &user.id).await?;
    let feed = Feed {
        bus: state.bus().clone(),
        workspace_id: member.workspace_id,
        user_id: user.id,
        role: member.role,
        cursor,
        ready: VecDeque::new(),
        wakeups: state.bus().subscribe(),
        signals: state.bus().subscribe_signals(),
        shutdown: state.shutdown.clone(),
        done: false,
        checked_in: tokio::time::Instant::now(),
    };
    let events = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))))
}

/// Conversation id to its assignee (`None`: unassigned).
type Assignees = std::collections::HashMap<String, Option<String>>;

struct Feed {
    bus: EventBus,
    workspace_id: String,
    user_id: String,
    role: Role,
    cursor: i64,
    ready: VecDeque<Event>,
    wakeups: broadcast::Receiver<msgbuddy_core::events::Wakeup>,
    signals: broadcast::Receiver<PresenceSignal>,
    shutdown: watch::Receiver<bool>,
    done: bool,
    /// When this stream last told [`presence`] its member is here.
    checked_in: tokio::time::Instant,
}

impl Feed {
    /// The next SSE event to send, or `None` when the stream should end.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            if self.done || *self.shutdown.borrow() {
                return None;
            }
            match self
                .bus
                .events_after(&self.workspace_id, self.cursor, BATCH)
                .await
            {
                Ok(batch) if !batch.is_empty() => {
                    let assignees = match self.assignees(&batch).await {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::error!(error = %e, "event stream could not read assignees");
                            return None;
                        }
                    };
                    for envelope in batch {
                        self.take(envelope, &assignees);
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "event stream could not read events");
                    return None;
                }
            }
            self.check_in().await;
            self.wait().await;
        }
    }

    /// Tells [`presence`] the member is still here, once per heartbeat. A failure costs
    /// only the member's turn at auto-assignment, so the stream goes on.
    async fn check_in(&mut self) {
        if self.checked_in.elapsed() < presence::HEARTBEAT {
            return;
        }
        self.checked_in = tokio::time::Instant::now();
        if let Err(e) = presence::seen(self.bus.db(), &self.workspace_id, &self.user_id).await {
            tracing::warn!(error = %e, "could not record a member's presence");
        }
    }

    /// For a member who sees only some conversations (the pool and their own), the
    /// current assignee of each conversation `batch` is about; empty for the others.
    async fn assignees(&self, batch: &[EventEnvelope]) -> msgbuddy_core::Result<Assignees> {
        if self.role.can(Permission::ConversationsViewAll) {
            return Ok(Assignees::new());
        }
        let mut ids: Vec<&str> = batch
            .iter()
            .filter_map(|e| e.event.conversation_id())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        msgbuddy_inbox::access::assignees(self.bus.db(), &self.workspace_id, &ids).await
    }

    /// Whether this member may hear of `event`'s conversation: any, with
    /// `ConversationsViewAll`; else one in the pool or theirs, or one a change just moved
    /// out of their sight (from the pool, or from them), so their lists can let it go.
    fn may_see_conversation(&self, event: &DomainEvent, assignees: &Assignees) -> bool {
        let Some(id) = event.conversation_id() else {
            return true;
        };
        if self.role.can(Permission::ConversationsViewAll) {
            return true;
        }
        let mine = |a: Option<&str>| a.is_none_or(|a| a == self.user_id);
        match event {
            // The event carries the assignee the change left, and whom it took it from.
            DomainEvent::ConversationUpdated {
                conversation,
                moved_from,
                ..
            } => {
                mine(conversation.assignee_id.as_deref())
                    || match moved_from {
                        Some(MovedFrom::Pool) => true,
                        Some(MovedFrom::Member { user_id }) => *user_id == self.user_id,
                        None => false,
                    }
            }
            _ => assignees.get(id).is_some_and(|a| mine(a.as_deref())),
        }
    }

    /// Advances past one stored event, queueing it if this member may see it.
    fn take(&mut self, envelope: EventEnvelope, assignees: &Assignees) {
        self.cursor = envelope.seq;
        match &envelope.event {
            DomainEvent::RoleChanged { user_id, to, .. } if *user_id == self.user_id => {
                self.role = *to
            }
            DomainEvent::MemberRemoved { user_id } if *user_id == self.user_id => self.done = true,
            DomainEvent::WorkspaceSuspended { suspended: true } => self.done = true,
            _ => {}
        }
        // Another member's notification is theirs alone; another agent's conversation is
        // not there for this one.
        if envelope
            .event
            .recipient()
            .is_some_and(|to| to != self.user_id)
            || !self.may_see_conversation(&envelope.event, assignees)
        {
            return;
        }
        // A member always hears about their own removal, whatever their role.
        if envelope.event.visible_to(self.role) || self.done {
            match serde_json::to_string(&envelope.event) {
                Ok(data) => self.ready.push_back(
                    Event::default()
                        .id(envelope.seq.to_string())
                        .event(envelope.event.name())
                        .data(data),
                ),
                Err(e) => tracing::error!(error = %e, "event could not be serialized"),
            }
        }
    }

    /// The SSE event for another member's presence in a conversation this member may see.
    async fn presence_event(&self, signal: PresenceSignal) -> Option<Event> {
        if signal.workspace_id != self.workspace_id
            || signal.user_id == self.user_id
            || !self.role.can(Permission::ConversationsView)
        {
            return None;
        }
        if !self.role.can(Permission::ConversationsViewAll) {
            let id = signal.conversation_id.as_str();
            let assignees =
                msgbuddy_inbox::access::assignees(self.bus.db(), &self.workspace_id, &[id])
                    .await
                    .ok()?;
            let assignee = assignees.get(id)?;
            if assignee.as_deref().is_some_and(|a| a != self.user_id) {
                return None;
            }
        }
        let data = serde_json::to_string(&signal).ok()?;
        Some(Event::default().event(PresenceSignal::NAME).data(data))
    }

    /// Sleeps until this workspace has something new, the periodic re-check, or shutdown.
    async fn wait(&mut self) {
        let recheck = tokio::time::sleep(RECHECK);
        tokio::pin!(recheck);
        loop {
            tokio::select! {
                woke = self.wakeups.recv() => match woke {
                    Ok(w) if w.workspace_id == self.workspace_id && w.seq > self.cursor => return,
                    Ok(_) => continue,
                    // Missed wake-ups are harmless: the database has everything.
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => { self.done = true; return }
                },
                signal = self.signals.recv() => match signal {
                    Ok(s) => match self.presence_event(s).await {
                        Some(event) => { self.ready.push_back(event); return }
                        None => continue,
                    },
                    // Presence repeats itself within seconds: missed signals are harmless.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => { self.done = true; return }
                },
                _ = &mut recheck => return,
                _ = self.shutdown.changed() => return,
            }
        }
    }
}
