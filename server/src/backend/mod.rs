//! The provisioning backend port: what Wheelhouse needs from a managed-Kubernetes provider.
//! Two adapters implement it: the sandbox (Wheelhouse's own simulated provider, the embedded
//! default) and a client for any endpoint speaking Scaleway's k8s v1 API (Scaleway itself or
//! another Wheelhouse). Errors are domain errors on both sides, so a refusal means the same
//! whichever provider answered.

pub mod sandbox;
pub mod scaleway_remote;

use async_trait::async_trait;

use crate::domain::clusters::NewCluster;
use crate::domain::model::{Cluster, KubeVersionEntry, Node, Pool};
use crate::domain::pools::PoolChanges;
use crate::domain::DomainError;

#[async_trait]
pub trait ProvisioningBackend: Send + Sync {
    /// "sandbox" or "scaleway-remote", for logs and the console.
    fn kind(&self) -> &'static str;

    async fn list_versions(&self, region: &str) -> Result<Vec<KubeVersionEntry>, DomainError>;
    async fn list_clusters(&self, region: &str) -> Result<Vec<Cluster>, DomainError>;
    async fn get_cluster(&self, region: &str, cluster_id: &str) -> Result<Cluster, DomainError>;
    async fn create_cluster(&self, region: &str, spec: NewCluster) -> Result<Cluster, DomainError>;
    async fn upgrade_cluster(
        &self,
        region: &str,
        cluster_id: &str,
        version: &str,
        upgrade_pools: bool,
    ) -> Result<Cluster, DomainError>;
    async fn delete_cluster(
        &self,
        region: &str,
        cluster_id: &str,
        with_additional_resources: bool,
    ) -> Result<Cluster, DomainError>;

    async fn list_pools(&self, region: &str, cluster_id: &str) -> Result<Vec<Pool>, DomainError>;
    async fn update_pool(
        &self,
        region: &str,
        pool_id: &str,
        changes: PoolChanges,
    ) -> Result<Pool, DomainError>;
    async fn upgrade_pool(
        &self,
        region: &str,
        pool_id: &str,
        version: &str,
    ) -> Result<Pool, DomainError>;

    async fn list_nodes(&self, region: &str, cluster_id: &str) -> Result<Vec<Node>, DomainError>;
    async fn replace_node(&self, region: &str, node_id: &str) -> Result<Node, DomainError>;
    async fn reboot_node(&self, region: &str, node_id: &str) -> Result<Node, DomainError>;
}
