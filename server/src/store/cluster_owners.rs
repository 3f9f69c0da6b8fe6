//! Which project owns each cluster (Wheelhouse's tenancy above the provisioning port).

use sqlx::AnyConnection;

pub async fn record(
    conn: &mut AnyConnection,
    cluster_id: &str,
    project_id: &str,
    region: &str,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cluster_owners (cluster_id, project_id, region, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (cluster_id) DO NOTHING",
    )
    .bind(cluster_id)
    .bind(project_id)
    .bind(region)
    .bind(created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The owning project and region of a cluster, if Wheelhouse knows it.
pub async fn owner(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT project_id, region FROM cluster_owners WHERE cluster_id = $1")
        .bind(cluster_id)
        .fetch_optional(conn)
        .await
}

/// The ids of a project's clusters in a region.
pub async fn clusters_of(
    conn: &mut AnyConnection,
    project_id: &str,
    region: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT cluster_id FROM cluster_owners WHERE project_id = $1 AND region = $2",
    )
    .bind(project_id)
    .bind(region)
    .fetch_all(conn)
    .await
}

/// Every cluster of a project, with its region.
pub async fn clusters_of_project(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT cluster_id, region FROM cluster_owners WHERE project_id = $1 ORDER BY cluster_id",
    )
    .bind(project_id)
    .fetch_all(conn)
    .await
}
