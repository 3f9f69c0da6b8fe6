-- Wheelhouse's own record of which project owns each cluster, kept above the provisioning
-- port: a remote provider is one account shared by all of Wheelhouse's projects, so tenancy
-- cannot be left to it. Clusters the sandbox already holds are recorded from its table.
CREATE TABLE cluster_owners (
    cluster_id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cluster_owners_project ON cluster_owners (project_id, region);

INSERT INTO cluster_owners (cluster_id, project_id, region, created_at)
SELECT id, project_id, region, created_at FROM clusters;

-- One-time set-up steps that must complete even across a crash (the demo seed).
CREATE TABLE setup_steps (
    name         TEXT PRIMARY KEY,
    completed_at BIGINT NOT NULL
);
