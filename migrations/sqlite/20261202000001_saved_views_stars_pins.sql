-- Personal inbox views (a name and the list's query string, per member), starred messages
-- (per member, for the Starred page) and pinned messages (per conversation, for everyone).
CREATE TABLE saved_views (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, user_id, name)
);

CREATE TABLE starred_messages (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    starred_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, message_id)
);
CREATE INDEX starred_messages_by_member ON starred_messages (workspace_id, user_id, starred_at);

CREATE TABLE pinned_messages (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    pinned_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    pinned_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, message_id)
);
