//! The sandbox's etcd snapshots of its clusters (table `sandbox_etcd_snapshots`).

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::rows::{get_time, millis};

#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotRow {
    pub id: String,
    pub cluster_id: String,
    pub taken_at: DateTime<Utc>,
    pub size_bytes: i64,
    pub reason: String,
    pub state: String,
    pub content: String,
    pub checksum: String,
}

pub const AVAILABLE: &str = "available";
pub const CORRUPT: &str = "corrupt";
pub const MISSING: &str = "missing";

const COLUMNS: &str = "id, cluster_id, taken_at, size_bytes, reason, state, content, checksum";

fn from_row(row: &AnyRow) -> Result<SnapshotRow, sqlx::Error> {
    Ok(SnapshotRow {
        id: row.try_get("id")?,
        cluster_id: row.try_get("cluster_id")?,
        taken_at: get_time(row, "taken_at")?,
        size_bytes: row.try_get("size_bytes")?,
        reason: row.try_get("reason")?,
        state: row.try_get("state")?,
        content: row.try_get("content")?,
        checksum: row.try_get("checksum")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, snapshot: &SnapshotRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO sandbox_etcd_snapshots ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&snapshot.id)
    .bind(&snapshot.cluster_id)
    .bind(millis(snapshot.taken_at))
    .bind(snapshot.size_bytes)
    .bind(&snapshot.reason)
    .bind(&snapshot.state)
    .bind(&snapshot.content)
    .bind(&snapshot.checksum)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<SnapshotRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sandbox_etcd_snapshots WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The cluster's snapshots, newest first.
pub async fn of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<SnapshotRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sandbox_etcd_snapshots WHERE cluster_id = $1 ORDER BY taken_at DESC, id DESC"
    ))
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Marks a snapshot corrupt or missing (a fault) or available again; whether it exists.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: &str,
    state: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE sandbox_etcd_snapshots SET state = $2 WHERE id = $1")
        .bind(id)
        .bind(state)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Up to `limit` settled clusters (ready or pool_required) with no snapshot taken since
/// `since`: those a periodic snapshot is due for.
pub async fn clusters_due(
    conn: &mut AnyConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.id FROM clusters c WHERE c.status IN ('ready', 'pool_required') \
         AND NOT EXISTS (SELECT 1 FROM sandbox_etcd_snapshots s WHERE s.cluster_id = c.id AND s.taken_at > $1) \
         ORDER BY c.id LIMIT $2",
    )
    .bind(millis(since))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Forgets periodic snapshots taken before `before` (the others are kept as long as the
/// cluster: what an undo or a rollback may need).
pub async fn prune_periodic(
    conn: &mut AnyConnection,
    before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM sandbox_etcd_snapshots WHERE reason = 'periodic' AND taken_at < $1",
    )
    .bind(millis(before))
    .execute(conn)
    .await?
    .rows_affected())
}

/// Every workload object's API use and every PDB of the cluster are forgotten (a restore of
/// etcd's contents writes the snapshot's in their place).
pub async fn clear_etcd_objects(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM workload_inventory WHERE cluster_id = $1")
        .bind(cluster_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM pod_disruption_budgets WHERE cluster_id = $1")
        .bind(cluster_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
