-- A number is claimed before the provider is touched: an add job inserts it
-- as ADDING and makes it ACTIVE once the provider routes it. Rows from
-- before this migration are ACTIVE.
--
-- A number at a provider is managed by one org at most: (provider,
-- provider_ref) is unique across orgs where the provider's id is known.
-- Creating the index fails if two rows already share one; resolve those
-- (the later org's row is the one to remove) and migrate again.
--
-- A job record is one run of a request; runs of the same request share
-- jobs.request, and ListJobs lists a request's history newest first.
--
-- An application id is saved with a fencing token: a save with a lower
-- fence than the stored one (a worker whose lock has since passed to
-- another) changes nothing.

-- +goose Up
ALTER TABLE numbers ADD COLUMN state text NOT NULL DEFAULT 'ACTIVE'
    CONSTRAINT numbers_state_check CHECK (state IN ('ADDING', 'ACTIVE'));

CREATE UNIQUE INDEX numbers_provider_ref ON numbers (provider, provider_ref)
    WHERE provider_ref <> '';

ALTER TABLE jobs ADD COLUMN request text NOT NULL DEFAULT '';

CREATE INDEX jobs_org_request ON jobs (org_id, request, created_at DESC, id DESC);

ALTER TABLE applications ADD COLUMN fence bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE applications DROP COLUMN fence;
DROP INDEX jobs_org_request;
ALTER TABLE jobs DROP COLUMN request;
DROP INDEX numbers_provider_ref;
ALTER TABLE numbers DROP COLUMN state;
