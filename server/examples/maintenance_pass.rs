//! Benchmark of one maintenance planning pass (issue budget: lifespan, window and autohealing
//! over 10,000 clusters and 100,000 nodes in ≤ 1 s and ≤ 500 MB on these 2 cores): the pure
//! decisions Wheelhouse makes each pass, from facts already read. Reports figures; asserts
//! nothing. Run with `bench/maintenance-pass.sh`.

#[path = "support/measure.rs"]
mod measure;

use std::collections::HashMap;
use std::time::Instant;

use chrono::Duration;
use wheelhouse::domain::model::NodeStatus;
use wheelhouse::services::freshness::{autoheal, lifespan};
use wheelhouse::services::maintenance::{Exclusion, ExclusionScope, MaintenanceWindow};
use wheelhouse::services::upgrade::synthetic::{cluster, epoch, node, pool};

const CLUSTERS: usize = 10_000;
const NODES_PER_CLUSTER: usize = 10;

fn main() {
    // Two pools per cluster, five nodes each, created over the last 40 days; one node in fifty
    // NotReady; every other cluster with an exclusion.
    let clusters: Vec<_> = (0..CLUSTERS)
        .map(|c| {
            let mut pools = vec![pool("a", "1.34.2", 1, 1, 0), pool("b", "1.34.2", 2, 0, 1)];
            for p in &mut pools {
                p.autohealing = true;
            }
            let nodes: Vec<_> = (0..NODES_PER_CLUSTER)
                .map(|n| {
                    let mut node = node(
                        &format!("c{c}-n{n}"),
                        if n % 2 == 0 { "a" } else { "b" },
                        "1.34.2",
                        -((c * 3_331 + n * 7_919) as i64 % (40 * 86_400)),
                    );
                    if (c + n) % 50 == 0 {
                        node.status = NodeStatus::NotReady;
                    }
                    node
                })
                .collect();
            (cluster("1.34.2"), pools, nodes)
        })
        .collect();
    let lifespans: HashMap<String, Duration> = [("a", 30), ("b", 14)]
        .into_iter()
        .map(|(pool, days)| (pool.to_string(), Duration::days(days)))
        .collect();
    let window = MaintenanceWindow::default();
    let exclusions = [Exclusion {
        id: "x".into(),
        starts_at: epoch() + Duration::days(3),
        ends_at: epoch() + Duration::days(5),
        scope: ExclusionScope::NoNodeReplacement,
        reason: String::new(),
    }];
    // NotReady nodes known for 40 minutes: due for replacement.
    let health: HashMap<String, autoheal::Health> = clusters
        .iter()
        .flat_map(|(_, _, nodes)| nodes.iter())
        .filter(|n| n.status == NodeStatus::NotReady)
        .map(|n| {
            (
                n.id.clone(),
                autoheal::Health {
                    not_ready_since: epoch() - Duration::minutes(40),
                    rebooted_at: Some(epoch() - Duration::minutes(25)),
                    replaced_at: None,
                },
            )
        })
        .collect();
    // A pass inside the window, so decisions are made, not all deferred.
    let now = window.next_open(epoch());
    let caps: HashMap<String, u32> = HashMap::new();
    let nodes_total: usize = clusters.iter().map(|(_, _, nodes)| nodes.len()).sum();
    let mut runs = Vec::new();
    let mut counts = (0, 0, 0);
    for _ in 0..5 {
        let started = Instant::now();
        let (mut replace, mut planned, mut heal) = (0, 0, 0);
        for (index, (cluster, pools, nodes)) in clusters.iter().enumerate() {
            let subject = lifespan::FreshnessSubject {
                now,
                cluster,
                pools,
                nodes,
                lifespans: &lifespans,
                window: &window,
                pdbs: &[],
                exclusions: if index % 2 == 0 { &exclusions } else { &[] },
                current_image: Some("ubuntu"),
            };
            replace += lifespan::decide(&subject)
                .iter()
                .filter(|d| d.action == lifespan::Action::Replace)
                .count();
            planned += lifespan::preview(&subject).len();
            heal += autoheal::plan(pools, nodes, &health, &caps, subject.now)
                .0
                .len();
        }
        runs.push(started.elapsed().as_secs_f64() * 1000.0);
        counts = (replace, planned, heal);
    }
    runs.sort_by(|a, b| a.total_cmp(b));
    println!(
        "maintenance planning pass, {CLUSTERS} clusters, {nodes_total} nodes: min {:.0} ms, median {:.0} ms, max {:.0} ms over {} runs (budget 1,000 ms); peak memory {:.0} MB (budget 500 MB); {} replacements now, {} planned in 30 days, {} autohealing actions",
        runs[0],
        runs[runs.len() / 2],
        runs[runs.len() - 1],
        runs.len(),
        measure::peak_mb(),
        counts.0,
        counts.1,
        counts.2
    );
}
