//! Events: what happened to a cluster's objects, newest last.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::store::rows::millis;

pub struct NewEvent<'a> {
    pub id: String,
    pub cluster_id: &'a str,
    pub object_kind: &'static str,
    pub object_id: &'a str,
    pub reason: &'static str,
    pub message: String,
}

pub async fn record(
    conn: &mut AnyConnection,
    event: NewEvent<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events (id, cluster_id, object_kind, object_id, reason, message, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&event.id)
    .bind(event.cluster_id)
    .bind(event.object_kind)
    .bind(event.object_id)
    .bind(event.reason)
    .bind(&event.message)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// (reason, object_id, message) of a cluster's events, oldest first.
pub async fn of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT reason, object_id, message FROM events WHERE cluster_id = $1 ORDER BY created_at, id",
    )
    .bind(cluster_id)
    .fetch_all(conn)
    .await
}

/// The newest `limit` events of a cluster, newest first:
/// (created at in milliseconds, object kind, reason, message).
pub async fn recent_of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
    limit: i64,
) -> Result<Vec<(i64, String, String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT created_at, object_kind, object_id, reason, message FROM events WHERE cluster_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(cluster_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
