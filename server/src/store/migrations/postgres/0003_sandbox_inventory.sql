-- What the sandbox provider runs for each cluster besides nodes: OS images, control-plane and
-- system components (with who manages them), and what Kubernetes itself provisions for the
-- user's workloads: persistent volumes, load balancers, the APIs workloads use and their PDBs.

CREATE TABLE os_images (
    name          TEXT PRIMARY KEY,            -- "ubuntu-noble-k8s-2026-11-02"
    description   TEXT NOT NULL,
    released_at   BIGINT NOT NULL,
    superseded_at BIGINT                       -- set when a newer image replaces it
);

CREATE TABLE cluster_components (
    cluster_id TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,                  -- kube-apiserver, etcd, coredns, cilium, …
    kind       TEXT NOT NULL,                  -- control_plane or system_app
    version    TEXT NOT NULL,
    health     TEXT NOT NULL,                  -- healthy, degraded, crash_loop
    managed_by TEXT NOT NULL,                  -- provider, or user once the user changed it
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (cluster_id, name)
);

-- No foreign key to clusters: volumes and load balancers outlive a cluster deleted without
-- its additional resources (they are then released / detached, and still billed).
CREATE TABLE persistent_volumes (
    id            TEXT PRIMARY KEY,
    cluster_id    TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    storage_class TEXT NOT NULL,
    status        TEXT NOT NULL,               -- bound, released
    created_at    BIGINT NOT NULL
);
CREATE INDEX persistent_volumes_cluster ON persistent_volumes (cluster_id);

CREATE TABLE load_balancers (
    id         TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    ip         TEXT NOT NULL,
    status     TEXT NOT NULL,                  -- active, detached
    created_at BIGINT NOT NULL
);
CREATE INDEX load_balancers_cluster ON load_balancers (cluster_id);

-- The API group/versions the cluster's workloads use (for deprecation checks before upgrades).
CREATE TABLE workload_inventory (
    cluster_id  TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    api_version TEXT NOT NULL,                 -- "batch/v1", "policy/v1beta1"
    kind        TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (cluster_id, api_version, kind, namespace, name)
);

CREATE TABLE pod_disruption_budgets (
    cluster_id          TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    namespace           TEXT NOT NULL,
    name                TEXT NOT NULL,
    disruptions_allowed BIGINT NOT NULL,       -- 0 blocks every voluntary drain
    PRIMARY KEY (cluster_id, namespace, name)
);
