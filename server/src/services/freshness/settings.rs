//! Wheelhouse's own maintenance settings (lifespans, windows, exclusions, autohealing caps) and
//! what it knows of unhealthy nodes, read for one cluster (a report, a cluster's pass) or for
//! the whole fleet at once (the pass's planning: one query per table, whatever the number of
//! clusters). Each read is keyed by cluster id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::autoheal::Health;
use super::Result;
use crate::services::maintenance::settings::{exclusions, windows};
use crate::services::maintenance::{Exclusion, MaintenanceWindow};
use crate::store::freshness::PoolNumber;
use crate::store::Database;

/// Cluster id → pool id → a number.
pub type PerPool = HashMap<String, HashMap<String, u32>>;

/// Numbers set on pools, grouped by cluster, then pool.
fn per_pool(numbers: Vec<PoolNumber>) -> PerPool {
    let mut grouped = PerPool::new();
    for number in numbers {
        grouped
            .entry(number.cluster_id)
            .or_default()
            .insert(number.pool_id, number.value);
    }
    grouped
}

/// Pools' lifespans in days (pools without one are absent).
pub async fn lifespans(database: &Database, cluster: Option<&str>) -> Result<PerPool> {
    Ok(per_pool(
        crate::store::freshness::lifespans(database, cluster).await?,
    ))
}

/// Pools' autohealing caps in percent (pools on the default are absent).
pub async fn caps(database: &Database, cluster: Option<&str>) -> Result<PerPool> {
    Ok(per_pool(
        crate::store::freshness::autohealing_caps(database, cluster).await?,
    ))
}

/// What Wheelhouse knows of NotReady nodes: cluster id → node id → health.
pub async fn health(
    database: &Database,
    cluster: Option<&str>,
) -> Result<HashMap<String, HashMap<String, Health>>> {
    let mut grouped: HashMap<String, HashMap<String, Health>> = HashMap::new();
    for record in crate::store::freshness::node_health(database, cluster).await? {
        grouped.entry(record.cluster_id).or_default().insert(
            record.node_id,
            Health {
                not_ready_since: record.not_ready_since,
                rebooted_at: record.rebooted_at,
                replaced_at: record.replaced_at,
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
