-- Auto-assignment and the inactivity rule: each workspace's rule and threshold (and when a
-- pass last took its turn), each member's availability, capacity, last page check-in and
-- last auto-assignment, and when a conversation was given to its agent (and which agent
-- let it lapse, passed over when it is shared out again).
CREATE TABLE inbox_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    auto_assign TEXT NOT NULL DEFAULT 'off',
    inactivity_minutes INTEGER,
    swept_at INTEGER
);

CREATE TABLE member_presence (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    availability TEXT NOT NULL DEFAULT 'online',
    capacity INTEGER,
    last_seen_at INTEGER,
    last_assigned_at INTEGER,
    PRIMARY KEY (workspace_id, user_id)
);

ALTER TABLE conversations ADD COLUMN assigned_at INTEGER;
ALTER TABLE conversations ADD COLUMN passed_over_id TEXT REFERENCES users (id) ON DELETE SET NULL;
