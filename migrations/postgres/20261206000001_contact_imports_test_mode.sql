-- Imports made with an `ak_test_` API key write the workspace's test-mode contacts.
ALTER TABLE contact_imports ADD COLUMN is_test BIGINT NOT NULL DEFAULT 0;
