-- Autohealing, carried out by Wheelhouse through the port: since when each node of an
-- autohealing pool has been NotReady, and what was done about it (a reboot at 15 minutes, a
-- replacement at 30); and each pool's cap (the share of its nodes that may be unhealthy at
-- once before autohealing stops for it, in percent; 30 unless set).
CREATE TABLE node_health (
    node_id         TEXT PRIMARY KEY,
    cluster_id      TEXT NOT NULL,
    pool_id         TEXT NOT NULL,
    node_name       TEXT NOT NULL,
    not_ready_since BIGINT NOT NULL,
    rebooted_at     BIGINT,
    replaced_at     BIGINT
);
CREATE INDEX node_health_cluster ON node_health (cluster_id);

CREATE TABLE pool_autohealing_caps (
    pool_id     TEXT PRIMARY KEY,
    cluster_id  TEXT NOT NULL,
    cap_percent BIGINT NOT NULL
);
