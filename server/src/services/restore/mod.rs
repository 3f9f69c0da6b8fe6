//! The restore service, above the provisioning port: a preview of what a restore of each scope
//! changes and, by name, what it does not touch; the refusals before anything starts (another
//! change running, a viewer, a mistyped cluster name, an unusable snapshot); the start, with its
//! record and audit entry in the provider's transaction; progress; an undo for 7 days; and
//! diagnostics that say what still fails and whose it is. It reaches the provider only through
//! the provisioning service, so over a remote provider a restore answers the provider's 412.

pub mod diagnostics;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use crate::clock::SharedClock;
use crate::domain::change::Actor;
use crate::domain::ids::{ClusterId, SharedIds};
use crate::domain::model::{Caller, NodeStatus};
use crate::domain::restore::{
    EtcdSnapshot, ProviderRestore, RestoreChange, RestoreRequest, RestoreScope, RestoreState,
};
use crate::domain::DomainError;
use crate::services::changes::{target_of, WriteWith};
use crate::services::identity::Role;
use crate::services::provisioning::ProvisioningService;
use crate::store::{restore_runs, Database};

pub use diagnostics::{DiagnosticCheck, Diagnostics, Finding, Owner};

type Result<T> = std::result::Result<T, DomainError>;

/// How long a restore can be undone.
pub const UNDO_DAYS: i64 = 7;

pub const RESTORE: &str = "restore";
pub const UNDO: &str = "undo";

/// Something a restore leaves as it is, by name.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Untouched {
    /// workload, volume, load_balancer, component, kubelet_args.
    pub kind: String,
    pub name: String,
    pub why: String,
}

/// The snapshot a restore of etcd uses, and how old it is.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SnapshotChoice {
    pub snapshot: EtcdSnapshot,
    pub age_seconds: i64,
    /// "3 h 12 min", for people.
    pub age: String,
}

/// What a restore (or an undo) would do, as things are now.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RestorePreview {
    pub cluster_id: String,
    pub cluster_name: String,
    /// restore or undo.
    pub kind: String,
    pub scope: RestoreScope,
    pub snapshot: Option<SnapshotChoice>,
    /// Every field that changes, from → to, in the order the steps change them.
    pub changes: Vec<RestoreChange>,
    /// What the restore does not touch, by name.
    pub not_touched: Vec<Untouched>,
    pub warnings: Vec<String>,
    /// Why it cannot start now (another change is running), if it cannot.
    pub blocked_by: Option<String>,
    /// What to type to confirm: the cluster's name.
    pub confirm_with: String,
}

/// A restore Wheelhouse started, with the provider's progress.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RestoreRun {
    pub id: String,
    pub cluster_id: String,
    pub kind: String,
    pub scope: RestoreScope,
    pub snapshot_id: Option<String>,
    pub pre_restore_snapshot_id: String,
    pub undoes_run_id: Option<String>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    /// A restore: until when it can be undone.
    pub undo_until: Option<DateTime<Utc>>,
    /// The changes the person confirmed.
    pub confirmed_changes: Vec<RestoreChange>,
    pub progress: ProviderRestore,
}

/// Where the cluster's restores stand.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RestoreProgress {
    pub cluster_id: String,
    /// The latest restore or undo.
    pub run: Option<RestoreRun>,
    /// True while a restore or undo runs.
    pub active: bool,
    /// The restore that can be undone now, and until when.
    pub undo_available_until: Option<DateTime<Utc>>,
}

/// What a restore's start asks for.
#[derive(Clone, Debug)]
pub struct RestoreAsk<'a> {
    /// system_apps, control_plane or etcd, as asked (parsed on the recorded path).
    pub scope: &'a str,
    pub snapshot_id: Option<&'a str>,
    /// The cluster's name, typed by the person who confirms.
    pub confirm_name: &'a str,
}

#[derive(Clone)]
pub struct RestoreService {
    service: ProvisioningService,
    database: Database,
    clock: SharedClock,
    ids: SharedIds,
}

fn human_age(age: Duration) -> String {
    let minutes = age.num_minutes().max(0);
    match (minutes / (24 * 60), (minutes / 60) % 24, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

impl RestoreService {
    pub fn new(
        service: ProvisioningService,
        database: Database,
        clock: SharedClock,
        ids: SharedIds,
    ) -> Self {
        RestoreService {
            service,
            database,
            clock,
            ids,
        }
    }

    /// The cluster's etcd snapshots, newest first.
    pub async fn snapshots(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<EtcdSnapshot>> {
        self.service.list_etcd_snapshots(caller, region, id).await
    }

    /// Owners and editors restore; viewers do not; an API key acts for its project.
    async fn authorize(&self, caller: &Caller) -> Result<()> {
        if let Actor::Person { user_id, .. } = &caller.actor {
            let mut conn = self.database.pool().acquire().await?;
            let role = crate::store::users::role_in(&mut conn, user_id, &caller.project_id)
                .await?
                .as_deref()
                .and_then(Role::parse);
            if !role.is_some_and(Role::can_change) {
                return Err(DomainError::PermissionDenied(
                    "only a project's owners and editors may restore its clusters".to_string(),
                ));
            }
        }
        Ok(())
    }

    /// Why a restore cannot start now, saying which change holds the cluster: an upgrade or
    /// rollback, a node replacement (lifespan or autohealing), or another restore.
    pub async fn blocked_by(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<String>> {
        if let Some(run) = self.latest(id).await? {
            let progress = self
                .service
                .restore_status(caller, region, id, &run.provider_restore_id)
                .await?;
            if progress.state == RestoreState::Running {
                let what = if run.kind == UNDO {
                    "an undo of a restore"
                } else {
                    "another restore"
                };
                return Ok(Some(format!(
                    "{what} is running (started {} by {})",
                    run.started_at.format("%Y-%m-%d %H:%M UTC"),
                    run.started_by
                )));
            }
        }
        let upgrades = crate::services::upgrade::UpgradeService::new(
            self.service.clone(),
            self.database.clone(),
            self.clock.clone(),
            self.ids.clone(),
        );
        let progress = upgrades.progress(caller, region, id).await?;
        if progress.active {
            if let Some(run) = &progress.run {
                let what = match run.kind.as_str() {
                    crate::services::upgrade::ROLLBACK => "a rollback",
                    crate::services::upgrade::POOL_ROLLBACK => "a pool rollback",
                    _ => "an upgrade",
                };
                return Ok(Some(format!(
                    "{what} from {} to {} is running (started {} by {}): wait until it ends, or abort it",
                    run.from_version,
                    run.to_version,
                    run.started_at.format("%Y-%m-%d %H:%M UTC"),
                    run.started_by
                )));
            }
        }
        let cluster = self.service.get_cluster(caller, region, id).await?;
        if cluster.status.is_transient() {
            let what = match &cluster.target_version {
                Some(target) => format!("the cluster is {} (to {target})", cluster.status),
                None => format!("the cluster is {}", cluster.status),
            };
            return Ok(Some(format!("{what}: a restore waits until it settles")));
        }
        let pools = self.service.list_pools(caller, region, id).await?;
        if let Some(pool) = pools.iter().find(|p| p.status.is_transient()) {
            return Ok(Some(format!(
                "pool {} is {}: a restore waits until it settles",
                pool.name, pool.status
            )));
        }
        let nodes = self.service.list_nodes(caller, region, id).await?;
        let moving: Vec<_> = nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.status,
                    NodeStatus::Creating | NodeStatus::Deleting | NodeStatus::Rebooting
                )
            })
            .collect();
        if !moving.is_empty() {
            let lifespan = {
                let mut conn = self.database.pool().acquire().await?;
                crate::store::freshness::replacements(&mut conn, id.as_str()).await?
            };
            let names: Vec<String> = moving
                .iter()
                .map(|n| format!("{} ({})", n.name, n.status))
                .collect();
            let by_lifespan = moving
                .iter()
                .any(|n| lifespan.iter().any(|r| r.node_name == n.name));
            let what = if by_lifespan {
                "a lifespan replacement is running"
            } else {
                "nodes are being replaced or rebooted"
            };
            return Ok(Some(format!(
                "{what}: {}; a restore waits until they are settled",
                names.join(", ")
            )));
        }
        Ok(None)
    }

    /// The preview of a restore of `scope` (with `snapshot_id` for scope etcd).
    pub async fn preview(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        scope: RestoreScope,
        snapshot_id: Option<&str>,
    ) -> Result<RestorePreview> {
        let request = RestoreRequest {
            scope,
            snapshot_id: snapshot_id.map(str::to_string),
            undo_to: None,
        };
        self.preview_of(caller, region, id, &request, RESTORE).await
    }

    async fn preview_of(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: &RestoreRequest,
        kind: &str,
    ) -> Result<RestorePreview> {
        let cluster = self.service.get_cluster(caller, region, id).await?;
        let changes = self
            .service
            .preview_restore(caller, region, id, request)
            .await?;
        let now = self.clock.now();
        let mut warnings = Vec::new();
        let snapshot = match request.snapshot_id.as_ref().or(request.undo_to.as_ref()) {
            Some(snapshot_id) if request.scope == RestoreScope::Etcd => {
                let found = self
                    .snapshots(caller, region, id)
                    .await?
                    .into_iter()
                    .find(|s| &s.id == snapshot_id)
                    .ok_or_else(|| DomainError::not_found("etcd_snapshot", snapshot_id))?;
                let age = now - found.taken_at;
                warnings.push(format!(
                    "etcd's contents go back to snapshot {} taken {} ago ({}): every object changed in the cluster since then is lost",
                    found.id,
                    human_age(age),
                    found.taken_at.format("%Y-%m-%d %H:%M UTC")
                ));
                Some(SnapshotChoice {
                    age_seconds: age.num_seconds(),
                    age: human_age(age),
                    snapshot: found,
                })
            }
            _ => None,
        };
        warnings.push(
            "A restore puts the provider's defaults back; it does not guarantee the cluster then works: diagnostics afterwards say what still fails and whose it is.".to_string(),
        );
        if kind == RESTORE {
            warnings.push(format!(
                "A snapshot is taken first: the restore can be undone for {UNDO_DAYS} days."
            ));
        }
        let not_touched = self.not_touched(caller, region, id, request.scope).await?;
        Ok(RestorePreview {
            cluster_id: cluster.id.clone(),
            confirm_with: cluster.name.clone(),
            cluster_name: cluster.name,
            kind: kind.to_string(),
            scope: request.scope,
            snapshot,
            changes,
            not_touched,
            warnings,
            blocked_by: self.blocked_by(caller, region, id).await?,
        })
    }

    /// By name, what a restore of `scope` leaves as it is.
    async fn not_touched(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        scope: RestoreScope,
    ) -> Result<Vec<Untouched>> {
        let mut untouched = Vec::new();
        let mut add = |kind: &str, name: String, why: &str| {
            untouched.push(Untouched {
                kind: kind.to_string(),
                name,
                why: why.to_string(),
            })
        };
        if let Some(inventory) = self.service.cluster_inventory(caller, region, id).await? {
            if scope != RestoreScope::Etcd {
                for usage in &inventory.api_usage {
                    for workload in &usage.workloads {
                        add(
                            "workload",
                            format!("{workload} ({} {})", usage.api_version, usage.kind),
                            "your workloads: only a restore of etcd's contents changes them",
                        );
                    }
                }
                for pdb in &inventory.pod_disruption_budgets {
                    add(
                        "pdb",
                        format!("{}/{}", pdb.namespace, pdb.name),
                        "yours: only a restore of etcd's contents changes it",
                    );
                }
            }
            for volume in &inventory.volumes {
                add(
                    "volume",
                    volume.name.clone(),
                    "persistent volumes and their data are never touched",
                );
            }
            for lb in &inventory.load_balancers {
                add(
                    "load_balancer",
                    lb.name.clone(),
                    "load balancers are never touched",
                );
            }
            for component in inventory
                .components
                .iter()
                .filter(|c| c.managed_by != "provider")
            {
                add(
                    "component",
                    format!("{} {}", component.name, component.version),
                    "you changed it, so it is yours: a restore never touches it",
                );
            }
            if scope == RestoreScope::SystemApps {
                for component in inventory
                    .components
                    .iter()
                    .filter(|c| c.kind == "control_plane" && c.managed_by == "provider")
                {
                    add(
                        "component",
                        format!("{} {}", component.name, component.version),
                        "control plane: restored only with scope control_plane or etcd",
                    );
                }
            }
        }
        for pool in self.service.list_pools(caller, region, id).await? {
            if !pool.kubelet_args.is_empty() {
                add(
                    "kubelet_args",
                    format!("pool {}", pool.name),
                    "your custom kubelet arguments are yours and are left as they are",
                );
            }
        }
        Ok(untouched)
    }

    /// Starts a restore after the same preview, if the person may, typed the cluster's name,
    /// and nothing else runs on the cluster. Refusals are recorded and change nothing.
    pub async fn start(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        ask: RestoreAsk<'_>,
    ) -> Result<RestoreRun> {
        let scope = match parse_scope(ask.scope) {
            Ok(scope) => scope,
            Err(error) => {
                self.refused(caller, id, "restore.start", &error).await;
                return Err(error);
            }
        };
        let request = RestoreRequest {
            scope,
            snapshot_id: ask
                .snapshot_id
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            undo_to: None,
        };
        self.begin(caller, region, id, request, ask.confirm_name, None)
            .await
    }

    /// Undoes the cluster's latest restore (within 7 days): the parts it restored go back to
    /// the snapshot taken before it, after the same preview and confirmation.
    pub async fn undo(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        confirm_name: &str,
    ) -> Result<RestoreRun> {
        let undoable = match self.undoable(caller, region, id).await {
            Ok(run) => run,
            Err(error) => {
                self.refused(caller, id, "restore.undo", &error).await;
                return Err(error);
            }
        };
        let request = RestoreRequest {
            scope: stored_scope(&undoable)?,
            snapshot_id: None,
            undo_to: Some(undoable.pre_restore_snapshot_id.clone()),
        };
        self.begin(caller, region, id, request, confirm_name, Some(undoable))
            .await
    }

    /// The preview of undoing the latest restore.
    pub async fn undo_preview(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<RestorePreview> {
        let undoable = self.undoable(caller, region, id).await?;
        let request = RestoreRequest {
            scope: stored_scope(&undoable)?,
            snapshot_id: None,
            undo_to: Some(undoable.pre_restore_snapshot_id.clone()),
        };
        self.preview_of(caller, region, id, &request, UNDO).await
    }

    /// The restore an undo would undo: the latest run, a restore, over, not undone, within
    /// its undo period.
    async fn undoable(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<restore_runs::RestoreRecord> {
        self.service.get_cluster(caller, region, id).await?;
        let refused = |why: String| DomainError::precondition("undo_unavailable", why);
        let runs = {
            let mut conn = self.database.pool().acquire().await?;
            restore_runs::of_cluster(&mut conn, id.as_str()).await?
        };
        let Some(latest) = runs.first() else {
            return Err(refused(
                "no restore was started on this cluster: there is nothing to undo".into(),
            ));
        };
        if latest.kind == UNDO {
            return Err(refused(format!(
                "the latest restore was already undone ({} by {})",
                latest.started_at.format("%Y-%m-%d %H:%M UTC"),
                latest.started_by
            )));
        }
        let progress = self
            .service
            .restore_status(caller, region, id, &latest.provider_restore_id)
            .await?;
        if progress.state == RestoreState::Running {
            return Err(refused(
                "the restore is still running: it can be undone once it ends".into(),
            ));
        }
        match latest.undo_until {
            Some(until) if self.clock.now() <= until => Ok(latest.clone()),
            _ => Err(refused(format!(
                "a restore can be undone for {UNDO_DAYS} days; this one's ended {}",
                latest
                    .undo_until
                    .map(|u| u.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default()
            ))),
        }
    }

    async fn refused(
        &self,
        caller: &Caller,
        id: &ClusterId,
        action: &'static str,
        error: &DomainError,
    ) {
        let target = target_of(caller, "cluster", id, Some(id));
        self.service
            .changes()
            .refusal(caller, action, target, error)
            .await;
    }

    /// The one path of a restore's and an undo's start.
    async fn begin(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: RestoreRequest,
        confirm_name: &str,
        undoes: Option<restore_runs::RestoreRecord>,
    ) -> Result<RestoreRun> {
        let action = if undoes.is_some() {
            "restore.undo"
        } else {
            "restore.start"
        };
        let kind = if undoes.is_some() { UNDO } else { RESTORE };
        let checked = async {
            self.authorize(caller).await?;
            let preview = self.preview_of(caller, region, id, &request, kind).await?;
            if confirm_name.trim() != preview.confirm_with {
                return Err(DomainError::invalid(
                    "confirm_name",
                    "constraint",
                    format!(
                        "type the cluster's name, {}, to confirm",
                        preview.confirm_with
                    ),
                ));
            }
            if let Some(why) = &preview.blocked_by {
                return Err(DomainError::precondition(
                    "restore_blocked",
                    format!("a restore cannot start now: {why}"),
                ));
            }
            Ok(preview)
        }
        .await;
        let preview = match checked {
            Ok(preview) => preview,
            Err(error) => {
                self.refused(caller, id, action, &error).await;
                return Err(error);
            }
        };
        let now = self.clock.now();
        let record = restore_runs::RestoreRecord {
            id: self.ids.uuid(),
            cluster_id: id.to_string(),
            region: region.to_string(),
            project_id: caller.project_id.clone(),
            kind: kind.to_string(),
            scope: request.scope.as_str().to_string(),
            snapshot_id: request.snapshot_id.clone(),
            provider_restore_id: String::new(),
            pre_restore_snapshot_id: String::new(),
            undoes_run_id: undoes.as_ref().map(|run| run.id.clone()),
            preview: serde_json::to_string(&preview.changes).unwrap_or_else(|_| "[]".into()),
            started_by: caller.actor.name(),
            started_at: now,
            undo_until: (kind == RESTORE).then(|| now + Duration::days(UNDO_DAYS)),
        };
        // The run's record is written in the provider's transaction, with the audit entry.
        let written = record.clone();
        let write_with: WriteWith = Box::new(move |conn, provider| {
            let mut run = written.clone();
            Box::pin(async move {
                let Some(provider) = provider.downcast_ref::<ProviderRestore>() else {
                    return Ok(());
                };
                run.provider_restore_id.clone_from(&provider.id);
                run.pre_restore_snapshot_id
                    .clone_from(&provider.pre_restore_snapshot_id);
                restore_runs::insert(conn, &run).await?;
                Ok(())
            })
        });
        let before = json!({
            "scope": request.scope.as_str(),
            "snapshot_id": request.snapshot_id,
            "undoes_run_id": record.undoes_run_id,
            "changes": preview.changes,
        });
        let run_id = record.id.clone();
        let target = target_of(caller, "cluster", id, Some(id));
        let pending = self.service.changes().pending_writing(
            caller,
            action,
            target,
            Some(before),
            move |restore: &ProviderRestore, change| {
                change.after = Some(json!({
                    "run_id": run_id,
                    "restore_id": restore.id,
                    "scope": restore.scope.as_str(),
                    "snapshot_id": restore.snapshot_id,
                    "pre_restore_snapshot_id": restore.pre_restore_snapshot_id,
                    "deadline_at": restore.deadline_at,
                }))
            },
            Some(write_with),
        );
        let result = self
            .service
            .start_restore(&caller.recording(pending.clone()), region, id, &request)
            .await;
        let provider = self.service.changes().settle(&pending, result).await?;
        Ok(run_of(
            restore_runs::RestoreRecord {
                provider_restore_id: provider.id.clone(),
                pre_restore_snapshot_id: provider.pre_restore_snapshot_id.clone(),
                ..record
            },
            provider,
        ))
    }

    async fn latest(&self, id: &ClusterId) -> Result<Option<restore_runs::RestoreRecord>> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(restore_runs::of_cluster(&mut conn, id.as_str())
            .await?
            .into_iter()
            .next())
    }

    /// Where the cluster's latest restore (or undo) stands, and whether one can be undone.
    pub async fn progress(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<RestoreProgress> {
        self.service.get_cluster(caller, region, id).await?;
        let Some(record) = self.latest(id).await? else {
            return Ok(RestoreProgress {
                cluster_id: id.to_string(),
                run: None,
                active: false,
                undo_available_until: None,
            });
        };
        let provider = self
            .service
            .restore_status(caller, region, id, &record.provider_restore_id)
            .await?;
        let undo_available_until = self
            .undoable(caller, region, id)
            .await
            .ok()
            .and_then(|run| run.undo_until);
        Ok(RestoreProgress {
            cluster_id: id.to_string(),
            active: provider.state == RestoreState::Running,
            run: Some(run_of(record, provider)),
            undo_available_until,
        })
    }

    /// Runs the diagnostics now, with what the port reports.
    pub async fn diagnose(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Diagnostics> {
        let cluster = self.service.get_cluster(caller, region, id).await?;
        let pools = self.service.list_pools(caller, region, id).await?;
        let nodes = self.service.list_nodes(caller, region, id).await?;
        let versions = self.service.list_versions(region).await?;
        let inventory = self.service.cluster_inventory(caller, region, id).await?;
        let last_restore = match self.latest(id).await? {
            Some(run) => self
                .service
                .restore_status(caller, region, id, &run.provider_restore_id)
                .await
                .ok(),
            None => None,
        };
        Ok(diagnostics::diagnose(&diagnostics::DiagnosticSubject {
            now: self.clock.now(),
            cluster: &cluster,
            pools: &pools,
            nodes: &nodes,
            versions: &versions,
            inventory: inventory.as_ref(),
            last_restore: last_restore.as_ref(),
        }))
    }
}

fn run_of(record: restore_runs::RestoreRecord, progress: ProviderRestore) -> RestoreRun {
    let confirmed_changes: Vec<RestoreChange> =
        serde_json::from_str(&record.preview).unwrap_or_default();
    RestoreRun {
        id: record.id,
        cluster_id: record.cluster_id,
        kind: record.kind,
        scope: progress.scope,
        snapshot_id: record.snapshot_id,
        pre_restore_snapshot_id: record.pre_restore_snapshot_id,
        undoes_run_id: record.undoes_run_id,
        started_by: record.started_by,
        started_at: record.started_at,
        undo_until: record.undo_until,
        confirmed_changes,
        progress,
    }
}

/// The scope a run was recorded with.
fn stored_scope(run: &restore_runs::RestoreRecord) -> Result<RestoreScope> {
    RestoreScope::parse(&run.scope).ok_or_else(|| {
        sqlx::Error::Decode(
            format!(
                "restore run {} has an unknown scope `{}`",
                run.id, run.scope
            )
            .into(),
        )
        .into()
    })
}

/// The scope named in a request, or a clear refusal.
pub fn parse_scope(text: &str) -> Result<RestoreScope> {
    RestoreScope::parse(text.trim()).ok_or_else(|| {
        DomainError::invalid(
            "scope",
            "constraint",
            format!(
                "`{}` is not a restore scope: use system_apps, control_plane or etcd",
                text.trim()
            ),
        )
    })
}
