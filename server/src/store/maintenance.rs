//! Wheelhouse's maintenance windows and exclusions (per cluster), as stored; the maintenance
//! service gives them their types and rules.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::rows::{millis, rows_of_clusters, time};
use super::Database;

/// Where a row belongs: the cluster, its region and its project.
pub struct Owner<'a> {
    pub cluster_id: &'a str,
    pub region: &'a str,
    pub project_id: &'a str,
}

/// A window as stored: days comma-separated.
pub struct WindowRecord {
    pub cluster_id: String,
    pub days: Vec<String>,
    pub start_hour: i64,
    pub duration_hours: i64,
}

/// An exclusion as stored; its scope as written (a newer version may write one this one does
/// not know).
pub struct ExclusionRecord {
    pub cluster_id: String,
    pub id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub scope: String,
    pub reason: String,
}

/// Sets a cluster's window, replacing the one it had.
pub async fn upsert_window(
    conn: &mut AnyConnection,
    owner: Owner<'_>,
    days: &[String],
    start_hour: i64,
    duration_hours: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO maintenance_windows (cluster_id, region, project_id, days, start_hour, duration_hours, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (cluster_id) DO UPDATE SET \
         days = excluded.days, start_hour = excluded.start_hour, duration_hours = excluded.duration_hours, updated_at = excluded.updated_at",
    )
    .bind(owner.cluster_id)
    .bind(owner.region)
    .bind(owner.project_id)
    .bind(days.join(","))
    .bind(start_hour)
    .bind(duration_hours)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds an exclusion to a cluster.
pub async fn insert_exclusion(
    conn: &mut AnyConnection,
    owner: Owner<'_>,
    exclusion: &ExclusionRecord,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO maintenance_exclusions (id, cluster_id, region, project_id, starts_at, ends_at, scope, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&exclusion.id)
    .bind(owner.cluster_id)
    .bind(owner.region)
    .bind(owner.project_id)
    .bind(millis(exclusion.starts_at))
    .bind(millis(exclusion.ends_at))
    .bind(&exclusion.scope)
    .bind(&exclusion.reason)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes one of a cluster's exclusions; false when it has none by that id.
pub async fn delete_exclusion(
    conn: &mut AnyConnection,
    cluster_id: &str,
    exclusion_id: &str,
) -> Result<bool, sqlx::Error> {
    let removed =
        sqlx::query("DELETE FROM maintenance_exclusions WHERE id = $1 AND cluster_id = $2")
            .bind(exclusion_id)
            .bind(cluster_id)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(removed > 0)
}

/// The windows of one cluster or, with `None`, of every cluster.
pub async fn windows(
    database: &Database,
    cluster: Option<&str>,
) -> Result<Vec<WindowRecord>, sqlx::Error> {
    rows_of_clusters(
        database,
        "SELECT cluster_id, days, start_hour, duration_hours FROM maintenance_windows WHERE 1 = 1{cluster}",
        None,
        cluster,
    )
    .await?
    .iter()
    .map(|row| {
        Ok(WindowRecord {
            cluster_id: row.try_get("cluster_id")?,
            days: row
                .try_get::<String, _>("days")?
                .split(',')
                .map(str::to_string)
                .collect(),
            start_hour: row.try_get("start_hour")?,
            duration_hours: row.try_get("duration_hours")?,
        })
    })
    .collect()
}

/// The exclusions of one cluster (or every cluster) that have not ended by `now`, soonest
/// first.
pub async fn exclusions(
    database: &Database,
    cluster: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<ExclusionRecord>, sqlx::Error> {
    rows_of_clusters(
        database,
        "SELECT cluster_id, id, starts_at, ends_at, scope, reason FROM maintenance_exclusions \
         WHERE ends_at > $1{cluster} ORDER BY starts_at, id",
        Some(millis(now)),
        cluster,
    )
    .await?
    .iter()
    .map(|row| {
        Ok(ExclusionRecord {
            cluster_id: row.try_get("cluster_id")?,
            id: row.try_get("id")?,
            starts_at: time(row.try_get("starts_at")?),
            ends_at: time(row.try_get("ends_at")?),
            scope: row.try_get("scope")?,
            reason: row.try_get("reason")?,
        })
    })
    .collect()
}
