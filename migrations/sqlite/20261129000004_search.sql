-- Full-history search of message text: an FTS5 index over each message's text (its
-- `preview`), kept in step by triggers. Its rowids are the messages' own, so the order
-- messages were stored in is the index's order, and the newest matches come first
-- without ranking every match.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    preview,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, preview) VALUES (new.rowid, new.preview);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, preview) VALUES ('delete', old.rowid, old.preview);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF preview ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, preview) VALUES ('delete', old.rowid, old.preview);
    INSERT INTO messages_fts (rowid, preview) VALUES (new.rowid, new.preview);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
