-- Indexes the planner chose wrongly, found by counting the rows each
-- statement of an add-phone job and of an import page read
-- (docs/benchmarks.md, "Planner statistics").
--
-- numbers_org_user (org_id, user_id) served no statement: none selects
-- numbers by user, and users are never deleted, so the foreign key to users
-- never looks up its referencing rows either. It cost every insert an index
-- write, and on a PostgreSQL table without statistics yet the planner took
-- it for "org_id = ? AND e164 = ?", reading every number of the org.
--
-- batch_rows_open (org_id, e164) WHERE status IN ('pending', 'queued')
-- becomes batch_rows_e164 (e164, org_id) on every row. Led by org_id, and
-- sized by statistics that rarely see open rows (a table of finished
-- imports has none), it was the planner's choice for the import's page
-- updates, "org_id = ? AND batch_id = ? AND line = ANY(?) AND status =
-- ANY(?)": each page read every open row of the org, and by the end of a
-- 100,000-row file a page's update took about 100 ms. Led by e164, it can
-- serve only what it is for, NumbersInUse's lookup of one number.
--
-- This migration depends on 00001 and 00004 only.

-- +goose Up
DROP INDEX numbers_org_user;
DROP INDEX batch_rows_open;
CREATE INDEX batch_rows_e164 ON batch_rows (e164, org_id);

-- +goose Down
DROP INDEX batch_rows_e164;
CREATE INDEX batch_rows_open ON batch_rows (org_id, e164) WHERE status IN ('pending', 'queued');
CREATE INDEX numbers_org_user ON numbers (org_id, user_id);
