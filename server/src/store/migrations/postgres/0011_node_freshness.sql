-- Node freshness, kept by Wheelhouse above the provisioning port: a pool's node lifespan, a
-- cluster's maintenance window, and the record of each replacement a lifespan started (the
-- evidence, and the guard against replacing a node twice).
CREATE TABLE pool_lifespans (
    pool_id           TEXT PRIMARY KEY,
    cluster_id        TEXT NOT NULL,
    region            TEXT NOT NULL,
    project_id        TEXT NOT NULL,
    max_node_age_days BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX pool_lifespans_cluster ON pool_lifespans (cluster_id);

CREATE TABLE maintenance_windows (
    cluster_id     TEXT PRIMARY KEY,
    region         TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    days           TEXT NOT NULL,             -- weekday names, comma-separated
    start_hour     BIGINT NOT NULL,           -- UTC
    duration_hours BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE lifespan_replacements (
    node_id     TEXT PRIMARY KEY,
    cluster_id  TEXT NOT NULL,
    pool_id     TEXT NOT NULL,
    node_name   TEXT NOT NULL,
    expired_at  BIGINT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX lifespan_replacements_cluster ON lifespan_replacements (cluster_id, replaced_at);
