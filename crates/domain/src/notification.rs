//! In-app notifications: what a member is told about (assigned to them, mentioned in a
//! private note), each for one member, read or not.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone else assigned a conversation to the member.
    Assigned,
    /// A private note @mentioned the member.
    Mentioned,
    /// A customer wrote in a conversation assigned to the member.
    NewMessage,
    /// A channel of the workspace stopped working (its credentials were refused).
    ChannelInvalid,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 4] = [
        NotificationKind::Assigned,
        NotificationKind::Mentioned,
        NotificationKind::NewMessage,
        NotificationKind::ChannelInvalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "assigned",
            NotificationKind::Mentioned => "mentioned",
            NotificationKind::NewMessage => "new_message",
            NotificationKind::ChannelInvalid => "channel_invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What the kind is, for lists and the preferences page.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "A conversation is assigned to you",
            NotificationKind::Mentioned => "You are mentioned in a note",
            NotificationKind::NewMessage => "A customer writes in your conversation",
            NotificationKind::ChannelInvalid => "A channel stops working",
        }
    }
}

/// How a member wants to hear of one kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    pub kind: NotificationKind,
    /// In the bell and the notifications page.
    pub in_app: bool,
    /// As a browser push notification, on the browsers the member allowed.
    pub push: bool,
}

impl Preference {
    /// Everything on until the member says otherwise (push reaches only browsers that
    /// were allowed to receive it).
    pub fn default_for(kind: NotificationKind) -> Self {
        Preference {
            kind,
            in_app: true,
            push: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    /// The conversation it is about, which its link opens.
    pub conversation_id: Option<String>,
    /// What happened, in words: "Olivia Owner mentioned you: …".
    pub body: String,
    pub created_at_ms: i64,
    pub read: bool,
}

/// A member's notifications, newest first, and how many are unread in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationList {
    pub notifications: Vec<Notification>,
    pub unread: i64,
}
