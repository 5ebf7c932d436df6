-- The admin dashboard's job page: each attempt of a run with its error and
-- times (store.JobAttempt), a JSON array kept in the job's record. The
-- worker writes it in the save it already makes when an attempt ends, so
-- the hot path gains no write and no commit.
--
-- This migration depends on 00001 only.

-- +goose Up
ALTER TABLE jobs ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(attempt_log));

-- +goose Down
ALTER TABLE jobs DROP COLUMN attempt_log;
