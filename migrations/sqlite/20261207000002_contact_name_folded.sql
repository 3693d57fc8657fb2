-- A contact's name lowered, as on PostgreSQL (where it is stored and saves lowering every
-- name a search reads). Computed when read here: SQLite searches names with `LIKE`, which
-- ignores ASCII case as its `lower()` does, and cannot add a stored column to a table.
ALTER TABLE contacts ADD COLUMN name_folded TEXT GENERATED ALWAYS AS (lower(name)) VIRTUAL;
