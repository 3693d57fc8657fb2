-- Full-history search of message text: a GIN index over the words of each message's text
-- (its `preview`), with the language-neutral `simple` configuration; the newest matches
-- come first, by time, without ranking every match.
CREATE INDEX messages_search_idx ON messages USING gin (to_tsvector('simple', preview));
