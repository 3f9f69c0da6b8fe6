-- Upgrades with confidence: what the pre-flight reads and what an upgrade's start records.

-- Where a PDB's pods run in the sandbox: one pod on each node of this pool (NULL: of every
-- pool), so a drain simulation knows which waves evict them.
ALTER TABLE pod_disruption_budgets ADD COLUMN pool_id TEXT;

-- How many nodes a project's pools may hold at once (an autoscaled pool counts its maximum);
-- checked on create and scale, and for surge nodes by the upgrade pre-flight.
ALTER TABLE projects ADD COLUMN node_quota BIGINT NOT NULL DEFAULT 100;

-- Every upgrade Wheelhouse started: the verdict it was started on, and for an overridden NO-GO
-- the blocking checks and the owner's written reason (the evidence of who decided what).
CREATE TABLE upgrade_runs (
    id              TEXT PRIMARY KEY,
    cluster_id      TEXT NOT NULL,
    region          TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    from_version    TEXT NOT NULL,
    to_version      TEXT NOT NULL,
    upgrade_pools   BIGINT NOT NULL,           -- 1: the pools follow the control plane
    verdict         TEXT NOT NULL,             -- go, go_with_warnings, no_go
    blocking        TEXT NOT NULL,             -- the blocking checks, one per line
    override_reason TEXT,
    started_by      TEXT NOT NULL,
    started_at      BIGINT NOT NULL
);
CREATE INDEX upgrade_runs_cluster ON upgrade_runs (cluster_id, started_at);
