//! Node pools.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::clusters::bad_status;
use crate::domain::model::{Pool, PoolStatus};
use crate::store::rows::{get_bool, get_json, get_time, json, millis, read_packed, Packed};

const COLUMNS: &str = "id, cluster_id, region, zone, name, node_type, status, version, size, \
    min_size, max_size, autoscaling, autohealing, container_runtime, kubelet_args, tags, \
    root_volume_type, root_volume_size, public_ip_disabled, placement_group_id, \
    security_group_id, max_surge, max_unavailable, created_at, updated_at, labels, taints, \
    startup_taints, user_data";

/// What a read of the whole fleet takes of a pool, packed into one value per row: its
/// identity, state, size and the settings the maintenance pass decides by; not its labels,
/// taints, kubelet arguments or user data.
const SUMMARY: &[&str] = &[
    "id",
    "cluster_id",
    "region",
    "zone",
    "node_type",
    "status",
    "version",
    "CAST(size AS TEXT)",
    "CAST(min_size AS TEXT)",
    "CAST(max_size AS TEXT)",
    "CAST(autoscaling AS TEXT)",
    "CAST(autohealing AS TEXT)",
    "CAST(max_surge AS TEXT)",
    "CAST(max_unavailable AS TEXT)",
    "CAST(created_at AS TEXT)",
    "CAST(updated_at AS TEXT)",
    "name",
];

/// A pool from its packed [`SUMMARY`]; what that leaves out is empty.
fn summary(mut fields: Packed<'_>) -> Result<Pool, sqlx::Error> {
    let (id, cluster_id, region, zone, node_type) = (
        fields.text()?,
        fields.text()?,
        fields.text()?,
        fields.text()?,
        fields.text()?,
    );
    let status = fields.text()?;
    Ok(Pool {
        id,
        cluster_id,
        region,
        zone,
        node_type,
        status: PoolStatus::parse(&status).ok_or_else(|| bad_status(&status))?,
        version: fields.text()?,
        size: fields.int()?,
        min_size: fields.int()?,
        max_size: fields.int()?,
        autoscaling: fields.flag()?,
        autohealing: fields.flag()?,
        max_surge: fields.int()?,
        max_unavailable: fields.int()?,
        created_at: fields.time()?,
        updated_at: fields.time()?,
        name: fields.text()?,
        container_runtime: String::new(),
        kubelet_args: Default::default(),
        tags: Vec::new(),
        root_volume_type: String::new(),
        root_volume_size: 0,
        public_ip_disabled: false,
        placement_group_id: None,
        security_group_id: String::new(),
        labels: Default::default(),
        taints: Vec::new(),
        startup_taints: Vec::new(),
        user_data: Default::default(),
    })
}

fn from_row(row: &AnyRow) -> Result<Pool, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(Pool {
        id: row.try_get("id")?,
        cluster_id: row.try_get("cluster_id")?,
        region: row.try_get("region")?,
        zone: row.try_get("zone")?,
        name: row.try_get("name")?,
        node_type: row.try_get("node_type")?,
        status: PoolStatus::parse(&status).ok_or_else(|| bad_status(&status))?,
        version: row.try_get("version")?,
        size: row.try_get("size")?,
        min_size: row.try_get("min_size")?,
        max_size: row.try_get("max_size")?,
        autoscaling: get_bool(row, "autoscaling")?,
        autohealing: get_bool(row, "autohealing")?,
        container_runtime: row.try_get("container_runtime")?,
        kubelet_args: get_json(row, "kubelet_args")?,
        tags: get_json(row, "tags")?,
        root_volume_type: row.try_get("root_volume_type")?,
        root_volume_size: row.try_get("root_volume_size")?,
        public_ip_disabled: get_bool(row, "public_ip_disabled")?,
        placement_group_id: row.try_get("placement_group_id")?,
        security_group_id: row.try_get("security_group_id")?,
        max_surge: row.try_get("max_surge")?,
        max_unavailable: row.try_get("max_unavailable")?,
        labels: get_json(row, "labels")?,
        taints: get_json(row, "taints")?,
        startup_taints: get_json(row, "startup_taints")?,
        user_data: get_json(row, "user_data")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, pool: &Pool) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO pools ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)"
    ))
    .bind(&pool.id)
    .bind(&pool.cluster_id)
    .bind(&pool.region)
    .bind(&pool.zone)
    .bind(&pool.name)
    .bind(&pool.node_type)
    .bind(pool.status.as_str())
    .bind(&pool.version)
    .bind(pool.size)
    .bind(pool.min_size)
    .bind(pool.max_size)
    .bind(pool.autoscaling)
    .bind(pool.autohealing)
    .bind(&pool.container_runtime)
    .bind(json(&pool.kubelet_args))
    .bind(json(&pool.tags))
    .bind(&pool.root_volume_type)
    .bind(pool.root_volume_size)
    .bind(pool.public_ip_disabled)
    .bind(&pool.placement_group_id)
    .bind(&pool.security_group_id)
    .bind(pool.max_surge)
    .bind(pool.max_unavailable)
    .bind(millis(pool.created_at))
    .bind(millis(pool.updated_at))
    .bind(json(&pool.labels))
    .bind(json(&pool.taints))
    .bind(json(&pool.startup_taints))
    .bind(json(&pool.user_data))
    .execute(conn)
    .await?;
    Ok(())
}

/// Which node metadata a pool update replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeMetadata {
    Labels,
    Taints,
    StartupTaints,
}

/// Replaces one kind of node metadata, and nothing else of the pool (a concurrent scale or
/// upgrade keeps its own columns).
pub async fn set_node_metadata(
    conn: &mut AnyConnection,
    id: &str,
    which: NodeMetadata,
    value_json: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let column = match which {
        NodeMetadata::Labels => "labels",
        NodeMetadata::Taints => "taints",
        NodeMetadata::StartupTaints => "startup_taints",
    };
    let result = sqlx::query(&format!(
        "UPDATE pools SET {column} = $2, updated_at = $3 WHERE id = $1"
    ))
    .bind(id)
    .bind(value_json)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// One more node joined the pool on its own (a Kosmos external node registering).
pub async fn grow_by_one(
    conn: &mut AnyConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE pools SET size = size + 1, max_size = CASE WHEN max_size < size + 1 \
         THEN size + 1 ELSE max_size END, updated_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes every mutable column of the pool.
pub async fn update(conn: &mut AnyConnection, pool: &Pool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE pools SET status = $2, version = $3, size = $4, min_size = $5, max_size = $6, \
         autoscaling = $7, autohealing = $8, kubelet_args = $9, tags = $10, max_surge = $11, \
         max_unavailable = $12, updated_at = $13 WHERE id = $1",
    )
    .bind(&pool.id)
    .bind(pool.status.as_str())
    .bind(&pool.version)
    .bind(pool.size)
    .bind(pool.min_size)
    .bind(pool.max_size)
    .bind(pool.autoscaling)
    .bind(pool.autohealing)
    .bind(json(&pool.kubelet_args))
    .bind(json(&pool.tags))
    .bind(pool.max_surge)
    .bind(pool.max_unavailable)
    .bind(millis(pool.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: PoolStatus,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE pools SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Pool>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM pools WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<Pool>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM pools WHERE cluster_id = $1 ORDER BY created_at, id"
    ))
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM pools WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A summary of every pool of a region (the maintenance pass reads the whole fleet at once).
pub async fn summaries_in_region(
    conn: &mut AnyConnection,
    region: &str,
) -> Result<Vec<Pool>, sqlx::Error> {
    read_packed(
        conn,
        SUMMARY,
        "FROM pools WHERE region = $2",
        &[region],
        summary,
        "pool",
    )
    .await
}

/// A summary of every pool of a project's clusters in a region.
pub async fn summaries_of_project(
    conn: &mut AnyConnection,
    project_id: &str,
    region: &str,
) -> Result<Vec<Pool>, sqlx::Error> {
    read_packed(
        conn,
        SUMMARY,
        "FROM pools WHERE cluster_id IN (SELECT id FROM clusters WHERE project_id = $2 AND region = $3)",
        &[project_id, region],
        summary,
        "pool",
    )
    .await
}

/// How many pools each cluster of a project in a region (or, without a project, of the whole
/// region) has; clusters without pools are absent.
pub async fn counts(
    conn: &mut AnyConnection,
    project_id: Option<&str>,
    region: &str,
) -> Result<std::collections::HashMap<String, usize>, sqlx::Error> {
    let scope = match project_id {
        Some(_) => "cluster_id IN (SELECT id FROM clusters WHERE region = $1 AND project_id = $2)",
        None => "region = $1",
    };
    let sql =
        format!("SELECT cluster_id, COUNT(*) AS n FROM pools WHERE {scope} GROUP BY cluster_id");
    let mut query = sqlx::query(&sql).bind(region);
    if let Some(project_id) = project_id {
        query = query.bind(project_id);
    }
    query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("cluster_id")?,
                row.try_get::<i64, _>("n")?.max(0) as usize,
            ))
        })
        .collect()
}
