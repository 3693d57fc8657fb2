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
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "assigned",
            NotificationKind::Mentioned => "mentioned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "assigned" => Some(NotificationKind::Assigned),
            "mentioned" => Some(NotificationKind::Mentioned),
            _ => None,
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
