//! Keeping nodes fresh, a Wheelhouse service above the provisioning port: each pool's node
//! lifespan and each cluster's maintenance window are kept here; a pass (run by the server
//! every few seconds, steppable in tests) replaces overdue nodes through the port's replace
//! action inside the window, so it works over the sandbox and over a remote provider alike.
//! What to replace is decided by pure functions ([`lifespan::decide`], [`lifespan::preview`]).

pub mod autoheal;
pub mod lifespan;
pub mod settings;
pub mod timeline;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::clock::SharedClock;
use crate::domain::ids::{ClusterId, NodeId, PoolId};
use crate::domain::model::{Caller, Cluster, DisruptionBudget, Node, Pool};
use crate::domain::DomainError;
use crate::services::changes::target_of;
use crate::services::provisioning::ProvisioningService;
use crate::store::freshness as store;
use crate::store::Database;

use crate::services::maintenance::{exclusions_of, Exclusion, MaintenanceWindow};
pub use lifespan::{Action, Decision, FreshnessSubject, PlannedReplacement};

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
    /// Exclusions in force or to come, soonest first.
    pub exclusions: Vec<Exclusion>,
    /// The OS image new nodes boot, when the provider says.
    pub current_os_image: Option<String>,
    pub auto_upgrade: AutoUpgrade,
    /// The replacements a lifespan started, newest first (the evidence; the last 100).
    pub replaced: Vec<LifespanReplacement>,
    /// Pools whose autohealing stopped at their cap (a visible warning).
    pub autohealing_stopped: Vec<autoheal::CapReached>,
    /// NotReady nodes of autohealing pools: since when, and what was done.
    pub unhealthy: Vec<UnhealthyNode>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnhealthyNode {
    pub node_name: String,
    pub not_ready_since: DateTime<Utc>,
    pub rebooted_at: Option<DateTime<Utc>>,
    pub replaced_at: Option<DateTime<Utc>>,
}

/// Patch auto-upgrade (Scaleway's `auto_upgrade.enable`), carried out by Wheelhouse through
/// the upgrade service and its pre-flight, inside the window, outside exclusions.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AutoUpgrade {
    pub enabled: bool,
    /// The newest patch of the cluster's minor, when one is newer than what it runs.
    pub next_patch: Option<String>,
    /// Why that patch does not start now (the window, an exclusion, the pre-flight …).
    pub waiting: Option<String>,
}

/// The caller a pass acts for: the cluster's project (as its owner would).
fn caller_of(cluster: &Cluster) -> Caller {
    Caller::job(
        &cluster.project_id,
        &cluster.organization_id,
        MAINTENANCE_JOB,
    )
}

/// The background job that keeps nodes fresh (lifespans, autohealing, patch auto-upgrade), as
/// records name it.
pub const MAINTENANCE_JOB: &str = "maintenance";

/// Wheelhouse's own runs are started in its name.
const AUTO_UPGRADE_STARTER: &str = "wheelhouse patch auto-upgrade";

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
    /// Scaleway's pool `autohealing`, carried out by Wheelhouse.
    pub autohealing: bool,
    /// The share of the pool (percent) that may be unhealthy at once before autohealing stops.
    pub autohealing_cap_percent: u32,
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
    /// It runs an older OS image than new nodes boot (the current one is in the report).
    pub outdated_image: bool,
}

#[derive(Clone)]
pub struct FreshnessService {
    service: ProvisioningService,
    database: Database,
    clock: SharedClock,
    ids: crate::domain::ids::SharedIds,
    /// Who this server is in maintenance leases (the replica's name).
    holder: String,
    /// How long its lease on a cluster lasts: renewed each time it acts, lapsing on its own
    /// (another server takes over) when it stops.
    lease: Duration,
}

/// What a pass's planning found.
#[derive(Debug, Default)]
pub struct PassPlan {
    /// Clusters and nodes read.
    pub clusters: usize,
    pub nodes: usize,
    /// The clusters where something may be due now.
    pub due: Vec<DueCluster>,
}

#[derive(Debug)]
pub struct DueCluster {
    pub caller: Caller,
    pub region: String,
    pub id: ClusterId,
    /// What may be due (for logs and the bench).
    pub why: &'static str,
}

/// Whether a pass may have something to do on this cluster now, from the fleet read alone
/// (no PDBs, no per-cluster version list): errs on the side of "yes", never says "no" when a
/// cluster's own pass would act.
fn needs_pass(
    snapshot: &crate::backend::ClusterSnapshot,
    settings: &settings::FleetSettings,
    now: DateTime<Utc>,
    current_image: Option<&str>,
    versions: &[crate::domain::model::KubeVersionEntry],
) -> Option<&'static str> {
    use crate::domain::model::{ClusterStatus, NodeStatus};
    let crate::backend::ClusterSnapshot {
        cluster,
        pools,
        nodes,
    } = snapshot;
    let no_health = HashMap::new();
    let health = settings.health.get(&cluster.id).unwrap_or(&no_health);
    // Autohealing's bookkeeping: a NotReady node to start watching, a watched one that is
    // Ready again or gone.
    let healing = |node: &Node| pools.iter().any(|p| p.autohealing && p.id == node.pool_id);
    if nodes.iter().any(|node| {
        healing(node) && node.status == NodeStatus::NotReady && !health.contains_key(&node.id)
    }) || health.keys().any(|id| {
        nodes
            .iter()
            .find(|node| &node.id == id)
            .is_none_or(|node| healing(node) && node.status == NodeStatus::Ready)
    }) {
        return Some("autohealing bookkeeping");
    }
    let no_caps = HashMap::new();
    let caps = settings.caps.get(&cluster.id).unwrap_or(&no_caps);
    if cluster.status == ClusterStatus::Ready
        && !autoheal::plan(pools, nodes, health, caps, now).0.is_empty()
    {
        return Some("autohealing action");
    }
    let (window, _) = crate::services::maintenance::settings::window_for(
        cluster,
        settings.windows.get(&cluster.id),
    );
    let exclusions = settings
        .exclusions
        .get(&cluster.id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if let Some(days) = settings.lifespans.get(&cluster.id) {
        let lifespans = as_durations(days);
        let subject = FreshnessSubject {
            now,
            cluster,
            pools,
            nodes,
            lifespans: &lifespans,
            window: &window,
            // PDBs only hold replacements back: without them the decision errs on "yes".
            pdbs: &[],
            exclusions,
            current_image,
        };
        if lifespan::decide(&subject)
            .iter()
            .any(|d| d.action == Action::Replace)
        {
            return Some("lifespan replacement");
        }
    }
    if cluster.auto_upgrade_enabled
        && cluster.status == ClusterStatus::Ready
        && !pools.iter().any(|p| p.status.is_transient())
        && window.is_open(now)
        && !exclusions
            .iter()
            .any(|e| e.in_force(now) && e.scope.holds_upgrade(false))
        && newest_patch(&cluster.version, versions, now).is_some()
    {
        return Some("patch auto-upgrade");
    }
    None
}

/// Pools' lifespans in days, as durations.
fn as_durations(days: &HashMap<String, u32>) -> HashMap<String, Duration> {
    days.iter()
        .map(|(pool, days)| (pool.clone(), Duration::days(i64::from(*days))))
        .collect()
}

/// The newest patch of `current`'s minor newer than it, among versions not at end of life.
fn newest_patch(
    current: &str,
    versions: &[crate::domain::model::KubeVersionEntry],
    now: DateTime<Utc>,
) -> Option<String> {
    use crate::domain::version::KubeVersion;
    let current = current.parse::<KubeVersion>().ok()?;
    versions
        .iter()
        .filter(|entry| !entry.is_end_of_life_at(now))
        .filter_map(|entry| {
            let version = entry.name.parse::<KubeVersion>().ok()?;
            (version.same_minor(&current) && version > current).then_some((version, &entry.name))
        })
        .max_by_key(|(version, _)| *version)
        .map(|(_, name)| name.clone())
}

impl FreshnessService {
    pub fn new(
        service: ProvisioningService,
        database: Database,
        clock: SharedClock,
        ids: crate::domain::ids::SharedIds,
        holder: String,
    ) -> Self {
        FreshnessService {
            service,
            database,
            clock,
            ids,
            holder,
            lease: Duration::seconds(60),
        }
    }

    /// The same service holding its leases for `lease` (the server: a few of its passes).
    pub fn with_lease(self, lease: Duration) -> Self {
        FreshnessService { lease, ..self }
    }

    /// The cluster's window (and whether it was set in Wheelhouse).
    async fn window_of(&self, cluster: &Cluster) -> Result<(MaintenanceWindow, bool)> {
        let set =
            crate::services::maintenance::settings::windows(&self.database, Some(&cluster.id))
                .await?;
        Ok(crate::services::maintenance::settings::window_for(
            cluster,
            set.get(&cluster.id),
        ))
    }

    /// Pool id → lifespan in days, for a cluster's pools that have one.
    async fn lifespans_of(&self, cluster_id: &str) -> Result<HashMap<String, u32>> {
        Ok(settings::lifespans(&self.database, Some(cluster_id))
            .await?
            .remove(cluster_id)
            .unwrap_or_default())
    }

    /// Sets a pool's lifespan in days (1–365), or turns it off with `None`.
    pub async fn set_lifespan(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        days: Option<u32>,
    ) -> Result<Option<u32>> {
        let target = target_of(caller, "pool", pool_id, None);
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "pool.set_lifespan",
            target,
            None,
            |days: &Option<u32>, change| {
                change.after = Some(serde_json::json!({ "max_node_age_days": days }))
            },
        );
        let result = self
            .set_lifespan_unrecorded(&caller.recording(pending.clone()), region, pool_id, days)
            .await;
        changes.settle(&pending, result).await
    }

    async fn set_lifespan_unrecorded(
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
        let mut transaction = self.database.begin().await?;
        match days {
            Some(days) => {
                store::set_lifespan(
                    &mut transaction,
                    &pool.id,
                    &pool.cluster_id,
                    region,
                    &caller.project_id,
                    days,
                    self.clock.now(),
                )
                .await?;
            }
            None => store::clear_lifespan(&mut transaction, &pool.id).await?,
        }
        caller.commit_change(transaction, &days).await?;
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
        let (window, window_set) = self.window_of(cluster).await?;
        let days = self.lifespans_of(&cluster.id).await?;
        let lifespans = as_durations(&days);
        let now = self.clock.now();
        let exclusions = exclusions_of(&self.database, &cluster.id, now).await?;
        let health = self.health_of(&cluster.id).await?;
        let caps = self.caps_of(&cluster.id).await?;
        let current_image = self.service.current_os_image(&cluster.region).await?;
        let subject = FreshnessSubject {
            now,
            cluster,
            pools,
            nodes,
            lifespans: &lifespans,
            window: &window,
            pdbs,
            exclusions: &exclusions,
            current_image: current_image.as_deref(),
        };
        let replacement_time = lifespan::replacement_time(&self.service.rollout_timing());
        let decisions = lifespan::decide_within(&subject, replacement_time);
        let planned = lifespan::plan_replacements(&subject, replacement_time);
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
                outdated_image: lifespan::outdated(node, current_image.as_deref()),
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
                    autohealing: pool.autohealing,
                    autohealing_cap_percent: caps
                        .get(&pool.id)
                        .copied()
                        .unwrap_or(autoheal::DEFAULT_CAP_PERCENT),
                })
                .collect(),
            autohealing_stopped: autoheal::plan(pools, nodes, &health, &caps, now).1,
            unhealthy: nodes
                .iter()
                .filter_map(|node| {
                    let known = health.get(&node.id)?;
                    Some(UnhealthyNode {
                        node_name: node.name.clone(),
                        not_ready_since: known.not_ready_since,
                        rebooted_at: known.rebooted_at,
                        replaced_at: known.replaced_at,
                    })
                })
                .collect(),
            nodes: node_rows,
            planned,
            exclusions: exclusions.clone(),
            current_os_image: current_image.clone(),
            auto_upgrade: self
                .auto_upgrade(cluster, pools, &window, &exclusions, now, true)
                .await?,
            replaced: self.history(&cluster.id).await?,
        })
    }

    /// One pass: plans over the whole fleet at once ([`Self::plan`]), then, for each cluster
    /// that needs it and whose lease this server holds, reads it afresh and starts what is due
    /// now (autohealing, lifespan replacements, a patch auto-upgrade). Returns how many actions
    /// it started.
    pub async fn pass(&self) -> Result<usize> {
        let plan = self.plan().await?;
        let mut started = 0;
        for due in plan.due {
            if !self.take_lease(&due.id).await? {
                continue;
            }
            match self.pass_cluster(&due.caller, &due.region, &due.id).await {
                Ok(count) => started += count,
                Err(DomainError::NotFound { .. }) => {
                    // The cluster is gone: so are its settings.
                    let mut conn = self.database.pool().acquire().await?;
                    store::forget_cluster(&mut conn, due.id.as_str()).await?;
                    crate::store::leases::forget(&mut conn, MAINTENANCE_JOB, due.id.as_str())
                        .await?;
                }
                Err(error) => {
                    tracing::warn!(%error, cluster = %due.id, "a maintenance pass failed")
                }
            }
        }
        Ok(started)
    }

    /// The planning half of a pass, over every cluster Wheelhouse owns: one read of the fleet
    /// per region and one query per settings table, then pure decisions in memory. Lists the
    /// clusters where something may be due now (a pass reads those again before acting);
    /// clusters the fleet read did not return are listed too, to be read one by one.
    pub async fn plan(&self) -> Result<PassPlan> {
        let now = self.clock.now();
        // The owners and the settings are independent reads: they overlap (as do the fleet
        // read and the catalog's reads of each region below).
        let owners = async { Ok::<_, DomainError>(store::owners(&self.database).await?) };
        let (owners, settings) =
            tokio::try_join!(owners, settings::FleetSettings::read(&self.database, now))?;
        let mut regions: std::collections::BTreeMap<String, HashMap<String, Caller>> =
            Default::default();
        for owner in owners {
            regions.entry(owner.region).or_default().insert(
                owner.cluster_id,
                Caller::job(owner.project_id, owner.organization_id, MAINTENANCE_JOB),
            );
        }
        let mut plan = PassPlan::default();
        for (region, owners) in regions {
            let fleet = async {
                match self.service.snapshot(&region, &owners).await {
                    Ok(snapshots) => Ok::<_, DomainError>(snapshots),
                    Err(error) => {
                        tracing::warn!(%error, %region, "the fleet read failed; clusters are read one by one");
                        Ok(Vec::new())
                    }
                }
            };
            let (snapshots, current_image, versions) = tokio::try_join!(
                fleet,
                self.service.current_os_image(&region),
                self.service.list_versions(&region)
            )?;
            let mut read = std::collections::HashSet::new();
            for snapshot in &snapshots {
                read.insert(snapshot.cluster.id.as_str());
                plan.clusters += 1;
                plan.nodes += snapshot.nodes.len();
                let why = needs_pass(
                    snapshot,
                    &settings,
                    now,
                    current_image.as_deref(),
                    &versions,
                );
                if let Some(why) = why {
                    plan.due.push(DueCluster {
                        caller: owners[&snapshot.cluster.id].clone(),
                        region: region.clone(),
                        id: ClusterId::from(snapshot.cluster.id.clone()),
                        why,
                    });
                }
            }
            for (id, caller) in &owners {
                if !read.contains(id.as_str()) {
                    plan.due.push(DueCluster {
                        caller: caller.clone(),
                        region: region.clone(),
                        id: ClusterId::from(id.clone()),
                        why: "not in the fleet read",
                    });
                }
            }
        }
        Ok(plan)
    }

    /// Takes (or renews) this server's lease on a cluster's maintenance; `false` while another
    /// server holds it. Of several replicas' passes only the holder acts on a cluster, so
    /// their replacements never add up past a pool's surge.
    async fn take_lease(&self, id: &ClusterId) -> Result<bool> {
        let now = self.clock.now();
        let mut conn = self.database.pool().acquire().await?;
        Ok(crate::store::leases::take(
            &mut conn,
            MAINTENANCE_JOB,
            id.as_str(),
            &self.holder,
            now + self.lease,
            now,
        )
        .await?)
    }

    /// Whether (and why not) the newest patch would start now by auto-upgrade.
    async fn auto_upgrade(
        &self,
        cluster: &Cluster,
        pools: &[Pool],
        window: &MaintenanceWindow,
        exclusions: &[Exclusion],
        now: DateTime<Utc>,
        with_preflight: bool,
    ) -> Result<AutoUpgrade> {
        let region = cluster.region.clone();
        let id = ClusterId::from(cluster.id.clone());
        let caller = caller_of(cluster);
        let versions = self
            .service
            .available_versions(&caller, &region, &id)
            .await?;
        let next_patch = newest_patch(&cluster.version, &versions, now);
        let mut waiting = None;
        if let (true, Some(target)) = (cluster.auto_upgrade_enabled, &next_patch) {
            waiting = if cluster.status != crate::domain::model::ClusterStatus::Ready
                || pools.iter().any(|p| p.status.is_transient())
            {
                Some("the cluster is changing: it waits until it is ready".to_string())
            } else if !window.is_open(now) {
                Some(format!(
                    "outside the maintenance window; it next opens {}",
                    window.next_open(now).format("%Y-%m-%d %H:%M UTC")
                ))
            } else if let Some(hold) = exclusions
                .iter()
                .find(|e| e.in_force(now) && e.scope.holds_upgrade(false))
            {
                Some(hold.describe())
            } else if !with_preflight {
                // The upgrade service runs it when the upgrade starts (and refuses a NO-GO).
                None
            } else {
                let report = self
                    .upgrades()
                    .assess(&caller, &region, &id, target, true)
                    .await?
                    .preflight;
                let blocking = report.blocking_reasons();
                (!blocking.is_empty())
                    .then(|| format!("the upgrade pre-flight says NO-GO: {}", blocking.join("; ")))
            };
        }
        Ok(AutoUpgrade {
            enabled: cluster.auto_upgrade_enabled,
            next_patch,
            waiting,
        })
    }

    fn upgrades(&self) -> crate::services::upgrade::UpgradeService {
        crate::services::upgrade::UpgradeService::new(
            self.service.clone(),
            self.database.clone(),
            self.clock.clone(),
            self.ids.clone(),
        )
    }

    /// What Wheelhouse knows of the cluster's NotReady nodes.
    async fn health_of(&self, cluster_id: &str) -> Result<HashMap<String, autoheal::Health>> {
        Ok(settings::health(&self.database, Some(cluster_id))
            .await?
            .remove(cluster_id)
            .unwrap_or_default())
    }

    /// The autohealing caps set on the cluster's pools.
    async fn caps_of(&self, cluster_id: &str) -> Result<HashMap<String, u32>> {
        Ok(settings::caps(&self.database, Some(cluster_id))
            .await?
            .remove(cluster_id)
            .unwrap_or_default())
    }

    /// Sets a pool's autohealing (Scaleway's field, through the port) and its cap (1–100 %).
    pub async fn set_autohealing(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        enabled: bool,
        cap_percent: u32,
    ) -> Result<()> {
        let target = target_of(caller, "pool", pool_id, None);
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "pool.set_autohealing",
            target,
            None,
            move |_: &(), change| {
                change.after =
                    Some(serde_json::json!({ "autohealing": enabled, "cap_percent": cap_percent }))
            },
        );
        let recording = caller.recording(pending.clone());
        let result = self
            .set_autohealing_unrecorded(&recording, region, pool_id, enabled, cap_percent)
            .await;
        changes.settle(&pending, result).await
    }

    async fn set_autohealing_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        enabled: bool,
        cap_percent: u32,
    ) -> Result<()> {
        if !(1..=100).contains(&cap_percent) {
            return Err(DomainError::invalid(
                "cap_percent",
                "constraint",
                format!(
                    "a share of the pool from 1 to 100 % ({} recommended)",
                    autoheal::DEFAULT_CAP_PERCENT
                ),
            ));
        }
        let pool = self.service.get_pool(caller, region, pool_id).await?;
        if pool.autohealing != enabled {
            let changes = crate::domain::requests::PoolChanges {
                autohealing: Some(enabled),
                ..Default::default()
            };
            self.service
                .update_pool(caller, region, pool_id, changes)
                .await?;
        }
        let mut transaction = self.database.begin().await?;
        store::set_autohealing_cap(&mut transaction, &pool.id, &pool.cluster_id, cap_percent)
            .await?;
        caller.commit_change(transaction, &()).await
    }

    /// Keeps track of NotReady nodes of autohealing pools and reboots or replaces them when
    /// due (not while the cluster changes); returns how many actions it started.
    async fn autoheal(
        &self,
        caller: &Caller,
        region: &str,
        cluster: &Cluster,
        pools: &[Pool],
        nodes: &[Node],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let healing: Vec<&Pool> = pools.iter().filter(|p| p.autohealing).collect();
        let mut health = self.health_of(&cluster.id).await?;
        // Only changes are written: a node that turns NotReady starts being watched, one that
        // is Ready again stops.
        let mut conn = self.database.pool().acquire().await?;
        for node in nodes
            .iter()
            .filter(|n| healing.iter().any(|p| p.id == n.pool_id))
        {
            let watched = health.contains_key(&node.id);
            match node.status {
                crate::domain::model::NodeStatus::NotReady if !watched => {
                    store::watch_node(
                        &mut conn,
                        &node.id,
                        &cluster.id,
                        &node.pool_id,
                        &node.name,
                        now,
                    )
                    .await?;
                    health.insert(
                        node.id.clone(),
                        autoheal::Health {
                            not_ready_since: now,
                            rebooted_at: None,
                            replaced_at: None,
                        },
                    );
                }
                crate::domain::model::NodeStatus::Ready if watched => {
                    store::unwatch_node(&mut conn, &node.id).await?;
                    health.remove(&node.id);
                }
                _ => {}
            }
        }
        // Nodes that are gone (replaced) need no watching.
        let live: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        for gone in health
            .keys()
            .filter(|id| !live.contains(&id.as_str()))
            .cloned()
            .collect::<Vec<_>>()
        {
            store::unwatch_node(&mut conn, &gone).await?;
            health.remove(&gone);
        }
        drop(conn);
        if cluster.status != crate::domain::model::ClusterStatus::Ready {
            return Ok(0);
        }
        let caps = self.caps_of(&cluster.id).await?;
        let (actions, _) = autoheal::plan(pools, nodes, &health, &caps, now);
        let mut started = 0;
        for action in actions {
            let remedy = match action.remedy {
                autoheal::Remedy::Reboot => store::HealthRemedy::Reboot,
                autoheal::Remedy::Replace => store::HealthRemedy::Replace,
            };
            // Recorded first and only once (a conditional update): a crash never repeats it,
            // and of two replicas' passes only one acts.
            let mut conn = self.database.pool().acquire().await?;
            let claimed = store::claim_remedy(&mut conn, &action.node_id, remedy, now).await?;
            drop(conn);
            if !claimed {
                continue;
            }
            let node_id = NodeId::from(action.node_id.clone());
            let outcome = match action.remedy {
                autoheal::Remedy::Reboot => {
                    self.service
                        .reboot_node(&caller.as_job("autohealing"), region, &node_id)
                        .await
                }
                autoheal::Remedy::Replace => {
                    self.service
                        .replace_node(&caller.as_job("autohealing"), region, &node_id)
                        .await
                }
            };
            match outcome {
                Ok(_) => started += 1,
                Err(error) => {
                    tracing::info!(%error, node = %action.node_name, "an autohealing action was refused");
                    let mut conn = self.database.pool().acquire().await?;
                    store::release_remedy(&mut conn, &action.node_id, remedy).await?;
                }
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
        let lifespan_days = self.lifespans_of(&cluster.id).await?;
        let pools = self.service.list_pools(caller, region, id).await?;
        // Most clusters need nothing: two reads and no more.
        if lifespan_days.is_empty()
            && !cluster.auto_upgrade_enabled
            && !pools.iter().any(|p| p.autohealing)
        {
            return Ok(0);
        }
        let nodes = self.service.list_nodes(caller, region, id).await?;
        let pdbs = self
            .service
            .cluster_inventory(caller, region, id)
            .await?
            .map(|inventory| inventory.pod_disruption_budgets)
            .unwrap_or_default();
        let (window, _) = self.window_of(&cluster).await?;
        let lifespans = as_durations(&lifespan_days);
        let exclusions = exclusions_of(&self.database, &cluster.id, report_time).await?;
        let current_image = self.service.current_os_image(region).await?;
        let subject = FreshnessSubject {
            now: report_time,
            cluster: &cluster,
            pools: &pools,
            nodes: &nodes,
            lifespans: &lifespans,
            window: &window,
            pdbs: &pdbs,
            exclusions: &exclusions,
            current_image: current_image.as_deref(),
        };
        let mut started = self
            .autoheal(caller, region, &cluster, &pools, &nodes, report_time)
            .await?;
        let replacement_time = lifespan::replacement_time(&self.service.rollout_timing());
        for decision in lifespan::decide_within(&subject, replacement_time)
            .into_iter()
            .filter(|d| d.action == Action::Replace)
        {
            // Recorded first: a crash after this never replaces the node a second time (the
            // port's replace is under way, or the node is gone).
            let mut conn = self.database.pool().acquire().await?;
            let fresh = store::record_replacement(
                &mut conn,
                &decision.node_id,
                id.as_str(),
                &decision.pool_id,
                &decision.node_name,
                decision.expired_at,
                report_time,
            )
            .await?;
            drop(conn);
            if !fresh {
                continue;
            }
            match self
                .service
                .replace_node(
                    &caller.as_job("lifespan"),
                    region,
                    &NodeId::from(decision.node_id.clone()),
                )
                .await
            {
                Ok(_) => started += 1,
                Err(error) => {
                    // Refused (busy, gone): forget the record so a later pass tries again.
                    tracing::info!(%error, node = %decision.node_name, "a lifespan replacement was refused");
                    let mut conn = self.database.pool().acquire().await?;
                    store::forget_replacement(&mut conn, &decision.node_id).await?;
                }
            }
        }
        // Patch auto-upgrade: when nothing else moves, the window is open, no exclusion holds
        // it and its pre-flight passes (nothing is overridden in Wheelhouse's name).
        if started == 0 {
            let auto = self
                .auto_upgrade(&cluster, &pools, &window, &exclusions, report_time, false)
                .await?;
            if let (true, Some(target), None) = (auto.enabled, &auto.next_patch, &auto.waiting) {
                let starter = crate::services::upgrade::Starter {
                    name: AUTO_UPGRADE_STARTER.to_string(),
                    may_override: false,
                };
                let request = crate::services::upgrade::UpgradeRequest {
                    target,
                    with_pools: true,
                    override_reason: None,
                    soak_days: 0,
                };
                match self
                    .upgrades()
                    .start(
                        &caller.as_job("auto-upgrade"),
                        region,
                        id,
                        request,
                        &starter,
                    )
                    .await
                {
                    Ok(_) => started += 1,
                    Err(error) => {
                        tracing::info!(%error, cluster = %id, "a patch auto-upgrade did not start")
                    }
                }
            }
        }
        Ok(started)
    }

    /// The replacements a lifespan started on a cluster, newest first.
    async fn history(&self, cluster_id: &str) -> Result<Vec<LifespanReplacement>> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(store::replacements(&mut conn, cluster_id)
            .await?
            .into_iter()
            .map(|record| LifespanReplacement {
                node_name: record.node_name,
                expired_at: record.expired_at,
                replaced_at: record.replaced_at,
            })
            .collect())
    }
}
