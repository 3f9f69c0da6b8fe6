//! Autohealing (a pool's `autohealing`, Scaleway's field): a node NotReady for 15 minutes is
//! rebooted; still NotReady at 30 minutes, replaced. With a cap: when more than a set share of
//! a pool (30 % unless set) is unhealthy at once, autohealing stops for that pool and says so
//! instead of replacing everything, since a provider-wide fault must not become a mass
//! replacement. Pure: what to do now, from the nodes and what was already done.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::model::{Node, NodeStatus, Pool};

pub const REBOOT_AFTER_MINUTES: i64 = 15;
pub const REPLACE_AFTER_MINUTES: i64 = 30;
pub const DEFAULT_CAP_PERCENT: u32 = 30;

/// What Wheelhouse knows of one NotReady node.
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    pub not_ready_since: DateTime<Utc>,
    pub rebooted_at: Option<DateTime<Utc>>,
    pub replaced_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    Reboot,
    Replace,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HealAction {
    pub node_id: String,
    pub node_name: String,
    pub remedy: Remedy,
}

/// A pool whose autohealing stopped at its cap.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CapReached {
    pub pool_id: String,
    pub pool_name: String,
    pub unhealthy: usize,
    pub nodes: usize,
    pub cap_percent: u32,
    pub message: String,
}

fn unhealthy(node: &Node) -> bool {
    node.status == NodeStatus::NotReady
}

/// What autohealing does now, and the pools where it stopped at their cap. `caps` holds the
/// pools' caps that were set (others have the default).
pub fn plan(
    pools: &[Pool],
    nodes: &[Node],
    health: &HashMap<String, Health>,
    caps: &HashMap<String, u32>,
    now: DateTime<Utc>,
) -> (Vec<HealAction>, Vec<CapReached>) {
    let mut actions = Vec::new();
    let mut stopped = Vec::new();
    for pool in pools.iter().filter(|p| p.autohealing) {
        let pool_nodes: Vec<&Node> = nodes
            .iter()
            .filter(|n| n.pool_id == pool.id && n.status != NodeStatus::Deleting)
            .collect();
        let sick: Vec<&Node> = pool_nodes
            .iter()
            .copied()
            .filter(|n| unhealthy(n))
            .collect();
        if sick.is_empty() {
            continue;
        }
        let cap = caps.get(&pool.id).copied().unwrap_or(DEFAULT_CAP_PERCENT);
        // More than the cap unhealthy at once: stop and say so.
        if sick.len() * 100 > pool_nodes.len() * cap as usize {
            stopped.push(CapReached {
                pool_id: pool.id.clone(),
                pool_name: pool.name.clone(),
                unhealthy: sick.len(),
                nodes: pool_nodes.len(),
                cap_percent: cap,
                message: format!(
                    "autohealing stopped for pool {}: {} of its {} nodes are NotReady, more than its cap of {cap} %; a fault this wide is not repaired node by node: look at the provider's status",
                    pool.name,
                    sick.len(),
                    pool_nodes.len()
                ),
            });
            continue;
        }
        for node in sick {
            let Some(known) = health.get(&node.id) else {
                continue; // first seen NotReady now: its clock starts
            };
            let down = now - known.not_ready_since;
            let remedy = if down >= Duration::minutes(REPLACE_AFTER_MINUTES)
                && known.replaced_at.is_none()
            {
                Some(Remedy::Replace)
            } else if down >= Duration::minutes(REBOOT_AFTER_MINUTES)
                && known.rebooted_at.is_none()
                && known.replaced_at.is_none()
            {
                Some(Remedy::Reboot)
            } else {
                None
            };
            if let Some(remedy) = remedy {
                actions.push(HealAction {
                    node_id: node.id.clone(),
                    node_name: node.name.clone(),
                    remedy,
                });
            }
        }
    }
    (actions, stopped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::upgrade::synthetic::{epoch, node, pool};

    fn setup(sick: usize, size: usize) -> (Vec<Pool>, Vec<Node>) {
        let mut p = pool("p", "1.34.2", 1, 1, 0);
        p.autohealing = true;
        let nodes = (0..size)
            .map(|i| {
                let mut n = node(&format!("n{i}"), "p", "1.34.2", i as i64);
                if i < sick {
                    n.status = NodeStatus::NotReady;
                }
                n
            })
            .collect();
        (vec![p], nodes)
    }

    fn known(since_minutes: i64, rebooted: bool) -> Health {
        Health {
            not_ready_since: epoch() - Duration::minutes(since_minutes),
            rebooted_at: rebooted.then(epoch),
            replaced_at: None,
        }
    }

    #[test]
    fn a_node_is_rebooted_at_fifteen_minutes_and_replaced_at_thirty() {
        let (pools, nodes) = setup(1, 10);
        let caps = HashMap::new();
        for (minutes, rebooted, expected) in [
            (0, false, None),
            (14, false, None),
            (15, false, Some(Remedy::Reboot)),
            (20, true, None),
            (30, true, Some(Remedy::Replace)),
            (45, false, Some(Remedy::Replace)),
        ] {
            let health: HashMap<String, Health> = [("n0".to_string(), known(minutes, rebooted))]
                .into_iter()
                .collect();
            let (actions, stopped) = plan(&pools, &nodes, &health, &caps, epoch());
            assert!(stopped.is_empty());
            assert_eq!(
                actions.first().map(|a| a.remedy.clone()),
                expected,
                "{minutes} min"
            );
        }
    }

    #[test]
    fn past_the_cap_autohealing_stops_for_the_pool_and_says_so() {
        for (sick, size, cap, stops) in [
            (3, 10, 30, false),
            (4, 10, 30, true),
            (10, 10, 30, true),
            (1, 2, 30, true),
            (4, 10, 50, false),
        ] {
            let (pools, nodes) = setup(sick, size);
            let health: HashMap<String, Health> = (0..sick)
                .map(|i| (format!("n{i}"), known(40, true)))
                .collect();
            let caps: HashMap<String, u32> = [("p".to_string(), cap)].into_iter().collect();
            let (actions, stopped) = plan(&pools, &nodes, &health, &caps, epoch());
            assert_eq!(!stopped.is_empty(), stops, "{sick}/{size} at {cap} %");
            if stops {
                assert!(actions.is_empty(), "nothing is replaced past the cap");
                assert!(stopped[0].message.contains("autohealing stopped"));
            } else {
                assert_eq!(actions.len(), sick);
            }
        }
    }

    #[test]
    fn pools_without_autohealing_are_left_alone() {
        let (mut pools, nodes) = setup(1, 10);
        pools[0].autohealing = false;
        let health: HashMap<String, Health> =
            [("n0".to_string(), known(60, true))].into_iter().collect();
        let (actions, stopped) = plan(&pools, &nodes, &health, &HashMap::new(), epoch());
        assert!(actions.is_empty() && stopped.is_empty());
    }
}
