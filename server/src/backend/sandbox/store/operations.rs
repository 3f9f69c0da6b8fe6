//! Operation rows: long-running work the reconciler advances step by step, claimed with leases.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::rows::{get_json, get_optional_time, get_time, json, millis};
use crate::store::DatabaseKind;

#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub id: String,
    pub kind: String,
    pub cluster_id: String,
    pub target_id: String,
    pub params: Value,
    pub step: String,
    pub state: String,
    pub attempt: i64,
    pub next_run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

const COLUMNS: &str = "id, kind, cluster_id, target_id, params, step, state, attempt, \
    next_run_at, lease_owner, lease_expires_at, last_error, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Operation, sqlx::Error> {
    Ok(Operation {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        cluster_id: row.try_get("cluster_id")?,
        target_id: row.try_get("target_id")?,
        params: get_json(row, "params")?,
        step: row.try_get("step")?,
        state: row.try_get("state")?,
        attempt: row.try_get("attempt")?,
        next_run_at: get_time(row, "next_run_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at: get_optional_time(row, "lease_expires_at")?,
        last_error: row.try_get("last_error")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, operation: &Operation) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO operations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&operation.id)
    .bind(&operation.kind)
    .bind(&operation.cluster_id)
    .bind(&operation.target_id)
    .bind(json(&operation.params))
    .bind(&operation.step)
    .bind(&operation.state)
    .bind(operation.attempt)
    .bind(millis(operation.next_run_at))
    .bind(&operation.lease_owner)
    .bind(operation.lease_expires_at.map(millis))
    .bind(&operation.last_error)
    .bind(millis(operation.created_at))
    .bind(millis(operation.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Operation>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM operations WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Claims up to `limit` pending operations that are due and not leased by a live worker, in one
/// statement, and returns their ids oldest-due first. On PostgreSQL the candidates are picked
/// `FOR UPDATE SKIP LOCKED`, so replicas claiming at once take different rows instead of
/// queueing on the same ones; SQLite runs one writer at a time anyway.
pub async fn claim_due(
    conn: &mut AnyConnection,
    kind: DatabaseKind,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let lock = match kind {
        DatabaseKind::Postgres => " FOR UPDATE SKIP LOCKED",
        DatabaseKind::Sqlite => "",
    };
    let rows = sqlx::query(&format!(
        "UPDATE operations SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
           SELECT id FROM operations WHERE state = 'pending' AND next_run_at <= $3 \
           AND (lease_expires_at IS NULL OR lease_expires_at < $3) \
           ORDER BY next_run_at, created_at LIMIT $4{lock}) \
         RETURNING id, next_run_at, created_at"
    ))
    .bind(owner)
    .bind(millis(lease_until))
    .bind(millis(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<i64, _>("next_run_at")?,
                row.try_get::<i64, _>("created_at")?,
                row.try_get::<String, _>("id")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    claimed.sort();
    Ok(claimed.into_iter().map(|(_, _, id)| id).collect())
}

/// Records the outcome of one step and releases the lease — only if `owner` still holds it,
/// so a worker whose lease expired cannot overwrite its successor's progress.
pub async fn record_step(
    conn: &mut AnyConnection,
    operation: &Operation,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE operations SET params = $3, step = $4, state = $5, attempt = $6, next_run_at = $7, \
         lease_owner = NULL, lease_expires_at = NULL, last_error = $8, updated_at = $9 \
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(&operation.id)
    .bind(owner)
    .bind(json(&operation.params))
    .bind(&operation.step)
    .bind(&operation.state)
    .bind(operation.attempt)
    .bind(millis(operation.next_run_at))
    .bind(&operation.last_error)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A pending operation's parameters, changed only while no worker holds it (a worker writes
/// back the parameters it claimed the operation with); whether they were.
pub async fn set_params_while_unclaimed(
    conn: &mut AnyConnection,
    id: &str,
    params: &Value,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE operations SET params = $2, updated_at = $3 \
         WHERE id = $1 AND state = 'pending' AND lease_owner IS NULL",
    )
    .bind(id)
    .bind(json(params))
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Pending operations acting on this target (cluster, pool or node).
pub async fn pending_for_target(
    conn: &mut AnyConnection,
    target_id: &str,
) -> Result<Vec<Operation>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM operations WHERE target_id = $1 AND state = 'pending' ORDER BY created_at"
    ))
    .bind(target_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<Operation>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM operations WHERE cluster_id = $1 ORDER BY created_at, id"
    ))
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
