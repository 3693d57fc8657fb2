//! The six workspace roles and the one permission matrix every server route asks.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in one workspace. Ordered from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Supervisor,
    Agent,
    Auditor,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Supervisor,
        Role::Agent,
        Role::Auditor,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Supervisor => "Supervisor",
            Role::Agent => "Agent",
            Role::Auditor => "Auditor",
            Role::Viewer => "Viewer",
        }
    }

    /// Whether this role may perform `permission`. The single source of truth.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            WorkspaceView | MembersView | ContactsView | ConversationsView => true,
            WorkspaceDelete | BillingManage => self == Owner,
            SettingsEdit | MembersManage | InvitationsManage | ChannelsManage => {
                matches!(self, Owner | Admin)
            }
            SettingsView | InvitationsView => matches!(self, Owner | Admin | Auditor),
            AuditLogView => matches!(self, Owner | Admin | Auditor),
            ConversationsViewAll | ReportsView => {
                matches!(self, Owner | Admin | Supervisor | Auditor)
            }
            ConversationsAssign => matches!(self, Owner | Admin | Supervisor),
            ConversationsReply | ContactsEdit => matches!(self, Owner | Admin | Supervisor | Agent),
        }
    }

    /// Whether a member with this role may give or take away `target` from someone.
    /// Only owners touch ownership; admins manage every other role.
    pub fn can_assign(self, target: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => target != Role::Owner,
            _ => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role; use one of owner, admin, supervisor, agent, auditor, viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// Everything a member can try to do. Later modules add their actions here, so the matrix in
/// [`Role::can`] stays the one place that decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    WorkspaceView,
    WorkspaceDelete,
    BillingManage,
    SettingsView,
    SettingsEdit,
    MembersView,
    MembersManage,
    InvitationsView,
    InvitationsManage,
    AuditLogView,
    ChannelsManage,
    ConversationsView,
    ConversationsViewAll,
    ConversationsAssign,
    ConversationsReply,
    ContactsView,
    ContactsEdit,
    ReportsView,
}

impl Permission {
    pub const ALL: [Permission; 18] = [
        Permission::WorkspaceView,
        Permission::WorkspaceDelete,
        Permission::BillingManage,
        Permission::SettingsView,
        Permission::SettingsEdit,
        Permission::MembersView,
        Permission::MembersManage,
        Permission::InvitationsView,
        Permission::InvitationsManage,
        Permission::AuditLogView,
        Permission::ChannelsManage,
        Permission::ConversationsView,
        Permission::ConversationsViewAll,
        Permission::ConversationsAssign,
        Permission::ConversationsReply,
        Permission::ContactsView,
        Permission::ContactsEdit,
        Permission::ReportsView,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;
    use Role::*;

    /// The whole matrix written out as a table, so a change to `can` shows up here as a
    /// deliberate edit. Columns: owner, admin, supervisor, agent, auditor, viewer.
    const MATRIX: &[(Permission, [bool; 6])] = &[
        (WorkspaceView, [true, true, true, true, true, true]),
        (WorkspaceDelete, [true, false, false, false, false, false]),
        (BillingManage, [true, false, false, false, false, false]),
        (SettingsView, [true, true, false, false, true, false]),
        (SettingsEdit, [true, true, false, false, false, false]),
        (MembersView, [true, true, true, true, true, true]),
        (MembersManage, [true, true, false, false, false, false]),
        (InvitationsView, [true, true, false, false, true, false]),
        (InvitationsManage, [true, true, false, false, false, false]),
        (AuditLogView, [true, true, false, false, true, false]),
        (ChannelsManage, [true, true, false, false, false, false]),
        (ConversationsView, [true, true, true, true, true, true]),
        (ConversationsViewAll, [true, true, true, false, true, false]),
        (ConversationsAssign, [true, true, true, false, false, false]),
        (ConversationsReply, [true, true, true, true, false, false]),
        (ContactsView, [true, true, true, true, true, true]),
        (ContactsEdit, [true, true, true, true, false, false]),
        (ReportsView, [true, true, true, false, true, false]),
    ];

    #[test]
    fn every_role_and_permission_matches_the_written_matrix() {
        assert_eq!(
            MATRIX.len(),
            Permission::ALL.len(),
            "every permission is in the table"
        );
        for (permission, row) in MATRIX {
            for (role, expected) in Role::ALL.iter().zip(row) {
                assert_eq!(role.can(*permission), *expected, "{role} / {permission:?}");
            }
        }
    }

    #[test]
    fn read_only_roles_cannot_change_anything() {
        for role in [Auditor, Viewer] {
            for p in [
                SettingsEdit,
                MembersManage,
                InvitationsManage,
                ConversationsReply,
                ContactsEdit,
            ] {
                assert!(!role.can(p), "{role} must not {p:?}");
            }
        }
    }

    #[test]
    fn only_owners_hand_out_ownership() {
        assert!(Owner.can_assign(Owner));
        assert!(!Admin.can_assign(Owner));
        assert!(Admin.can_assign(Agent));
        assert!(!Supervisor.can_assign(Viewer));
    }

    #[test]
    fn roles_parse_from_their_names_and_reject_others() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
        assert!("".parse::<Role>().is_err());
    }
}
