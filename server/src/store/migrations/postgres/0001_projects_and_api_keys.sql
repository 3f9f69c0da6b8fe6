-- Tenancy root: every cluster belongs to a project; API keys are scoped to one project.
-- Times are unix milliseconds (BIGINT) in every table: both databases compare them the same way.

CREATE TABLE projects (
    id              TEXT PRIMARY KEY,          -- UUID, as Scaleway's project_id
    organization_id TEXT NOT NULL,             -- UUID
    name            TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL
);

-- The secret is never stored: only its SHA-256 (secrets are 256-bit random, so a slow hash
-- would buy nothing and cost every API request).
CREATE TABLE api_keys (
    access_key  TEXT PRIMARY KEY,              -- "SCW" + 17 characters, as Scaleway's
    secret_hash TEXT NOT NULL UNIQUE,          -- hex SHA-256 of the secret key
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);

CREATE INDEX api_keys_project ON api_keys (project_id);
