//! The maintenance windows and exclusions set in Wheelhouse, read for one cluster (a report, a
//! cluster's pass) or for the whole fleet at once (the pass's planning), keyed by cluster id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::window::{Exclusion, ExclusionScope, MaintenanceWindow};
use super::Result;
use crate::domain::model::Cluster;
use crate::store::{maintenance, Database};

/// The windows set in Wheelhouse (clusters on the provider's own are absent).
pub async fn windows(
    database: &Database,
    cluster: Option<&str>,
) -> Result<HashMap<String, MaintenanceWindow>> {
    Ok(maintenance::windows(database, cluster)
        .await?
        .into_iter()
        .map(|record| {
            (
                record.cluster_id,
                MaintenanceWindow {
                    days: record.days,
                    start_hour: record.start_hour as u32,
                    duration_hours: record.duration_hours as u32,
                },
            )
        })
        .collect())
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
    for record in maintenance::exclusions(database, cluster, now).await? {
        // A scope this version does not know (written by a newer one) is skipped, not fatal.
        let Some(scope) = ExclusionScope::parse(&record.scope) else {
            continue;
        };
        grouped
            .entry(record.cluster_id)
            .or_default()
            .push(Exclusion {
                id: record.id,
                starts_at: record.starts_at,
                ends_at: record.ends_at,
                scope,
                reason: record.reason,
            });
    }
    Ok(grouped)
}
