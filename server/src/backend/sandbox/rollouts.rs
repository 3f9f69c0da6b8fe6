//! Pause, resume and abort of an upgrade's rollout in the sandbox. A hold is read by the
//! reconciler before each new wave and before each next pool: a wave under way always
//! finishes, so nothing is left half-drained. The control plane's own upgrade cannot stop
//! midway; a hold set during it takes effect before the first pool.
//!
//! A rollback goes the other way round: the pools first (a kubelet may not be newer than its
//! API server), each in the waves of an upgrade, then the control plane. Kubernetes'
//! emulated version keeps a minor upgrade's API server able to go back one minor; Wheelhouse's
//! upgrade service decides when that is still allowed (the soak period it recorded).

use serde_json::json;

use super::clusters::{parse_version, MAX_KUBELET_SKEW_MINORS};
use super::pools::require_settled_pool;
use super::reconciler::kinds::OperationKind;
use super::reconciler::steps::{start_next_pool_upgrade, start_pool_rollout};
use super::store::{holds, nodes, pools, versions};
use super::{require_settled_cluster, Provisioning};
use crate::backend::sandbox::external_nodes::is_external;
use crate::domain::model::{
    Caller, Cluster, ClusterStatus, NodeStatus, Pool, PoolStatus, RolloutControl,
};
use crate::domain::version::KubeVersion;
use crate::domain::DomainError;

pub const PAUSE: &str = "pause";
pub const ABORT: &str = "abort";

impl Provisioning {
    pub async fn control_rollout(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
        control: RolloutControl,
    ) -> Result<Cluster, DomainError> {
        let (mut transaction, cluster) = self.begin_on_cluster(caller, region, cluster_id).await?;
        let mut pool_list = pools::of_cluster(&mut transaction, &cluster.id).await?;
        pool_list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        let hold = holds::get(&mut transaction, &cluster.id).await?;
        let rolling = cluster.status == ClusterStatus::Updating
            || pool_list.iter().any(|p| p.status == PoolStatus::Upgrading);
        let lagging: Vec<String> = pool_list
            .iter()
            .filter(|p| {
                p.version != cluster.version && p.status != PoolStatus::Deleting && !is_external(p)
            })
            .map(|p| p.id.clone())
            .collect();
        let nothing = || {
            DomainError::precondition(
                "rollout_control",
                "no upgrade is rolling out on this cluster",
            )
        };
        let (reason, message) = match control {
            RolloutControl::Pause => {
                if !rolling {
                    return Err(nothing());
                }
                if hold.as_deref() == Some(ABORT) {
                    return Err(DomainError::precondition(
                        "rollout_control",
                        "the upgrade is being aborted: it stops after the current wave",
                    ));
                }
                holds::set(&mut transaction, &cluster.id, PAUSE, self.now()).await?;
                ("RolloutPaused", "the rollout pauses after the current wave")
            }
            RolloutControl::Abort => {
                if is_rollback(&cluster) {
                    return Err(DomainError::precondition(
                        "rollout_control",
                        "a rollback cannot be aborted halfway (its pools would be left behind their control plane): pause it if you must",
                    ));
                }
                if !rolling && hold.is_none() {
                    return Err(nothing());
                }
                if rolling {
                    holds::set(&mut transaction, &cluster.id, ABORT, self.now()).await?;
                    (
                        "RolloutAborting",
                        "the rollout stops after the current wave",
                    )
                } else {
                    // Paused between pools: nothing is under way, so it stops now.
                    holds::clear(&mut transaction, &cluster.id).await?;
                    ("RolloutAborted", "the rollout was aborted")
                }
            }
            RolloutControl::Resume => {
                let resumable = hold.as_deref() == Some(PAUSE)
                    || (!rolling && hold.is_none() && !lagging.is_empty());
                if !resumable {
                    return Err(DomainError::precondition(
                        "rollout_control",
                        "nothing to resume: no rollout is paused and every pool runs the cluster's version",
                    ));
                }
                holds::clear(&mut transaction, &cluster.id).await?;
                // A pool's rollout that was waiting picks up at its next pass; when none is
                // under way (paused or aborted between pools), the next pool starts now.
                if !rolling {
                    start_next_pool_upgrade(
                        self,
                        &mut transaction,
                        &cluster.id,
                        &cluster.version,
                        &lagging,
                    )
                    .await?;
                }
                ("RolloutResumed", "the rollout resumed")
            }
        };
        self.record_event(
            &mut transaction,
            &cluster.id,
            "cluster",
            &cluster.id,
            reason,
            message.to_string(),
        )
        .await?;
        caller.commit_change(transaction, &cluster).await?;
        Ok(cluster)
    }
}

/// A cluster whose control plane is heading to an older version: a rollback under way.
pub fn is_rollback(cluster: &Cluster) -> bool {
    let older = |target: &str| match (
        target.parse::<KubeVersion>(),
        cluster.version.parse::<KubeVersion>(),
    ) {
        (Ok(target), Ok(current)) => target < current,
        _ => false,
    };
    cluster.status == ClusterStatus::Updating
        && cluster.target_version.as_deref().is_some_and(older)
}

/// A version a rollback may go back to: older than `current`, at most one minor back, offered.
async fn rollback_target(
    conn: &mut sqlx::AnyConnection,
    current: &str,
    version: &str,
    what: &str,
) -> Result<KubeVersion, DomainError> {
    let target = parse_version("version", version)?;
    let current = parse_version("version", current)?;
    if target >= current {
        return Err(DomainError::invalid(
            "version",
            "constraint",
            format!("a rollback goes to an older version than the {what}'s {current}"),
        ));
    }
    if target.major != current.major || target.minor + 1 < current.minor {
        return Err(DomainError::invalid(
            "version",
            "constraint",
            format!("{target} is more than one minor behind the {what}'s {current}: a rollback goes back one minor at most"),
        ));
    }
    if versions::get(conn, version).await?.is_none() {
        return Err(DomainError::invalid(
            "version",
            "constraint",
            format!("Kubernetes {version} is not offered here"),
        ));
    }
    Ok(target)
}

/// Whether a pool's serving nodes all run `version`.
fn pool_on(pool: &Pool, pool_nodes: &[crate::domain::model::Node], version: &str) -> bool {
    pool.version == version
        && pool_nodes
            .iter()
            .filter(|n| !matches!(n.status, NodeStatus::Deleting | NodeStatus::CreationError))
            .all(|n| n.version == version)
}

impl Provisioning {
    /// Rolls a cluster back to `version` (one minor back at most): its pools first, in the
    /// order they were created and in the waves of an upgrade, then the control plane.
    pub async fn rollback_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
        version: &str,
    ) -> Result<Cluster, DomainError> {
        let (mut transaction, mut cluster) = self.begin_on_cluster(caller, region, id).await?;
        require_settled_cluster(&cluster)?;
        let current = cluster.version.clone();
        let target = rollback_target(&mut transaction, &current, version, "control plane").await?;
        let cluster_pools = pools::of_cluster(&mut transaction, id).await?;
        if let Some(busy) = cluster_pools.iter().find(|pool| pool.status.is_transient()) {
            return Err(DomainError::TransientState {
                resource: "k8s_pool",
                resource_id: busy.id.clone(),
                current_state: busy.status.as_str().into(),
            });
        }
        // A pause or abort left over from the upgrade does not apply to its rollback.
        holds::clear(&mut transaction, id).await?;
        // etcd as it was before the rollback, for a restore to pick.
        self.take_snapshot(&mut transaction, &cluster, super::restore::PRE_ROLLBACK)
            .await?;
        cluster.status = cluster.status.to(ClusterStatus::Updating)?;
        cluster.target_version = Some(version.to_string());
        cluster.updated_at = self.now();
        super::store::clusters::update(&mut transaction, &cluster).await?;
        self.enqueue(
            &mut transaction,
            OperationKind::UpgradeCluster,
            id,
            id,
            json!({ "version": version, "upgrade_pools": false, "rollback": true }),
        )
        .await?;
        self.record_event(
            &mut transaction,
            id,
            "cluster",
            id,
            "RollbackStarted",
            format!("rollback from {current} to {target} started: the pools first, then the control plane"),
        )
        .await?;
        caller.commit_change(transaction, &cluster).await?;
        Ok(cluster)
    }

    /// Rolls one pool's nodes back onto `version` (after an aborted or failed pool upgrade):
    /// not newer than its control plane, within the kubelet skew, in the waves of an upgrade.
    pub async fn rollback_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
        version: &str,
    ) -> Result<Pool, DomainError> {
        let (mut transaction, cluster, mut pool) =
            self.begin_on_pool(caller, region, pool_id).await?;
        require_settled_pool(&pool)?;
        require_settled_cluster(&cluster)?;
        if is_external(&pool) {
            return Err(DomainError::precondition(
                "external_pool",
                "the nodes of an external pool run elsewhere and are upgraded by their node agent",
            ));
        }
        let target = parse_version("version", version)?;
        let control_plane = parse_version("version", &cluster.version)?;
        if target > control_plane
            || target.major != control_plane.major
            || target.minor + MAX_KUBELET_SKEW_MINORS < control_plane.minor
        {
            return Err(DomainError::invalid(
                "version",
                "constraint",
                format!("a pool's nodes run at most its control plane's {control_plane} and no more than {MAX_KUBELET_SKEW_MINORS} minors behind it"),
            ));
        }
        let pool_nodes = nodes::of_pool(&mut transaction, &pool.id).await?;
        if pool_on(&pool, &pool_nodes, version) {
            return Err(DomainError::invalid(
                "version",
                "constraint",
                format!("every node of pool {} already runs {version}", pool.name),
            ));
        }
        if versions::get(&mut transaction, version).await?.is_none() {
            return Err(DomainError::invalid(
                "version",
                "constraint",
                format!("Kubernetes {version} is not offered here"),
            ));
        }
        let from = start_pool_rollout(self, &mut transaction, &mut pool, version, &[]).await?;
        self.record_event(
            &mut transaction,
            &cluster.id,
            "pool",
            &pool.id,
            "PoolRollbackStarted",
            format!("pool {} rolling back from {from} to {target}", pool.name),
        )
        .await?;
        caller.commit_change(transaction, &pool).await?;
        Ok(pool)
    }
}

/// The next step of a cluster rollback before its control plane moves: `None` once every pool
/// runs `target`; otherwise the step waits, and starts the next pool's rollback when none is
/// under way (not while the owner paused the rollback).
pub(crate) async fn roll_pools_back(
    p: &Provisioning,
    conn: &mut sqlx::AnyConnection,
    cluster_id: &str,
    target: &str,
) -> Result<Option<()>, DomainError> {
    let mut cluster_pools = pools::of_cluster(conn, cluster_id).await?;
    cluster_pools.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let mut lagging = Vec::new();
    for pool in cluster_pools
        .into_iter()
        .filter(|pool| pool.status != PoolStatus::Deleting && !is_external(pool))
    {
        if pool.status.is_transient() {
            return Ok(Some(()));
        }
        let pool_nodes = nodes::of_pool(conn, &pool.id).await?;
        if !pool_on(&pool, &pool_nodes, target) {
            lagging.push(pool);
        }
    }
    let Some(mut next) = lagging.into_iter().next() else {
        return Ok(None);
    };
    if holds::get(conn, cluster_id).await?.as_deref() == Some(PAUSE) {
        return Ok(Some(()));
    }
    let from = start_pool_rollout(p, conn, &mut next, target, &[]).await?;
    p.record_event(
        conn,
        cluster_id,
        "pool",
        &next.id,
        "PoolRollbackStarted",
        format!("pool {} rolling back from {from} to {target}", next.name),
    )
    .await?;
    Ok(Some(()))
}
