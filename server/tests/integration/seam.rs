//! Serving goes through the provisioning port: the REST API runs over a backend double that
//! records every call and marks what it returns, so a handler that reached past the port (into
//! the sandbox's tables) would show an unmarked object or a missing call.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::json;
use wheelhouse::backend::sandbox::SandboxBackend;
use wheelhouse::backend::ProvisioningBackend;
use wheelhouse::domain::ids::{AclRuleId, ClusterId, NodeId, PoolId};
use wheelhouse::domain::model::{
    AclRule, Caller, Cluster, ClusterEvent, ClusterInventory, ClusterOffer, ExternalNodeAuth,
    ExternalNodeMetadata, KubeVersionEntry, Node, Pool, ProviderStats, RolloutControl,
};
use wheelhouse::domain::requests::{
    AclRuleInput, ClusterChanges, ClusterQuery, NewCluster, NewPool, NodeMetadataChange,
    PoolChanges,
};
use wheelhouse::domain::DomainError;
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::TestApp;

const R: &str = "/k8s/v1/regions/fr-par";
const MARK: &str = " (via the port)";

type Result<T> = std::result::Result<T, DomainError>;

/// Delegates to the sandbox, writes down each call, and marks clusters' descriptions and
/// pools' and nodes' names so a response shows where it came from.
struct Recording {
    inner: SandboxBackend,
    calls: Arc<Mutex<Vec<&'static str>>>,
}

impl Recording {
    fn note(&self, call: &'static str) {
        self.calls.lock().expect("calls").push(call);
    }
}

fn mark_cluster(mut cluster: Cluster) -> Cluster {
    cluster.description.push_str(MARK);
    cluster
}

fn mark_pool(mut pool: Pool) -> Pool {
    pool.name.push_str(MARK);
    pool
}

fn mark_node(mut node: Node) -> Node {
    node.name.push_str(MARK);
    node
}

#[async_trait]
impl ProvisioningBackend for Recording {
    fn kind(&self) -> &'static str {
        "recording"
    }
    async fn list_versions(&self, region: &str) -> Result<Vec<KubeVersionEntry>> {
        self.note("list_versions");
        self.inner.list_versions(region).await
    }
    async fn get_version(&self, region: &str, name: &str) -> Result<KubeVersionEntry> {
        self.note("get_version");
        self.inner.get_version(region, name).await
    }
    fn price_list(&self) -> Option<wheelhouse::domain::model::ProviderPrices> {
        self.inner.price_list()
    }
    fn regions(&self) -> &'static [&'static str] {
        self.inner.regions()
    }
    fn node_types(&self) -> &'static [&'static str] {
        self.inner.node_types()
    }
    async fn list_cluster_types(&self, region: &str) -> Result<Vec<ClusterOffer>> {
        self.note("list_cluster_types");
        self.inner.list_cluster_types(region).await
    }
    async fn list_clusters(&self, c: &Caller, r: &str, q: &ClusterQuery) -> Result<Vec<Cluster>> {
        self.note("list_clusters");
        Ok(self
            .inner
            .list_clusters(c, r, q)
            .await?
            .into_iter()
            .map(mark_cluster)
            .collect())
    }
    async fn get_cluster(&self, c: &Caller, r: &str, id: &ClusterId) -> Result<Cluster> {
        self.note("get_cluster");
        self.inner.get_cluster(c, r, id).await.map(mark_cluster)
    }
    async fn create_cluster(&self, c: &Caller, r: &str, spec: NewCluster) -> Result<Cluster> {
        self.note("create_cluster");
        self.inner
            .create_cluster(c, r, spec)
            .await
            .map(mark_cluster)
    }
    async fn update_cluster(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        ch: ClusterChanges,
    ) -> Result<Cluster> {
        self.note("update_cluster");
        self.inner
            .update_cluster(c, r, id, ch)
            .await
            .map(mark_cluster)
    }
    async fn delete_cluster(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        w: bool,
    ) -> Result<Cluster> {
        self.note("delete_cluster");
        self.inner
            .delete_cluster(c, r, id, w)
            .await
            .map(mark_cluster)
    }
    async fn upgrade_cluster(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        v: Option<String>,
        p: bool,
    ) -> Result<Cluster> {
        self.note("upgrade_cluster");
        self.inner
            .upgrade_cluster(c, r, id, v, p)
            .await
            .map(mark_cluster)
    }
    async fn control_rollout(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        control: RolloutControl,
    ) -> Result<Cluster> {
        self.note("control_rollout");
        self.inner
            .control_rollout(c, r, id, control)
            .await
            .map(mark_cluster)
    }
    async fn rollback_cluster(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        version: &str,
    ) -> Result<Cluster> {
        self.note("rollback_cluster");
        self.inner
            .rollback_cluster(c, r, id, version)
            .await
            .map(mark_cluster)
    }
    async fn rollback_pool(&self, c: &Caller, r: &str, id: &PoolId, version: &str) -> Result<Pool> {
        self.note("rollback_pool");
        self.inner.rollback_pool(c, r, id, version).await
    }
    async fn set_cluster_type(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        t: Option<String>,
    ) -> Result<Cluster> {
        self.note("set_cluster_type");
        self.inner
            .set_cluster_type(c, r, id, t)
            .await
            .map(mark_cluster)
    }
    async fn available_versions(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
    ) -> Result<Vec<KubeVersionEntry>> {
        self.note("available_versions");
        self.inner.available_versions(c, r, id).await
    }
    async fn available_types(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
    ) -> Result<Vec<ClusterOffer>> {
        self.note("available_types");
        self.inner.available_types(c, r, id).await
    }
    async fn kubeconfig(&self, c: &Caller, r: &str, id: &ClusterId, red: bool) -> Result<String> {
        self.note("kubeconfig");
        self.inner.kubeconfig(c, r, id, red).await
    }
    async fn reset_admin_token(&self, c: &Caller, r: &str, id: &ClusterId) -> Result<()> {
        self.note("reset_admin_token");
        self.inner.reset_admin_token(c, r, id).await
    }
    async fn cluster_inventory(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
    ) -> Result<Option<ClusterInventory>> {
        self.note("cluster_inventory");
        self.inner.cluster_inventory(c, r, id).await
    }
    async fn cluster_events(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
    ) -> Result<Option<Vec<ClusterEvent>>> {
        self.note("cluster_events");
        self.inner.cluster_events(c, r, id).await
    }
    async fn list_acl_rules(&self, c: &Caller, r: &str, id: &ClusterId) -> Result<Vec<AclRule>> {
        self.note("list_acl_rules");
        self.inner.list_acl_rules(c, r, id).await
    }
    async fn write_acl_rules(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        rules: Vec<AclRuleInput>,
        replace: bool,
    ) -> Result<Vec<AclRule>> {
        self.note("write_acl_rules");
        self.inner.write_acl_rules(c, r, id, rules, replace).await
    }
    async fn delete_acl_rule(&self, c: &Caller, r: &str, acl: &AclRuleId) -> Result<()> {
        self.note("delete_acl_rule");
        self.inner.delete_acl_rule(c, r, acl).await
    }
    async fn list_pools(&self, c: &Caller, r: &str, id: &ClusterId) -> Result<Vec<Pool>> {
        self.note("list_pools");
        Ok(self
            .inner
            .list_pools(c, r, id)
            .await?
            .into_iter()
            .map(mark_pool)
            .collect())
    }
    async fn get_pool(&self, c: &Caller, r: &str, id: &PoolId) -> Result<Pool> {
        self.note("get_pool");
        self.inner.get_pool(c, r, id).await.map(mark_pool)
    }
    async fn create_pool(
        &self,
        c: &Caller,
        r: &str,
        id: &ClusterId,
        spec: NewPool,
    ) -> Result<Pool> {
        self.note("create_pool");
        self.inner.create_pool(c, r, id, spec).await.map(mark_pool)
    }
    async fn update_pool(&self, c: &Caller, r: &str, id: &PoolId, ch: PoolChanges) -> Result<Pool> {
        self.note("update_pool");
        self.inner.update_pool(c, r, id, ch).await.map(mark_pool)
    }
    async fn upgrade_pool(
        &self,
        c: &Caller,
        r: &str,
        id: &PoolId,
        v: Option<String>,
    ) -> Result<Pool> {
        self.note("upgrade_pool");
        self.inner.upgrade_pool(c, r, id, v).await.map(mark_pool)
    }
    async fn delete_pool(&self, c: &Caller, r: &str, id: &PoolId) -> Result<Pool> {
        self.note("delete_pool");
        self.inner.delete_pool(c, r, id).await.map(mark_pool)
    }
    async fn set_pool_node_metadata(
        &self,
        c: &Caller,
        r: &str,
        id: &PoolId,
        ch: NodeMetadataChange,
    ) -> Result<Pool> {
        self.note("set_pool_node_metadata");
        self.inner
            .set_pool_node_metadata(c, r, id, ch)
            .await
            .map(mark_pool)
    }
    async fn list_user_data(&self, c: &Caller, r: &str, id: &PoolId) -> Result<Vec<String>> {
        self.note("list_user_data");
        self.inner.list_user_data(c, r, id).await
    }
    async fn get_user_data(&self, c: &Caller, r: &str, id: &PoolId, key: &str) -> Result<String> {
        self.note("get_user_data");
        self.inner.get_user_data(c, r, id, key).await
    }
    async fn authorize_external_node(
        &self,
        c: &Caller,
        r: &str,
        id: &PoolId,
    ) -> Result<ExternalNodeAuth> {
        self.note("authorize_external_node");
        self.inner.authorize_external_node(c, r, id).await
    }
    async fn external_node_metadata(&self, r: &str, secret: &str) -> Result<ExternalNodeMetadata> {
        self.note("external_node_metadata");
        self.inner.external_node_metadata(r, secret).await
    }
    async fn list_nodes(&self, c: &Caller, r: &str, id: &ClusterId) -> Result<Vec<Node>> {
        self.note("list_nodes");
        Ok(self
            .inner
            .list_nodes(c, r, id)
            .await?
            .into_iter()
            .map(mark_node)
            .collect())
    }
    async fn get_node(&self, c: &Caller, r: &str, id: &NodeId) -> Result<Node> {
        self.note("get_node");
        self.inner.get_node(c, r, id).await.map(mark_node)
    }
    async fn replace_node(&self, c: &Caller, r: &str, id: &NodeId) -> Result<Node> {
        self.note("replace_node");
        self.inner.replace_node(c, r, id).await.map(mark_node)
    }
    async fn reboot_node(&self, c: &Caller, r: &str, id: &NodeId) -> Result<Node> {
        self.note("reboot_node");
        self.inner.reboot_node(c, r, id).await.map(mark_node)
    }
    async fn delete_node(
        &self,
        c: &Caller,
        r: &str,
        id: &NodeId,
        skip: bool,
        replace: bool,
    ) -> Result<Node> {
        self.note("delete_node");
        self.inner
            .delete_node(c, r, id, skip, replace)
            .await
            .map(mark_node)
    }
    async fn stats(&self) -> Result<Option<ProviderStats>> {
        self.note("stats");
        self.inner.stats().await
    }
}

on_both_databases!(
    the_rest_api_reaches_the_provider_only_through_the_port,
    |database: Database| async move {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        let app = TestApp::with_state(database, move |state| {
            let inner = SandboxBackend::new(state.provisioning.clone());
            state.use_backend(Arc::new(Recording {
                inner,
                calls: recorded,
            }));
        });
        let token = app.api_key("seam").await;
        let take = || std::mem::take(&mut *calls.lock().expect("calls"));

        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                "name": "seam", "version": "1.35.1", "cni": "cilium", "description": "d",
                "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 2 }] })),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        assert_eq!(cluster["description"], format!("d{MARK}"));
        assert_eq!(take(), vec!["create_cluster"]);
        app.run_until_idle().await;
        let id = cluster["id"].as_str().expect("id").to_string();

        let expectations: Vec<(&str, String, Option<serde_json::Value>, Vec<&str>)> = vec![
            ("GET", format!("{R}/clusters"), None, vec!["list_clusters"]),
            (
                "GET",
                format!("{R}/clusters/{id}"),
                None,
                vec!["get_cluster"],
            ),
            (
                "PATCH",
                format!("{R}/clusters/{id}"),
                Some(json!({ "tags": ["t"] })),
                // The change's record reads what it changes first.
                vec!["get_cluster", "update_cluster"],
            ),
            (
                "GET",
                format!("{R}/clusters/{id}/available-versions"),
                None,
                vec!["available_versions"],
            ),
            (
                "GET",
                format!("{R}/clusters/{id}/available-types"),
                None,
                vec!["available_types"],
            ),
            (
                "GET",
                format!("{R}/clusters/{id}/kubeconfig"),
                None,
                vec!["kubeconfig"],
            ),
            (
                "POST",
                format!("{R}/clusters/{id}/reset-admin-token"),
                Some(json!({})),
                vec!["reset_admin_token"],
            ),
            (
                "POST",
                format!("{R}/clusters/{id}/acls"),
                Some(json!({ "acls": [{ "ip": "10.0.0.0/8" }] })),
                vec!["list_acl_rules", "write_acl_rules"],
            ),
            (
                "GET",
                format!("{R}/clusters/{id}/acls"),
                None,
                vec!["list_acl_rules"],
            ),
            (
                "GET",
                format!("{R}/clusters/{id}/pools"),
                None,
                vec!["list_pools"],
            ),
            (
                "GET",
                format!("{R}/clusters/{id}/nodes"),
                None,
                vec!["list_nodes"],
            ),
            ("GET", format!("{R}/versions"), None, vec!["list_versions"]),
            (
                "GET",
                format!("{R}/versions/1.35.1"),
                None,
                vec!["get_version"],
            ),
            (
                "GET",
                format!("{R}/cluster-types"),
                None,
                vec!["list_cluster_types"],
            ),
        ];
        for (method, path, body, expected) in expectations {
            let (status, answer) = app.api(method, &path, &token, body).await;
            assert!(status < 300, "{method} {path}: {status} {answer}");
            assert_eq!(take(), expected, "{method} {path}");
        }

        // Pools and nodes: the service reads the object through the port (to find its
        // cluster's owner), then acts through it.
        let (_, pools) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        let pool = &pools["pools"][0];
        assert_eq!(
            pool["name"],
            format!("p{MARK}"),
            "pools come through the port"
        );
        let pool_id = pool["id"].as_str().expect("pool").to_string();
        let (_, nodes) = app
            .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
            .await;
        assert!(nodes["nodes"][0]["name"]
            .as_str()
            .expect("name")
            .ends_with(MARK));
        let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        take();
        for (method, path, body, action) in [
            (
                "PATCH",
                format!("{R}/pools/{pool_id}"),
                Some(json!({ "tags": ["x"] })),
                "update_pool",
            ),
            (
                "PUT",
                format!("{R}/pools/{pool_id}/set-labels"),
                Some(json!({ "labels": { "a": "b" } })),
                "set_pool_node_metadata",
            ),
            (
                "GET",
                format!("{R}/pools/{pool_id}/user-data"),
                None,
                "list_user_data",
            ),
            (
                "POST",
                format!("{R}/nodes/{node_id}/reboot"),
                Some(json!({})),
                "reboot_node",
            ),
        ] {
            let (status, answer) = app.api(method, &path, &token, body).await;
            assert!(status < 300, "{method} {path}: {status} {answer}");
            let recorded = take();
            assert_eq!(
                recorded.last(),
                Some(&action),
                "{method} {path}: {recorded:?}"
            );
        }
        app.run_until_idle().await;
        let (status, _) = app
            .api("DELETE", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(take(), vec!["get_cluster", "delete_cluster"]);

        // Tenancy sits above the port: another project's request never reaches the provider.
        let stranger = app.api_key("other").await;
        let (status, _) = app
            .api("GET", &format!("{R}/clusters/{id}"), &stranger, None)
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &stranger, None)
            .await;
        assert_eq!(status, 404);
        let recorded = take();
        assert!(
            !recorded.contains(&"get_cluster"),
            "a stranger's cluster request stops above the port: {recorded:?}"
        );
    }
);
