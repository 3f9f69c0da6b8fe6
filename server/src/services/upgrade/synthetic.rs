//! Synthetic upgrade subjects of any size, for the pure pre-flight and plan: the exhaustive
//! tests below and the pre-flight benchmark (`bench/preflight.sh`) build their inputs here.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::domain::model::{
    ApiUsage, Cluster, ClusterInventory, ClusterStatus, ComponentState, DisruptionBudget,
    KubeVersionEntry, Node, NodeStatus, Pool, PoolStatus,
};

pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("date")
}

pub fn cluster(version: &str) -> Cluster {
    Cluster {
        id: "c".into(),
        project_id: "p".into(),
        organization_id: "o".into(),
        region: "fr-par".into(),
        name: "shop".into(),
        description: String::new(),
        cluster_type: "kapsule".into(),
        version: version.into(),
        target_version: None,
        cni: "cilium".into(),
        status: ClusterStatus::Ready,
        tags: vec![],
        feature_gates: vec![],
        admission_plugins: vec![],
        apiserver_cert_sans: vec![],
        autoscaler_config: Value::Null,
        open_id_connect_config: Value::Null,
        auto_upgrade_enabled: false,
        maintenance_day: "any".into(),
        maintenance_start_hour: 0,
        pod_cidr: String::new(),
        service_cidr: String::new(),
        service_dns_ip: String::new(),
        private_network_id: None,
        admin_token: String::new(),
        created_at: epoch(),
        updated_at: epoch(),
        cluster_url: String::new(),
        upgrade_available: true,
        commitment_ends_at: None,
    }
}

pub fn pool(id: &str, version: &str, max_surge: i64, max_unavailable: i64, order: i64) -> Pool {
    Pool {
        id: id.into(),
        cluster_id: "c".into(),
        region: "fr-par".into(),
        zone: "fr-par-1".into(),
        name: id.into(),
        node_type: "pro2_xs".into(),
        status: PoolStatus::Ready,
        version: version.into(),
        size: 0,
        min_size: 0,
        max_size: 0,
        autoscaling: false,
        autohealing: false,
        container_runtime: "containerd".into(),
        kubelet_args: Map::new(),
        tags: vec![],
        root_volume_type: "sbs_5k".into(),
        root_volume_size: 20,
        public_ip_disabled: false,
        placement_group_id: None,
        security_group_id: String::new(),
        max_surge,
        max_unavailable,
        labels: Map::new(),
        taints: vec![],
        startup_taints: vec![],
        user_data: Map::new(),
        created_at: epoch() + Duration::minutes(order),
        updated_at: epoch(),
    }
}

pub fn node(id: &str, pool_id: &str, version: &str, age_order: i64) -> Node {
    Node {
        id: id.into(),
        pool_id: pool_id.into(),
        cluster_id: "c".into(),
        region: "fr-par".into(),
        name: id.into(),
        provider_id: String::new(),
        status: NodeStatus::Ready,
        version: version.into(),
        os_image: "ubuntu".into(),
        public_ip_v4: None,
        public_ip_v6: None,
        error_message: None,
        conditions: Map::new(),
        transition_due_at: None,
        fault: None,
        operation_id: None,
        created_at: epoch() + Duration::seconds(age_order),
        updated_at: epoch(),
    }
}

pub fn version(name: &str, removed: &[&str]) -> KubeVersionEntry {
    KubeVersionEntry {
        name: name.into(),
        label: name.into(),
        released_at: epoch() - Duration::days(100),
        deprecated_at: None,
        end_of_life_at: None,
        available_cnis: vec!["cilium".into()],
        available_runtimes: vec!["containerd".into()],
        feature_gates: vec![],
        admission_plugins: vec![],
        kubelet_args: Map::new(),
        removed_apis: removed.iter().map(|r| r.to_string()).collect(),
        changelog: vec![format!("{name} notes")],
    }
}

/// A cluster on 1.34.2 with `pools` pools of `nodes_per_pool` nodes (surge 1, unavailable 1),
/// `pdbs` PDBs spread over the pools (a third allowing no disruption, a third one), and
/// `usage_records` workload objects spread over 100 APIs (one of them removed by 1.35.1).
pub struct Synthetic {
    pub cluster: Cluster,
    pub pools: Vec<Pool>,
    pub nodes: Vec<Node>,
    pub versions: Vec<KubeVersionEntry>,
    pub inventory: ClusterInventory,
}

pub fn synthetic(
    pools: usize,
    nodes_per_pool: usize,
    pdbs: usize,
    usage_records: usize,
) -> Synthetic {
    let pool_list: Vec<Pool> = (0..pools)
        .map(|p| pool(&format!("pool-{p}"), "1.34.2", 1, 1, p as i64))
        .collect();
    let nodes = (0..pools * nodes_per_pool)
        .map(|n| {
            node(
                &format!("node-{n}"),
                &format!("pool-{}", n % pools.max(1)),
                "1.34.2",
                n as i64,
            )
        })
        .collect();
    let mut api_usage: Vec<ApiUsage> = (0..100)
        .map(|a| ApiUsage {
            api_version: format!("example{a}.io/v1"),
            kind: "Widget".into(),
            objects: 0,
            workloads: vec![],
        })
        .collect();
    for record in 0..usage_records {
        let usage = &mut api_usage[record % 100];
        usage.objects += 1;
        usage
            .workloads
            .push(format!("ns-{}/w-{record}", record % 50));
    }
    let pod_disruption_budgets = (0..pdbs)
        .map(|b| DisruptionBudget {
            namespace: format!("ns-{}", b % 50),
            name: format!("pdb-{b}"),
            // A third allow no disruption, a third one: most waves break some budget, so the
            // evidence of a NO-GO is built too (the expensive case).
            disruptions_allowed: (b % 3) as i64,
            pool_id: (pools > 0).then(|| format!("pool-{}", b % pools)),
        })
        .collect();
    Synthetic {
        cluster: cluster("1.34.2"),
        pools: pool_list,
        nodes,
        versions: vec![
            version("1.34.2", &[]),
            version("1.34.5", &[]),
            version(
                "1.35.1",
                &["example0.io/v1 Gadget", "example7.io/v1 Widget"],
            ),
        ],
        inventory: ClusterInventory {
            components: vec![ComponentState {
                name: "kube-apiserver".into(),
                kind: "control_plane".into(),
                version: "v1.34.2".into(),
                health: "healthy".into(),
                managed_by: "provider".into(),
            }],
            volumes: vec![],
            load_balancers: vec![],
            api_usage,
            pod_disruption_budgets,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::RolloutTiming;
    use crate::services::upgrade::plan::pool_waves;
    use crate::services::upgrade::{assess, NodeQuota, UpgradeSubject, Verdict};

    /// Every plan, for every pool size and policy up to 3/3, replaces each old node exactly
    /// once, oldest first, and never more at once than the policy allows.
    #[test]
    fn waves_respect_the_policy_and_cover_every_node_once() {
        let timing = RolloutTiming::typical();
        for size in 0..9 {
            for surge in 0..4 {
                for unavailable in 0..4 {
                    let pool = pool("p", "1.34.2", surge, unavailable, 0);
                    let mut nodes: Vec<Node> = (0..size)
                        .map(|n| node(&format!("n{n}"), "p", "1.34.2", (size - n) as i64))
                        .collect();
                    // One already upgraded and one leaving: neither is in a wave.
                    nodes.push(node("fresh", "p", "1.35.1", 0));
                    let mut leaving = node("leaving", "p", "1.34.2", 0);
                    leaving.status = NodeStatus::Deleting;
                    nodes.push(leaving);
                    let waves = pool_waves(&pool, &nodes, "1.35.1", &timing);
                    if surge + unavailable == 0 {
                        assert!(waves.is_empty());
                        continue;
                    }
                    let mut replaced = Vec::new();
                    for wave in &waves {
                        assert!(wave.surge <= surge && wave.in_place <= unavailable);
                        assert_eq!(wave.nodes.len() as i64, wave.surge + wave.in_place);
                        assert!(!wave.nodes.is_empty());
                        replaced.extend(wave.nodes.iter().cloned());
                    }
                    // Oldest first: n{size-1} was made first.
                    let expected: Vec<String> = (0..size).rev().map(|n| format!("n{n}")).collect();
                    assert_eq!(
                        replaced, expected,
                        "size {size} surge {surge} unavailable {unavailable}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_pdb_blocks_exactly_the_waves_larger_than_it_allows() {
        for allowed in 0..4 {
            for per_wave in 1..4 {
                let mut subject = synthetic(1, 6, 0, 0);
                subject.pools[0].max_surge = per_wave;
                subject.pools[0].max_unavailable = 0;
                subject
                    .inventory
                    .pod_disruption_budgets
                    .push(DisruptionBudget {
                        namespace: "shop".into(),
                        name: "web".into(),
                        disruptions_allowed: allowed,
                        pool_id: Some("pool-0".into()),
                    });
                let subject_ref = UpgradeSubject {
                    now: epoch(),
                    cluster: &subject.cluster,
                    pools: &subject.pools,
                    nodes: &subject.nodes,
                    versions: &subject.versions,
                    inventory: Some(&subject.inventory),
                    quota: NodeQuota {
                        limit: 100,
                        in_use: 6,
                    },
                    timing: RolloutTiming::typical(),
                    exclusions: &[],
                };
                let report = assess(&subject_ref, "1.34.5", true).preflight;
                let drain = report.checks.iter().find(|c| c.id == "drain").unwrap();
                let blocked = per_wave > allowed;
                assert_eq!(
                    report.verdict == Verdict::NoGo,
                    blocked,
                    "allowed {allowed}, {per_wave} per wave: {drain:?}"
                );
            }
        }
    }
}
