-- numbers_org_user (org_id, user_id) served no query: no statement selects
-- numbers by user, and users are never deleted, so the foreign key to
-- users never looks up its referencing rows either. It cost every insert an
-- index write, and on PostgreSQL it did harm: on a table without
-- statistics yet (a new deployment, the first minute of a busy import),
-- `org_id = $1 AND e164 = $2` and `org_id = $1 AND id = $2` tie on cost
-- between it and the unique indexes, the planner took it, and the pooled
-- connections kept that generic plan, so each add-phone read every number
-- of its org (twice: 1,000 heap fetches a job at 500 numbers).
--
-- This migration depends on 00001 only.

-- +goose Up
DROP INDEX numbers_org_user;

-- +goose Down
CREATE INDEX numbers_org_user ON numbers (org_id, user_id);
