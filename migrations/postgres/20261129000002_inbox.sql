-- The inbox: who a conversation is assigned to, when a snoozed one wakes, since when the
-- customer has waited for an answer (NULL once answered), and the timeline's notes.
ALTER TABLE conversations ADD COLUMN assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN snoozed_until BIGINT;
ALTER TABLE conversations ADD COLUMN waiting_since BIGINT;
CREATE INDEX conversations_status_idx ON conversations (workspace_id, is_test, status, last_message_at);
CREATE INDEX conversations_assignee_idx ON conversations (workspace_id, is_test, assignee_id, last_message_at);
CREATE INDEX conversations_waiting_idx ON conversations (workspace_id, is_test, waiting_since);
CREATE INDEX conversations_snoozed_idx ON conversations (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE conversation_notes (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    author_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX conversation_notes_thread_idx ON conversation_notes (conversation_id, created_at);
