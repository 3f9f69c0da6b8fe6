//! A cluster's rollout on hold: `pause` (waits before the next wave) or `abort` (stops before the
//! next wave, for good).

use sqlx::AnyConnection;

use crate::store::rows::millis;

pub async fn get(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT hold FROM rollout_holds WHERE cluster_id = $1")
        .bind(cluster_id)
        .fetch_optional(conn)
        .await
}

pub async fn set(
    conn: &mut AnyConnection,
    cluster_id: &str,
    hold: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO rollout_holds (cluster_id, hold, set_at) VALUES ($1, $2, $3) \
         ON CONFLICT (cluster_id) DO UPDATE SET hold = excluded.hold, set_at = excluded.set_at",
    )
    .bind(cluster_id)
    .bind(hold)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn clear(conn: &mut AnyConnection, cluster_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rollout_holds WHERE cluster_id = $1")
        .bind(cluster_id)
        .execute(conn)
        .await?;
    Ok(())
}
