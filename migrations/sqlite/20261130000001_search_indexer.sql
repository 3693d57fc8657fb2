-- Messages are indexed for search by a background indexer in batches, not by a trigger
-- on every insert: an FTS5 insert per message, each batch of sends its own segment to
-- merge, cost the send path a seventh of its throughput. `search_cursor` is the last
-- message rowid indexed; everything at or below it is in `messages_fts`.
DROP TRIGGER messages_fts_insert;
CREATE TABLE search_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL
);
INSERT INTO search_cursor (id, indexed_through) SELECT 1, COALESCE(MAX(rowid), 0) FROM messages;

-- Only an indexed message has an entry to take out or replace; one not yet indexed is
-- read afresh when its turn comes.
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.rowid <= (SELECT indexed_through FROM search_cursor) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, preview) VALUES ('delete', old.rowid, old.preview);
    -- SQLite gives a new row the largest rowid plus one, so once the largest is deleted
    -- its rowid comes back: the cursor steps back below it so that row is indexed.
    UPDATE search_cursor SET indexed_through = (SELECT COALESCE(MAX(rowid), 0) FROM messages)
    WHERE indexed_through > (SELECT COALESCE(MAX(rowid), 0) FROM messages);
END;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF preview ON messages
WHEN old.rowid <= (SELECT indexed_through FROM search_cursor) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, preview) VALUES ('delete', old.rowid, old.preview);
    INSERT INTO messages_fts (rowid, preview) VALUES (new.rowid, new.preview);
END;
