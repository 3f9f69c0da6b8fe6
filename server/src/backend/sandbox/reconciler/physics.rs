//! The sandbox provider's physics: a node in a transition (booting, rebooting, draining) reaches
//! its next state when its due time has passed, and injected faults play out here.

use crate::backend::sandbox::store::{nodes, pools};
use crate::backend::sandbox::Provisioning;
use crate::domain::model::{Caller, NodeStatus};
use crate::domain::DomainError;

/// Settles every node whose transition is due; returns how many.
pub async fn settle_due_nodes(provisioning: &Provisioning) -> Result<usize, DomainError> {
    let now = provisioning.now();
    let mut transaction = provisioning.database.begin().await?;
    let due = nodes::due(&mut transaction, now, 5000).await?;
    let mut settled = 0;
    for node in &due {
        let (changed, reason, message) = match node.status {
            NodeStatus::Deleting => (
                nodes::delete_drained(&mut transaction, node).await?,
                "NodeDeleted",
                format!("node {} was drained and deleted", node.name),
            ),
            NodeStatus::Creating if node.fault.as_deref() == Some("provisioning_failure") => (
                nodes::settle(
                    &mut transaction,
                    node,
                    NodeStatus::CreationError,
                    Some("the instance could not be provisioned (injected provisioning failure)"),
                    now,
                )
                .await?,
                "NodeCreationFailed",
                format!("node {} could not be provisioned", node.name),
            ),
            _ if node.fault.as_deref() == Some("not_ready") => (
                nodes::settle(
                    &mut transaction,
                    node,
                    NodeStatus::NotReady,
                    Some("kubelet stopped posting node status (injected fault)"),
                    now,
                )
                .await?,
                "NodeNotReady",
                format!("node {} is NotReady", node.name),
            ),
            _ => (
                nodes::settle(&mut transaction, node, NodeStatus::Ready, None, now).await?,
                "NodeReady",
                format!("node {} is Ready", node.name),
            ),
        };
        if !changed {
            continue; // another replica settled it first
        }
        if node.status != NodeStatus::Deleting {
            release(&mut transaction, &node.id).await?;
        }
        provisioning
            .record_event(
                &mut transaction,
                &node.cluster_id,
                "node",
                &node.id,
                reason,
                message,
            )
            .await?;
        settled += 1;
    }
    transaction.commit().await?;
    Ok(settled)
}

/// The node's transition is over: it no longer belongs to an operation.
async fn release(conn: &mut sqlx::AnyConnection, node_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE nodes SET operation_id = NULL WHERE id = $1")
        .bind(node_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Fault injection (operators and tests): `not_ready` makes a node NotReady now;
/// `provisioning_failure` makes the pool's next new nodes fail to provision; `none` clears.
pub async fn inject_fault(
    provisioning: &Provisioning,
    caller: &Caller,
    node_id: &str,
    fault: &str,
) -> Result<(), DomainError> {
    let mut transaction = provisioning.database.begin().await?;
    let node = nodes::get(&mut transaction, node_id)
        .await?
        .ok_or_else(|| DomainError::not_found("k8s_node", node_id))?;
    match fault {
        "none" => nodes::set_fault(&mut transaction, node_id, None).await?,
        "not_ready" => {
            nodes::set_fault(&mut transaction, node_id, Some("not_ready")).await?;
            if !node.status.is_transient() {
                let now = provisioning.now();
                nodes::begin_transition(
                    &mut transaction,
                    node_id,
                    node.status,
                    now,
                    node.operation_id.as_deref(),
                    now,
                )
                .await?;
            }
        }
        "provisioning_failure" => {
            // Applies to the pool: recorded on its nodes still being created.
            let pool = pools::get(&mut transaction, &node.pool_id)
                .await?
                .ok_or_else(|| DomainError::not_found("k8s_pool", &node.pool_id))?;
            for sibling in nodes::of_pool(&mut transaction, &pool.id).await? {
                if sibling.status == NodeStatus::Creating {
                    nodes::set_fault(&mut transaction, &sibling.id, Some("provisioning_failure"))
                        .await?;
                }
            }
        }
        other => {
            return Err(DomainError::invalid(
                "fault",
                "constraint",
                format!("unknown fault `{other}`: use not_ready, provisioning_failure or none"),
            ))
        }
    }
    caller.commit_change(transaction, &()).await
}
