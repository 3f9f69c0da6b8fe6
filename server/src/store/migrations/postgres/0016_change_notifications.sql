-- Every write to a sandbox cluster, pool or node, and to an upgrade run, notifies the
-- `wheelhouse_changes` channel with the cluster's id, so each replica's live views (listening
-- on it) update at once whichever replica wrote. Identical notifications of one transaction
-- are delivered once.
CREATE FUNCTION wheelhouse_notify_change() RETURNS trigger AS $$
DECLARE
    changed RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    IF TG_TABLE_NAME = 'clusters' THEN
        PERFORM pg_notify('wheelhouse_changes', changed.id);
    ELSE
        PERFORM pg_notify('wheelhouse_changes', changed.cluster_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER clusters_notify AFTER INSERT OR UPDATE OR DELETE ON clusters
    FOR EACH ROW EXECUTE FUNCTION wheelhouse_notify_change();
CREATE TRIGGER pools_notify AFTER INSERT OR UPDATE OR DELETE ON pools
    FOR EACH ROW EXECUTE FUNCTION wheelhouse_notify_change();
CREATE TRIGGER nodes_notify AFTER INSERT OR UPDATE OR DELETE ON nodes
    FOR EACH ROW EXECUTE FUNCTION wheelhouse_notify_change();
CREATE TRIGGER upgrade_runs_notify AFTER INSERT OR UPDATE OR DELETE ON upgrade_runs
    FOR EACH ROW EXECUTE FUNCTION wheelhouse_notify_change();
