//! The upgrade pre-flight: one verdict (GO, GO with warnings, NO-GO) from checks that each
//! carry a status, the evidence (the objects involved, by name) and a recommendation. Pure: it
//! reads an [`UpgradeSubject`] and the plan, nothing else, so it is the same over every provider.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::model::{ClusterStatus, NodeStatus, PoolStatus};
use crate::domain::version::{KubeVersion, UpgradeRefusal};

use super::plan::{is_api_removal, pools_in_order, skip_reason, versions_between, UpgradePlan};
use super::UpgradeSubject;

/// The Kubernetes version skew policy: a kubelet may be up to three minors older than the API
/// server, never newer.
pub const MAX_KUBELET_MINOR_SKEW: u32 = 3;
pub const TARGET_CHECK: &str = "target";
pub const QUOTA_CHECK: &str = "quota";
pub const ROLLBACK_CHECK: &str = "rollback";
pub const EXCLUSION_CHECK: &str = "exclusions";
/// Evidence lists are cut here (the count of the rest is said).
const EVIDENCE_LIMIT: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Go,
    GoWithWarnings,
    NoGo,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Go => "go",
            Verdict::GoWithWarnings => "go_with_warnings",
            Verdict::NoGo => "no_go",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warning,
    Fail,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PreflightCheck {
    /// Stable identifier: target, skew, removed_apis, drain, quota, health, user_managed.
    pub id: &'static str,
    pub title: &'static str,
    pub status: CheckStatus,
    pub summary: String,
    pub evidence: Vec<String>,
    pub recommendation: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PreflightReport {
    pub cluster_id: String,
    pub from_version: String,
    pub to_version: String,
    pub verdict: Verdict,
    pub checks: Vec<PreflightCheck>,
}

impl PreflightReport {
    pub fn blocking(&self) -> impl Iterator<Item = &PreflightCheck> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }

    /// The blocking checks in one sentence each, with their first pieces of evidence, for
    /// refusals (412) and the record of an override.
    pub fn blocking_reasons(&self) -> Vec<String> {
        self.blocking()
            .map(|check| {
                let evidence: Vec<&str> =
                    check.evidence.iter().take(3).map(String::as_str).collect();
                if evidence.is_empty() {
                    format!("{}: {}", check.title, check.summary)
                } else {
                    format!(
                        "{}: {} ({})",
                        check.title,
                        check.summary,
                        evidence.join("; ")
                    )
                }
            })
            .collect()
    }
}

fn check(
    id: &'static str,
    title: &'static str,
    status: CheckStatus,
    summary: impl Into<String>,
    evidence: Vec<String>,
    recommendation: Option<&str>,
) -> PreflightCheck {
    PreflightCheck {
        id,
        title,
        status,
        summary: summary.into(),
        evidence: bounded(evidence),
        recommendation: recommendation.map(str::to_string),
    }
}

fn bounded(mut evidence: Vec<String>) -> Vec<String> {
    if evidence.len() > EVIDENCE_LIMIT {
        let rest = evidence.len() - EVIDENCE_LIMIT;
        evidence.truncate(EVIDENCE_LIMIT);
        evidence.push(format!("… and {rest} more"));
    }
    evidence
}

pub fn preflight(
    subject: &UpgradeSubject<'_>,
    target: &str,
    plan: &UpgradePlan,
) -> PreflightReport {
    let checks = vec![
        target_validity(subject, target),
        version_skew(subject, target),
        removed_apis(subject, target),
        drain_simulation(subject, plan),
        surge_quota(subject, plan),
        health(subject),
        user_managed(subject),
        exclusions(
            subject,
            super::is_minor_step(&subject.cluster.version, target),
        ),
    ];
    report(subject, &subject.cluster.version, target, checks)
}

/// The pre-flight of one pool's rollout onto its cluster's version: what can break a drain
/// (PDBs per wave, surge quota, health); the version checks passed when the control plane moved.
pub fn pool_preflight(subject: &UpgradeSubject<'_>, plan: &UpgradePlan) -> PreflightReport {
    let checks = vec![
        drain_simulation(subject, plan),
        surge_quota(subject, plan),
        health(subject),
        exclusions(subject, false),
    ];
    report(subject, &plan.from_version, &plan.to_version, checks)
}

/// Maintenance exclusions in force that hold this upgrade (a minor one when `minor`).
fn exclusions(subject: &UpgradeSubject<'_>, minor: bool) -> PreflightCheck {
    const TITLE: &str = "Maintenance exclusions";
    let holding: Vec<String> = subject
        .exclusions
        .iter()
        .filter(|e| e.in_force(subject.now) && e.scope.holds_upgrade(minor))
        .map(|e| e.describe())
        .collect();
    if holding.is_empty() {
        return check(
            EXCLUSION_CHECK,
            TITLE,
            CheckStatus::Pass,
            "no maintenance exclusion in force holds this upgrade",
            Vec::new(),
            None,
        );
    }
    check(
        EXCLUSION_CHECK,
        TITLE,
        CheckStatus::Fail,
        "a maintenance exclusion in force holds this upgrade",
        holding,
        Some("wait until it ends, or remove it in the cluster's Maintenance tab; an owner may also start anyway with a written reason"),
    )
}

/// The pre-flight of a rollback: whether it may go back now (`refusal` says why not), then what
/// can break its drains (PDBs per wave, surge quota, health).
pub fn rollback_preflight(
    subject: &UpgradeSubject<'_>,
    refusal: Option<String>,
    plan: &UpgradePlan,
) -> PreflightReport {
    const TITLE: &str = "Rollback possible";
    let window = match refusal {
        Some(why) => check(
            ROLLBACK_CHECK,
            TITLE,
            CheckStatus::Fail,
            why,
            Vec::new(),
            None,
        ),
        None => check(
            ROLLBACK_CHECK,
            TITLE,
            CheckStatus::Pass,
            format!("{} can go back to {}", plan.from_version, plan.to_version),
            Vec::new(),
            None,
        ),
    };
    let mut checks = vec![window];
    if checks[0].status == CheckStatus::Pass {
        checks.extend([
            drain_simulation(subject, plan),
            surge_quota(subject, plan),
            health(subject),
        ]);
    }
    report(subject, &plan.from_version, &plan.to_version, checks)
}

fn report(
    subject: &UpgradeSubject<'_>,
    from: &str,
    to: &str,
    checks: Vec<PreflightCheck>,
) -> PreflightReport {
    let verdict = if checks.iter().any(|c| c.status == CheckStatus::Fail) {
        Verdict::NoGo
    } else if checks.iter().any(|c| c.status == CheckStatus::Warning) {
        Verdict::GoWithWarnings
    } else {
        Verdict::Go
    };
    PreflightReport {
        cluster_id: subject.cluster.id.clone(),
        from_version: from.to_string(),
        to_version: to.to_string(),
        verdict,
        checks,
    }
}

fn target_validity(subject: &UpgradeSubject<'_>, target: &str) -> PreflightCheck {
    const TITLE: &str = "Target version";
    let fail = |summary: String, advice: &str| {
        check(
            TARGET_CHECK,
            TITLE,
            CheckStatus::Fail,
            summary,
            vec![],
            Some(advice),
        )
    };
    let current = subject.cluster.version.as_str();
    let (Ok(from), Ok(to)) = (
        current.parse::<KubeVersion>(),
        target.parse::<KubeVersion>(),
    ) else {
        return fail(
            format!("{target} is not a Kubernetes version (MAJOR.MINOR.PATCH)"),
            "Choose one of the versions offered for this cluster.",
        );
    };
    let Some(entry) = subject.versions.iter().find(|v| v.name == target) else {
        return fail(
            format!("the provider does not offer {target}"),
            "Choose one of the versions offered for this cluster.",
        );
    };
    match from.can_upgrade_to(&to) {
        Err(UpgradeRefusal::SameVersion) => {
            return fail(
                format!("the cluster already runs {target}"),
                "Choose a newer version.",
            )
        }
        Err(UpgradeRefusal::Downgrade) => {
            return fail(
                format!("{target} is older than {current}: downgrades are not possible"),
                "Choose a newer version.",
            )
        }
        Err(UpgradeRefusal::SkipsMinor) => {
            return fail(
                format!("{target} skips a minor version: from {current} only a newer {} patch or the next minor", from.minor_name()),
                "Upgrade one minor at a time.",
            )
        }
        Ok(()) => {}
    }
    if entry.is_end_of_life_at(subject.now) {
        return fail(
            format!("{target} is past its end of support"),
            "Choose a supported version.",
        );
    }
    if entry.is_deprecated_at(subject.now) {
        return fail(
            format!("{target} is deprecated"),
            "Choose a supported version.",
        );
    }
    let kind = if to.same_minor(&from) {
        "a newer patch of the same minor"
    } else {
        "the next minor"
    };
    check(
        TARGET_CHECK,
        TITLE,
        CheckStatus::Pass,
        format!("{current} → {target}: {kind}, supported"),
        vec![],
        None,
    )
}

fn version_skew(subject: &UpgradeSubject<'_>, target: &str) -> PreflightCheck {
    const TITLE: &str = "Version skew";
    let Ok(to) = target.parse::<KubeVersion>() else {
        return check(
            "skew",
            TITLE,
            CheckStatus::Warning,
            "not checked: the target is not a version",
            vec![],
            None,
        );
    };
    let mut too_old = Vec::new();
    let mut lagging = Vec::new();
    let mut external = Vec::new();
    for pool in pools_in_order(subject.pools) {
        if pool.status == PoolStatus::Deleting {
            continue;
        }
        let Ok(version) = pool.version.parse::<KubeVersion>() else {
            continue;
        };
        let skew =
            to.minor.saturating_sub(version.minor) + (to.major - version.major.min(to.major)) * 100;
        if skew > MAX_KUBELET_MINOR_SKEW {
            too_old.push(format!(
                "pool {} runs {} ({skew} minors behind {target})",
                pool.name, pool.version
            ));
        } else if pool.node_type == super::plan::EXTERNAL_NODE_TYPE && pool.version != target {
            external.push(format!(
                "pool {} (external nodes) stays on {} until its node agent upgrades it",
                pool.name, pool.version
            ));
        } else if pool.version != subject.cluster.version {
            lagging.push(format!(
                "pool {} runs {} while the control plane runs {}",
                pool.name, pool.version, subject.cluster.version
            ));
        }
    }
    if !too_old.is_empty() {
        return check(
            "skew",
            TITLE,
            CheckStatus::Fail,
            format!("{} pool(s) would be more than {MAX_KUBELET_MINOR_SKEW} minors behind the control plane", too_old.len()),
            too_old,
            Some("Upgrade those pools to the cluster's current version first."),
        );
    }
    let warnings: Vec<String> = lagging.into_iter().chain(external).collect();
    if !warnings.is_empty() {
        return check(
            "skew",
            TITLE,
            CheckStatus::Warning,
            format!("{} pool(s) lag the control plane; within the skew policy", warnings.len()),
            warnings,
            Some("The plan upgrades provider-managed pools after the control plane; upgrade external nodes yourself."),
        );
    }
    check(
        "skew",
        TITLE,
        CheckStatus::Pass,
        format!("every pool stays within {MAX_KUBELET_MINOR_SKEW} minors of {target} during the rollout"),
        vec![],
        None,
    )
}

fn removed_apis(subject: &UpgradeSubject<'_>, target: &str) -> PreflightCheck {
    const TITLE: &str = "APIs the target removes";
    let (Ok(from), Ok(to)) = (
        subject.cluster.version.parse::<KubeVersion>(),
        target.parse::<KubeVersion>(),
    ) else {
        return check(
            "removed_apis",
            TITLE,
            CheckStatus::Warning,
            "not checked: the target is not a version",
            vec![],
            None,
        );
    };
    let removals: Vec<(&str, &str)> = versions_between(subject, from, to)
        .into_iter()
        .flat_map(|entry| {
            entry
                .removed_apis
                .iter()
                .filter(|r| is_api_removal(r))
                .map(move |r| (entry.name.as_str(), r.as_str()))
        })
        .collect();
    let Some(inventory) = subject.inventory else {
        return check(
            "removed_apis",
            TITLE,
            CheckStatus::Warning,
            "the provider does not report which APIs your workloads use",
            removals.iter().map(|(v, api)| format!("{v} removes {api}")).collect(),
            Some("Check your manifests and the API server's apiserver_requested_deprecated_apis metric before upgrading."),
        );
    };
    let mut evidence = Vec::new();
    let mut users = 0;
    for (version, removal) in &removals {
        let mut words = removal.split_whitespace();
        let api_version = words.next().unwrap_or_default();
        let kind = words.next();
        for usage in inventory
            .api_usage
            .iter()
            .filter(|u| u.api_version == api_version && kind.is_none_or(|k| k == u.kind))
        {
            users += usage.objects;
            let mut names: Vec<&str> = usage
                .workloads
                .iter()
                .map(String::as_str)
                .take(10)
                .collect();
            let more = usage.workloads.len().saturating_sub(names.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            if names.is_empty() {
                names.push("(unnamed)");
            }
            evidence.push(format!(
                "{} {} removed in {version}, used by {}{more}",
                usage.api_version,
                usage.kind,
                names.join(", ")
            ));
        }
    }
    if users > 0 {
        return check(
            "removed_apis",
            TITLE,
            CheckStatus::Fail,
            format!("{users} workload object(s) use APIs that {target} no longer serves"),
            evidence,
            Some("Move those objects to the API's replacement (kubectl convert, or update the chart), then run the pre-flight again."),
        );
    }
    let summary = if removals.is_empty() {
        format!("{target} removes no API your workloads could use")
    } else {
        format!(
            "no workload uses the {} API(s) removed by {target}",
            removals.len()
        )
    };
    check(
        "removed_apis",
        TITLE,
        CheckStatus::Pass,
        summary,
        vec![],
        None,
    )
}

/// For each pool's waves: every PDB whose pods run on the wave's nodes (one pod per node of the
/// pools it covers) and whose allowed disruptions would drop below zero.
fn drain_simulation(subject: &UpgradeSubject<'_>, plan: &UpgradePlan) -> PreflightCheck {
    const TITLE: &str = "Drain simulation";
    let mut blocked = Vec::new();
    // A PDB whose pods run on every pool is one PDB, however many pools it blocks.
    let mut blocking_budgets = std::collections::BTreeSet::new();
    let mut stuck = Vec::new();
    for step in plan.steps.iter().filter(|s| s.kind == "pool") {
        let pool_id = step.pool_id.as_deref().unwrap_or_default();
        let pool = subject.pools.iter().find(|p| p.id == pool_id);
        if let Some(pool) = pool {
            if step.waves.is_empty()
                && skip_reason(pool, &plan.to_version).is_none()
                && pool.max_surge.max(0) + pool.max_unavailable.max(0) == 0
            {
                stuck.push(format!(
                    "pool {}: max_surge and max_unavailable are both 0",
                    pool.name
                ));
            }
        }
        let Some(inventory) = subject.inventory else {
            continue;
        };
        // Within a pool, the largest wave is the first to break a budget.
        let Some(largest) = step.waves.iter().max_by_key(|w| w.nodes.len()) else {
            continue;
        };
        let first_breaking =
            |allowed: i64| step.waves.iter().find(|w| w.nodes.len() as i64 > allowed);
        for pdb in inventory
            .pod_disruption_budgets
            .iter()
            .filter(|pdb| pdb.pool_id.as_deref().is_none_or(|p| p == pool_id))
        {
            if (largest.nodes.len() as i64) <= pdb.disruptions_allowed {
                continue;
            }
            if let Some(wave) = first_breaking(pdb.disruptions_allowed) {
                blocking_budgets.insert((pdb.namespace.as_str(), pdb.name.as_str()));
                blocked.push(format!(
                    "PDB {}/{} allows {} disruption(s); pool {} wave {} drains {} ({} pod(s) evicted at once)",
                    pdb.namespace,
                    pdb.name,
                    pdb.disruptions_allowed,
                    step.name,
                    wave.number,
                    wave.nodes.join(", "),
                    wave.nodes.len()
                ));
            }
        }
    }
    if !stuck.is_empty() {
        return check(
            "drain",
            TITLE,
            CheckStatus::Fail,
            "a pool's upgrade policy replaces no node",
            stuck,
            Some("Set max_surge or max_unavailable of those pools to 1 or more."),
        );
    }
    if !blocked.is_empty() {
        return check(
            "drain",
            TITLE,
            CheckStatus::Fail,
            format!(
                "{} PodDisruptionBudget(s) would block a drain",
                blocking_budgets.len()
            ),
            blocked,
            Some("Raise the PDB's allowed disruptions (more replicas, or a lower minAvailable), or lower the pool's max_surge/max_unavailable so fewer nodes drain at once."),
        );
    }
    if subject.inventory.is_none() {
        return check(
            "drain",
            TITLE,
            CheckStatus::Warning,
            "the provider does not report PodDisruptionBudgets: not simulated",
            vec![],
            Some("Check `kubectl get pdb -A`: a PDB allowing 0 disruptions blocks every drain."),
        );
    }
    let waves: usize = plan.steps.iter().map(|s| s.waves.len()).sum();
    check(
        "drain",
        TITLE,
        CheckStatus::Pass,
        format!("every PodDisruptionBudget allows each of the {waves} wave(s)"),
        vec![],
        None,
    )
}

fn surge_quota(subject: &UpgradeSubject<'_>, plan: &UpgradePlan) -> PreflightCheck {
    const TITLE: &str = "Node quota for surge";
    // Pools roll one after the other: the peak is the largest single surge.
    let peak = plan
        .steps
        .iter()
        .flat_map(|s| s.waves.iter())
        .map(|w| w.surge)
        .max()
        .unwrap_or(0);
    let quota = &subject.quota;
    let evidence = vec![format!(
        "the project runs {} node(s); the rollout adds up to {peak} at once; its quota is {}",
        quota.in_use, quota.limit
    )];
    if quota.in_use + peak > quota.limit {
        return check(
            QUOTA_CHECK,
            TITLE,
            CheckStatus::Fail,
            format!("{} node(s) over the project's quota at the peak", quota.in_use + peak - quota.limit),
            evidence,
            Some("Lower max_surge (more in-place replacement), free nodes, or ask your operator for a higher quota."),
        );
    }
    check(
        QUOTA_CHECK,
        TITLE,
        CheckStatus::Pass,
        if peak == 0 {
            "the rollout replaces nodes in place: it needs no extra node".to_string()
        } else {
            format!("room for the {peak} extra node(s) the rollout adds at once")
        },
        evidence,
        None,
    )
}

fn health(subject: &UpgradeSubject<'_>) -> PreflightCheck {
    const TITLE: &str = "Health now";
    let cluster = subject.cluster;
    let mut failing = Vec::new();
    let mut warnings = Vec::new();
    if cluster.status != ClusterStatus::Ready {
        failing.push(format!(
            "the cluster is {}",
            cluster.status.as_str().replace('_', " ")
        ));
    }
    for pool in subject.pools {
        if matches!(
            pool.status,
            PoolStatus::Scaling | PoolStatus::Upgrading | PoolStatus::Locked
        ) {
            failing.push(format!("pool {} is {}", pool.name, pool.status));
        }
    }
    if let Some(inventory) = subject.inventory {
        for component in inventory
            .components
            .iter()
            .filter(|c| c.health != "healthy")
        {
            let line = format!(
                "{} is {}",
                component.name,
                component.health.replace('_', " ")
            );
            if component.kind == "control_plane" {
                failing.push(line);
            } else {
                warnings.push(line);
            }
        }
    }
    let mut not_ready: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in subject
        .nodes
        .iter()
        .filter(|n| !matches!(n.status, NodeStatus::Ready | NodeStatus::Deleting))
    {
        not_ready
            .entry(node.status.as_str())
            .or_default()
            .push(&node.name);
    }
    for (status, names) in not_ready {
        warnings.push(format!(
            "{} node(s) {}: {}",
            names.len(),
            status.replace('_', " "),
            names.join(", ")
        ));
    }
    if !failing.is_empty() {
        let count = failing.len();
        failing.extend(warnings);
        return check(
            "health",
            TITLE,
            CheckStatus::Fail,
            format!("{count} problem(s) must be solved before an upgrade"),
            failing,
            Some("Wait for changes in progress to finish and the control plane to be healthy; a restore can return a broken control plane to its default state."),
        );
    }
    if !warnings.is_empty() {
        return check(
            "health",
            TITLE,
            CheckStatus::Warning,
            format!("{} warning(s)", warnings.len()),
            warnings,
            Some("Unhealthy nodes are replaced by the rollout; an unhealthy system app may not recover by itself."),
        );
    }
    check(
        "health",
        TITLE,
        CheckStatus::Pass,
        "control plane, system apps and nodes are healthy",
        vec![],
        None,
    )
}

fn user_managed(subject: &UpgradeSubject<'_>) -> PreflightCheck {
    const TITLE: &str = "Components you manage";
    let mut evidence = Vec::new();
    if let Some(inventory) = subject.inventory {
        for component in inventory
            .components
            .iter()
            .filter(|c| c.managed_by == "user")
        {
            evidence.push(format!(
                "{} {} stays as you set it",
                component.name, component.version
            ));
        }
    }
    for pool in subject.pools.iter().filter(|p| !p.kubelet_args.is_empty()) {
        let names: Vec<&str> = pool.kubelet_args.keys().map(String::as_str).collect();
        evidence.push(format!(
            "pool {}: kubelet arguments {} are kept",
            pool.name,
            names.join(", ")
        ));
    }
    if evidence.is_empty() {
        return check(
            "user_managed",
            TITLE,
            CheckStatus::Pass,
            "the provider manages every component",
            vec![],
            None,
        );
    }
    check(
        "user_managed",
        TITLE,
        CheckStatus::Warning,
        format!("{} setting(s) you manage are left alone and may not suit the target", evidence.len()),
        evidence,
        Some("Check them against the target's changelog; a restore returns them to the provider's defaults."),
    )
}
