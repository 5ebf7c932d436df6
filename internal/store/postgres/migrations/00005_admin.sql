-- The admin dashboard: why a job failed (its reason, one of store.Reason*,
-- decided by the worker's one categorization) and the provider it ran on,
-- so failures group by reason, provider and org; and the record of every
-- admin action (who, when, what, how many).
--
-- This migration depends on 00001 and 00002 only.

-- +goose Up
ALTER TABLE jobs ADD COLUMN reason text NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN provider text NOT NULL DEFAULT '';

-- CountFailures and the dashboard's failure lists: recent failures.
CREATE INDEX jobs_failed_updated ON jobs (updated_at DESC) WHERE state = 'failed';

CREATE TABLE admin_actions (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    count      integer NOT NULL CHECK (count >= 0),
    detail     text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE admin_actions;
DROP INDEX jobs_failed_updated;
ALTER TABLE jobs DROP COLUMN provider;
ALTER TABLE jobs DROP COLUMN reason;
