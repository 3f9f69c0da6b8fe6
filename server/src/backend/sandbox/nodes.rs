//! Node actions a user can take: replace, reboot, delete; and, for the demo, the ages of the
//! nodes a new pool is about to make.

use crate::backend::sandbox::reconciler::kinds::{OperationKind, Step};
use chrono::Duration;
use serde_json::{json, Value};

use super::pools::require_settled_pool;
use super::reconciler::steps::MADE_AGO_SECONDS;
use super::Provisioning;
use crate::backend::sandbox::store::{nodes, operations, pools};
use crate::domain::model::{Caller, Node, NodeStatus, Pool};
use crate::domain::DomainError;

impl Provisioning {
    pub(crate) async fn owned_node(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        region: &str,
        node_id: &str,
    ) -> Result<Node, DomainError> {
        let node = nodes::get(conn, node_id)
            .await?
            .ok_or_else(|| DomainError::not_found("k8s_node", node_id))?;
        self.owned_cluster(conn, caller, region, &node.cluster_id)
            .await
            .map_err(|_| DomainError::not_found("k8s_node", node_id))?;
        Ok(node)
    }

    pub async fn get_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &str,
    ) -> Result<Node, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        self.owned_node(&mut conn, caller, region, node_id).await
    }

    pub async fn list_nodes(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
    ) -> Result<Vec<Node>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        self.owned_cluster(&mut conn, caller, region, cluster_id)
            .await?;
        Ok(nodes::of_cluster(&mut conn, cluster_id).await?)
    }

    /// The demo's (the port's `age_new_nodes`): the ages go with the pool's pending scale-up,
    /// which makes its next nodes that old. Only while no worker holds that operation: a worker
    /// writes back the parameters it claimed it with.
    pub async fn age_new_nodes(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
        ages: &[Duration],
    ) -> Result<Pool, DomainError> {
        if ages.iter().any(|age| *age < Duration::zero()) {
            return Err(DomainError::invalid(
                "ages",
                "constraint",
                "a node cannot be made in the future",
            ));
        }
        let (mut transaction, _, pool) = self.begin_on_pool(caller, region, pool_id).await?;
        let scale_up = operations::pending_for_target(&mut transaction, pool_id)
            .await?
            .into_iter()
            .find(|op| {
                op.kind == OperationKind::ScalePool.as_str() && op.step == Step::Start.as_str()
            })
            .ok_or_else(|| {
                DomainError::precondition(
                    "node_ages",
                    format!("pool {} is not about to make nodes", pool.name),
                )
            })?;
        let mut params = scale_up.params.clone();
        let seconds = Value::from(ages.iter().map(Duration::num_seconds).collect::<Vec<_>>());
        match &mut params {
            Value::Object(map) => {
                map.insert(MADE_AGO_SECONDS.to_string(), seconds);
            }
            _ => params = json!({ MADE_AGO_SECONDS: seconds }),
        }
        if !operations::set_params_while_unclaimed(
            &mut transaction,
            &scale_up.id,
            &params,
            self.now(),
        )
        .await?
        {
            return Err(DomainError::TransientState {
                resource: "k8s_pool",
                resource_id: pool.id.clone(),
                current_state: pool.status.as_str().to_string(),
            });
        }
        caller.commit_change(transaction, &pool).await?;
        Ok(pool)
    }

    /// Shared checks and bookkeeping of the three node actions.
    async fn node_action(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &str,
        kind: OperationKind,
        params: serde_json::Value,
    ) -> Result<Node, DomainError> {
        let (mut transaction, node) = self.begin_on_node(caller, region, node_id).await?;
        if node.status.is_transient() || node.operation_id.is_some() {
            return Err(DomainError::TransientState {
                resource: "k8s_node",
                resource_id: node.id.clone(),
                current_state: node.status.as_str().to_string(),
            });
        }
        let pool = pools::get(&mut transaction, &node.pool_id)
            .await?
            .ok_or_else(|| DomainError::not_found("k8s_pool", &node.pool_id))?;
        require_settled_pool(&pool)?;
        let replaces = kind == OperationKind::ReplaceNode
            || params.get("replace").and_then(serde_json::Value::as_bool) == Some(true);
        if crate::backend::sandbox::external_nodes::is_external(&pool)
            && (kind == OperationKind::RebootNode || replaces)
        {
            return Err(DomainError::precondition(
                "external_node",
                format!(
                    "node {} runs outside the provider: reboot or replace the machine yourself (delete removes it from the cluster)",
                    node.name
                ),
            ));
        }
        let operation_id = self
            .enqueue(&mut transaction, kind, &node.cluster_id, &node.id, params)
            .await?;
        // The node belongs to this operation from now on: no second action can start on it.
        let (status, reason) = match kind {
            OperationKind::RebootNode => (
                node.status.to(NodeStatus::Rebooting)?,
                "NodeRebootRequested",
            ),
            _ => (
                node.status,
                if kind == OperationKind::ReplaceNode {
                    "NodeReplaceRequested"
                } else {
                    "NodeDeleteRequested"
                },
            ),
        };
        // Conditional: only a node no operation holds can be taken (the cluster lock makes this
        // the only writer, the condition keeps it true even without it).
        if !nodes::take_for_operation(
            &mut transaction,
            &node.id,
            &operation_id,
            status,
            self.now(),
        )
        .await?
        {
            return Err(DomainError::TransientState {
                resource: "k8s_node",
                resource_id: node.id.clone(),
                current_state: node.status.as_str().to_string(),
            });
        }
        self.record_event(
            &mut transaction,
            &node.cluster_id,
            "node",
            &node.id,
            reason,
            format!("{} requested for node {}", kind.as_str(), node.name),
        )
        .await?;
        let updated = nodes::get(&mut transaction, &node.id)
            .await?
            .ok_or_else(|| DomainError::not_found("k8s_node", node_id))?;
        caller.commit_change(transaction, &updated).await?;
        Ok(updated)
    }

    pub async fn replace_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &str,
    ) -> Result<Node, DomainError> {
        self.node_action(
            caller,
            region,
            node_id,
            OperationKind::ReplaceNode,
            json!({}),
        )
        .await
    }

    pub async fn reboot_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &str,
    ) -> Result<Node, DomainError> {
        self.node_action(
            caller,
            region,
            node_id,
            OperationKind::RebootNode,
            json!({}),
        )
        .await
    }

    /// Deletes the node; without `replace` the pool shrinks by one.
    pub async fn delete_node(
        &self,
        caller: &Caller,
        region: &str,
        node_id: &str,
        skip_drain: bool,
        replace: bool,
    ) -> Result<Node, DomainError> {
        self.node_action(
            caller,
            region,
            node_id,
            OperationKind::DeleteNode,
            json!({ "skip_drain": skip_drain, "replace": replace }),
        )
        .await
    }
}
