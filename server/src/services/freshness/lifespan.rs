//! Node lifespan: a pool's nodes are replaced once older than its `max_node_age`, only inside
//! the cluster's maintenance window, never while the cluster changes (an upgrade, a rollback),
//! surge first (the port's replace boots the new node before the old one drains), no more at
//! once than the pool's `max_surge` (at least one) and its tightest PodDisruptionBudget allow,
//! and staggered: each node's expiry is brought forward by a share of the lifespan fixed by its
//! id, so nodes created together do not all expire together. Pure functions of what the port
//! reports at one instant.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::window::{replacement_hold, Exclusion, MaintenanceWindow};
use crate::domain::model::{
    Cluster, ClusterStatus, DisruptionBudget, Node, NodeStatus, Pool, PoolStatus,
};

/// The shortest lifespan a pool may have.
pub const MIN_MAX_NODE_AGE_DAYS: u32 = 1;
/// What the console pre-fills for new pools (the shared responsibility model's advice).
pub const RECOMMENDED_MAX_NODE_AGE_DAYS: u32 = 30;
/// The longest a preview looks ahead.
pub const PREVIEW_DAYS: i64 = 30;
/// Expiries are spread over this share of the lifespan (in percent), before its end.
const STAGGER_PERCENT: i64 = 20;

/// Everything a freshness pass reads, as the port reported it at `now`.
pub struct FreshnessSubject<'a> {
    pub now: DateTime<Utc>,
    pub cluster: &'a Cluster,
    pub pools: &'a [Pool],
    pub nodes: &'a [Node],
    /// Pool id → its lifespan; pools without one keep their nodes.
    pub lifespans: &'a HashMap<String, Duration>,
    pub window: &'a MaintenanceWindow,
    pub pdbs: &'a [DisruptionBudget],
    /// The cluster's maintenance exclusions (those in force hold replacements by scope).
    pub exclusions: &'a [Exclusion],
    /// The OS image new nodes boot; nodes on another are outdated and replaced first.
    pub current_image: Option<&'a str>,
}

/// Whether a node runs an OS image older than the one new nodes boot.
pub fn outdated(node: &Node, current_image: Option<&str>) -> bool {
    current_image.is_some_and(|current| !node.os_image.is_empty() && node.os_image != current)
}

/// A stable number from a node's id (FNV-1a), so its stagger never changes.
fn fingerprint(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// When a node of a pool with this lifespan expires: its creation plus the lifespan, brought
/// forward by up to a fifth of it (by its id).
pub fn expires_at(node: &Node, max_age: Duration) -> DateTime<Utc> {
    let spread = max_age.num_seconds() * STAGGER_PERCENT / 100;
    let offset = if spread > 0 {
        (fingerprint(&node.id) % spread as u64) as i64
    } else {
        0
    };
    node.created_at + max_age - Duration::seconds(offset)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Replace it now (through the port).
    Replace,
    /// Overdue, and waiting: the reason says for what.
    Wait,
}

/// What a pass decides about one overdue node.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub node_id: String,
    pub node_name: String,
    pub pool_id: String,
    pub expired_at: DateTime<Utc>,
    /// On an outdated OS image (replaced before the merely old).
    pub outdated_image: bool,
    pub action: Action,
    /// Why it waits (empty when it is replaced).
    pub reason: String,
}

fn serving(node: &Node) -> bool {
    node.status == NodeStatus::Ready
}

/// Why nothing of this cluster may be replaced now, if so.
fn cluster_busy(subject: &FreshnessSubject<'_>) -> Option<String> {
    if subject.cluster.status != ClusterStatus::Ready {
        return Some(format!(
            "the cluster is {}: replacements wait until it is ready",
            subject.cluster.status.as_str().replace('_', " ")
        ));
    }
    subject
        .pools
        .iter()
        .find(|pool| pool.status == PoolStatus::Upgrading)
        .map(|pool| {
            format!(
                "pool {} is upgrading: no replacement during an upgrade or rollback",
                pool.name
            )
        })
}

/// The nodes overdue now, and for each whether this pass replaces it or why it waits.
pub fn decide(subject: &FreshnessSubject<'_>) -> Vec<Decision> {
    let now = subject.now;
    let busy = cluster_busy(subject)
        .or_else(|| replacement_hold(subject.exclusions, now).map(Exclusion::describe));
    let window_closed = (!subject.window.is_open(now)).then(|| {
        format!(
            "outside the maintenance window ({}); it next opens {}",
            subject.window.describe(),
            subject.window.next_open(now).format("%Y-%m-%d %H:%M UTC")
        )
    });
    let mut decisions = Vec::new();
    let mut pools: Vec<&Pool> = subject.pools.iter().collect();
    pools.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    for pool in pools {
        let Some(max_age) = subject.lifespans.get(&pool.id) else {
            continue;
        };
        let pool_nodes: Vec<&Node> = subject
            .nodes
            .iter()
            .filter(|n| n.pool_id == pool.id)
            .collect();
        // Due: past its lifespan, or on an outdated OS image (those first).
        let mut due: Vec<(DateTime<Utc>, &Node)> = pool_nodes
            .iter()
            .filter(|n| serving(n))
            .map(|n| (expires_at(n, *max_age), *n))
            .filter(|(expiry, n)| *expiry <= now || outdated(n, subject.current_image))
            .collect();
        if due.is_empty() {
            continue;
        }
        due.sort_by(|a, b| {
            outdated(b.1, subject.current_image)
                .cmp(&outdated(a.1, subject.current_image))
                .then(a.0.cmp(&b.0))
                .then(a.1.id.cmp(&b.1.id))
        });
        let in_flight = pool_nodes.iter().filter(|n| !serving(n)).count() as i64;
        let tightest = subject
            .pdbs
            .iter()
            .filter(|pdb| pdb.pool_id.as_deref().is_none_or(|id| id == pool.id))
            .min_by_key(|pdb| pdb.disruptions_allowed);
        let mut capacity = pool.max_surge.max(1) - in_flight;
        let mut held = None;
        if let Some(reason) = busy.clone().or(window_closed.clone()) {
            held = Some(reason);
        } else if pool.status != PoolStatus::Ready {
            held = Some(format!("pool {} is {}", pool.name, pool.status.as_str()));
        } else if capacity <= 0 {
            held = Some(format!(
                "a replacement is under way in pool {} (it replaces {} node(s) at a time, its max_surge)",
                pool.name,
                pool.max_surge.max(1)
            ));
        } else if let Some(pdb) = tightest {
            if pdb.disruptions_allowed <= 0 {
                held = Some(format!(
                    "PodDisruptionBudget {}/{} allows no eviction now",
                    pdb.namespace, pdb.name
                ));
            }
            capacity = capacity.min(pdb.disruptions_allowed);
        }
        for (index, (expiry, node)) in due.into_iter().enumerate() {
            let (action, reason) = match &held {
                Some(reason) => (Action::Wait, reason.clone()),
                None if (index as i64) < capacity => (Action::Replace, String::new()),
                None => (
                    Action::Wait,
                    format!("after the replacement(s) under way in pool {}", pool.name),
                ),
            };
            decisions.push(Decision {
                node_id: node.id.clone(),
                node_name: node.name.clone(),
                pool_id: pool.id.clone(),
                expired_at: expiry.min(now),
                outdated_image: outdated(node, subject.current_image),
                action,
                reason,
            });
        }
    }
    decisions
}

/// One replacement a preview foresees.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlannedReplacement {
    pub node_id: String,
    pub node_name: String,
    pub pool_id: String,
    pub pool_name: String,
    pub expires_at: DateTime<Utc>,
    /// The opening of the window it is replaced in (or now, when overdue in an open window).
    pub replaced_from: DateTime<Utc>,
    pub reason: String,
}

/// For the next 30 days: which node is replaced in which window, and why.
pub fn preview(subject: &FreshnessSubject<'_>) -> Vec<PlannedReplacement> {
    let horizon = subject.now + Duration::days(PREVIEW_DAYS);
    let mut planned = Vec::new();
    for pool in subject.pools {
        let Some(max_age) = subject.lifespans.get(&pool.id) else {
            continue;
        };
        for node in subject
            .nodes
            .iter()
            .filter(|n| n.pool_id == pool.id && n.status != NodeStatus::Deleting)
        {
            let stale = outdated(node, subject.current_image);
            let expiry = if stale {
                subject.now.min(expires_at(node, *max_age))
            } else {
                expires_at(node, *max_age)
            };
            // The first open window after it is due that no exclusion holds.
            let mut from = subject.window.next_open(expiry.max(subject.now));
            while let Some(hold) = replacement_hold(subject.exclusions, from) {
                from = subject.window.next_open(hold.ends_at);
            }
            if from > horizon {
                continue;
            }
            let days = match max_age.num_days() {
                1 => "1 day".to_string(),
                days => format!("{days} days"),
            };
            let reason = if stale {
                format!(
                    "outdated OS image {} (new nodes boot {})",
                    node.os_image,
                    subject.current_image.unwrap_or_default()
                )
            } else if expiry <= subject.now {
                format!("overdue: older than the pool's lifespan ({days})")
            } else {
                format!(
                    "expires {} (lifespan {days})",
                    expiry.format("%Y-%m-%d %H:%M UTC")
                )
            };
            planned.push(PlannedReplacement {
                node_id: node.id.clone(),
                node_name: node.name.clone(),
                pool_id: pool.id.clone(),
                pool_name: pool.name.clone(),
                expires_at: expiry,
                replaced_from: from,
                reason,
            });
        }
    }
    planned.sort_by(|a, b| {
        a.replaced_from
            .cmp(&b.replaced_from)
            .then(a.expires_at.cmp(&b.expires_at))
    });
    planned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::freshness::window::ExclusionScope;
    use crate::services::upgrade::synthetic::{cluster, epoch, node, pool};

    fn window_any(start_hour: u32) -> MaintenanceWindow {
        MaintenanceWindow {
            start_hour,
            duration_hours: 2,
            ..MaintenanceWindow::default()
        }
    }

    /// Nodes created together, all past a 1-day lifespan at `now`.
    fn subject_parts(surge: i64, size: usize) -> (Cluster, Vec<Pool>, Vec<Node>) {
        let pools = vec![pool("p", "1.34.2", surge, 1, 0)];
        let nodes = (0..size)
            .map(|i| node(&format!("n{i:03}"), "p", "1.34.2", 0))
            .collect();
        (cluster("1.34.2"), pools, nodes)
    }

    #[test]
    fn decisions_keep_to_the_window_the_surge_the_pdbs_exclusions_and_upgrades() {
        let lifespans: HashMap<String, Duration> =
            [("p".to_string(), Duration::days(1))].into_iter().collect();
        let exclusion = Exclusion {
            id: "x".into(),
            starts_at: epoch() + Duration::days(3),
            ends_at: epoch() + Duration::days(4),
            scope: ExclusionScope::NoNodeReplacement,
            reason: "code freeze".into(),
        };
        for surge in 0..4 {
            for in_flight in 0..3 {
                for allowed in [None, Some(0), Some(1), Some(2), Some(5)] {
                    for hour in 0..24 {
                        for upgrading in [false, true] {
                            let (cluster, mut pools, mut nodes) = subject_parts(surge, 6);
                            for n in nodes.iter_mut().take(in_flight) {
                                n.status = NodeStatus::Creating;
                            }
                            if upgrading {
                                pools[0].status = PoolStatus::Upgrading;
                            }
                            let pdbs: Vec<DisruptionBudget> = allowed
                                .map(|allowed| DisruptionBudget {
                                    namespace: "shop".into(),
                                    name: "web".into(),
                                    disruptions_allowed: allowed,
                                    pool_id: None,
                                })
                                .into_iter()
                                .collect();
                            let window = window_any(3);
                            let now = epoch() + Duration::days(2) + Duration::hours(hour);
                            let exclusions = [exclusion.clone()];
                            for excluded in [false, true] {
                                let at = if excluded {
                                    now + Duration::days(1)
                                } else {
                                    now
                                };
                                let subject = FreshnessSubject {
                                    now: at,
                                    cluster: &cluster,
                                    pools: &pools,
                                    nodes: &nodes,
                                    lifespans: &lifespans,
                                    window: &window,
                                    pdbs: &pdbs,
                                    exclusions: &exclusions,
                                    current_image: None,
                                };
                                let replaced = decide(&subject)
                                    .into_iter()
                                    .filter(|d| d.action == Action::Replace)
                                    .count() as i64;
                                let budget = (surge.max(1) - in_flight as i64)
                                    .min(allowed.unwrap_or(i64::MAX))
                                    .max(0);
                                if !window.is_open(at) || excluded || upgrading {
                                    assert_eq!(replaced, 0, "{surge} {in_flight} {allowed:?} {hour} {upgrading} {excluded}");
                                } else {
                                    assert_eq!(
                                        replaced,
                                        budget.min(6 - in_flight as i64),
                                        "{surge} {in_flight} {allowed:?} {hour}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nodes_created_together_expire_spread_over_a_fifth_of_their_lifespan() {
        let (_, _, nodes) = subject_parts(1, 200);
        let age = Duration::days(30);
        let mut expiries: Vec<DateTime<Utc>> = nodes.iter().map(|n| expires_at(n, age)).collect();
        expiries.sort();
        expiries.dedup();
        assert!(expiries.len() >= 195, "distinct: {}", expiries.len());
        let first = expiries[0];
        let last = *expiries.last().unwrap();
        assert!(last <= epoch() + age && first >= epoch() + age - Duration::days(6));
        assert!(
            last - first > Duration::days(5),
            "spread over most of six days"
        );
        // The same node always expires at the same time.
        assert_eq!(expires_at(&nodes[0], age), expires_at(&nodes[0], age));
    }

    #[test]
    fn the_preview_places_each_replacement_in_an_open_window_outside_exclusions() {
        let (cluster, pools, nodes) = subject_parts(1, 20);
        let lifespans: HashMap<String, Duration> = [("p".to_string(), Duration::days(10))]
            .into_iter()
            .collect();
        let window = MaintenanceWindow {
            days: vec!["monday".into(), "thursday".into()],
            start_hour: 2,
            duration_hours: 3,
        };
        let exclusions = [Exclusion {
            id: "x".into(),
            starts_at: epoch() + Duration::days(8),
            ends_at: epoch() + Duration::days(12),
            scope: ExclusionScope::NoNodeReplacement,
            reason: String::new(),
        }];
        let subject = FreshnessSubject {
            now: epoch(),
            cluster: &cluster,
            pools: &pools,
            nodes: &nodes,
            lifespans: &lifespans,
            window: &window,
            pdbs: &[],
            exclusions: &exclusions,
            current_image: None,
        };
        let planned = preview(&subject);
        assert_eq!(planned.len(), 20);
        for entry in planned {
            assert!(window.is_open(entry.replaced_from), "{entry:?}");
            assert!(entry.replaced_from >= entry.expires_at);
            assert!(
                replacement_hold(&exclusions, entry.replaced_from).is_none(),
                "{entry:?}"
            );
        }
    }
}
