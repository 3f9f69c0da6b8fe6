//! What runs in a cluster besides the user's workloads, and who manages it: the control plane
//! and the system apps the provider installs, the OS images nodes boot, and what Kubernetes
//! provisions for workloads (volumes, load balancers), recorded so the provider can reason about
//! them (deletions, upgrade pre-flight).

use crate::domain::model::{
    ApiUsage, AttachedResourceState, ClusterInventory, ComponentState, DisruptionBudget,
};

use super::Provisioning;
use crate::backend::sandbox::store::inventory::{self, AttachedResource, Component, OsImage};
use crate::domain::model::Cluster;
use crate::domain::DomainError;

pub const CONTROL_PLANE: &str = "control_plane";
pub const SYSTEM_APP: &str = "system_app";
pub const HEALTH_STATES: &[&str] = &["healthy", "degraded", "crash_loop"];

/// The components of a cluster on `version` with `cni`, all healthy and provider-managed.
pub fn default_components(version: &str, cni: &str) -> Vec<Component> {
    let component = |name: &str, kind: &str, version: &str| Component {
        name: name.to_string(),
        kind: kind.to_string(),
        version: version.to_string(),
        health: "healthy".to_string(),
        managed_by: "provider".to_string(),
    };
    let kube = format!("v{version}");
    let mut components = vec![
        component("etcd", CONTROL_PLANE, "3.5.21"),
        component("kube-apiserver", CONTROL_PLANE, &kube),
        component("kube-controller-manager", CONTROL_PLANE, &kube),
        component("kube-scheduler", CONTROL_PLANE, &kube),
        component("cloud-controller-manager", CONTROL_PLANE, "0.32.1"),
        component("coredns", SYSTEM_APP, "1.12.1"),
        component("kube-proxy", SYSTEM_APP, &kube),
        component("konnectivity-agent", SYSTEM_APP, &kube),
        component("csi-scaleway", SYSTEM_APP, "0.3.4"),
        component("metrics-server", SYSTEM_APP, "0.7.2"),
    ];
    let cni_version = match cni {
        "cilium" | "cilium_native" => Some("1.17.4"),
        "calico" => Some("3.29.3"),
        "kilo" => Some("0.6.0"),
        "flannel" => Some("0.26.7"),
        _ => None,
    };
    if let Some(cni_version) = cni_version {
        components.push(component(cni, SYSTEM_APP, cni_version));
    }
    components
}

/// Components that follow the Kubernetes version (they move with a control-plane upgrade).
pub fn follows_kubernetes(name: &str) -> bool {
    matches!(
        name,
        "kube-apiserver"
            | "kube-controller-manager"
            | "kube-scheduler"
            | "kube-proxy"
            | "konnectivity-agent"
    )
}

/// The OS images the sandbox offers; the newest is what new nodes boot.
pub fn seed_os_images() -> Vec<OsImage> {
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default()
    };
    vec![
        OsImage {
            name: "ubuntu-noble-k8s-2026-10-05".into(),
            description: "Ubuntu 24.04 with containerd 2.0, October 2026 security updates".into(),
            released_at: at("2026-10-05T00:00:00Z"),
            superseded_at: Some(at("2026-11-02T00:00:00Z")),
        },
        OsImage {
            name: super::catalog::CURRENT_OS_IMAGE.into(),
            description: "Ubuntu 24.04 with containerd 2.0, November 2026 security updates".into(),
            released_at: at("2026-11-02T00:00:00Z"),
            superseded_at: None,
        },
    ]
}

fn attached_states(items: Vec<AttachedResource>) -> Vec<AttachedResourceState> {
    items
        .into_iter()
        .map(|item| AttachedResourceState {
            id: item.id,
            name: item.name,
            status: item.status,
        })
        .collect()
}

impl Provisioning {
    /// What runs in and around the cluster (the provider's view; no ownership check: callers
    /// reach it through an owned cluster).
    pub async fn cluster_inventory(
        &self,
        cluster: &Cluster,
    ) -> Result<ClusterInventory, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(ClusterInventory {
            components: inventory::components(&mut conn, &cluster.id)
                .await?
                .into_iter()
                .map(|c| ComponentState {
                    name: c.name,
                    kind: c.kind,
                    version: c.version,
                    health: c.health,
                    managed_by: c.managed_by,
                })
                .collect(),
            volumes: attached_states(inventory::volumes(&mut conn, &cluster.id).await?),
            load_balancers: attached_states(
                inventory::load_balancers(&mut conn, &cluster.id).await?,
            ),
            api_usage: inventory::api_usage(&mut conn, &cluster.id)
                .await?
                .into_iter()
                .map(|(api_version, kind, objects)| ApiUsage {
                    api_version,
                    kind,
                    objects,
                })
                .collect(),
            pod_disruption_budgets: inventory::pdbs(&mut conn, &cluster.id)
                .await?
                .into_iter()
                .map(|(namespace, name, disruptions_allowed)| DisruptionBudget {
                    namespace,
                    name,
                    disruptions_allowed,
                })
                .collect(),
        })
    }

    /// What Kubernetes provisions when the user's workloads ask for it (a PersistentVolumeClaim,
    /// a Service of type LoadBalancer); the sandbox records it here.
    pub async fn record_volume(
        &self,
        cluster: &Cluster,
        name: &str,
        size_bytes: i64,
        storage_class: &str,
    ) -> Result<String, DomainError> {
        let id = self.ids.uuid();
        let mut conn = self.database.pool().acquire().await?;
        inventory::insert_volume(
            &mut conn,
            inventory::NewVolume {
                id: &id,
                cluster_id: &cluster.id,
                project_id: &cluster.project_id,
                name,
                size_bytes,
                storage_class,
            },
            self.now(),
        )
        .await?;
        Ok(id)
    }

    pub async fn record_load_balancer(
        &self,
        cluster: &Cluster,
        name: &str,
    ) -> Result<String, DomainError> {
        let id = self.ids.uuid();
        let octet = id.bytes().map(u32::from).sum::<u32>() % 254 + 1;
        let mut conn = self.database.pool().acquire().await?;
        inventory::insert_load_balancer(
            &mut conn,
            &id,
            &cluster.id,
            &cluster.project_id,
            name,
            &format!("203.0.113.{octet}"),
            self.now(),
        )
        .await?;
        Ok(id)
    }

    /// Fault injection for a component: `crash_loop`, `degraded` or back to `healthy`.
    pub async fn set_component_health(
        &self,
        cluster_id: &str,
        component: &str,
        health: &str,
    ) -> Result<(), DomainError> {
        if !HEALTH_STATES.contains(&health) {
            return Err(DomainError::invalid(
                "health",
                "constraint",
                format!(
                    "`{health}` is not a health state: use {}",
                    HEALTH_STATES.join(", ")
                ),
            ));
        }
        let mut transaction = self.database.begin().await?;
        let mut found = inventory::components(&mut transaction, cluster_id)
            .await?
            .into_iter()
            .find(|c| c.name == component)
            .ok_or_else(|| DomainError::not_found("k8s_component", component))?;
        found.health = health.to_string();
        inventory::upsert_component(&mut transaction, cluster_id, &found, self.now()).await?;
        self.record_event(
            &mut transaction,
            cluster_id,
            "component",
            component,
            "ComponentHealthChanged",
            format!("{component} is now {health}"),
        )
        .await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// The APIs a cluster's workloads use and the PDBs that would block a drain: the inputs of an
/// upgrade pre-flight.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadReport {
    /// (api_version, kind, how many objects)
    pub api_usage: Vec<(String, String, i64)>,
    /// (namespace, name) of PDBs that allow no disruption.
    pub blocking_pdbs: Vec<(String, String)>,
}

impl Provisioning {
    /// Records that a workload object uses `api_version`/`kind` (what the sandbox's clusters
    /// report; a real provider reads it from the API server's audit of requests).
    pub async fn record_workload(
        &self,
        cluster: &Cluster,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<(), DomainError> {
        let valid = |text: &str| {
            !text.is_empty() && text.len() <= 253 && !text.contains(char::is_whitespace)
        };
        if !(valid(api_version) && valid(kind) && valid(namespace) && valid(name)) {
            return Err(DomainError::invalid(
                "workload",
                "constraint",
                "api version, kind, namespace and name are 1 to 253 characters without spaces",
            ));
        }
        let mut conn = self.database.pool().acquire().await?;
        inventory::record_workload(&mut conn, &cluster.id, api_version, kind, namespace, name)
            .await?;
        Ok(())
    }

    pub async fn record_pdb(
        &self,
        cluster: &Cluster,
        namespace: &str,
        name: &str,
        disruptions_allowed: i64,
    ) -> Result<(), DomainError> {
        if disruptions_allowed < 0 {
            return Err(DomainError::invalid(
                "disruptions_allowed",
                "constraint",
                "a PDB allows 0 or more disruptions",
            ));
        }
        let mut conn = self.database.pool().acquire().await?;
        inventory::upsert_pdb(&mut conn, &cluster.id, namespace, name, disruptions_allowed).await?;
        Ok(())
    }

    pub async fn workload_report(&self, cluster: &Cluster) -> Result<WorkloadReport, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(WorkloadReport {
            api_usage: inventory::api_usage(&mut conn, &cluster.id).await?,
            blocking_pdbs: inventory::blocking_pdbs(&mut conn, &cluster.id).await?,
        })
    }
}
