-- ListBatches (the admin dashboard's batches page) answers the newest
-- batches of every org: an index in that order, so the page reads its 50
-- rows instead of sorting every batch ever imported.
--
-- This migration depends on 00004 only.

-- +goose Up
CREATE INDEX batches_created ON batches (created_at DESC, id DESC);

-- +goose Down
DROP INDEX batches_created;
