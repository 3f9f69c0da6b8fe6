-- Console identity: people who sign in with an email and a password (argon2id hash only), the
-- projects they belong to with a role, their sessions (only a hash of the cookie's token is
-- kept, so a leaked table opens no session), and recent failed sign-ins for rate limiting.
CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,          -- lower-cased
    password_hash       TEXT NOT NULL,                 -- PHC string, argon2id
    is_operator         BOOLEAN NOT NULL,              -- the provider's operators
    created_at          BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,                          -- owner, editor or viewer
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, project_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id        TEXT PRIMARY KEY,
    email     TEXT NOT NULL,
    address   TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, failed_at);
CREATE INDEX login_failures_address ON login_failures (address, failed_at);
