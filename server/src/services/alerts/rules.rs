//! The alert rules and their thresholds, in one place. Pure: from what the provider reports of
//! a cluster (through the port) and what Wheelhouse knows of it, the conditions that hold now,
//! each with its severity, its owner (from the responsibility matrix) and a recommendation.
//! How long a condition must hold before its alert fires (`for`) is the rule's; the lifecycle
//! (pending → firing → resolved) is `super::lifecycle`'s.
//!
//! Thresholds follow kube-prometheus-stack's default rules where one exists (named in each
//! rule's `reference`): most wait 15 minutes; a control plane that does not answer is critical
//! after one minute, as the issue asks of a managed service.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::model::{
    Cluster, ClusterEvent, ComponentState, KubeVersionEntry, Node, NodeStatus, Pool, PoolStatus,
};
use crate::services::freshness::autoheal;

/// How long readiness changes are counted for flapping, and how many make it flap (more than).
pub const FLAPPING_WINDOW_MINUTES: i64 = 15;
pub const FLAPPING_CHANGES: usize = 2;
/// A project's nodes above this share of its node quota raise an alert.
pub const QUOTA_PERCENT: i64 = 90;
/// End of support: an alert this many days ahead (info), warning from the second, critical
/// from the third.
pub const END_OF_SUPPORT_DAYS: [i64; 3] = [90, 30, 7];

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Whose duty the alert's cause is, by the responsibility matrix: the provider's components,
/// node provisioning and autohealing; the user's workloads, settings, upgrades and whatever
/// they modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Provider,
    User,
}

impl Owner {
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::Provider => "provider",
            Owner::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Owner> {
        match text {
            "provider" => Some(Owner::Provider),
            "user" => Some(Owner::User),
            _ => None,
        }
    }
}

/// A rule: what it watches and how long a condition must hold before its alert fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    /// Its severity (end of support grows more severe as the date nears).
    pub severity: Severity,
    pub for_minutes: i64,
    /// The kube-prometheus-stack rule whose threshold it takes, if one exists.
    pub reference: &'static str,
}

pub const NODE_NOT_READY: Rule = Rule {
    id: "node_not_ready",
    title: "Node not ready",
    severity: Severity::Warning,
    for_minutes: 15,
    reference: "KubeNodeNotReady",
};
pub const NODE_READINESS_FLAPPING: Rule = Rule {
    id: "node_readiness_flapping",
    title: "Node readiness flapping",
    severity: Severity::Warning,
    for_minutes: 15,
    reference: "KubeNodeReadinessFlapping",
};
pub const COMPONENT_CRASH_LOOPING: Rule = Rule {
    id: "component_crash_looping",
    title: "Component crash-looping",
    severity: Severity::Warning,
    for_minutes: 15,
    reference: "KubePodCrashLooping",
};
pub const COMPONENT_DEGRADED: Rule = Rule {
    id: "component_degraded",
    title: "Component degraded",
    severity: Severity::Warning,
    for_minutes: 15,
    reference: "KubePodNotReady",
};
pub const CONTROL_PLANE_UNAVAILABLE: Rule = Rule {
    id: "control_plane_unavailable",
    title: "Control plane unavailable",
    severity: Severity::Critical,
    for_minutes: 1,
    reference: "KubeAPIDown",
};
pub const POOL_BELOW_SIZE: Rule = Rule {
    id: "pool_below_size",
    title: "Pool below its size",
    severity: Severity::Warning,
    for_minutes: 15,
    reference: "KubeDeploymentReplicasMismatch",
};
pub const NODE_PROVISIONING_FAILED: Rule = Rule {
    id: "node_provisioning_failed",
    title: "Node provisioning failed",
    severity: Severity::Warning,
    for_minutes: 0,
    reference: "",
};
pub const UPGRADE_STALLED: Rule = Rule {
    id: "upgrade_stalled",
    title: "Upgrade held by a drain",
    severity: Severity::Warning,
    for_minutes: 15,
    reference: "",
};
pub const RESTORE_FAILED: Rule = Rule {
    id: "restore_failed",
    title: "Restore failed",
    severity: Severity::Critical,
    for_minutes: 0,
    reference: "",
};
pub const AUTOHEALING_STOPPED: Rule = Rule {
    id: "autohealing_stopped",
    title: "Autohealing stopped at its cap",
    severity: Severity::Critical,
    for_minutes: 0,
    reference: "",
};
pub const PROJECT_QUOTA_HIGH: Rule = Rule {
    id: "project_quota_high",
    title: "Project node quota almost used",
    severity: Severity::Info,
    for_minutes: 15,
    reference: "KubeQuotaAlmostFull",
};
pub const END_OF_SUPPORT: Rule = Rule {
    id: "end_of_support_approaching",
    title: "End of support approaching",
    severity: Severity::Info,
    for_minutes: 0,
    reference: "",
};

/// Every rule, in the order the console lists them.
pub const RULES: &[Rule] = &[
    CONTROL_PLANE_UNAVAILABLE,
    RESTORE_FAILED,
    AUTOHEALING_STOPPED,
    NODE_NOT_READY,
    NODE_READINESS_FLAPPING,
    NODE_PROVISIONING_FAILED,
    POOL_BELOW_SIZE,
    COMPONENT_CRASH_LOOPING,
    COMPONENT_DEGRADED,
    UPGRADE_STALLED,
    PROJECT_QUOTA_HIGH,
    END_OF_SUPPORT,
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// What an alert is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertTarget {
    /// `cluster`, `pool`, `node`, `component` or `project`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// The exact action that clears an alert, for whoever owns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recommendation {
    /// What to do (for a provider-owned alert: what the provider does; nothing is asked).
    pub text: String,
    /// Where in the console to do it (a path), if there.
    pub console_path: Option<String>,
    /// The command that does it, if one does.
    pub command: Option<String>,
}

/// A condition that holds now.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub owner: Owner,
    pub target: AlertTarget,
    pub summary: String,
    /// Since when it holds, when the provider's reports say (an event); else from now.
    pub since: Option<DateTime<Utc>>,
    pub recommendation: Recommendation,
}

impl Condition {
    /// What identifies one occurrence: the rule, the cluster (or project) and the target.
    pub fn fingerprint(&self, scope: &str) -> String {
        format!(
            "{}/{}/{}/{}",
            self.rule.id, scope, self.target.kind, self.target.id
        )
    }
}

/// What the rules read of one cluster. `components` and `events` are `None` when the provider
/// does not report them (a remote Scaleway): the rules that need them say nothing then.
pub struct ClusterFacts<'a> {
    pub now: DateTime<Utc>,
    pub cluster: &'a Cluster,
    pub pools: &'a [Pool],
    pub nodes: &'a [Node],
    pub components: Option<&'a [ComponentState]>,
    /// Newest first, as the port gives them.
    pub events: Option<&'a [ClusterEvent]>,
    /// The cluster's version in the catalog, when it is there.
    pub version: Option<&'a KubeVersionEntry>,
    /// Pools' autohealing caps that were set (others have the default).
    pub autohealing_caps: &'a HashMap<String, u32>,
}

/// Console addresses the recommendations point at.
fn tab(cluster: &Cluster, tab: &str) -> String {
    let base = format!("/clusters/{}/{}", cluster.region, cluster.id);
    if tab.is_empty() {
        base
    } else {
        format!("{base}/{tab}")
    }
}

fn node_target(node: &Node) -> AlertTarget {
    AlertTarget {
        kind: "node".into(),
        id: node.id.clone(),
        name: node.name.clone(),
    }
}

fn pool_target(pool: &Pool) -> AlertTarget {
    AlertTarget {
        kind: "pool".into(),
        id: pool.id.clone(),
        name: pool.name.clone(),
    }
}

/// A pool's nodes are the user's to watch when they changed what the provider set up (custom
/// kubelet arguments) or turned autohealing off; otherwise the provider's autohealing is on it.
fn node_owner(pool: Option<&Pool>) -> Owner {
    match pool {
        Some(pool) if pool.autohealing && pool.kubelet_args.is_empty() => Owner::Provider,
        _ => Owner::User,
    }
}

fn readiness_changes<'e>(
    events: &'e [ClusterEvent],
    node_id: &str,
) -> impl Iterator<Item = &'e ClusterEvent> {
    let node_id = node_id.to_string();
    events.iter().filter(move |event| {
        event.object_id == node_id && matches!(event.reason.as_str(), "NodeReady" | "NodeNotReady")
    })
}

/// The node rules: not ready, flapping, provisioning failed.
fn node_conditions(facts: &ClusterFacts<'_>, out: &mut Vec<Condition>) {
    let cluster = facts.cluster;
    for node in facts.nodes {
        let pool = facts.pools.iter().find(|pool| pool.id == node.pool_id);
        let owner = node_owner(pool);
        let pool_name = pool.map(|p| p.name.as_str()).unwrap_or("?");
        if node.status == NodeStatus::NotReady {
            let since = facts.events.and_then(|events| {
                readiness_changes(events, &node.id)
                    .next()
                    .filter(|event| event.reason == "NodeNotReady")
                    .map(|event| event.at)
            });
            let recommendation = match owner {
                Owner::Provider => Recommendation {
                    text: format!(
                        "Autohealing of pool {pool_name} reboots the node after {} minutes NotReady and replaces it after {}; nothing is asked of you.",
                        autoheal::REBOOT_AFTER_MINUTES,
                        autoheal::REPLACE_AFTER_MINUTES
                    ),
                    console_path: Some(tab(cluster, "nodes")),
                    command: None,
                },
                Owner::User => Recommendation {
                    text: if pool.is_some_and(|p| !p.kubelet_args.is_empty()) {
                        format!("Pool {pool_name} runs custom kubelet arguments, which are yours: check them, then replace the node.")
                    } else {
                        format!("Autohealing is off for pool {pool_name}: replace the node, or turn autohealing on.")
                    },
                    console_path: Some(tab(cluster, "nodes")),
                    command: Some(format!(
                        "scw k8s node replace {} region={}",
                        node.id, cluster.region
                    )),
                },
            };
            out.push(Condition {
                rule: &NODE_NOT_READY,
                severity: NODE_NOT_READY.severity,
                owner,
                target: node_target(node),
                summary: format!("node {} of pool {pool_name} is NotReady", node.name),
                since,
                recommendation,
            });
        }
        if let Some(events) = facts.events {
            let window = facts.now - Duration::minutes(FLAPPING_WINDOW_MINUTES);
            let changes: Vec<&ClusterEvent> = readiness_changes(events, &node.id)
                .filter(|event| event.at > window)
                .collect();
            if changes.len() > FLAPPING_CHANGES {
                out.push(Condition {
                    rule: &NODE_READINESS_FLAPPING,
                    severity: NODE_READINESS_FLAPPING.severity,
                    owner,
                    target: node_target(node),
                    summary: format!(
                        "node {} changed readiness {} times in {FLAPPING_WINDOW_MINUTES} minutes",
                        node.name,
                        changes.len()
                    ),
                    since: changes.last().map(|event| event.at),
                    recommendation: match owner {
                        Owner::Provider => Recommendation {
                            text: "The provider watches this node; autohealing replaces it if it stays NotReady. Nothing is asked of you.".into(),
                            console_path: Some(tab(cluster, "events")),
                            command: None,
                        },
                        Owner::User => Recommendation {
                            text: "Look at the node's events and its pool's settings, then replace the node.".into(),
                            console_path: Some(tab(cluster, "events")),
                            command: Some(format!("scw k8s node replace {} region={}", node.id, cluster.region)),
                        },
                    },
                });
            }
        }
        if node.status == NodeStatus::CreationError {
            out.push(Condition {
                rule: &NODE_PROVISIONING_FAILED,
                severity: NODE_PROVISIONING_FAILED.severity,
                owner: Owner::Provider,
                target: node_target(node),
                summary: format!(
                    "node {} of pool {pool_name} failed to provision{}",
                    node.name,
                    node.error_message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
                since: Some(node.updated_at),
                recommendation: Recommendation {
                    text: "Provisioning is the provider's: a failed node is removed and made again by the upgrade or replacement that asked for it, and the old node keeps serving meanwhile. Nothing is asked of you.".into(),
                    console_path: Some(tab(cluster, "nodes")),
                    command: None,
                },
            });
        }
    }
}

/// The pool rules: below its size, autohealing stopped, an upgrade held by a drain.
fn pool_conditions(facts: &ClusterFacts<'_>, out: &mut Vec<Condition>) {
    let cluster = facts.cluster;
    for pool in facts.pools {
        if pool.status == PoolStatus::Deleting || pool.status == PoolStatus::Scaling {
            continue;
        }
        let ready = facts
            .nodes
            .iter()
            .filter(|n| n.pool_id == pool.id && n.status == NodeStatus::Ready)
            .count() as i64;
        if ready < pool.size {
            // Whose the missing nodes are follows whose the pool's nodes are.
            let owner = node_owner(Some(pool));
            out.push(Condition {
                rule: &POOL_BELOW_SIZE,
                severity: POOL_BELOW_SIZE.severity,
                owner,
                target: pool_target(pool),
                summary: format!(
                    "pool {} has {ready} Ready nodes of its {}",
                    pool.name, pool.size
                ),
                since: None,
                recommendation: match owner {
                    Owner::Provider => Recommendation {
                        text: "Node provisioning and autohealing are the provider's: missing nodes are made or repaired by the provider. Nothing is asked of you.".into(),
                        console_path: Some(tab(cluster, "pools")),
                        command: None,
                    },
                    Owner::User => Recommendation {
                        text: format!("Pool {}'s nodes are yours to watch (autohealing is off, or you changed its kubelet arguments): replace the NotReady nodes, or turn autohealing on.", pool.name),
                        console_path: Some(tab(cluster, "nodes")),
                        command: None,
                    },
                },
            });
        }
    }
    let (_, stopped) = autoheal::plan(
        facts.pools,
        facts.nodes,
        &HashMap::new(),
        facts.autohealing_caps,
        facts.now,
    );
    for cap in stopped {
        out.push(Condition {
            rule: &AUTOHEALING_STOPPED,
            severity: AUTOHEALING_STOPPED.severity,
            owner: Owner::Provider,
            target: AlertTarget {
                kind: "pool".into(),
                id: cap.pool_id.clone(),
                name: cap.pool_name.clone(),
            },
            summary: cap.message.clone(),
            since: None,
            recommendation: Recommendation {
                text: format!(
                    "A fault this wide ({} of {} nodes) is the provider's to investigate; autohealing resumes on its own once no more than {} % of the pool is unhealthy. Nothing is asked of you.",
                    cap.unhealthy, cap.nodes, cap.cap_percent
                ),
                console_path: Some(tab(cluster, "maintenance")),
                command: None,
            },
        });
    }
    if let Some(events) = facts.events {
        for pool in facts
            .pools
            .iter()
            .filter(|p| p.status == PoolStatus::Upgrading)
        {
            let latest = events.iter().find(|event| {
                event.object_id == pool.id
                    && matches!(
                        event.reason.as_str(),
                        "DrainBlocked" | "DrainForced" | "DrainResumed"
                    )
            });
            if let Some(blocked) = latest.filter(|event| event.reason == "DrainBlocked") {
                out.push(Condition {
                    rule: &UPGRADE_STALLED,
                    severity: UPGRADE_STALLED.severity,
                    owner: Owner::User,
                    target: pool_target(pool),
                    summary: format!("the upgrade of pool {} waits: {}", pool.name, blocked.message),
                    since: Some(blocked.at),
                    recommendation: Recommendation {
                        text: "A PodDisruptionBudget of your workloads allows no eviction: scale the workload up or relax the budget, or pause the upgrade.".into(),
                        console_path: Some(tab(cluster, "upgrade")),
                        command: Some("kubectl get pdb --all-namespaces".into()),
                    },
                });
            }
        }
    }
}

/// The components' rules: the control plane unavailable, a component crash-looping or
/// degraded. A component the user modified is the user's.
fn component_conditions(facts: &ClusterFacts<'_>, out: &mut Vec<Condition>) {
    let Some(components) = facts.components else {
        return;
    };
    let cluster = facts.cluster;
    for component in components {
        let owner = if component.managed_by == "user" {
            Owner::User
        } else {
            Owner::Provider
        };
        let target = AlertTarget {
            kind: "component".into(),
            id: component.name.clone(),
            name: component.name.clone(),
        };
        let provider_does = |what: &str| Recommendation {
            text: format!(
                "{} is the provider's: {what} Nothing is asked of you.",
                component.name
            ),
            console_path: Some(tab(cluster, "")),
            command: None,
        };
        let yours = Recommendation {
            text: format!(
                "You modified {}, so it is yours: undo your change, or restore the cluster's system apps to the provider's defaults.",
                component.name
            ),
            console_path: Some(tab(cluster, "")),
            command: None,
        };
        let serves_api = matches!(component.name.as_str(), "kube-apiserver" | "etcd");
        match component.health.as_str() {
            "crash_loop" if serves_api => out.push(Condition {
                rule: &CONTROL_PLANE_UNAVAILABLE,
                severity: CONTROL_PLANE_UNAVAILABLE.severity,
                owner,
                target,
                summary: format!(
                    "{} is crash-looping: the cluster's API does not answer",
                    component.name
                ),
                since: None,
                recommendation: match owner {
                    Owner::Provider => provider_does("the provider is paged and restores the control plane."),
                    Owner::User => yours,
                },
            }),
            "crash_loop" => out.push(Condition {
                rule: &COMPONENT_CRASH_LOOPING,
                severity: COMPONENT_CRASH_LOOPING.severity,
                owner,
                target,
                summary: format!("{} is crash-looping", component.name),
                since: None,
                recommendation: match owner {
                    Owner::Provider => provider_does("the provider restarts it and, if it keeps failing, restores it to its default."),
                    Owner::User => yours,
                },
            }),
            "degraded" => out.push(Condition {
                rule: &COMPONENT_DEGRADED,
                severity: COMPONENT_DEGRADED.severity,
                owner,
                target,
                summary: format!("{} is degraded", component.name),
                since: None,
                recommendation: match owner {
                    Owner::Provider => provider_does("the provider repairs it."),
                    Owner::User => yours,
                },
            }),
            _ => {}
        }
    }
}

/// A restore whose latest outcome is a failure (until another restore, or its undo, succeeds).
fn restore_outcome(facts: &ClusterFacts<'_>, out: &mut Vec<Condition>) {
    let Some(events) = facts.events else {
        return;
    };
    let latest = events.iter().find(|event| {
        matches!(
            event.reason.as_str(),
            "RestoreStarted" | "RestoreSucceeded" | "RestoreFailed"
        )
    });
    let Some(failed) = latest.filter(|event| event.reason == "RestoreFailed") else {
        return;
    };
    let cluster = facts.cluster;
    out.push(Condition {
        rule: &RESTORE_FAILED,
        severity: RESTORE_FAILED.severity,
        owner: Owner::Provider,
        target: AlertTarget {
            kind: "cluster".into(),
            id: cluster.id.clone(),
            name: cluster.name.clone(),
        },
        summary: format!("the restore of {} failed: {}", cluster.name, failed.message),
        since: Some(failed.at),
        recommendation: Recommendation {
            text: "A restore is the provider's to carry out, without guarantee: it ended within its deadline and retries nothing. Read its diagnostics for what still fails and whose it is; you may undo it for 7 days.".into(),
            console_path: Some(tab(cluster, "")),
            command: Some(format!("wheelhouse k8s cluster diagnose {}", cluster.id)),
        },
    });
}

/// End of support of the cluster's version: info 90 days ahead, warning 30, critical 7 (and
/// past it).
fn end_of_support(facts: &ClusterFacts<'_>, out: &mut Vec<Condition>) {
    let Some(end) = facts.version.and_then(|version| version.end_of_life_at) else {
        return;
    };
    let days = (end - facts.now).num_days();
    let [notice, warning, critical] = END_OF_SUPPORT_DAYS;
    if end - facts.now > Duration::days(notice) {
        return;
    }
    let severity = if days < critical {
        Severity::Critical
    } else if days < warning {
        Severity::Warning
    } else {
        Severity::Info
    };
    let cluster = facts.cluster;
    let when = if end <= facts.now {
        format!("ended on {}", end.format("%Y-%m-%d"))
    } else {
        format!("ends on {} (in {days} days)", end.format("%Y-%m-%d"))
    };
    out.push(Condition {
        rule: &END_OF_SUPPORT,
        severity,
        owner: Owner::User,
        target: AlertTarget {
            kind: "cluster".into(),
            id: cluster.id.clone(),
            name: cluster.name.clone(),
        },
        summary: format!("support of Kubernetes {} {when}", cluster.version),
        since: None,
        recommendation: Recommendation {
            text: "Applying upgrades is yours: upgrade to the next minor version before the date, or the provider upgrades the cluster in its maintenance window.".into(),
            console_path: Some(tab(cluster, "upgrade")),
            command: Some(format!(
                "scw k8s cluster upgrade {} version=<next minor> upgrade-pools=true region={}",
                cluster.id, cluster.region
            )),
        },
    });
}

/// The rules `cluster_conditions` could evaluate from these facts: a rule whose input the
/// provider did not give (or whose read failed) says nothing, so its open alerts stay as they
/// are rather than resolve.
pub fn evaluated(facts: &ClusterFacts<'_>, rule: &str) -> bool {
    match rule {
        "control_plane_unavailable" | "component_crash_looping" | "component_degraded" => {
            facts.components.is_some()
        }
        "node_readiness_flapping" | "upgrade_stalled" | "restore_failed" => facts.events.is_some(),
        "end_of_support_approaching" => facts.version.is_some(),
        _ => true,
    }
}

/// Every condition that holds for one cluster now.
pub fn cluster_conditions(facts: &ClusterFacts<'_>) -> Vec<Condition> {
    let mut out = Vec::new();
    component_conditions(facts, &mut out);
    node_conditions(facts, &mut out);
    pool_conditions(facts, &mut out);
    restore_outcome(facts, &mut out);
    end_of_support(facts, &mut out);
    out
}

/// The project rule: its clusters' nodes (pools' sizes) above [`QUOTA_PERCENT`] of its quota.
pub fn project_condition(
    project_id: &str,
    project_name: &str,
    nodes: i64,
    quota: i64,
) -> Option<Condition> {
    if quota <= 0 || nodes * 100 <= quota * QUOTA_PERCENT {
        return None;
    }
    Some(Condition {
        rule: &PROJECT_QUOTA_HIGH,
        severity: PROJECT_QUOTA_HIGH.severity,
        owner: Owner::User,
        target: AlertTarget {
            kind: "project".into(),
            id: project_id.into(),
            name: project_name.into(),
        },
        summary: format!(
            "project {project_name} uses {nodes} of its {quota} nodes ({} %)",
            nodes * 100 / quota
        ),
        since: None,
        recommendation: Recommendation {
            text: "New pools, scale-ups and upgrade surges need room in the quota: remove nodes you do not use, or ask the provider for a higher quota.".into(),
            console_path: Some("/clusters".into()),
            command: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::upgrade::synthetic::{cluster, epoch, node, pool, version};

    fn event(minutes_ago: i64, node: &str, reason: &str) -> ClusterEvent {
        ClusterEvent {
            at: epoch() - Duration::minutes(minutes_ago),
            object_kind: "node".into(),
            object_id: node.into(),
            reason: reason.into(),
            message: String::new(),
        }
    }

    fn component(name: &str, health: &str, managed_by: &str) -> ComponentState {
        ComponentState {
            name: name.into(),
            kind: "system_app".into(),
            version: "1".into(),
            health: health.into(),
            managed_by: managed_by.into(),
        }
    }

    fn conditions(
        pools: &[Pool],
        nodes: &[Node],
        components: &[ComponentState],
        events: &[ClusterEvent],
    ) -> Vec<(String, Owner, String)> {
        let cluster = cluster("1.34.2");
        let facts = ClusterFacts {
            now: epoch(),
            cluster: &cluster,
            pools,
            nodes,
            components: Some(components),
            events: Some(events),
            version: None,
            autohealing_caps: &HashMap::new(),
        };
        cluster_conditions(&facts)
            .into_iter()
            .map(|c| (c.rule.id.to_string(), c.owner, c.target.name))
            .collect()
    }

    #[test]
    fn a_healthy_cluster_raises_nothing() {
        let pools = [pool("p", "1.34.2", 1, 1, 0)];
        let nodes: Vec<Node> = (0..3)
            .map(|i| node(&format!("n{i}"), "p", "1.34.2", i))
            .collect();
        let mut p = pools.to_vec();
        p[0].size = 3;
        assert!(conditions(
            &p,
            &nodes,
            &[component("coredns", "healthy", "provider")],
            &[]
        )
        .is_empty());
    }

    #[test]
    fn a_not_ready_node_is_the_providers_while_autohealing_watches_it() {
        let mut p = pool("p", "1.34.2", 1, 1, 0);
        p.size = 1;
        p.autohealing = true;
        let mut n = node("n0", "p", "1.34.2", 0);
        n.status = NodeStatus::NotReady;
        let found = conditions(std::slice::from_ref(&p), std::slice::from_ref(&n), &[], &[]);
        assert!(
            found.contains(&("node_not_ready".into(), Owner::Provider, n.name.clone())),
            "{found:?}"
        );
        assert!(found.iter().any(|(rule, _, _)| rule == "pool_below_size"));
        p.autohealing = false;
        let found = conditions(&[p.clone()], std::slice::from_ref(&n), &[], &[]);
        assert!(
            found.contains(&("node_not_ready".into(), Owner::User, n.name.clone())),
            "{found:?}"
        );
        p.autohealing = true;
        p.kubelet_args
            .insert("max-pods".into(), serde_json::json!("50"));
        let found = conditions(&[p], &[n.clone()], &[], &[]);
        assert!(
            found.contains(&("node_not_ready".into(), Owner::User, n.name)),
            "{found:?}"
        );
    }

    #[test]
    fn readiness_flaps_past_two_changes_in_fifteen_minutes() {
        let mut p = pool("p", "1.34.2", 1, 1, 0);
        p.size = 1;
        let n = node("n0", "p", "1.34.2", 0);
        let two = [event(1, "n0", "NodeReady"), event(5, "n0", "NodeNotReady")];
        assert!(conditions(
            std::slice::from_ref(&p),
            std::slice::from_ref(&n),
            &[],
            &two
        )
        .is_empty());
        let three_old = [
            event(1, "n0", "NodeReady"),
            event(5, "n0", "NodeNotReady"),
            event(16, "n0", "NodeReady"),
        ];
        assert!(conditions(
            std::slice::from_ref(&p),
            std::slice::from_ref(&n),
            &[],
            &three_old
        )
        .is_empty());
        let three = [
            event(1, "n0", "NodeReady"),
            event(5, "n0", "NodeNotReady"),
            event(14, "n0", "NodeReady"),
        ];
        let found = conditions(&[p], &[n], &[], &three);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "node_readiness_flapping");
    }

    #[test]
    fn components_are_owned_by_who_manages_them_and_the_api_server_is_critical() {
        let found = conditions(
            &[],
            &[],
            &[
                component("coredns", "crash_loop", "provider"),
                component("kube-proxy", "degraded", "user"),
                component("kube-apiserver", "crash_loop", "provider"),
            ],
            &[],
        );
        assert_eq!(
            found,
            [
                (
                    "component_crash_looping".to_string(),
                    Owner::Provider,
                    "coredns".to_string()
                ),
                (
                    "component_degraded".to_string(),
                    Owner::User,
                    "kube-proxy".to_string()
                ),
                (
                    "control_plane_unavailable".to_string(),
                    Owner::Provider,
                    "kube-apiserver".to_string()
                ),
            ]
        );
        assert_eq!(CONTROL_PLANE_UNAVAILABLE.severity, Severity::Critical);
        assert_eq!(CONTROL_PLANE_UNAVAILABLE.for_minutes, 1);
    }

    #[test]
    fn end_of_support_grows_more_severe_as_it_nears() {
        let cluster = cluster("1.34.2");
        let mut entry = version("1.34.2", &[]);
        let severity_at = |days: i64, entry: &mut KubeVersionEntry| {
            entry.end_of_life_at = Some(epoch() + Duration::days(days) - Duration::hours(1));
            let facts = ClusterFacts {
                now: epoch(),
                cluster: &cluster,
                pools: &[],
                nodes: &[],
                components: None,
                events: None,
                version: Some(entry),
                autohealing_caps: &HashMap::new(),
            };
            cluster_conditions(&facts)
                .first()
                .map(|c| (c.severity, c.owner))
        };
        assert_eq!(severity_at(91, &mut entry), None);
        assert_eq!(
            severity_at(90, &mut entry),
            Some((Severity::Info, Owner::User))
        );
        assert_eq!(
            severity_at(29, &mut entry),
            Some((Severity::Warning, Owner::User))
        );
        assert_eq!(
            severity_at(6, &mut entry),
            Some((Severity::Critical, Owner::User))
        );
        assert_eq!(
            severity_at(-3, &mut entry),
            Some((Severity::Critical, Owner::User))
        );
    }

    #[test]
    fn a_failed_restore_alerts_until_a_later_one_succeeds() {
        let cluster_event = |minutes_ago: i64, reason: &str| ClusterEvent {
            object_kind: "cluster".into(),
            ..event(minutes_ago, "c", reason)
        };
        let failed = [
            cluster_event(1, "RestoreFailed"),
            cluster_event(9, "RestoreStarted"),
        ];
        let found = conditions(&[], &[], &[], &failed);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "restore_failed");
        assert_eq!(found[0].1, Owner::Provider);
        let retried = [
            cluster_event(1, "RestoreSucceeded"),
            cluster_event(5, "RestoreStarted"),
            cluster_event(9, "RestoreFailed"),
        ];
        assert!(conditions(&[], &[], &[], &retried).is_empty());
    }

    #[test]
    fn the_quota_alert_starts_above_ninety_percent() {
        assert!(project_condition("p", "shop", 18, 20).is_none());
        let found = project_condition("p", "shop", 19, 20).expect("above 90 %");
        assert_eq!(found.owner, Owner::User);
        assert!(found.summary.contains("19 of its 20"), "{}", found.summary);
        assert!(project_condition("p", "shop", 5, 0).is_none());
    }

    #[test]
    fn every_rule_is_listed_once_with_its_threshold() {
        for (index, rule) in RULES.iter().enumerate() {
            assert!(
                RULES[index + 1..].iter().all(|other| other.id != rule.id),
                "{}",
                rule.id
            );
            assert_eq!(super::rule(rule.id), Some(rule));
        }
        assert_eq!(NODE_NOT_READY.for_minutes, 15);
        assert_eq!(POOL_BELOW_SIZE.for_minutes, 15);
    }
}
