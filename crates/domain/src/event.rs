//! Domain events: what happened in a workspace, in the order it happened.
//!
//! Every event is stored with a per-workspace sequence number and streamed to browsers over
//! SSE. Later modules add variants (message created, message status changed, conversation
//! assigned, contact updated, campaign progress, presence); each says which permission a
//! member needs to see it, so the stream is filtered on the server.

use crate::contact_import::ImportProgress;
use crate::message::{
    ChannelKind, ConversationSummary, DeliveryStatus, MessageView, TimelineEntry,
};
use crate::notification::Notification;
use crate::role::{Permission, Role};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    MemberJoined {
        user_id: String,
        email: String,
        role: Role,
    },
    MemberRemoved {
        user_id: String,
    },
    RoleChanged {
        user_id: String,
        from: Role,
        to: Role,
    },
    InvitationCreated {
        invitation_id: String,
        email: Option<String>,
        role: Role,
    },
    InvitationRevoked {
        invitation_id: String,
    },
    InvitationAccepted {
        invitation_id: String,
        user_id: String,
    },
    WorkspaceSettingsChanged {
        name: String,
    },
    WorkspaceSuspended {
        suspended: bool,
    },
    ChannelUpdated {
        channel_id: String,
        kind: ChannelKind,
        status: String,
    },
    /// A message was stored: sent from msgbuddy (pending) or received from a customer.
    MessageCreated {
        message: Box<MessageView>,
        contact_name: String,
    },
    /// A stored message changed other than by status: a customer's file finished
    /// downloading.
    MessageUpdated {
        message: Box<MessageView>,
    },
    /// A conversation was assigned, claimed, unassigned, resolved, reopened, set pending
    /// or snoozed (or woke up); `note` is the line its timeline got.
    ConversationUpdated {
        conversation: Box<ConversationSummary>,
        note: Box<TimelineEntry>,
        /// Where it was before, when the change moved it to someone else: whoever saw it
        /// there hears of it too.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        moved_from: Option<MovedFrom>,
    },
    /// A notification for one member; only they receive it.
    NotificationCreated {
        user_id: String,
        notification: Box<Notification>,
    },
    MessageStatusChanged {
        message_id: String,
        conversation_id: String,
        status: DeliveryStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_message: Option<String>,
        at_ms: i64,
        #[serde(default)]
        is_test: bool,
    },
    /// A contact import wrote a chunk of rows, or finished.
    ContactImportProgress {
        import: ImportProgress,
    },
}

/// Whom a conversation was with before a change that reassigned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovedFrom {
    /// Nobody's: every member saw it.
    Pool,
    Member {
        user_id: String,
    },
}

impl DomainEvent {
    /// The SSE `event:` name, e.g. `member.role_changed`.
    pub fn name(&self) -> &'static str {
        match self {
            DomainEvent::MemberJoined { .. } => "member.joined",
            DomainEvent::MemberRemoved { .. } => "member.removed",
            DomainEvent::RoleChanged { .. } => "member.role_changed",
            DomainEvent::InvitationCreated { .. } => "invitation.created",
            DomainEvent::InvitationRevoked { .. } => "invitation.revoked",
            DomainEvent::InvitationAccepted { .. } => "invitation.accepted",
            DomainEvent::WorkspaceSettingsChanged { .. } => "workspace.settings_changed",
            DomainEvent::WorkspaceSuspended { .. } => "workspace.suspended",
            DomainEvent::ChannelUpdated { .. } => "channel.updated",
            DomainEvent::MessageCreated { .. } => "message.created",
            DomainEvent::MessageUpdated { .. } => "message.updated",
            DomainEvent::MessageStatusChanged { .. } => "message.status_changed",
            DomainEvent::ConversationUpdated { .. } => "conversation.updated",
            DomainEvent::NotificationCreated { .. } => "notification.created",
            DomainEvent::ContactImportProgress { .. } => "contact_import.progress",
        }
    }

    /// What a member must be allowed to do to receive this event. Member events carry
    /// emails, so they go to exactly those who may list the members.
    pub fn audience(&self) -> Permission {
        match self {
            DomainEvent::InvitationCreated { .. } | DomainEvent::InvitationRevoked { .. } => {
                Permission::InvitationsView
            }
            DomainEvent::MemberJoined { .. }
            | DomainEvent::MemberRemoved { .. }
            | DomainEvent::RoleChanged { .. } => Permission::MembersView,
            DomainEvent::ChannelUpdated { .. } => Permission::SettingsView,
            DomainEvent::ContactImportProgress { .. } => Permission::ContactsView,
            // The event stream narrows these to the conversations a member may see.
            DomainEvent::MessageCreated { .. }
            | DomainEvent::MessageUpdated { .. }
            | DomainEvent::MessageStatusChanged { .. }
            | DomainEvent::ConversationUpdated { .. } => Permission::ConversationsView,
            _ => Permission::WorkspaceView,
        }
    }

    pub fn visible_to(&self, role: Role) -> bool {
        role.can(self.audience())
    }

    /// The conversation an event is about: members who may not see every conversation
    /// receive it only while they may see that one.
    pub fn conversation_id(&self) -> Option<&str> {
        match self {
            DomainEvent::MessageCreated { message, .. }
            | DomainEvent::MessageUpdated { message } => Some(&message.conversation_id),
            DomainEvent::MessageStatusChanged {
                conversation_id, ..
            } => Some(conversation_id),
            DomainEvent::ConversationUpdated { conversation, .. } => Some(&conversation.id),
            _ => None,
        }
    }

    /// The one member an event is for, when it is for one member only.
    pub fn recipient(&self) -> Option<&str> {
        match self {
            DomainEvent::NotificationCreated { user_id, .. } => Some(user_id),
            _ => None,
        }
    }
}

/// An event as stored and streamed: the workspace it belongs to and its sequence number,
/// which is the SSE `id` a reconnecting browser sends back as `Last-Event-ID`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub workspace_id: String,
    pub seq: i64,
    pub at_ms: i64,
    pub event: DomainEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_events_reach_only_those_who_see_invitations() {
        let e = DomainEvent::InvitationCreated {
            invitation_id: "i".into(),
            email: None,
            role: Role::Agent,
        };
        assert!(e.visible_to(Role::Admin));
        assert!(e.visible_to(Role::Auditor));
        assert!(!e.visible_to(Role::Agent));
        assert!(!e.visible_to(Role::Viewer));
    }

    #[test]
    fn role_changes_reach_every_member() {
        let e = DomainEvent::RoleChanged {
            user_id: "u".into(),
            from: Role::Agent,
            to: Role::Admin,
        };
        assert!(Role::ALL.iter().all(|r| e.visible_to(*r)));
        assert_eq!(e.name(), "member.role_changed");
    }

    #[test]
    fn events_round_trip_through_json_with_a_type_tag() {
        let e = DomainEvent::MemberRemoved {
            user_id: "u1".into(),
        };
        let json = serde_json::to_value(&e).expect("serializes");
        assert_eq!(json["type"], "member_removed");
        assert_eq!(
            serde_json::from_value::<DomainEvent>(json).expect("parses"),
            e
        );
    }
}

/// Something fleeting a member is doing, told to the others as it happens and never
/// stored: it has no sequence number, and a client that reconnects has no need of the
/// ones it missed (the next one comes within seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceSignal {
    pub workspace_id: String,
    pub conversation_id: String,
    pub user_id: String,
    /// The member's name, as the others see it.
    pub name: String,
    pub activity: Activity,
}

/// What a member is doing in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Has the thread open (repeated while it stays open).
    Viewing,
    /// Is writing in the thread's composer (repeated while they write).
    Typing,
    /// Closed the thread.
    Left,
}

impl Activity {
    pub fn parse(raw: &str) -> Result<Self, crate::AppError> {
        match raw {
            "viewing" => Ok(Activity::Viewing),
            "typing" => Ok(Activity::Typing),
            "left" => Ok(Activity::Left),
            _ => Err(crate::AppError::invalid_field(
                "activity",
                "Say viewing, typing or left.",
            )),
        }
    }
}

impl PresenceSignal {
    /// The SSE event name it travels under.
    pub const NAME: &'static str = "conversation.presence";
}
