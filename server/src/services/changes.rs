//! Where every change arrives: services report each mutation (and each refusal) as a
//! [`Change`] here, with who acted and from where. Today the sink writes one structured log line
//! per change (target `wheelhouse::changes`); the audit log takes its place, writing each change
//! in the transaction that makes it. Tests remember the changes to prove each interface reaches
//! this path.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::domain::change::{Change, Outcome, Target};
use crate::domain::model::{Caller, Cluster, Node, Pool};
use crate::domain::DomainError;

/// Receives every change.
pub trait ChangeSink: Send + Sync + 'static {
    fn record(&self, change: &Change);
}

/// The sink changes go to; cheap to clone.
#[derive(Clone)]
pub struct Changes(Arc<dyn ChangeSink>);

impl Default for Changes {
    fn default() -> Self {
        Changes::logged()
    }
}

impl Changes {
    pub fn new(sink: Arc<dyn ChangeSink>) -> Changes {
        Changes(sink)
    }

    /// One structured log line per change.
    pub fn logged() -> Changes {
        Changes(Arc::new(LoggedChanges))
    }

    pub fn record(&self, change: Change) {
        self.0.record(&change);
    }

    /// Reports a caller's change to a provider object (or its refusal) and hands the result
    /// back: the one path of [`ProvisioningService`](super::provisioning::ProvisioningService),
    /// and of the services built on it.
    pub fn report<T>(
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
        });
        result
    }
}

impl Changes {
    /// Records a refusal that happened before anything was asked of anyone.
    pub fn refusal(
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
        });
    }
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
