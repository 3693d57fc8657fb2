//! What pages and API clients are shown: plain data returned by the services, the same
//! types on the server and in the browser.

use crate::role::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: Option<String>,
    pub role: Role,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A new invitation and its secret token, shown once to the inviter as a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedInvitation {
    pub invitation: Invitation,
    pub token: String,
}

/// What the invitee sees before accepting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: Role,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: String,
    pub at_ms: i64,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Filters for browsing the log; empty fields match everything.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Matches actions starting with this, e.g. `member.` or `member.role_changed`.
    pub action: Option<String>,
    /// The actor's email, exactly.
    pub actor_email: Option<String>,
    pub before_ms: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceUsage {
    pub id: String,
    pub name: String,
    pub members: i64,
    pub events: i64,
    pub created_at_ms: i64,
    pub suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_platform_admin: bool,
    pub password_changed_at: i64,
}
