//! The sandbox adapter: the provisioning port served by the simulated provider's rules. Each
//! call goes to one rule of the sandbox, scoped to the caller's project (the sandbox is a
//! multi-tenant provider); clusters come back with their API server's URL and whether an
//! upgrade is offered, as a provider's API reports them.

use async_trait::async_trait;

use super::catalog;
use super::store::clusters::ClusterFilter;
use super::Provisioning;
use crate::backend::ProvisioningBackend;
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
use crate::domain::version::KubeVersion;
use crate::domain::DomainError;

type Result<T> = std::result::Result<T, DomainError>;

pub struct SandboxBackend {
    provisioning: Provisioning,
}

impl SandboxBackend {
    pub fn new(provisioning: Provisioning) -> SandboxBackend {
        SandboxBackend { provisioning }
    }

    /// Fills in what the provider reports but does not store.
    fn decorate(&self, mut cluster: Cluster, versions: &[KubeVersionEntry]) -> Cluster {
        cluster.cluster_url = self.provisioning.cluster_url(&cluster);
        cluster.commitment_ends_at = catalog::cluster_type(&cluster.cluster_type)
            .and_then(|offer| offer.commitment_delay_seconds)
            .map(|seconds| cluster.created_at + chrono::Duration::seconds(seconds));
        let now = self.provisioning.now();
        cluster.upgrade_available = cluster.version.parse::<KubeVersion>().is_ok_and(|current| {
            versions.iter().any(|entry| {
                !entry.is_end_of_life_at(now)
                    && entry
                        .name
                        .parse::<KubeVersion>()
                        .is_ok_and(|candidate| current.can_upgrade_to(&candidate).is_ok())
            })
        });
        cluster
    }

    async fn decorated(&self, cluster: Cluster) -> Result<Cluster> {
        let versions = self.provisioning.list_versions().await?;
        Ok(self.decorate(cluster, &versions))
    }
}

fn check_region(region: &str) -> Result<()> {
    if catalog::zones_of(region).is_some() {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "region",
            "constraint",
            format!("unknown region `{region}`: use fr-par, nl-ams or pl-waw"),
        ))
    }
}

#[async_trait]
impl ProvisioningBackend for SandboxBackend {
    fn kind(&self) -> &'static str {
        "sandbox"
    }

    async fn list_versions(&self, region: &str) -> Result<Vec<KubeVersionEntry>> {
        check_region(region)?;
        self.provisioning.list_versions().await
    }

    async fn get_version(&self, region: &str, name: &str) -> Result<KubeVersionEntry> {
        check_region(region)?;
        self.provisioning
            .version_entry(name)
            .await?
            .ok_or_else(|| DomainError::not_found("k8s_version", name))
    }

    fn price_list(&self) -> Option<ProviderPrices> {
        catalog::price_list()
    }

    fn regions(&self) -> &'static [&'static str] {
        catalog::REGION_NAMES
    }

    fn node_types(&self) -> &'static [&'static str] {
        catalog::NODE_TYPES
    }

    fn rollout_timing(&self) -> RolloutTiming {
        let timing = &self.provisioning.timing;
        RolloutTiming {
            control_plane_upgrade: timing.control_plane_upgrade(),
            node_boot: timing.node_boot(),
            node_drain: timing.node_drain_and_delete(),
        }
    }

    async fn list_cluster_types(&self, region: &str) -> Result<Vec<ClusterOffer>> {
        check_region(region)?;
        Ok(catalog::CLUSTER_TYPES.iter().map(|t| t.offer()).collect())
    }

    async fn list_clusters(
        &self,
        caller: &Caller,
        region: &str,
        query: &ClusterQuery,
    ) -> Result<Vec<Cluster>> {
        check_region(region)?;
        let filter = ClusterFilter {
            project_id: caller.project_id.clone(),
            region: region.to_string(),
            name_contains: query.name_contains.clone(),
            status: query.status.clone(),
            cluster_type: query.cluster_type.clone(),
            private_network_id: query.private_network_id.clone(),
            version: query.version.clone(),
        };
        let versions = self.provisioning.list_versions().await?;
        Ok(self
            .provisioning
            .list_clusters(&filter)
            .await?
            .into_iter()
            .map(|cluster| self.decorate(cluster, &versions))
            .collect())
    }

    async fn digest(
        &self,
        region: &str,
        callers: &[Caller],
    ) -> Result<Vec<crate::backend::ClusterDigest>> {
        check_region(region)?;
        let versions = self.provisioning.list_versions().await?;
        Ok(self
            .provisioning
            .digest(region, callers)
            .await?
            .into_iter()
            .map(|mut digest| {
                digest.cluster = self.decorate(digest.cluster, &versions);
                digest
            })
            .collect())
    }

    async fn snapshot(
        &self,
        region: &str,
        callers: &[Caller],
    ) -> Result<Vec<crate::backend::ClusterSnapshot>> {
        check_region(region)?;
        let versions = self.provisioning.list_versions().await?;
        Ok(self
            .provisioning
            .snapshot(region, callers)
            .await?
            .into_iter()
            .map(|mut snapshot| {
                snapshot.cluster = self.decorate(snapshot.cluster, &versions);
                snapshot
            })
            .collect())
    }

    async fn get_cluster(&self, caller: &Caller, region: &str, id: &ClusterId) -> Result<Cluster> {
        let cluster = self.provisioning.get_cluster(caller, region, id).await?;
        self.decorated(cluster).await
    }

    async fn create_cluster(
        &self,
        caller: &Caller,
        region: &str,
        spec: NewCluster,
    ) -> Result<Cluster> {
        let cluster = self
            .provisioning
            .create_cluster(caller, region, spec)
            .await?;
        self.decorated(cluster).await
    }

    async fn update_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        changes: ClusterChanges,
    ) -> Result<Cluster> {
        let cluster = self
            .provisioning
            .update_cluster(caller, region, id, changes)
            .await?;
        self.decorated(cluster).await
    }

    async fn delete_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        with_additional_resources: bool,
    ) -> Result<Cluster> {
        let cluster = self
            .provisioning
            .delete_cluster(caller, region, id, with_additional_resources)
            .await?;
        self.decorated(cluster).await
    }

    async fn upgrade_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        version: Option<String>,
        upgrade_pools: bool,
    ) -> Result<Cluster> {
        let cluster = self
            .provisioning
            .upgrade_cluster(caller, region, id, version, upgrade_pools)
            .await?;
        self.decorated(cluster).await
    }

    async fn control_rollout(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        control: RolloutControl,
    ) -> Result<Cluster> {
        self.provisioning
            .control_rollout(caller, region, id, control)
            .await
    }

    async fn current_os_image(&self, _region: &str) -> Result<Option<String>> {
        let mut conn = self.provisioning.database.pool().acquire().await?;
        Ok(super::store::inventory::current_os_image(&mut conn).await?)
    }

    async fn rollback_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        version: &str,
    ) -> Result<Cluster> {
        self.provisioning
            .rollback_cluster(caller, region, id, version)
            .await
    }

    async fn rollback_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: &str,
    ) -> Result<Pool> {
        self.provisioning
            .rollback_pool(caller, region, pool_id, version)
            .await
    }

    async fn set_cluster_type(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        cluster_type: Option<String>,
    ) -> Result<Cluster> {
        let cluster = self
            .provisioning
            .set_cluster_type(caller, region, id, cluster_type)
            .await?;
        self.decorated(cluster).await
    }

    async fn available_versions(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<KubeVersionEntry>> {
        self.provisioning
            .available_versions(caller, region, id)
            .await
    }

    async fn available_types(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<ClusterOffer>> {
        Ok(self
            .provisioning
            .available_types(caller, region, id)
            .await?
            .into_iter()
            .map(|t| t.offer())
            .collect())
    }

    async fn kubeconfig(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        redacted: bool,
    ) -> Result<String> {
        Ok(self
            .provisioning
            .kubeconfig(caller, region, id, redacted)
            .await?
            .1)
    }

    async fn reset_admin_token(&self, caller: &Caller, region: &str, id: &ClusterId) -> Result<()> {
        self.provisioning
            .reset_admin_token(caller, region, id)
            .await
    }

    async fn cluster_inventory(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<ClusterInventory>> {
        let cluster = self.provisioning.get_cluster(caller, region, id).await?;
        Ok(Some(self.provisioning.cluster_inventory(&cluster).await?))
    }

    async fn cluster_events(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<Vec<ClusterEvent>>> {
        let cluster = self.provisioning.get_cluster(caller, region, id).await?;
        let mut conn = self.provisioning.database.pool().acquire().await?;
        let rows = super::store::events::recent_of_cluster(&mut conn, &cluster.id, 100).await?;
        Ok(Some(
            rows.into_iter()
                .map(
                    |(at, object_kind, object_id, reason, message)| ClusterEvent {
                        at: crate::store::rows::time(at),
                        object_kind,
                        object_id,
                        reason,
                        message,
                    },
                )
                .collect(),
        ))
    }

    async fn list_acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<AclRule>> {
        self.provisioning.acl_rules(caller, region, id).await
    }

    async fn write_acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        rules: Vec<AclRuleInput>,
        replace: bool,
    ) -> Result<Vec<AclRule>> {
        self.provisioning
            .write_acl_rules(caller, region, id, rules, replace)
            .await
    }

    async fn delete_acl_rule(
        &self,
        caller: &Caller,
        region: &str,
        acl_id: &AclRuleId,
    ) -> Result<()> {
        self.provisioning
            .delete_acl_rule(caller, region, acl_id)
            .await
    }

    async fn list_pools(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Pool>> {
        self.provisioning
            .list_pools(caller, region, cluster_id)
            .await
    }

    async fn get_pool(&self, caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool> {
        self.provisioning.get_pool(caller, region, pool_id).await
    }

    async fn create_pool(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
        spec: NewPool,
    ) -> Result<Pool> {
        self.provisioning
            .create_pool(caller, region, cluster_id, spec)
            .await
    }

    async fn update_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        changes: PoolChanges,
    ) -> Result<Pool> {
        self.provisioning
            .update_pool(caller, region, pool_id, changes)
            .await
    }

    async fn upgrade_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: Option<String>,
    ) -> Result<Pool> {
        self.provisioning
            .upgrade_pool(caller, region, pool_id, version)
            .await
    }

    async fn delete_pool(&self, caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool> {
        self.provisioning.delete_pool(caller, region, pool_id).await
    }

    async fn set_pool_node_metadata(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        change: NodeMetadataChange,
    ) -> Result<Pool> {
        self.provisioning
            .set_pool_node_metadata(caller, region, pool_id, change)
            .await
    }

    async fn list_user_data(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<Vec<String>> {
        let pool = self.provisioning.get_pool(caller, region, pool_id).await?;
        Ok(pool.user_data.keys().cloned().collect())
    }

    async fn get_user_data(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        key: &str,
    ) -> Result<String> {
        let pool = self.provisioning.get_pool(caller, region, pool_id).await?;
        pool.user_data
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| DomainError::not_found("k8s_user_data", key))
    }

    async fn authorize_external_node(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<ExternalNodeAuth> {
        let secret = self
            .provisioning
            .authorize_external_node(caller, region, pool_id)
            .await?;
        Ok(ExternalNodeAuth {
            node_secret_key: secret,
            metadata_url: None,
        })
    }

    async fn external_node_metadata(
        &self,
        region: &str,
        node_secret: &str,
    ) -> Result<ExternalNodeMetadata> {
        check_region(region)?;
        let registration = self
            .provisioning
            .register_external_node(region, node_secret)
            .await?;
        let mut taints = registration.pool.taints.clone();
        for taint in &registration.pool.startup_taints {
            if !taints.contains(taint) {
                taints.push(taint.clone());
            }
        }
        Ok(ExternalNodeMetadata {
            id: registration.node.id.clone(),
            name: registration.node.name.clone(),
            cluster_url: self.provisioning.cluster_url(&registration.cluster),
            cluster_ca: base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                self.provisioning.api_server_ca_pem.as_bytes(),
            ),
            pool_version: registration.pool.version.clone(),
            provider_id: registration.node.provider_id.clone(),
            node_labels: registration.pool.labels.clone(),
            node_taints: taints,
        })
    }

    async fn list_nodes(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Node>> {
        self.provisioning
            .list_nodes(caller, region, cluster_id)
            .await
    }

    async fn get_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        self.provisioning.get_node(caller, region, node_id).await
    }

    async fn replace_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        self.provisioning
            .replace_node(caller, region, node_id)
            .await
    }

    async fn reboot_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        self.provisioning.reboot_node(caller, region, node_id).await
    }

    async fn age_new_nodes(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        ages: &[chrono::Duration],
    ) -> Result<Pool> {
        self.provisioning
            .age_new_nodes(caller, region, pool_id, ages)
            .await
    }

    async fn delete_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &NodeId,
        skip_drain: bool,
        replace: bool,
    ) -> Result<Node> {
        self.provisioning
            .delete_node(caller, region, node_id, skip_drain, replace)
            .await
    }

    async fn list_etcd_snapshots(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<EtcdSnapshot>> {
        self.provisioning.list_snapshots(caller, region, id).await
    }

    async fn preview_restore(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: &RestoreRequest,
    ) -> Result<Vec<RestoreChange>> {
        self.provisioning
            .preview_restore(caller, region, id, request)
            .await
    }

    async fn start_restore(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: &RestoreRequest,
    ) -> Result<ProviderRestore> {
        self.provisioning
            .start_restore(caller, region, id, request)
            .await
    }

    async fn restore_status(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        restore_id: &str,
    ) -> Result<ProviderRestore> {
        self.provisioning
            .restore_status(caller, region, id, restore_id)
            .await
    }

    async fn stats(&self) -> Result<Option<ProviderStats>> {
        Ok(Some(self.provisioning.stats().await?))
    }
}
