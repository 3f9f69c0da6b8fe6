//! Keeping nodes fresh, a Wheelhouse service above the provisioning port: each pool's node
//! lifespan and each cluster's maintenance window are kept here; a pass (run by the server
//! every few seconds, steppable in tests) replaces overdue nodes through the port's replace
//! action inside the window, so it works over the sandbox and over a remote provider alike.
//! What to replace is decided by pure functions ([`lifespan::decide`], [`lifespan::preview`]).

pub mod lifespan;
pub mod window;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::clock::SharedClock;
use crate::domain::ids::{ClusterId, NodeId, PoolId};
use crate::domain::model::{Caller, Cluster, DisruptionBudget, Node, Pool};
use crate::domain::DomainError;
use crate::services::provisioning::ProvisioningService;
use crate::store::rows::{millis, time};
use crate::store::Database;

pub use lifespan::{Action, Decision, FreshnessSubject, PlannedReplacement};
pub use window::MaintenanceWindow;

type Result<T> = std::result::Result<T, DomainError>;

/// The longest lifespan a pool may have, in days (a year).
pub const MAX_MAX_NODE_AGE_DAYS: u32 = 365;

/// A cluster's freshness as the console and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FreshnessReport {
    pub cluster_id: String,
    pub window: MaintenanceWindow,
    /// False until someone sets the cluster's window (the default applies).
    pub window_set: bool,
    pub window_open_now: bool,
    pub window_next_open: DateTime<Utc>,
    pub pools: Vec<PoolLifespan>,
    pub nodes: Vec<NodeExpiry>,
    /// For the next 30 days: which node is replaced in which window, and why.
    pub planned: Vec<PlannedReplacement>,
    /// The replacements a lifespan started, newest first (the evidence; the last 100).
    pub replaced: Vec<LifespanReplacement>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LifespanReplacement {
    pub node_name: String,
    pub expired_at: DateTime<Utc>,
    pub replaced_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PoolLifespan {
    pub pool_id: String,
    pub pool_name: String,
    /// `None`: the pool keeps its nodes (lifespan off).
    pub max_node_age_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NodeExpiry {
    pub node_id: String,
    pub node_name: String,
    pub pool_id: String,
    /// `None` when its pool has no lifespan.
    pub expires_at: Option<DateTime<Utc>>,
    /// Why an overdue node still waits (the window, an upgrade, a PDB …).
    pub waiting: Option<String>,
}

#[derive(Clone)]
pub struct FreshnessService {
    service: ProvisioningService,
    database: Database,
    clock: SharedClock,
}

impl FreshnessService {
    pub fn new(service: ProvisioningService, database: Database, clock: SharedClock) -> Self {
        FreshnessService {
            service,
            database,
            clock,
        }
    }

    /// The cluster's window: the one set, or the default.
    async fn window_of(&self, cluster_id: &str) -> Result<(MaintenanceWindow, bool)> {
        let mut conn = self.database.pool().acquire().await?;
        let row = sqlx::query(
            "SELECT days, start_hour, duration_hours FROM maintenance_windows WHERE cluster_id = $1",
        )
        .bind(cluster_id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(match row {
            Some(row) => (
                MaintenanceWindow {
                    days: row
                        .try_get::<String, _>("days")?
                        .split(',')
                        .map(str::to_string)
                        .collect(),
                    start_hour: row.try_get::<i64, _>("start_hour")? as u32,
                    duration_hours: row.try_get::<i64, _>("duration_hours")? as u32,
                },
                true,
            ),
            None => (MaintenanceWindow::default(), false),
        })
    }

    /// Pool id → lifespan, for a cluster's pools that have one.
    async fn lifespans_of(&self, cluster_id: &str) -> Result<HashMap<String, u32>> {
        let mut conn = self.database.pool().acquire().await?;
        let rows = sqlx::query(
            "SELECT pool_id, max_node_age_days FROM pool_lifespans WHERE cluster_id = $1",
        )
        .bind(cluster_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("pool_id")?,
                    row.try_get::<i64, _>("max_node_age_days")? as u32,
                ))
            })
            .collect()
    }

    /// Sets (or, with `None`, clears back to the default) a cluster's maintenance window.
    pub async fn set_window(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        window: MaintenanceWindow,
    ) -> Result<MaintenanceWindow> {
        let window = window.validated()?;
        self.service.get_cluster(caller, region, id).await?;
        let mut conn = self.database.pool().acquire().await?;
        sqlx::query(
            "INSERT INTO maintenance_windows (cluster_id, region, project_id, days, start_hour, duration_hours, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (cluster_id) DO UPDATE SET \
             days = excluded.days, start_hour = excluded.start_hour, duration_hours = excluded.duration_hours, updated_at = excluded.updated_at",
        )
        .bind(id.as_str())
        .bind(region)
        .bind(&caller.project_id)
        .bind(window.days.join(","))
        .bind(i64::from(window.start_hour))
        .bind(i64::from(window.duration_hours))
        .bind(millis(self.clock.now()))
        .execute(&mut *conn)
        .await?;
        Ok(window)
    }

    /// Sets a pool's lifespan in days (1–365), or turns it off with `None`.
    pub async fn set_lifespan(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        days: Option<u32>,
    ) -> Result<Option<u32>> {
        if let Some(days) = days {
            if !(lifespan::MIN_MAX_NODE_AGE_DAYS..=MAX_MAX_NODE_AGE_DAYS).contains(&days) {
                return Err(DomainError::invalid(
                    "max_node_age_days",
                    "constraint",
                    format!(
                        "a node lifespan is {} to {MAX_MAX_NODE_AGE_DAYS} days ({} recommended), or off",
                        lifespan::MIN_MAX_NODE_AGE_DAYS,
                        lifespan::RECOMMENDED_MAX_NODE_AGE_DAYS
                    ),
                ));
            }
        }
        let pool = self.service.get_pool(caller, region, pool_id).await?;
        if pool.node_type == crate::services::upgrade::plan::EXTERNAL_NODE_TYPE && days.is_some() {
            return Err(DomainError::precondition(
                "external_pool",
                "the nodes of an external pool run elsewhere: their owner replaces them",
            ));
        }
        let mut conn = self.database.pool().acquire().await?;
        match days {
            Some(days) => {
                sqlx::query(
                    "INSERT INTO pool_lifespans (pool_id, cluster_id, region, project_id, max_node_age_days, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pool_id) DO UPDATE SET \
                     max_node_age_days = excluded.max_node_age_days, updated_at = excluded.updated_at",
                )
                .bind(&pool.id)
                .bind(&pool.cluster_id)
                .bind(region)
                .bind(&caller.project_id)
                .bind(i64::from(days))
                .bind(millis(self.clock.now()))
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM pool_lifespans WHERE pool_id = $1")
                    .bind(&pool.id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(days)
    }

    /// The cluster's window, its pools' lifespans, each node's expiry (and why an overdue one
    /// waits), and the replacements of the next 30 days.
    pub async fn report(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<FreshnessReport> {
        let cluster = self.service.get_cluster(caller, region, id).await?;
        let pools = self.service.list_pools(caller, region, id).await?;
        let nodes = self.service.list_nodes(caller, region, id).await?;
        let pdbs = self
            .service
            .cluster_inventory(caller, region, id)
            .await?
            .map(|inventory| inventory.pod_disruption_budgets)
            .unwrap_or_default();
        self.report_of(&cluster, &pools, &nodes, &pdbs).await
    }

    /// [`Self::report`] from what the caller already read through the port.
    pub async fn report_of(
        &self,
        cluster: &Cluster,
        pools: &[Pool],
        nodes: &[Node],
        pdbs: &[DisruptionBudget],
    ) -> Result<FreshnessReport> {
        let (window, window_set) = self.window_of(&cluster.id).await?;
        let days = self.lifespans_of(&cluster.id).await?;
        let lifespans: HashMap<String, Duration> = days
            .iter()
            .map(|(pool, days)| (pool.clone(), Duration::days(i64::from(*days))))
            .collect();
        let now = self.clock.now();
        let subject = FreshnessSubject {
            now,
            cluster,
            pools,
            nodes,
            lifespans: &lifespans,
            window: &window,
            pdbs,
        };
        let decisions = lifespan::decide(&subject);
        let planned = lifespan::preview(&subject);
        let node_rows = nodes
            .iter()
            .map(|node| NodeExpiry {
                node_id: node.id.clone(),
                node_name: node.name.clone(),
                pool_id: node.pool_id.clone(),
                expires_at: lifespans
                    .get(&node.pool_id)
                    .map(|age| lifespan::expires_at(node, *age)),
                waiting: decisions
                    .iter()
                    .find(|d| d.node_id == node.id && d.action == Action::Wait)
                    .map(|d| d.reason.clone()),
            })
            .collect();
        Ok(FreshnessReport {
            cluster_id: cluster.id.clone(),
            window_open_now: window.is_open(now),
            window_next_open: window.next_open(now),
            window: window.clone(),
            window_set,
            pools: pools
                .iter()
                .map(|pool| PoolLifespan {
                    pool_id: pool.id.clone(),
                    pool_name: pool.name.clone(),
                    max_node_age_days: days.get(&pool.id).copied(),
                })
                .collect(),
            nodes: node_rows,
            planned,
            replaced: self.history(&cluster.id).await?,
        })
    }

    /// One pass over every cluster with a pool lifespan: starts the replacements due now.
    /// Returns how many it started.
    pub async fn pass(&self) -> Result<usize> {
        let clusters = {
            let mut conn = self.database.pool().acquire().await?;
            sqlx::query(
                "SELECT DISTINCT l.cluster_id, l.region, l.project_id, p.organization_id \
                 FROM pool_lifespans l JOIN projects p ON p.id = l.project_id ORDER BY l.cluster_id",
            )
            .fetch_all(&mut *conn)
            .await?
        };
        let mut started = 0;
        for row in clusters {
            let id = ClusterId::from(row.try_get::<String, _>("cluster_id")?);
            let region: String = row.try_get("region")?;
            let caller = Caller {
                project_id: row.try_get("project_id")?,
                organization_id: row.try_get("organization_id")?,
                access_key: "wheelhouse-node-lifespan".to_string(),
            };
            match self.pass_cluster(&caller, &region, &id).await {
                Ok(count) => started += count,
                Err(DomainError::NotFound { .. }) => {
                    // The cluster is gone: so are its settings.
                    let mut conn = self.database.pool().acquire().await?;
                    for table in ["pool_lifespans", "maintenance_windows"] {
                        sqlx::query(&format!("DELETE FROM {table} WHERE cluster_id = $1"))
                            .bind(id.as_str())
                            .execute(&mut *conn)
                            .await?;
                    }
                }
                Err(error) => tracing::warn!(%error, cluster = %id, "a lifespan pass failed"),
            }
        }
        Ok(started)
    }

    /// Runs a pass every `every` until `stop` resolves.
    pub async fn run_until(
        self,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            if let Err(error) = self.pass().await {
                tracing::warn!(%error, "the node lifespan pass failed");
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    async fn pass_cluster(&self, caller: &Caller, region: &str, id: &ClusterId) -> Result<usize> {
        let report_time = self.clock.now();
        let cluster = self.service.get_cluster(caller, region, id).await?;
        let pools = self.service.list_pools(caller, region, id).await?;
        let nodes = self.service.list_nodes(caller, region, id).await?;
        let pdbs = self
            .service
            .cluster_inventory(caller, region, id)
            .await?
            .map(|inventory| inventory.pod_disruption_budgets)
            .unwrap_or_default();
        let (window, _) = self.window_of(&cluster.id).await?;
        let lifespans: HashMap<String, Duration> = self
            .lifespans_of(&cluster.id)
            .await?
            .into_iter()
            .map(|(pool, days)| (pool, Duration::days(i64::from(days))))
            .collect();
        let subject = FreshnessSubject {
            now: report_time,
            cluster: &cluster,
            pools: &pools,
            nodes: &nodes,
            lifespans: &lifespans,
            window: &window,
            pdbs: &pdbs,
        };
        let mut started = 0;
        for decision in lifespan::decide(&subject)
            .into_iter()
            .filter(|d| d.action == Action::Replace)
        {
            // Recorded first: a crash after this never replaces the node a second time (the
            // port's replace is under way, or the node is gone).
            let mut conn = self.database.pool().acquire().await?;
            let fresh = sqlx::query(
                "INSERT INTO lifespan_replacements (node_id, cluster_id, pool_id, node_name, expired_at, replaced_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (node_id) DO NOTHING",
            )
            .bind(&decision.node_id)
            .bind(id.as_str())
            .bind(&decision.pool_id)
            .bind(&decision.node_name)
            .bind(millis(decision.expired_at))
            .bind(millis(report_time))
            .execute(&mut *conn)
            .await?
            .rows_affected();
            drop(conn);
            if fresh == 0 {
                continue;
            }
            match self
                .service
                .replace_node(caller, region, &NodeId::from(decision.node_id.clone()))
                .await
            {
                Ok(_) => started += 1,
                Err(error) => {
                    // Refused (busy, gone): forget the record so a later pass tries again.
                    tracing::info!(%error, node = %decision.node_name, "a lifespan replacement was refused");
                    let mut conn = self.database.pool().acquire().await?;
                    sqlx::query("DELETE FROM lifespan_replacements WHERE node_id = $1")
                        .bind(&decision.node_id)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        Ok(started)
    }

    /// The replacements a lifespan started on a cluster, newest first.
    async fn history(&self, cluster_id: &str) -> Result<Vec<LifespanReplacement>> {
        let mut conn = self.database.pool().acquire().await?;
        let rows = sqlx::query(
            "SELECT node_name, expired_at, replaced_at FROM lifespan_replacements WHERE cluster_id = $1 ORDER BY replaced_at DESC LIMIT 100",
        )
        .bind(cluster_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LifespanReplacement {
                    node_name: row.try_get("node_name")?,
                    expired_at: time(row.try_get("expired_at")?),
                    replaced_at: time(row.try_get("replaced_at")?),
                })
            })
            .collect()
    }
}
