-- Every application id switchboard ever recorded on a connection, insert
-- only. applications keeps the current id per route name and replaces it
-- (a recreated or deduplicated application); this table keeps them all, so
-- a number still on an earlier one is known to be switchboard's. A
-- connection's application that is not here is someone else's, whatever
-- its name (store.ApplicationRecorded). Existing ids are copied over.
--
-- This migration depends on 00001 only.

-- +goose Up
CREATE TABLE recorded_applications (
    connection_id text NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    app_id        text NOT NULL,
    name          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, app_id)
);
INSERT INTO recorded_applications (connection_id, app_id, name, created_at)
    SELECT connection_id, app_id, name, created_at FROM applications;

-- +goose Down
DROP TABLE recorded_applications;
