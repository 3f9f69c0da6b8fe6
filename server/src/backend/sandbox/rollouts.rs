//! Pause, resume and abort of an upgrade's rollout in the sandbox. A hold is read by the
//! reconciler before each new wave and before each next pool: a wave under way always
//! finishes, so nothing is left half-drained. The control plane's own upgrade cannot stop
//! midway; a hold set during it takes effect before the first pool.

use super::reconciler::steps::start_next_pool_upgrade;
use super::store::{holds, pools};
use super::Provisioning;
use crate::backend::sandbox::external_nodes::is_external;
use crate::domain::model::{Caller, Cluster, ClusterStatus, PoolStatus, RolloutControl};
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
        transaction.commit().await?;
        Ok(cluster)
    }
}
