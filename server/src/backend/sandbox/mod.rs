//! The sandbox provider: Wheelhouse's own simulated managed-Kubernetes provider, the embedded
//! default behind the provisioning port. Its rules (what a provider validates and refuses), its
//! physics and reconciler, its tables and its clusters' Kubernetes API servers all live in this
//! folder; nothing above the port names anything in here except through `adapter`.

pub mod adapter;
pub mod catalog;
pub mod clusters;
pub mod components;
pub mod external_nodes;
pub mod kube_api;
pub mod nodes;
pub mod pools;
pub mod reconciler;
pub mod restore;
pub mod rollouts;
pub mod store;
pub mod timing;

pub use adapter::SandboxBackend;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::AnyConnection;

use crate::backend::sandbox::store::events;
use crate::backend::sandbox::store::operations::{self, Operation};
use crate::clock::SharedClock;
use crate::domain::ids::SharedIds;
use crate::domain::model::{Caller, Cluster, ClusterStatus, Node, Pool};
use crate::domain::DomainError;
use crate::store::Database;
use sqlx::{Any, Transaction};
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
        match crate::backend::sandbox::store::clusters::get(conn, cluster_id).await? {
            Some(cluster)
                if cluster.project_id == caller.project_id && cluster.region == region =>
            {
                Ok(cluster)
            }
            _ => Err(DomainError::not_found("k8s_cluster", cluster_id)),
        }
    }

    /// The one way a change to a cluster (or anything under it) starts: a write transaction
    /// that first takes the cluster's row lock, then reads the caller's cluster under it. Two
    /// requests, two replicas, or a request and the reconciler (which takes the same lock per
    /// step) therefore change one cluster one at a time, and what was read stays true until
    /// commit.
    pub(crate) async fn begin_on_cluster(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
    ) -> Result<(Transaction<'static, Any>, Cluster), DomainError> {
        let mut transaction = self.database.begin().await?;
        crate::backend::sandbox::store::clusters::lock(&mut transaction, cluster_id).await?;
        let cluster = self
            .owned_cluster(&mut transaction, caller, region, cluster_id)
            .await?;
        Ok((transaction, cluster))
    }

    /// [`Self::begin_on_cluster`] for a pool: locks the pool's cluster, then reads both.
    pub(crate) async fn begin_on_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
    ) -> Result<(Transaction<'static, Any>, Cluster, Pool), DomainError> {
        let mut transaction = self.database.begin().await?;
        let cluster_id = crate::backend::sandbox::store::pools::get(&mut transaction, pool_id)
            .await?
            .map(|pool| pool.cluster_id)
            .ok_or_else(|| DomainError::not_found("k8s_pool", pool_id))?;
        crate::backend::sandbox::store::clusters::lock(&mut transaction, &cluster_id).await?;
        let (cluster, pool) = self
            .owned_pool(&mut transaction, caller, region, pool_id)
            .await?;
        Ok((transaction, cluster, pool))
    }

    /// [`Self::begin_on_cluster`] for a node: locks the node's cluster, then reads the node.
    pub(crate) async fn begin_on_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &str,
    ) -> Result<(Transaction<'static, Any>, Node), DomainError> {
        let mut transaction = self.database.begin().await?;
        let cluster_id = crate::backend::sandbox::store::nodes::get(&mut transaction, node_id)
            .await?
            .map(|node| node.cluster_id)
            .ok_or_else(|| DomainError::not_found("k8s_node", node_id))?;
        crate::backend::sandbox::store::clusters::lock(&mut transaction, &cluster_id).await?;
        let node = self
            .owned_node(&mut transaction, caller, region, node_id)
            .await?;
        Ok((transaction, node))
    }

    /// Counts by status of clusters, pools and nodes, and of operations, for the console.
    pub async fn stats(&self) -> Result<crate::domain::model::ProviderStats, DomainError> {
        let pool = self.database.pool();
        let by_status = |table: &'static str| async move {
            sqlx::query_as::<_, (String, i64)>(&format!(
                "SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status"
            ))
            .fetch_all(pool)
            .await
        };
        let operations: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM operations GROUP BY state")
                .fetch_all(pool)
                .await?;
        let in_state = |state: &str| {
            operations
                .iter()
                .find(|(name, _)| name == state)
                .map(|(_, count)| *count)
                .unwrap_or(0)
        };
        Ok(crate::domain::model::ProviderStats {
            clusters_by_status: by_status("clusters").await?,
            pools_by_status: by_status("pools").await?,
            nodes_by_status: by_status("nodes").await?,
            operations_pending: in_state(operations::PENDING),
            operations_failed: in_state(operations::FAILED),
        })
    }

    /// Queues long-running work for the reconciler, in the caller's transaction.
    pub(crate) async fn enqueue(
        &self,
        conn: &mut AnyConnection,
        kind: reconciler::kinds::OperationKind,
        cluster_id: &str,
        target_id: &str,
        params: Value,
    ) -> Result<String, DomainError> {
        let now = self.now();
        let operation = Operation {
            id: self.ids.uuid(),
            kind: kind.as_str().to_string(),
            cluster_id: cluster_id.to_string(),
            target_id: target_id.to_string(),
            params,
            step: reconciler::kinds::Step::Start.as_str().to_string(),
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
