-- Cancelling a retrying job from the admin dashboard or the HTTP API
-- (POST /v1/jobs/{id}/cancel): who asked and when. The request is set on
-- a job that has not finished; the worker honours it at the start of the
-- job's next attempt (or when a running attempt fails) by ending the job
-- failed with code "cancelled", releasing its claims as any failure does.
-- SaveJob never writes these columns, so the worker's saves keep them.
--
-- This migration depends on 00001 only.

-- +goose Up
ALTER TABLE jobs ADD COLUMN cancel_requested_by text NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN cancel_requested_at timestamptz;

-- +goose Down
ALTER TABLE jobs DROP COLUMN cancel_requested_at;
ALTER TABLE jobs DROP COLUMN cancel_requested_by;
