//! The sandbox adapter: the port served by Wheelhouse's own provisioning domain, acting for one
//! project (the caller).

use async_trait::async_trait;

use super::ProvisioningBackend;
use crate::domain::clusters::NewCluster;
use crate::domain::model::{Caller, Cluster, KubeVersionEntry, Node, Pool};
use crate::domain::pools::PoolChanges;
use crate::domain::{DomainError, Provisioning};
use crate::store::clusters::ClusterFilter;

pub struct SandboxBackend {
    provisioning: Provisioning,
    caller: Caller,
}

impl SandboxBackend {
    pub fn new(provisioning: Provisioning, caller: Caller) -> SandboxBackend {
        SandboxBackend {
            provisioning,
            caller,
        }
    }
}

#[async_trait]
impl ProvisioningBackend for SandboxBackend {
    fn kind(&self) -> &'static str {
        "sandbox"
    }

    async fn list_versions(&self, _region: &str) -> Result<Vec<KubeVersionEntry>, DomainError> {
        self.provisioning.list_versions().await
    }

    async fn list_clusters(&self, region: &str) -> Result<Vec<Cluster>, DomainError> {
        let filter = ClusterFilter {
            project_id: self.caller.project_id.clone(),
            region: region.to_string(),
            ..ClusterFilter::default()
        };
        let mut all = Vec::new();
        for page in 1.. {
            let (clusters, total) = self
                .provisioning
                .list_clusters(&filter, "created_at ASC", page, 100)
                .await?;
            let done = clusters.is_empty() || (all.len() + clusters.len()) as i64 >= total;
            all.extend(clusters);
            if done {
                break;
            }
        }
        Ok(all)
    }

    async fn get_cluster(&self, region: &str, cluster_id: &str) -> Result<Cluster, DomainError> {
        self.provisioning
            .get_cluster(&self.caller, region, cluster_id)
            .await
    }

    async fn create_cluster(&self, region: &str, spec: NewCluster) -> Result<Cluster, DomainError> {
        self.provisioning
            .create_cluster(&self.caller, region, spec)
            .await
    }

    async fn upgrade_cluster(
        &self,
        region: &str,
        cluster_id: &str,
        version: &str,
        upgrade_pools: bool,
    ) -> Result<Cluster, DomainError> {
        self.provisioning
            .upgrade_cluster(
                &self.caller,
                region,
                cluster_id,
                Some(version.to_string()),
                upgrade_pools,
            )
            .await
    }

    async fn delete_cluster(
        &self,
        region: &str,
        cluster_id: &str,
        with_additional_resources: bool,
    ) -> Result<Cluster, DomainError> {
        self.provisioning
            .delete_cluster(&self.caller, region, cluster_id, with_additional_resources)
            .await
    }

    async fn list_pools(&self, region: &str, cluster_id: &str) -> Result<Vec<Pool>, DomainError> {
        self.provisioning
            .list_pools(&self.caller, region, cluster_id)
            .await
    }

    async fn update_pool(
        &self,
        region: &str,
        pool_id: &str,
        changes: PoolChanges,
    ) -> Result<Pool, DomainError> {
        self.provisioning
            .update_pool(&self.caller, region, pool_id, changes)
            .await
    }

    async fn upgrade_pool(
        &self,
        region: &str,
        pool_id: &str,
        version: &str,
    ) -> Result<Pool, DomainError> {
        self.provisioning
            .upgrade_pool(&self.caller, region, pool_id, Some(version.to_string()))
            .await
    }

    async fn list_nodes(&self, region: &str, cluster_id: &str) -> Result<Vec<Node>, DomainError> {
        self.provisioning
            .list_nodes(&self.caller, region, cluster_id)
            .await
    }

    async fn replace_node(&self, region: &str, node_id: &str) -> Result<Node, DomainError> {
        self.provisioning
            .replace_node(&self.caller, region, node_id)
            .await
    }

    async fn reboot_node(&self, region: &str, node_id: &str) -> Result<Node, DomainError> {
        self.provisioning
            .reboot_node(&self.caller, region, node_id)
            .await
    }
}
