//! Maintenance windows and exclusions, a Wheelhouse service above the provisioning port: when a
//! cluster may be changed without its owner's action (node replacements for their lifespan,
//! patch auto-upgrades, forced upgrades at end of support), and the date ranges that hold them.
//! Node freshness and upgrades both read it; it reads neither.

pub mod settings;
pub mod window;

use chrono::{DateTime, Utc};

use crate::clock::SharedClock;
use crate::domain::ids::ClusterId;
use crate::domain::model::Caller;
use crate::domain::DomainError;
use crate::services::changes::target_of;
use crate::services::provisioning::ProvisioningService;
use crate::store::{maintenance, Database};

pub use window::{Exclusion, ExclusionScope, MaintenanceWindow};

type Result<T> = std::result::Result<T, DomainError>;

/// A cluster's maintenance exclusions that have not ended by `now`, soonest first.
pub async fn exclusions_of(
    database: &Database,
    cluster_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Exclusion>> {
    Ok(settings::exclusions(database, Some(cluster_id), now)
        .await?
        .remove(cluster_id)
        .unwrap_or_default())
}

/// Sets each cluster's maintenance window and exclusions.
#[derive(Clone)]
pub struct MaintenanceService {
    service: ProvisioningService,
    database: Database,
    clock: SharedClock,
    ids: crate::domain::ids::SharedIds,
}

impl MaintenanceService {
    pub fn new(
        service: ProvisioningService,
        database: Database,
        clock: SharedClock,
        ids: crate::domain::ids::SharedIds,
    ) -> Self {
        MaintenanceService {
            service,
            database,
            clock,
            ids,
        }
    }

    /// Adds a maintenance exclusion to a cluster.
    pub async fn add_exclusion(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        exclusion: Exclusion,
    ) -> Result<Exclusion> {
        let target = target_of(caller, "cluster", id, Some(id));
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "maintenance.add_exclusion",
            target,
            None,
            |e: &Exclusion, change| change.after = serde_json::to_value(e).ok(),
        );
        let result = self
            .add_exclusion_unrecorded(&caller.recording(pending.clone()), region, id, exclusion)
            .await;
        changes.settle(&pending, result).await
    }

    async fn add_exclusion_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        exclusion: Exclusion,
    ) -> Result<Exclusion> {
        let now = self.clock.now();
        let exclusion = Exclusion {
            id: self.ids.uuid(),
            reason: exclusion.reason.trim().to_string(),
            ..exclusion
        }
        .validated(now)?;
        self.service.get_cluster(caller, region, id).await?;
        let mut transaction = self.database.begin().await?;
        let record = maintenance::ExclusionRecord {
            cluster_id: id.to_string(),
            id: exclusion.id.clone(),
            starts_at: exclusion.starts_at,
            ends_at: exclusion.ends_at,
            scope: exclusion.scope.as_str().to_string(),
            reason: exclusion.reason.clone(),
        };
        maintenance::insert_exclusion(&mut transaction, owner(caller, region, id), &record, now)
            .await?;
        caller.commit_change(transaction, &exclusion).await?;
        Ok(exclusion)
    }

    /// Removes one of a cluster's exclusions.
    pub async fn remove_exclusion(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        exclusion_id: &str,
    ) -> Result<()> {
        let target = target_of(caller, "maintenance_exclusion", exclusion_id, Some(id));
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "maintenance.remove_exclusion",
            target,
            None,
            |_: &(), _| {},
        );
        let result = self
            .remove_exclusion_unrecorded(
                &caller.recording(pending.clone()),
                region,
                id,
                exclusion_id,
            )
            .await;
        changes.settle(&pending, result).await
    }

    async fn remove_exclusion_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        exclusion_id: &str,
    ) -> Result<()> {
        self.service.get_cluster(caller, region, id).await?;
        let mut transaction = self.database.begin().await?;
        let removed = maintenance::delete_exclusion(&mut transaction, id, exclusion_id).await?;
        if !removed {
            return Err(DomainError::not_found(
                "maintenance_exclusion",
                exclusion_id,
            ));
        }
        caller.commit_change(transaction, &()).await
    }

    /// Sets (or, with `None`, clears back to the default) a cluster's maintenance window.
    pub async fn set_window(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        window: MaintenanceWindow,
    ) -> Result<MaintenanceWindow> {
        let target = target_of(caller, "cluster", id, Some(id));
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "maintenance.set_window",
            target,
            None,
            |w: &MaintenanceWindow, change| change.after = serde_json::to_value(w).ok(),
        );
        let result = self
            .set_window_unrecorded(&caller.recording(pending.clone()), region, id, window)
            .await;
        changes.settle(&pending, result).await
    }

    async fn set_window_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        window: MaintenanceWindow,
    ) -> Result<MaintenanceWindow> {
        let window = window.validated()?;
        self.service.get_cluster(caller, region, id).await?;
        // Scaleway's own field says one day (or any) and an hour: kept in step when it can.
        let day = match window.days.as_slice() {
            [one] => Some(one.clone()),
            days if days.len() == 7 => Some("any".to_string()),
            _ => None,
        };
        if let Some(day) = day {
            let changes = crate::domain::requests::ClusterChanges {
                auto_upgrade: Some(crate::domain::requests::AutoUpgradeInput {
                    enable: None,
                    maintenance_window: Some(crate::domain::requests::MaintenanceWindowInput {
                        start_hour: Some(i64::from(window.start_hour)),
                        day: Some(day),
                    }),
                }),
                ..Default::default()
            };
            self.service
                .update_cluster(caller, region, id, changes)
                .await?;
        }
        let mut transaction = self.database.begin().await?;
        maintenance::upsert_window(
            &mut transaction,
            owner(caller, region, id),
            &window.days,
            i64::from(window.start_hour),
            i64::from(window.duration_hours),
            self.clock.now(),
        )
        .await?;
        caller.commit_change(transaction, &window).await?;
        Ok(window)
    }
}

/// Where a cluster's maintenance rows belong.
fn owner<'a>(caller: &'a Caller, region: &'a str, id: &'a ClusterId) -> maintenance::Owner<'a> {
    maintenance::Owner {
        cluster_id: id.as_str(),
        region,
        project_id: &caller.project_id,
    }
}
