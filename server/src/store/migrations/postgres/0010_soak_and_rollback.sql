-- Soak and rollback of an upgrade.

-- Wheelhouse: a run is an upgrade, a rollback of the control plane and the pools, or the
-- rollback of one pool (pool_id). A minor upgrade may keep the previous minor's behaviour for a
-- soak period: until soak_until (milliseconds) the cluster can be rolled back.
ALTER TABLE upgrade_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'upgrade';
ALTER TABLE upgrade_runs ADD COLUMN pool_id TEXT;
ALTER TABLE upgrade_runs ADD COLUMN soak_until BIGINT;
