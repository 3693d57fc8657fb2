-- Channels and the message pipeline: channel accounts, contacts, conversations, messages
-- and their status history, and webhook deliveries waiting to be processed. Test-mode
-- data (made through `ak_test_` API keys) lives in the same tables with is_test = 1 and is
-- never listed with live data.

CREATE TABLE channel_accounts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    status_detail TEXT,
    settings TEXT NOT NULL,
    secrets TEXT,
    subscribed INTEGER NOT NULL DEFAULT 0,
    rate_per_sec INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    checked_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    disconnected_at INTEGER
);
CREATE INDEX channel_accounts_workspace_idx ON channel_accounts (workspace_id, created_at);
-- Every workspace has exactly one built-in Sandbox channel.
CREATE UNIQUE INDEX channel_accounts_sandbox_key ON channel_accounts (workspace_id) WHERE kind = 'sandbox';

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    is_test INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    telegram_id TEXT,
    opted_out INTEGER NOT NULL DEFAULT 0,
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_seen_at INTEGER
);
CREATE UNIQUE INDEX contacts_phone_key ON contacts (workspace_id, is_test, phone);
CREATE UNIQUE INDEX contacts_email_key ON contacts (workspace_id, is_test, email);
CREATE UNIQUE INDEX contacts_telegram_key ON contacts (workspace_id, is_test, telegram_id);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    is_test INTEGER NOT NULL DEFAULT 0,
    channel_account_id TEXT NOT NULL REFERENCES channel_accounts (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    subject TEXT,
    last_message_at INTEGER NOT NULL,
    last_message_preview TEXT NOT NULL DEFAULT '',
    last_inbound_at INTEGER,
    unread_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- One open conversation per contact and channel: inbound messages and new sends find it.
CREATE UNIQUE INDEX conversations_open_key ON conversations (channel_account_id, contact_id, is_test) WHERE status <> 'resolved';
CREATE INDEX conversations_list_idx ON conversations (workspace_id, is_test, last_message_at);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    is_test INTEGER NOT NULL DEFAULT 0,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel_account_id TEXT NOT NULL REFERENCES channel_accounts (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    content TEXT NOT NULL,
    preview TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_message_id TEXT,
    error_code TEXT,
    error_message TEXT,
    source TEXT NOT NULL,
    sent_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    reply_to TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    send_state TEXT NOT NULL DEFAULT 'idle',
    next_attempt_at INTEGER,
    lease_until INTEGER,
    lease_owner TEXT,
    scheduled_at INTEGER,
    cost_estimate TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_provider_key ON messages (channel_account_id, provider_message_id);
CREATE INDEX messages_thread_idx ON messages (conversation_id, created_at);
CREATE INDEX messages_dispatch_idx ON messages (status, next_attempt_at);
CREATE INDEX messages_list_idx ON messages (workspace_id, is_test, created_at);

CREATE TABLE message_statuses (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    at INTEGER NOT NULL,
    error_code TEXT,
    error_message TEXT,
    source TEXT NOT NULL
);
CREATE INDEX message_statuses_message_idx ON message_statuses (message_id, at);

CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_account_id TEXT NOT NULL REFERENCES channel_accounts (id) ON DELETE CASCADE,
    is_test INTEGER NOT NULL DEFAULT 0,
    body_hash TEXT NOT NULL,
    content_type TEXT NOT NULL,
    query TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    received_at INTEGER NOT NULL,
    process_after INTEGER NOT NULL,
    processed_at INTEGER
);
-- A provider retrying the same delivery sends the same body: it is stored once.
CREATE UNIQUE INDEX webhook_events_body_key ON webhook_events (channel_account_id, body_hash);
CREATE INDEX webhook_events_due_idx ON webhook_events (state, process_after);
