//! The restores (and undos) Wheelhouse started: one row per run, with the preview the person
//! confirmed, the provider's restore that carries it out and the snapshot taken before it.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::rows::{millis, time};

#[derive(Clone, Debug, PartialEq)]
pub struct RestoreRecord {
    pub id: String,
    pub cluster_id: String,
    pub region: String,
    pub project_id: String,
    /// restore or undo.
    pub kind: String,
    pub scope: String,
    pub snapshot_id: Option<String>,
    pub provider_restore_id: String,
    pub pre_restore_snapshot_id: String,
    pub undoes_run_id: Option<String>,
    /// JSON text of the changes confirmed.
    pub preview: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub undo_until: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, cluster_id, region, project_id, kind, scope, snapshot_id, \
    provider_restore_id, pre_restore_snapshot_id, undoes_run_id, preview, started_by, started_at, undo_until";

fn from_row(row: &AnyRow) -> Result<RestoreRecord, sqlx::Error> {
    Ok(RestoreRecord {
        id: row.try_get("id")?,
        cluster_id: row.try_get("cluster_id")?,
        region: row.try_get("region")?,
        project_id: row.try_get("project_id")?,
        kind: row.try_get("kind")?,
        scope: row.try_get("scope")?,
        snapshot_id: row.try_get("snapshot_id")?,
        provider_restore_id: row.try_get("provider_restore_id")?,
        pre_restore_snapshot_id: row.try_get("pre_restore_snapshot_id")?,
        undoes_run_id: row.try_get("undoes_run_id")?,
        preview: row.try_get("preview")?,
        started_by: row.try_get("started_by")?,
        started_at: time(row.try_get("started_at")?),
        undo_until: row.try_get::<Option<i64>, _>("undo_until")?.map(time),
    })
}

pub async fn insert(conn: &mut AnyConnection, run: &RestoreRecord) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO restore_runs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&run.id)
    .bind(&run.cluster_id)
    .bind(&run.region)
    .bind(&run.project_id)
    .bind(&run.kind)
    .bind(&run.scope)
    .bind(&run.snapshot_id)
    .bind(&run.provider_restore_id)
    .bind(&run.pre_restore_snapshot_id)
    .bind(&run.undoes_run_id)
    .bind(&run.preview)
    .bind(&run.started_by)
    .bind(millis(run.started_at))
    .bind(run.undo_until.map(millis))
    .execute(conn)
    .await?;
    Ok(())
}

/// The cluster's runs, newest first.
pub async fn of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<RestoreRecord>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM restore_runs WHERE cluster_id = $1 ORDER BY started_at DESC, id DESC LIMIT 50"
    ))
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
