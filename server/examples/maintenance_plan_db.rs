//! Benchmark of the planning half of a maintenance pass read from a real database (issue
//! budget: lifespan, window and autohealing over 10,000 clusters and 100,000 nodes in ≤ 1 s and
//! ≤ 500 MB on these 2 cores, on SQLite and on PostgreSQL): `FreshnessService::plan` reads the
//! owners, Wheelhouse's settings (one query per table) and the sandbox fleet (three queries),
//! then decides in memory which clusters need a pass now. Acting on them (a lease, a fresh
//! read and the port's replace per due cluster) is not in the figure. Reports; asserts nothing.
//! Run with `bench/maintenance-pass.sh`.

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/measure.rs"]
mod measure;

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use wheelhouse::clock::ManualClock;
use wheelhouse::store::rows::millis;

const CLUSTERS: usize = 10_000;
const RUNS: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut databases = vec![fleet::BenchDatabase::sqlite().await];
    if let Some(postgres) = fleet::BenchDatabase::postgres().await {
        databases.push(postgres);
    }
    // 01:00 UTC on a Wednesday: inside every cluster's default window (any day, from 00:00).
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap();
    for bench in databases {
        let shape = fleet::Shape {
            clusters: CLUSTERS,
            clusters_per_project: 10,
            pools_per_cluster: 2,
            nodes_per_pool: 5,
            not_ready_one_in: 50,
        };
        let seeding = Instant::now();
        let seeded = fleet::seed(&bench.database, &shape, now).await;
        settings(&bench.database, &seeded, now).await;
        eprintln!(
            "{}: seeded {} clusters, {} nodes in {:.1} s",
            bench.name,
            seeded.cluster_ids.len(),
            seeded.nodes,
            seeding.elapsed().as_secs_f64()
        );
        let clock = Arc::new(ManualClock::new(now));
        let state = wheelhouse::state::AppState::new(
            bench.database.clone(),
            clock,
            Arc::new(wheelhouse::domain::ids::RandomIds),
            Default::default(),
            std::path::Path::new("target/site"),
            "127.0.0.1:0".parse().unwrap(),
        );
        let freshness = state.freshness();
        let mut samples = Vec::new();
        let mut last = None;
        for _ in 0..RUNS {
            let started = Instant::now();
            let plan = freshness.plan().await.expect("plan");
            samples.push(started.elapsed());
            last = Some(plan);
        }
        let plan = last.expect("a run");
        let mut reasons = std::collections::BTreeMap::<&str, usize>::new();
        for due in &plan.due {
            *reasons.entry(due.why).or_default() += 1;
        }
        println!(
            "maintenance planning pass on {}: {} clusters, {} nodes read; median {:.0} ms over {RUNS} runs (budget 1000 ms); peak memory {:.0} MB (budget 500 MB); due now: {} clusters {:?}",
            bench.name,
            plan.clusters,
            plan.nodes,
            fleet::median_ms(samples),
            measure::peak_mb(),
            plan.due.len(),
            reasons
        );
        bench.drop().await;
    }
}

/// Wheelhouse's settings over the fleet: every pool with a lifespan (30 days for the first,
/// 14 for the second), every other cluster an exclusion of node replacement in three days,
/// and the NotReady nodes known for 40 minutes (due for autohealing's replacement).
async fn settings(
    database: &wheelhouse::store::Database,
    seeded: &fleet::Seeded,
    now: chrono::DateTime<Utc>,
) {
    let mut transaction = database.begin().await.expect("transaction");
    sqlx::query(
        "INSERT INTO pool_lifespans (pool_id, cluster_id, region, project_id, max_node_age_days, updated_at) \
         SELECT id, cluster_id, region, 'p', CASE WHEN name = 'pool-0' THEN 30 ELSE 14 END, $1 FROM pools",
    )
    .bind(millis(now))
    .execute(&mut *transaction)
    .await
    .expect("lifespans");
    for (index, cluster_id) in seeded.cluster_ids.iter().enumerate().step_by(2) {
        sqlx::query(
            "INSERT INTO maintenance_exclusions (id, cluster_id, region, project_id, starts_at, ends_at, scope, reason, created_at) \
             VALUES ($1, $2, 'fr-par', 'p', $3, $4, 'no_node_replacement', 'bench', $5)",
        )
        .bind(format!("x-{index}"))
        .bind(cluster_id)
        .bind(millis(now + Duration::days(3)))
        .bind(millis(now + Duration::days(5)))
        .bind(millis(now))
        .execute(&mut *transaction)
        .await
        .expect("exclusion");
    }
    sqlx::query(
        "INSERT INTO node_health (node_id, cluster_id, pool_id, node_name, not_ready_since) \
         SELECT id, cluster_id, pool_id, name, $1 FROM nodes WHERE status = 'not_ready'",
    )
    .bind(millis(now - Duration::minutes(40)))
    .execute(&mut *transaction)
    .await
    .expect("health");
    transaction.commit().await.expect("commit");
}
