-- Batch imports (internal/batch), mirroring the PostgreSQL tables: a batch
-- per imported file, and a row per data line of it with the line's values
-- and outcome. A batch's counters are counted from its rows, never stored
-- (see store.Batches). Only references to credentials are kept
-- (connection_id), never credentials. Timestamps are TEXT in the
-- fixed-width UTC form of 00001_init.sql.
--
-- This migration depends on 00001 only.

-- +goose Up
CREATE TABLE batches (
    id         TEXT PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    state      TEXT NOT NULL CHECK (state IN ('importing', 'imported', 'canceled')),
    provider   TEXT NOT NULL,
    account    TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    strict     INTEGER NOT NULL CHECK (strict IN (0, 1)),
    row_count  INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, id)
) STRICT;

CREATE TABLE batch_rows (
    org_id        INTEGER NOT NULL,
    batch_id      TEXT NOT NULL,
    line          INTEGER NOT NULL,
    phone_number  TEXT NOT NULL,
    provider      TEXT NOT NULL,
    account       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    e164          TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
        ('invalid', 'skipped', 'pending', 'queued', 'succeeded', 'failed', 'canceled')),
    column_name   TEXT NOT NULL,
    code          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    run           INTEGER NOT NULL DEFAULT 0,
    job_id        TEXT NOT NULL,
    PRIMARY KEY (batch_id, line),
    FOREIGN KEY (org_id, batch_id) REFERENCES batches (org_id, id)
) STRICT;

-- CountBatchRows and the enqueuer's pages of pending rows.
CREATE INDEX batch_rows_status ON batch_rows (batch_id, status, line);
-- FinishBatchRows: the worker finds a job's rows by its id.
CREATE INDEX batch_rows_job ON batch_rows (job_id) WHERE job_id <> '';
-- NumbersInUse: a number pending or queued in another batch.
CREATE INDEX batch_rows_open ON batch_rows (org_id, e164) WHERE status IN ('pending', 'queued');

-- +goose Down
DROP TABLE batch_rows;
DROP TABLE batches;
