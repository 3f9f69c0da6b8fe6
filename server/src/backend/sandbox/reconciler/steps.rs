//! The steps of each kind of operation. Every step reads the current state, makes at most one
//! decision, and writes it in the transaction that also records the step: re-running a step after
//! a crash finds its own effects already there (or not at all) and does the right thing.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sqlx::AnyConnection;

use super::kinds::{OperationKind, Step};
use super::Next;
use crate::backend::sandbox::catalog::CURRENT_OS_IMAGE;
use crate::backend::sandbox::components::{default_components, follows_kubernetes};
use crate::backend::sandbox::rollouts;
use crate::backend::sandbox::store::operations::Operation;
use crate::backend::sandbox::store::{clusters, holds, inventory, nodes, pools};
use crate::backend::sandbox::Provisioning;
use crate::domain::model::{ClusterStatus, Node, NodeStatus, Pool, PoolStatus};
use crate::domain::DomainError;

pub(crate) async fn run(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(kind) = OperationKind::parse(&op.kind) else {
        return Err(DomainError::precondition(
            "unknown_operation",
            format!("unknown operation kind `{}`", op.kind),
        ));
    };
    match kind {
        OperationKind::CreateCluster => create_cluster(p, conn, op).await,
        OperationKind::UpgradeCluster => upgrade_cluster(p, conn, op).await,
        OperationKind::DeleteCluster => delete_cluster(p, conn, op).await,
        OperationKind::ScalePool => scale_pool(p, conn, op).await,
        OperationKind::UpgradePool => upgrade_pool(p, conn, op).await,
        OperationKind::DeletePool => delete_pool(p, conn, op).await,
        OperationKind::ReplaceNode => replace_node(p, conn, op).await,
        OperationKind::RebootNode => reboot_node(p, conn, op).await,
        OperationKind::DeleteNode => delete_node(p, conn, op).await,
        OperationKind::RestoreCluster => crate::backend::sandbox::restore::step(p, conn, op).await,
    }
}

/// Whether the operation stands at `step`.
fn at(op: &Operation, step: Step) -> bool {
    op.step == step.as_str()
}

fn due_at(op: &Operation) -> Option<DateTime<Utc>> {
    op.params
        .get("due_at")
        .and_then(Value::as_i64)
        .map(crate::store::rows::time)
}

/// The parameter of a pool's scale-up with the ages its new nodes are made with (seconds, one
/// per node; the demo's, set by `Provisioning::age_new_nodes`).
pub(crate) const MADE_AGO_SECONDS: &str = "made_ago_seconds";

/// The ages asked for the nodes `op` makes, taken from it: they are used once.
fn take_made_ago(op: &mut Operation) -> Vec<Duration> {
    let Value::Object(params) = &mut op.params else {
        return Vec::new();
    };
    params
        .remove(MADE_AGO_SECONDS)
        .and_then(|ages| ages.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_i64)
        .map(Duration::seconds)
        .collect()
}

fn set_param(op: &mut Operation, key: &str, value: Value) {
    if let Value::Object(map) = &mut op.params {
        map.insert(key.to_string(), value);
    } else {
        op.params = json!({ key: value });
    }
}

/// Records when a timed transition (control plane create or upgrade) ends and waits for it.
fn start_timer(p: &Provisioning, op: &mut Operation, duration: Duration, step: Step) -> Next {
    set_param(
        op,
        "due_at",
        json!(crate::store::rows::millis(p.now() + duration)),
    );
    Next::Continue {
        step,
        after: duration,
    }
}

/// Waits until the recorded due time; `None` when it has passed.
fn wait_until_due(p: &Provisioning, op: &Operation, step: Step) -> Option<Next> {
    let due = due_at(op)?;
    let now = p.now();
    (now < due).then(|| Next::Continue {
        step,
        after: due - now,
    })
}

fn poll(p: &Provisioning, step: Step) -> Next {
    Next::Continue {
        step,
        after: p.timing.poll(),
    }
}

/// A new instance for the pool, booting now.
fn new_node(
    p: &Provisioning,
    pool: &Pool,
    cluster_name: &str,
    version: &str,
    os_image: &str,
    op: &Operation,
) -> Node {
    let now = p.now();
    let id = p.ids.uuid();
    let short = id.replace('-', "");
    let octets = u32::from_str_radix(&short[short.len() - 6..], 16).unwrap_or(0);
    Node {
        name: format!(
            "scw-{cluster_name}-{}-{}",
            pool.name,
            &short[short.len() - 8..]
        ),
        provider_id: format!("scaleway://instance/{}/{}", pool.zone, p.ids.uuid()),
        pool_id: pool.id.clone(),
        cluster_id: pool.cluster_id.clone(),
        region: pool.region.clone(),
        status: NodeStatus::Creating,
        version: version.to_string(),
        os_image: os_image.to_string(),
        // Addresses from the documentation ranges: the sandbox has no real network.
        public_ip_v4: (!pool.public_ip_disabled)
            .then(|| format!("198.51.100.{}", octets % 254 + 1)),
        public_ip_v6: (!pool.public_ip_disabled)
            .then(|| format!("2001:db8::{:x}", octets & 0xffff)),
        error_message: None,
        conditions: serde_json::Map::from_iter([("Ready".to_string(), Value::from("False"))]),
        transition_due_at: Some(now + p.timing.node_boot()),
        fault: None,
        operation_id: Some(op.id.clone()),
        created_at: now,
        updated_at: now,
        id,
    }
}

async fn create_nodes(
    p: &Provisioning,
    conn: &mut AnyConnection,
    pool: &Pool,
    version: &str,
    count: i64,
    op: &Operation,
) -> Result<Vec<String>, DomainError> {
    let cluster_name = clusters::get(conn, &pool.cluster_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    // New nodes boot the newest OS image the provider publishes.
    let os_image = inventory::current_os_image(conn)
        .await?
        .unwrap_or_else(|| CURRENT_OS_IMAGE.to_string());
    let mut created = Vec::new();
    for _ in 0..count.max(0) {
        let node = new_node(p, pool, &cluster_name, version, &os_image, op);
        nodes::insert(conn, &node).await?;
        p.record_event(
            conn,
            &pool.cluster_id,
            "node",
            &node.id,
            "NodeCreating",
            format!("node {} is booting", node.name),
        )
        .await?;
        created.push(node.id);
    }
    Ok(created)
}

async fn drain(
    p: &Provisioning,
    conn: &mut AnyConnection,
    node: &Node,
    op: &Operation,
    skip_drain: bool,
) -> Result<(), DomainError> {
    let now = p.now();
    let duration = if skip_drain {
        Duration::seconds(1)
    } else {
        p.timing.node_drain_and_delete()
    };
    nodes::begin_transition(
        conn,
        &node.id,
        NodeStatus::Deleting,
        now + duration,
        Some(&op.id),
        now,
    )
    .await?;
    p.record_event(
        conn,
        &node.cluster_id,
        "node",
        &node.id,
        "NodeDraining",
        format!("node {} is cordoned and drained", node.name),
    )
    .await?;
    Ok(())
}

/// A list of ids kept in the operation's parameters.
fn id_list(op: &Operation, key: &str) -> Vec<String> {
    op.params
        .get(key)
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn is_live(node: &Node) -> bool {
    node.status != NodeStatus::Deleting
}

/// The pool's settled status once nothing is in flight.
fn settled_pool_status(pool_nodes: &[Node]) -> PoolStatus {
    if pool_nodes
        .iter()
        .any(|n| matches!(n.status, NodeStatus::CreationError | NodeStatus::NotReady))
    {
        PoolStatus::Warning
    } else {
        PoolStatus::Ready
    }
}

async fn create_cluster(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(cluster) = clusters::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    if cluster.status != ClusterStatus::Creating {
        return Ok(Next::Done); // deleted or taken over meanwhile
    }
    if at(op, Step::Start) {
        return Ok(start_timer(
            p,
            op,
            p.timing.control_plane_create(),
            Step::ControlPlane,
        ));
    }
    if let Some(wait) = wait_until_due(p, op, Step::ControlPlane) {
        return Ok(wait);
    }
    let has_pools = !pools::of_cluster(conn, &cluster.id).await?.is_empty();
    let status = if has_pools {
        ClusterStatus::Ready
    } else {
        ClusterStatus::PoolRequired
    };
    clusters::set_status(conn, &cluster.id, cluster.status.to(status)?, p.now()).await?;
    for component in default_components(&cluster.version, &cluster.cni) {
        inventory::upsert_component(conn, &cluster.id, &component, p.now()).await?;
    }
    p.record_event(
        conn,
        &cluster.id,
        "cluster",
        &cluster.id,
        "ControlPlaneReady",
        format!("control plane of {} is ready", cluster.name),
    )
    .await?;
    Ok(Next::Done)
}

async fn upgrade_cluster(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(mut cluster) = clusters::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    if cluster.status != ClusterStatus::Updating {
        return Ok(Next::Done);
    }
    let target = op
        .params
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let rollback = op
        .params
        .get("rollback")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if at(op, Step::Start) {
        // A rollback moves the pools first: a kubelet may not be newer than its API server.
        if rollback
            && rollouts::roll_pools_back(p, conn, &cluster.id, &target)
                .await?
                .is_some()
        {
            return Ok(poll(p, Step::Start));
        }
        return Ok(start_timer(
            p,
            op,
            p.timing.control_plane_upgrade(),
            Step::ControlPlane,
        ));
    }
    if let Some(wait) = wait_until_due(p, op, Step::ControlPlane) {
        return Ok(wait);
    }
    let previous = std::mem::replace(&mut cluster.version, target.clone());
    for mut component in inventory::components(conn, &cluster.id).await? {
        // A component the user took over stays as the user left it.
        if follows_kubernetes(&component.name) && component.managed_by == "provider" {
            component.version = format!("v{target}");
            inventory::upsert_component(conn, &cluster.id, &component, p.now()).await?;
        }
    }
    cluster.target_version = None;
    cluster.status = cluster.status.to(ClusterStatus::Ready)?;
    cluster.updated_at = p.now();
    clusters::update(conn, &cluster).await?;
    p.record_event(
        conn,
        &cluster.id,
        "cluster",
        &cluster.id,
        if rollback {
            "ControlPlaneRolledBack"
        } else {
            "ControlPlaneUpgraded"
        },
        if rollback {
            format!("control plane rolled back from {previous} to {target}")
        } else {
            format!("control plane upgraded from {previous} to {target}")
        },
    )
    .await?;
    if op
        .params
        .get("upgrade_pools")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        // One pool after the other, in the order they were created (the plan Wheelhouse shows).
        let mut queue = pools::of_cluster(conn, &cluster.id).await?;
        queue.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        let queue: Vec<String> = queue.into_iter().map(|pool| pool.id).collect();
        start_next_pool_upgrade(p, conn, &cluster.id, &target, &queue).await?;
    }
    Ok(Next::Done)
}

/// Starts the upgrade of the first pool of `queue` that needs one, handing it the rest; not
/// while the cluster's rollout is paused (resuming starts it), never once it is aborted.
pub(crate) async fn start_next_pool_upgrade(
    p: &Provisioning,
    conn: &mut AnyConnection,
    cluster_id: &str,
    target: &str,
    queue: &[String],
) -> Result<(), DomainError> {
    match holds::get(conn, cluster_id).await?.as_deref() {
        Some(rollouts::PAUSE) => return Ok(()),
        Some(_) => {
            holds::clear(conn, cluster_id).await?;
            p.record_event(
                conn,
                cluster_id,
                "cluster",
                cluster_id,
                "RolloutAborted",
                "the rollout was aborted before the next pool".to_string(),
            )
            .await?;
            return Ok(());
        }
        None => {}
    }
    for (index, pool_id) in queue.iter().enumerate() {
        let Some(mut pool) = pools::get(conn, pool_id).await? else {
            continue;
        };
        // External nodes run elsewhere: their node agent upgrades them.
        if pool.version == target
            || pool.status == PoolStatus::Deleting
            || crate::backend::sandbox::external_nodes::is_external(&pool)
        {
            continue;
        }
        start_pool_rollout(p, conn, &mut pool, target, &queue[index + 1..]).await?;
        return Ok(());
    }
    Ok(())
}

/// Sets a pool on its way to `version` (an upgrade or a rollback): Upgrading, with the rollout
/// operation that replaces its nodes in waves, handing `then` (the pools after it) on. Returns
/// the version it left.
pub(crate) async fn start_pool_rollout(
    p: &Provisioning,
    conn: &mut AnyConnection,
    pool: &mut Pool,
    version: &str,
    then: &[String],
) -> Result<String, DomainError> {
    let from = std::mem::replace(&mut pool.version, version.to_string());
    pool.status = pool.status.to(PoolStatus::Upgrading)?;
    pool.updated_at = p.now();
    pools::update(conn, pool).await?;
    p.enqueue(
        conn,
        OperationKind::UpgradePool,
        &pool.cluster_id,
        &pool.id,
        json!({ "version": version, "then": then }),
    )
    .await?;
    Ok(from)
}

async fn delete_cluster(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(cluster) = clusters::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    let cluster_nodes = nodes::of_cluster(conn, &cluster.id).await?;
    if at(op, Step::Start) {
        for node in cluster_nodes.iter().filter(|n| is_live(n)) {
            drain(p, conn, node, op, true).await?;
        }
        return Ok(Next::Continue {
            step: Step::WaitNodes,
            after: p.timing.poll(),
        });
    }
    if !cluster_nodes.is_empty() {
        return Ok(poll(p, Step::WaitNodes));
    }
    let with_resources = op
        .params
        .get("with_additional_resources")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    inventory::dispose_additional_resources(conn, &cluster.id, with_resources).await?;
    clusters::delete(conn, &cluster.id).await?;
    p.record_event(
        conn,
        &cluster.id,
        "cluster",
        &cluster.id,
        "ClusterDeleted",
        format!("cluster {} was deleted", cluster.name),
    )
    .await?;
    Ok(Next::Done)
}

/// Converges the number of live nodes to the pool's size, then waits for them to settle.
async fn scale_pool(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(pool) = pools::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    let Some(cluster) = clusters::get(conn, &pool.cluster_id).await? else {
        return Ok(Next::Done);
    };
    if pool.status == PoolStatus::Deleting || cluster.status == ClusterStatus::Deleting {
        return Ok(Next::Done);
    }
    if cluster.status == ClusterStatus::Creating {
        // Nothing to do before the control plane is up; keep the step we are at.
        let step = if at(op, Step::Settle) {
            Step::Settle
        } else {
            Step::Start
        };
        return Ok(poll(p, step));
    }
    let pool_nodes = nodes::of_pool(conn, &pool.id).await?;
    if at(op, Step::Start) {
        let live: Vec<&Node> = pool_nodes.iter().filter(|n| is_live(n)).collect();
        let missing = pool.size - live.len() as i64;
        if missing > 0 {
            let made = create_nodes(p, conn, &pool, &pool.version, missing, op).await?;
            for (node_id, age) in made.iter().zip(take_made_ago(op)) {
                nodes::set_created_at(conn, node_id, p.now() - age).await?;
            }
        } else if missing < 0 {
            // Remove broken nodes first, then the newest.
            let mut candidates: Vec<&Node> = live
                .iter()
                .copied()
                .filter(|n| n.operation_id.is_none())
                .collect();
            candidates.sort_by_key(|n| {
                (
                    n.status == NodeStatus::Ready,
                    std::cmp::Reverse(n.created_at),
                )
            });
            for node in candidates.into_iter().take((-missing) as usize) {
                drain(p, conn, node, op, false).await?;
            }
        }
        return Ok(poll(p, Step::Settle));
    }
    if pool_nodes
        .iter()
        .any(|n| matches!(n.status, NodeStatus::Creating | NodeStatus::Deleting))
    {
        return Ok(poll(p, Step::Settle));
    }
    if pool_nodes.iter().filter(|n| is_live(n)).count() as i64 != pool.size {
        // The size changed again meanwhile: converge once more.
        return Ok(Next::Continue {
            step: Step::Start,
            after: Duration::zero(),
        });
    }
    if pool.status == PoolStatus::Scaling {
        pools::set_status(
            conn,
            &pool.id,
            pool.status.to(settled_pool_status(&pool_nodes))?,
            p.now(),
        )
        .await?;
        p.record_event(
            conn,
            &cluster.id,
            "pool",
            &pool.id,
            "PoolReady",
            format!("pool {} has {} node(s)", pool.name, pool.size),
        )
        .await?;
    }
    Ok(Next::Done)
}

/// Rolling replacement onto the pool's version in waves: `max_surge` new nodes first (old ones
/// retire once those are Ready), plus up to `max_unavailable` old nodes replaced in place.
async fn upgrade_pool(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let pool = pools::get(conn, &op.target_id)
        .await?
        .filter(|pool| pool.status == PoolStatus::Upgrading);
    let Some(pool) = pool else {
        // The pool went away or stopped upgrading: the pools after it still get their turn.
        let target = op
            .params
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !target.is_empty() {
            start_next_pool_upgrade(p, conn, &op.cluster_id, &target, &id_list(op, "then")).await?;
        }
        return Ok(Next::Done);
    };
    let target = pool.version.clone();
    let pool_nodes = nodes::of_pool(conn, &pool.id).await?;
    let in_flight = pool_nodes
        .iter()
        .any(|n| matches!(n.status, NodeStatus::Creating | NodeStatus::Deleting));
    if at(op, Step::Retire) {
        if pool_nodes.iter().any(|n| n.status == NodeStatus::Creating) {
            return Ok(poll(p, Step::Retire));
        }
        // An old node retires only for a surge node that is Ready: a surge node that failed to
        // provision is removed, not counted, and its old node keeps serving until a later wave.
        let retire = id_list(op, "retire");
        let surged = id_list(op, "surged");
        let ready_surge = pool_nodes
            .iter()
            .filter(|n| surged.contains(&n.id) && n.status == NodeStatus::Ready)
            .count();
        for failed in pool_nodes
            .iter()
            .filter(|n| surged.contains(&n.id) && n.status == NodeStatus::CreationError)
        {
            drain(p, conn, failed, op, true).await?;
        }
        let retired = op
            .params
            .get("retired")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let pending: Vec<&Node> = pool_nodes
            .iter()
            .filter(|n| retire.contains(&n.id) && is_live(n))
            .collect();
        // An old node retires only for a surge node that is Ready: a surge node that failed to
        // provision is removed, not counted, and its old node keeps serving until a later wave.
        let may_retire = ready_surge.saturating_sub(retired);
        if pending.is_empty() || may_retire == 0 {
            set_param(op, "retire", json!([]));
            set_param(op, "surged", json!([]));
            set_param(op, "retired", json!(0));
            return Ok(poll(p, Step::Wave));
        }
        // Evictions go in batches the PDBs allow, each once the previous one has drained.
        if pool_nodes.iter().any(|n| n.status == NodeStatus::Deleting) {
            return Ok(poll(p, Step::Retire));
        }
        let batch = match drain_budget(p, conn, &pool, op).await? {
            DrainBudget::Wait => return Ok(poll(p, Step::Retire)),
            DrainBudget::Free => may_retire,
            DrainBudget::Allows(allowed) => may_retire.min(allowed),
        };
        for node in pending.iter().take(batch) {
            drain(p, conn, node, op, false).await?;
        }
        set_param(op, "retired", json!(retired + batch.min(pending.len())));
        return Ok(poll(p, Step::Retire));
    }
    if in_flight {
        return Ok(poll(p, Step::Wave));
    }
    // A node of the new version that failed to provision (an in-place replacement) is removed
    // and made again, so the pool ends with its full capacity.
    let failed: Vec<&Node> = pool_nodes
        .iter()
        .filter(|n| n.status == NodeStatus::CreationError && n.version == target)
        .collect();
    if !failed.is_empty() {
        for node in &failed {
            drain(p, conn, node, op, true).await?;
        }
        create_nodes(p, conn, &pool, &target, failed.len() as i64, op).await?;
        return Ok(poll(p, Step::Wave));
    }
    let mut old: Vec<&Node> = pool_nodes
        .iter()
        .filter(|n| is_live(n) && n.version != target)
        .collect();
    if old.is_empty() {
        pools::set_status(
            conn,
            &pool.id,
            pool.status.to(settled_pool_status(&pool_nodes))?,
            p.now(),
        )
        .await?;
        p.record_event(
            conn,
            &pool.cluster_id,
            "pool",
            &pool.id,
            "PoolUpgraded",
            format!("pool {} runs {target}", pool.name),
        )
        .await?;
        start_next_pool_upgrade(p, conn, &pool.cluster_id, &target, &id_list(op, "then")).await?;
        return Ok(Next::Done);
    }
    // Between two waves the owner's hold applies: a pause waits here, an abort ends the
    // pool's rollout with the nodes not yet replaced on their version (the pool keeps it).
    match holds::get(conn, &pool.cluster_id).await?.as_deref() {
        Some(rollouts::PAUSE) => return Ok(poll(p, Step::Wave)),
        Some(_) => {
            let mut stopped = pool.clone();
            stopped.version = old[0].version.clone();
            stopped.status = pool.status.to(settled_pool_status(&pool_nodes))?;
            stopped.updated_at = p.now();
            pools::update(conn, &stopped).await?;
            holds::clear(conn, &pool.cluster_id).await?;
            let moved = pool_nodes
                .iter()
                .filter(|n| is_live(n) && n.version == target)
                .count();
            p.record_event(
                conn,
                &pool.cluster_id,
                "pool",
                &pool.id,
                "PoolUpgradeAborted",
                format!(
                    "pool {}: the upgrade was aborted with {moved} node(s) on {target} and {} on {}",
                    pool.name,
                    old.len(),
                    stopped.version
                ),
            )
            .await?;
            return Ok(Next::Done);
        }
        None => {}
    }
    // Oldest nodes go first.
    old.sort_by_key(|n| n.created_at);
    let surge = pool.max_surge.min(old.len() as i64);
    let mut unavailable = pool.max_unavailable.min(old.len() as i64 - surge);
    // In-place drains evict at once: no more than the pool's PDBs allow.
    if unavailable > 0 {
        match drain_budget(p, conn, &pool, op).await? {
            DrainBudget::Free => {}
            DrainBudget::Allows(allowed) => unavailable = unavailable.min(allowed as i64),
            // With surge nodes the wave goes on and its old nodes wait at retirement.
            DrainBudget::Wait if surge > 0 => unavailable = 0,
            DrainBudget::Wait => return Ok(poll(p, Step::Wave)),
        }
    }
    let (surged, in_place) = old.split_at(surge as usize);
    for node in in_place.iter().take(unavailable as usize) {
        drain(p, conn, node, op, false).await?;
    }
    let surge_nodes = create_nodes(p, conn, &pool, &target, surge, op).await?;
    create_nodes(p, conn, &pool, &target, unavailable, op).await?;
    set_param(
        op,
        "retire",
        json!(surged.iter().map(|n| n.id.clone()).collect::<Vec<_>>()),
    );
    set_param(op, "surged", json!(surge_nodes));
    Ok(poll(p, if surge > 0 { Step::Retire } else { Step::Wave }))
}

/// How many of a pool's nodes may be drained at once now, by its PodDisruptionBudgets (the
/// pods of a PDB run one per node of the pools it covers, so a drain of k nodes evicts k).
enum DrainBudget {
    Free,
    Allows(usize),
    /// A PDB allows no eviction: the drain waits, up to the drain timeout.
    Wait,
}

async fn drain_budget(
    p: &Provisioning,
    conn: &mut AnyConnection,
    pool: &Pool,
    op: &mut Operation,
) -> Result<DrainBudget, DomainError> {
    let tightest = inventory::pdbs(conn, &pool.cluster_id)
        .await?
        .into_iter()
        .filter(|pdb| pdb.pool_id.as_deref().is_none_or(|id| id == pool.id))
        .min_by_key(|pdb| pdb.disruptions_allowed);
    let Some(pdb) = tightest else {
        return Ok(DrainBudget::Free);
    };
    if pdb.disruptions_allowed > 0 {
        if op
            .params
            .get("blocked_since")
            .is_some_and(|since| !since.is_null())
        {
            set_param(op, "blocked_since", Value::Null);
            p.record_event(
                conn,
                &pool.cluster_id,
                "pool",
                &pool.id,
                "DrainResumed",
                format!(
                    "pool {}: PodDisruptionBudget {}/{} now allows {} eviction(s): the drain goes on",
                    pool.name, pdb.namespace, pdb.name, pdb.disruptions_allowed
                ),
            )
            .await?;
        }
        return Ok(DrainBudget::Allows(pdb.disruptions_allowed as usize));
    }
    let now = p.now();
    let since = op
        .params
        .get("blocked_since")
        .and_then(Value::as_i64)
        .map(crate::store::rows::time);
    match since {
        None => {
            set_param(op, "blocked_since", json!(crate::store::rows::millis(now)));
            p.record_event(
                conn,
                &pool.cluster_id,
                "pool",
                &pool.id,
                "DrainBlocked",
                format!(
                    "pool {}: PodDisruptionBudget {}/{} allows no eviction; the drain waits up to {} s",
                    pool.name,
                    pdb.namespace,
                    pdb.name,
                    p.timing.drain_timeout().num_seconds()
                ),
            )
            .await?;
            Ok(DrainBudget::Wait)
        }
        Some(since) if now - since < p.timing.drain_timeout() => Ok(DrainBudget::Wait),
        Some(_) => {
            set_param(op, "blocked_since", Value::Null);
            p.record_event(
                conn,
                &pool.cluster_id,
                "pool",
                &pool.id,
                "DrainForced",
                format!(
                    "pool {}: PodDisruptionBudget {}/{} still allowed no eviction after the drain timeout: one node is drained anyway",
                    pool.name, pdb.namespace, pdb.name
                ),
            )
            .await?;
            Ok(DrainBudget::Allows(1))
        }
    }
}

async fn delete_pool(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(pool) = pools::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    let pool_nodes = nodes::of_pool(conn, &pool.id).await?;
    if at(op, Step::Start) {
        for node in pool_nodes.iter().filter(|n| is_live(n)) {
            drain(p, conn, node, op, false).await?;
        }
        return Ok(poll(p, Step::WaitNodes));
    }
    if !pool_nodes.is_empty() {
        return Ok(poll(p, Step::WaitNodes));
    }
    pools::delete(conn, &pool.id).await?;
    p.record_event(
        conn,
        &pool.cluster_id,
        "pool",
        &pool.id,
        "PoolDeleted",
        format!("pool {} was deleted", pool.name),
    )
    .await?;
    if let Some(cluster) = clusters::get(conn, &pool.cluster_id).await? {
        if cluster.status == ClusterStatus::Ready
            && pools::of_cluster(conn, &cluster.id).await?.is_empty()
        {
            clusters::set_status(conn, &cluster.id, ClusterStatus::PoolRequired, p.now()).await?;
        }
    }
    Ok(Next::Done)
}

/// Surge first: a replacement boots, and only once it is Ready is the old node drained.
async fn replace_node(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(old) = nodes::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    let Some(pool) = pools::get(conn, &old.pool_id).await? else {
        return Ok(Next::Done);
    };
    match Step::parse(&op.step) {
        Some(Step::Start) => {
            let created = create_nodes(p, conn, &pool, &pool.version, 1, op).await?;
            set_param(op, "replacement", json!(created.first()));
            Ok(poll(p, Step::WaitReplacement))
        }
        Some(Step::WaitReplacement) => {
            let replacement_id = op
                .params
                .get("replacement")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            match nodes::get(conn, &replacement_id).await? {
                Some(node) if node.status == NodeStatus::Creating => {
                    Ok(poll(p, Step::WaitReplacement))
                }
                Some(node) if node.status == NodeStatus::CreationError => {
                    // Keep the old node: replacing it with nothing would lose capacity.
                    sqlx::query("UPDATE nodes SET operation_id = NULL WHERE id = $1")
                        .bind(&old.id)
                        .execute(&mut *conn)
                        .await?;
                    p.record_event(
                        conn,
                        &old.cluster_id,
                        "node",
                        &old.id,
                        "NodeReplaceFailed",
                        format!(
                            "the replacement of {} failed to boot; {} was kept",
                            old.name, old.name
                        ),
                    )
                    .await?;
                    Ok(Next::Done)
                }
                _ => {
                    drain(p, conn, &old, op, false).await?;
                    Ok(poll(p, Step::WaitOldGone))
                }
            }
        }
        _ => Ok(poll(p, Step::WaitOldGone)), // the sandbox deletes it when drained; then get() is None
    }
}

async fn reboot_node(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let Some(node) = nodes::get(conn, &op.target_id).await? else {
        return Ok(Next::Done);
    };
    if at(op, Step::Start) {
        let now = p.now();
        nodes::begin_transition(
            conn,
            &node.id,
            NodeStatus::Rebooting,
            now + p.timing.node_reboot(),
            Some(&op.id),
            now,
        )
        .await?;
        return Ok(poll(p, Step::Wait));
    }
    if node.status == NodeStatus::Rebooting {
        return Ok(poll(p, Step::Wait));
    }
    p.record_event(
        conn,
        &node.cluster_id,
        "node",
        &node.id,
        "NodeRebooted",
        format!("node {} rebooted", node.name),
    )
    .await?;
    Ok(Next::Done)
}

async fn delete_node(
    p: &Provisioning,
    conn: &mut AnyConnection,
    op: &mut Operation,
) -> Result<Next, DomainError> {
    let node = nodes::get(conn, &op.target_id).await?;
    if !at(op, Step::Start) {
        return Ok(if node.is_some() {
            poll(p, Step::Wait)
        } else {
            Next::Done
        });
    }
    let Some(node) = node else {
        return Ok(Next::Done);
    };
    let Some(mut pool) = pools::get(conn, &node.pool_id).await? else {
        return Ok(Next::Done);
    };
    let skip_drain = op
        .params
        .get("skip_drain")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let replace = op
        .params
        .get("replace")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    drain(p, conn, &node, op, skip_drain).await?;
    if replace {
        create_nodes(p, conn, &pool, &pool.version, 1, op).await?;
    } else {
        pool.size = (pool.size - 1).max(0);
        pool.min_size = pool.min_size.min(pool.size);
        pool.updated_at = p.now();
        pools::update(conn, &pool).await?;
    }
    Ok(poll(p, Step::Wait))
}
