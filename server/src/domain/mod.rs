//! The provisioning domain: the rules of clusters, pools, nodes and versions, shared by the REST
//! API, the console and the reconciler. Nothing here knows about HTTP or Leptos.

pub mod access;
pub mod catalog;
pub mod clusters;
pub mod components;
pub mod error;
pub mod external_nodes;
pub mod ids;
pub mod input;
pub mod model;
pub mod nodes;
pub mod pools;
pub mod timing;
pub mod version;

pub use error::DomainError;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::AnyConnection;

use crate::clock::SharedClock;
use crate::store::operations::{self, Operation};
use crate::store::{events, Database};
use ids::SharedIds;
use model::{Caller, Cluster, ClusterStatus};
use timing::Timing;

/// The provisioning services: one value shared by the REST API, the console and the reconciler.
#[derive(Clone)]
pub struct Provisioning {
    pub database: Database,
    pub clock: SharedClock,
    pub ids: SharedIds,
    pub timing: Timing,
    /// Where the sandbox's Kubernetes API servers answer: `{this}/{cluster_id}` is a cluster's
    /// URL (its `cluster_url` and its kubeconfig's server), e.g. `https://127.0.0.1:6443/clusters`.
    pub api_server_base: String,
    /// The CA (PEM) that signs the API servers' certificate; kubeconfigs carry it.
    pub api_server_ca_pem: String,
}

impl Provisioning {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn cluster_url(&self, cluster: &Cluster) -> String {
        format!(
            "{}/{}",
            self.api_server_base.trim_end_matches('/'),
            cluster.id
        )
    }

    /// The caller's cluster, or "not found" — also for other projects' clusters, so that ids
    /// of other tenants cannot even be probed.
    pub(crate) async fn owned_cluster(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
    ) -> Result<Cluster, DomainError> {
        match crate::store::clusters::get(conn, cluster_id).await? {
            Some(cluster)
                if cluster.project_id == caller.project_id && cluster.region == region =>
            {
                Ok(cluster)
            }
            _ => Err(DomainError::not_found("k8s_cluster", cluster_id)),
        }
    }

    /// Queues long-running work for the reconciler, in the caller's transaction.
    pub(crate) async fn enqueue(
        &self,
        conn: &mut AnyConnection,
        kind: &str,
        cluster_id: &str,
        target_id: &str,
        params: Value,
    ) -> Result<String, DomainError> {
        let now = self.now();
        let operation = Operation {
            id: self.ids.uuid(),
            kind: kind.to_string(),
            cluster_id: cluster_id.to_string(),
            target_id: target_id.to_string(),
            params,
            step: "start".to_string(),
            state: operations::PENDING.to_string(),
            attempt: 0,
            next_run_at: now,
            lease_owner: None,
            lease_expires_at: None,
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        operations::insert(conn, &operation).await?;
        Ok(operation.id)
    }

    pub(crate) async fn record_event(
        &self,
        conn: &mut AnyConnection,
        cluster_id: &str,
        object_kind: &'static str,
        object_id: &str,
        reason: &'static str,
        message: String,
    ) -> Result<(), sqlx::Error> {
        events::record(
            conn,
            events::NewEvent {
                id: self.ids.uuid(),
                cluster_id,
                object_kind,
                object_id,
                reason,
                message,
            },
            self.now(),
        )
        .await
    }
}

/// Refuses to act on a cluster while it is changing.
pub(crate) fn require_settled_cluster(cluster: &Cluster) -> Result<(), DomainError> {
    if cluster.status.is_transient() || cluster.status == ClusterStatus::Locked {
        return Err(DomainError::TransientState {
            resource: "k8s_cluster",
            resource_id: cluster.id.clone(),
            current_state: cluster.status.as_str().to_string(),
        });
    }
    Ok(())
}

/// Refuses changes to a cluster that is being deleted (other states allow them).
pub(crate) fn refuse_if_deleting(cluster: &Cluster) -> Result<(), DomainError> {
    if cluster.status == ClusterStatus::Deleting {
        return require_settled_cluster(cluster);
    }
    Ok(())
}
