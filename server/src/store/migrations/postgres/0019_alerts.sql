-- Alerts: what the alert rules (services/alerts/rules.rs) found wrong with a cluster or a
-- project (then the cluster columns are NULL), one row per occurrence. An occurrence is
-- identified by its fingerprint (rule, cluster or project, and target); at most one occurrence
-- per fingerprint is open (pending or firing) at a time, which the partial unique index
-- enforces across replicas. Times are unix milliseconds.
-- `evidence` (JSON) is frozen when the alert fires; `recommendation` (JSON) is the rule's.
CREATE TABLE alerts (
    id                   TEXT PRIMARY KEY,
    fingerprint          TEXT NOT NULL,
    organization_id      TEXT NOT NULL,
    project_id           TEXT NOT NULL,
    region               TEXT,
    cluster_id           TEXT,
    cluster_name         TEXT,
    rule                 TEXT NOT NULL,
    severity             TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    owner                TEXT NOT NULL CHECK (owner IN ('provider', 'user')),
    target_kind          TEXT NOT NULL,
    target_id            TEXT NOT NULL,
    target_name          TEXT NOT NULL,
    summary              TEXT NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    active_since         BIGINT NOT NULL,
    fired_at             BIGINT,
    resolved_at          BIGINT,
    evidence             TEXT,
    recommendation       TEXT NOT NULL,
    acknowledged_by      TEXT,
    acknowledged_at      BIGINT,
    acknowledgement_note TEXT
);
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE state <> 'resolved';
CREATE INDEX alerts_cluster ON alerts (cluster_id, state);
CREATE INDEX alerts_project ON alerts (project_id, state);

-- Silences: while one is in force (created_at <= now < expires_at), the alerts of its project
-- that match every matcher it sets (cluster, rule, severity; at least one) are shown as
-- silenced. Ending a silence early sets its expiry to that moment; rows are never deleted.
CREATE TABLE alert_silences (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    cluster_id      TEXT,
    rule            TEXT,
    severity        TEXT,
    reason          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX alert_silences_project ON alert_silences (project_id, expires_at);
