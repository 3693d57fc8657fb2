-- How many rows each set of contacts holds, by value, so a segment made of sets is
-- counted from a handful of rows instead of every member (msgbuddy_contacts::segments::sets).
-- A set is a tag's or group's members (`set_id` the tag or group), a custom field's values
-- (the field, by value), the workspace's contacts by the UTC day they were made
-- (`created:` + workspace, the day number in `value_number`) and the workspace's
-- opt-outs by channel kind (`opted_out:` + workspace). Deleted and test-mode contacts
-- are counted too; a count takes off those of them that match, which are few.
--
-- Triggers keep the sizes, so no write path can forget them; they fire on foreign-key
-- cascades as on any delete. Here they run once per statement and append the
-- statement's change per value, rather than updating one row per value: a row updated
-- by many transactions at once would make them wait on each other (and deadlock when two
-- touch the same values in a different order), and one updated many times in a single
-- transaction leaves a chain of versions that every later update walks. A size is the
-- sum of its rows; msgbuddy_contacts::set_sizes::compact folds them now and then.
CREATE TABLE contact_set_sizes (
    set_id TEXT NOT NULL,
    value_text TEXT NOT NULL DEFAULT '',
    value_number DOUBLE PRECISION NOT NULL DEFAULT 0,
    n BIGINT NOT NULL
);
CREATE INDEX contact_set_sizes_set_idx ON contact_set_sizes (set_id, value_number);

CREATE FUNCTION contact_created_day(created_at BIGINT) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE AS $$
    SELECT ((created_at - ((created_at % 86400000) + 86400000) % 86400000) / 86400000)::DOUBLE PRECISION
$$;

-- One function per table: the rows a statement added count up, the rows it removed
-- count down, and an update's rows that kept their value cancel out.
CREATE FUNCTION contact_tags_sizes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_set_sizes (set_id, n) SELECT tag_id, COUNT(*) FROM added GROUP BY tag_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO contact_set_sizes (set_id, n) SELECT tag_id, -COUNT(*) FROM removed GROUP BY tag_id;
    ELSE
        INSERT INTO contact_set_sizes (set_id, n)
        SELECT tag_id, SUM(d) FROM (
            SELECT tag_id, 1 AS d FROM added UNION ALL SELECT tag_id, -1 FROM removed
        ) x GROUP BY tag_id HAVING SUM(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_tags_size_added AFTER INSERT ON contact_tags
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_tags_sizes();
CREATE TRIGGER contact_tags_size_removed AFTER DELETE ON contact_tags
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION contact_tags_sizes();
CREATE TRIGGER contact_tags_size_changed AFTER UPDATE ON contact_tags
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_tags_sizes();

CREATE FUNCTION contact_group_members_sizes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_set_sizes (set_id, n) SELECT group_id, COUNT(*) FROM added GROUP BY group_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO contact_set_sizes (set_id, n) SELECT group_id, -COUNT(*) FROM removed GROUP BY group_id;
    ELSE
        INSERT INTO contact_set_sizes (set_id, n)
        SELECT group_id, SUM(d) FROM (
            SELECT group_id, 1 AS d FROM added UNION ALL SELECT group_id, -1 FROM removed
        ) x GROUP BY group_id HAVING SUM(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_group_members_size_added AFTER INSERT ON contact_group_members
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_group_members_sizes();
CREATE TRIGGER contact_group_members_size_removed AFTER DELETE ON contact_group_members
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION contact_group_members_sizes();
CREATE TRIGGER contact_group_members_size_changed AFTER UPDATE ON contact_group_members
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_group_members_sizes();

CREATE FUNCTION contact_field_values_sizes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
        SELECT field_id, COALESCE(value_text, ''), COALESCE(value_number, 0), COUNT(*)
        FROM added GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
        SELECT field_id, COALESCE(value_text, ''), COALESCE(value_number, 0), -COUNT(*)
        FROM removed GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
        SELECT field_id, t, v, SUM(d) FROM (
            SELECT field_id, COALESCE(value_text, '') AS t, COALESCE(value_number, 0) AS v, 1 AS d FROM added
            UNION ALL
            SELECT field_id, COALESCE(value_text, ''), COALESCE(value_number, 0), -1 FROM removed
        ) x GROUP BY 1, 2, 3 HAVING SUM(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_field_values_size_added AFTER INSERT ON contact_field_values
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_field_values_sizes();
CREATE TRIGGER contact_field_values_size_removed AFTER DELETE ON contact_field_values
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION contact_field_values_sizes();
CREATE TRIGGER contact_field_values_size_changed AFTER UPDATE ON contact_field_values
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_field_values_sizes();

CREATE FUNCTION contacts_sizes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_set_sizes (set_id, value_number, n)
        SELECT 'created:' || workspace_id, contact_created_day(created_at), COUNT(*)
        FROM added GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO contact_set_sizes (set_id, value_number, n)
        SELECT 'created:' || workspace_id, contact_created_day(created_at), -COUNT(*)
        FROM removed GROUP BY 1, 2;
    ELSE
        -- Most updates (a contact writing in, an edit) keep both: they add nothing.
        INSERT INTO contact_set_sizes (set_id, value_number, n)
        SELECT s, v, SUM(d) FROM (
            SELECT 'created:' || workspace_id AS s, contact_created_day(created_at) AS v, 1 AS d FROM added
            UNION ALL
            SELECT 'created:' || workspace_id, contact_created_day(created_at), -1 FROM removed
        ) x GROUP BY 1, 2 HAVING SUM(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_size_added AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contacts_sizes();
CREATE TRIGGER contacts_size_removed AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION contacts_sizes();
CREATE TRIGGER contacts_size_changed AFTER UPDATE ON contacts
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contacts_sizes();

-- Opt-outs name their workspace through their contact, so a contact's opt-outs go before
-- it does (a cascade would run once the contact is gone).
CREATE FUNCTION contacts_opt_outs_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contact_opt_outs WHERE contact_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER contacts_opt_outs_removed BEFORE DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_opt_outs_removed();

CREATE FUNCTION contact_opt_outs_sizes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_set_sizes (set_id, value_text, n)
        SELECT 'opted_out:' || c.workspace_id, a.channel_kind, COUNT(*)
        FROM added a JOIN contacts c ON c.id = a.contact_id GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO contact_set_sizes (set_id, value_text, n)
        SELECT 'opted_out:' || c.workspace_id, r.channel_kind, -COUNT(*)
        FROM removed r JOIN contacts c ON c.id = r.contact_id GROUP BY 1, 2;
    ELSE
        INSERT INTO contact_set_sizes (set_id, value_text, n)
        SELECT s, k, SUM(d) FROM (
            SELECT 'opted_out:' || c.workspace_id AS s, a.channel_kind AS k, 1 AS d
            FROM added a JOIN contacts c ON c.id = a.contact_id
            UNION ALL
            SELECT 'opted_out:' || c.workspace_id, r.channel_kind, -1
            FROM removed r JOIN contacts c ON c.id = r.contact_id
        ) x GROUP BY 1, 2 HAVING SUM(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_opt_outs_size_added AFTER INSERT ON contact_opt_outs
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_opt_outs_sizes();
CREATE TRIGGER contact_opt_outs_size_removed AFTER DELETE ON contact_opt_outs
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION contact_opt_outs_sizes();
CREATE TRIGGER contact_opt_outs_size_changed AFTER UPDATE ON contact_opt_outs
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_opt_outs_sizes();

INSERT INTO contact_set_sizes (set_id, n)
SELECT tag_id, COUNT(*) FROM contact_tags GROUP BY tag_id;
INSERT INTO contact_set_sizes (set_id, n)
SELECT group_id, COUNT(*) FROM contact_group_members GROUP BY group_id;
INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
SELECT field_id, COALESCE(value_text, ''), COALESCE(value_number, 0), COUNT(*)
FROM contact_field_values GROUP BY 1, 2, 3;
INSERT INTO contact_set_sizes (set_id, value_number, n)
SELECT 'created:' || workspace_id, contact_created_day(created_at), COUNT(*)
FROM contacts GROUP BY 1, 2;
INSERT INTO contact_set_sizes (set_id, value_text, n)
SELECT 'opted_out:' || c.workspace_id, o.channel_kind, COUNT(*)
FROM contact_opt_outs o JOIN contacts c ON c.id = o.contact_id GROUP BY 1, 2;
