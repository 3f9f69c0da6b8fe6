//! Alerts, a Wheelhouse service above the provisioning port: a leased background pass
//! evaluates the rules ([`rules`]) over every cluster Wheelhouse owns, through the port (so
//! they work over a remote provider with what it reports), and moves each occurrence through
//! its lifecycle ([`lifecycle`]), freezing the evidence when it fires. Members acknowledge
//! alerts and silence them by matchers, through the one path (audited); a cluster can be
//! re-checked at once, which is how a recommendation's action resolves its alert.

pub mod lifecycle;
pub mod rules;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::SharedClock;
use crate::domain::ids::{ClusterId, NodeId, SharedIds};
use crate::domain::model::{Caller, Cluster, ClusterEvent, ComponentState};
use crate::domain::DomainError;
use crate::services::changes::target_of;
use crate::services::provisioning::ProvisioningService;
use crate::store::alerts::{self as store, AlertFilter, AlertRow, SilenceRow};
use crate::store::Database;

pub use rules::{AlertTarget, Owner, Recommendation, Severity};

type Result<T> = std::result::Result<T, DomainError>;

/// The job's name: its actor in records, and its lease.
pub const ALERTS_JOB: &str = "alerts";
/// How far back the evidence of a firing alert reaches.
pub const EVIDENCE_MINUTES: i64 = 60;
/// The longest a silence may last (it can be renewed).
pub const MAX_SILENCE_DAYS: i64 = 30;
/// The most alerts a listing returns.
const LIST_LIMIT: i64 = 500;

/// An alert as the console and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: String,
    /// The rule's id (`node_not_ready`, …) and title.
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    /// Whose duty its cause is: a provider-owned alert says what the provider does about it.
    pub owner: Owner,
    /// `pending`, `firing` or `resolved`.
    pub state: String,
    /// The silence in force that matches it, if any.
    pub silenced_by: Option<String>,
    pub organization_id: String,
    pub project_id: String,
    /// The cluster it is about (none for a project's alert).
    pub region: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub target: AlertTarget,
    pub summary: String,
    pub active_since: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Frozen when it fired.
    pub evidence: Option<Evidence>,
    pub recommendation: Recommendation,
    pub acknowledgement: Option<Acknowledgement>,
}

impl Alert {
    pub fn is_open(&self) -> bool {
        self.state != "resolved"
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Acknowledgement {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// What was known when an alert fired, kept as it was then.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    pub collected_at: DateTime<Utc>,
    /// The cluster's events of the preceding hour, newest first (the target's, and the
    /// cluster's own).
    pub events: Vec<EvidenceEvent>,
    /// The node's conditions, for an alert about a node (when the provider reports them).
    pub node_conditions: Option<serde_json::Map<String, serde_json::Value>>,
    /// The cluster's components as they were.
    pub components: Vec<EvidenceComponent>,
    /// The audit entries that touched the cluster (or project) in the preceding hour, newest
    /// first; each can be read with its proof.
    pub audit_entries: Vec<EvidenceAuditEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceEvent {
    pub at: DateTime<Utc>,
    pub object_kind: String,
    pub object_id: String,
    pub reason: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceComponent {
    pub name: String,
    pub kind: String,
    pub version: String,
    pub health: String,
    pub managed_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceAuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub outcome: String,
}

/// A silence: while in force, the alerts of its project matching every matcher it sets are
/// shown as silenced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Silence {
    pub id: String,
    pub project_id: String,
    pub cluster_id: Option<String>,
    pub rule: Option<String>,
    pub severity: Option<Severity>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Silence {
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.created_at <= now && now < self.expires_at
    }

    fn matches(&self, alert: &Alert) -> bool {
        self.matches_parts(
            &alert.project_id,
            alert.cluster_id.as_deref(),
            &alert.rule,
            alert.severity,
        )
    }

    fn matches_parts(
        &self,
        project_id: &str,
        cluster_id: Option<&str>,
        rule: &str,
        severity: Severity,
    ) -> bool {
        self.project_id == project_id
            && self
                .cluster_id
                .as_deref()
                .is_none_or(|c| cluster_id == Some(c))
            && self.rule.as_deref().is_none_or(|r| r == rule)
            && self.severity.is_none_or(|s| s == severity)
    }
}

/// A silence asked for: at least one matcher, a reason and how long.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct SilenceRequest {
    pub cluster_id: Option<String>,
    pub rule: Option<String>,
    pub severity: Option<String>,
    pub reason: String,
    /// How long it lasts, in hours (at most 30 days).
    pub duration_hours: i64,
}

/// Which alerts to list.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `firing`, `pending`, `resolved` or `silenced` (open and matched by a silence in force);
    /// none: all.
    pub state: Option<String>,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PassReport {
    pub clusters: usize,
    pub opened: usize,
    pub fired: usize,
    pub resolved: usize,
}

#[derive(Clone)]
pub struct AlertService {
    service: ProvisioningService,
    database: Database,
    clock: SharedClock,
    ids: SharedIds,
    holder: String,
    lease: Duration,
}

/// The open alerts of one scope, by fingerprint.
type OpenAlerts = HashMap<String, AlertRow>;

/// Where an alert belongs.
struct Scope<'a> {
    organization_id: &'a str,
    project_id: &'a str,
    cluster: Option<&'a Cluster>,
    caller: &'a Caller,
}

impl Scope<'_> {
    fn key(&self) -> &str {
        match self.cluster {
            Some(cluster) => &cluster.id,
            None => self.project_id,
        }
    }
}

/// What a pass read of a cluster, for the evidence, and which rules it could evaluate.
struct Observed<'a> {
    events: Option<&'a [ClusterEvent]>,
    components: Option<&'a [ComponentState]>,
    evaluated: &'a (dyn Fn(&str) -> bool + Sync),
}

fn alert_of(row: AlertRow, silences: &[Silence], now: DateTime<Utc>) -> Alert {
    let rule = rules::rule(&row.rule);
    let mut alert = Alert {
        title: rule.map(|r| r.title).unwrap_or("Alert").to_string(),
        rule: row.rule,
        id: row.id,
        severity: Severity::parse(&row.severity).unwrap_or(Severity::Warning),
        owner: Owner::parse(&row.owner).unwrap_or(Owner::Provider),
        state: row.state,
        silenced_by: None,
        organization_id: row.organization_id,
        project_id: row.project_id,
        region: row.region,
        cluster_id: row.cluster_id,
        cluster_name: row.cluster_name,
        target: AlertTarget {
            kind: row.target_kind,
            id: row.target_id,
            name: row.target_name,
        },
        summary: row.summary,
        active_since: row.active_since,
        fired_at: row.fired_at,
        resolved_at: row.resolved_at,
        evidence: row
            .evidence
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
        recommendation: serde_json::from_str(&row.recommendation).unwrap_or(Recommendation {
            text: String::new(),
            console_path: None,
            command: None,
        }),
        acknowledgement: match (row.acknowledged_by, row.acknowledged_at) {
            (Some(by), Some(at)) => Some(Acknowledgement {
                by,
                at,
                note: row.acknowledgement_note.unwrap_or_default(),
            }),
            _ => None,
        },
    };
    if alert.is_open() {
        alert.silenced_by = silences
            .iter()
            .find(|s| s.in_force(now) && s.matches(&alert))
            .map(|s| s.id.clone());
    }
    alert
}

fn silence_of(row: SilenceRow) -> Silence {
    Silence {
        id: row.id,
        project_id: row.project_id,
        cluster_id: row.cluster_id,
        rule: row.rule,
        severity: row.severity.as_deref().and_then(Severity::parse),
        reason: row.reason,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
    }
}

impl AlertService {
    pub fn new(
        service: ProvisioningService,
        database: Database,
        clock: SharedClock,
        ids: SharedIds,
        holder: String,
    ) -> AlertService {
        AlertService {
            service,
            database,
            clock,
            ids,
            holder,
            lease: Duration::seconds(60),
        }
    }

    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    // ---- evaluation

    /// One pass over every cluster and project, if this server holds the alerts lease (one
    /// replica evaluates at a time; the others wait for the lease to lapse).
    pub async fn pass(&self) -> Result<PassReport> {
        let now = self.clock.now();
        let mut conn = self.database.pool().acquire().await?;
        let held = crate::store::leases::take(
            &mut conn,
            ALERTS_JOB,
            "fleet",
            &self.holder,
            now + self.lease,
            now,
        )
        .await?;
        drop(conn);
        if !held {
            return Ok(PassReport::default());
        }
        let owners = crate::store::freshness::owners(&self.database).await?;
        let caps: HashMap<String, u32> =
            crate::store::freshness::autohealing_caps(&self.database, None)
                .await?
                .into_iter()
                .map(|cap| (cap.pool_id, cap.value))
                .collect();
        let mut open: HashMap<String, OpenAlerts> = HashMap::new();
        let mut conn = self.database.pool().acquire().await?;
        for row in store::open_alerts(&mut conn).await? {
            let scope = row
                .cluster_id
                .clone()
                .unwrap_or_else(|| row.project_id.clone());
            open.entry(scope)
                .or_default()
                .insert(row.fingerprint.clone(), row);
        }
        drop(conn);
        let mut report = PassReport::default();
        let mut regions: std::collections::BTreeMap<String, HashMap<String, Caller>> =
            Default::default();
        for owner in &owners {
            regions.entry(owner.region.clone()).or_default().insert(
                owner.cluster_id.clone(),
                Caller::job(&owner.project_id, &owner.organization_id, ALERTS_JOB),
            );
        }
        // Nodes per project, for the quota rule (pools' sizes, as the quota counts them).
        let mut project_nodes: HashMap<String, i64> = HashMap::new();
        let mut all_regions_read = true;
        for (region, owners) in &regions {
            let snapshots = match self.service.snapshot(region, owners).await {
                Ok(snapshots) => snapshots,
                Err(error) => {
                    all_regions_read = false;
                    tracing::warn!(%error, %region, "the alerts pass could not read the fleet");
                    continue;
                }
            };
            let versions = self.service.list_versions(region).await.unwrap_or_default();
            for snapshot in &snapshots {
                let caller = &owners[&snapshot.cluster.id];
                *project_nodes.entry(caller.project_id.clone()).or_default() +=
                    snapshot.pools.iter().map(|p| p.size).sum::<i64>();
                let id = ClusterId::from(snapshot.cluster.id.clone());
                let inventory = self
                    .service
                    .cluster_inventory(caller, region, &id)
                    .await
                    .ok()
                    .flatten();
                let events = self
                    .service
                    .cluster_events(caller, region, &id)
                    .await
                    .ok()
                    .flatten();
                let facts = rules::ClusterFacts {
                    now,
                    cluster: &snapshot.cluster,
                    pools: &snapshot.pools,
                    nodes: &snapshot.nodes,
                    components: inventory.as_ref().map(|i| i.components.as_slice()),
                    events: events.as_deref(),
                    version: versions.iter().find(|v| v.name == snapshot.cluster.version),
                    autohealing_caps: &caps,
                };
                let conditions = rules::cluster_conditions(&facts);
                let scope = Scope {
                    organization_id: &caller.organization_id,
                    project_id: &caller.project_id,
                    cluster: Some(&snapshot.cluster),
                    caller,
                };
                let evaluated = |rule: &str| rules::evaluated(&facts, rule);
                let observed = Observed {
                    events: events.as_deref(),
                    components: inventory.as_ref().map(|i| i.components.as_slice()),
                    evaluated: &evaluated,
                };
                let current = open.remove(&snapshot.cluster.id).unwrap_or_default();
                self.apply(&scope, conditions, current, &observed, now, &mut report)
                    .await?;
                report.clusters += 1;
            }
        }
        // Projects: their quota, once every region was read (else a count would be short).
        let mut conn = self.database.pool().acquire().await?;
        let quotas = store::project_quotas(&mut conn).await?;
        drop(conn);
        for quota in &quotas {
            let nodes = project_nodes.get(&quota.project_id).copied().unwrap_or(0);
            let condition =
                rules::project_condition(&quota.project_id, &quota.name, nodes, quota.node_quota);
            let current = open.remove(&quota.project_id).unwrap_or_default();
            if condition.is_none() && current.is_empty() {
                continue;
            }
            let caller = Caller::job(&quota.project_id, &quota.organization_id, ALERTS_JOB);
            let scope = Scope {
                organization_id: &quota.organization_id,
                project_id: &quota.project_id,
                cluster: None,
                caller: &caller,
            };
            let every_region_read = all_regions_read;
            let evaluated = move |_: &str| every_region_read;
            let observed = Observed {
                events: None,
                components: None,
                evaluated: &evaluated,
            };
            self.apply(
                &scope,
                condition.into_iter().collect(),
                current,
                &observed,
                now,
                &mut report,
            )
            .await?;
        }
        // Open alerts of clusters the fleet read did not return: a cluster that is gone has its
        // alerts resolved; one the provider did not answer for keeps them as they were.
        let owners_by_cluster: HashMap<&str, &crate::store::freshness::OwnerRecord> =
            owners.iter().map(|o| (o.cluster_id.as_str(), o)).collect();
        for (scope, alerts) in open {
            if !alerts.values().any(|a| a.cluster_id.is_some()) {
                continue;
            }
            let gone = match owners_by_cluster.get(scope.as_str()) {
                None => true,
                Some(owner) => {
                    let caller = Caller::job(&owner.project_id, &owner.organization_id, ALERTS_JOB);
                    matches!(
                        self.service
                            .get_cluster(&caller, &owner.region, &ClusterId::from(scope.clone()))
                            .await,
                        Err(DomainError::NotFound { .. })
                    )
                }
            };
            if gone {
                let mut conn = self.database.pool().acquire().await?;
                store::resolve_cluster(&mut conn, &scope, now).await?;
                report.resolved += alerts.values().filter(|a| a.state == "firing").count();
            }
        }
        Ok(report)
    }

    /// Evaluates one cluster now (a recommendation's "Re-check now"), whoever holds the lease:
    /// every move is conditional, so it cannot clash with a pass.
    pub async fn check_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<Alert>> {
        let now = self.clock.now();
        let cluster = self.service.get_cluster(caller, region, id).await?;
        let pools = self.service.list_pools(caller, region, id).await?;
        let nodes = self.service.list_nodes(caller, region, id).await?;
        let inventory = self.service.cluster_inventory(caller, region, id).await?;
        let events = self.service.cluster_events(caller, region, id).await?;
        let version = self
            .service
            .list_versions(region)
            .await?
            .into_iter()
            .find(|v| v.name == cluster.version);
        let caps: HashMap<String, u32> =
            crate::store::freshness::autohealing_caps(&self.database, Some(&cluster.id))
                .await?
                .into_iter()
                .map(|cap| (cap.pool_id, cap.value))
                .collect();
        let facts = rules::ClusterFacts {
            now,
            cluster: &cluster,
            pools: &pools,
            nodes: &nodes,
            components: inventory.as_ref().map(|i| i.components.as_slice()),
            events: events.as_deref(),
            version: version.as_ref(),
            autohealing_caps: &caps,
        };
        let conditions = rules::cluster_conditions(&facts);
        let mut conn = self.database.pool().acquire().await?;
        let current: OpenAlerts = store::open_of_cluster(&mut conn, &cluster.id)
            .await?
            .into_iter()
            .map(|row| (row.fingerprint.clone(), row))
            .collect();
        drop(conn);
        let job = caller.as_job(ALERTS_JOB);
        let scope = Scope {
            organization_id: &caller.organization_id,
            project_id: &caller.project_id,
            cluster: Some(&cluster),
            caller: &job,
        };
        let evaluated = |rule: &str| rules::evaluated(&facts, rule);
        let observed = Observed {
            events: events.as_deref(),
            components: inventory.as_ref().map(|i| i.components.as_slice()),
            evaluated: &evaluated,
        };
        self.apply(
            &scope,
            conditions,
            current,
            &observed,
            now,
            &mut PassReport::default(),
        )
        .await?;
        self.cluster_alerts(caller, region, id, &AlertQuery::default())
            .await
    }

    /// Moves every occurrence of one scope a step: the conditions that hold now against the
    /// alerts open before.
    async fn apply(
        &self,
        scope: &Scope<'_>,
        conditions: Vec<rules::Condition>,
        mut current: OpenAlerts,
        observed: &Observed<'_>,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<()> {
        let mut seen = HashSet::new();
        for condition in &conditions {
            let fingerprint = condition.fingerprint(scope.key());
            if !seen.insert(fingerprint.clone()) {
                continue;
            }
            let existing = current.remove(&fingerprint);
            let open = existing.as_ref().map(|row| lifecycle::Open {
                firing: row.state == "firing",
                active_since: row.active_since,
                severity: Severity::parse(&row.severity).unwrap_or(Severity::Warning),
                summary: row.summary.clone(),
            });
            let step = lifecycle::step(open.as_ref(), Some(condition), now);
            let recommendation = crate::store::rows::json(&condition.recommendation);
            match (step, existing) {
                (lifecycle::Step::Open { since, firing }, _) => {
                    let evidence = if firing {
                        Some(crate::store::rows::json(
                            &self
                                .evidence(scope, &condition.target, observed, now)
                                .await?,
                        ))
                    } else {
                        None
                    };
                    let row = AlertRow {
                        id: self.ids.uuid(),
                        fingerprint,
                        organization_id: scope.organization_id.to_string(),
                        project_id: scope.project_id.to_string(),
                        region: scope.cluster.map(|c| c.region.clone()),
                        cluster_id: scope.cluster.map(|c| c.id.clone()),
                        cluster_name: scope.cluster.map(|c| c.name.clone()),
                        rule: condition.rule.id.to_string(),
                        severity: condition.severity.as_str().to_string(),
                        owner: condition.owner.as_str().to_string(),
                        target_kind: condition.target.kind.clone(),
                        target_id: condition.target.id.clone(),
                        target_name: condition.target.name.clone(),
                        summary: condition.summary.clone(),
                        state: if firing { "firing" } else { "pending" }.to_string(),
                        active_since: since,
                        fired_at: firing.then_some(now),
                        resolved_at: None,
                        evidence,
                        recommendation,
                        acknowledged_by: None,
                        acknowledged_at: None,
                        acknowledgement_note: None,
                    };
                    let mut conn = self.database.pool().acquire().await?;
                    if store::open(&mut conn, &row).await? {
                        report.opened += 1;
                        report.fired += usize::from(firing);
                    }
                }
                (lifecycle::Step::Fire, Some(row)) => {
                    let evidence = crate::store::rows::json(
                        &self
                            .evidence(scope, &condition.target, observed, now)
                            .await?,
                    );
                    let mut conn = self.database.pool().acquire().await?;
                    if store::fire(&mut conn, &row.id, now, &evidence).await? {
                        report.fired += 1;
                    }
                }
                (lifecycle::Step::Restate, Some(row)) => {
                    let mut conn = self.database.pool().acquire().await?;
                    store::restate(
                        &mut conn,
                        &row.id,
                        condition.severity.as_str(),
                        &condition.summary,
                        &recommendation,
                    )
                    .await?;
                }
                _ => {}
            }
        }
        // What no longer holds (of the rules these facts could evaluate).
        for row in current.into_values() {
            if !(observed.evaluated)(&row.rule) {
                continue;
            }
            let mut conn = self.database.pool().acquire().await?;
            if row.state == "firing" {
                if store::resolve(&mut conn, &row.id, now).await? {
                    report.resolved += 1;
                }
            } else {
                store::drop_pending(&mut conn, &row.id).await?;
            }
        }
        Ok(())
    }

    /// The evidence of an alert firing now: the preceding hour's events and audit entries, the
    /// components, and the node's conditions for an alert about a node.
    async fn evidence(
        &self,
        scope: &Scope<'_>,
        target: &AlertTarget,
        observed: &Observed<'_>,
        now: DateTime<Utc>,
    ) -> Result<Evidence> {
        let since = now - Duration::minutes(EVIDENCE_MINUTES);
        let events = observed
            .events
            .unwrap_or_default()
            .iter()
            .filter(|event| event.at >= since)
            .filter(|event| {
                event.object_kind == "cluster"
                    || event.object_id == target.id
                    || target.kind != "node"
            })
            .take(50)
            .map(|event| EvidenceEvent {
                at: event.at,
                object_kind: event.object_kind.clone(),
                object_id: event.object_id.clone(),
                reason: event.reason.clone(),
                message: event.message.clone(),
            })
            .collect();
        let components = observed
            .components
            .unwrap_or_default()
            .iter()
            .map(|c| EvidenceComponent {
                name: c.name.clone(),
                kind: c.kind.clone(),
                version: c.version.clone(),
                health: c.health.clone(),
                managed_by: c.managed_by.clone(),
            })
            .collect();
        let node_conditions = match (scope.cluster, target.kind.as_str()) {
            (Some(cluster), "node") => self
                .service
                .get_node(
                    scope.caller,
                    &cluster.region,
                    &NodeId::from(target.id.clone()),
                )
                .await
                .ok()
                .map(|node| node.conditions),
            _ => None,
        };
        let filter = crate::store::audit::EntryFilter {
            projects: Some(vec![scope.project_id.to_string()]),
            cluster_id: scope.cluster.map(|c| c.id.clone()),
            from_ms: Some(crate::store::rows::millis(since)),
            to_ms: Some(crate::store::rows::millis(now) + 1),
            ..Default::default()
        };
        let mut conn = self.database.pool().acquire().await?;
        let audit_entries =
            crate::store::audit::newest_first(&mut conn, scope.organization_id, &filter, 50, 0)
                .await?
                .into_iter()
                .map(|row| EvidenceAuditEntry {
                    seq: row.seq,
                    at: crate::store::rows::time(row.time_ms),
                    actor: row.actor,
                    action: row.action,
                    target_kind: row.target_kind,
                    target_id: row.target_id,
                    outcome: row.outcome,
                })
                .collect();
        Ok(Evidence {
            collected_at: now,
            events,
            node_conditions,
            components,
            audit_entries,
        })
    }

    /// Runs a pass every `every` until `stop` resolves.
    pub async fn run_until(
        self,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            if let Err(error) = self.pass().await {
                tracing::warn!(%error, "the alerts pass failed");
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    // ---- reading

    async fn silences_of(&self, projects: &[String]) -> Result<Vec<Silence>> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(store::silences(&mut conn, projects, self.clock.now())
            .await?
            .into_iter()
            .map(silence_of)
            .collect())
    }

    async fn list(&self, filter: AlertFilter, query: &AlertQuery) -> Result<Vec<Alert>> {
        let now = self.clock.now();
        let state = query.state.as_deref().filter(|s| !s.is_empty());
        let silenced = match state {
            None => None,
            Some("silenced") => Some(true),
            Some("firing" | "pending") => Some(false),
            Some("resolved") => None,
            Some(other) => {
                return Err(DomainError::invalid(
                    "state",
                    "constraint",
                    format!("`{other}` is not a state: firing, pending, resolved or silenced"),
                ))
            }
        };
        let filter = AlertFilter {
            state: state.filter(|s| *s != "silenced").map(str::to_string),
            ..filter
        };
        let silences = self.silences_of(&filter.projects).await?;
        let mut conn = self.database.pool().acquire().await?;
        let rows = store::list(&mut conn, &filter, LIST_LIMIT).await?;
        Ok(rows
            .into_iter()
            .map(|row| alert_of(row, &silences, now))
            .filter(|alert| match silenced {
                Some(true) => alert.is_open() && alert.silenced_by.is_some(),
                Some(false) => alert.silenced_by.is_none(),
                None => true,
            })
            .collect())
    }

    /// A cluster's alerts (open ones first).
    pub async fn cluster_alerts(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        query: &AlertQuery,
    ) -> Result<Vec<Alert>> {
        let cluster = self.service.get_cluster(caller, region, id).await?;
        self.list(
            AlertFilter {
                projects: vec![caller.project_id.clone()],
                cluster_id: Some(cluster.id),
                state: None,
            },
            query,
        )
        .await
    }

    /// The alerts of these projects (an organization's page, an API key's project).
    pub async fn project_alerts(
        &self,
        projects: &[String],
        query: &AlertQuery,
    ) -> Result<Vec<Alert>> {
        self.list(
            AlertFilter {
                projects: projects.to_vec(),
                cluster_id: None,
                state: None,
            },
            query,
        )
        .await
    }

    /// Firing alerts per cluster of these projects (not counting silenced ones).
    pub async fn firing_counts(&self, projects: &[String]) -> Result<HashMap<String, i64>> {
        let now = self.clock.now();
        let silences = self.silences_of(projects).await?;
        let mut conn = self.database.pool().acquire().await?;
        let mut counts = HashMap::new();
        for (project, cluster, rule, severity) in store::firing_keys(&mut conn, projects).await? {
            let severity = Severity::parse(&severity).unwrap_or(Severity::Warning);
            let silenced = silences.iter().any(|s| {
                s.in_force(now) && s.matches_parts(&project, Some(&cluster), &rule, severity)
            });
            if !silenced {
                *counts.entry(cluster).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    /// One alert of the caller's project.
    pub async fn alert(&self, caller: &Caller, id: &str) -> Result<Alert> {
        let mut conn = self.database.pool().acquire().await?;
        let row = store::get(&mut conn, id)
            .await?
            .filter(|row| row.project_id == caller.project_id)
            .ok_or_else(|| DomainError::not_found("alert", id))?;
        drop(conn);
        let silences = self
            .silences_of(std::slice::from_ref(&caller.project_id))
            .await?;
        Ok(alert_of(row, &silences, self.clock.now()))
    }

    /// Any alert by id, whoever's it is: for a caller that checks the person's access to its
    /// project next (the console, whose forms carry only the alert's id).
    pub async fn find(&self, id: &str) -> Result<Option<Alert>> {
        let mut conn = self.database.pool().acquire().await?;
        let Some(row) = store::get(&mut conn, id).await? else {
            return Ok(None);
        };
        drop(conn);
        let silences = self
            .silences_of(std::slice::from_ref(&row.project_id))
            .await?;
        Ok(Some(alert_of(row, &silences, self.clock.now())))
    }

    /// Any silence by id (as [`Self::find`]).
    pub async fn find_silence(&self, id: &str) -> Result<Option<Silence>> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(store::silence(&mut conn, id).await?.map(silence_of))
    }

    /// The silences of these projects in force or to come.
    pub async fn silences(&self, projects: &[String]) -> Result<Vec<Silence>> {
        self.silences_of(projects).await
    }

    // ---- acting (the one path: each change is one audited entry, in its transaction)

    /// Records who acknowledged an alert and why (a note is required).
    pub async fn acknowledge(&self, caller: &Caller, id: &str, note: &str) -> Result<Alert> {
        let note = note.trim();
        let alert = self.alert(caller, id).await;
        let target = target_of(
            caller,
            "alert",
            id,
            alert.as_ref().ok().and_then(|a| a.cluster_id.as_deref()),
        );
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "alert.acknowledge",
            target,
            None,
            |alert: &Alert, change| {
                change.after = Some(serde_json::json!({
                    "rule": alert.rule,
                    "note": alert.acknowledgement.as_ref().map(|a| a.note.clone()),
                }))
            },
        );
        let recording = caller.recording(pending.clone());
        let result = async {
            let mut alert = alert?;
            if note.is_empty() {
                return Err(DomainError::invalid(
                    "note",
                    "required",
                    "say what is being done about it",
                ));
            }
            if note.chars().count() > 500 {
                return Err(DomainError::invalid(
                    "note",
                    "constraint",
                    "at most 500 characters",
                ));
            }
            let now = self.clock.now();
            let by = caller.actor.name();
            let mut transaction = self.database.begin().await?;
            if !store::acknowledge(&mut transaction, id, &by, now, note).await? {
                return Err(DomainError::precondition(
                    "alert",
                    match alert.acknowledgement {
                        Some(earlier) => {
                            format!("this alert was already acknowledged by {}", earlier.by)
                        }
                        None => "this alert has resolved: nothing is left to acknowledge".into(),
                    },
                ));
            }
            alert.acknowledgement = Some(Acknowledgement {
                by,
                at: now,
                note: note.to_string(),
            });
            recording.commit_change(transaction, &alert).await?;
            Ok(alert)
        }
        .await;
        changes.settle(&pending, result).await
    }

    /// Silences the caller's project's alerts matching the request, for its duration.
    pub async fn silence(&self, caller: &Caller, request: &SilenceRequest) -> Result<Silence> {
        let id = self.ids.uuid();
        let target = target_of(caller, "silence", &id, request.cluster_id.as_deref());
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "alert.silence",
            target,
            None,
            |silence: &Silence, change| {
                change.after = Some(serde_json::json!({
                    "cluster_id": silence.cluster_id,
                    "rule": silence.rule,
                    "severity": silence.severity,
                    "reason": silence.reason,
                    "expires_at": silence.expires_at,
                }))
            },
        );
        let recording = caller.recording(pending.clone());
        let result = async {
            let silence = self.silence_of_request(caller, id, request).await?;
            let mut transaction = self.database.begin().await?;
            store::add_silence(
                &mut transaction,
                &SilenceRow {
                    id: silence.id.clone(),
                    organization_id: caller.organization_id.clone(),
                    project_id: silence.project_id.clone(),
                    cluster_id: silence.cluster_id.clone(),
                    rule: silence.rule.clone(),
                    severity: silence.severity.map(|s| s.as_str().to_string()),
                    reason: silence.reason.clone(),
                    created_by: silence.created_by.clone(),
                    created_at: silence.created_at,
                    expires_at: silence.expires_at,
                },
            )
            .await?;
            recording.commit_change(transaction, &silence).await?;
            Ok(silence)
        }
        .await;
        changes.settle(&pending, result).await
    }

    /// Checks a silence request: its matchers, reason and duration.
    async fn silence_of_request(
        &self,
        caller: &Caller,
        id: String,
        request: &SilenceRequest,
    ) -> Result<Silence> {
        let cluster_id = request.cluster_id.clone().filter(|c| !c.trim().is_empty());
        let rule = request.rule.clone().filter(|r| !r.is_empty());
        let severity = match request.severity.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(Severity::parse(text).ok_or_else(|| {
                DomainError::invalid("severity", "constraint", "critical, warning or info")
            })?),
        };
        if cluster_id.is_none() && rule.is_none() && severity.is_none() {
            return Err(DomainError::invalid(
                "matchers",
                "required",
                "name at least a cluster, a rule or a severity: a silence of everything hides what you must see",
            ));
        }
        if let Some(rule) = &rule {
            if rules::rule(rule).is_none() {
                return Err(DomainError::invalid(
                    "rule",
                    "constraint",
                    format!("`{rule}` is not a rule"),
                ));
            }
        }
        if let Some(cluster) = &cluster_id {
            // Only a cluster of the caller's project.
            let mut conn = self.database.pool().acquire().await?;
            let owned = crate::store::cluster_owners::owner(&mut conn, cluster).await?;
            if owned.as_ref().map(|(project, _)| project.as_str())
                != Some(caller.project_id.as_str())
            {
                return Err(DomainError::not_found("cluster", cluster));
            }
        }
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(DomainError::invalid(
                "reason",
                "required",
                "say why these alerts may be silent",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(DomainError::invalid(
                "reason",
                "constraint",
                "at most 500 characters",
            ));
        }
        if request.duration_hours < 1 || request.duration_hours > MAX_SILENCE_DAYS * 24 {
            return Err(DomainError::invalid(
                "duration_hours",
                "constraint",
                format!("from 1 hour to {MAX_SILENCE_DAYS} days"),
            ));
        }
        let now = self.clock.now();
        Ok(Silence {
            id,
            project_id: caller.project_id.clone(),
            cluster_id,
            rule,
            severity,
            reason: reason.to_string(),
            created_by: caller.actor.name(),
            created_at: now,
            expires_at: now + Duration::hours(request.duration_hours),
        })
    }

    /// Ends a silence of the caller's project now.
    pub async fn expire_silence(&self, caller: &Caller, id: &str) -> Result<Silence> {
        let target = target_of(caller, "silence", id, None);
        let changes = self.service.changes();
        let pending = changes.pending(
            caller,
            "alert.unsilence",
            target,
            None,
            |silence: &Silence, change| {
                change.after = Some(serde_json::json!({ "expires_at": silence.expires_at }))
            },
        );
        let recording = caller.recording(pending.clone());
        let result = async {
            let now = self.clock.now();
            let mut transaction = self.database.begin().await?;
            let silence = store::silence(&mut transaction, id)
                .await?
                .filter(|s| s.project_id == caller.project_id)
                .map(silence_of)
                .ok_or_else(|| DomainError::not_found("silence", id))?;
            if !store::expire_silence(&mut transaction, id, now).await? {
                return Err(DomainError::precondition(
                    "silence",
                    "this silence has already ended",
                ));
            }
            let silence = Silence {
                expires_at: now,
                ..silence
            };
            recording.commit_change(transaction, &silence).await?;
            Ok(silence)
        }
        .await;
        changes.settle(&pending, result).await
    }
}
