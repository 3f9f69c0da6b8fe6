//! Wheelhouse's own maintenance settings (lifespans, windows, exclusions, autohealing caps) and
//! what it knows of unhealthy nodes, read for one cluster (a report, a cluster's pass) or for
//! the whole fleet at once (the pass's planning: one query per table, whatever the number of
//! clusters). Each read is keyed by cluster id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::autoheal::Health;
use super::window::{Exclusion, ExclusionScope, MaintenanceWindow};
use super::Result;
use crate::domain::model::Cluster;
use crate::store::rows::{millis, time};
use crate::store::Database;

/// Cluster id → pool id → a number.
pub type PerPool = HashMap<String, HashMap<String, u32>>;

/// Runs `sql` (whose conditions end with `{cluster}`) for one cluster or, with `None`, for
/// every cluster; `first` is bound as `$1` when given. Two fixed statements per read, so each
/// is prepared once and the one-cluster form uses the `cluster_id` index.
async fn rows(
    database: &Database,
    sql: &str,
    first: Option<i64>,
    cluster: Option<&str>,
) -> Result<Vec<AnyRow>> {
    let position = if first.is_some() { 2 } else { 1 };
    let condition = match cluster {
        Some(_) => format!(" AND cluster_id = ${position}"),
        None => String::new(),
    };
    let sql = sql.replace("{cluster}", &condition);
    let mut query = sqlx::query(&sql);
    if let Some(value) = first {
        query = query.bind(value);
    }
    if let Some(id) = cluster {
        query = query.bind(id);
    }
    let mut conn = database.pool().acquire().await?;
    Ok(query.fetch_all(&mut *conn).await?)
}

/// `SELECT cluster_id, pool_id, <n> AS n …` grouped by cluster, then pool.
async fn per_pool(database: &Database, sql: &str, cluster: Option<&str>) -> Result<PerPool> {
    let mut grouped = PerPool::new();
    for row in rows(database, sql, None, cluster).await? {
        grouped
            .entry(row.try_get("cluster_id")?)
            .or_default()
            .insert(row.try_get("pool_id")?, row.try_get::<i64, _>("n")? as u32);
    }
    Ok(grouped)
}

/// Pools' lifespans in days (pools without one are absent).
pub async fn lifespans(database: &Database, cluster: Option<&str>) -> Result<PerPool> {
    per_pool(
        database,
        "SELECT cluster_id, pool_id, max_node_age_days AS n FROM pool_lifespans WHERE 1 = 1{cluster}",
        cluster,
    )
    .await
}

/// Pools' autohealing caps in percent (pools on the default are absent).
pub async fn caps(database: &Database, cluster: Option<&str>) -> Result<PerPool> {
    per_pool(
        database,
        "SELECT cluster_id, pool_id, cap_percent AS n FROM pool_autohealing_caps WHERE 1 = 1{cluster}",
        cluster,
    )
    .await
}

/// The windows set in Wheelhouse (clusters on the provider's own are absent).
pub async fn windows(
    database: &Database,
    cluster: Option<&str>,
) -> Result<HashMap<String, MaintenanceWindow>> {
    rows(
        database,
        "SELECT cluster_id, days, start_hour, duration_hours FROM maintenance_windows WHERE 1 = 1{cluster}",
        None,
        cluster,
    )
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("cluster_id")?,
            MaintenanceWindow {
                days: row
                    .try_get::<String, _>("days")?
                    .split(',')
                    .map(str::to_string)
                    .collect(),
                start_hour: row.try_get::<i64, _>("start_hour")? as u32,
                duration_hours: row.try_get::<i64, _>("duration_hours")? as u32,
            },
        ))
    })
    .collect()
}

/// A cluster's window: the one set in Wheelhouse (then `true`), or else the provider's own
/// (Scaleway's `auto_upgrade.maintenance_window`: a day or any, an hour), four hours long.
pub fn window_for(cluster: &Cluster, set: Option<&MaintenanceWindow>) -> (MaintenanceWindow, bool) {
    match set {
        Some(window) => (window.clone(), true),
        None => (
            MaintenanceWindow {
                days: vec![cluster.maintenance_day.clone()],
                start_hour: cluster.maintenance_start_hour.clamp(0, 23) as u32,
                ..MaintenanceWindow::default()
            }
            .validated()
            .unwrap_or_default(),
            false,
        ),
    }
}

/// Exclusions that have not ended by `now`, soonest first.
pub async fn exclusions(
    database: &Database,
    cluster: Option<&str>,
    now: DateTime<Utc>,
) -> Result<HashMap<String, Vec<Exclusion>>> {
    let mut grouped: HashMap<String, Vec<Exclusion>> = HashMap::new();
    for row in rows(
        database,
        "SELECT cluster_id, id, starts_at, ends_at, scope, reason FROM maintenance_exclusions \
         WHERE ends_at > $1{cluster} ORDER BY starts_at, id",
        Some(millis(now)),
        cluster,
    )
    .await?
    {
        // A scope this version does not know (written by a newer one) is skipped, not fatal.
        let Some(scope) = ExclusionScope::parse(&row.try_get::<String, _>("scope")?) else {
            continue;
        };
        grouped
            .entry(row.try_get("cluster_id")?)
            .or_default()
            .push(Exclusion {
                id: row.try_get("id")?,
                starts_at: time(row.try_get("starts_at")?),
                ends_at: time(row.try_get("ends_at")?),
                scope,
                reason: row.try_get("reason")?,
            });
    }
    Ok(grouped)
}

/// What Wheelhouse knows of NotReady nodes: cluster id → node id → health.
pub async fn health(
    database: &Database,
    cluster: Option<&str>,
) -> Result<HashMap<String, HashMap<String, Health>>> {
    let mut grouped: HashMap<String, HashMap<String, Health>> = HashMap::new();
    for row in rows(
        database,
        "SELECT cluster_id, node_id, not_ready_since, rebooted_at, replaced_at FROM node_health WHERE 1 = 1{cluster}",
        None,
        cluster,
    )
    .await?
    {
        grouped.entry(row.try_get("cluster_id")?).or_default().insert(
            row.try_get("node_id")?,
            Health {
                not_ready_since: time(row.try_get("not_ready_since")?),
                rebooted_at: row.try_get::<Option<i64>, _>("rebooted_at")?.map(time),
                replaced_at: row.try_get::<Option<i64>, _>("replaced_at")?.map(time),
            },
        );
    }
    Ok(grouped)
}

/// Every setting of the fleet at once, for a pass's planning.
#[derive(Default)]
pub struct FleetSettings {
    pub lifespans: PerPool,
    pub caps: PerPool,
    pub windows: HashMap<String, MaintenanceWindow>,
    pub exclusions: HashMap<String, Vec<Exclusion>>,
    pub health: HashMap<String, HashMap<String, Health>>,
}

impl FleetSettings {
    pub async fn read(database: &Database, now: DateTime<Utc>) -> Result<FleetSettings> {
        // Five independent reads, each on a connection of its own: on 2 cores they overlap.
        let (lifespans, caps, windows, exclusions, health) = tokio::try_join!(
            lifespans(database, None),
            caps(database, None),
            windows(database, None),
            exclusions(database, None, now),
            health(database, None),
        )?;
        Ok(FleetSettings {
            lifespans,
            caps,
            windows,
            exclusions,
            health,
        })
    }
}
