//! What runs in a cluster besides the user's workloads, and who manages it: the control plane
//! and the system apps the provider installs, the OS images nodes boot, and what Kubernetes
//! provisions for workloads (volumes, load balancers), recorded so the provider can reason about
//! them (deletions, upgrade pre-flight).

use crate::domain::model::{
    ApiUsage, AttachedResourceState, ClusterInventory, ComponentState, DisruptionBudget,
};

use super::Provisioning;
use crate::backend::sandbox::store::inventory::{self, AttachedResource, Component, OsImage};
use crate::domain::model::{Caller, Cluster};
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
            api_usage: api_usage(inventory::workloads(&mut conn, &cluster.id).await?),
            pod_disruption_budgets: inventory::pdbs(&mut conn, &cluster.id)
                .await?
                .into_iter()
                .map(|row| DisruptionBudget {
                    namespace: row.namespace,
                    name: row.name,
                    disruptions_allowed: row.disruptions_allowed,
                    pool_id: row.pool_id,
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
        caller: &Caller,
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
        caller.commit_change(transaction, &()).await
    }
}

/// Workload objects grouped by the API they use (the rows come sorted by API).
fn api_usage(rows: Vec<(String, String, String, String)>) -> Vec<ApiUsage> {
    let mut usage: Vec<ApiUsage> = Vec::new();
    for (api_version, kind, namespace, name) in rows {
        let workload = format!("{namespace}/{name}");
        match usage.last_mut() {
            Some(last) if last.api_version == api_version && last.kind == kind => {
                last.objects += 1;
                last.workloads.push(workload);
            }
            _ => usage.push(ApiUsage {
                api_version,
                kind,
                objects: 1,
                workloads: vec![workload],
            }),
        }
    }
    usage
}

/// What `wheelhouse admin inventory` records: a name Kubernetes would accept.
fn valid_name(text: &str) -> bool {
    !text.is_empty() && text.len() <= 253 && !text.contains(char::is_whitespace)
}

impl Provisioning {
    /// Records that a workload object uses `api_version`/`kind` (what the sandbox's clusters
    /// report; a real provider reads it from the API server's audit of requests).
    pub async fn record_workload(
        &self,
        caller: &Caller,
        cluster: &Cluster,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<(), DomainError> {
        if ![api_version, kind, namespace, name]
            .into_iter()
            .all(valid_name)
        {
            return Err(DomainError::invalid(
                "workload",
                "constraint",
                "api version, kind, namespace and name are 1 to 253 characters without spaces",
            ));
        }
        let mut transaction = self.database.begin().await?;
        inventory::record_workload(
            &mut transaction,
            &cluster.id,
            api_version,
            kind,
            namespace,
            name,
        )
        .await?;
        caller.commit_change(transaction, &()).await
    }

    /// The workload no longer uses that API (moved to another, or deleted).
    pub async fn forget_workload(
        &self,
        caller: &Caller,
        cluster: &Cluster,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<(), DomainError> {
        let mut transaction = self.database.begin().await?;
        if inventory::forget_workload(
            &mut transaction,
            &cluster.id,
            api_version,
            kind,
            namespace,
            name,
        )
        .await?
        {
            caller.commit_change(transaction, &()).await
        } else {
            Err(DomainError::not_found(
                "workload",
                format!("{namespace}/{name} ({api_version} {kind})"),
            ))
        }
    }

    /// Records a PodDisruptionBudget whose pods run one per node of `pool_id`'s nodes (every
    /// pool's when `None`).
    pub async fn record_pdb(
        &self,
        caller: &Caller,
        cluster: &Cluster,
        namespace: &str,
        name: &str,
        disruptions_allowed: i64,
        pool_id: Option<&str>,
    ) -> Result<(), DomainError> {
        if !(valid_name(namespace) && valid_name(name)) {
            return Err(DomainError::invalid(
                "pdb",
                "constraint",
                "namespace and name are 1 to 253 characters without spaces",
            ));
        }
        if disruptions_allowed < 0 {
            return Err(DomainError::invalid(
                "disruptions_allowed",
                "constraint",
                "a PDB allows 0 or more disruptions",
            ));
        }
        let mut transaction = self.database.begin().await?;
        if let Some(pool_id) = pool_id {
            let pool = super::store::pools::get(&mut transaction, pool_id).await?;
            if pool.is_none_or(|pool| pool.cluster_id != cluster.id) {
                return Err(DomainError::not_found("k8s_pool", pool_id));
            }
        }
        let row = inventory::DisruptionBudgetRow {
            namespace: namespace.to_string(),
            name: name.to_string(),
            disruptions_allowed,
            pool_id: pool_id.map(str::to_string),
        };
        inventory::upsert_pdb(&mut transaction, &cluster.id, &row).await?;
        caller.commit_change(transaction, &()).await
    }

    pub async fn delete_pdb(
        &self,
        caller: &Caller,
        cluster: &Cluster,
        namespace: &str,
        name: &str,
    ) -> Result<(), DomainError> {
        let mut transaction = self.database.begin().await?;
        if inventory::delete_pdb(&mut transaction, &cluster.id, namespace, name).await? {
            caller.commit_change(transaction, &()).await
        } else {
            Err(DomainError::not_found("pdb", format!("{namespace}/{name}")))
        }
    }
}
