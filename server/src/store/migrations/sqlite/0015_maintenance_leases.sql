-- Which server's maintenance pass acts on a cluster, until when (milliseconds): with several
-- replicas on one database only the holder replaces or reboots a cluster's nodes or starts its
-- auto-upgrade, so two passes never each start a replacement in the same pool. A lease is
-- taken by a conditional upsert and lapses on its own when its holder stops.
CREATE TABLE maintenance_leases (
    cluster_id TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    until      BIGINT NOT NULL
);
