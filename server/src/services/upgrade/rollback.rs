//! Soak and rollback. A minor upgrade started with a soak period (0–7 days) keeps the previous
//! minor's behaviour meanwhile (Kubernetes' emulated version), so one action can take the
//! pools and then the control plane back to the version before it, with the pre-flight, plan
//! and progress of an upgrade. A pool can be rolled back on its own after an aborted or failed
//! pool upgrade. When the soak ends, the upgrade is complete.

use chrono::{DateTime, Utc};

use super::plan::{self, needs_rollback, UpgradePlan};
use super::preflight::{self, PreflightReport};
use super::{
    checked_override, gate, run_fields, Assessment, Facts, Result, RollbackScope, RunState,
    Starter, UpgradeRun, UpgradeService, UpgradeSubject, POOL_ROLLBACK, ROLLBACK, UPGRADE,
};
use crate::domain::ids::ClusterId;
use crate::domain::model::{Caller, Cluster, ClusterStatus, Node, NodeStatus, Pool};
use crate::domain::DomainError;
use crate::services::changes::target_of;

/// Why the cluster cannot go back to the version before `upgrade` now, if it cannot.
pub fn cluster_rollback_refusal(
    upgrade: Option<&UpgradeRun>,
    latest: Option<&UpgradeRun>,
    cluster: &Cluster,
    now: DateTime<Utc>,
) -> Option<String> {
    let Some(upgrade) = upgrade else {
        return Some(
            "Wheelhouse started no upgrade on this cluster: there is nothing to roll back"
                .to_string(),
        );
    };
    let to = &upgrade.to_version;
    if latest.is_some_and(|run| run.kind == ROLLBACK && run.started_at >= upgrade.started_at) {
        return Some(format!("the upgrade to {to} was already rolled back"));
    }
    let Some(until) = upgrade.soak_until else {
        return Some(format!(
            "the upgrade to {to} was started without a soak period: its control plane cannot go back (pools can, after an aborted upgrade)"
        ));
    };
    if now >= until {
        return Some(format!(
            "the soak period ended on {}: the upgrade to {to} is complete",
            until.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if cluster.version != *to {
        return Some(format!(
            "the control plane runs {} rather than {to}: a rollback starts once it runs the upgrade's version",
            cluster.version
        ));
    }
    None
}

/// A pool whose serving nodes run different versions: its upgrade stopped midway.
fn mixed(pool: &Pool, nodes: &[Node]) -> bool {
    let mut versions = nodes
        .iter()
        .filter(|n| {
            n.pool_id == pool.id
                && !matches!(n.status, NodeStatus::Deleting | NodeStatus::CreationError)
        })
        .map(|n| n.version.as_str());
    let first = versions.next();
    versions.any(|v| Some(v) != first)
}

/// Why a pool cannot go back on its own to the version before `upgrade` now, if it cannot.
pub fn pool_rollback_refusal(
    upgrade: Option<&UpgradeRun>,
    cluster: &Cluster,
    pool: &Pool,
    nodes: &[Node],
) -> Option<String> {
    let Some(upgrade) = upgrade else {
        return Some(
            "Wheelhouse started no upgrade on this cluster: there is nothing to roll back"
                .to_string(),
        );
    };
    let from = &upgrade.from_version;
    if pool.node_type == plan::EXTERNAL_NODE_TYPE {
        return Some(format!(
            "pool {} has external nodes: their node agent upgrades them",
            pool.name
        ));
    }
    if !needs_rollback(pool, nodes, from) {
        return Some(format!("every node of pool {} runs {from}", pool.name));
    }
    if upgrade.state != RunState::Aborted && !mixed(pool, nodes) {
        return Some(format!(
            "pool {} finished its upgrade: a pool goes back on its own after an aborted or failed upgrade; during a soak period, roll back the cluster",
            pool.name
        ));
    }
    if cluster.status != ClusterStatus::Ready {
        return Some(format!(
            "the cluster is {}: a pool goes back once it is ready",
            cluster.status.as_str().replace('_', " ")
        ));
    }
    None
}

/// The pre-flight and plan of a rollback, as things are now. A rollback that may not happen
/// has no plan: the report says only why.
pub fn assess_rollback(
    subject: &UpgradeSubject<'_>,
    upgrade: Option<&UpgradeRun>,
    latest: Option<&UpgradeRun>,
    scope: &RollbackScope,
) -> Result<Assessment> {
    let target = upgrade
        .map(|run| run.from_version.clone())
        .unwrap_or_else(|| subject.cluster.version.clone());
    let (refusal, only) = match scope {
        RollbackScope::Cluster => (
            cluster_rollback_refusal(upgrade, latest, subject.cluster, subject.now),
            None,
        ),
        RollbackScope::Pool(pool_id) => {
            let pool = subject
                .pools
                .iter()
                .find(|pool| pool.id == pool_id.as_str())
                .ok_or_else(|| DomainError::not_found("k8s_pool", pool_id.as_str()))?;
            (
                pool_rollback_refusal(upgrade, subject.cluster, pool, subject.nodes),
                Some(pool),
            )
        }
    };
    let refused = refusal.is_some();
    let mut plan = plan::rollback_plan(subject, &target, only);
    let preflight = preflight::rollback_preflight(subject, refusal, &plan);
    if refused {
        plan = UpgradePlan {
            steps: Vec::new(),
            skipped_pools: Vec::new(),
            estimated_seconds: 0,
            your_responsibility: Vec::new(),
            ..plan
        };
    }
    Ok(Assessment { preflight, plan })
}

impl UpgradeService {
    /// The latest run and the latest upgrade (what a rollback goes back from).
    pub(super) async fn runs(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<(Option<UpgradeRun>, Option<UpgradeRun>)> {
        let latest = self.latest_run(caller, region, id).await?;
        let upgrade = match &latest {
            Some(run) if run.kind == UPGRADE => latest.clone(),
            _ => self.run_of(id, Some(UPGRADE)).await?,
        };
        Ok((latest, upgrade))
    }

    /// The pre-flight and plan of rolling the cluster (or one pool) back, as things are now.
    pub async fn assess_rollback(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        scope: &RollbackScope,
    ) -> Result<Assessment> {
        let (latest, upgrade) = self.runs(caller, region, id).await?;
        let facts = self.facts(caller, region, id).await?;
        assess_rollback(
            &facts.subject(self.clock.now()),
            upgrade.as_ref(),
            latest.as_ref(),
            scope,
        )
    }

    /// Starts the rollback the pre-flight allows (or an owner overrides, with a reason).
    pub async fn rollback(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        scope: &RollbackScope,
        override_reason: Option<&str>,
        starter: &Starter,
    ) -> Result<UpgradeRun> {
        let target = target_of(caller, "cluster", id, Some(id));
        let changes = self.service.changes();
        // Sealed with the run's record, which is written last.
        let pending = changes.pending(
            caller,
            "rollback.start",
            target,
            None,
            |run: &UpgradeRun, change| change.after = Some(run_fields(run)),
        );
        let recording = caller.recording(pending.clone());
        let result = self
            .rollback_unrecorded(&recording, region, id, scope, override_reason, starter)
            .await;
        changes.settle(&pending, result).await
    }

    async fn rollback_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        scope: &RollbackScope,
        override_reason: Option<&str>,
        starter: &Starter,
    ) -> Result<UpgradeRun> {
        let override_reason = checked_override(override_reason, starter)?;
        let (latest, upgrade) = self.runs(caller, region, id).await?;
        let facts: Facts = self.facts(caller, region, id).await?;
        let now = self.clock.now();
        let assessment = assess_rollback(
            &facts.subject(now),
            upgrade.as_ref(),
            latest.as_ref(),
            scope,
        )?;
        let report: &PreflightReport = &assessment.preflight;
        if let Some(refusal) = report
            .blocking()
            .find(|check| check.id == preflight::ROLLBACK_CHECK)
        {
            return Err(DomainError::precondition(
                "rollback",
                refusal.summary.clone(),
            ));
        }
        if facts.cluster.status != ClusterStatus::Ready {
            return Err(DomainError::TransientState {
                resource: "k8s_cluster",
                resource_id: id.to_string(),
                current_state: facts.cluster.status.as_str().to_string(),
            });
        }
        let blocking = gate(report, override_reason, "rollback")?;
        let target = assessment.plan.to_version.clone();
        let (kind, pool_id) = match scope {
            RollbackScope::Cluster => {
                self.service
                    .rollback_cluster(caller, region, id, &target)
                    .await?;
                (ROLLBACK, None)
            }
            RollbackScope::Pool(pool_id) => {
                self.service
                    .rollback_pool(caller, region, pool_id, &target)
                    .await?;
                (POOL_ROLLBACK, Some(pool_id.to_string()))
            }
        };
        let run = UpgradeRun {
            id: self.ids.uuid(),
            cluster_id: id.to_string(),
            from_version: report.from_version.clone(),
            to_version: target,
            upgrade_pools: true,
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
            kind: kind.to_string(),
            pool_id,
            soak_until: None,
        };
        self.record(&run, region, caller).await?;
        Ok(run)
    }
}
