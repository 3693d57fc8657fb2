-- A message deleted from the inbox keeps its row (its status history, its place in the
-- thread) but not its words: `content` and `preview` are emptied, and these say when
-- and how far it went (`us`, or `everyone` when the provider deleted it for the
-- customer too).
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_for TEXT;
