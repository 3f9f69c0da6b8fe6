//! The provisioning service: every interface (Scaleway REST API, console, CLI) reaches the
//! provider through here. It keeps Wheelhouse's tenancy above the port — which project owns
//! which cluster — so that a remote provider, one account shared by all projects, never lets a
//! project see or touch another's clusters; then it makes one port call. Lists are sorted and
//! paged here, with typed orders (versions sort as versions).

use std::collections::{HashMap, HashSet};

use crate::backend::{ClusterDigest, ClusterSnapshot, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::ids::{AclRuleId, ClusterId, NodeId, PoolId};
use crate::domain::listing::{self, ListOrder};
use crate::domain::model::{
    AclRule, Caller, Cluster, ClusterEvent, ClusterInventory, ClusterOffer, ExternalNodeAuth,
    ExternalNodeMetadata, KubeVersionEntry, Node, Pool, PoolStatus, ProviderStats, RolloutControl,
    RolloutTiming,
};
use crate::domain::requests::{
    AclRuleInput, ClusterChanges, ClusterQuery, NewCluster, NewPool, NodeMetadataChange,
    PoolChanges,
};
use crate::domain::DomainError;
use crate::services::changes::{
    cluster_fields, node_fields, pool_fields, target_of, Changes, WriteWith,
};
use crate::store::rows::millis;
use crate::store::{cluster_owners, Database};
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, DomainError>;

/// A project's node quota until an operator sets another.
pub const DEFAULT_NODE_QUOTA: i64 = 100;

/// One page of a list and how many items the whole list has.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_count: usize,
}

#[derive(Clone)]
pub struct ProvisioningService {
    backend: SharedBackend,
    database: Database,
    clock: SharedClock,
    changes: Changes,
}

impl ProvisioningService {
    pub fn new(backend: SharedBackend, database: Database, clock: SharedClock) -> Self {
        ProvisioningService {
            backend,
            database,
            clock,
            changes: Changes::default(),
        }
    }

    /// The same service, reporting its changes to `changes`.
    pub fn with_changes(mut self, changes: Changes) -> Self {
        self.changes = changes;
        self
    }

    /// Where this service's changes (and those of the services built on it) go.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// The one path for a change to a pool: found among the caller's (else refused, and
    /// recorded so), acted on by `act` (with the caller carrying the change's record, for the
    /// provider to seal), and recorded with `fields` of the pool before and after.
    async fn pool_change<'a, Fut>(
        &'a self,
        caller: &'a Caller,
        region: &'a str,
        pool_id: &'a PoolId,
        action: &'static str,
        fields: fn(&Pool) -> Value,
        act: impl FnOnce(Pool, Caller) -> Fut,
    ) -> Result<Pool>
    where
        Fut: std::future::Future<Output = Result<Pool>>,
    {
        let pool = match self.owned_pool(caller, region, pool_id).await {
            Ok(pool) => pool,
            Err(error) => {
                let target = target_of(caller, "pool", pool_id, None);
                return self
                    .changes
                    .report(caller, action, target, None, Err(error), |_: &Pool| None)
                    .await;
            }
        };
        let target = target_of(caller, "pool", pool_id, Some(&pool.cluster_id));
        let pending = self.changes.pending(
            caller,
            action,
            target,
            Some(fields(&pool)),
            move |pool: &Pool, change| change.after = Some(fields(pool)),
        );
        let result = act(pool, caller.recording(pending.clone())).await;
        self.changes.settle(&pending, result).await
    }

    /// The one path for a change to a cluster: owned by the caller (else refused, and recorded
    /// so), read as it is for the record's "before", acted on by `act` (with the caller
    /// carrying the change's record, for the provider to seal), and recorded with `after` of
    /// the cluster the provider answers.
    async fn cluster_change<Fut>(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        action: &'static str,
        act: impl FnOnce(Caller) -> Fut,
        after: impl Fn(&Cluster) -> Option<Value> + Send + Sync + 'static,
    ) -> Result<Cluster>
    where
        Fut: std::future::Future<Output = Result<Cluster>>,
    {
        let target = target_of(caller, "cluster", id, Some(id));
        if let Err(error) = self.owned(caller, region, id).await {
            return self
                .changes
                .report(caller, action, target, None, Err(error), |_: &Cluster| None)
                .await;
        }
        // A "before" that cannot be read leaves the record without it, not the change.
        let before = self.backend.get_cluster(caller, region, id).await.ok();
        let pending = self.changes.pending(
            caller,
            action,
            target,
            before.as_ref().map(cluster_fields),
            move |cluster: &Cluster, change| change.after = after(cluster),
        );
        let result = act(caller.recording(pending.clone()))
            .await
            .map(|cluster| Self::localized(cluster, caller));
        self.changes.settle(&pending, result).await
    }

    pub fn backend_kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// The regions the provider serves, its default first.
    pub fn regions(&self) -> &'static [&'static str] {
        self.backend.regions()
    }

    /// The node types the provider's pools may use.
    pub fn node_types(&self) -> &'static [&'static str] {
        self.backend.node_types()
    }

    pub fn rollout_timing(&self) -> RolloutTiming {
        self.backend.rollout_timing()
    }

    /// How many nodes the project's pools may hold now, every region (an autoscaled pool counts
    /// its maximum): what its node quota is measured against.
    pub async fn project_pool_sizes(&self, caller: &Caller) -> Result<i64> {
        let mut conn = self.database.pool().acquire().await?;
        let clusters = cluster_owners::clusters_of_project(&mut conn, &caller.project_id).await?;
        drop(conn);
        let mut total = 0;
        for (cluster_id, region) in clusters {
            let pools = match self
                .backend
                .list_pools(caller, &region, &ClusterId::from(cluster_id))
                .await
            {
                Ok(pools) => pools,
                // A cluster deleted at the provider holds no node.
                Err(DomainError::NotFound { .. }) => continue,
                Err(error) => return Err(error),
            };
            total += pools
                .iter()
                .filter(|pool| pool.status != PoolStatus::Deleting)
                .map(reserved_nodes)
                .sum::<i64>();
        }
        Ok(total)
    }

    /// How many nodes the project's pools may hold at once.
    pub async fn node_quota(&self, caller: &Caller) -> Result<i64> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(
            sqlx::query_scalar("SELECT node_quota FROM projects WHERE id = $1")
                .bind(&caller.project_id)
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or(DEFAULT_NODE_QUOTA),
        )
    }

    /// Refuses a change that would take the project's pools past its node quota.
    async fn within_quota(&self, caller: &Caller, adding: i64) -> Result<()> {
        if adding <= 0 {
            return Ok(());
        }
        let limit = self.node_quota(caller).await?;
        let in_use = self.project_pool_sizes(caller).await?;
        if in_use + adding > limit {
            return Err(DomainError::QuotaExceeded(format!(
                "the project's pools would hold {} nodes; its node quota is {limit}",
                in_use + adding
            )));
        }
        Ok(())
    }

    /// The caller's cluster id, or "not found" for clusters of other projects (or regions), so
    /// that ids of other tenants cannot even be probed.
    async fn owned(&self, caller: &Caller, region: &str, cluster_id: &str) -> Result<()> {
        let mut conn = self.database.pool().acquire().await?;
        match cluster_owners::owner(&mut conn, cluster_id).await? {
            Some((project, owner_region))
                if project == caller.project_id && owner_region == region =>
            {
                Ok(())
            }
            _ => Err(DomainError::not_found("k8s_cluster", cluster_id)),
        }
    }

    /// Maps "not found" of the owning cluster to "not found" of the object asked for.
    async fn owned_as(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
        resource: &'static str,
        id: &str,
    ) -> Result<()> {
        self.owned(caller, region, cluster_id)
            .await
            .map_err(|_| DomainError::not_found(resource, id))
    }

    async fn owned_pool(&self, caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool> {
        let pool = self.backend.get_pool(caller, region, pool_id).await?;
        self.owned_as(caller, region, &pool.cluster_id, "k8s_pool", pool_id)
            .await?;
        Ok(pool)
    }

    async fn owned_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        let node = self.backend.get_node(caller, region, node_id).await?;
        self.owned_as(caller, region, &node.cluster_id, "k8s_node", node_id)
            .await?;
        Ok(node)
    }

    /// A cluster as its owner sees it: in the owner's project and organization (a remote
    /// provider reports its own account's).
    fn localized(mut cluster: Cluster, caller: &Caller) -> Cluster {
        Self::localize(&mut cluster, caller);
        cluster
    }

    fn localize(cluster: &mut Cluster, caller: &Caller) {
        cluster.project_id.clone_from(&caller.project_id);
        cluster.organization_id.clone_from(&caller.organization_id);
    }

    /// The project that owns a cluster, and its region, as Wheelhouse recorded them.
    pub async fn owner_of(&self, cluster_id: &str) -> Result<Option<(String, String)>> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(cluster_owners::owner(&mut conn, cluster_id).await?)
    }

    // ---- catalog

    pub async fn list_versions(&self, region: &str) -> Result<Vec<KubeVersionEntry>> {
        self.backend.list_versions(region).await
    }

    pub async fn get_version(&self, region: &str, name: &str) -> Result<KubeVersionEntry> {
        self.backend.get_version(region, name).await
    }

    pub fn price_list(&self) -> Option<crate::domain::model::ProviderPrices> {
        self.backend.price_list()
    }

    pub async fn list_cluster_types(&self, region: &str) -> Result<Vec<ClusterOffer>> {
        self.backend.list_cluster_types(region).await
    }

    // ---- clusters

    pub async fn list_clusters(
        &self,
        caller: &Caller,
        region: &str,
        query: &ClusterQuery,
        order: ListOrder,
        page: i64,
        page_size: i64,
    ) -> Result<Page<Cluster>> {
        let owned = {
            let mut conn = self.database.pool().acquire().await?;
            cluster_owners::clusters_of(&mut conn, &caller.project_id, region).await?
        };
        let mut clusters: Vec<Cluster> = self
            .backend
            .list_clusters(caller, region, query)
            .await?
            .into_iter()
            .filter(|cluster| owned.contains(&cluster.id))
            .map(|cluster| Self::localized(cluster, caller))
            .collect();
        listing::sort(&mut clusters, order);
        Ok(Page {
            items: listing::page(&clusters, page, page_size),
            total_count: clusters.len(),
        })
    }

    /// The given clusters (id → the project that owns it) of a region with their pools and
    /// nodes, in one read of the fleet (for passes over every cluster). Clusters the provider
    /// did not return (gone, or its read failed) are simply absent.
    pub async fn snapshot(
        &self,
        region: &str,
        owners: &HashMap<String, Caller>,
    ) -> Result<Vec<ClusterSnapshot>> {
        let read = self.backend.snapshot(region, &projects_of(owners)).await?;
        Ok(Self::kept_for(read, owners, |s: &mut ClusterSnapshot| {
            &mut s.cluster
        }))
    }

    /// Every cluster of these projects in these regions as a digest (pools and nodes counted,
    /// not listed), oldest first: one read per region (the dashboard and its live updates).
    pub async fn digest_of_projects(
        &self,
        callers: &[Caller],
        regions: &[&str],
    ) -> Result<Vec<ClusterDigest>> {
        let mut digests = Vec::new();
        for region in regions {
            let mut owners = HashMap::new();
            {
                let mut conn = self.database.pool().acquire().await?;
                for caller in callers {
                    for id in
                        cluster_owners::clusters_of(&mut conn, &caller.project_id, region).await?
                    {
                        owners.insert(id, caller.clone());
                    }
                }
            }
            if !owners.is_empty() {
                let read = self.backend.digest(region, &projects_of(&owners)).await?;
                digests.extend(Self::kept_for(read, &owners, |d: &mut ClusterDigest| {
                    &mut d.cluster
                }));
            }
        }
        digests.sort_by(|a, b| {
            (a.cluster.created_at, &a.cluster.id).cmp(&(b.cluster.created_at, &b.cluster.id))
        });
        Ok(digests)
    }

    /// Of what a fleet read returned, the clusters Wheelhouse records for these owners, each
    /// once, with the owner's project as Wheelhouse knows it.
    fn kept_for<T>(
        read: Vec<T>,
        owners: &HashMap<String, Caller>,
        cluster_of: fn(&mut T) -> &mut Cluster,
    ) -> Vec<T> {
        let mut seen = HashSet::new();
        read.into_iter()
            .filter_map(|mut item| {
                let cluster = cluster_of(&mut item);
                let caller = owners.get(&cluster.id)?;
                if !seen.insert(cluster.id.clone()) {
                    return None;
                }
                Self::localize(cluster, caller);
                Some(item)
            })
            .collect()
    }

    pub async fn get_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Cluster> {
        self.owned(caller, region, id).await?;
        self.backend
            .get_cluster(caller, region, id)
            .await
            .map(|cluster| Self::localized(cluster, caller))
    }

    pub async fn create_cluster(
        &self,
        caller: &Caller,
        region: &str,
        spec: NewCluster,
    ) -> Result<Cluster> {
        let requested = serde_json::to_value(&spec).ok().unwrap_or_default();
        let owner = (caller.project_id.clone(), region.to_string());
        let clock = self.clock.clone();
        // Which project owns the cluster is written with it, or (a remote provider) after.
        let record_owner: WriteWith = Box::new(move |conn, written| {
            let (project_id, region) = owner.clone();
            let created_at = millis(clock.now());
            Box::pin(async move {
                if let Some(cluster) = written.downcast_ref::<Cluster>() {
                    cluster_owners::record(conn, &cluster.id, &project_id, &region, created_at)
                        .await?;
                }
                Ok(())
            })
        });
        let pending = self.changes.pending_writing(
            caller,
            "cluster.create",
            target_of(caller, "cluster", "", None),
            None,
            move |cluster: &Cluster, change| {
                change.target.id.clone_from(&cluster.id);
                change.target.cluster_id = Some(cluster.id.clone());
                let mut after = cluster_fields(cluster);
                after["requested"] = requested.clone();
                change.after = Some(after);
            },
            Some(record_owner),
        );
        let recording = caller.recording(pending.clone());
        let created = async {
            let adding = spec.pools.iter().flatten().map(requested_nodes).sum();
            self.within_quota(caller, adding).await?;
            let cluster = Self::localized(
                self.backend
                    .create_cluster(&recording, region, spec)
                    .await?,
                caller,
            );
            if !pending.is_sealed() {
                let mut conn = self.database.pool().acquire().await?;
                cluster_owners::record(
                    &mut conn,
                    &cluster.id,
                    &caller.project_id,
                    region,
                    millis(self.clock.now()),
                )
                .await?;
            }
            Ok(cluster)
        }
        .await;
        self.changes.settle(&pending, created).await
    }

    pub async fn update_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        changes: ClusterChanges,
    ) -> Result<Cluster> {
        self.cluster_change(
            caller,
            region,
            id,
            "cluster.update",
            |caller| async move {
                self.backend
                    .update_cluster(&caller, region, id, changes)
                    .await
            },
            |c| Some(cluster_fields(c)),
        )
        .await
    }

    pub async fn delete_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        with_additional_resources: bool,
    ) -> Result<Cluster> {
        self.cluster_change(
            caller,
            region,
            id,
            "cluster.delete",
            |caller| async move {
                self.backend
                    .delete_cluster(&caller, region, id, with_additional_resources)
                    .await
            },
            move |_| Some(json!({ "with_additional_resources": with_additional_resources })),
        )
        .await
    }

    pub async fn upgrade_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        version: Option<String>,
        upgrade_pools: bool,
    ) -> Result<Cluster> {
        let asked = json!({ "version": version, "upgrade_pools": upgrade_pools });
        self.cluster_change(
            caller,
            region,
            id,
            "cluster.upgrade",
            |caller| async move {
                self.backend
                    .upgrade_cluster(&caller, region, id, version, upgrade_pools)
                    .await
            },
            move |c| {
                let mut after = cluster_fields(c);
                after["requested"] = asked.clone();
                Some(after)
            },
        )
        .await
    }

    pub async fn control_rollout(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        control: RolloutControl,
    ) -> Result<Cluster> {
        let action = match control {
            RolloutControl::Pause => "upgrade.pause",
            RolloutControl::Resume => "upgrade.resume",
            RolloutControl::Abort => "upgrade.abort",
        };
        let target = target_of(caller, "cluster", id, Some(id));
        let pending = self
            .changes
            .pending(caller, action, target, None, |c: &Cluster, change| {
                change.after = Some(cluster_fields(c))
            });
        let recording = caller.recording(pending.clone());
        let result = async {
            self.owned(caller, region, id).await?;
            self.backend
                .control_rollout(&recording, region, id, control)
                .await
                .map(|cluster| Self::localized(cluster, caller))
        }
        .await;
        self.changes.settle(&pending, result).await
    }

    /// The OS image new nodes boot now, when the provider says.
    pub async fn current_os_image(&self, region: &str) -> Result<Option<String>> {
        self.backend.current_os_image(region).await
    }

    pub async fn rollback_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        version: &str,
    ) -> Result<Cluster> {
        self.cluster_change(
            caller,
            region,
            id,
            "cluster.rollback",
            |caller| async move {
                self.backend
                    .rollback_cluster(&caller, region, id, version)
                    .await
            },
            |c| Some(cluster_fields(c)),
        )
        .await
    }

    pub async fn rollback_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: &str,
    ) -> Result<Pool> {
        self.pool_change(
            caller,
            region,
            pool_id,
            "pool.rollback",
            pool_fields,
            |_, caller| async move {
                self.backend
                    .rollback_pool(&caller, region, pool_id, version)
                    .await
            },
        )
        .await
    }

    pub async fn set_cluster_type(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        cluster_type: Option<String>,
    ) -> Result<Cluster> {
        self.cluster_change(
            caller,
            region,
            id,
            "cluster.set_type",
            |caller| async move {
                self.backend
                    .set_cluster_type(&caller, region, id, cluster_type)
                    .await
            },
            |c| Some(cluster_fields(c)),
        )
        .await
    }

    pub async fn available_versions(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<KubeVersionEntry>> {
        self.owned(caller, region, id).await?;
        self.backend.available_versions(caller, region, id).await
    }

    pub async fn available_types(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<ClusterOffer>> {
        self.owned(caller, region, id).await?;
        self.backend.available_types(caller, region, id).await
    }

    pub async fn kubeconfig(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        redacted: bool,
    ) -> Result<String> {
        self.owned(caller, region, id).await?;
        self.backend.kubeconfig(caller, region, id, redacted).await
    }

    pub async fn reset_admin_token(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<()> {
        // The token itself is a secret: the record says it was reset, nothing more.
        let target = target_of(caller, "cluster", id, Some(id));
        let pending = self.changes.pending(
            caller,
            "cluster.reset_admin_token",
            target,
            None,
            |_: &(), change| change.after = Some(json!({ "admin_token": "reset" })),
        );
        let recording = caller.recording(pending.clone());
        let result = async {
            self.owned(caller, region, id).await?;
            self.backend.reset_admin_token(&recording, region, id).await
        }
        .await;
        self.changes.settle(&pending, result).await
    }

    pub async fn cluster_inventory(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<ClusterInventory>> {
        self.owned(caller, region, id).await?;
        self.backend.cluster_inventory(caller, region, id).await
    }

    pub async fn cluster_events(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Option<Vec<ClusterEvent>>> {
        self.owned(caller, region, id).await?;
        self.backend.cluster_events(caller, region, id).await
    }

    // ---- ACL rules

    pub async fn list_acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<AclRule>> {
        self.owned(caller, region, id).await?;
        self.backend.list_acl_rules(caller, region, id).await
    }

    pub async fn write_acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        rules: Vec<AclRuleInput>,
        replace: bool,
    ) -> Result<Vec<AclRule>> {
        // Ownership is checked once; a "before" that cannot be read leaves the record without
        // it, not the change.
        let action = if replace { "acl.replace" } else { "acl.add" };
        let target = target_of(caller, "cluster", id, Some(id));
        if let Err(error) = self.owned(caller, region, id).await {
            return self
                .changes
                .report(
                    caller,
                    action,
                    target,
                    None,
                    Err(error),
                    |_: &Vec<AclRule>| None,
                )
                .await;
        }
        let before = self.backend.list_acl_rules(caller, region, id).await.ok();
        let pending = self.changes.pending(
            caller,
            action,
            target,
            before.as_deref().map(acl_fields),
            |rules: &Vec<AclRule>, change| change.after = Some(acl_fields(rules)),
        );
        let result = self
            .backend
            .write_acl_rules(
                &caller.recording(pending.clone()),
                region,
                id,
                rules,
                replace,
            )
            .await;
        self.changes.settle(&pending, result).await
    }

    /// A rule is found among the caller's clusters (Scaleway addresses rules by id alone).
    pub async fn delete_acl_rule(
        &self,
        caller: &Caller,
        region: &str,
        acl_id: &AclRuleId,
    ) -> Result<()> {
        let target = target_of(caller, "acl_rule", acl_id, None);
        let pending = self
            .changes
            .pending(caller, "acl.delete", target, None, |_: &(), _| {});
        let result = self
            .delete_acl_rule_unrecorded(&caller.recording(pending.clone()), region, acl_id)
            .await;
        self.changes.settle(&pending, result).await
    }

    async fn delete_acl_rule_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        acl_id: &AclRuleId,
    ) -> Result<()> {
        let owned = {
            let mut conn = self.database.pool().acquire().await?;
            cluster_owners::clusters_of(&mut conn, &caller.project_id, region).await?
        };
        for cluster_id in owned.into_iter().map(ClusterId::from) {
            let rules = match self
                .backend
                .list_acl_rules(caller, region, &cluster_id)
                .await
            {
                Ok(rules) => rules,
                Err(DomainError::NotFound { .. }) => continue,
                Err(error) => return Err(error),
            };
            if rules.iter().any(|rule| rule.id == acl_id.as_str()) {
                return self.backend.delete_acl_rule(caller, region, acl_id).await;
            }
        }
        Err(DomainError::not_found("k8s_acl", acl_id.as_str()))
    }

    // ---- pools

    pub async fn list_pools(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Pool>> {
        self.owned(caller, region, cluster_id).await?;
        self.backend.list_pools(caller, region, cluster_id).await
    }

    pub async fn get_pool(&self, caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool> {
        self.owned_pool(caller, region, pool_id).await
    }

    pub async fn create_pool(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
        spec: NewPool,
    ) -> Result<Pool> {
        let target = target_of(caller, "pool", "", Some(cluster_id));
        let pending = self.changes.pending(
            caller,
            "pool.create",
            target,
            None,
            |pool: &Pool, change| {
                change.target.id.clone_from(&pool.id);
                change.after = Some(pool_fields(pool));
            },
        );
        let recording = caller.recording(pending.clone());
        let result = async {
            self.owned(caller, region, cluster_id).await?;
            self.within_quota(caller, requested_nodes(&spec)).await?;
            self.backend
                .create_pool(&recording, region, cluster_id, spec)
                .await
        }
        .await;
        self.changes.settle(&pending, result).await
    }

    pub async fn update_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        changes: PoolChanges,
    ) -> Result<Pool> {
        self.pool_change(
            caller,
            region,
            pool_id,
            "pool.update",
            pool_fields,
            |pool, caller| async move {
                self.update_pool_unrecorded(&caller, region, &pool, changes)
                    .await
            },
        )
        .await
    }

    async fn update_pool_unrecorded(
        &self,
        caller: &Caller,
        region: &str,
        pool: &Pool,
        changes: PoolChanges,
    ) -> Result<Pool> {
        let pool_id = PoolId::from(pool.id.clone());
        let pool_id = &pool_id;
        let after = Pool {
            autoscaling: changes.autoscaling.unwrap_or(pool.autoscaling),
            size: changes.size.unwrap_or(pool.size),
            max_size: changes.max_size.unwrap_or(pool.max_size),
            ..pool.clone()
        };
        self.within_quota(caller, reserved_nodes(&after) - reserved_nodes(pool))
            .await?;
        self.backend
            .update_pool(caller, region, pool_id, changes)
            .await
    }

    pub async fn upgrade_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: Option<String>,
    ) -> Result<Pool> {
        self.pool_change(
            caller,
            region,
            pool_id,
            "pool.upgrade",
            pool_fields,
            |_, caller| async move {
                self.backend
                    .upgrade_pool(&caller, region, pool_id, version)
                    .await
            },
        )
        .await
    }

    /// The demo's: the nodes the new pool is about to make are made as if `ages` ago (see the
    /// port); recorded as a change to the pool by its caller.
    pub async fn age_new_nodes(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        ages: &[chrono::Duration],
    ) -> Result<Pool> {
        self.pool_change(
            caller,
            region,
            pool_id,
            "pool.age_new_nodes",
            pool_fields,
            |_, caller| async move {
                self.backend
                    .age_new_nodes(&caller, region, pool_id, ages)
                    .await
            },
        )
        .await
    }

    pub async fn delete_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<Pool> {
        // "After" is the pool as the provider answers the deletion (deleting).
        self.pool_change(
            caller,
            region,
            pool_id,
            "pool.delete",
            pool_fields,
            |_, caller| async move { self.backend.delete_pool(&caller, region, pool_id).await },
        )
        .await
    }

    pub async fn set_pool_node_metadata(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        change: NodeMetadataChange,
    ) -> Result<Pool> {
        let action = match &change {
            NodeMetadataChange::Labels(_) => "pool.set_labels",
            NodeMetadataChange::Taints(_) => "pool.set_taints",
            NodeMetadataChange::StartupTaints(_) => "pool.set_startup_taints",
        };
        self.pool_change(
            caller,
            region,
            pool_id,
            action,
            node_metadata_fields,
            |_, caller| async move {
                self.backend
                    .set_pool_node_metadata(&caller, region, pool_id, change)
                    .await
            },
        )
        .await
    }

    pub async fn list_user_data(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<Vec<String>> {
        self.owned_pool(caller, region, pool_id).await?;
        self.backend.list_user_data(caller, region, pool_id).await
    }

    pub async fn get_user_data(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        key: &str,
    ) -> Result<String> {
        self.owned_pool(caller, region, pool_id).await?;
        self.backend
            .get_user_data(caller, region, pool_id, key)
            .await
    }

    pub async fn authorize_external_node(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<ExternalNodeAuth> {
        let action = "pool.authorize_external_node";
        let pool = match self.owned_pool(caller, region, pool_id).await {
            Ok(pool) => pool,
            Err(error) => {
                let target = target_of(caller, "pool", pool_id, None);
                return self
                    .changes
                    .report(caller, action, target, None, Err(error), |_| None)
                    .await;
            }
        };
        // The node secret is shown once to the caller and never recorded.
        let target = target_of(caller, "pool", pool_id, Some(&pool.cluster_id));
        let pending = self.changes.pending_as_asked(
            caller,
            action,
            target,
            Some(json!({ "node_secret": "issued" })),
        );
        let result = self
            .backend
            .authorize_external_node(&caller.recording(pending.clone()), region, pool_id)
            .await;
        self.changes.settle(&pending, result).await
    }

    /// The node secret is the credential: no project is involved.
    pub async fn external_node_metadata(
        &self,
        region: &str,
        node_secret: &str,
    ) -> Result<ExternalNodeMetadata> {
        self.backend
            .external_node_metadata(region, node_secret)
            .await
    }

    // ---- nodes

    pub async fn list_nodes(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Node>> {
        self.owned(caller, region, cluster_id).await?;
        self.backend.list_nodes(caller, region, cluster_id).await
    }

    pub async fn get_node(&self, caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        self.owned_node(caller, region, node_id).await
    }

    pub async fn replace_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &NodeId,
    ) -> Result<Node> {
        self.node_change(
            caller,
            region,
            node_id,
            "node.replace",
            |caller| async move { self.backend.replace_node(&caller, region, node_id).await },
        )
        .await
    }

    pub async fn reboot_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &NodeId,
    ) -> Result<Node> {
        self.node_change(
            caller,
            region,
            node_id,
            "node.reboot",
            |caller| async move { self.backend.reboot_node(&caller, region, node_id).await },
        )
        .await
    }

    pub async fn delete_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &NodeId,
        skip_drain: bool,
        replace: bool,
    ) -> Result<Node> {
        self.node_change(
            caller,
            region,
            node_id,
            "node.delete",
            |caller| async move {
                self.backend
                    .delete_node(&caller, region, node_id, skip_drain, replace)
                    .await
            },
        )
        .await
    }

    /// The one path for a change to a node: found among the caller's (else refused, and
    /// recorded so), acted on by `act` (with the caller carrying the change's record, for the
    /// provider to seal), and recorded with the node before and after.
    async fn node_change<Fut>(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &NodeId,
        action: &'static str,
        act: impl FnOnce(Caller) -> Fut,
    ) -> Result<Node>
    where
        Fut: std::future::Future<Output = Result<Node>>,
    {
        let node = match self.owned_node(caller, region, node_id).await {
            Ok(node) => node,
            Err(error) => {
                let target = target_of(caller, "node", node_id, None);
                return self
                    .changes
                    .report(caller, action, target, None, Err(error), |_: &Node| None)
                    .await;
            }
        };
        let target = target_of(caller, "node", node_id, Some(&node.cluster_id));
        let pending = self.changes.pending(
            caller,
            action,
            target,
            Some(node_fields(&node)),
            |node: &Node, change| change.after = Some(node_fields(node)),
        );
        let result = act(caller.recording(pending.clone())).await;
        self.changes.settle(&pending, result).await
    }

    pub async fn provider_stats(&self) -> Result<Option<ProviderStats>> {
        self.backend.stats().await
    }
}

/// A pool's labels and taints, as records show them.
fn node_metadata_fields(pool: &Pool) -> Value {
    json!({ "labels": pool.labels, "taints": pool.taints.iter().map(|t| format!("{}={}:{}", t.key, t.value, t.effect)).collect::<Vec<_>>(),
            "startup_taints": pool.startup_taints.iter().map(|t| format!("{}={}:{}", t.key, t.value, t.effect)).collect::<Vec<_>>() })
}

/// A cluster's ACL rules, as records show them.
fn acl_fields(rules: &[AclRule]) -> Value {
    json!(rules
        .iter()
        .map(|rule| json!({ "id": rule.id, "ip": rule.ip, "scaleway_ranges": rule.scaleway_ranges, "description": rule.description }))
        .collect::<Vec<_>>())
}

/// The nodes a pool may hold: its size, or its maximum when autoscaled.
fn reserved_nodes(pool: &Pool) -> i64 {
    if pool.autoscaling {
        pool.max_size.max(pool.size)
    } else {
        pool.size
    }
}

/// The nodes a new pool asks for (Scaleway's default size is 1).
fn requested_nodes(spec: &NewPool) -> i64 {
    let size = spec.size.unwrap_or(1).max(0);
    if spec.autoscaling.unwrap_or(false) {
        spec.max_size.unwrap_or(size).max(size)
    } else {
        size
    }
}

/// One caller per project among the owners: a fleet read is asked per project.
fn projects_of(owners: &HashMap<String, Caller>) -> Vec<Caller> {
    let mut callers: Vec<Caller> = Vec::new();
    for caller in owners.values() {
        if !callers.iter().any(|c| c.project_id == caller.project_id) {
            callers.push(caller.clone());
        }
    }
    callers
}

// ---- restore: the restore service's calls to the port, behind the tenancy check. A start is
// recorded by the restore service (its pending record rides on the caller).
impl ProvisioningService {
    pub async fn list_etcd_snapshots(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<crate::domain::restore::EtcdSnapshot>> {
        self.owned(caller, region, id).await?;
        self.backend.list_etcd_snapshots(caller, region, id).await
    }

    pub async fn preview_restore(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: &crate::domain::restore::RestoreRequest,
    ) -> Result<Vec<crate::domain::restore::RestoreChange>> {
        self.owned(caller, region, id).await?;
        self.backend
            .preview_restore(caller, region, id, request)
            .await
    }

    pub async fn start_restore(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        request: &crate::domain::restore::RestoreRequest,
    ) -> Result<crate::domain::restore::ProviderRestore> {
        self.owned(caller, region, id).await?;
        self.backend
            .start_restore(caller, region, id, request)
            .await
    }

    pub async fn restore_status(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        restore_id: &str,
    ) -> Result<crate::domain::restore::ProviderRestore> {
        self.owned(caller, region, id).await?;
        self.backend
            .restore_status(caller, region, id, restore_id)
            .await
    }
}
