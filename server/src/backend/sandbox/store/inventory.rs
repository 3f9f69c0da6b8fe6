//! The sandbox's inventory around clusters: OS images, components, volumes, load balancers,
//! workload API usage and PDBs.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::store::rows::{get_optional_time, get_time, millis};

#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    pub name: String,
    pub kind: String,
    pub version: String,
    pub health: String,
    pub managed_by: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OsImage {
    pub name: String,
    pub description: String,
    pub released_at: DateTime<Utc>,
    pub superseded_at: Option<DateTime<Utc>>,
}

pub async fn insert_os_image_if_absent(
    conn: &mut AnyConnection,
    image: &OsImage,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO os_images (name, description, released_at, superseded_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING")
        .bind(&image.name)
        .bind(&image.description)
        .bind(millis(image.released_at))
        .bind(image.superseded_at.map(millis))
        .execute(conn)
        .await?;
    Ok(())
}

/// The image new nodes boot: the newest not superseded.
pub async fn current_os_image(conn: &mut AnyConnection) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM os_images WHERE superseded_at IS NULL ORDER BY released_at DESC, name DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await
}

/// Publishes a new OS image: new nodes boot it, and nodes on older ones become outdated.
pub async fn publish_os_image(
    conn: &mut AnyConnection,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let exists: Option<String> = sqlx::query_scalar("SELECT name FROM os_images WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query("UPDATE os_images SET superseded_at = $1 WHERE superseded_at IS NULL")
        .bind(millis(now))
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO os_images (name, description, released_at, superseded_at) VALUES ($1, $2, $3, NULL)")
        .bind(name)
        .bind(description)
        .bind(millis(now))
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

pub async fn os_images(conn: &mut AnyConnection) -> Result<Vec<OsImage>, sqlx::Error> {
    let rows = sqlx::query("SELECT name, description, released_at, superseded_at FROM os_images ORDER BY released_at DESC")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OsImage {
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                released_at: get_time(row, "released_at")?,
                superseded_at: get_optional_time(row, "superseded_at")?,
            })
        })
        .collect()
}

pub async fn upsert_component(
    conn: &mut AnyConnection,
    cluster_id: &str,
    component: &Component,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cluster_components (cluster_id, name, kind, version, health, managed_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (cluster_id, name) DO UPDATE SET \
         kind = excluded.kind, version = excluded.version, health = excluded.health, \
         managed_by = excluded.managed_by, updated_at = excluded.updated_at",
    )
    .bind(cluster_id)
    .bind(&component.name)
    .bind(&component.kind)
    .bind(&component.version)
    .bind(&component.health)
    .bind(&component.managed_by)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn components(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<Component>, sqlx::Error> {
    let rows = sqlx::query("SELECT name, kind, version, health, managed_by FROM cluster_components WHERE cluster_id = $1 ORDER BY kind, name")
        .bind(cluster_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Component {
                name: row.try_get("name")?,
                kind: row.try_get("kind")?,
                version: row.try_get("version")?,
                health: row.try_get("health")?,
                managed_by: row.try_get("managed_by")?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq)]
pub struct AttachedResource {
    pub id: String,
    pub cluster_id: String,
    pub name: String,
    pub status: String,
}

pub struct NewVolume<'a> {
    pub id: &'a str,
    pub cluster_id: &'a str,
    pub project_id: &'a str,
    pub name: &'a str,
    pub size_bytes: i64,
    pub storage_class: &'a str,
}

pub async fn insert_volume(
    conn: &mut AnyConnection,
    volume: NewVolume<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO persistent_volumes (id, cluster_id, project_id, name, size_bytes, storage_class, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'bound', $7)",
    )
    .bind(volume.id)
    .bind(volume.cluster_id)
    .bind(volume.project_id)
    .bind(volume.name)
    .bind(volume.size_bytes)
    .bind(volume.storage_class)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_load_balancer(
    conn: &mut AnyConnection,
    id: &str,
    cluster_id: &str,
    project_id: &str,
    name: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO load_balancers (id, cluster_id, project_id, name, ip, status, created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6)")
        .bind(id).bind(cluster_id).bind(project_id).bind(name).bind(ip).bind(millis(now))
        .execute(conn).await?;
    Ok(())
}

async fn attached(
    conn: &mut AnyConnection,
    table: &str,
    cluster_id: &str,
) -> Result<Vec<AttachedResource>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT id, cluster_id, name, status FROM {table} WHERE cluster_id = $1 ORDER BY created_at, id"))
        .bind(cluster_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(AttachedResource {
                id: row.try_get("id")?,
                cluster_id: row.try_get("cluster_id")?,
                name: row.try_get("name")?,
                status: row.try_get("status")?,
            })
        })
        .collect()
}

pub async fn volumes(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<AttachedResource>, sqlx::Error> {
    attached(conn, "persistent_volumes", cluster_id).await
}

pub async fn load_balancers(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<AttachedResource>, sqlx::Error> {
    attached(conn, "load_balancers", cluster_id).await
}

/// What happens to a deleted cluster's volumes and load balancers: deleted with it, or left
/// in the project (volumes released, load balancers detached).
pub async fn dispose_additional_resources(
    conn: &mut AnyConnection,
    cluster_id: &str,
    delete: bool,
) -> Result<(), sqlx::Error> {
    if delete {
        sqlx::query("DELETE FROM persistent_volumes WHERE cluster_id = $1")
            .bind(cluster_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM load_balancers WHERE cluster_id = $1")
            .bind(cluster_id)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query("UPDATE persistent_volumes SET status = 'released' WHERE cluster_id = $1")
            .bind(cluster_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE load_balancers SET status = 'detached' WHERE cluster_id = $1")
            .bind(cluster_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn record_workload(
    conn: &mut AnyConnection,
    cluster_id: &str,
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO workload_inventory (cluster_id, api_version, kind, namespace, name) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
        .bind(cluster_id).bind(api_version).bind(kind).bind(namespace).bind(name)
        .execute(conn).await?;
    Ok(())
}

/// Forgets a workload object's use of an API (the user moved it to another API or deleted it);
/// true when it was recorded.
pub async fn forget_workload(
    conn: &mut AnyConnection,
    cluster_id: &str,
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM workload_inventory WHERE cluster_id = $1 AND api_version = $2 AND kind = $3 AND namespace = $4 AND name = $5")
        .bind(cluster_id).bind(api_version).bind(kind).bind(namespace).bind(name)
        .execute(conn).await?;
    Ok(done.rows_affected() > 0)
}

/// Every workload object's API use: (api_version, kind, namespace, name), grouped by API.
pub async fn workloads(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<(String, String, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT api_version, kind, namespace, name FROM workload_inventory WHERE cluster_id = $1 ORDER BY api_version, kind, namespace, name")
        .bind(cluster_id)
        .fetch_all(conn)
        .await
}

pub async fn upsert_pdb(
    conn: &mut AnyConnection,
    cluster_id: &str,
    pdb: &DisruptionBudgetRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pod_disruption_budgets (cluster_id, namespace, name, disruptions_allowed, pool_id) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (cluster_id, namespace, name) DO UPDATE SET disruptions_allowed = excluded.disruptions_allowed, pool_id = excluded.pool_id",
    )
    .bind(cluster_id).bind(&pdb.namespace).bind(&pdb.name).bind(pdb.disruptions_allowed).bind(&pdb.pool_id)
    .execute(conn).await?;
    Ok(())
}

/// True when the PDB existed.
pub async fn delete_pdb(
    conn: &mut AnyConnection,
    cluster_id: &str,
    namespace: &str,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM pod_disruption_budgets WHERE cluster_id = $1 AND namespace = $2 AND name = $3",
    )
    .bind(cluster_id)
    .bind(namespace)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct DisruptionBudgetRow {
    pub namespace: String,
    pub name: String,
    pub disruptions_allowed: i64,
    pub pool_id: Option<String>,
}

/// Every PDB of the cluster.
pub async fn pdbs(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<DisruptionBudgetRow>, sqlx::Error> {
    sqlx::query_as("SELECT namespace, name, disruptions_allowed, pool_id FROM pod_disruption_budgets WHERE cluster_id = $1 ORDER BY namespace, name")
        .bind(cluster_id)
        .fetch_all(conn)
        .await
}
