//! The provisioning port: everything Wheelhouse asks of a managed-Kubernetes provider, in
//! Scaleway's k8s v1 terms. Wheelhouse's services call only this; two adapters implement it:
//! the sandbox (Wheelhouse's own simulated provider, the embedded default) and a client of any
//! endpoint speaking Scaleway's k8s v1 API (Scaleway itself, or another Wheelhouse).
//!
//! Every call says on whose behalf it is made (`Caller`: the project). The sandbox is a
//! multi-tenant provider and scopes by it; a remote provider is one account whose key the
//! adapter holds, and Wheelhouse's provisioning service keeps the tenancy above it. Errors are
//! domain errors on both sides, so a refusal means the same whichever provider answered.

pub mod sandbox;
pub mod scaleway_remote;

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::ids::{AclRuleId, ClusterId, NodeId, PoolId};
use crate::domain::model::{
    AclRule, Caller, Cluster, ClusterEvent, ClusterInventory, ClusterOffer, ExternalNodeAuth,
    ExternalNodeMetadata, KubeVersionEntry, Node, Pool, ProviderPrices, ProviderStats,
    RolloutControl, RolloutTiming,
};
use crate::domain::requests::{
    AclRuleInput, ClusterChanges, ClusterQuery, NewCluster, NewPool, NodeMetadataChange,
    PoolChanges,
};
use crate::domain::restore::{EtcdSnapshot, ProviderRestore, RestoreChange, RestoreRequest};
use crate::domain::DomainError;

pub type SharedBackend = Arc<dyn ProvisioningBackend>;

/// The refusal of a provider whose API has no restore.
pub fn no_restore_api(kind: &str) -> DomainError {
    DomainError::precondition(
        "restore_unsupported",
        format!("the provider behind this Wheelhouse ({kind}) has no restore or etcd snapshot API: ask the provider's support to restore the cluster"),
    )
}

type Result<T> = std::result::Result<T, DomainError>;

/// A cluster with its pools and nodes, as one read of the fleet returns it: summaries, which
/// carry identity, state, versions, sizes, ages and the settings maintenance decides by, but
/// no secrets (admin token) and not the larger settings and facts (tags, labels, taints, user
/// data, kubelet arguments, node conditions and addresses), which a provider may leave empty
/// here. Read one cluster through `get_cluster`/`list_pools`/`list_nodes` for all of it.
#[derive(Clone, Debug)]
pub struct ClusterSnapshot {
    pub cluster: Cluster,
    pub pools: Vec<Pool>,
    pub nodes: Vec<Node>,
}

/// A cluster as an overview shows it (the dashboard and its live stream): its summary, how
/// many pools it has, and its nodes counted rather than listed: how many are Ready and when
/// each was created, oldest first. A provider that can count in its database does
/// (the sandbox); by default it is taken from a [`ClusterSnapshot`].
#[derive(Clone, Debug)]
pub struct ClusterDigest {
    pub cluster: Cluster,
    pub pools: usize,
    pub ready_nodes: usize,
    pub node_created: Vec<chrono::DateTime<chrono::Utc>>,
}

impl ClusterDigest {
    pub fn of(snapshot: ClusterSnapshot) -> ClusterDigest {
        let mut node_created: Vec<_> = snapshot.nodes.iter().map(|n| n.created_at).collect();
        node_created.sort();
        ClusterDigest {
            pools: snapshot.pools.len(),
            ready_nodes: snapshot
                .nodes
                .iter()
                .filter(|n| n.status == crate::domain::model::NodeStatus::Ready)
                .count(),
            node_created,
            cluster: snapshot.cluster,
        }
    }

    pub fn total_nodes(&self) -> usize {
        self.node_created.len()
    }
}

#[async_trait]
pub trait ProvisioningBackend: Send + Sync {
    /// "sandbox" or "scaleway-remote", for logs and the console.
    fn kind(&self) -> &'static str;

    // ---- catalog
    /// The regions this provider serves, its default first.
    fn regions(&self) -> &'static [&'static str];
    /// The node types its pools may use.
    fn node_types(&self) -> &'static [&'static str];
    async fn list_versions(&self, region: &str) -> Result<Vec<KubeVersionEntry>>;
    async fn get_version(&self, region: &str, name: &str) -> Result<KubeVersionEntry>;
    async fn list_cluster_types(&self, region: &str) -> Result<Vec<ClusterOffer>>;
    /// The list prices for cost estimates; `None` when the provider publishes none through
    /// this API (Scaleway's k8s API has no prices).
    fn price_list(&self) -> Option<ProviderPrices>;
    /// How long an upgrade's steps take here, for plans; typical managed-provider durations
    /// unless the provider has its own model.
    fn rollout_timing(&self) -> RolloutTiming {
        RolloutTiming::typical()
    }
    /// The OS image new nodes boot now (older nodes are outdated); `None` when the provider does
    /// not say through this API (Scaleway's node object has no image).
    async fn current_os_image(&self, _region: &str) -> Result<Option<String>> {
        Ok(None)
    }

    // ---- clusters
    /// Every cluster matching the query (callers sort and page).
    async fn list_clusters(
        &self,
        caller: &Caller,
        region: &str,
        query: &ClusterQuery,
    ) -> Result<Vec<Cluster>>;
    async fn get_cluster(&self, caller: &Caller, region: &str, id: &ClusterId) -> Result<Cluster>;
    /// Every cluster of these projects in the region with its pools and nodes, for passes over
    /// the whole fleet. By default a list per project and two reads per cluster (a project
    /// whose list fails is left out, and the caller falls back to reading its clusters one by
    /// one); a provider that can read them together does (the sandbox: three queries).
    async fn snapshot(&self, region: &str, callers: &[Caller]) -> Result<Vec<ClusterSnapshot>> {
        let mut snapshots = Vec::new();
        for caller in callers {
            let clusters = match self
                .list_clusters(caller, region, &ClusterQuery::default())
                .await
            {
                Ok(clusters) => clusters,
                Err(error) => {
                    tracing::warn!(%error, project = %caller.project_id, "a fleet read failed");
                    continue;
                }
            };
            for cluster in clusters {
                let id = ClusterId::from(cluster.id.clone());
                let (Ok(pools), Ok(nodes)) = (
                    self.list_pools(caller, region, &id).await,
                    self.list_nodes(caller, region, &id).await,
                ) else {
                    continue;
                };
                snapshots.push(ClusterSnapshot {
                    cluster,
                    pools,
                    nodes,
                });
            }
        }
        Ok(snapshots)
    }
    /// Every cluster of these projects in the region as a [`ClusterDigest`] (overviews of
    /// many clusters). By default from [`ProvisioningBackend::snapshot`].
    async fn digest(&self, region: &str, callers: &[Caller]) -> Result<Vec<ClusterDigest>> {
        Ok(self
            .snapshot(region, callers)
            .await?
            .into_iter()
            .map(ClusterDigest::of)
            .collect())
    }
    async fn create_cluster(
        &self,
        caller: &Caller,
        region: &str,
        spec: NewCluster,
    ) -> Result<Cluster>;
    async fn update_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        changes: ClusterChanges,
    ) -> Result<Cluster>;
    async fn delete_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        with_additional_resources: bool,
    ) -> Result<Cluster>;
    async fn upgrade_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        version: Option<String>,
        upgrade_pools: bool,
    ) -> Result<Cluster>;
    /// Pause (before the next wave), resume, or abort (after the current wave) the rollout of
    /// an upgrade; providers that cannot answer `precondition_failed`.
    async fn control_rollout(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        control: RolloutControl,
    ) -> Result<Cluster>;
    /// Rolls a cluster back to `version`, one minor back at most (Kubernetes' emulated version
    /// keeps that possible during a soak): the pools first, then the control plane. Providers
    /// that cannot answer `precondition_failed`.
    async fn rollback_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        version: &str,
    ) -> Result<Cluster>;
    /// Rolls one pool's nodes back onto `version` (not newer than its control plane), after an
    /// aborted or failed pool upgrade. Providers that cannot answer `precondition_failed`.
    async fn rollback_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: &str,
    ) -> Result<Pool>;
    async fn set_cluster_type(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        cluster_type: Option<String>,
    ) -> Result<Cluster>;
    async fn available_versions(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<KubeVersionEntry>>;
    async fn available_types(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<ClusterOffer>>;
    /// The kubeconfig file (YAML).
    async fn kubeconfig(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        redacted: bool,
    ) -> Result<String>;
    async fn reset_admin_token(&self, caller: &Caller, region: &str, id: &ClusterId) -> Result<()>;
    /// Components, attached resources and workload usage; `None` when the provider does not
    /// report them (Scaleway's API has no such read).
    async fn cluster_inventory(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<ClusterInventory>>;

    /// The cluster's latest events, newest first; `None` when the provider does not report
    /// them through this API.
    async fn cluster_events(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<Vec<ClusterEvent>>>;

    // ---- ACL rules of a cluster's API server
    async fn list_acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<AclRule>>;
    /// Adds rules (`replace = false`) or replaces the list; returns the rules written.
    async fn write_acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        rules: Vec<AclRuleInput>,
        replace: bool,
    ) -> Result<Vec<AclRule>>;
    async fn delete_acl_rule(
        &self,
        caller: &Caller,
        region: &str,
        acl_id: &AclRuleId,
    ) -> Result<()>;

    // ---- pools
    async fn list_pools(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Pool>>;
    async fn get_pool(&self, caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool>;
    async fn create_pool(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
        spec: NewPool,
    ) -> Result<Pool>;
    async fn update_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        changes: PoolChanges,
    ) -> Result<Pool>;
    async fn upgrade_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: Option<String>,
    ) -> Result<Pool>;
    async fn delete_pool(&self, caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool>;
    async fn set_pool_node_metadata(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        change: NodeMetadataChange,
    ) -> Result<Pool>;
    /// The keys of the user data given at the pool's creation.
    async fn list_user_data(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<Vec<String>>;
    async fn get_user_data(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        key: &str,
    ) -> Result<String>;
    async fn authorize_external_node(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<ExternalNodeAuth>;
    /// Called by the external node itself, with its node secret (no project caller).
    async fn external_node_metadata(
        &self,
        region: &str,
        node_secret: &str,
    ) -> Result<ExternalNodeMetadata>;

    // ---- nodes
    async fn list_nodes(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Node>>;
    async fn get_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node>;
    async fn replace_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node>;
    async fn reboot_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node>;
    async fn delete_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &NodeId,
        skip_drain: bool,
        replace: bool,
    ) -> Result<Node>;
    /// For the demo only: the nodes `pool_id` is about to make (a new pool's) are made as if
    /// `ages` ago, one age per node, as nodes replaced at different times would be; otherwise a
    /// new cluster's nodes all share one age. When a node was made is the provider's to record
    /// (nothing above the port writes it), hence a port method; a real provider's nodes are as
    /// old as they are (Scaleway's API has no such call), so by default it is refused.
    async fn age_new_nodes(
        &self,
        _caller: &Caller,
        _region: &str,
        pool_id: &PoolId,
        _ages: &[chrono::Duration],
    ) -> Result<Pool> {
        Err(DomainError::precondition(
            "node_ages",
            format!("this provider makes pool {pool_id}'s nodes now, not as if long ago"),
        ))
    }

    // ---- restore: etcd snapshots, and resetting a cluster to the provider's defaults
    /// The cluster's etcd snapshots, newest first. Providers without snapshots through their
    /// API answer `precondition_failed` (Scaleway's k8s API has none).
    async fn list_etcd_snapshots(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
    ) -> Result<Vec<EtcdSnapshot>> {
        Err(no_restore_api(self.kind()))
    }
    /// What a restore would change now, field by field (nothing is written).
    async fn preview_restore(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _request: &RestoreRequest,
    ) -> Result<Vec<RestoreChange>> {
        Err(no_restore_api(self.kind()))
    }
    /// Starts a restore: refused before anything changes when the cluster is busy or its
    /// snapshot cannot be used; takes a snapshot of the cluster first (what an undo returns
    /// to); ends, by its deadline at the latest, succeeded or failed with its reason.
    async fn start_restore(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _request: &RestoreRequest,
    ) -> Result<ProviderRestore> {
        Err(no_restore_api(self.kind()))
    }
    /// Where a restore stands, step by step.
    async fn restore_status(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _restore_id: &str,
    ) -> Result<ProviderRestore> {
        Err(no_restore_api(self.kind()))
    }

    // ---- the provider as a whole
    /// Counts for the console's system page; `None` when the provider does not tell.
    async fn stats(&self) -> Result<Option<ProviderStats>>;
}
