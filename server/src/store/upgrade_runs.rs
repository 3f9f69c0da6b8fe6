//! The upgrades (and rollbacks) Wheelhouse started: one row per run, with the pre-flight
//! verdict it started on, the override reason if any, and where its owner steered it.

use sqlx::{AnyConnection, Row};

use super::rows::{millis, time};

/// A run as stored; the upgrade service gives it its types.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub id: String,
    pub cluster_id: String,
    pub region: String,
    pub project_id: String,
    pub from_version: String,
    pub to_version: String,
    pub upgrade_pools: bool,
    pub verdict: String,
    /// The blocking checks at start, one per line.
    pub blocking: Vec<String>,
    pub override_reason: Option<String>,
    pub started_by: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub state: String,
    pub kind: String,
    pub pool_id: Option<String>,
    pub soak_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Keeps a started run (its state starts as the column's default, `running`).
pub async fn insert(conn: &mut AnyConnection, run: &RunRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO upgrade_runs (id, cluster_id, region, project_id, from_version, to_version, upgrade_pools, verdict, blocking, override_reason, started_by, started_at, kind, pool_id, soak_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&run.id)
    .bind(&run.cluster_id)
    .bind(&run.region)
    .bind(&run.project_id)
    .bind(&run.from_version)
    .bind(&run.to_version)
    .bind(i64::from(run.upgrade_pools))
    .bind(&run.verdict)
    .bind(run.blocking.join("\n"))
    .bind(&run.override_reason)
    .bind(&run.started_by)
    .bind(millis(run.started_at))
    .bind(&run.kind)
    .bind(&run.pool_id)
    .bind(run.soak_until.map(millis))
    .execute(conn)
    .await?;
    Ok(())
}

/// A cluster's latest run, or its latest of one kind.
pub async fn latest(
    conn: &mut AnyConnection,
    cluster_id: &str,
    kind: Option<&str>,
) -> Result<Option<RunRecord>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, cluster_id, region, project_id, from_version, to_version, upgrade_pools, verdict, blocking, override_reason, started_by, started_at, state, kind, pool_id, soak_until \
         FROM upgrade_runs WHERE cluster_id = $1 AND ($2 = '' OR kind = $2) ORDER BY started_at DESC, id DESC LIMIT 1",
    )
    .bind(cluster_id)
    .bind(kind.unwrap_or(""))
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let blocking: String = row.try_get("blocking")?;
        Ok(RunRecord {
            id: row.try_get("id")?,
            cluster_id: row.try_get("cluster_id")?,
            region: row.try_get("region")?,
            project_id: row.try_get("project_id")?,
            from_version: row.try_get("from_version")?,
            to_version: row.try_get("to_version")?,
            upgrade_pools: row.try_get::<i64, _>("upgrade_pools")? != 0,
            verdict: row.try_get("verdict")?,
            blocking: blocking
                .lines()
                .filter(|line| !line.is_empty())
                .map(str::to_string)
                .collect(),
            override_reason: row.try_get("override_reason")?,
            started_by: row.try_get("started_by")?,
            started_at: time(row.try_get("started_at")?),
            state: row.try_get("state")?,
            kind: row.try_get("kind")?,
            pool_id: row.try_get("pool_id")?,
            soak_until: row.try_get::<Option<i64>, _>("soak_until")?.map(time),
        })
    })
    .transpose()
}

/// Moves a run from state `from` to `to`; false when it was no longer in `from` (another
/// writer moved it first).
pub async fn move_state(
    conn: &mut AnyConnection,
    run_id: &str,
    from: &str,
    to: &str,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query("UPDATE upgrade_runs SET state = $1 WHERE id = $2 AND state = $3")
        .bind(to)
        .bind(run_id)
        .bind(from)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(moved == 1)
}
