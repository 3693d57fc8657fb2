-- Contacts become the audience: a language, soft deletion (restored within the undo
-- window, purged after it), opt-outs per channel kind with their reason and source, custom
-- fields for contacts and conversations, tags, static groups, saved segments and each
-- workspace's opt-out keywords.
ALTER TABLE contacts ADD COLUMN language TEXT;
ALTER TABLE contacts ADD COLUMN deleted_at INTEGER;
-- `deleted_at` rides along in the indexes segments range over, so a count of live
-- contacts by when they signed up or last wrote, or a search of their names, is answered
-- from the index alone.
CREATE INDEX contacts_created_idx ON contacts (workspace_id, is_test, created_at, id, deleted_at);
CREATE INDEX contacts_seen_idx ON contacts (workspace_id, is_test, last_seen_at, deleted_at);
CREATE INDEX contacts_name_idx ON contacts (workspace_id, is_test, name, id, deleted_at);
CREATE INDEX contacts_deleted_idx ON contacts (deleted_at) WHERE deleted_at IS NOT NULL;
-- Live contacts by id: a workspace's contacts counted from the index alone, and a
-- segment's set of contact ids checked against it (`deleted_at` is in it so that no
-- SQLite version looks the row up to test it).
CREATE INDEX contacts_live_idx ON contacts (workspace_id, is_test, id, deleted_at) WHERE deleted_at IS NULL;

CREATE TABLE contact_opt_outs (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    channel_kind TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (contact_id, channel_kind)
);
CREATE INDEX contact_opt_outs_kind_idx ON contact_opt_outs (channel_kind, contact_id);
-- The single flag of before meant every channel.
INSERT INTO contact_opt_outs (contact_id, channel_kind, reason, source, created_at)
SELECT c.id, k.kind, '', 'member', c.updated_at
FROM contacts c,
    (SELECT 'sandbox' AS kind UNION ALL SELECT 'whatsapp' UNION ALL SELECT 'telegram'
     UNION ALL SELECT 'email' UNION ALL SELECT 'sms') k
WHERE c.opted_out <> 0;
ALTER TABLE contacts DROP COLUMN opted_out;

CREATE TABLE custom_fields (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0,
    default_value TEXT,
    options TEXT NOT NULL DEFAULT '[]',
    min_value REAL,
    max_value REAL,
    position INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT custom_fields_key UNIQUE (workspace_id, scope, key)
);

-- A value in the column its kind is kept in (see msgbuddy_contacts::fields).
CREATE TABLE contact_field_values (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    field_id TEXT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    value_text TEXT,
    value_number REAL,
    PRIMARY KEY (contact_id, field_id)
);
-- Segments find a field's values through these, contact ids included so the index
-- answers alone. Text is indexed by its first 100 characters (a whole long text or list
-- of choices can exceed PostgreSQL's limit for an index entry), once as written (days,
-- choices) and once lowered (text compared whatever its case).
CREATE INDEX contact_field_values_text_idx ON contact_field_values (field_id, substr(value_text, 1, 100), contact_id);
CREATE INDEX contact_field_values_lower_idx ON contact_field_values (field_id, lower(substr(value_text, 1, 100)), contact_id);
CREATE INDEX contact_field_values_number_idx ON contact_field_values (field_id, value_number, contact_id);

CREATE TABLE conversation_field_values (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    field_id TEXT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    value_text TEXT,
    value_number REAL,
    PRIMARY KEY (conversation_id, field_id)
);

CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    colour TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tags_name_key ON tags (workspace_id, lower(name));

CREATE TABLE contact_tags (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag_idx ON contact_tags (tag_id, contact_id);

CREATE TABLE contact_groups (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contact_groups_name_key ON contact_groups (workspace_id, lower(name));

CREATE TABLE contact_group_members (
    group_id TEXT NOT NULL REFERENCES contact_groups (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX contact_group_members_contact_idx ON contact_group_members (contact_id);

-- A segment's conditions are kept as JSON and checked against the allow-list whenever
-- they are read; every value becomes a bound parameter.
CREATE TABLE segments (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    match_all INTEGER NOT NULL DEFAULT 1,
    conditions TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX segments_name_key ON segments (workspace_id, lower(name));

-- Opt-out keywords and the answers they send; a workspace without a row uses the defaults.
CREATE TABLE contact_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    stop_keywords TEXT NOT NULL,
    start_keywords TEXT NOT NULL,
    stop_reply TEXT NOT NULL,
    start_reply TEXT NOT NULL
);
