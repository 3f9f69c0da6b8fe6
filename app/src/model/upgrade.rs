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
}

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
    /// False when the target itself cannot be chosen: then there is no plan to show.
    pub target_valid: bool,
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
    pub cluster_status: String,
    pub control_plane_version: String,
    /// running, paused or aborted.
    pub state: String,
    pub finished: bool,
    /// Something is still to happen (not finished, not aborted and settled).
    pub active: bool,
    pub pools: Vec<PoolProgress>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolProgress {
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
}

impl Progress {
    /// The control plane's stage, from the versions and the cluster's status.
    pub fn control_plane_stage(&self) -> &'static str {
        if self.control_plane_version == self.to_version {
            "done"
        } else if self.cluster_status == "updating" {
            "upgrading"
        } else {
            "waiting"
        }
    }
}

/// The address of a cluster's upgrade wizard.
pub fn upgrade_path(region: &str, id: &str) -> String {
    format!("{}/upgrade", super::cluster::cluster_path(region, id))
}
