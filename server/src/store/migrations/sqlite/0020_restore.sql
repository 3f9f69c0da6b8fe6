-- Restore (issue 26). Two owners, two tables:
--
-- The sandbox provider's etcd snapshots of each cluster: periodic, and one before every
-- upgrade, rollback and restore. `content` is what the snapshot holds (the cluster's
-- Kubernetes objects the sandbox models: workload API usage and PDBs; its components and its
-- control-plane configuration) as JSON, `checksum` its SHA-256 (hex) taken when it was written,
-- so a snapshot whose bytes changed is found corrupt before a restore uses it. `state` is
-- available, corrupt or missing (an injected fault: the object store lost or damaged it).
CREATE TABLE sandbox_etcd_snapshots (
    id         TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    taken_at   BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    reason     TEXT NOT NULL,                  -- periodic, pre_upgrade, pre_rollback, pre_restore
    state      TEXT NOT NULL,                  -- available, corrupt, missing
    content    TEXT NOT NULL,
    checksum   TEXT NOT NULL
);
CREATE INDEX sandbox_etcd_snapshots_cluster ON sandbox_etcd_snapshots (cluster_id, taken_at);

-- Wheelhouse's record of each restore it started (and of each undo): what was asked, the
-- preview the person confirmed, the provider's restore that carries it out, the snapshot taken
-- before it (what an undo returns to) and until when it can be undone. Written in the
-- transaction that starts the provider's restore and seals its audit entry.
CREATE TABLE restore_runs (
    id                      TEXT PRIMARY KEY,
    cluster_id              TEXT NOT NULL,
    region                  TEXT NOT NULL,
    project_id              TEXT NOT NULL,
    kind                    TEXT NOT NULL,     -- restore or undo
    scope                   TEXT NOT NULL,     -- system_apps, control_plane, etcd
    snapshot_id             TEXT,              -- scope etcd: the snapshot the person picked
    provider_restore_id     TEXT NOT NULL,
    pre_restore_snapshot_id TEXT NOT NULL,
    undoes_run_id           TEXT,              -- an undo: the restore it undoes
    preview                 TEXT NOT NULL,     -- JSON: the changes the person confirmed
    started_by              TEXT NOT NULL,
    started_at              BIGINT NOT NULL,
    undo_until              BIGINT             -- a restore: the end of its undo period
);
CREATE INDEX restore_runs_cluster ON restore_runs (cluster_id, started_at);
