-- Batch imports (internal/batch): a batch per imported file, and a row per
-- data line of it with the line's values and outcome. A batch's counters
-- are counted from its rows, never stored (see store.Batches). Only
-- references to credentials are kept (connection_id), never credentials.
--
-- This migration depends on 00001 only.

-- +goose Up
CREATE TABLE batches (
    id         text PRIMARY KEY,
    org_id     bigint NOT NULL REFERENCES orgs (id),
    state      text NOT NULL CHECK (state IN ('importing', 'imported', 'canceled')),
    provider   text NOT NULL,
    account    text NOT NULL,
    target_id  text NOT NULL,
    strict     boolean NOT NULL,
    row_count  integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);

CREATE TABLE batch_rows (
    org_id        bigint NOT NULL,
    batch_id      text NOT NULL,
    line          integer NOT NULL,
    phone_number  text NOT NULL,
    provider      text NOT NULL,
    account       text NOT NULL,
    user_id       text NOT NULL,
    target_id     text NOT NULL,
    e164          text NOT NULL,
    connection_id text NOT NULL,
    status        text NOT NULL CHECK (status IN
        ('invalid', 'skipped', 'pending', 'queued', 'succeeded', 'failed', 'canceled')),
    column_name   text NOT NULL,
    code          text NOT NULL,
    reason        text NOT NULL,
    run           integer NOT NULL DEFAULT 0,
    job_id        text NOT NULL,
    PRIMARY KEY (batch_id, line),
    FOREIGN KEY (org_id, batch_id) REFERENCES batches (org_id, id)
);

-- CountBatchRows and the enqueuer's pages of pending rows.
CREATE INDEX batch_rows_status ON batch_rows (batch_id, status, line);
-- FinishBatchRows: the worker finds a job's rows by its id.
CREATE INDEX batch_rows_job ON batch_rows (job_id) WHERE job_id <> '';
-- NumbersInUse: a number pending or queued in another batch.
CREATE INDEX batch_rows_open ON batch_rows (org_id, e164) WHERE status IN ('pending', 'queued');

-- +goose Down
DROP TABLE batch_rows;
DROP TABLE batches;
