-- The HTTP API's idempotency keys, one row per (org, key), mirroring the
-- PostgreSQL table. A row is running while status is NULL and completed
-- once the first response is stored. Only a hash of the request is kept
-- (fingerprint), never its body: add-phone bodies carry provider
-- credentials. Timestamps are TEXT in the fixed-width UTC form of
-- 00001_init.sql, so they compare as text.
--
-- This migration depends on 00001 only.

-- +goose Up
CREATE TABLE idempotency_keys (
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    key          TEXT NOT NULL,
    fingerprint  BLOB NOT NULL,
    token        TEXT NOT NULL,
    status       INTEGER,
    header       TEXT CHECK (header IS NULL OR (json_valid(header) AND json_type(header) = 'object')),
    body         BLOB,
    created_at   TEXT NOT NULL,
    lease_until  TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, key),
    CHECK (status IS NOT NULL OR (header IS NULL AND body IS NULL))
) STRICT;

-- PurgeIdempotent: the oldest expired rows first.
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
