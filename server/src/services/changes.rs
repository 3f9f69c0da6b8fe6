//! Where every change arrives: services report each mutation (and each refusal) as a
//! [`Change`] here, with who acted and from where. Each change is appended to its
//! organization's audit log ([`AuditLog`]) in the transaction that makes it, so a change that
//! cannot be recorded does not happen: Wheelhouse's own writes append it before they commit
//! ([`Changes::append_in`]); a change asked of the provider carries a [`PendingChange`] on its
//! caller, which the sandbox seals in its own transaction ([`Changes::pending`],
//! [`Changes::settle`]). Only what cannot share a transaction is appended after, in one of the
//! log's own: refusals (nothing changed) and a remote provider's changes. Once committed, each
//! change is shown to the observers (one structured log line per change, target
//! `wheelhouse::changes`; tests remember them to prove each interface reaches this path).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::domain::change::{Change, Outcome, Target};
use crate::domain::model::{Caller, Cluster, Node, PendingRecord, Pool};
use crate::domain::DomainError;
use crate::services::audit::{AuditError, AuditLog};

/// Sees every change (after the audit log has it).
pub trait ChangeSink: Send + Sync + 'static {
    fn record(&self, change: &Change);
}

/// The path changes take; cheap to clone.
#[derive(Clone)]
pub struct Changes {
    observers: Arc<dyn ChangeSink>,
    audit: Option<AuditLog>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes::logged()
    }
}

impl Changes {
    pub fn new(sink: Arc<dyn ChangeSink>) -> Changes {
        Changes {
            observers: sink,
            audit: None,
        }
    }

    /// One structured log line per change.
    pub fn logged() -> Changes {
        Changes::new(Arc::new(LoggedChanges))
    }

    /// The same path, appending every change to `audit`.
    pub fn audited(mut self, audit: AuditLog) -> Changes {
        self.audit = Some(audit);
        self
    }

    pub fn audit(&self) -> Option<&AuditLog> {
        self.audit.as_ref()
    }

    /// Records a refusal (or a change made where Wheelhouse's database is not: a remote
    /// provider's) in a transaction of the log's own. An entry that cannot be written is
    /// logged as an error with the whole change, so it is never silently lost.
    pub async fn record(&self, change: Change) {
        if let Some(audit) = &self.audit {
            if let Err(error) = audit.record(&change).await {
                lost(&change, &error);
            }
        }
        self.observers.record(&change);
    }

    /// Records a change inside the transaction that makes it: if the entry cannot be written
    /// the error comes back and the caller's transaction must not commit.
    pub async fn record_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        change: Change,
    ) -> Result<(), AuditError> {
        self.append_in(conn, &change).await?;
        self.show(&change);
        Ok(())
    }

    /// Appends a change to the audit log inside the transaction that makes it, without
    /// showing it to the observers yet: call [`Changes::show`] once it committed, so they
    /// never see a change that did not happen.
    pub async fn append_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        change: &Change,
    ) -> Result<(), AuditError> {
        if let Some(audit) = &self.audit {
            audit.append(conn, change).await?;
        }
        Ok(())
    }

    /// Shows a committed change (whose entry committed with it) to the observers.
    pub fn show(&self, change: &Change) {
        self.observers.record(change);
    }

    /// Reports a caller's change to a provider object (or its refusal) and hands the result
    /// back: the one path of [`ProvisioningService`](super::provisioning::ProvisioningService),
    /// and of the services built on it.
    pub async fn report<T>(
        &self,
        caller: &Caller,
        action: &'static str,
        target: Target,
        before: Option<Value>,
        result: Result<T, DomainError>,
        after: impl FnOnce(&T) -> Option<Value>,
    ) -> Result<T, DomainError> {
        let (after, outcome) = match &result {
            Ok(value) => (after(value), Outcome::Done),
            Err(error) => (
                None,
                Outcome::Refused {
                    reason: error.to_string(),
                },
            ),
        };
        self.record(Change {
            actor: caller.actor.clone(),
            source: caller.source.clone(),
            action,
            target,
            before,
            after,
            outcome,
        })
        .await;
        result
    }

    /// The record of a change about to be asked of the provider, which the provider seals in its
    /// own transaction when it can (see [`PendingRecord`]): `describe` fills in, from the
    /// object the change ends with, what only that object tells (its fields after, the id of
    /// an object made now). Give it to the provider as `caller.recording(pending)`, then hand
    /// the provider's answer to [`Changes::settle`].
    pub fn pending<T: Any>(
        &self,
        caller: &Caller,
        action: &'static str,
        target: Target,
        before: Option<Value>,
        describe: impl Fn(&T, &mut Change) + Send + Sync + 'static,
    ) -> Arc<PendingChange> {
        self.pending_writing(caller, action, target, before, describe, None)
    }

    /// [`Changes::pending`], with what the service itself writes about the object in the same
    /// transaction when the provider seals (which project owns a new cluster).
    pub fn pending_writing<T: Any>(
        &self,
        caller: &Caller,
        action: &'static str,
        target: Target,
        before: Option<Value>,
        describe: impl Fn(&T, &mut Change) + Send + Sync + 'static,
        write_with: Option<WriteWith>,
    ) -> Arc<PendingChange> {
        Arc::new(PendingChange {
            audit: self.audit.clone(),
            asked: Change {
                actor: caller.actor.clone(),
                source: caller.source.clone(),
                action,
                target,
                before,
                after: None,
                outcome: Outcome::Done,
            },
            describe: Box::new(move |written, change| match written.downcast_ref::<T>() {
                Some(object) => {
                    describe(object, change);
                    true
                }
                None => false,
            }),
            write_with,
            sealed: Mutex::new(None),
        })
    }

    /// A [`PendingChange`] whose record does not depend on what the provider answers (an
    /// answer holding a secret, say): sealed with whatever the provider writes.
    pub fn pending_as_asked(
        &self,
        caller: &Caller,
        action: &'static str,
        target: Target,
        after: Option<Value>,
    ) -> Arc<PendingChange> {
        Arc::new(PendingChange {
            audit: self.audit.clone(),
            asked: Change {
                actor: caller.actor.clone(),
                source: caller.source.clone(),
                action,
                target,
                before: None,
                after,
                outcome: Outcome::Done,
            },
            describe: Box::new(|_, _| true),
            write_with: None,
            sealed: Mutex::new(None),
        })
    }

    /// Reports the provider's answer to a [`PendingChange`]: a change the provider sealed in
    /// its transaction (and committed) is only shown to the observers, its entry committed
    /// with it; one it did not seal (a remote provider) is recorded now, as a refusal is.
    pub async fn settle<T: Any + Send + Sync>(
        &self,
        pending: &PendingChange,
        result: Result<T, DomainError>,
    ) -> Result<T, DomainError> {
        // Sealed and committed, whatever failed after (reading the answer back): the change
        // happened and its entry says so; a refusal would contradict it.
        if let Some(sealed) = pending.take_sealed() {
            if let Err(error) = &result {
                tracing::warn!(%error, action = sealed.action, "a change committed with its entry, then its answer failed");
            }
            self.show(&sealed);
            return result;
        }
        let change = match &result {
            Ok(value) => pending.change_for(value),
            Err(error) => Change {
                after: None,
                outcome: Outcome::Refused {
                    reason: error.to_string(),
                },
                ..pending.asked.clone()
            },
        };
        self.record(change).await;
        result
    }

    /// Records a refusal that happened before anything was asked of anyone.
    pub async fn refusal(
        &self,
        caller: &Caller,
        action: &'static str,
        target: Target,
        error: &DomainError,
    ) {
        self.record(Change {
            actor: caller.actor.clone(),
            source: caller.source.clone(),
            action,
            target,
            before: None,
            after: None,
            outcome: Outcome::Refused {
                reason: error.to_string(),
            },
        })
        .await;
    }
}

/// A change asked of the provider, whose record the provider may seal in its transaction.
pub struct PendingChange {
    audit: Option<AuditLog>,
    /// The change as known before the provider answers (after: none yet).
    asked: Change,
    /// Completes the change from the object it ends with; false when `written` is not the
    /// kind of object this change writes (then the record is not sealed, and the service
    /// records it after).
    describe: DescribeWritten,
    write_with: Option<WriteWith>,
    /// The change as sealed, until the service settles it.
    sealed: Mutex<Option<Change>>,
}

type DescribeWritten = Box<dyn Fn(&(dyn Any + Send + Sync), &mut Change) -> bool + Send + Sync>;

/// What a service writes about the object a change ends with, in the transaction the
/// provider seals the change in.
pub type WriteWith = Box<
    dyn for<'c> Fn(
            &'c mut sqlx::AnyConnection,
            &'c (dyn Any + Send + Sync),
        ) -> Pin<Box<dyn Future<Output = Result<(), DomainError>> + Send + 'c>>
        + Send
        + Sync,
>;

impl PendingChange {
    fn change_for(&self, written: &(dyn Any + Send + Sync)) -> Change {
        let mut change = self.asked.clone();
        (self.describe)(written, &mut change);
        change
    }

    fn take_sealed(&self) -> Option<Change> {
        self.sealed.lock().ok().and_then(|mut sealed| sealed.take())
    }

    /// Whether a provider sealed the change (and what goes with it) in its transaction.
    pub fn is_sealed(&self) -> bool {
        self.sealed.lock().is_ok_and(|sealed| sealed.is_some())
    }
}

#[async_trait::async_trait]
impl PendingRecord for PendingChange {
    async fn seal(
        &self,
        conn: &mut sqlx::AnyConnection,
        written: &(dyn Any + Send + Sync),
    ) -> Result<(), DomainError> {
        // One call, one change: a provider that commits twice for it records it once.
        if self.is_sealed() {
            return Ok(());
        }
        let mut change = self.asked.clone();
        if !(self.describe)(written, &mut change) {
            tracing::warn!(
                action = change.action,
                "a provider sealed a change with an object it does not write; it is recorded after"
            );
            return Ok(());
        }
        if let Some(write_with) = &self.write_with {
            write_with(&mut *conn, written).await?;
        }
        if let Some(audit) = &self.audit {
            audit.append(conn, &change).await?;
        }
        if let Ok(mut sealed) = self.sealed.lock() {
            *sealed = Some(change);
        }
        Ok(())
    }

    fn unseal(&self) {
        if let Ok(mut sealed) = self.sealed.lock() {
            *sealed = None;
        }
    }
}

fn lost(change: &Change, error: &AuditError) {
    let line = serde_json::to_string(change).unwrap_or_default();
    tracing::error!(target: "wheelhouse::changes", %error, change = %line, "a change could not be audited");
}

/// What a change to a provider object acts on, in the caller's organization and project.
pub fn target_of(
    caller: &Caller,
    kind: &'static str,
    id: &str,
    cluster_id: Option<&str>,
) -> Target {
    Target {
        organization_id: caller.organization_id.clone(),
        project_id: Some(caller.project_id.clone()),
        kind,
        id: id.to_string(),
        cluster_id: cluster_id.map(str::to_string),
    }
}

/// A cluster's fields a change may touch, as records show them (never its admin token).
pub fn cluster_fields(cluster: &Cluster) -> Value {
    json!({
        "name": cluster.name,
        "description": cluster.description,
        "tags": cluster.tags,
        "status": cluster.status.as_str(),
        "version": cluster.version,
        "type": cluster.cluster_type,
        "feature_gates": cluster.feature_gates,
        "admission_plugins": cluster.admission_plugins,
        "apiserver_cert_sans": cluster.apiserver_cert_sans,
        "autoscaler_config": cluster.autoscaler_config,
        "open_id_connect_config": cluster.open_id_connect_config,
        "auto_upgrade_enabled": cluster.auto_upgrade_enabled,
        "maintenance_window": { "day": cluster.maintenance_day, "start_hour": cluster.maintenance_start_hour },
    })
}

/// A pool's fields a change may touch, as records show them.
pub fn pool_fields(pool: &Pool) -> Value {
    json!({
        "name": pool.name,
        "status": pool.status.as_str(),
        "version": pool.version,
        "node_type": pool.node_type,
        "size": pool.size,
        "min_size": pool.min_size,
        "max_size": pool.max_size,
        "autoscaling": pool.autoscaling,
        "autohealing": pool.autohealing,
        "kubelet_args": pool.kubelet_args,
        "tags": pool.tags,
    })
}

/// A node's fields a change may touch, as records show them.
pub fn node_fields(node: &Node) -> Value {
    json!({ "name": node.name, "status": node.status.as_str(), "version": node.version })
}

struct LoggedChanges;

impl ChangeSink for LoggedChanges {
    fn record(&self, change: &Change) {
        match serde_json::to_string(change) {
            Ok(line) => tracing::info!(target: "wheelhouse::changes", change = %line),
            Err(error) => {
                tracing::error!(%error, action = change.action, "a change could not be written")
            }
        }
    }
}

/// Keeps every change in memory, for tests that prove an interface reaches the path.
#[derive(Default)]
pub struct RememberedChanges(Mutex<Vec<Change>>);

impl RememberedChanges {
    /// Every change so far, oldest first.
    pub fn all(&self) -> Vec<Change> {
        self.0
            .lock()
            .map(|changes| changes.clone())
            .unwrap_or_default()
    }

    /// How many changes were recorded so far.
    pub fn count(&self) -> usize {
        self.0
            .lock()
            .map(|changes| changes.len())
            .unwrap_or_default()
    }
}

impl ChangeSink for RememberedChanges {
    fn record(&self, change: &Change) {
        if let Ok(mut changes) = self.0.lock() {
            changes.push(change.clone());
        }
    }
}
