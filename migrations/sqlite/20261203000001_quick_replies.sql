-- Quick replies: saved answers inserted in the composer with / and their shortcut,
-- offered on every channel or only on those listed in quick_reply_channels.
CREATE TABLE quick_replies (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    shortcut TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT quick_replies_shortcut_key UNIQUE (workspace_id, shortcut)
);

CREATE TABLE quick_reply_channels (
    quick_reply_id TEXT NOT NULL REFERENCES quick_replies (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channel_accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (quick_reply_id, channel_id)
);
