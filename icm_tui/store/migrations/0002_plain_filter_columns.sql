-- icm PostgreSQL store, schema 2: the filter columns of icm_actions are written by icm with each
-- document instead of generated from it. PostgreSQL's JSON functions refuse a U+0000 anywhere in a
-- document ("unsupported Unicode escape sequence") even when reading another field, so a title or
-- note holding one, which TinyDB and the minutes keep, could not be written. The columns keep
-- their values and indexes; `json` documents themselves accept any text.
ALTER TABLE icm_actions ALTER COLUMN status DROP EXPRESSION;
ALTER TABLE icm_actions ALTER COLUMN owner DROP EXPRESSION;
ALTER TABLE icm_actions ALTER COLUMN supplier DROP EXPRESSION;
ALTER TABLE icm_actions ALTER COLUMN requester DROP EXPRESSION;
ALTER TABLE icm_actions ALTER COLUMN due DROP EXPRESSION;
