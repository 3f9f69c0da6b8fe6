//! The upgrade service, above the provisioning port: a pre-flight with one verdict, a plan, and
//! the start of an upgrade that refuses a NO-GO unless an owner overrides it with a written
//! reason (recorded). It reads and acts only through the provisioning service, so it works the
//! same over the sandbox and over a remote Scaleway-compatible provider.
//!
//! `preflight` and `plan` are pure functions of an [`UpgradeSubject`] (what the port reports,
//! at one instant); this module gathers the subject and keeps the record of started upgrades.

pub mod plan;
pub mod preflight;
pub mod rollback;
pub mod synthetic;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::clock::SharedClock;
use crate::domain::ids::{ClusterId, PoolId, SharedIds};
use crate::domain::model::{
    Caller, Cluster, ClusterInventory, ClusterStatus, KubeVersionEntry, Node, NodeStatus, Pool,
    PoolStatus, RolloutControl, RolloutTiming,
};
use crate::domain::DomainError;
use crate::services::changes::target_of;
use crate::services::provisioning::ProvisioningService;
use crate::store::{upgrade_runs, Database};

pub use plan::UpgradePlan;
pub use preflight::{CheckStatus, PreflightReport, Verdict};

type Result<T> = std::result::Result<T, DomainError>;

/// How many nodes a project runs now and may run at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeQuota {
    pub limit: i64,
    pub in_use: i64,
}

/// Everything the pre-flight and the plan read, as the port reported it at `now`.
pub struct UpgradeSubject<'a> {
    pub now: DateTime<Utc>,
    pub cluster: &'a Cluster,
    pub pools: &'a [Pool],
    pub nodes: &'a [Node],
    pub versions: &'a [KubeVersionEntry],
    /// `None` when the provider reports no components, workloads or PDBs.
    pub inventory: Option<&'a ClusterInventory>,
    pub quota: NodeQuota,
    pub timing: RolloutTiming,
    /// The cluster's maintenance exclusions (Wheelhouse's, not the provider's).
    pub exclusions: &'a [crate::services::maintenance::Exclusion],
}

/// What the port reported, owned (an [`UpgradeSubject`] borrows it).
struct Facts {
    cluster: Cluster,
    pools: Vec<Pool>,
    nodes: Vec<Node>,
    versions: Vec<KubeVersionEntry>,
    inventory: Option<ClusterInventory>,
    quota: NodeQuota,
    timing: RolloutTiming,
    exclusions: Vec<crate::services::maintenance::Exclusion>,
}

impl Facts {
    fn subject(&self, now: DateTime<Utc>) -> UpgradeSubject<'_> {
        UpgradeSubject {
            now,
            cluster: &self.cluster,
            pools: &self.pools,
            nodes: &self.nodes,
            versions: &self.versions,
            inventory: self.inventory.as_ref(),
            quota: self.quota,
            timing: self.timing,
            exclusions: &self.exclusions,
        }
    }
}

/// The pre-flight and the plan for one target, computed together (the drain simulation reads
/// the plan's waves).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub preflight: PreflightReport,
    pub plan: UpgradePlan,
}

pub fn assess(subject: &UpgradeSubject<'_>, target: &str, with_pools: bool) -> Assessment {
    let plan = plan::plan(subject, target, with_pools);
    let preflight = preflight::preflight(subject, target, &plan);
    // An impossible target has no plan: the report says only why.
    if preflight
        .blocking()
        .any(|check| check.id == preflight::TARGET_CHECK)
    {
        let target_only = preflight::PreflightReport {
            checks: preflight
                .checks
                .into_iter()
                .filter(|check| check.id == preflight::TARGET_CHECK)
                .collect(),
            ..preflight
        };
        let empty = plan::UpgradePlan {
            steps: Vec::new(),
            skipped_pools: Vec::new(),
            estimated_seconds: 0,
            changelog: Vec::new(),
            your_responsibility: Vec::new(),
            ..plan
        };
        return Assessment {
            preflight: target_only,
            plan: empty,
        };
    }
    Assessment { preflight, plan }
}

/// What an upgrade's start asks for.
#[derive(Clone, Copy, Debug)]
pub struct UpgradeRequest<'a> {
    pub target: &'a str,
    /// The pools follow the control plane (Scaleway's `upgrade_pools`).
    pub with_pools: bool,
    /// An owner's written reason to start despite a NO-GO.
    pub override_reason: Option<&'a str>,
    /// Days (0–7) a minor upgrade keeps the previous minor's behaviour, during which the
    /// cluster can be rolled back.
    pub soak_days: u32,
}

/// The longest soak period, in days.
pub const SOAK_DAYS_MAX: u32 = 7;

/// Who starts an upgrade, as recorded with it.
#[derive(Clone, Debug)]
pub struct Starter {
    /// An email for a console user, "api-key SCW…" for an API caller.
    pub name: String,
    /// Only an owner may override a NO-GO.
    pub may_override: bool,
}

/// An upgrade as Wheelhouse recorded its start.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UpgradeRun {
    pub id: String,
    pub cluster_id: String,
    pub from_version: String,
    pub to_version: String,
    /// The pools follow the control plane.
    pub upgrade_pools: bool,
    pub verdict: String,
    /// The blocking checks at start (non-empty only when overridden).
    pub blocking: Vec<String>,
    pub override_reason: Option<String>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    /// As its owner steered it (running, paused, aborted); in progress reports, soaking once
    /// everything it moves runs the target and a soak period runs, then finished.
    pub state: RunState,
    /// upgrade, rollback (pools then control plane) or pool_rollback (one pool).
    pub kind: String,
    /// The pool a pool rollback moves.
    pub pool_id: Option<String>,
    /// Until when the upgrade can be rolled back (a minor upgrade started with a soak period).
    pub soak_until: Option<DateTime<Utc>>,
}

/// Where an upgrade run stands. Running, paused and aborted are stored, as its owner steered it;
/// soaking and finished are what a progress report derives once everything runs the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Paused,
    Aborted,
    Soaking,
    Finished,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Aborted => "aborted",
            RunState::Soaking => "soaking",
            RunState::Finished => "finished",
        }
    }

    pub fn parse(text: &str) -> Option<RunState> {
        [
            RunState::Running,
            RunState::Paused,
            RunState::Aborted,
            RunState::Soaking,
            RunState::Finished,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    /// Every transition an owner may make, in one place: the state a control leads to from
    /// this one, or why it may not. An abort is final but for resuming the pools it left behind.
    pub fn after(self, control: RolloutControl) -> std::result::Result<RunState, &'static str> {
        use RolloutControl::{Abort, Pause, Resume};
        use RunState::{Aborted, Finished, Paused, Running, Soaking};
        match (self, control) {
            (Running | Paused, Pause) => Ok(Paused),
            (Running | Paused | Aborted, Resume) => Ok(Running),
            (Running | Paused | Aborted, Abort) => Ok(Aborted),
            (Aborted, Pause) => {
                Err("the upgrade was aborted: resume it to upgrade the pools it left behind")
            }
            (Soaking | Finished, _) => Err("the upgrade is over: there is nothing to steer"),
        }
    }
}

pub const UPGRADE: &str = "upgrade";
pub const ROLLBACK: &str = "rollback";
pub const POOL_ROLLBACK: &str = "pool_rollback";

/// What a rollback moves back to the version before the latest upgrade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollbackScope {
    /// The pools, then the control plane (during the upgrade's soak period).
    Cluster,
    /// One pool, after an aborted or failed pool upgrade.
    Pool(PoolId),
}

/// An upgrade run's recorded fields: what was started, on which verdict, overriding what.
pub(crate) fn run_fields(run: &UpgradeRun) -> serde_json::Value {
    serde_json::json!({
        "run_id": run.id,
        "kind": run.kind,
        "from_version": run.from_version,
        "to_version": run.to_version,
        "upgrade_pools": run.upgrade_pools,
        "verdict": run.verdict,
        "blocking": run.blocking,
        "override_reason": run.override_reason,
        "soak_until": run.soak_until,
        "pool_id": run.pool_id,
    })
}

/// The longest override reason kept.
pub const OVERRIDE_REASON_MAX: usize = 1000;

/// The override reason, trimmed; refused when too long or when the starter may not override.
fn checked_override<'a>(reason: Option<&'a str>, starter: &Starter) -> Result<Option<&'a str>> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(reason) = reason {
        if reason.chars().count() > OVERRIDE_REASON_MAX {
            return Err(DomainError::invalid(
                "override_reason",
                "constraint",
                format!("the reason is at most {OVERRIDE_REASON_MAX} characters"),
            ));
        }
        if !starter.may_override {
            return Err(DomainError::PermissionDenied(
                "only a project owner may override a NO-GO".to_string(),
            ));
        }
    }
    Ok(reason)
}

/// The blocking reasons a start goes ahead with: none for a GO, those an owner overrode with a
/// reason; a NO-GO without one (or over quota, which is not the owner's to override) is refused.
fn gate(
    report: &PreflightReport,
    override_reason: Option<&str>,
    what: &str,
) -> Result<Vec<String>> {
    let blocking = report.blocking_reasons();
    let over_quota = report
        .blocking()
        .any(|check| check.id == preflight::QUOTA_CHECK);
    if !blocking.is_empty() && (override_reason.is_none() || over_quota) {
        return Err(DomainError::precondition(
            "upgrade_preflight",
            format!("the {what} pre-flight says NO-GO: {}", blocking.join("; ")),
        ));
    }
    Ok(blocking)
}

/// Whether `target` is the next minor of `current` (what a soak period applies to).
pub fn is_minor_step(current: &str, target: &str) -> bool {
    match (
        current.parse::<crate::domain::version::KubeVersion>(),
        target.parse::<crate::domain::version::KubeVersion>(),
    ) {
        (Ok(current), Ok(target)) => {
            target.major == current.major && target.minor == current.minor + 1
        }
        _ => false,
    }
}

#[derive(Clone)]
pub struct UpgradeService {
    service: ProvisioningService,
    database: Database,
    clock: SharedClock,
    ids: SharedIds,
}

impl UpgradeService {
    pub fn new(
        service: ProvisioningService,
        database: Database,
        clock: SharedClock,
        ids: SharedIds,
    ) -> Self {
        UpgradeService {
            service,
            database,
            clock,
            ids,
        }
    }

    /// The pre-flight and plan of upgrading a cluster to `target`, as things are now.
    pub async fn assess(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        target: &str,
        with_pools: bool,
    ) -> Result<Assessment> {
        let facts = self.facts(caller, region, id).await?;
        Ok(assess(&facts.subject(self.clock.now()), target, with_pools))
    }

    /// What the port reports about a cluster now, for a pre-flight.
    async fn facts(&self, caller: &Caller, region: &str, id: &ClusterId) -> Result<Facts> {
        let pools = self.service.list_pools(caller, region, id).await?;
        let nodes = self.service.list_nodes(caller, region, id).await?;
        Ok(Facts {
            cluster: self.service.get_cluster(caller, region, id).await?,
            nodes: with_pool_versions(nodes, &pools),
            pools,
            versions: self.service.list_versions(region).await?,
            inventory: self.service.cluster_inventory(caller, region, id).await?,
            quota: self.quota(caller).await?,
            timing: self.service.rollout_timing(),
            exclusions: crate::services::maintenance::exclusions_of(
                &self.database,
                id.as_str(),
                self.clock.now(),
            )
            .await?,
        })
    }

    /// Scaleway's pool `upgrade`, behind the pool's part of the pre-flight (drain simulation,
    /// surge quota, health): a NO-GO is refused with 412 and its reasons. What the provider
    /// itself refuses (a busy pool, a version other than the cluster's) keeps its answer.
    pub async fn upgrade_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: Option<String>,
    ) -> Result<Pool> {
        // The provider's upgrade is recorded by the provisioning service; a refusal before it
        // (not found, the pool's pre-flight) is recorded here.
        if let Err(error) = self.pool_preflight(caller, region, pool_id, &version).await {
            let target = target_of(caller, "pool", pool_id, None);
            self.service
                .changes()
                .refusal(caller, "pool.upgrade", target, &error)
                .await;
            return Err(error);
        }
        self.service
            .upgrade_pool(caller, region, pool_id, version)
            .await
    }

    /// The pool's part of the pre-flight, when its upgrade follows the control plane's.
    async fn pool_preflight(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: &Option<String>,
    ) -> Result<()> {
        let pool = self.service.get_pool(caller, region, pool_id).await?;
        let id = ClusterId::from(pool.cluster_id.clone());
        let facts = self.facts(caller, region, &id).await?;
        let target = version.clone().unwrap_or_default();
        if pool.status == PoolStatus::Ready
            && target == facts.cluster.version
            && pool.version != target
        {
            let subject = facts.subject(self.clock.now());
            let plan = plan::pool_plan(&subject, &pool, &target);
            let report = preflight::pool_preflight(&subject, &plan);
            let blocking = report.blocking_reasons();
            if !blocking.is_empty() {
                return Err(DomainError::precondition(
                    "upgrade_preflight",
                    format!(
                        "the pool upgrade pre-flight says NO-GO: {}",
                        blocking.join("; ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The project's node quota and the nodes its pools hold now (every region).
    pub async fn quota(&self, caller: &Caller) -> Result<NodeQuota> {
        Ok(NodeQuota {
            limit: self.service.node_quota(caller).await?,
            in_use: self.service.project_pool_sizes(caller).await?,
        })
    }

    /// Starts the upgrade the pre-flight allows (or an owner overrides, with a reason): the
    /// control plane first, then the provider-managed pools in order.
    pub async fn start(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: UpgradeRequest<'_>,
        starter: &Starter,
    ) -> Result<(UpgradeRun, Cluster)> {
        let target = target_of(caller, "cluster", id, Some(id));
        let changes = self.service.changes();
        // Sealed with the run's record, which is written last.
        let pending = changes.pending(
            caller,
            "upgrade.start",
            target,
            None,
            |run: &UpgradeRun, change| change.after = Some(run_fields(run)),
        );
        let result = self
            .start_unrecorded(
                &caller.recording(pending.clone()),
                region,
                id,
                request,
                starter,
            )
            .await;
        changes.settle(&pending, result).await
    }

    async fn start_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: UpgradeRequest<'_>,
        starter: &Starter,
    ) -> Result<(UpgradeRun, Cluster)> {
        let UpgradeRequest {
            target,
            with_pools,
            override_reason,
            soak_days,
        } = request;
        let override_reason = checked_override(override_reason, starter)?;
        if soak_days > SOAK_DAYS_MAX {
            return Err(DomainError::invalid(
                "soak_days",
                "constraint",
                format!("a soak period lasts 0 to {SOAK_DAYS_MAX} days"),
            ));
        }
        let facts = self.facts(caller, region, id).await?;
        if soak_days > 0 && !is_minor_step(&facts.cluster.version, target) {
            return Err(DomainError::invalid(
                "soak_days",
                "constraint",
                "a soak period keeps the previous minor's behaviour: it applies to minor upgrades only",
            ));
        }
        let assessment = assess(&facts.subject(self.clock.now()), target, with_pools);
        let report = &assessment.preflight;
        // What the provider itself refuses keeps the provider's answer: an invalid target is
        // an invalid argument, a cluster in the middle of a change is busy.
        if let Some(target_check) = report
            .blocking()
            .find(|check| check.id == preflight::TARGET_CHECK)
        {
            return Err(DomainError::invalid(
                "version",
                "constraint",
                target_check.summary.clone(),
            ));
        }
        if facts.cluster.status != ClusterStatus::Ready {
            return Err(DomainError::TransientState {
                resource: "k8s_cluster",
                resource_id: id.to_string(),
                current_state: facts.cluster.status.as_str().to_string(),
            });
        }
        let blocking = gate(report, override_reason, "upgrade")?;
        let cluster = self
            .service
            .upgrade_cluster(caller, region, id, Some(target.to_string()), with_pools)
            .await?;
        let now = self.clock.now();
        let run = UpgradeRun {
            id: self.ids.uuid(),
            cluster_id: id.to_string(),
            from_version: report.from_version.clone(),
            to_version: target.to_string(),
            upgrade_pools: with_pools,
            verdict: report.verdict.as_str().to_string(),
            override_reason: if blocking.is_empty() {
                None
            } else {
                override_reason.map(str::to_string)
            },
            blocking,
            started_by: starter.name.clone(),
            started_at: now,
            state: RunState::Running,
            kind: UPGRADE.to_string(),
            pool_id: None,
            soak_until: (soak_days > 0).then(|| now + chrono::Duration::days(soak_days.into())),
        };
        self.record(&run, region, caller).await?;
        Ok((run, cluster))
    }

    /// Keeps the record of a started run, with the caller's record of the start (an
    /// `upgrade.start` or `rollback.start` entry) in the same transaction.
    async fn record(&self, run: &UpgradeRun, region: &str, caller: &Caller) -> Result<()> {
        let mut transaction = self.database.begin().await?;
        let record = upgrade_runs::RunRecord {
            id: run.id.clone(),
            cluster_id: run.cluster_id.clone(),
            region: region.to_string(),
            project_id: caller.project_id.clone(),
            from_version: run.from_version.clone(),
            to_version: run.to_version.clone(),
            upgrade_pools: run.upgrade_pools,
            verdict: run.verdict.clone(),
            blocking: run.blocking.clone(),
            override_reason: run.override_reason.clone(),
            started_by: run.started_by.clone(),
            started_at: run.started_at,
            state: run.state.as_str().to_string(),
            kind: run.kind.clone(),
            pool_id: run.pool_id.clone(),
            soak_until: run.soak_until,
        };
        upgrade_runs::insert(&mut transaction, &record).await?;
        caller.commit_change(transaction, run).await
    }

    /// The cluster's most recent upgrade, if Wheelhouse started one.
    pub async fn latest_run(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<UpgradeRun>> {
        // Resolves ownership (another project's cluster is "not found").
        self.service.get_cluster(caller, region, id).await?;
        self.run_of(id, None).await
    }

    /// The cluster's latest run, or its latest of one kind.
    async fn run_of(&self, id: &ClusterId, kind: Option<&str>) -> Result<Option<UpgradeRun>> {
        let mut conn = self.database.pool().acquire().await?;
        let Some(record) = upgrade_runs::latest(&mut conn, id.as_str(), kind).await? else {
            return Ok(None);
        };
        let state = RunState::parse(&record.state).ok_or_else(|| {
            sqlx::Error::Decode(
                format!("upgrade run in an unknown state `{}`", record.state).into(),
            )
        })?;
        Ok(Some(UpgradeRun {
            id: record.id,
            cluster_id: record.cluster_id,
            from_version: record.from_version,
            to_version: record.to_version,
            upgrade_pools: record.upgrade_pools,
            verdict: record.verdict,
            blocking: record.blocking,
            override_reason: record.override_reason,
            started_by: record.started_by,
            started_at: record.started_at,
            state,
            kind: record.kind,
            pool_id: record.pool_id,
            soak_until: record.soak_until,
        }))
    }
}

impl UpgradeService {
    /// Pause (before the next wave), resume, or abort (after the current wave) the cluster's
    /// latest upgrade, through the provider; the run records where its owner left it. The run's
    /// state moves by a conditional update (from the state read, to the one its transition
    /// allows) before the provider is asked, so of two owners steering at once each acts on the
    /// state the other left, and a refusal by the provider puts back only what this call set.
    pub async fn control(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        control: RolloutControl,
    ) -> Result<UpgradeRun> {
        // What the provider is asked is recorded by the provisioning service; a refusal here,
        // before it is asked, is recorded as this control's.
        let (mut run, next) = match self.steer_run(caller, region, id, control).await {
            Ok(steered) => steered,
            Err(error) => {
                let action = match control {
                    RolloutControl::Pause => "upgrade.pause",
                    RolloutControl::Resume => "upgrade.resume",
                    RolloutControl::Abort => "upgrade.abort",
                };
                let target = target_of(caller, "cluster", id, Some(id));
                self.service
                    .changes()
                    .refusal(caller, action, target, &error)
                    .await;
                return Err(error);
            }
        };
        if let Err(error) = self
            .service
            .control_rollout(caller, region, id, control)
            .await
        {
            self.move_run(&run.id, next, run.state).await?;
            return Err(error);
        }
        run.state = next;
        Ok(run)
    }

    /// Moves the latest run to the state `control` leads to, by a conditional update; the run
    /// as it was and its new state.
    async fn steer_run(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        control: RolloutControl,
    ) -> Result<(UpgradeRun, RunState)> {
        let refused = |why: &str| DomainError::precondition("rollout_control", why.to_string());
        // Another writer may move the run between the read and the update: read again, a few
        // times, then give up rather than spin.
        for _ in 0..5 {
            let Some(latest) = self.latest_run(caller, region, id).await? else {
                return Err(refused("no upgrade was started on this cluster"));
            };
            let next = latest.state.after(control).map_err(refused)?;
            if self.move_run(&latest.id, latest.state, next).await? {
                return Ok((latest, next));
            }
        }
        Err(refused(
            "the upgrade is being steered by someone else right now: look again",
        ))
    }

    /// Moves a run from one state to another; false when it was no longer in `from`.
    async fn move_run(&self, run_id: &str, from: RunState, to: RunState) -> Result<bool> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(upgrade_runs::move_state(&mut conn, run_id, from.as_str(), to.as_str()).await?)
    }
}

/// Where an upgrade stands: the control plane, each pool and each node, read from the port.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UpgradeProgress {
    pub cluster_id: String,
    pub cluster_status: String,
    pub control_plane_version: String,
    /// The version being rolled out (the latest recorded upgrade's target), if any.
    pub target_version: Option<String>,
    pub run: Option<UpgradeRun>,
    pub pools: Vec<PoolProgress>,
    /// True when the control plane and every pool the upgrade moves run the target, settled.
    pub finished: bool,
    /// True while something is still to happen: not finished, and not aborted and settled.
    pub active: bool,
    /// While the latest upgrade soaks: until when the cluster can be rolled back, and to what.
    pub rollback_until: Option<DateTime<Utc>>,
    pub rollback_to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PoolProgress {
    pub id: String,
    pub name: String,
    pub status: String,
    pub version: String,
    /// waiting, upgrading, done or skipped (with why).
    pub stage: String,
    /// Why an upgrading pool does not move, when the provider says (a drain waiting on a PDB).
    pub held_by: Option<String>,
    pub nodes_total: usize,
    pub nodes_on_target: usize,
    pub nodes: Vec<NodeProgress>,
    /// The pool can go back on its own to the version before the upgrade (after an aborted or
    /// failed pool upgrade).
    pub can_roll_back: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NodeProgress {
    pub name: String,
    pub status: String,
    pub version: String,
}

impl UpgradeService {
    pub async fn progress(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<UpgradeProgress> {
        let (run, upgrade) = self.runs(caller, region, id).await?;
        let cluster = self.service.get_cluster(caller, region, id).await?;
        let pools = self.service.list_pools(caller, region, id).await?;
        let nodes = with_pool_versions(self.service.list_nodes(caller, region, id).await?, &pools);
        let target = run
            .as_ref()
            .map(|run| run.to_version.clone())
            .or_else(|| cluster.target_version.clone());
        let now = self.clock.now();
        let latest = run.clone();
        let mut progress = progress_of(&cluster, &pools, &nodes, run, target, now);
        let settled = progress.cluster_status == ClusterStatus::Ready.as_str()
            && progress
                .pools
                .iter()
                .all(|p| p.status != PoolStatus::Upgrading.as_str());
        if settled
            && rollback::cluster_rollback_refusal(upgrade.as_ref(), latest.as_ref(), &cluster, now)
                .is_none()
        {
            progress.rollback_until = upgrade.as_ref().and_then(|u| u.soak_until);
            progress.rollback_to = upgrade.as_ref().map(|u| u.from_version.clone());
        }
        for entry in progress.pools.iter_mut() {
            if let Some(pool) = pools.iter().find(|p| p.id == entry.id) {
                entry.can_roll_back = settled
                    && rollback::pool_rollback_refusal(upgrade.as_ref(), &cluster, pool, &nodes)
                        .is_none();
            }
        }
        // A drain waiting on a PDB says so, until the provider reports the drain went on.
        let events = self
            .service
            .cluster_events(caller, region, id)
            .await?
            .unwrap_or_default();
        for pool in progress.pools.iter_mut().filter(|p| p.stage == "upgrading") {
            let latest = events.iter().find(|event| {
                event.object_id == pool.id
                    && matches!(
                        event.reason.as_str(),
                        "DrainBlocked" | "DrainForced" | "DrainResumed"
                    )
            });
            pool.held_by = latest
                .filter(|event| event.reason == "DrainBlocked")
                .map(|event| {
                    format!(
                        "{} (since {})",
                        event.message,
                        event.at.format("%H:%M:%S UTC")
                    )
                });
        }
        Ok(progress)
    }
}

/// Nodes whose provider does not report their kubelet version (Scaleway's node object has
/// none) run their pool's version once the pool is settled; while it upgrades, it is unknown.
fn with_pool_versions(mut nodes: Vec<Node>, pools: &[Pool]) -> Vec<Node> {
    for node in nodes.iter_mut().filter(|n| n.version.is_empty()) {
        if let Some(pool) = pools
            .iter()
            .find(|p| p.id == node.pool_id && p.status != PoolStatus::Upgrading)
        {
            node.version = pool.version.clone();
        }
    }
    nodes
}

/// Pure: the progress of a rollout to `target` as the objects show it.
pub fn progress_of(
    cluster: &Cluster,
    pools: &[Pool],
    nodes: &[Node],
    run: Option<UpgradeRun>,
    target: Option<String>,
    now: DateTime<Utc>,
) -> UpgradeProgress {
    let target_name = target.clone().unwrap_or_else(|| cluster.version.clone());
    // A pool's rollback leaves the control plane and the other pools alone.
    let only_pool = run
        .as_ref()
        .filter(|run| run.kind == POOL_ROLLBACK)
        .and_then(|run| run.pool_id.clone());
    let control_plane_done = cluster.version == target_name || only_pool.is_some();
    let moves_pools = run.as_ref().is_none_or(|run| run.upgrade_pools);
    let mut pool_progress = Vec::new();
    for pool in plan::pools_in_order(pools) {
        let pool_nodes: Vec<&Node> = nodes.iter().filter(|n| n.pool_id == pool.id).collect();
        let on_target = pool_nodes
            .iter()
            .filter(|n| n.version == target_name && n.status == NodeStatus::Ready)
            .count();
        let state = run.as_ref().map_or(RunState::Running, |run| run.state);
        let stage = if only_pool.as_ref().is_some_and(|id| *id != pool.id) {
            "skipped: not part of this rollback".to_string()
        } else if pool.node_type == plan::EXTERNAL_NODE_TYPE {
            "skipped: external nodes".to_string()
        } else if !moves_pools && pool.version != target_name {
            "skipped: not upgraded with the control plane".to_string()
        } else if pool.status == PoolStatus::Upgrading && state == RunState::Paused {
            "paused".to_string()
        } else if pool.status == PoolStatus::Upgrading {
            "upgrading".to_string()
        } else if pool.version == target_name && pool_nodes.iter().all(|n| n.version == target_name)
        {
            "done".to_string()
        } else if state == RunState::Aborted {
            "stopped: the upgrade was aborted".to_string()
        } else {
            "waiting".to_string()
        };
        pool_progress.push(PoolProgress {
            id: pool.id.clone(),
            name: pool.name.clone(),
            status: pool.status.as_str().to_string(),
            version: pool.version.clone(),
            stage,
            held_by: None,
            nodes_total: pool_nodes
                .iter()
                .filter(|n| n.status != NodeStatus::Deleting)
                .count(),
            nodes_on_target: on_target,
            nodes: pool_nodes
                .iter()
                .map(|n| NodeProgress {
                    name: n.name.clone(),
                    status: n.status.as_str().to_string(),
                    version: n.version.clone(),
                })
                .collect(),
            can_roll_back: false,
        });
    }
    let finished = run.is_some()
        && control_plane_done
        && cluster.status == ClusterStatus::Ready
        && pool_progress
            .iter()
            .all(|p| p.stage == "done" || p.stage.starts_with("skipped"));
    let aborted = run
        .as_ref()
        .is_some_and(|run| run.state == RunState::Aborted);
    // The record says how its owner steered it; once everything runs the target, it finished.
    let run = run.map(|mut run| {
        if finished {
            let soaking = run.kind == UPGRADE && run.soak_until.is_some_and(|until| now < until);
            run.state = if soaking {
                RunState::Soaking
            } else {
                RunState::Finished
            };
        }
        run
    });
    let settled = cluster.status == ClusterStatus::Ready
        && pool_progress
            .iter()
            .all(|p| p.status != PoolStatus::Upgrading.as_str());
    UpgradeProgress {
        active: run.is_some() && !(finished || (aborted && settled)),
        cluster_id: cluster.id.clone(),
        cluster_status: cluster.status.as_str().to_string(),
        control_plane_version: cluster.version.clone(),
        target_version: target,
        run,
        pools: pool_progress,
        finished,
        rollback_until: None,
        rollback_to: None,
    }
}

#[cfg(test)]
mod run_state_tests {
    use super::RunState::{self, Aborted, Finished, Paused, Running, Soaking};
    use crate::domain::model::RolloutControl::{Abort, Pause, Resume};

    #[test]
    fn an_owner_steers_a_run_only_along_its_transitions() {
        assert_eq!(Running.after(Pause), Ok(Paused));
        assert_eq!(Paused.after(Resume), Ok(Running));
        assert_eq!(Paused.after(Abort), Ok(Aborted));
        assert_eq!(Running.after(Abort), Ok(Aborted));
        assert_eq!(Aborted.after(Resume), Ok(Running), "the pools left behind");
        assert!(Aborted.after(Pause).is_err(), "an abort is final");
        for over in [Soaking, Finished] {
            for control in [Pause, Resume, Abort] {
                assert!(over.after(control).is_err(), "{over:?} {control:?}");
            }
        }
    }

    #[test]
    fn states_read_back_as_written() {
        for state in [Running, Paused, Aborted, Soaking, Finished] {
            assert_eq!(RunState::parse(state.as_str()), Some(state));
        }
        assert_eq!(RunState::parse("halfway"), None);
    }
}
