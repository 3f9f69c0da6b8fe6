//! Kosmos external nodes: machines outside the provider join a multicloud cluster's pool of
//! type `external`. The owner (or the node agent with the owner's key) asks for a node secret
//! (`external-nodes/auth`); the machine then registers with it (`node-metadata`), becomes a node
//! of the pool, and reads what its kubelet needs: the cluster's URL and CA, labels, taints.

use super::pools::require_settled_pool;
use super::{refuse_if_deleting, Provisioning};
use crate::backend::sandbox::store::{clusters, external_nodes, nodes, pools};
use crate::domain::ids::secret_hash;
use crate::domain::model::{Caller, Cluster, Node, NodeStatus, Pool};
use crate::domain::DomainError;
use crate::store::rows::millis;

/// The node type of Kosmos pools whose nodes run elsewhere.
pub const EXTERNAL_NODE_TYPE: &str = "external";

pub fn is_external(pool: &Pool) -> bool {
    pool.node_type == EXTERNAL_NODE_TYPE
}

/// What an external node is told when it registers.
pub struct Registration {
    pub cluster: Cluster,
    pub pool: Pool,
    pub node: Node,
}

impl Provisioning {
    /// A new node secret for an external pool; shown once, only its hash is kept.
    pub async fn authorize_external_node(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
    ) -> Result<String, DomainError> {
        let (mut transaction, cluster, pool) = self.begin_on_pool(caller, region, pool_id).await?;
        refuse_if_deleting(&cluster)?;
        if !is_external(&pool) {
            return Err(DomainError::precondition(
                "pool_not_external",
                format!(
                    "pool {} runs {} instances the provider manages; only pools of type `external` in a multicloud cluster take external nodes",
                    pool.name, pool.node_type
                ),
            ));
        }
        require_settled_pool(&pool)?;
        // UUID-shaped, as Scaleway's secret keys are: node agents built on the official SDKs
        // refuse any other shape before sending a request.
        let secret = self.ids.uuid();
        external_nodes::insert(
            &mut transaction,
            &secret_hash(&secret),
            &pool.id,
            millis(self.now()),
        )
        .await?;
        // The record never sees the secret.
        caller.commit_change(transaction, &()).await?;
        Ok(secret)
    }

    /// The machine holding `secret` registers: the first call makes it a node of its pool (the
    /// pool grows by one); later calls return the same node.
    pub async fn register_external_node(
        &self,
        region: &str,
        secret: &str,
    ) -> Result<Registration, DomainError> {
        let unauthenticated =
            || DomainError::Unauthenticated("the node secret is not valid".into());
        let hash = secret_hash(secret);
        let mut transaction = self.database.begin().await?;
        let credential = external_nodes::get(&mut transaction, &hash)
            .await?
            .ok_or_else(unauthenticated)?;
        let cluster_id = pools::get(&mut transaction, &credential.pool_id)
            .await?
            .ok_or_else(unauthenticated)?
            .cluster_id;
        clusters::lock(&mut transaction, &cluster_id).await?;
        let mut pool = pools::get(&mut transaction, &credential.pool_id)
            .await?
            .ok_or_else(unauthenticated)?;
        let cluster = clusters::get(&mut transaction, &pool.cluster_id)
            .await?
            .filter(|cluster| cluster.region == region)
            .ok_or_else(unauthenticated)?;
        refuse_if_deleting(&cluster)?;
        if let Some(node_id) = &credential.node_id {
            // Registered before: the same node, as long as it still exists.
            let node = nodes::get(&mut transaction, node_id)
                .await?
                .ok_or_else(unauthenticated)?;
            transaction.commit().await?;
            return Ok(Registration {
                cluster,
                pool,
                node,
            });
        }
        let now = self.now();
        let id = self.ids.uuid();
        let short: String = id.replace('-', "").chars().take(8).collect();
        let node = Node {
            name: format!("scw-{}-{}-{short}", cluster.name, pool.name),
            provider_id: format!("kapsule://{id}"),
            pool_id: pool.id.clone(),
            cluster_id: cluster.id.clone(),
            region: cluster.region.clone(),
            status: NodeStatus::Ready,
            version: pool.version.clone(),
            os_image: "external".to_string(),
            public_ip_v4: None,
            public_ip_v6: None,
            error_message: None,
            conditions: serde_json::Map::from_iter([(
                "Ready".to_string(),
                serde_json::Value::from("True"),
            )]),
            transition_due_at: None,
            fault: None,
            operation_id: None,
            created_at: now,
            updated_at: now,
            id,
        };
        if !external_nodes::bind_node(&mut transaction, &hash, &node.id).await? {
            return Err(DomainError::TransientState {
                resource: "k8s_node",
                resource_id: pool.id.clone(),
                current_state: "registering".into(),
            });
        }
        nodes::insert(&mut transaction, &node).await?;
        pools::grow_by_one(&mut transaction, &pool.id, now).await?;
        pool.size += 1;
        pool.max_size = pool.max_size.max(pool.size);
        self.record_event(
            &mut transaction,
            &cluster.id,
            "node",
            &node.id,
            "ExternalNodeRegistered",
            format!("external node {} joined pool {}", node.name, pool.name),
        )
        .await?;
        transaction.commit().await?;
        Ok(Registration {
            cluster,
            pool,
            node,
        })
    }
}
