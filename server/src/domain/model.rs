//! The provisioning objects as the domain sees them, with their statuses. Times are
//! `DateTime<Utc>`; lists and maps are already decoded.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::change::{Actor, Interface, Source};

macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum!(
    /// Scaleway's cluster statuses (`creating`, `updating` and `deleting` are transient).
    ClusterStatus {
        Creating => "creating",
        Ready => "ready",
        Deleting => "deleting",
        Updating => "updating",
        Locked => "locked",
        PoolRequired => "pool_required",
    }
);

status_enum!(
    /// Scaleway's pool statuses (`scaling`, `upgrading` and `deleting` are transient).
    PoolStatus {
        Ready => "ready",
        Deleting => "deleting",
        Scaling => "scaling",
        Warning => "warning",
        Locked => "locked",
        Upgrading => "upgrading",
    }
);

status_enum!(
    /// Scaleway's node statuses.
    NodeStatus {
        Creating => "creating",
        NotReady => "not_ready",
        Ready => "ready",
        Deleting => "deleting",
        Locked => "locked",
        Rebooting => "rebooting",
        CreationError => "creation_error",
        Upgrading => "upgrading",
        Starting => "starting",
        Registering => "registering",
    }
);

/// A status change a rule does not allow (a bug, or a race the locks should have prevented).
fn refused_transition(resource: &'static str, from: &str, to: &str) -> crate::domain::DomainError {
    crate::domain::DomainError::precondition(
        "status_transition",
        format!("a {resource} cannot go from {from} to {to}"),
    )
}

impl ClusterStatus {
    /// The one place that says which status changes a cluster goes through.
    pub fn allows(self, next: ClusterStatus) -> bool {
        use ClusterStatus::*;
        self == next
            || matches!(
                (self, next),
                (Creating, Ready | PoolRequired | Deleting)
                    | (
                        Ready | PoolRequired,
                        Updating | Deleting | Locked | Ready | PoolRequired
                    )
                    | (Updating, Ready | Deleting)
                    | (Locked, Ready | Deleting)
            )
    }

    /// `next`, if the change is allowed.
    pub fn to(self, next: ClusterStatus) -> Result<ClusterStatus, crate::domain::DomainError> {
        if self.allows(next) {
            Ok(next)
        } else {
            Err(refused_transition("cluster", self.as_str(), next.as_str()))
        }
    }

    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ClusterStatus::Creating | ClusterStatus::Updating | ClusterStatus::Deleting
        )
    }
}

impl PoolStatus {
    /// The one place that says which status changes a pool goes through: any settled status
    /// may start a change; a change ends in a settled status; deletion is final.
    pub fn allows(self, next: PoolStatus) -> bool {
        use PoolStatus::*;
        self == next
            || match self {
                Deleting => false,
                Scaling | Upgrading => {
                    matches!(next, Ready | Warning | Deleting | Scaling | Upgrading)
                }
                Ready | Warning | Locked => true,
            }
    }

    pub fn to(self, next: PoolStatus) -> Result<PoolStatus, crate::domain::DomainError> {
        if self.allows(next) {
            Ok(next)
        } else {
            Err(refused_transition("pool", self.as_str(), next.as_str()))
        }
    }

    pub fn is_transient(self) -> bool {
        matches!(
            self,
            PoolStatus::Scaling | PoolStatus::Upgrading | PoolStatus::Deleting
        )
    }
}

impl NodeStatus {
    /// The one place that says which status changes a node goes through.
    pub fn allows(self, next: NodeStatus) -> bool {
        use NodeStatus::*;
        self == next
            || match self {
                Creating => matches!(next, Ready | NotReady | CreationError | Deleting),
                Rebooting | Upgrading | Starting | Registering => {
                    matches!(next, Ready | NotReady | Deleting)
                }
                Ready | NotReady | CreationError | Locked => {
                    matches!(
                        next,
                        Ready | NotReady | Rebooting | Deleting | Upgrading | Locked
                    )
                }
                Deleting => false,
            }
    }

    pub fn to(self, next: NodeStatus) -> Result<NodeStatus, crate::domain::DomainError> {
        if self.allows(next) {
            Ok(next)
        } else {
            Err(refused_transition("node", self.as_str(), next.as_str()))
        }
    }

    pub fn is_transient(self) -> bool {
        matches!(
            self,
            NodeStatus::Creating
                | NodeStatus::Deleting
                | NodeStatus::Rebooting
                | NodeStatus::Upgrading
                | NodeStatus::Starting
                | NodeStatus::Registering
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub id: String,
    pub project_id: String,
    pub organization_id: String,
    pub region: String,
    pub name: String,
    pub description: String,
    pub cluster_type: String,
    pub version: String,
    pub target_version: Option<String>,
    pub cni: String,
    pub status: ClusterStatus,
    pub tags: Vec<String>,
    pub feature_gates: Vec<String>,
    pub admission_plugins: Vec<String>,
    pub apiserver_cert_sans: Vec<String>,
    pub autoscaler_config: Value,
    pub open_id_connect_config: Value,
    pub auto_upgrade_enabled: bool,
    pub maintenance_day: String,
    pub maintenance_start_hour: i64,
    pub pod_cidr: String,
    pub service_cidr: String,
    pub service_dns_ip: String,
    pub private_network_id: Option<String>,
    pub admin_token: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the cluster's API server answers, as the provider says.
    pub cluster_url: String,
    /// Whether the provider offers an upgrade (a newer patch or the next minor).
    pub upgrade_available: bool,
    /// When the commitment of a committed offer ends, if it has one.
    pub commitment_ends_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub id: String,
    pub cluster_id: String,
    pub region: String,
    pub zone: String,
    pub name: String,
    pub node_type: String,
    pub status: PoolStatus,
    pub version: String,
    pub size: i64,
    pub min_size: i64,
    pub max_size: i64,
    pub autoscaling: bool,
    pub autohealing: bool,
    pub container_runtime: String,
    pub kubelet_args: serde_json::Map<String, Value>,
    pub tags: Vec<String>,
    pub root_volume_type: String,
    pub root_volume_size: i64,
    pub public_ip_disabled: bool,
    pub placement_group_id: Option<String>,
    pub security_group_id: String,
    pub max_surge: i64,
    pub max_unavailable: i64,
    /// Kubernetes labels and taints the pool applies to all its nodes (reconciled), and the
    /// taints new nodes start with (left to the user or a controller to remove).
    pub labels: serde_json::Map<String, Value>,
    pub taints: Vec<Taint>,
    pub startup_taints: Vec<Taint>,
    /// Files given at creation, by key (cloud-init style), applied to every node.
    pub user_data: serde_json::Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A Kubernetes taint; `effect` in Scaleway's spelling (`no_schedule`, …).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub pool_id: String,
    pub cluster_id: String,
    pub region: String,
    pub name: String,
    pub provider_id: String,
    pub status: NodeStatus,
    pub version: String,
    pub os_image: String,
    pub public_ip_v4: Option<String>,
    pub public_ip_v6: Option<String>,
    pub error_message: Option<String>,
    pub conditions: serde_json::Map<String, Value>,
    pub transition_due_at: Option<DateTime<Utc>>,
    pub fault: Option<String>,
    pub operation_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KubeVersionEntry {
    pub name: String,
    pub label: String,
    pub released_at: DateTime<Utc>,
    pub deprecated_at: Option<DateTime<Utc>>,
    pub end_of_life_at: Option<DateTime<Utc>>,
    pub available_cnis: Vec<String>,
    pub available_runtimes: Vec<String>,
    pub feature_gates: Vec<String>,
    pub admission_plugins: Vec<String>,
    pub kubelet_args: serde_json::Map<String, Value>,
    pub removed_apis: Vec<String>,
    pub changelog: Vec<String>,
}

impl KubeVersionEntry {
    pub fn is_deprecated_at(&self, now: DateTime<Utc>) -> bool {
        self.deprecated_at.is_some_and(|at| at <= now)
    }

    pub fn is_end_of_life_at(&self, now: DateTime<Utc>) -> bool {
        self.end_of_life_at.is_some_and(|at| at <= now)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AclRule {
    pub id: String,
    pub ip: Option<String>,
    pub scaleway_ranges: bool,
    pub description: String,
}

/// A caller of the API, already authenticated: everything it touches must be in its project.
/// It carries who acts and from where, so every change it makes is recorded as theirs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub project_id: String,
    pub organization_id: String,
    /// The API key's public part when a key authenticated the call, else empty.
    pub access_key: String,
    pub actor: Actor,
    pub source: Source,
    /// The record of the change this call is making, for a provider that writes in
    /// Wheelhouse's database to seal in its own transaction (see [`PendingRecord`]).
    pub record: RecordSlot,
}

/// The record of a change a service is asking a provider to make. A provider whose writes
/// share Wheelhouse's database (the sandbox) seals it in the transaction that makes the change,
/// just before commit, with the object it ends with: the change and its record then commit
/// together or not at all. A provider that cannot (a remote one) never calls it, and the
/// service records the change after, as it does a refusal.
#[async_trait::async_trait]
pub trait PendingRecord: Send + Sync {
    /// Writes the record in `conn`'s transaction; an error means the transaction must not
    /// commit. `written` is the object the change ends with (what the provider answers).
    async fn seal(
        &self,
        conn: &mut sqlx::AnyConnection,
        written: &(dyn std::any::Any + Send + Sync),
    ) -> Result<(), crate::domain::DomainError>;

    /// The transaction it was sealed in did not commit: the record is not written after all.
    fn unseal(&self);
}

/// Where a caller carries its [`PendingRecord`]; not part of who the caller is (two callers
/// compare equal whatever they are recording).
#[derive(Clone, Default)]
pub struct RecordSlot(Option<std::sync::Arc<dyn PendingRecord>>);

impl std::fmt::Debug for RecordSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "pending" } else { "none" })
    }
}

impl PartialEq for RecordSlot {
    fn eq(&self, _: &RecordSlot) -> bool {
        true
    }
}

impl Eq for RecordSlot {}

impl Caller {
    /// `actor` acting in a project, from `source`.
    pub fn new(
        project_id: impl Into<String>,
        organization_id: impl Into<String>,
        actor: Actor,
        source: Source,
    ) -> Caller {
        let access_key = match &actor {
            Actor::ApiKey { access_key } => access_key.clone(),
            _ => String::new(),
        };
        Caller {
            project_id: project_id.into(),
            organization_id: organization_id.into(),
            access_key,
            actor,
            source,
            record: RecordSlot::default(),
        }
    }

    /// A named background job acting in a project.
    pub fn job(
        project_id: impl Into<String>,
        organization_id: impl Into<String>,
        job: &str,
    ) -> Caller {
        Caller::new(
            project_id,
            organization_id,
            Actor::system(job),
            Source::of(Interface::Job),
        )
    }

    /// The same project, acted in by the named background job.
    pub fn as_job(&self, job: &str) -> Caller {
        Caller::job(&self.project_id, &self.organization_id, job)
    }

    /// The same caller, as it acts from `source`.
    pub fn from_source(mut self, source: Source) -> Caller {
        self.source = source;
        self
    }

    /// The same caller, making the change `record` describes.
    pub fn recording(&self, record: std::sync::Arc<dyn PendingRecord>) -> Caller {
        Caller {
            record: RecordSlot(Some(record)),
            ..self.clone()
        }
    }

    /// Seals the record of the change this call makes (if it carries one) in `conn`'s
    /// transaction; see [`PendingRecord::seal`].
    pub async fn seal(
        &self,
        conn: &mut sqlx::AnyConnection,
        written: &(dyn std::any::Any + Send + Sync),
    ) -> Result<(), crate::domain::DomainError> {
        match &self.record.0 {
            Some(record) => record.seal(conn, written).await,
            None => Ok(()),
        }
    }

    /// Commits the transaction that makes the change this call asked for, with the call's
    /// record of it sealed in it: the change and its audit entry commit together, or neither
    /// does. `written` is what the call answers.
    pub async fn commit_change<T: std::any::Any + Send + Sync>(
        &self,
        mut transaction: sqlx::Transaction<'static, sqlx::Any>,
        written: &T,
    ) -> Result<(), crate::domain::DomainError> {
        self.seal(&mut transaction, written).await?;
        if let Err(error) = transaction.commit().await {
            if let Some(record) = &self.record.0 {
                record.unseal();
            }
            return Err(error.into());
        }
        Ok(())
    }
}

/// Scaleway's instance types a pool may use, in the lower-case form they are stored in.
pub const NODE_TYPES: &[&str] = &[
    "dev1_m",
    "dev1_l",
    "dev1_xl",
    "gp1_xs",
    "gp1_s",
    "gp1_m",
    "pro2_xxs",
    "pro2_xs",
    "pro2_s",
    "pro2_m",
    "pop2_2c_8g",
    "pop2_4c_16g",
    "pop2_8c_32g",
    "pop2_hm_4c_32g",
];

/// A control-plane offer (Scaleway's ClusterType), as any provider describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterOffer {
    pub name: String,
    pub availability: String,
    pub max_nodes: i64,
    pub commitment_delay_seconds: Option<i64>,
    pub sla: f64,
    pub resiliency: String,
    pub memory: i64,
    pub dedicated: bool,
    pub audit_logs_supported: bool,
    pub max_etcd_size: i64,
}

/// What a provider reports of a cluster besides its pools and nodes: components (with who
/// manages them), what Kubernetes provisioned for workloads, and what the workloads use.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ClusterInventory {
    pub components: Vec<ComponentState>,
    pub volumes: Vec<AttachedResourceState>,
    pub load_balancers: Vec<AttachedResourceState>,
    pub api_usage: Vec<ApiUsage>,
    pub pod_disruption_budgets: Vec<DisruptionBudget>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ComponentState {
    pub name: String,
    /// `control_plane` or `system_app`.
    pub kind: String,
    pub version: String,
    /// `healthy`, `degraded` or `crash_loop`.
    pub health: String,
    /// `provider`, or `user` once the user changed it.
    pub managed_by: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AttachedResourceState {
    pub id: String,
    pub name: String,
    pub status: String,
}

/// How many workload objects use an API group/version and kind.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ApiUsage {
    pub api_version: String,
    pub kind: String,
    pub objects: i64,
    /// The objects, `namespace/name`, in name order.
    pub workloads: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DisruptionBudget {
    pub namespace: String,
    pub name: String,
    pub disruptions_allowed: i64,
    /// The pool whose nodes each run one of its pods; `None`: every pool's nodes.
    pub pool_id: Option<String>,
}

/// Something that happened to a cluster or one of its pools or nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterEvent {
    pub at: DateTime<Utc>,
    /// `cluster`, `pool` or `node`.
    pub object_kind: String,
    /// The id of that object.
    pub object_id: String,
    /// A short CamelCase reason, as Kubernetes events have (`NodeReady`, `UpgradeStarted`…).
    pub reason: String,
    pub message: String,
}

/// A node secret for a machine joining an external (Kosmos) pool, and where it registers.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalNodeAuth {
    pub node_secret_key: String,
    /// Set by providers that say where; otherwise this server's own node-metadata endpoint.
    pub metadata_url: Option<String>,
}

/// What a registering external node is told (Scaleway's NodeMetadata).
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalNodeMetadata {
    pub id: String,
    pub name: String,
    pub cluster_url: String,
    /// The cluster's CA, base64 of its PEM.
    pub cluster_ca: String,
    pub pool_version: String,
    pub provider_id: String,
    pub node_labels: serde_json::Map<String, Value>,
    pub node_taints: Vec<Taint>,
}

/// A provider's list prices per hour, for estimates; the provider says what the list is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderPrices {
    pub currency: String,
    pub about: String,
    pub control_plane_per_hour: Vec<(String, f64)>,
    pub node_per_hour: Vec<(String, f64)>,
}

/// Counts that describe the provider's state, for the console's system page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderStats {
    pub clusters_by_status: Vec<(String, i64)>,
    pub pools_by_status: Vec<(String, i64)>,
    pub nodes_by_status: Vec<(String, i64)>,
    pub operations_pending: i64,
    pub operations_failed: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes_follow_one_rule_each() {
        assert!(ClusterStatus::Ready.allows(ClusterStatus::Updating));
        assert!(ClusterStatus::Updating.allows(ClusterStatus::Ready));
        assert!(!ClusterStatus::Deleting.allows(ClusterStatus::Ready));
        assert!(!ClusterStatus::Updating.allows(ClusterStatus::Creating));
        assert!(ClusterStatus::Deleting.to(ClusterStatus::Updating).is_err());
        assert!(PoolStatus::Ready.allows(PoolStatus::Scaling));
        assert!(!PoolStatus::Deleting.allows(PoolStatus::Ready));
        assert!(NodeStatus::Creating.allows(NodeStatus::CreationError));
        assert!(!NodeStatus::Deleting.allows(NodeStatus::Ready));
        assert!(!NodeStatus::Rebooting.allows(NodeStatus::Upgrading));
    }
}

/// How long the provider's steps take (estimates for plans; the sandbox reports its own model).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RolloutTiming {
    pub control_plane_upgrade: chrono::Duration,
    pub node_boot: chrono::Duration,
    pub node_drain: chrono::Duration,
}

impl RolloutTiming {
    /// What a managed provider typically takes, for providers that publish no model.
    pub fn typical() -> RolloutTiming {
        RolloutTiming {
            control_plane_upgrade: chrono::Duration::minutes(10),
            node_boot: chrono::Duration::minutes(3),
            node_drain: chrono::Duration::minutes(2),
        }
    }
}

/// What an owner does to a rollout under way: pause before the next wave, resume (also: carry
/// on with the pools an aborted rollout left behind), or abort after the current wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutControl {
    Pause,
    Resume,
    Abort,
}

impl RolloutControl {
    pub fn parse(text: &str) -> Option<RolloutControl> {
        match text {
            "pause" => Some(RolloutControl::Pause),
            "resume" => Some(RolloutControl::Resume),
            "abort" => Some(RolloutControl::Abort),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RolloutControl::Pause => "pause",
            RolloutControl::Resume => "resume",
            RolloutControl::Abort => "abort",
        }
    }
}
