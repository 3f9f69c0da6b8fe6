//! The upgrade plan: control plane first, then each pool in the order it was created, each pool
//! in waves bounded by its `max_surge`/`max_unavailable`, with durations from the provider's
//! timing model. Pure: the same inputs give the same plan, and the sandbox executes exactly
//! these waves (oldest nodes first, `surge + unavailable` nodes per wave).

use serde::Serialize;

use crate::domain::model::{Node, NodeStatus, Pool, PoolStatus, RolloutTiming};
use crate::domain::version::KubeVersion;

use super::UpgradeSubject;

/// Pools of this node type are Kosmos external nodes: their node agent upgrades them, not the
/// provider's pool rollout.
pub const EXTERNAL_NODE_TYPE: &str = "external";

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UpgradePlan {
    pub from_version: String,
    pub to_version: String,
    pub steps: Vec<PlanStep>,
    /// Pools the rollout leaves alone, with why.
    pub skipped_pools: Vec<String>,
    pub estimated_seconds: i64,
    pub changelog: Vec<ChangelogEntry>,
    /// What changes on the user's side of the shared responsibility model.
    pub your_responsibility: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanStep {
    /// `control_plane` or `pool`.
    pub kind: &'static str,
    pub name: String,
    pub pool_id: Option<String>,
    pub waves: Vec<Wave>,
    pub estimated_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Wave {
    pub number: usize,
    /// The nodes this wave replaces (names), oldest first.
    pub nodes: Vec<String>,
    /// New nodes made before old ones drain.
    pub surge: i64,
    /// Old nodes drained before their replacement exists.
    pub in_place: i64,
    pub estimated_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChangelogEntry {
    pub version: String,
    pub notes: Vec<String>,
    pub removed: Vec<String>,
}

/// Whether the rollout of a cluster upgrade replaces this pool's nodes.
pub fn skip_reason(pool: &Pool, target: &str) -> Option<&'static str> {
    if pool.status == PoolStatus::Deleting {
        Some("being deleted")
    } else if pool.node_type == EXTERNAL_NODE_TYPE {
        Some("external nodes: their node agent upgrades them")
    } else if pool.version == target {
        Some("already runs the target version")
    } else {
        None
    }
}

/// A node that still serves workloads (not leaving, not failed).
fn serving(node: &Node) -> bool {
    !matches!(
        node.status,
        NodeStatus::Deleting | NodeStatus::CreationError
    )
}

/// The waves of one pool's rollout to `target`.
pub fn pool_waves(pool: &Pool, nodes: &[Node], target: &str, timing: &RolloutTiming) -> Vec<Wave> {
    let mut old: Vec<&Node> = nodes
        .iter()
        .filter(|n| n.pool_id == pool.id && serving(n) && n.version != target)
        .collect();
    old.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let mut waves = Vec::new();
    let mut rest = old.as_slice();
    while !rest.is_empty() {
        let surge = pool.max_surge.max(0).min(rest.len() as i64);
        let in_place = pool.max_unavailable.max(0).min(rest.len() as i64 - surge);
        let size = (surge + in_place) as usize;
        if size == 0 {
            // The policy replaces nothing: the pre-flight says so; the plan shows no waves.
            break;
        }
        let (wave, after) = rest.split_at(size);
        waves.push(Wave {
            number: waves.len() + 1,
            nodes: wave.iter().map(|n| n.name.clone()).collect(),
            surge,
            in_place,
            estimated_seconds: (timing.node_boot + timing.node_drain).num_seconds(),
        });
        rest = after;
    }
    waves
}

/// Pools in rollout order: the order they were created.
pub fn pools_in_order(pools: &[Pool]) -> Vec<&Pool> {
    let mut ordered: Vec<&Pool> = pools.iter().collect();
    ordered.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    ordered
}

/// The catalog entries strictly after `from` up to and including `to`, oldest first.
pub fn versions_between<'a>(
    subject: &UpgradeSubject<'a>,
    from: KubeVersion,
    to: KubeVersion,
) -> Vec<&'a crate::domain::model::KubeVersionEntry> {
    let mut between: Vec<(KubeVersion, &crate::domain::model::KubeVersionEntry)> = subject
        .versions
        .iter()
        .filter_map(|entry| entry.name.parse::<KubeVersion>().ok().map(|v| (v, entry)))
        .filter(|(v, _)| *v > from && *v <= to)
        .collect();
    between.sort_by_key(|(version, _)| *version);
    between.into_iter().map(|(_, entry)| entry).collect()
}

/// A removal that names an API (`group/version Kind`) rather than a behaviour.
pub fn is_api_removal(entry: &str) -> bool {
    entry
        .split_whitespace()
        .next()
        .is_some_and(|first| first.contains('/'))
}

/// The plan of upgrading to `target`; with `with_pools` false only the control plane moves
/// (Scaleway's `upgrade_pools: false`) and the pools are listed as skipped.
pub fn plan(subject: &UpgradeSubject<'_>, target: &str, with_pools: bool) -> UpgradePlan {
    let cluster = subject.cluster;
    let timing = &subject.timing;
    let mut steps = vec![PlanStep {
        kind: "control_plane",
        name: "Control plane".to_string(),
        pool_id: None,
        waves: Vec::new(),
        estimated_seconds: timing.control_plane_upgrade.num_seconds(),
    }];
    let mut skipped_pools = Vec::new();
    for pool in pools_in_order(subject.pools) {
        let reason = skip_reason(pool, target).or(if with_pools {
            None
        } else {
            Some("not upgraded with the control plane (upgrade pools was not asked)")
        });
        if let Some(reason) = reason {
            skipped_pools.push(format!("{}: {reason}", pool.name));
            continue;
        }
        let waves = pool_waves(pool, subject.nodes, target, timing);
        steps.push(PlanStep {
            kind: "pool",
            name: pool.name.clone(),
            pool_id: Some(pool.id.clone()),
            estimated_seconds: waves.iter().map(|w| w.estimated_seconds).sum(),
            waves,
        });
    }
    let changelog = match (
        cluster.version.parse::<KubeVersion>(),
        target.parse::<KubeVersion>(),
    ) {
        (Ok(from), Ok(to)) => versions_between(subject, from, to)
            .into_iter()
            .map(|entry| ChangelogEntry {
                version: entry.name.clone(),
                notes: entry.changelog.clone(),
                removed: entry.removed_apis.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut your_responsibility = vec![
        "Your workloads are drained from every node and rescheduled: keep enough replicas and PodDisruptionBudgets that let them move.".to_string(),
    ];
    for entry in &changelog {
        for removed in entry.removed.iter().filter(|r| is_api_removal(r)) {
            your_responsibility.push(format!(
                "{} no longer serves {removed}: move manifests, charts and controllers to its replacement.",
                entry.version
            ));
        }
        for removed in entry.removed.iter().filter(|r| !is_api_removal(r)) {
            your_responsibility.push(format!("{} removes: {removed}.", entry.version));
        }
    }
    if let Some(inventory) = subject.inventory {
        let yours: Vec<&str> = inventory
            .components
            .iter()
            .filter(|c| c.managed_by == "user")
            .map(|c| c.name.as_str())
            .collect();
        if !yours.is_empty() {
            your_responsibility.push(format!(
                "Components you manage are not upgraded: {}.",
                yours.join(", ")
            ));
        }
    }
    UpgradePlan {
        from_version: cluster.version.clone(),
        to_version: target.to_string(),
        estimated_seconds: steps.iter().map(|s| s.estimated_seconds).sum(),
        steps,
        skipped_pools,
        changelog,
        your_responsibility,
    }
}

/// The plan of rolling one pool onto its cluster's version (Scaleway's pool `upgrade`): that
/// pool's waves only.
pub fn pool_plan(subject: &UpgradeSubject<'_>, pool: &Pool, target: &str) -> UpgradePlan {
    let waves = pool_waves(pool, subject.nodes, target, &subject.timing);
    let estimated_seconds = waves.iter().map(|w| w.estimated_seconds).sum();
    UpgradePlan {
        from_version: pool.version.clone(),
        to_version: target.to_string(),
        steps: vec![PlanStep {
            kind: "pool",
            name: pool.name.clone(),
            pool_id: Some(pool.id.clone()),
            waves,
            estimated_seconds,
        }],
        skipped_pools: Vec::new(),
        estimated_seconds,
        changelog: Vec::new(),
        your_responsibility: Vec::new(),
    }
}

/// Whether a pool takes part in a rollback to `target`: it still has serving nodes (or its
/// version) elsewhere, and the provider's rollout moves it.
pub fn needs_rollback(pool: &Pool, nodes: &[Node], target: &str) -> bool {
    pool.status != PoolStatus::Deleting
        && pool.node_type != EXTERNAL_NODE_TYPE
        && (pool.version != target
            || nodes
                .iter()
                .any(|n| n.pool_id == pool.id && serving(n) && n.version != target))
}

/// The plan of a rollback to `target`: the pools first (a kubelet may not be newer than its API
/// server), each in the waves of an upgrade, then the control plane; with `only` one pool and
/// no control plane.
pub fn rollback_plan(
    subject: &UpgradeSubject<'_>,
    target: &str,
    only: Option<&Pool>,
) -> UpgradePlan {
    let timing = &subject.timing;
    let mut steps = Vec::new();
    let mut skipped_pools = Vec::new();
    for pool in pools_in_order(subject.pools) {
        if only.is_some_and(|only| only.id != pool.id) {
            continue;
        }
        if !needs_rollback(pool, subject.nodes, target) {
            let why = skip_reason(pool, target).unwrap_or("already runs the target version");
            skipped_pools.push(format!("{}: {why}", pool.name));
            continue;
        }
        let waves = pool_waves(pool, subject.nodes, target, timing);
        steps.push(PlanStep {
            kind: "pool",
            name: pool.name.clone(),
            pool_id: Some(pool.id.clone()),
            estimated_seconds: waves.iter().map(|w| w.estimated_seconds).sum(),
            waves,
        });
    }
    let from_version = match only {
        Some(pool) => pool.version.clone(),
        None => subject.cluster.version.clone(),
    };
    let mut your_responsibility = vec![
        "Your workloads are drained from every node that goes back and rescheduled: keep enough replicas and PodDisruptionBudgets that let them move.".to_string(),
    ];
    if only.is_none() {
        steps.push(PlanStep {
            kind: "control_plane",
            name: "Control plane".to_string(),
            pool_id: None,
            waves: Vec::new(),
            estimated_seconds: timing.control_plane_upgrade.num_seconds(),
        });
        your_responsibility.push(format!(
            "APIs and features new in {from_version} stop being served: manifests and controllers that started using them fail after the rollback."
        ));
    }
    UpgradePlan {
        from_version,
        to_version: target.to_string(),
        estimated_seconds: steps.iter().map(|s| s.estimated_seconds).sum(),
        steps,
        skipped_pools,
        changelog: Vec::new(),
        your_responsibility,
    }
}
