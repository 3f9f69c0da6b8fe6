-- The audit log: one append-only log per organization. `audit_logs` is each log's head (how many
-- entries, and the right edge of its Merkle tree so a checkpoint never rereads the log); its row
-- is the lock every append takes, so one organization's entries get one gapless sequence even
-- with several replicas appending at once. `audit_entries.entry` is the entry's canonical JSON,
-- the only thing hashed and verified; the other columns copy fields of it for filtering.
-- Entries and checkpoints are never updated or deleted (triggers refuse it).
CREATE TABLE audit_logs (
    organization_id TEXT PRIMARY KEY,
    size            BIGINT NOT NULL,
    frontier        TEXT NOT NULL,
    checkpointed    BIGINT NOT NULL
);

CREATE TABLE audit_entries (
    organization_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    time_ms         BIGINT NOT NULL,
    project_id      TEXT,
    cluster_id      TEXT,
    actor           TEXT NOT NULL,
    actor_kind      TEXT NOT NULL,
    interface       TEXT NOT NULL,
    action          TEXT NOT NULL,
    target_kind     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    entry           TEXT NOT NULL,
    leaf_hash       TEXT NOT NULL,
    PRIMARY KEY (organization_id, seq)
);
CREATE INDEX audit_entries_by_cluster ON audit_entries (organization_id, cluster_id, seq);
CREATE INDEX audit_entries_by_time ON audit_entries (organization_id, time_ms);

CREATE TABLE audit_checkpoints (
    organization_id TEXT NOT NULL,
    tree_size       BIGINT NOT NULL,
    root_hash       TEXT NOT NULL,
    time_ms         BIGINT NOT NULL,
    key_id          TEXT NOT NULL,
    body            TEXT NOT NULL,
    signature       TEXT NOT NULL,
    PRIMARY KEY (organization_id, tree_size)
);

CREATE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- Viewers of a project read its audit entries unless an owner turns that off.
ALTER TABLE projects ADD COLUMN audit_for_viewers BOOLEAN NOT NULL DEFAULT TRUE;
