-- Media files: uploads to send and files customers sent, downloaded from the provider.
-- The bytes live in the media store (./data/media by default) under
-- <workspace_id>/<id>; the type is the one sniffed from the content.
CREATE TABLE media_files (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    is_test INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    filename TEXT,
    sha256 TEXT NOT NULL,
    -- 'upload' or 'inbound'
    origin TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX media_files_workspace_idx ON media_files (workspace_id, created_at);

-- Inbound messages whose file is still at the provider. The downloader takes due rows,
-- stores the file and deletes the row; after the last attempt the row stays 'failed'
-- with the reason.
CREATE TABLE media_downloads (
    message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    channel_account_id TEXT NOT NULL REFERENCES channel_accounts (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'waiting',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT
);
CREATE INDEX media_downloads_due_idx ON media_downloads (state, next_attempt_at);
