//! Node lifespan: a pool's nodes are replaced once older than its `max_node_age`, only inside
//! the cluster's maintenance window (none starts that could not be done before it closes),
//! never while the cluster changes (an upgrade, a rollback), surge first (the port's replace
//! boots the new node before the old one drains), no more at once than the pool's `max_surge`
//! (at least one) and its tightest PodDisruptionBudget allow, and staggered: each node's expiry
//! is brought forward by a share of the lifespan fixed by its id, so nodes created together do
//! not all expire together. Pure functions of what the port reports at one instant; the
//! preview places each replacement in time as the pass will make it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::model::{
    Cluster, ClusterStatus, DisruptionBudget, Node, NodeStatus, Pool, PoolStatus, RolloutTiming,
};
use crate::services::maintenance::window::{replacement_hold, Exclusion, MaintenanceWindow};

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

/// The youngest a node of a pool with this lifespan can be when it expires (its stagger brings
/// expiry forward by less than a fifth of the lifespan): no younger node is replaced for its age.
pub fn earliest_expiry_age(max_age: Duration) -> Duration {
    max_age - Duration::seconds(max_age.num_seconds() * STAGGER_PERCENT / 100)
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

/// How long replacing one node takes on this provider: the new node boots and turns Ready,
/// then the old one is drained and deleted; a pool's next replacement waits for both.
pub fn replacement_time(timing: &RolloutTiming) -> Duration {
    timing.node_boot + timing.node_drain
}

/// How many of a pool's nodes are replaced at once: its max_surge (each replacement boots
/// first), at least one.
fn replaced_at_once(pool: &Pool) -> i64 {
    pool.max_surge.max(1)
}

/// The PodDisruptionBudget that allows the fewest evictions among those covering the pool.
fn tightest_pdb<'a>(pdbs: &'a [DisruptionBudget], pool: &Pool) -> Option<&'a DisruptionBudget> {
    pdbs.iter()
        .filter(|pdb| pdb.pool_id.as_deref().is_none_or(|id| id == pool.id))
        .min_by_key(|pdb| pdb.disruptions_allowed)
}

/// When the window, open at `at`, closes: the end of this opening, or of the openings that
/// follow it without a gap (a window open 24 hours every day never closes), looked for no
/// further than `enough` past `at`.
fn open_until(
    window: &MaintenanceWindow,
    at: DateTime<Utc>,
    enough: Duration,
) -> Option<DateTime<Utc>> {
    let length = Duration::hours(window.duration_hours.into());
    let mut end = window.open_since(at)? + length;
    // Each turn moves past a whole opening (two hours at least).
    while end < at + enough {
        match window.open_since(end) {
            Some(start) => end = start + length,
            None => break,
        }
    }
    Some(end)
}

/// When the window closes, if a replacement started at `at` would still run then while one
/// started at the opening would not: it waits for the next opening. (A replacement longer
/// than the whole opening starts anyway: it would otherwise never start.)
fn too_late_to_start(
    window: &MaintenanceWindow,
    at: DateTime<Utc>,
    replacement_time: Duration,
) -> Option<DateTime<Utc>> {
    if replacement_time <= Duration::zero() {
        return None;
    }
    let opened = window.open_since(at)?;
    let closes = open_until(window, at, replacement_time)?;
    (at + replacement_time > closes && opened + replacement_time <= closes).then_some(closes)
}

/// "3 min", for people (rounded up).
fn minutes(duration: Duration) -> String {
    format!("{} min", (duration.num_seconds() + 59) / 60)
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

/// The nodes overdue now, and for each whether this pass replaces it or why it waits; any
/// moment the window is open will do (for a pass, see [`decide_within`]).
pub fn decide(subject: &FreshnessSubject<'_>) -> Vec<Decision> {
    decide_within(subject, Duration::zero())
}

/// [`decide`] for replacements that take `replacement_time` each: none starts when it could
/// not be done before the window closes (it waits for the next opening), so the pass keeps to
/// the window and to what [`plan_replacements`] foresees.
pub fn decide_within(subject: &FreshnessSubject<'_>, replacement_time: Duration) -> Vec<Decision> {
    let now = subject.now;
    let busy = cluster_busy(subject)
        .or_else(|| replacement_hold(subject.exclusions, now).map(Exclusion::describe));
    let window_closed = if subject.window.is_open(now) {
        too_late_to_start(subject.window, now, replacement_time).map(|closes| {
            format!(
                "the maintenance window closes at {} before a replacement (about {}) would be done; it next opens {}",
                closes.format("%H:%M UTC"),
                minutes(replacement_time),
                subject.window.next_open(closes).format("%Y-%m-%d %H:%M UTC")
            )
        })
    } else {
        Some(format!(
            "outside the maintenance window ({}); it next opens {}",
            subject.window.describe(),
            subject.window.next_open(now).format("%Y-%m-%d %H:%M UTC")
        ))
    };
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
        let tightest = tightest_pdb(subject.pdbs, pool);
        let mut capacity = replaced_at_once(pool) - in_flight;
        let mut held = None;
        if let Some(reason) = busy.clone().or(window_closed.clone()) {
            held = Some(reason);
        } else if pool.status != PoolStatus::Ready {
            held = Some(format!("pool {} is {}", pool.name, pool.status.as_str()));
        } else if capacity <= 0 {
            held = Some(format!(
                "a replacement is under way in pool {} (it replaces {} node(s) at a time, its max_surge)",
                pool.name,
                replaced_at_once(pool)
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
    /// When the pass is expected to start it: in an open window, after the replacements
    /// before it in its pool (or now, when overdue in an open window with a free turn).
    pub replaced_from: DateTime<Utc>,
    /// When it is expected to be done (the new node Ready, the old one gone).
    pub replaced_until: DateTime<Utc>,
    pub reason: String,
}

/// The first moment from `from` at which the pass would start a replacement: the window
/// open, no exclusion holding replacements, and time enough before the window closes;
/// `None` past `horizon`.
fn next_start(
    subject: &FreshnessSubject<'_>,
    from: DateTime<Utc>,
    replacement_time: Duration,
    horizon: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut at = from;
    // Each turn moves past an exclusion or a window's closing: a month holds far fewer.
    for _ in 0..1_000 {
        at = subject.window.next_open(at);
        if at > horizon {
            return None;
        }
        if let Some(hold) = replacement_hold(subject.exclusions, at) {
            at = hold.ends_at;
        } else if let Some(closes) = too_late_to_start(subject.window, at, replacement_time) {
            at = closes;
        } else {
            return Some(at);
        }
    }
    None
}

/// For the next 30 days: which node is replaced in which window, and why, with the typical
/// provider's replacement time (see [`plan_replacements`]).
pub fn preview(subject: &FreshnessSubject<'_>) -> Vec<PlannedReplacement> {
    plan_replacements(subject, replacement_time(&RolloutTiming::typical()))
}

/// For the next 30 days: when each node is replaced, and why, placed as the pass replaces
/// them. In each pool in the pass's order (outdated images first, then by expiry), as many at
/// once as the pool allows (its max_surge, at least one, no more than its tightest PDB
/// allows), each next one when one under way is expected done (`replacement_time` after it
/// started); only while the window is open with time enough left to finish, outside
/// exclusions. Pools are replaced side by side, as the pass does.
pub fn plan_replacements(
    subject: &FreshnessSubject<'_>,
    replacement_time: Duration,
) -> Vec<PlannedReplacement> {
    let now = subject.now;
    let horizon = now + Duration::days(PREVIEW_DAYS);
    let mut planned = Vec::new();
    for pool in subject.pools {
        let Some(max_age) = subject.lifespans.get(&pool.id) else {
            continue;
        };
        let pool_nodes: Vec<&Node> = subject
            .nodes
            .iter()
            .filter(|n| n.pool_id == pool.id)
            .collect();
        // A PDB allowing no eviction now holds the pool until it allows one: then one at a time.
        let at_once = tightest_pdb(subject.pdbs, pool).map_or(replaced_at_once(pool), |pdb| {
            replaced_at_once(pool).min(pdb.disruptions_allowed.max(1))
        });
        // When each of the pool's turns is next free. What the pass counts as under way (a node
        // not Ready) holds a turn for about one replacement from now.
        let mut turns = vec![now; at_once as usize];
        for _ in pool_nodes.iter().filter(|n| !serving(n)) {
            if let Some(turn) = turns.iter_mut().min() {
                *turn = (*turn).max(now) + replacement_time;
            }
        }
        // Nodes on their way out are not replaced: draining, or taken by an action (a replace,
        // a delete) that has not started draining yet.
        let mut due: Vec<(bool, DateTime<Utc>, &Node)> = pool_nodes
            .into_iter()
            .filter(|n| {
                n.status != NodeStatus::Deleting && !(serving(n) && n.operation_id.is_some())
            })
            .map(|n| {
                (
                    outdated(n, subject.current_image),
                    expires_at(n, *max_age),
                    n,
                )
            })
            .collect();
        due.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.id.cmp(&b.2.id)));
        let days = match max_age.num_days() {
            1 => "1 day".to_string(),
            days => format!("{days} days"),
        };
        for (stale, expiry, node) in due {
            let expiry = if stale { now.min(expiry) } else { expiry };
            let Some(turn) = turns.iter_mut().min() else {
                break;
            };
            // In this order each next one starts no earlier: past the horizon, so are the rest.
            let Some(from) = next_start(
                subject,
                expiry.max(now).max(*turn),
                replacement_time,
                horizon,
            ) else {
                break;
            };
            *turn = from + replacement_time;
            let reason = if stale {
                format!(
                    "outdated OS image {} (new nodes boot {})",
                    node.os_image,
                    subject.current_image.unwrap_or_default()
                )
            } else if expiry <= now {
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
                replaced_until: from + replacement_time,
                reason,
            });
        }
    }
    planned.sort_by(|a, b| {
        a.replaced_from
            .cmp(&b.replaced_from)
            .then(a.expires_at.cmp(&b.expires_at))
            .then(a.pool_id.cmp(&b.pool_id))
            .then(a.node_id.cmp(&b.node_id))
    });
    planned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::maintenance::window::ExclusionScope;
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

    /// A cluster's pools and nodes, as the pass and the preview read them.
    struct Scenario {
        cluster: Cluster,
        pools: Vec<Pool>,
        nodes: Vec<Node>,
        lifespans: HashMap<String, Duration>,
        window: MaintenanceWindow,
        exclusions: Vec<Exclusion>,
        current_image: Option<&'static str>,
    }

    impl Scenario {
        fn subject(&self, now: DateTime<Utc>) -> FreshnessSubject<'_> {
            FreshnessSubject {
                now,
                cluster: &self.cluster,
                pools: &self.pools,
                nodes: &self.nodes,
                lifespans: &self.lifespans,
                window: &self.window,
                pdbs: &[],
                exclusions: &self.exclusions,
                current_image: self.current_image,
            }
        }

        /// The pass run every `step` from `now` until the nodes there at `now` are all
        /// replaced: (pool, node, when) of each replacement it starts. Each takes
        /// `replacement_time`: the old node is on its way out meanwhile, then a new one stands.
        fn stepped(
            mut self,
            now: DateTime<Utc>,
            replacement_time: Duration,
            step: Duration,
        ) -> Vec<(String, String, DateTime<Utc>)> {
            let original: Vec<String> = self.nodes.iter().map(|n| n.id.clone()).collect();
            let mut under_way: Vec<(String, DateTime<Utc>)> = Vec::new();
            let mut started = Vec::new();
            let mut at = now;
            while self.nodes.iter().any(|n| original.contains(&n.id)) {
                assert!(at < now + Duration::days(PREVIEW_DAYS), "{started:?}");
                for (id, done) in under_way.iter().filter(|(_, done)| *done <= at) {
                    let old = self.nodes.iter().position(|n| &n.id == id).unwrap();
                    let mut fresh = self.nodes.remove(old);
                    fresh.id = format!("{id}'");
                    fresh.status = NodeStatus::Ready;
                    fresh.os_image = "ubuntu".into();
                    fresh.created_at = *done;
                    self.nodes.push(fresh);
                }
                under_way.retain(|(_, done)| *done > at);
                for decision in decide_within(&self.subject(at), replacement_time) {
                    if decision.action == Action::Replace {
                        let node = self.nodes.iter_mut().find(|n| n.id == decision.node_id);
                        node.unwrap().status = NodeStatus::Deleting;
                        under_way.push((decision.node_id.clone(), at + replacement_time));
                        started.push((decision.pool_id, decision.node_id, at));
                    }
                }
                at += step;
            }
            // The new nodes' own turns (a one-day lifespan comes round again) are not foreseen.
            started.retain(|(_, id, _)| original.contains(id));
            started
        }
    }

    /// Two pools (max_surge 0, max_unavailable 1) of `size` nodes each with a one-day
    /// lifespan, created together at the epoch; the last of pool a runs an outdated image.
    fn two_pools(size: usize, window: MaintenanceWindow) -> Scenario {
        let pools = vec![pool("a", "1.34.2", 0, 1, 0), pool("b", "1.34.2", 0, 1, 1)];
        let mut nodes: Vec<Node> = ["a", "b"]
            .into_iter()
            .flat_map(|p| (0..size).map(move |i| node(&format!("{p}{i:02}"), p, "1.34.2", 0)))
            .collect();
        nodes[size - 1].os_image = "ubuntu-old".into();
        Scenario {
            cluster: cluster("1.34.2"),
            lifespans: pools
                .iter()
                .map(|p| (p.id.clone(), Duration::days(1)))
                .collect(),
            pools,
            nodes,
            window,
            exclusions: vec![],
            current_image: Some("ubuntu"),
        }
    }

    /// Checks the preview against the pass stepped every `step`: per pool the same nodes in
    /// the same order, each started within a step of when the preview said, one at a time.
    fn preview_matches_the_pass(
        scenario: Scenario,
        now: DateTime<Utc>,
        replacement_time: Duration,
    ) {
        let step = Duration::seconds(10);
        let planned = plan_replacements(&scenario.subject(now), replacement_time);
        let started = scenario.stepped(now, replacement_time, step);
        assert_eq!(planned.len(), started.len(), "{planned:#?} {started:?}");
        for pool in ["a", "b"] {
            let foreseen: Vec<&PlannedReplacement> =
                planned.iter().filter(|p| p.pool_id == pool).collect();
            let done: Vec<&(String, String, DateTime<Utc>)> =
                started.iter().filter(|s| s.0 == pool).collect();
            assert_eq!(
                foreseen.iter().map(|p| &p.node_id).collect::<Vec<_>>(),
                done.iter().map(|s| &s.1).collect::<Vec<_>>(),
                "pool {pool}: the pass's order"
            );
            for (plan, (_, _, at)) in foreseen.iter().zip(done) {
                assert!(
                    *at >= plan.replaced_from && *at - plan.replaced_from <= step,
                    "{plan:?} started {at}"
                );
            }
            for pair in foreseen.windows(2) {
                assert!(
                    pair[0].replaced_until <= pair[1].replaced_from,
                    "one at a time: {pair:#?}"
                );
            }
        }
    }

    #[test]
    fn the_preview_replaces_a_pools_nodes_one_after_another_as_the_pass_does() {
        // Every day 00:00–04:00: the pass starts when the window opens tomorrow.
        let window = MaintenanceWindow::default();
        let scenario = two_pools(2, window.clone());
        let now = epoch() + Duration::days(2) + Duration::hours(12);
        let five_minutes = replacement_time(&RolloutTiming::typical());
        let planned = plan_replacements(&scenario.subject(now), five_minutes);
        let opening = window.next_open(now);
        let summary: Vec<(&str, &str, DateTime<Utc>)> = planned
            .iter()
            .map(|p| (p.pool_id.as_str(), p.node_id.as_str(), p.replaced_from))
            .collect();
        // Pools side by side; in pool a the outdated image first.
        assert_eq!(
            summary,
            vec![
                ("a", "a01", opening),
                ("b", "b00", opening),
                ("a", "a00", opening + five_minutes),
                ("b", "b01", opening + five_minutes),
            ]
        );
        preview_matches_the_pass(scenario, now, five_minutes);
    }

    #[test]
    fn a_replacement_that_would_outlast_the_window_waits_for_its_next_opening() {
        // Two hours, five minutes each: 24 fit in an opening, the rest go to the next one.
        let window = MaintenanceWindow {
            days: vec!["monday".into(), "thursday".into()],
            start_hour: 2,
            duration_hours: 2,
        };
        let scenario = two_pools(30, window.clone());
        let now = epoch() + Duration::days(2);
        let five_minutes = replacement_time(&RolloutTiming::typical());
        let planned = plan_replacements(&scenario.subject(now), five_minutes);
        let first = window.next_open(now);
        let second = window.next_open(first + Duration::hours(2));
        for pool in ["a", "b"] {
            let starts: Vec<DateTime<Utc>> = planned
                .iter()
                .filter(|p| p.pool_id == pool)
                .map(|p| p.replaced_from)
                .collect();
            assert_eq!(starts.len(), 30);
            assert_eq!(starts[23], first + Duration::minutes(115));
            assert_eq!(starts[24], second, "{starts:?}");
        }
        for entry in &planned {
            assert!(window.is_open(entry.replaced_from), "{entry:?}");
            assert!(
                window.is_open(entry.replaced_until - Duration::seconds(1)),
                "{entry:?}"
            );
        }
        // The pass agrees: nothing starts in an opening's last five minutes.
        let closing = first + Duration::minutes(116);
        let late = decide_within(&scenario.subject(closing), five_minutes);
        assert!(late.iter().all(|d| d.action == Action::Wait), "{late:?}");
        assert!(late[0].reason.contains("closes at"), "{late:?}");
        assert!(decide(&scenario.subject(closing))
            .iter()
            .any(|d| d.action == Action::Replace));
        preview_matches_the_pass(scenario, now, five_minutes);
    }

    #[test]
    fn a_window_open_all_day_every_day_never_closes_on_a_replacement() {
        let window = MaintenanceWindow {
            start_hour: 0,
            duration_hours: 24,
            ..MaintenanceWindow::default()
        };
        let scenario = two_pools(2, window);
        let midnight = epoch() + Duration::days(3) - Duration::minutes(1);
        let decided = decide_within(&scenario.subject(midnight), Duration::minutes(5));
        assert_eq!(
            decided
                .iter()
                .filter(|d| d.action == Action::Replace)
                .count(),
            2,
            "{decided:?}"
        );
    }
}
