//! Nodes: the sandbox's instances.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::clusters::bad_status;
use crate::domain::model::{Node, NodeStatus};
use crate::store::rows::{
    get_json, get_optional_time, get_time, json, millis, read_packed, Packed,
};

const COLUMNS: &str = "id, pool_id, cluster_id, region, name, provider_id, status, version, \
    os_image, public_ip_v4, public_ip_v6, error_message, conditions, transition_due_at, fault, \
    operation_id, created_at, updated_at";

/// What a read of the whole fleet takes of a node (the maintenance pass, the dashboard), packed
/// into one value per row: who it is, its state and age; not its conditions, addresses or
/// errors.
const SUMMARY: &[&str] = &[
    "id",
    "pool_id",
    "cluster_id",
    "region",
    "status",
    "version",
    "os_image",
    "COALESCE(operation_id, '')",
    "CAST(created_at AS TEXT)",
    "CAST(updated_at AS TEXT)",
    "name",
];

/// A node from its packed [`SUMMARY`]; what that leaves out is empty.
fn summary(mut fields: Packed<'_>) -> Result<Node, sqlx::Error> {
    let (id, pool_id, cluster_id, region) = (
        fields.text()?,
        fields.text()?,
        fields.text()?,
        fields.text()?,
    );
    let status = fields.text()?;
    Ok(Node {
        id,
        pool_id,
        cluster_id,
        region,
        status: NodeStatus::parse(&status).ok_or_else(|| bad_status(&status))?,
        version: fields.text()?,
        os_image: fields.text()?,
        operation_id: fields.optional_text()?,
        created_at: fields.time()?,
        updated_at: fields.time()?,
        name: fields.text()?,
        provider_id: String::new(),
        public_ip_v4: None,
        public_ip_v6: None,
        error_message: None,
        conditions: Default::default(),
        transition_due_at: None,
        fault: None,
    })
}

fn from_row(row: &AnyRow) -> Result<Node, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(Node {
        id: row.try_get("id")?,
        pool_id: row.try_get("pool_id")?,
        cluster_id: row.try_get("cluster_id")?,
        region: row.try_get("region")?,
        name: row.try_get("name")?,
        provider_id: row.try_get("provider_id")?,
        status: NodeStatus::parse(&status).ok_or_else(|| bad_status(&status))?,
        version: row.try_get("version")?,
        os_image: row.try_get("os_image")?,
        public_ip_v4: row.try_get("public_ip_v4")?,
        public_ip_v6: row.try_get("public_ip_v6")?,
        error_message: row.try_get("error_message")?,
        conditions: get_json(row, "conditions")?,
        transition_due_at: get_optional_time(row, "transition_due_at")?,
        fault: row.try_get("fault")?,
        operation_id: row.try_get("operation_id")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, node: &Node) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO nodes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(&node.id)
    .bind(&node.pool_id)
    .bind(&node.cluster_id)
    .bind(&node.region)
    .bind(&node.name)
    .bind(&node.provider_id)
    .bind(node.status.as_str())
    .bind(&node.version)
    .bind(&node.os_image)
    .bind(&node.public_ip_v4)
    .bind(&node.public_ip_v6)
    .bind(&node.error_message)
    .bind(json(&node.conditions))
    .bind(node.transition_due_at.map(millis))
    .bind(&node.fault)
    .bind(&node.operation_id)
    .bind(millis(node.created_at))
    .bind(millis(node.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// When a node was made, set as it is made (the demo's older nodes).
pub async fn set_created_at(
    conn: &mut AnyConnection,
    id: &str,
    created_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE nodes SET created_at = $2 WHERE id = $1")
        .bind(id)
        .bind(millis(created_at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Starts a transition: the node shows `status` until `due` (the sandbox then settles it).
pub async fn begin_transition(
    conn: &mut AnyConnection,
    id: &str,
    status: NodeStatus,
    due: DateTime<Utc>,
    operation_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE nodes SET status = $2, transition_due_at = $3, operation_id = $4, updated_at = $5 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(millis(due))
    .bind(operation_id)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the transition `node` was observed in, with a settled status. Returns false when another
/// worker settled it first (the row no longer matches what was observed).
pub async fn settle(
    conn: &mut AnyConnection,
    node: &Node,
    status: NodeStatus,
    error_message: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut conditions = node.conditions.clone();
    let ready = if status == NodeStatus::Ready {
        "True"
    } else {
        "False"
    };
    conditions.insert("Ready".into(), ready.into());
    let result = sqlx::query(
        "UPDATE nodes SET status = $2, transition_due_at = NULL, error_message = $3, \
         conditions = $4, updated_at = $5 WHERE id = $1 AND status = $6 AND transition_due_at = $7",
    )
    .bind(&node.id)
    .bind(status.as_str())
    .bind(error_message)
    .bind(json(&conditions))
    .bind(millis(now))
    .bind(node.status.as_str())
    .bind(node.transition_due_at.map(millis))
    .execute(conn)
    .await?;
    Ok(result_changed(result))
}

fn result_changed(result: sqlx::any::AnyQueryResult) -> bool {
    result.rows_affected() == 1
}

pub async fn set_fault(
    conn: &mut AnyConnection,
    id: &str,
    fault: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE nodes SET fault = $2 WHERE id = $1")
        .bind(id)
        .bind(fault)
        .execute(conn)
        .await?;
    Ok(())
}

/// Hands the node to an operation, if no operation holds it; false when one does.
pub async fn take_for_operation(
    conn: &mut AnyConnection,
    id: &str,
    operation_id: &str,
    status: NodeStatus,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE nodes SET operation_id = $2, status = $3, updated_at = $4 \
         WHERE id = $1 AND operation_id IS NULL",
    )
    .bind(id)
    .bind(operation_id)
    .bind(status.as_str())
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Node>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM nodes WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn of_pool(conn: &mut AnyConnection, pool_id: &str) -> Result<Vec<Node>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM nodes WHERE pool_id = $1 ORDER BY created_at, id"
    ))
    .bind(pool_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<Node>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM nodes WHERE cluster_id = $1 ORDER BY created_at, id"
    ))
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Nodes whose transition has ended by `now`: the sandbox settles them.
pub async fn due(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Node>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM nodes WHERE transition_due_at IS NOT NULL AND transition_due_at <= $1 \
         ORDER BY transition_due_at LIMIT $2"
    ))
    .bind(millis(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Removes a drained node, if it is still the draining node that was observed (false when
/// another worker removed it first).
pub async fn delete_drained(conn: &mut AnyConnection, node: &Node) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM nodes WHERE id = $1 AND status = 'deleting' AND transition_due_at = $2",
    )
    .bind(&node.id)
    .bind(node.transition_due_at.map(millis))
    .execute(conn)
    .await?;
    Ok(result_changed(result))
}

/// A summary of every node of a region (the maintenance pass reads the whole fleet at once).
pub async fn summaries_in_region(
    conn: &mut AnyConnection,
    region: &str,
) -> Result<Vec<Node>, sqlx::Error> {
    read_packed(
        conn,
        SUMMARY,
        "FROM nodes WHERE region = $2",
        &[region],
        summary,
        "node",
    )
    .await
}

/// A summary of every node of a project's clusters in a region.
pub async fn summaries_of_project(
    conn: &mut AnyConnection,
    project_id: &str,
    region: &str,
) -> Result<Vec<Node>, sqlx::Error> {
    read_packed(
        conn,
        SUMMARY,
        "FROM nodes WHERE cluster_id IN (SELECT id FROM clusters WHERE project_id = $2 AND region = $3)",
        &[project_id, region],
        summary,
        "node",
    )
    .await
}

/// What an overview counts of a cluster's nodes: how many are Ready and when each was created.
#[derive(Debug, Default)]
pub struct NodeTally {
    pub ready: usize,
    pub created: Vec<DateTime<Utc>>,
}

/// The [`NodeTally`] of every cluster of a project in a region (or, without a project, of the
/// whole region) that has nodes: one row per cluster, counted and gathered by the database.
pub async fn tallies(
    conn: &mut AnyConnection,
    kind: crate::store::DatabaseKind,
    project_id: Option<&str>,
    region: &str,
) -> Result<std::collections::HashMap<String, NodeTally>, sqlx::Error> {
    let created = match kind {
        crate::store::DatabaseKind::Sqlite => "group_concat(created_at, ',')",
        crate::store::DatabaseKind::Postgres => "string_agg(CAST(created_at AS TEXT), ',')",
    };
    let scope = match project_id {
        Some(_) => "cluster_id IN (SELECT id FROM clusters WHERE region = $1 AND project_id = $2)",
        None => "region = $1",
    };
    let sql = format!(
        "SELECT cluster_id, CAST(SUM(CASE WHEN status = 'ready' THEN 1 ELSE 0 END) AS BIGINT) AS ready, \
         {created} AS created FROM nodes WHERE {scope} GROUP BY cluster_id"
    );
    let mut query = sqlx::query(&sql).bind(region);
    if let Some(project_id) = project_id {
        query = query.bind(project_id);
    }
    let mut tallies = std::collections::HashMap::new();
    for row in query.fetch_all(conn).await? {
        let list: String = row.try_get("created")?;
        let mut created = list
            .split(',')
            .map(|millis| {
                millis
                    .parse::<i64>()
                    .map(crate::store::rows::time)
                    .map_err(|_| {
                        sqlx::Error::Decode(format!("a node's creation time `{millis}`").into())
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        created.sort();
        tallies.insert(
            row.try_get("cluster_id")?,
            NodeTally {
                ready: row.try_get::<i64, _>("ready")?.max(0) as usize,
                created,
            },
        );
    }
    Ok(tallies)
}
