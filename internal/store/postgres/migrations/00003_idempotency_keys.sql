-- The HTTP API's idempotency keys, one row per (org, key). A row is
-- running while status is NULL and completed once the first response is
-- stored. Only a hash of the request is kept (fingerprint), never its
-- body: add-phone bodies carry provider credentials.
--
-- This migration depends on 00001 only.

-- +goose Up
CREATE TABLE idempotency_keys (
    org_id       bigint NOT NULL REFERENCES orgs (id),
    key          text NOT NULL,
    fingerprint  bytea NOT NULL,
    token        text NOT NULL,
    status       integer,
    header       jsonb CHECK (header IS NULL OR jsonb_typeof(header) = 'object'),
    body         bytea,
    created_at   timestamptz NOT NULL,
    lease_until  timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, key),
    CHECK (status IS NOT NULL OR (header IS NULL AND body IS NULL))
);

-- PurgeIdempotent: the oldest expired rows first.
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
