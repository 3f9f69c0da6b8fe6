//! Benchmark of the upgrade pre-flight and plan (issue budget: ≤ 100 ms for a 500-node cluster
//! with 2,000 PDBs and 20,000 workload API-usage records on these 2 cores). Reports figures;
//! asserts nothing. Run with `bench/preflight.sh`.

use std::time::Instant;

use wheelhouse::domain::model::RolloutTiming;
use wheelhouse::services::upgrade::synthetic::{epoch, synthetic};
use wheelhouse::services::upgrade::{assess, NodeQuota, UpgradeSubject};

fn main() {
    let subject = synthetic(10, 50, 2_000, 20_000);
    let view = UpgradeSubject {
        now: epoch(),
        cluster: &subject.cluster,
        pools: &subject.pools,
        nodes: &subject.nodes,
        versions: &subject.versions,
        inventory: Some(&subject.inventory),
        quota: NodeQuota {
            limit: 1_000,
            in_use: 500,
        },
        timing: RolloutTiming::typical(),
        exclusions: &[],
    };
    let mut runs = Vec::new();
    let mut verdict = String::new();
    for _ in 0..30 {
        let started = Instant::now();
        let assessment = assess(&view, "1.35.1", true);
        runs.push(started.elapsed().as_secs_f64() * 1000.0);
        verdict = format!(
            "{} ({} checks, {} plan steps)",
            assessment.preflight.verdict.as_str(),
            assessment.preflight.checks.len(),
            assessment.plan.steps.len()
        );
    }
    runs.sort_by(|a, b| a.total_cmp(b));
    println!(
        "pre-flight + plan, {} nodes, {} PDBs, {} usage records: min {:.1} ms, median {:.1} ms, max {:.1} ms over {} runs (budget 100 ms); verdict {verdict}",
        subject.nodes.len(),
        subject.inventory.pod_disruption_budgets.len(),
        subject.inventory.api_usage.iter().map(|u| u.objects).sum::<i64>(),
        runs[0],
        runs[runs.len() / 2],
        runs[runs.len() - 1],
        runs.len()
    );
}
