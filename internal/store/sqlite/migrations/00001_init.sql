-- The SQLite schema mirrors the PostgreSQL one. Tables are STRICT so a
-- value of the wrong type is refused as PostgreSQL would refuse it.
-- Timestamps are TEXT in a fixed-width RFC 3339 form, always UTC (see
-- column.go), so they sort as text. JSON columns are TEXT checked with
-- json_valid, the nearest thing to jsonb's validation.
--
-- Child tables reference their parent through (org_id, id), which is why
-- users, connections, numbers and targets carry UNIQUE (org_id, id): the
-- database, not Go, refuses a number owned by another org's user or a link
-- to another org's target.

-- +goose Up
CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    hash       BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, id)
) STRICT;

CREATE TABLE connections (
    id          TEXT PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    provider    TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    credentials TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (org_id, provider, account_id),
    UNIQUE (org_id, id)
) STRICT;

-- connection_id is NULL for a number stored without a connection; a NULL
-- column switches the composite foreign key off for that row.
CREATE TABLE numbers (
    id            TEXT PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    user_id       TEXT NOT NULL,
    e164          TEXT NOT NULL,
    provider      TEXT NOT NULL,
    connection_id TEXT,
    provider_ref  TEXT NOT NULL,
    voice         TEXT CHECK (voice IS NULL OR json_valid(voice)),
    original      TEXT CHECK (original IS NULL OR json_valid(original)),
    job_id        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (org_id, e164),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id)
) STRICT;

CREATE INDEX numbers_org_user ON numbers (org_id, user_id);

CREATE TABLE targets (
    id         TEXT PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    kind       TEXT NOT NULL CHECK (kind IN ('app', 'agent')),
    name       TEXT NOT NULL,
    answer_url TEXT NOT NULL,
    hangup_url TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT,
    UNIQUE (org_id, id)
) STRICT;

-- number_id is the primary key: a number has at most one link.
CREATE TABLE links (
    org_id     INTEGER NOT NULL,
    number_id  TEXT PRIMARY KEY,
    target_id  TEXT NOT NULL,
    status     TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT,
    FOREIGN KEY (org_id, number_id) REFERENCES numbers (org_id, id),
    FOREIGN KEY (org_id, target_id) REFERENCES targets (org_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX links_target ON links (org_id, target_id);

-- The provider's id of each application switchboard created on a
-- connection, by switchboard's name for it.
CREATE TABLE applications (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    app_id        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (connection_id, name)
) STRICT;

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    type          TEXT NOT NULL,
    numbers       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(numbers) AND json_type(numbers) = 'array'),
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error_code    TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    result        TEXT CHECK (result IS NULL OR json_valid(result)),
    changes       TEXT CHECK (changes IS NULL OR json_valid(changes)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT
) STRICT;

-- ListJobs: newest first, across orgs or in one.
CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_org_created ON jobs (org_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE jobs;
DROP TABLE applications;
DROP TABLE links;
DROP TABLE targets;
DROP TABLE numbers;
DROP TABLE connections;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE orgs;
