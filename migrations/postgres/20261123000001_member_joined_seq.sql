-- The workspace event a member joined at: the live stream never replays to a member what
-- happened in the workspace before they joined. Members from before this migration keep 0.
ALTER TABLE memberships ADD COLUMN joined_seq BIGINT NOT NULL DEFAULT 0;
