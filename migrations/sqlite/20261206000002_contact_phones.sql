-- A contact's other phone numbers (a work phone, a second SIM), beside the main one in
-- contacts.phone. A number belongs to one contact of a workspace and mode, whether as
-- its main number or another: the unique index here keeps the others apart, and the
-- code checks each against the main numbers (and the main numbers against these) in
-- the same write.
CREATE TABLE contact_phones (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    is_test INTEGER NOT NULL DEFAULT 0,
    phone TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (contact_id, phone)
);
CREATE UNIQUE INDEX contact_phones_phone_key ON contact_phones (workspace_id, is_test, phone);
