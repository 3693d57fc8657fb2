-- Bulk imports of contacts. The uploaded file is kept in the database
-- (`contact_import_files`) so whichever instance's worker claims the import can read it.
-- `next_row` counts the rows committed: each chunk of rows is written in one transaction
-- with the counters, so a worker that dies mid-chunk leaves nothing of it and the next one
-- resumes exactly there. A worker holds an import while `lease_until` is ahead of the
-- clock.
CREATE TABLE contact_imports (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('csv', 'json')),
    -- The file's column names and first rows (JSON), so pages never read the body.
    headers TEXT NOT NULL,
    preview TEXT NOT NULL,
    mapping TEXT NOT NULL,
    on_duplicate TEXT NOT NULL DEFAULT 'update' CHECK (on_duplicate IN ('update', 'skip')),
    dry_run BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('uploaded', 'queued', 'running', 'done', 'failed')),
    total_rows BIGINT NOT NULL,
    next_row BIGINT NOT NULL DEFAULT 0,
    created_rows BIGINT NOT NULL DEFAULT 0,
    updated_rows BIGINT NOT NULL DEFAULT 0,
    skipped_rows BIGINT NOT NULL DEFAULT 0,
    error_rows BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX contact_imports_workspace_idx ON contact_imports (workspace_id, created_at, id);
CREATE INDEX contact_imports_due_idx ON contact_imports (created_at, id) WHERE status IN ('queued', 'running');

-- The file, apart from the counters: SQLite rewrites a whole row on every update, and a
-- 50 MB file rewritten with each chunk's progress would cost more than the chunk.
CREATE TABLE contact_import_files (
    import_id TEXT PRIMARY KEY REFERENCES contact_imports (id) ON DELETE CASCADE,
    body TEXT NOT NULL
);

-- Rows an import refused, by the line a spreadsheet shows them on (the header is line 1).
CREATE TABLE contact_import_errors (
    import_id TEXT NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);
