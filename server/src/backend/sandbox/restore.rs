//! The sandbox's etcd snapshots and its restores: what a snapshot captures, what a restore of
//! each scope changes (to the provider's defaults, or back to a snapshot for an undo), the
//! refusals before anything changes (a missing or corrupt snapshot, a busy cluster), and the
//! restore's steps, which the reconciler advances against a deadline.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use super::components::{default_components, CONTROL_PLANE, SYSTEM_APP};
use super::reconciler::kinds::{OperationKind, Step};
use super::store::inventory::{self, Component, DisruptionBudgetRow};
use super::store::operations::{self, Operation};
use super::store::snapshots::{self, SnapshotRow, AVAILABLE, CORRUPT, MISSING};
use super::store::{clusters, nodes, pools};
use super::{require_settled_cluster, Provisioning};
use crate::domain::model::{Caller, Cluster, ClusterStatus, NodeStatus};
use crate::domain::restore::{
    EtcdSnapshot, ProviderRestore, RestoreChange, RestoreRequest, RestoreScope, RestoreState,
    RestoreStepProgress,
};
use crate::domain::DomainError;
use crate::store::rows::{millis, time};

/// Why a snapshot was taken.
pub const PERIODIC: &str = "periodic";
pub const PRE_UPGRADE: &str = "pre_upgrade";
pub const PRE_ROLLBACK: &str = "pre_rollback";
pub const PRE_RESTORE: &str = "pre_restore";

/// How many clusters one reconciler pass snapshots at most (the rest are due next pass).
const SNAPSHOTS_PER_PASS: i64 = 50;

/// The control-plane configuration a restore of scope 2 resets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlPlaneConfig {
    pub feature_gates: Vec<String>,
    pub admission_plugins: Vec<String>,
    pub open_id_connect_config: Value,
}

impl ControlPlaneConfig {
    fn of(cluster: &Cluster) -> ControlPlaneConfig {
        ControlPlaneConfig {
            feature_gates: cluster.feature_gates.clone(),
            admission_plugins: cluster.admission_plugins.clone(),
            open_id_connect_config: cluster.open_id_connect_config.clone(),
        }
    }

    /// What a new cluster starts with: no extra feature gate or admission plugin, no OIDC.
    fn provider_default() -> ControlPlaneConfig {
        ControlPlaneConfig {
            feature_gates: Vec::new(),
            admission_plugins: Vec::new(),
            open_id_connect_config: json!({}),
        }
    }

    fn fields(&self) -> [(&'static str, Value); 3] {
        [
            ("feature_gates", json!(self.feature_gates)),
            ("admission_plugins", json!(self.admission_plugins)),
            (
                "open_id_connect_config",
                self.open_id_connect_config.clone(),
            ),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotComponent {
    pub name: String,
    pub kind: String,
    pub version: String,
    pub health: String,
    pub managed_by: String,
}

impl From<&Component> for SnapshotComponent {
    fn from(c: &Component) -> Self {
        SnapshotComponent {
            name: c.name.clone(),
            kind: c.kind.clone(),
            version: c.version.clone(),
            health: c.health.clone(),
            managed_by: c.managed_by.clone(),
        }
    }
}

impl From<&SnapshotComponent> for Component {
    fn from(c: &SnapshotComponent) -> Self {
        Component {
            name: c.name.clone(),
            kind: c.kind.clone(),
            version: c.version.clone(),
            health: c.health.clone(),
            managed_by: c.managed_by.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SnapshotWorkload {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotPdb {
    pub namespace: String,
    pub name: String,
    pub disruptions_allowed: i64,
    pub pool_id: Option<String>,
}

/// What an etcd snapshot holds: the Kubernetes objects the sandbox models (workload API usage,
/// PDBs), the components and the control-plane configuration, at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotContent {
    pub kubernetes_version: String,
    pub components: Vec<SnapshotComponent>,
    pub control_plane: ControlPlaneConfig,
    pub workloads: Vec<SnapshotWorkload>,
    pub pdbs: Vec<SnapshotPdb>,
}

fn checksum(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// What the cluster holds now.
async fn capture(
    conn: &mut AnyConnection,
    cluster: &Cluster,
) -> Result<SnapshotContent, DomainError> {
    let components = inventory::components(conn, &cluster.id).await?;
    let workloads = inventory::workloads(conn, &cluster.id).await?;
    let pdbs = inventory::pdbs(conn, &cluster.id).await?;
    Ok(SnapshotContent {
        kubernetes_version: cluster.version.clone(),
        components: components.iter().map(SnapshotComponent::from).collect(),
        control_plane: ControlPlaneConfig::of(cluster),
        workloads: workloads
            .into_iter()
            .map(|(api_version, kind, namespace, name)| SnapshotWorkload {
                api_version,
                kind,
                namespace,
                name,
            })
            .collect(),
        pdbs: pdbs
            .into_iter()
            .map(|row| SnapshotPdb {
                namespace: row.namespace,
                name: row.name,
                disruptions_allowed: row.disruptions_allowed,
                pool_id: row.pool_id,
            })
            .collect(),
    })
}

fn view(row: &SnapshotRow) -> EtcdSnapshot {
    EtcdSnapshot {
        id: row.id.clone(),
        cluster_id: row.cluster_id.clone(),
        taken_at: row.taken_at,
        size_bytes: row.size_bytes,
        reason: row.reason.clone(),
        state: row.state.clone(),
    }
}

/// The snapshot's content, if it can be restored: it exists for this cluster, is available and
/// its bytes are those written. Refused otherwise, saying what is wrong with it.
fn readable(
    row: Option<SnapshotRow>,
    cluster_id: &str,
    id: &str,
) -> Result<SnapshotContent, DomainError> {
    let Some(row) = row.filter(|row| row.cluster_id == cluster_id) else {
        return Err(DomainError::not_found("etcd_snapshot", id));
    };
    let refused = |why: String| DomainError::precondition("snapshot_unusable", why);
    match row.state.as_str() {
        AVAILABLE => {}
        MISSING => {
            return Err(refused(format!(
                "snapshot {id} (taken {}) is missing from the provider's storage: it cannot be restored; pick another",
                row.taken_at.format("%Y-%m-%d %H:%M UTC")
            )))
        }
        _ => {
            return Err(refused(format!(
                "snapshot {id} (taken {}) is corrupt: it cannot be restored; pick another",
                row.taken_at.format("%Y-%m-%d %H:%M UTC")
            )))
        }
    }
    if checksum(&row.content) != row.checksum {
        return Err(refused(format!(
            "snapshot {id} is corrupt (its checksum does not match): it cannot be restored; pick another"
        )));
    }
    serde_json::from_str(&row.content).map_err(|_| {
        refused(format!(
            "snapshot {id} is corrupt (unreadable): pick another"
        ))
    })
}

impl Provisioning {
    /// Takes a snapshot of `cluster` now, in the caller's transaction.
    pub(crate) async fn take_snapshot(
        &self,
        conn: &mut AnyConnection,
        cluster: &Cluster,
        reason: &str,
    ) -> Result<SnapshotRow, DomainError> {
        let content = capture(conn, cluster).await?;
        let text = serde_json::to_string(&content)
            .map_err(|error| DomainError::Provider(format!("snapshot not written: {error}")))?;
        let row = SnapshotRow {
            id: self.ids.uuid(),
            cluster_id: cluster.id.clone(),
            taken_at: self.now(),
            size_bytes: text.len() as i64,
            reason: reason.to_string(),
            state: AVAILABLE.to_string(),
            checksum: checksum(&text),
            content: text,
        };
        snapshots::insert(conn, &row).await?;
        Ok(row)
    }

    /// The reconciler's periodic snapshots: every settled cluster without one for an interval
    /// gets one (a bounded number per pass); periodic ones past their retention are forgotten.
    pub async fn take_due_snapshots(&self) -> Result<usize, DomainError> {
        let now = self.now();
        let due = {
            let mut conn = self.database.pool().acquire().await?;
            snapshots::prune_periodic(&mut conn, now - self.timing.snapshot_retention()).await?;
            snapshots::clusters_due(
                &mut conn,
                now - self.timing.snapshot_interval(),
                SNAPSHOTS_PER_PASS,
            )
            .await?
        };
        let mut taken = 0;
        for cluster_id in due {
            let mut transaction = self.database.begin().await?;
            clusters::lock(&mut transaction, &cluster_id).await?;
            let Some(cluster) = clusters::get(&mut transaction, &cluster_id).await? else {
                continue;
            };
            if cluster.status.is_transient() {
                continue;
            }
            self.take_snapshot(&mut transaction, &cluster, PERIODIC)
                .await?;
            transaction.commit().await?;
            taken += 1;
        }
        Ok(taken)
    }

    /// The cluster's snapshots, newest first.
    pub async fn list_snapshots(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
    ) -> Result<Vec<EtcdSnapshot>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        let cluster = self
            .owned_cluster(&mut conn, caller, region, cluster_id)
            .await?;
        Ok(snapshots::of_cluster(&mut conn, &cluster.id)
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// Fault injection (operators and tests): a snapshot becomes `corrupt` or `missing`, or
    /// `available` again.
    pub async fn set_snapshot_state(
        &self,
        caller: &Caller,
        cluster_id: &str,
        snapshot_id: &str,
        state: &str,
    ) -> Result<(), DomainError> {
        if ![AVAILABLE, CORRUPT, MISSING].contains(&state) {
            return Err(DomainError::invalid(
                "state",
                "constraint",
                format!("`{state}` is not a snapshot state: use available, corrupt or missing"),
            ));
        }
        let mut transaction = self.database.begin().await?;
        let of_cluster = snapshots::get(&mut transaction, snapshot_id)
            .await?
            .is_some_and(|row| row.cluster_id == cluster_id);
        if !of_cluster || !snapshots::set_state(&mut transaction, snapshot_id, state).await? {
            return Err(DomainError::not_found("etcd_snapshot", snapshot_id));
        }
        caller.commit_change(transaction, &()).await
    }

    /// What a restore would change now, part by part (nothing is written).
    pub async fn preview_restore(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
        request: &RestoreRequest,
    ) -> Result<Vec<RestoreChange>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        let cluster = self
            .owned_cluster(&mut conn, caller, region, cluster_id)
            .await?;
        let plan = plan(&mut conn, &cluster, request).await?;
        Ok(plan.changes(&capture(&mut conn, &cluster).await?))
    }

    /// Starts a restore: refused before anything changes when the cluster is busy or a snapshot
    /// it needs cannot be used; otherwise, in one transaction, a snapshot of the cluster as it
    /// is (what an undo returns to), the cluster `updating`, and the restore's operation.
    pub async fn start_restore(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
        request: &RestoreRequest,
    ) -> Result<ProviderRestore, DomainError> {
        let (mut transaction, mut cluster) =
            self.begin_on_cluster(caller, region, cluster_id).await?;
        require_settled_cluster(&cluster)?;
        if let Some(busy) = pools::of_cluster(&mut transaction, cluster_id)
            .await?
            .into_iter()
            .find(|pool| pool.status.is_transient())
        {
            return Err(DomainError::precondition(
                "restore_blocked",
                format!(
                    "pool {} is {}: a restore waits until it settles",
                    busy.name, busy.status
                ),
            ));
        }
        let plan = plan(&mut transaction, &cluster, request).await?;
        let before = self
            .take_snapshot(&mut transaction, &cluster, PRE_RESTORE)
            .await?;
        let now = self.now();
        let deadline = now + self.timing.restore_deadline();
        cluster.status = cluster.status.to(ClusterStatus::Updating)?;
        cluster.updated_at = now;
        clusters::update(&mut transaction, &cluster).await?;
        let params = json!({
            "scope": request.scope.as_str(),
            "snapshot_id": request.snapshot_id,
            "undo_to": request.undo_to,
            "pre_restore_snapshot_id": before.id,
            "deadline_at": millis(deadline),
            "started_at": millis(now),
            "plan": serde_json::to_value(&plan).map_err(|e| DomainError::Provider(e.to_string()))?,
            "steps": {},
        });
        let id = self
            .enqueue(
                &mut transaction,
                OperationKind::RestoreCluster,
                cluster_id,
                cluster_id,
                params,
            )
            .await?;
        self.record_event(
            &mut transaction,
            cluster_id,
            "cluster",
            cluster_id,
            "RestoreStarted",
            format!(
                "restore of {} started ({}); snapshot {} taken first",
                cluster.name,
                request.scope.label(),
                before.id
            ),
        )
        .await?;
        let operation = operations::get(&mut transaction, &id)
            .await?
            .ok_or_else(|| DomainError::not_found("restore", &id))?;
        let restore = progress_of(&operation)?;
        caller.commit_change(transaction, &restore).await?;
        Ok(restore)
    }

    /// Where a restore of the caller's cluster stands.
    pub async fn restore_status(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
        restore_id: &str,
    ) -> Result<ProviderRestore, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        let cluster = self
            .owned_cluster(&mut conn, caller, region, cluster_id)
            .await?;
        match operations::get(&mut conn, restore_id).await? {
            Some(op)
                if op.cluster_id == cluster.id
                    && op.kind == OperationKind::RestoreCluster.as_str() =>
            {
                progress_of(&op)
            }
            _ => Err(DomainError::not_found("restore", restore_id)),
        }
    }
}

/// What a restore sets, decided when it starts: the components of each part and the
/// control-plane configuration (the etcd part reads its snapshot at its step, checking it again).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestorePlan {
    pub scope: RestoreScope,
    pub system_apps: Vec<SnapshotComponent>,
    pub control_plane_components: Vec<SnapshotComponent>,
    pub control_plane: Option<ControlPlaneConfig>,
    /// The etcd objects that come back (scope etcd).
    pub etcd: Option<EtcdObjects>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EtcdObjects {
    pub snapshot_id: String,
    pub workloads: Vec<SnapshotWorkload>,
    pub pdbs: Vec<SnapshotPdb>,
}

/// Decides what a restore sets, refusing what cannot be done before anything changes.
async fn plan(
    conn: &mut AnyConnection,
    cluster: &Cluster,
    request: &RestoreRequest,
) -> Result<RestorePlan, DomainError> {
    let scope = request.scope;
    if scope != RestoreScope::Etcd && request.snapshot_id.is_some() {
        return Err(DomainError::invalid(
            "snapshot_id",
            "constraint",
            "only a restore of etcd's contents (scope etcd) uses a snapshot",
        ));
    }
    // An undo returns to its snapshot; a restore to the provider's defaults.
    let undo_to = match &request.undo_to {
        Some(id) => Some(readable(snapshots::get(conn, id).await?, &cluster.id, id)?),
        None => None,
    };
    let etcd_source = match (scope, &request.snapshot_id, &undo_to, &request.undo_to) {
        (RestoreScope::Etcd, _, Some(content), Some(id)) => Some((id.clone(), content.clone())),
        (RestoreScope::Etcd, Some(id), None, _) => {
            Some((id.clone(), readable(snapshots::get(conn, id).await?, &cluster.id, id)?))
        }
        (RestoreScope::Etcd, None, None, _) => {
            return Err(DomainError::invalid(
                "snapshot_id",
                "required",
                "a restore of etcd's contents needs the snapshot to restore: list the cluster's snapshots and pick one",
            ))
        }
        _ => None,
    };
    let current = inventory::components(conn, &cluster.id).await?;
    let defaults = default_components(&cluster.version, &cluster.cni);
    let target_of = |component: &Component| -> Option<SnapshotComponent> {
        match &undo_to {
            Some(content) => content
                .components
                .iter()
                .find(|c| c.name == component.name)
                .cloned(),
            None => defaults
                .iter()
                .find(|c| c.name == component.name)
                .map(SnapshotComponent::from),
        }
    };
    // A component the user took over is theirs: a restore never touches it.
    let targets = |kind: &str| -> Vec<SnapshotComponent> {
        current
            .iter()
            .filter(|c| c.kind == kind && c.managed_by == "provider")
            .filter_map(&target_of)
            .collect()
    };
    let with_control_plane = scope.includes(RestoreScope::ControlPlane);
    Ok(RestorePlan {
        scope,
        system_apps: targets(SYSTEM_APP),
        control_plane_components: if with_control_plane {
            targets(CONTROL_PLANE)
        } else {
            Vec::new()
        },
        control_plane: with_control_plane.then(|| match &undo_to {
            Some(content) => content.control_plane.clone(),
            None => ControlPlaneConfig::provider_default(),
        }),
        etcd: etcd_source.map(|(snapshot_id, content)| EtcdObjects {
            snapshot_id,
            workloads: content.workloads,
            pdbs: content.pdbs,
        }),
    })
}

fn workload_name(w: &SnapshotWorkload) -> String {
    format!("{}/{}", w.namespace, w.name)
}

impl RestorePlan {
    /// Every field the plan changes from what `now` holds, in the order the steps apply them.
    pub fn changes(&self, now: &SnapshotContent) -> Vec<RestoreChange> {
        let mut changes = Vec::new();
        let mut components = |part: &str, targets: &[SnapshotComponent]| {
            for target in targets {
                let Some(current) = now.components.iter().find(|c| c.name == target.name) else {
                    continue;
                };
                for (field, from, to) in [
                    ("version", &current.version, &target.version),
                    ("health", &current.health, &target.health),
                    ("managed_by", &current.managed_by, &target.managed_by),
                ] {
                    if from != to {
                        changes.push(RestoreChange {
                            part: part.to_string(),
                            name: target.name.clone(),
                            field: field.to_string(),
                            from: json!(from),
                            to: json!(to),
                        });
                    }
                }
            }
        };
        components(RestoreScope::SystemApps.as_str(), &self.system_apps);
        components(
            RestoreScope::ControlPlane.as_str(),
            &self.control_plane_components,
        );
        if let Some(config) = &self.control_plane {
            for ((field, from), (_, to)) in
                now.control_plane.fields().into_iter().zip(config.fields())
            {
                if from != to {
                    changes.push(RestoreChange {
                        part: RestoreScope::ControlPlane.as_str().to_string(),
                        name: field.to_string(),
                        field: field.to_string(),
                        from,
                        to,
                    });
                }
            }
        }
        if let Some(etcd) = &self.etcd {
            let describe = |w: &SnapshotWorkload| json!(format!("{} {}", w.api_version, w.kind));
            for gone in now.workloads.iter().filter(|w| !etcd.workloads.contains(w)) {
                changes.push(RestoreChange {
                    part: RestoreScope::Etcd.as_str().to_string(),
                    name: workload_name(gone),
                    field: "workload".to_string(),
                    from: describe(gone),
                    to: Value::Null,
                });
            }
            for back in etcd.workloads.iter().filter(|w| !now.workloads.contains(w)) {
                changes.push(RestoreChange {
                    part: RestoreScope::Etcd.as_str().to_string(),
                    name: workload_name(back),
                    field: "workload".to_string(),
                    from: Value::Null,
                    to: describe(back),
                });
            }
            let pdb = |p: &SnapshotPdb| json!({ "disruptions_allowed": p.disruptions_allowed, "pool_id": p.pool_id });
            let key = |p: &SnapshotPdb| format!("{}/{}", p.namespace, p.name);
            for current in &now.pdbs {
                let target = etcd.pdbs.iter().find(|p| key(p) == key(current));
                let to = target.map(pdb).unwrap_or(Value::Null);
                if to != pdb(current) {
                    changes.push(RestoreChange {
                        part: RestoreScope::Etcd.as_str().to_string(),
                        name: key(current),
                        field: "pdb".to_string(),
                        from: pdb(current),
                        to,
                    });
                }
            }
            for back in etcd
                .pdbs
                .iter()
                .filter(|p| !now.pdbs.iter().any(|c| key(c) == key(p)))
            {
                changes.push(RestoreChange {
                    part: RestoreScope::Etcd.as_str().to_string(),
                    name: key(back),
                    field: "pdb".to_string(),
                    from: Value::Null,
                    to: pdb(back),
                });
            }
        }
        changes
    }
}

// ---- the restore's steps, advanced by the reconciler

fn param_time(op: &Operation, key: &str) -> Option<DateTime<Utc>> {
    op.params.get(key).and_then(Value::as_i64).map(time)
}

fn parts(scope: RestoreScope) -> Vec<RestoreScope> {
    RestoreScope::ALL
        .into_iter()
        .filter(|part| scope.includes(*part))
        .collect()
}

fn step_of(part: RestoreScope) -> Step {
    match part {
        RestoreScope::SystemApps => Step::SystemApps,
        RestoreScope::ControlPlane => Step::ControlPlaneConfig,
        RestoreScope::Etcd => Step::Etcd,
    }
}

fn part_of(step: &str) -> Option<RestoreScope> {
    RestoreScope::ALL
        .into_iter()
        .find(|part| step_of(*part).as_str() == step)
}

fn duration_of(p: &Provisioning, part: RestoreScope) -> Duration {
    match part {
        RestoreScope::SystemApps => p.timing.restore_system_apps(),
        RestoreScope::ControlPlane => p.timing.restore_control_plane(),
        RestoreScope::Etcd => p.timing.restore_etcd(),
    }
}

fn set_step_time(op: &mut Operation, part: RestoreScope, key: &str, at: DateTime<Utc>) {
    if let Some(steps) = op.params.get_mut("steps").and_then(Value::as_object_mut) {
        let entry = steps
            .entry(part.as_str().to_string())
            .or_insert_with(|| json!({}));
        entry[key] = json!(millis(at));
    }
}

fn set_waiting(op: &mut Operation, waiting_on: Option<String>) {
    if let Value::Object(params) = &mut op.params {
        params.insert("waiting_on".into(), json!(waiting_on));
    }
}

fn restore_plan(op: &Operation) -> Result<RestorePlan, DomainError> {
    serde_json::from_value(op.params.get("plan").cloned().unwrap_or_default()).map_err(|error| {
        DomainError::Provider(format!("restore {} has no readable plan: {error}", op.id))
    })
}

/// Starts the timed step of `part`.
fn begin_part(p: &Provisioning, op: &mut Operation, part: RestoreScope) -> super::reconciler::Next {
    let now = p.now();
    set_step_time(op, part, "started_at", now);
    set_waiting(op, None);
    let duration = duration_of(p, part);
    if let Value::Object(params) = &mut op.params {
        params.insert("due_at".into(), json!(millis(now + duration)));
    }
    super::reconciler::Next::Continue {
        step: step_of(part),
        after: duration,
    }
}

/// One step of a restore operation.
pub(crate) async fn step(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<super::reconciler::Next, DomainError> {
    use super::reconciler::Next;
    let Some(mut cluster) = clusters::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    if cluster.status != ClusterStatus::Updating {
        return Ok(Next::Done); // deleted or taken over meanwhile
    }
    let plan = restore_plan(op)?;
    let scope_parts = parts(plan.scope);
    if op.step == Step::Start.as_str() {
        return Ok(begin_part(p, op, scope_parts[0]));
    }
    let Some(part) = part_of(&op.step) else {
        return Err(DomainError::precondition(
            "restore_step",
            format!("restore {} stands at an unknown step `{}`", op.id, op.step),
        ));
    };
    let now = p.now();
    let deadline = param_time(op, "deadline_at").unwrap_or(now);
    if now >= deadline {
        let waiting = op
            .params
            .get("waiting_on")
            .and_then(Value::as_str)
            .map(|why| format!(": it was waiting because {why}"))
            .unwrap_or_default();
        let reason = format!(
            "the restore did not finish by its deadline ({}); step {} had not completed{waiting}. What earlier steps restored stays restored; nothing is retried.",
            deadline.format("%Y-%m-%d %H:%M:%S UTC"),
            part.as_str()
        );
        return fail(p, conn, op, &mut cluster, part, reason).await;
    }
    if let Some(due) = param_time(op, "due_at").filter(|due| now < *due) {
        return Ok(Next::Continue {
            step: step_of(part),
            after: (due - now).min(deadline - now),
        });
    }
    match part {
        RestoreScope::SystemApps => {
            // System apps are DaemonSets and Deployments: they come back only on a Ready node.
            let cluster_nodes = nodes::of_cluster(conn, &cluster.id).await?;
            if !cluster_nodes.iter().any(|n| n.status == NodeStatus::Ready) {
                let not_ready = cluster_nodes
                    .iter()
                    .filter(|n| n.status == NodeStatus::NotReady)
                    .count();
                set_waiting(
                    op,
                    Some(format!(
                        "no node is Ready, so the system apps cannot be scheduled ({} node(s), {not_ready} NotReady)",
                        cluster_nodes.len()
                    )),
                );
                return Ok(Next::Continue {
                    step: Step::SystemApps,
                    after: p.timing.poll().min(deadline - now),
                });
            }
            for component in &plan.system_apps {
                inventory::upsert_component(conn, &cluster.id, &component.into(), now).await?;
            }
        }
        RestoreScope::ControlPlane => {
            for component in &plan.control_plane_components {
                inventory::upsert_component(conn, &cluster.id, &component.into(), now).await?;
            }
            if let Some(config) = &plan.control_plane {
                cluster.feature_gates = config.feature_gates.clone();
                cluster.admission_plugins = config.admission_plugins.clone();
                cluster.open_id_connect_config = config.open_id_connect_config.clone();
                cluster.updated_at = now;
                clusters::update(conn, &cluster).await?;
            }
        }
        RestoreScope::Etcd => {
            let Some(etcd) = &plan.etcd else {
                return Err(DomainError::Provider(format!(
                    "restore {} has no etcd contents",
                    op.id
                )));
            };
            // Checked again: a snapshot that broke since the start ends the restore at once.
            if let Err(error) = readable(
                snapshots::get(conn, &etcd.snapshot_id).await?,
                &cluster.id,
                &etcd.snapshot_id,
            ) {
                return fail(
                    p,
                    conn,
                    op,
                    &mut cluster,
                    part,
                    format!("etcd's contents were not restored: {error}"),
                )
                .await;
            }
            snapshots::clear_etcd_objects(conn, &cluster.id).await?;
            for w in &etcd.workloads {
                inventory::record_workload(
                    conn,
                    &cluster.id,
                    &w.api_version,
                    &w.kind,
                    &w.namespace,
                    &w.name,
                )
                .await?;
            }
            for pdb in &etcd.pdbs {
                let row = DisruptionBudgetRow {
                    namespace: pdb.namespace.clone(),
                    name: pdb.name.clone(),
                    disruptions_allowed: pdb.disruptions_allowed,
                    pool_id: pdb.pool_id.clone(),
                };
                inventory::upsert_pdb(conn, &cluster.id, &row).await?;
            }
        }
    }
    set_step_time(op, part, "finished_at", now);
    set_waiting(op, None);
    p.record_event(
        conn,
        &cluster.id,
        "cluster",
        &cluster.id,
        "RestoreStepDone",
        format!("restore: {} restored", part.label_of_part()),
    )
    .await?;
    if let Some(next) = scope_parts.iter().find(|next| **next > part) {
        return Ok(begin_part(p, op, *next));
    }
    cluster.status = cluster.status.to(ClusterStatus::Ready)?;
    cluster.updated_at = now;
    clusters::update(conn, &cluster).await?;
    p.record_event(
        conn,
        &cluster.id,
        "cluster",
        &cluster.id,
        "RestoreSucceeded",
        format!(
            "restore of {} finished ({})",
            cluster.name,
            plan.scope.label()
        ),
    )
    .await?;
    Ok(Next::Done)
}

/// Ends a restore Failed with its reason: the cluster is settled again, as the steps left it.
async fn fail(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
    cluster: &mut Cluster,
    part: RestoreScope,
    reason: String,
) -> Result<super::reconciler::Next, DomainError> {
    let now = p.now();
    if let Value::Object(params) = &mut op.params {
        params.insert("failed_step".into(), json!(part.as_str()));
    }
    cluster.status = cluster.status.to(ClusterStatus::Ready)?;
    cluster.updated_at = now;
    clusters::update(conn, cluster).await?;
    p.record_event(
        conn,
        &cluster.id,
        "cluster",
        &cluster.id,
        "RestoreFailed",
        reason.clone(),
    )
    .await?;
    Ok(super::reconciler::Next::Fail { reason })
}

impl RestoreScope {
    fn label_of_part(self) -> &'static str {
        match self {
            RestoreScope::SystemApps => "system apps",
            RestoreScope::ControlPlane => "control-plane configuration",
            RestoreScope::Etcd => "etcd contents",
        }
    }
}

/// A restore as its operation row tells it.
pub(crate) fn progress_of(op: &Operation) -> Result<ProviderRestore, DomainError> {
    let plan = restore_plan(op)?;
    let text = |key: &str| {
        op.params
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let state = match op.state.as_str() {
        operations::DONE => RestoreState::Succeeded,
        operations::FAILED => RestoreState::Failed,
        _ => RestoreState::Running,
    };
    let failed_step = text("failed_step").or_else(|| {
        (state == RestoreState::Failed)
            .then(|| op.step.clone())
            .and_then(|s| part_of(&s).map(|p| p.as_str().to_string()))
    });
    let steps = parts(plan.scope)
        .into_iter()
        .map(|part| {
            let times = op.params.get("steps").and_then(|s| s.get(part.as_str()));
            let at = |key: &str| {
                times
                    .and_then(|t| t.get(key))
                    .and_then(Value::as_i64)
                    .map(time)
            };
            let (started_at, finished_at) = (at("started_at"), at("finished_at"));
            let step_state = if finished_at.is_some() {
                "done"
            } else if failed_step.as_deref() == Some(part.as_str()) {
                "failed"
            } else if started_at.is_some() {
                "running"
            } else {
                "pending"
            };
            RestoreStepProgress {
                name: part.as_str().to_string(),
                state: step_state.to_string(),
                started_at,
                finished_at,
                waiting_on: (step_state == "running")
                    .then(|| text("waiting_on"))
                    .flatten(),
            }
        })
        .collect();
    Ok(ProviderRestore {
        id: op.id.clone(),
        cluster_id: op.cluster_id.clone(),
        scope: plan.scope,
        snapshot_id: text("snapshot_id"),
        undo_to: text("undo_to"),
        pre_restore_snapshot_id: text("pre_restore_snapshot_id").unwrap_or_default(),
        state,
        steps,
        started_at: param_time(op, "started_at").unwrap_or(op.created_at),
        deadline_at: param_time(op, "deadline_at").unwrap_or(op.created_at),
        finished_at: (state != RestoreState::Running).then_some(op.updated_at),
        failure_reason: (state == RestoreState::Failed)
            .then(|| op.last_error.clone())
            .flatten(),
    })
}
