//! Diagnostics: what works in a cluster and what still fails, each failure with its evidence,
//! whose it is under the shared responsibility model (provider / user / unknown) and what to do.
//! A pure function of what the port reports, so it runs after a restore, on demand, and over a
//! remote provider (with what that one reports).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::model::{Cluster, ClusterInventory, KubeVersionEntry, Node, NodeStatus, Pool};
use crate::domain::restore::{ProviderRestore, RestoreState};
use crate::domain::version::KubeVersion;

/// Whose a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Provider,
    User,
    Unknown,
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    Works,
    Fails,
    /// The user's, left as the user set it (a restore does not touch it).
    LeftAsIs,
    /// The provider does not report it.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DiagnosticCheck {
    /// Stable: control_plane, system_apps, component:NAME, nodes, kubelet_args:POOL,
    /// removed_apis, control_plane_config, user_components, last_restore, inventory.
    pub id: String,
    pub title: String,
    pub finding: Finding,
    pub summary: String,
    pub evidence: Vec<String>,
    pub owner: Owner,
    pub recommendation: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Diagnostics {
    pub cluster_id: String,
    pub cluster_name: String,
    pub ran_at: DateTime<Utc>,
    pub works: usize,
    pub fails: usize,
    pub checks: Vec<DiagnosticCheck>,
}

/// Everything diagnostics read, as the port reported it at `now`.
pub struct DiagnosticSubject<'a> {
    pub now: DateTime<Utc>,
    pub cluster: &'a Cluster,
    pub pools: &'a [Pool],
    pub nodes: &'a [Node],
    pub versions: &'a [KubeVersionEntry],
    pub inventory: Option<&'a ClusterInventory>,
    pub last_restore: Option<&'a ProviderRestore>,
}

/// API versions Kubernetes itself removed, with the release that removed them (the
/// deprecated API migration guide), beside those the provider's catalog lists.
const KUBERNETES_REMOVALS: &[(&str, &str)] = &[
    ("extensions/v1beta1 Deployment", "1.16"),
    ("extensions/v1beta1 DaemonSet", "1.16"),
    ("extensions/v1beta1 ReplicaSet", "1.16"),
    ("apps/v1beta1 Deployment", "1.16"),
    ("apps/v1beta2 Deployment", "1.16"),
    ("extensions/v1beta1 Ingress", "1.22"),
    ("networking.k8s.io/v1beta1 Ingress", "1.22"),
    (
        "apiextensions.k8s.io/v1beta1 CustomResourceDefinition",
        "1.22",
    ),
    ("batch/v1beta1 CronJob", "1.25"),
    ("policy/v1beta1 PodDisruptionBudget", "1.25"),
    ("policy/v1beta1 PodSecurityPolicy", "1.25"),
    ("autoscaling/v2beta1 HorizontalPodAutoscaler", "1.25"),
    ("autoscaling/v2beta2 HorizontalPodAutoscaler", "1.26"),
    ("storage.k8s.io/v1beta1 CSIStorageCapacity", "1.27"),
];

fn check(
    id: impl Into<String>,
    title: &str,
    finding: Finding,
    summary: impl Into<String>,
    evidence: Vec<String>,
    owner: Owner,
    recommendation: impl Into<String>,
) -> DiagnosticCheck {
    DiagnosticCheck {
        id: id.into(),
        title: title.to_string(),
        finding,
        summary: summary.into(),
        evidence,
        owner,
        recommendation: recommendation.into(),
    }
}

/// Runs every check.
pub fn diagnose(subject: &DiagnosticSubject<'_>) -> Diagnostics {
    let mut checks = Vec::new();
    match subject.inventory {
        Some(inventory) => {
            checks.extend(components(inventory));
            checks.push(removed_apis(subject, inventory));
        }
        None => checks.push(check(
            "inventory",
            "Components and workloads",
            Finding::Unknown,
            "the provider does not report the cluster's components or the APIs its workloads use",
            vec![],
            Owner::Unknown,
            "Check them in the cluster itself (kubectl get pods -n kube-system; the API server's apiserver_requested_deprecated_apis metric).",
        )),
    }
    checks.push(nodes(subject));
    checks.extend(kubelet_args(subject.pools));
    checks.extend(control_plane_config(subject.cluster));
    if let Some(check) = last_restore(subject.last_restore) {
        checks.push(check);
    }
    Diagnostics {
        cluster_id: subject.cluster.id.clone(),
        cluster_name: subject.cluster.name.clone(),
        ran_at: subject.now,
        works: checks
            .iter()
            .filter(|c| c.finding == Finding::Works)
            .count(),
        fails: checks
            .iter()
            .filter(|c| c.finding == Finding::Fails)
            .count(),
        checks,
    }
}

fn components(inventory: &ClusterInventory) -> Vec<DiagnosticCheck> {
    let mut checks = Vec::new();
    for (kind, id, title, scope) in [
        (
            "control_plane",
            "control_plane",
            "Control plane",
            "control_plane",
        ),
        ("system_app", "system_apps", "System apps", "system_apps"),
    ] {
        let of_kind: Vec<_> = inventory
            .components
            .iter()
            .filter(|c| c.kind == kind)
            .collect();
        let failing: Vec<_> = of_kind.iter().filter(|c| c.health != "healthy").collect();
        let healthy: Vec<String> = of_kind
            .iter()
            .filter(|c| c.health == "healthy")
            .map(|c| format!("{} {} healthy", c.name, c.version))
            .collect();
        if failing.is_empty() {
            checks.push(check(
                id,
                title,
                Finding::Works,
                format!("{} component(s) healthy", of_kind.len()),
                healthy,
                Owner::Provider,
                "Nothing to do.",
            ));
            continue;
        }
        for component in failing {
            let evidence = vec![format!(
                "{} {} is {} (managed by {})",
                component.name, component.version, component.health, component.managed_by
            )];
            if component.managed_by == "provider" {
                checks.push(check(
                    format!("component:{}", component.name),
                    title,
                    Finding::Fails,
                    format!("{} is {}", component.name, component.health),
                    evidence,
                    Owner::Provider,
                    format!(
                        "The provider manages {} and is responsible for it: nothing for you to fix. A restore of scope {scope} puts it back to the provider's default now; otherwise the provider's operators repair it.",
                        component.name
                    ),
                ));
            } else {
                checks.push(check(
                    format!("component:{}", component.name),
                    title,
                    Finding::Fails,
                    format!("{} is {}, and it is yours since you changed it", component.name, component.health),
                    evidence,
                    Owner::User,
                    format!(
                        "A restore does not touch {}: you changed it, so it is yours. Undo your change to it (it then goes back to the provider) or repair your configuration.",
                        component.name
                    ),
                ));
            }
        }
    }
    let user_managed: Vec<String> = inventory
        .components
        .iter()
        .filter(|c| c.managed_by != "provider" && c.health == "healthy")
        .map(|c| format!("{} {} (managed by {})", c.name, c.version, c.managed_by))
        .collect();
    if !user_managed.is_empty() {
        checks.push(check(
            "user_components",
            "Components you manage",
            Finding::LeftAsIs,
            format!(
                "{} component(s) you changed are yours and were left as they are",
                user_managed.len()
            ),
            user_managed,
            Owner::User,
            "They are your responsibility: a restore leaves them as you set them.",
        ));
    }
    checks
}

/// Workloads using an API the cluster's version no longer serves.
fn removed_apis(subject: &DiagnosticSubject<'_>, inventory: &ClusterInventory) -> DiagnosticCheck {
    const TITLE: &str = "APIs your workloads use";
    let Ok(current) = subject.cluster.version.parse::<KubeVersion>() else {
        return check(
            "removed_apis",
            TITLE,
            Finding::Unknown,
            "the cluster's version is not readable",
            vec![],
            Owner::Unknown,
            "",
        );
    };
    let mut removals: Vec<(String, String)> = KUBERNETES_REMOVALS
        .iter()
        .filter(|(_, at)| {
            format!("{at}.0")
                .parse::<KubeVersion>()
                .is_ok_and(|at| (at.major, at.minor) <= (current.major, current.minor))
        })
        .map(|(api, at)| (api.to_string(), at.to_string()))
        .collect();
    for entry in subject.versions {
        if entry
            .name
            .parse::<KubeVersion>()
            .is_ok_and(|version| version <= current)
        {
            for api in entry
                .removed_apis
                .iter()
                .filter(|r| crate::services::upgrade::plan::is_api_removal(r))
            {
                if !removals.iter().any(|(known, _)| known == api) {
                    removals.push((api.clone(), entry.name.clone()));
                }
            }
        }
    }
    let mut evidence = Vec::new();
    for (removal, at) in &removals {
        let mut words = removal.split_whitespace();
        let api_version = words.next().unwrap_or_default();
        let kind = words.next();
        for usage in inventory
            .api_usage
            .iter()
            .filter(|u| u.api_version == api_version && kind.is_none_or(|k| k == u.kind))
        {
            for workload in &usage.workloads {
                evidence.push(format!(
                    "a restore cannot fix this: your workload {workload} uses {} {}, removed in {at}",
                    usage.api_version, usage.kind
                ));
            }
        }
    }
    if evidence.is_empty() {
        return check(
            "removed_apis",
            TITLE,
            Finding::Works,
            format!(
                "no workload uses an API that {} removed",
                subject.cluster.version
            ),
            vec![],
            Owner::User,
            "Nothing to do.",
        );
    }
    check(
        "removed_apis",
        TITLE,
        Finding::Fails,
        format!("{} workload object(s) use APIs {} no longer serves", evidence.len(), subject.cluster.version),
        evidence,
        Owner::User,
        "Your manifests are yours: move those objects to the API's replacement (kubectl convert, or a newer chart) and apply them again.",
    )
}

fn nodes(subject: &DiagnosticSubject<'_>) -> DiagnosticCheck {
    const TITLE: &str = "Nodes";
    let failing: Vec<&Node> = subject
        .nodes
        .iter()
        .filter(|n| matches!(n.status, NodeStatus::NotReady | NodeStatus::CreationError))
        .collect();
    if failing.is_empty() {
        let ready = subject
            .nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Ready)
            .count();
        return check(
            "nodes",
            TITLE,
            Finding::Works,
            format!("{ready} of {} node(s) Ready", subject.nodes.len()),
            vec![],
            Owner::Provider,
            "Nothing to do.",
        );
    }
    let evidence = failing
        .iter()
        .map(|n| {
            let pool = subject.pools.iter().find(|p| p.id == n.pool_id);
            format!(
                "{} (pool {}) is {}{}{}",
                n.name,
                pool.map(|p| p.name.as_str()).unwrap_or("?"),
                n.status,
                n.error_message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default(),
                if pool.is_some_and(|p| !p.kubelet_args.is_empty()) {
                    " — its pool runs your custom kubelet arguments"
                } else {
                    ""
                }
            )
        })
        .collect();
    // A node on the user's kubelet arguments may fail because of them: theirs to look at.
    let on_custom_args = failing.iter().all(|n| {
        subject
            .pools
            .iter()
            .any(|p| p.id == n.pool_id && !p.kubelet_args.is_empty())
    });
    let (owner, recommendation) = if on_custom_args {
        (
            Owner::User,
            "These nodes run your custom kubelet arguments, which a restore leaves as they are: check them first (pool settings), then replace the node.",
        )
    } else {
        (
            Owner::Unknown,
            "A restore does not replace nodes. Autohealing (when on) reboots a node NotReady for 15 minutes and replaces it at 30; otherwise replace it from the Nodes tab. If it keeps failing, your workloads' resource use or the provider's infrastructure may be the cause: the node's events are the evidence.",
        )
    };
    check(
        "nodes",
        TITLE,
        Finding::Fails,
        format!(
            "{} of {} node(s) are not Ready",
            failing.len(),
            subject.nodes.len()
        ),
        evidence,
        owner,
        recommendation,
    )
}

fn kubelet_args(pools: &[Pool]) -> Vec<DiagnosticCheck> {
    pools
        .iter()
        .filter(|pool| !pool.kubelet_args.is_empty())
        .map(|pool| {
            check(
                format!("kubelet_args:{}", pool.name),
                "Kubelet arguments",
                Finding::LeftAsIs,
                format!("kubelet arguments of pool {} are yours and were left as they are", pool.name),
                pool.kubelet_args
                    .iter()
                    .map(|(key, value)| format!("{key}={}", value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())))
                    .collect(),
                Owner::User,
                format!("If nodes of pool {} misbehave, check these first: remove them in the pool's settings to go back to the provider's defaults.", pool.name),
            )
        })
        .collect()
}

fn control_plane_config(cluster: &Cluster) -> Option<DiagnosticCheck> {
    let mut evidence = Vec::new();
    if !cluster.feature_gates.is_empty() {
        evidence.push(format!(
            "feature gates: {}",
            cluster.feature_gates.join(", ")
        ));
    }
    if !cluster.admission_plugins.is_empty() {
        evidence.push(format!(
            "admission plugins: {}",
            cluster.admission_plugins.join(", ")
        ));
    }
    if cluster
        .open_id_connect_config
        .as_object()
        .is_some_and(|oidc| {
            oidc.values()
                .any(|v| !v.is_null() && v != "" && v != &serde_json::json!([]))
        })
    {
        evidence.push(format!("OIDC: {}", cluster.open_id_connect_config));
    }
    (!evidence.is_empty()).then(|| {
        check(
            "control_plane_config",
            "Control-plane configuration",
            Finding::LeftAsIs,
            "the control plane runs the configuration you set",
            evidence,
            Owner::User,
            "These settings are yours; a restore of scope control_plane resets them to the provider's defaults if they are the cause.",
        )
    })
}

fn last_restore(restore: Option<&ProviderRestore>) -> Option<DiagnosticCheck> {
    let restore = restore?;
    match restore.state {
        RestoreState::Failed => Some(check(
            "last_restore",
            "Latest restore",
            Finding::Fails,
            "the latest restore ended Failed",
            vec![restore.failure_reason.clone().unwrap_or_else(|| "no reason reported".into())],
            Owner::Unknown,
            "Read the reason: a restore waiting on Ready nodes needs the nodes fixed first; then restore again, or undo it.",
        )),
        RestoreState::Succeeded => Some(check(
            "last_restore",
            "Latest restore",
            Finding::Works,
            format!("the latest restore ({}) finished", restore.scope.label()),
            vec![],
            Owner::Provider,
            "A restore does not guarantee the cluster works: the checks above say what still fails and whose it is.",
        )),
        RestoreState::Running => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{ApiUsage, ComponentState};
    use crate::services::upgrade::synthetic::{cluster, epoch, node, pool, version};

    fn component(name: &str, kind: &str, health: &str, managed_by: &str) -> ComponentState {
        ComponentState {
            name: name.into(),
            kind: kind.into(),
            version: "1.0.0".into(),
            health: health.into(),
            managed_by: managed_by.into(),
        }
    }

    fn inventory(components: Vec<ComponentState>, api_usage: Vec<ApiUsage>) -> ClusterInventory {
        ClusterInventory {
            components,
            volumes: vec![],
            load_balancers: vec![],
            api_usage,
            pod_disruption_budgets: vec![],
        }
    }

    fn run(inventory: Option<&ClusterInventory>, pools: &[Pool], nodes: &[Node]) -> Diagnostics {
        let cluster = cluster("1.34.2");
        let versions = [version("1.34.2", &[])];
        diagnose(&DiagnosticSubject {
            now: epoch(),
            cluster: &cluster,
            pools,
            nodes,
            versions: &versions,
            inventory,
            last_restore: None,
        })
    }

    fn find<'a>(diagnostics: &'a Diagnostics, id: &str) -> &'a DiagnosticCheck {
        diagnostics
            .checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}: {diagnostics:?}"))
    }

    #[test]
    fn a_failing_provider_component_is_the_providers_and_asks_nothing_of_the_user() {
        let inventory = inventory(
            vec![
                component("etcd", "control_plane", "crash_loop", "provider"),
                component("coredns", "system_app", "degraded", "user"),
            ],
            vec![],
        );
        let diagnostics = run(Some(&inventory), &[], &[]);
        let etcd = find(&diagnostics, "component:etcd");
        assert_eq!(
            (etcd.finding, etcd.owner),
            (Finding::Fails, Owner::Provider)
        );
        assert!(
            etcd.recommendation.contains("nothing for you to fix"),
            "{etcd:?}"
        );
        let coredns = find(&diagnostics, "component:coredns");
        assert_eq!(
            (coredns.finding, coredns.owner),
            (Finding::Fails, Owner::User)
        );
        assert_eq!(diagnostics.fails, 2);
    }

    #[test]
    fn without_an_inventory_components_are_unknown_not_fine() {
        let diagnostics = run(None, &[], &[]);
        let unknown = find(&diagnostics, "inventory");
        assert_eq!(
            (unknown.finding, unknown.owner),
            (Finding::Unknown, Owner::Unknown)
        );
        assert!(diagnostics.checks.iter().all(|c| c.id != "control_plane"));
    }

    #[test]
    fn a_workload_on_a_removed_api_is_the_users_and_named() {
        let usage = ApiUsage {
            api_version: "policy/v1beta1".into(),
            kind: "PodDisruptionBudget".into(),
            objects: 1,
            workloads: vec!["shop/web-pdb".into()],
        };
        let inventory = inventory(vec![], vec![usage]);
        let diagnostics = run(Some(&inventory), &[], &[]);
        let removed = find(&diagnostics, "removed_apis");
        assert_eq!(
            (removed.finding, removed.owner),
            (Finding::Fails, Owner::User)
        );
        assert_eq!(
            removed.evidence,
            vec!["a restore cannot fix this: your workload shop/web-pdb uses policy/v1beta1 PodDisruptionBudget, removed in 1.25"]
        );
    }

    #[test]
    fn kubelet_arguments_are_the_users_and_not_ready_nodes_on_them_too() {
        let mut gpu = pool("gpu", "1.34.2", 1, 0, 0);
        gpu.name = "gpu".into();
        gpu.kubelet_args
            .insert("maxPods".into(), serde_json::Value::from("60"));
        let mut sick = node("n1", "gpu", "1.34.2", 0);
        sick.status = NodeStatus::NotReady;
        let diagnostics = run(None, &[gpu], &[sick]);
        let args = find(&diagnostics, "kubelet_args:gpu");
        assert_eq!((args.finding, args.owner), (Finding::LeftAsIs, Owner::User));
        assert_eq!(
            args.summary,
            "kubelet arguments of pool gpu are yours and were left as they are"
        );
        let nodes = find(&diagnostics, "nodes");
        assert_eq!((nodes.finding, nodes.owner), (Finding::Fails, Owner::User));
    }
}
