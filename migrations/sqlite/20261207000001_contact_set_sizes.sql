-- How many rows each set of contacts holds, by value, so a segment made of sets is
-- counted from a handful of rows instead of every member (msgbuddy_contacts::segments::sets).
-- A set is a tag's or group's members (`set_id` the tag or group), a custom field's values
-- (the field, by value), the workspace's contacts by the UTC day they were made
-- (`created:` + workspace, the day number in `value_number`) and the workspace's
-- opt-outs by channel kind (`opted_out:` + workspace). Deleted and test-mode contacts
-- are counted too; a count takes off those of them that match, which are few.
-- Triggers keep the sizes, so no write path can forget them; they fire on foreign-key
-- cascades as on any delete.
CREATE TABLE contact_set_sizes (
    set_id TEXT NOT NULL,
    value_text TEXT NOT NULL DEFAULT '',
    value_number REAL NOT NULL DEFAULT 0,
    n INTEGER NOT NULL,
    PRIMARY KEY (set_id, value_text, value_number)
) WITHOUT ROWID;

CREATE TRIGGER contact_tags_size_added AFTER INSERT ON contact_tags BEGIN
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n) VALUES (NEW.tag_id, '', 0, 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contact_tags_size_removed AFTER DELETE ON contact_tags BEGIN
    UPDATE contact_set_sizes SET n = n - 1 WHERE set_id = OLD.tag_id AND value_text = '' AND value_number = 0;
    DELETE FROM contact_set_sizes WHERE set_id = OLD.tag_id AND value_text = '' AND value_number = 0 AND n = 0;
END;
CREATE TRIGGER contact_tags_size_moved AFTER UPDATE OF tag_id ON contact_tags BEGIN
    UPDATE contact_set_sizes SET n = n - 1 WHERE set_id = OLD.tag_id AND value_text = '' AND value_number = 0;
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n) VALUES (NEW.tag_id, '', 0, 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER contact_group_members_size_added AFTER INSERT ON contact_group_members BEGIN
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n) VALUES (NEW.group_id, '', 0, 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contact_group_members_size_removed AFTER DELETE ON contact_group_members BEGIN
    UPDATE contact_set_sizes SET n = n - 1 WHERE set_id = OLD.group_id AND value_text = '' AND value_number = 0;
    DELETE FROM contact_set_sizes WHERE set_id = OLD.group_id AND value_text = '' AND value_number = 0 AND n = 0;
END;
CREATE TRIGGER contact_group_members_size_moved AFTER UPDATE OF group_id ON contact_group_members BEGIN
    UPDATE contact_set_sizes SET n = n - 1 WHERE set_id = OLD.group_id AND value_text = '' AND value_number = 0;
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n) VALUES (NEW.group_id, '', 0, 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER contact_field_values_size_added AFTER INSERT ON contact_field_values BEGIN
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
    VALUES (NEW.field_id, COALESCE(NEW.value_text, ''), COALESCE(NEW.value_number, 0), 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contact_field_values_size_removed AFTER DELETE ON contact_field_values BEGIN
    UPDATE contact_set_sizes SET n = n - 1
    WHERE set_id = OLD.field_id AND value_text = COALESCE(OLD.value_text, '') AND value_number = COALESCE(OLD.value_number, 0);
    DELETE FROM contact_set_sizes
    WHERE set_id = OLD.field_id AND value_text = COALESCE(OLD.value_text, '') AND value_number = COALESCE(OLD.value_number, 0) AND n = 0;
END;
CREATE TRIGGER contact_field_values_size_changed AFTER UPDATE OF field_id, value_text, value_number ON contact_field_values BEGIN
    UPDATE contact_set_sizes SET n = n - 1
    WHERE set_id = OLD.field_id AND value_text = COALESCE(OLD.value_text, '') AND value_number = COALESCE(OLD.value_number, 0);
    DELETE FROM contact_set_sizes
    WHERE set_id = OLD.field_id AND value_text = COALESCE(OLD.value_text, '') AND value_number = COALESCE(OLD.value_number, 0) AND n = 0;
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
    VALUES (NEW.field_id, COALESCE(NEW.value_text, ''), COALESCE(NEW.value_number, 0), 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;

-- The day is floored (not truncated toward zero) so a moment before 1970 falls in its own day.
CREATE TRIGGER contacts_size_added AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
    VALUES ('created:' || NEW.workspace_id, '', (NEW.created_at - ((NEW.created_at % 86400000) + 86400000) % 86400000) / 86400000, 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;
-- A contact's opt-outs go first, while the contact is there to name its workspace.
CREATE TRIGGER contacts_opt_outs_removed BEFORE DELETE ON contacts BEGIN
    DELETE FROM contact_opt_outs WHERE contact_id = OLD.id;
END;
CREATE TRIGGER contacts_size_removed AFTER DELETE ON contacts BEGIN
    UPDATE contact_set_sizes SET n = n - 1
    WHERE set_id = 'created:' || OLD.workspace_id AND value_text = ''
        AND value_number = (OLD.created_at - ((OLD.created_at % 86400000) + 86400000) % 86400000) / 86400000;
END;
CREATE TRIGGER contacts_size_changed AFTER UPDATE OF workspace_id, created_at ON contacts BEGIN
    UPDATE contact_set_sizes SET n = n - 1
    WHERE set_id = 'created:' || OLD.workspace_id AND value_text = ''
        AND value_number = (OLD.created_at - ((OLD.created_at % 86400000) + 86400000) % 86400000) / 86400000;
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
    VALUES ('created:' || NEW.workspace_id, '', (NEW.created_at - ((NEW.created_at % 86400000) + 86400000) % 86400000) / 86400000, 1)
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER contact_opt_outs_size_added AFTER INSERT ON contact_opt_outs BEGIN
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
    SELECT 'opted_out:' || c.workspace_id, NEW.channel_kind, 0, 1 FROM contacts c WHERE c.id = NEW.contact_id
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contact_opt_outs_size_removed AFTER DELETE ON contact_opt_outs BEGIN
    UPDATE contact_set_sizes SET n = n - 1
    WHERE set_id = (SELECT 'opted_out:' || c.workspace_id FROM contacts c WHERE c.id = OLD.contact_id)
        AND value_text = OLD.channel_kind AND value_number = 0;
END;
CREATE TRIGGER contact_opt_outs_size_moved AFTER UPDATE OF contact_id, channel_kind ON contact_opt_outs BEGIN
    UPDATE contact_set_sizes SET n = n - 1
    WHERE set_id = (SELECT 'opted_out:' || c.workspace_id FROM contacts c WHERE c.id = OLD.contact_id)
        AND value_text = OLD.channel_kind AND value_number = 0;
    INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
    SELECT 'opted_out:' || c.workspace_id, NEW.channel_kind, 0, 1 FROM contacts c WHERE c.id = NEW.contact_id
    ON CONFLICT (set_id, value_text, value_number) DO UPDATE SET n = n + 1;
END;

INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
SELECT tag_id, '', 0, COUNT(*) FROM contact_tags GROUP BY tag_id;
INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
SELECT group_id, '', 0, COUNT(*) FROM contact_group_members GROUP BY group_id;
INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
SELECT field_id, COALESCE(value_text, ''), COALESCE(value_number, 0), COUNT(*)
FROM contact_field_values GROUP BY field_id, COALESCE(value_text, ''), COALESCE(value_number, 0);
INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
SELECT 'created:' || workspace_id, '', (created_at - ((created_at % 86400000) + 86400000) % 86400000) / 86400000, COUNT(*)
FROM contacts GROUP BY 1, 3;
INSERT INTO contact_set_sizes (set_id, value_text, value_number, n)
SELECT 'opted_out:' || c.workspace_id, o.channel_kind, 0, COUNT(*)
FROM contact_opt_outs o JOIN contacts c ON c.id = o.contact_id GROUP BY 1, 2;
