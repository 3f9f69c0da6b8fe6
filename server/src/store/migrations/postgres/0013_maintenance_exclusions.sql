-- Maintenance exclusions, kept by Wheelhouse: date ranges during which a cluster is left alone
-- (scope: no_upgrades, no_minor_upgrades or no_node_replacement), read by node lifespans, by
-- patch auto-upgrades and by the upgrade pre-flight.
CREATE TABLE maintenance_exclusions (
    id         TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    project_id TEXT NOT NULL,
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    scope      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX maintenance_exclusions_cluster ON maintenance_exclusions (cluster_id, ends_at);
