-- Files that arrive inside the delivery itself (email attachments) are read out of the
-- stored delivery, not fetched from the provider: the download row names it.
ALTER TABLE media_downloads ADD COLUMN delivery_id TEXT REFERENCES webhook_events (id) ON DELETE SET NULL;
