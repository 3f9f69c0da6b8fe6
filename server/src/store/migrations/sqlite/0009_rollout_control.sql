-- Pause, resume and abort of an upgrade's rollout.

-- Sandbox: a cluster's rollout on hold ('pause' or 'abort'), read by its reconciler before each
-- new wave (a wave under way always finishes: nothing is left half-drained).
CREATE TABLE rollout_holds (
    cluster_id TEXT PRIMARY KEY REFERENCES clusters (id) ON DELETE CASCADE,
    hold       TEXT NOT NULL,
    set_at     BIGINT NOT NULL
);

-- Wheelhouse: where an upgrade stands as its owner steered it: running, paused or aborted.
ALTER TABLE upgrade_runs ADD COLUMN state TEXT NOT NULL DEFAULT 'running';
