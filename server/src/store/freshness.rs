//! Keeping nodes fresh, as stored: pools' lifespans and autohealing caps, what Wheelhouse knows
//! of NotReady nodes, the replacements a lifespan started, and the leases of maintenance passes.
//! The freshness service gives these rows their types and rules.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::rows::{millis, rows_of_clusters, time};
use super::Database;

/// A number set on one pool: a lifespan in days, or an autohealing cap in percent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolNumber {
    pub cluster_id: String,
    pub pool_id: String,
    pub value: u32,
}

/// What Wheelhouse recorded of a NotReady node, and of what it did about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthRecord {
    pub cluster_id: String,
    pub node_id: String,
    pub not_ready_since: DateTime<Utc>,
    pub rebooted_at: Option<DateTime<Utc>>,
    pub replaced_at: Option<DateTime<Utc>>,
}

/// What autohealing does to a watched node, each recorded in a column of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthRemedy {
    Reboot,
    Replace,
}

impl HealthRemedy {
    fn column(self) -> &'static str {
        match self {
            HealthRemedy::Reboot => "rebooted_at",
            HealthRemedy::Replace => "replaced_at",
        }
    }
}

/// A node replacement a lifespan started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplacementRecord {
    pub node_name: String,
    pub expired_at: DateTime<Utc>,
    pub replaced_at: DateTime<Utc>,
}

/// A cluster Wheelhouse owns, with its region, project and the project's organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRecord {
    pub cluster_id: String,
    pub region: String,
    pub project_id: String,
    pub organization_id: String,
}

/// The tables holding a cluster's maintenance settings and bookkeeping, emptied of it once it
/// is gone.
const CLUSTER_TABLES: [&str; 5] = [
    "pool_lifespans",
    "maintenance_windows",
    "maintenance_exclusions",
    "node_health",
    "pool_autohealing_caps",
];

/// `SELECT cluster_id, pool_id, <n> AS n …` for one cluster or the fleet, on a connection of its own.
async fn pool_numbers(
    database: &Database,
    sql: &str,
    cluster: Option<&str>,
) -> Result<Vec<PoolNumber>, sqlx::Error> {
    rows_of_clusters(database, sql, None, cluster)
        .await?
        .iter()
        .map(|row| {
            Ok(PoolNumber {
                cluster_id: row.try_get("cluster_id")?,
                pool_id: row.try_get("pool_id")?,
                value: row.try_get::<i64, _>("n")? as u32,
            })
        })
        .collect()
}

/// Pools' lifespans in days, of one cluster or of the fleet (pools without one are absent).
pub async fn lifespans(
    database: &Database,
    cluster: Option<&str>,
) -> Result<Vec<PoolNumber>, sqlx::Error> {
    pool_numbers(
        database,
        "SELECT cluster_id, pool_id, max_node_age_days AS n FROM pool_lifespans WHERE 1 = 1{cluster}",
        cluster,
    )
    .await
}

/// Sets a pool's lifespan in days, or changes the one it has.
pub async fn set_lifespan(
    conn: &mut AnyConnection,
    pool_id: &str,
    cluster_id: &str,
    region: &str,
    project_id: &str,
    days: u32,
    updated_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pool_lifespans (pool_id, cluster_id, region, project_id, max_node_age_days, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pool_id) DO UPDATE SET \
         max_node_age_days = excluded.max_node_age_days, updated_at = excluded.updated_at",
    )
    .bind(pool_id)
    .bind(cluster_id)
    .bind(region)
    .bind(project_id)
    .bind(i64::from(days))
    .bind(millis(updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Turns a pool's lifespan off.
pub async fn clear_lifespan(conn: &mut AnyConnection, pool_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM pool_lifespans WHERE pool_id = $1")
        .bind(pool_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Pools' autohealing caps in percent, of one cluster or of the fleet (pools on the default
/// are absent).
pub async fn autohealing_caps(
    database: &Database,
    cluster: Option<&str>,
) -> Result<Vec<PoolNumber>, sqlx::Error> {
    pool_numbers(
        database,
        "SELECT cluster_id, pool_id, cap_percent AS n FROM pool_autohealing_caps WHERE 1 = 1{cluster}",
        cluster,
    )
    .await
}

/// Sets a pool's autohealing cap in percent, or changes the one it has.
pub async fn set_autohealing_cap(
    conn: &mut AnyConnection,
    pool_id: &str,
    cluster_id: &str,
    cap_percent: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pool_autohealing_caps (pool_id, cluster_id, cap_percent) VALUES ($1, $2, $3) \
         ON CONFLICT (pool_id) DO UPDATE SET cap_percent = excluded.cap_percent",
    )
    .bind(pool_id)
    .bind(cluster_id)
    .bind(i64::from(cap_percent))
    .execute(conn)
    .await?;
    Ok(())
}

/// The NotReady nodes watched, of one cluster or of the fleet, on a connection of its own.
pub async fn node_health(
    database: &Database,
    cluster: Option<&str>,
) -> Result<Vec<HealthRecord>, sqlx::Error> {
    rows_of_clusters(
        database,
        "SELECT cluster_id, node_id, not_ready_since, rebooted_at, replaced_at FROM node_health WHERE 1 = 1{cluster}",
        None,
        cluster,
    )
    .await?
    .iter()
    .map(|row| {
        Ok(HealthRecord {
            cluster_id: row.try_get("cluster_id")?,
            node_id: row.try_get("node_id")?,
            not_ready_since: time(row.try_get("not_ready_since")?),
            rebooted_at: row.try_get::<Option<i64>, _>("rebooted_at")?.map(time),
            replaced_at: row.try_get::<Option<i64>, _>("replaced_at")?.map(time),
        })
    })
    .collect()
}

/// Starts watching a node NotReady since `since`; a node already watched keeps its record.
pub async fn watch_node(
    conn: &mut AnyConnection,
    node_id: &str,
    cluster_id: &str,
    pool_id: &str,
    node_name: &str,
    since: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO node_health (node_id, cluster_id, pool_id, node_name, not_ready_since) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node_id) DO NOTHING",
    )
    .bind(node_id)
    .bind(cluster_id)
    .bind(pool_id)
    .bind(node_name)
    .bind(millis(since))
    .execute(conn)
    .await?;
    Ok(())
}

/// Stops watching a node (Ready again, or gone).
pub async fn unwatch_node(conn: &mut AnyConnection, node_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM node_health WHERE node_id = $1")
        .bind(node_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records `remedy` as done on a watched node at `at`, only if it was not yet (a conditional
/// update): true when this call recorded it, so a crash never repeats it and of two replicas'
/// passes only one acts.
pub async fn claim_remedy(
    conn: &mut AnyConnection,
    node_id: &str,
    remedy: HealthRemedy,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let column = remedy.column();
    let claimed = sqlx::query(&format!(
        "UPDATE node_health SET {column} = $1 WHERE node_id = $2 AND {column} IS NULL"
    ))
    .bind(millis(at))
    .bind(node_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(claimed != 0)
}

/// Forgets a claimed remedy that did not happen (refused), so a later pass may try again.
pub async fn release_remedy(
    conn: &mut AnyConnection,
    node_id: &str,
    remedy: HealthRemedy,
) -> Result<(), sqlx::Error> {
    let column = remedy.column();
    sqlx::query(&format!(
        "UPDATE node_health SET {column} = NULL WHERE node_id = $1"
    ))
    .bind(node_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a lifespan replacement before it starts, only if the node has none yet (insert or
/// nothing): true when this call recorded it, so a crash never replaces a node twice.
pub async fn record_replacement(
    conn: &mut AnyConnection,
    node_id: &str,
    cluster_id: &str,
    pool_id: &str,
    node_name: &str,
    expired_at: DateTime<Utc>,
    replaced_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let fresh = sqlx::query(
        "INSERT INTO lifespan_replacements (node_id, cluster_id, pool_id, node_name, expired_at, replaced_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (node_id) DO NOTHING",
    )
    .bind(node_id)
    .bind(cluster_id)
    .bind(pool_id)
    .bind(node_name)
    .bind(millis(expired_at))
    .bind(millis(replaced_at))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(fresh != 0)
}

/// Forgets a node's lifespan replacement (refused), so a later pass tries again.
pub async fn forget_replacement(
    conn: &mut AnyConnection,
    node_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM lifespan_replacements WHERE node_id = $1")
        .bind(node_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The last 100 replacements a lifespan started on a cluster, newest first.
pub async fn replacements(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<ReplacementRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT node_name, expired_at, replaced_at FROM lifespan_replacements WHERE cluster_id = $1 ORDER BY replaced_at DESC LIMIT 100",
    )
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ReplacementRecord {
                node_name: row.try_get("node_name")?,
                expired_at: time(row.try_get("expired_at")?),
                replaced_at: time(row.try_get("replaced_at")?),
            })
        })
        .collect()
}

/// Every cluster Wheelhouse owns with its project's organization, on a connection of its own.
pub async fn owners(database: &Database) -> Result<Vec<OwnerRecord>, sqlx::Error> {
    let mut conn = database.pool().acquire().await?;
    let rows = sqlx::query(
        "SELECT o.cluster_id, o.region, o.project_id, p.organization_id \
         FROM cluster_owners o JOIN projects p ON p.id = o.project_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    rows.iter()
        .map(|row| {
            Ok(OwnerRecord {
                cluster_id: row.try_get("cluster_id")?,
                region: row.try_get("region")?,
                project_id: row.try_get("project_id")?,
                organization_id: row.try_get("organization_id")?,
            })
        })
        .collect()
}

/// Deletes a removed cluster's rows from each maintenance table, one table after the other.
pub async fn forget_cluster(conn: &mut AnyConnection, cluster_id: &str) -> Result<(), sqlx::Error> {
    for table in CLUSTER_TABLES {
        sqlx::query(&format!("DELETE FROM {table} WHERE cluster_id = $1"))
            .bind(cluster_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
