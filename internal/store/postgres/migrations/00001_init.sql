-- Child tables reference their parent through (org_id, id), which is why
-- users, connections, numbers and targets carry UNIQUE (org_id, id): the
-- database, not Go, refuses a number owned by another org's user or a link
-- to another org's target.

-- +goose Up
CREATE TABLE orgs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    org_id     bigint NOT NULL REFERENCES orgs (id),
    hash       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id         text PRIMARY KEY,
    org_id     bigint NOT NULL REFERENCES orgs (id),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);

CREATE TABLE connections (
    id          text PRIMARY KEY,
    org_id      bigint NOT NULL REFERENCES orgs (id),
    provider    text NOT NULL,
    account_id  text NOT NULL,
    credentials text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, provider, account_id),
    UNIQUE (org_id, id)
);

-- connection_id is NULL for a number stored without a connection; a NULL
-- column switches the composite foreign key off for that row.
CREATE TABLE numbers (
    id            text PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES orgs (id),
    user_id       text NOT NULL,
    e164          text NOT NULL,
    provider      text NOT NULL,
    connection_id text,
    provider_ref  text NOT NULL,
    voice         jsonb,
    original      jsonb,
    job_id        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, e164),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id)
);

CREATE INDEX numbers_org_user ON numbers (org_id, user_id);

CREATE TABLE targets (
    id         text PRIMARY KEY,
    org_id     bigint NOT NULL REFERENCES orgs (id),
    kind       text NOT NULL CHECK (kind IN ('app', 'agent')),
    name       text NOT NULL,
    answer_url text NOT NULL,
    hangup_url text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    UNIQUE (org_id, id)
);

-- number_id is the primary key: a number has at most one link.
CREATE TABLE links (
    org_id     bigint NOT NULL,
    number_id  text PRIMARY KEY,
    target_id  text NOT NULL,
    status     text NOT NULL,
    job_id     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz,
    FOREIGN KEY (org_id, number_id) REFERENCES numbers (org_id, id),
    FOREIGN KEY (org_id, target_id) REFERENCES targets (org_id, id) ON DELETE CASCADE
);

CREATE INDEX links_target ON links (org_id, target_id);

-- The provider's id of each application switchboard created on a
-- connection, by switchboard's name for it.
CREATE TABLE applications (
    connection_id text NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    name          text NOT NULL,
    app_id        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, name)
);

CREATE TABLE jobs (
    id            text PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES orgs (id),
    type          text NOT NULL,
    numbers       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(numbers) = 'array'),
    state         text NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    error_code    text NOT NULL DEFAULT '',
    error_message text NOT NULL DEFAULT '',
    result        jsonb,
    changes       jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);

-- ListJobs: newest first, across orgs or in one.
CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_org_created ON jobs (org_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE jobs;
DROP TABLE applications;
DROP TABLE links;
DROP TABLE targets;
DROP TABLE numbers;
DROP TABLE connections;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE orgs;
