-- icm PostgreSQL store, schema 1.
-- One table per kind: the record as JSON (msgspec's JSON of the Struct), its ref number as the
-- primary key, its uid unique. `json`, not `jsonb`: the text is kept as written, so loading a
-- whole register (what every `icm` command and screen does) skips jsonb's re-serialisation,
-- about half the server time at 50,000 items; the filters read generated, indexed columns. `rev` is the change counter value of the write that last touched
-- the row, so a reader that has seen counter C fetches only rows with rev > C.

CREATE TABLE icm_state (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    changes bigint NOT NULL DEFAULT 0,  -- bumped by every write, committed with it
    epoch bigint NOT NULL DEFAULT 0     -- bumped when rows are removed or renumbered (put_many moves)
);
INSERT INTO icm_state DEFAULT VALUES;

-- Refs are allocated from a counter row per kind, updated in the inserting transaction: the row
-- lock serialises concurrent inserts and a rolled-back insert leaves no gap.
CREATE TABLE icm_counters (
    kind text PRIMARY KEY,
    last bigint NOT NULL DEFAULT 0
);
INSERT INTO icm_counters (kind) VALUES ('actions'), ('meetings'), ('requests'), ('pulses');

CREATE TABLE icm_actions (
    num bigint PRIMARY KEY,
    uid text NOT NULL UNIQUE,
    rev bigint NOT NULL,
    doc json NOT NULL,
    -- The filters of `icm actions`; msgspec omits defaults, hence the coalesce.
    status text GENERATED ALWAYS AS (coalesce(doc->>'status', 'open')) STORED,
    owner text GENERATED ALWAYS AS (doc->>'owner') STORED,
    supplier text GENERATED ALWAYS AS (coalesce(doc->>'supplier', '')) STORED,
    requester text GENERATED ALWAYS AS (coalesce(doc->>'requester', '')) STORED,
    due text GENERATED ALWAYS AS (doc->>'due') STORED  -- ISO date: sorts as text
);
CREATE INDEX icm_actions_status_supplier ON icm_actions (status, supplier, due);
CREATE INDEX icm_actions_owner ON icm_actions (owner, status);
CREATE INDEX icm_actions_requester ON icm_actions (requester, status);
CREATE INDEX icm_actions_rev ON icm_actions (rev);

CREATE TABLE icm_meetings (
    num bigint PRIMARY KEY,
    uid text NOT NULL UNIQUE,
    rev bigint NOT NULL,
    doc json NOT NULL
);
CREATE INDEX icm_meetings_rev ON icm_meetings (rev);

CREATE TABLE icm_requests (
    num bigint PRIMARY KEY,
    uid text NOT NULL UNIQUE,
    rev bigint NOT NULL,
    doc json NOT NULL
);
CREATE INDEX icm_requests_rev ON icm_requests (rev);

CREATE TABLE icm_pulses (
    num bigint PRIMARY KEY,
    uid text NOT NULL UNIQUE,
    rev bigint NOT NULL,
    doc json NOT NULL
);
CREATE INDEX icm_pulses_rev ON icm_pulses (rev);

-- Every write attempt, with its outcome: `ok`, `refused` (the caller's rule said no, e.g. the
-- loser of a confirm/reopen race), `conflict` (a change saved offline that could not be merged;
-- `attempted` keeps it). An op_id is written in the same transaction as its change, so a
-- replayed offline write is applied exactly once.
CREATE TABLE icm_ops (
    op_id uuid PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL DEFAULT '',
    kind text NOT NULL,
    ref text NOT NULL DEFAULT '',
    op text NOT NULL,
    outcome text NOT NULL,
    message text NOT NULL DEFAULT '',
    attempted json
);
CREATE INDEX icm_ops_ref ON icm_ops (kind, ref, at);
