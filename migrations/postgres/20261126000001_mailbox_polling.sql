-- Channels that are read rather than called (email over IMAP): where the next poll of the
-- account's mailbox starts (`UIDVALIDITY:last UID`) and when it was last polled.
ALTER TABLE channel_accounts ADD COLUMN poll_cursor TEXT;
ALTER TABLE channel_accounts ADD COLUMN polled_at BIGINT;
