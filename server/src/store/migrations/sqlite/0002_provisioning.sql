-- The provisioning domain: versions catalog, clusters, pools, nodes, ACL rules, the operations
-- the reconciler advances, and the events it records. Times are unix milliseconds.
-- JSON columns (lists and maps) are TEXT holding JSON, written and read by the server only.

CREATE TABLE kube_versions (
    name                 TEXT PRIMARY KEY,     -- "1.31.2"
    label                TEXT NOT NULL,        -- "Kubernetes 1.31.2"
    released_at          BIGINT NOT NULL,
    deprecated_at        BIGINT,               -- no new clusters from then on
    end_of_life_at       BIGINT,               -- forced upgrade to the next minor from then on
    available_cnis       TEXT NOT NULL,        -- JSON list
    available_runtimes   TEXT NOT NULL,        -- JSON list
    feature_gates        TEXT NOT NULL,        -- JSON list
    admission_plugins    TEXT NOT NULL,        -- JSON list
    kubelet_args         TEXT NOT NULL,        -- JSON map name -> type
    removed_apis         TEXT NOT NULL,        -- JSON list of group/version/kind removed in this minor
    changelog            TEXT NOT NULL         -- JSON list of lines
);

CREATE TABLE clusters (
    id                     TEXT PRIMARY KEY,
    project_id             TEXT NOT NULL REFERENCES projects (id),
    organization_id        TEXT NOT NULL,
    region                 TEXT NOT NULL,
    name                   TEXT NOT NULL,
    description            TEXT NOT NULL,
    cluster_type           TEXT NOT NULL,
    version                TEXT NOT NULL,      -- the control plane's version
    target_version         TEXT,               -- set while an upgrade is under way
    cni                    TEXT NOT NULL,
    status                 TEXT NOT NULL,
    tags                   TEXT NOT NULL,      -- JSON list
    feature_gates          TEXT NOT NULL,      -- JSON list
    admission_plugins      TEXT NOT NULL,      -- JSON list
    apiserver_cert_sans    TEXT NOT NULL,      -- JSON list
    autoscaler_config      TEXT NOT NULL,      -- JSON object
    open_id_connect_config TEXT NOT NULL,      -- JSON object
    auto_upgrade_enabled   INTEGER NOT NULL,
    maintenance_day        TEXT NOT NULL,
    maintenance_start_hour BIGINT NOT NULL,
    pod_cidr               TEXT NOT NULL,
    service_cidr           TEXT NOT NULL,
    service_dns_ip         TEXT NOT NULL,
    private_network_id     TEXT,
    admin_token            TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX clusters_project ON clusters (project_id, created_at);

CREATE TABLE cluster_acl_rules (
    id              TEXT PRIMARY KEY,
    cluster_id      TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    ip              TEXT,                      -- CIDR; NULL when scaleway_ranges
    scaleway_ranges INTEGER NOT NULL,
    description     TEXT NOT NULL,
    position        BIGINT NOT NULL
);
CREATE INDEX cluster_acl_rules_cluster ON cluster_acl_rules (cluster_id, position);

CREATE TABLE pools (
    id                 TEXT PRIMARY KEY,
    cluster_id         TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    region             TEXT NOT NULL,
    zone               TEXT NOT NULL,
    name               TEXT NOT NULL,
    node_type          TEXT NOT NULL,
    status             TEXT NOT NULL,
    version            TEXT NOT NULL,          -- the version new nodes get
    size               BIGINT NOT NULL,        -- desired node count
    min_size           BIGINT NOT NULL,
    max_size           BIGINT NOT NULL,
    autoscaling        INTEGER NOT NULL,
    autohealing        INTEGER NOT NULL,
    container_runtime  TEXT NOT NULL,
    kubelet_args       TEXT NOT NULL,          -- JSON map
    tags               TEXT NOT NULL,          -- JSON list
    root_volume_type   TEXT NOT NULL,
    root_volume_size   BIGINT NOT NULL,        -- bytes
    public_ip_disabled INTEGER NOT NULL,
    placement_group_id TEXT,
    security_group_id  TEXT NOT NULL,
    max_surge          BIGINT NOT NULL,
    max_unavailable    BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (cluster_id, name)
);
CREATE INDEX pools_cluster ON pools (cluster_id);

CREATE TABLE nodes (
    id                TEXT PRIMARY KEY,
    pool_id           TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    cluster_id        TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    region            TEXT NOT NULL,
    name              TEXT NOT NULL,
    provider_id       TEXT NOT NULL,
    status            TEXT NOT NULL,
    version           TEXT NOT NULL,           -- the kubelet version it runs
    os_image          TEXT NOT NULL,
    public_ip_v4      TEXT,
    public_ip_v6      TEXT,
    error_message     TEXT,
    conditions        TEXT NOT NULL,           -- JSON map condition -> status
    -- The sandbox's physics: a transient status ends at transition_due_at.
    transition_due_at BIGINT,
    -- An injected fault (not_ready, provisioning_failure) that the sandbox plays out.
    fault             TEXT,
    -- The operation that owns this node's current transition, if any.
    operation_id      TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX nodes_pool ON nodes (pool_id, status);
CREATE INDEX nodes_cluster ON nodes (cluster_id);
CREATE INDEX nodes_due ON nodes (transition_due_at);

-- Long-running work, advanced one idempotent step at a time. A worker claims an operation by
-- setting lease_owner/lease_expires_at with a compare-and-set update; a lease that expires (its
-- worker died) lets another worker take over at the recorded step.
CREATE TABLE operations (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    cluster_id       TEXT NOT NULL,
    target_id        TEXT NOT NULL,            -- the cluster, pool or node acted on
    params           TEXT NOT NULL,            -- JSON
    step             TEXT NOT NULL,
    state            TEXT NOT NULL,            -- pending, done, failed
    attempt          BIGINT NOT NULL,
    next_run_at      BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX operations_due ON operations (state, next_run_at);
CREATE INDEX operations_target ON operations (target_id, state);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    cluster_id  TEXT NOT NULL,
    object_kind TEXT NOT NULL,                 -- cluster, pool, node
    object_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,                 -- NodeCreated, NodeReady, UpgradeStarted, …
    message     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX events_cluster ON events (cluster_id, created_at);
