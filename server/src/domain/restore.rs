//! The vocabulary of restoring a cluster to its provider's defaults, shared by the provisioning
//! port (what a provider snapshots, changes and reports) and Wheelhouse's restore service.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How much of a cluster a restore resets; each scope includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestoreScope {
    /// (1) The provider-managed system apps (CoreDNS, kube-proxy, CNI, CSI, …) back to the
    /// provider's defaults: version, health, managed by the provider.
    SystemApps,
    /// (2) + the control-plane configuration (feature gates, admission plugins, OIDC) and the
    /// provider-managed control-plane components.
    ControlPlane,
    /// (3) + etcd's contents from a snapshot the user picks.
    Etcd,
}

impl RestoreScope {
    pub const ALL: [RestoreScope; 3] = [
        RestoreScope::SystemApps,
        RestoreScope::ControlPlane,
        RestoreScope::Etcd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RestoreScope::SystemApps => "system_apps",
            RestoreScope::ControlPlane => "control_plane",
            RestoreScope::Etcd => "etcd",
        }
    }

    pub fn parse(text: &str) -> Option<RestoreScope> {
        RestoreScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
    }

    /// Whether this scope includes `part` (each scope includes the ones before it).
    pub fn includes(self, part: RestoreScope) -> bool {
        part <= self
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            RestoreScope::SystemApps => "system apps",
            RestoreScope::ControlPlane => "system apps and control-plane configuration",
            RestoreScope::Etcd => "system apps, control-plane configuration and etcd contents",
        }
    }
}

impl PartialOrd for RestoreScope {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RestoreScope {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |scope: &RestoreScope| match scope {
            RestoreScope::SystemApps => 1,
            RestoreScope::ControlPlane => 2,
            RestoreScope::Etcd => 3,
        };
        rank(self).cmp(&rank(other))
    }
}

/// What a restore asks of the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreRequest {
    pub scope: RestoreScope,
    /// Scope `etcd`: the snapshot whose contents come back (required there, refused elsewhere).
    pub snapshot_id: Option<String>,
    /// An undo: every part in scope goes back to this snapshot's state (the one taken before
    /// the restore being undone) instead of the provider's defaults.
    pub undo_to: Option<String>,
}

/// One etcd snapshot the provider keeps of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EtcdSnapshot {
    pub id: String,
    pub cluster_id: String,
    pub taken_at: DateTime<Utc>,
    pub size_bytes: i64,
    /// periodic, pre_upgrade, pre_rollback or pre_restore.
    pub reason: String,
    /// available, corrupt or missing: only an available snapshot can be restored.
    pub state: String,
}

/// One thing a restore changes: a component's field, a control-plane setting, or an object of
/// etcd, from what it is to what it becomes (`null`: absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RestoreChange {
    /// system_apps, control_plane or etcd: the scope that changes it.
    pub part: String,
    /// What changes: a component (`coredns`), a setting (`feature_gates`), a workload
    /// (`shop/cart`) or a PDB (`shop/cart-pdb`).
    pub name: String,
    /// Which of its fields: version, health, managed_by, the setting itself, `workload` or `pdb`.
    pub field: String,
    #[schema(value_type = Object)]
    pub from: Value,
    #[schema(value_type = Object)]
    pub to: Value,
}

/// Where a restore stands, as its provider reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestoreState {
    Running,
    Succeeded,
    /// It ended without finishing, with its reason (its deadline passed, its snapshot broke).
    Failed,
}

impl RestoreState {
    pub fn as_str(self) -> &'static str {
        match self {
            RestoreState::Running => "running",
            RestoreState::Succeeded => "succeeded",
            RestoreState::Failed => "failed",
        }
    }
}

/// One step of a restore (one per part in scope).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RestoreStepProgress {
    /// system_apps, control_plane or etcd.
    pub name: String,
    /// pending, running, done or failed.
    pub state: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// What the running step waits for, when it waits on something (no Ready node, say).
    pub waiting_on: Option<String>,
}

/// A restore the provider carries out.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProviderRestore {
    pub id: String,
    pub cluster_id: String,
    pub scope: RestoreScope,
    pub snapshot_id: Option<String>,
    pub undo_to: Option<String>,
    /// The snapshot taken before anything changed (what an undo returns to).
    pub pre_restore_snapshot_id: String,
    pub state: RestoreState,
    pub steps: Vec<RestoreStepProgress>,
    pub started_at: DateTime<Utc>,
    /// After this instant a restore still running ends Failed.
    pub deadline_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub failure_reason: Option<String>,
}
