//! The upgrade wizard: the versions a cluster may move to, the pre-flight verdict with its
//! evidence, the changelog, the plan, and the progress of a running upgrade.

use serde::{Deserialize, Serialize};

/// What loading the wizard found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum UpgradePage {
    Found(Box<UpgradeView>),
    NotFound,
    SignedOut,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpgradeView {
    pub cluster_name: String,
    pub current_version: String,
    /// Owners and editors start upgrades; viewers look.
    pub can_change: bool,
    /// Only owners may override a NO-GO (with a written reason).
    pub can_override: bool,
    pub targets: Vec<TargetOption>,
    /// The target chosen in the address (`?version=`), when there is one.
    pub chosen: Option<String>,
    pub assessment: Option<Assessment>,
    /// The running upgrade, or the last one Wheelhouse started.
    pub progress: Option<Progress>,
    /// The override reason a refused start kept for this session (empty otherwise).
    pub typed_reason: String,
    /// A rollback chosen in the address (`?rollback=cluster` or a pool's id): then
    /// `assessment` is the rollback's pre-flight and plan.
    pub rollback: Option<RollbackChoice>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollbackChoice {
    /// "cluster" or the pool's id, as the form posts it.
    pub scope: String,
    /// "the cluster" or "pool default".
    pub label: String,
}

/// The longest soak period a minor upgrade may keep, in days.
pub const SOAK_DAYS_MAX: u32 = 7;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetOption {
    pub version: String,
    /// "patch" or "minor".
    pub kind: String,
    /// "supported until 2027-12-31", …
    pub support: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub target: String,
    /// False when the target itself cannot be chosen (or a rollback may not happen): then
    /// there is no plan to show.
    pub target_valid: bool,
    /// The next minor (a soak period may be chosen), not a patch.
    pub minor: bool,
    /// go, go_with_warnings or no_go.
    pub verdict: String,
    pub checks: Vec<Check>,
    pub changelog: Vec<ChangelogEntry>,
    pub steps: Vec<PlanStep>,
    pub skipped_pools: Vec<String>,
    /// "about 27 minutes".
    pub duration: String,
    pub your_responsibility: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub title: String,
    /// pass, warning or fail.
    pub status: String,
    pub summary: String,
    pub evidence: Vec<String>,
    pub recommendation: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangelogEntry {
    pub version: String,
    pub notes: Vec<String>,
    pub removed: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanStep {
    pub name: String,
    pub duration: String,
    /// "Wave 1: node-a, node-b (1 new node first, 1 drained in place)".
    pub waves: Vec<String>,
}

/// A running (or the last) upgrade, as the progress view and its live stream show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub from_version: String,
    pub to_version: String,
    pub started_by: String,
    pub started_at: String,
    pub override_reason: Option<String>,
    /// upgrade, rollback or pool_rollback.
    pub kind: String,
    /// While the upgrade soaks: until when (and to which version) the cluster can be rolled
    /// back.
    pub rollback_until: Option<String>,
    pub rollback_to: Option<String>,
    pub cluster_status: String,
    pub control_plane_version: String,
    /// running, paused, aborted, soaking (finished, can still be rolled back) or finished.
    pub state: String,
    pub finished: bool,
    /// Something is still to happen (not finished, not aborted and settled).
    pub active: bool,
    pub pools: Vec<PoolProgress>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolProgress {
    pub id: String,
    pub name: String,
    /// waiting, upgrading, done, or "skipped: why".
    pub stage: String,
    /// Why an upgrading pool does not move (a drain waiting on a PDB), when known.
    pub held_by: Option<String>,
    pub version: String,
    pub nodes_on_target: usize,
    pub nodes_total: usize,
    /// (name, status, version)
    pub nodes: Vec<(String, String, String)>,
    /// The pool can go back on its own (after an aborted or failed pool upgrade).
    pub can_roll_back: bool,
}

impl Progress {
    /// The control plane's stage, from the versions and the cluster's status.
    pub fn control_plane_stage(&self) -> &'static str {
        let pools_first = self.kind == "rollback"
            && self.pools.iter().any(|pool| {
                pool.stage == "waiting" || pool.stage == "upgrading" || pool.stage == "paused"
            });
        if self.control_plane_version == self.to_version || self.kind == "pool_rollback" {
            "done"
        } else if self.cluster_status == "updating" && !pools_first {
            "upgrading"
        } else {
            "waiting"
        }
    }
}

impl Progress {
    /// "Upgrade" or "Rollback", for headlines.
    pub fn what(&self) -> &'static str {
        if self.kind == "upgrade" {
            "Upgrade"
        } else {
            "Rollback"
        }
    }
}
