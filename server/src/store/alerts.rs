//! Alerts and silences, as stored (`alerts`, `alert_silences`). The alerts service gives these
//! rows their rules; every state change here is a conditional update on the state it leaves,
//! so two replicas never move one alert twice.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::rows::{get_optional_time, get_time, millis};
use chrono::{DateTime, Utc};

/// An alert as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub fingerprint: String,
    pub organization_id: String,
    pub project_id: String,
    pub region: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub rule: String,
    pub severity: String,
    pub owner: String,
    pub target_kind: String,
    pub target_id: String,
    pub target_name: String,
    pub summary: String,
    pub state: String,
    pub active_since: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// JSON text, once fired.
    pub evidence: Option<String>,
    /// JSON text.
    pub recommendation: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledgement_note: Option<String>,
}

const COLUMNS: &str = "id, fingerprint, organization_id, project_id, region, cluster_id, \
    cluster_name, rule, severity, owner, target_kind, target_id, target_name, summary, state, \
    active_since, fired_at, resolved_at, evidence, recommendation, acknowledged_by, \
    acknowledged_at, acknowledgement_note";

fn alert_row(row: &AnyRow) -> Result<AlertRow, sqlx::Error> {
    Ok(AlertRow {
        id: row.try_get("id")?,
        fingerprint: row.try_get("fingerprint")?,
        organization_id: row.try_get("organization_id")?,
        project_id: row.try_get("project_id")?,
        region: row.try_get("region")?,
        cluster_id: row.try_get("cluster_id")?,
        cluster_name: row.try_get("cluster_name")?,
        rule: row.try_get("rule")?,
        severity: row.try_get("severity")?,
        owner: row.try_get("owner")?,
        target_kind: row.try_get("target_kind")?,
        target_id: row.try_get("target_id")?,
        target_name: row.try_get("target_name")?,
        summary: row.try_get("summary")?,
        state: row.try_get("state")?,
        active_since: get_time(row, "active_since")?,
        fired_at: get_optional_time(row, "fired_at")?,
        resolved_at: get_optional_time(row, "resolved_at")?,
        evidence: row.try_get("evidence")?,
        recommendation: row.try_get("recommendation")?,
        acknowledged_by: row.try_get("acknowledged_by")?,
        acknowledged_at: get_optional_time(row, "acknowledged_at")?,
        acknowledgement_note: row.try_get("acknowledgement_note")?,
    })
}

/// Opens an alert (pending, or firing with its evidence). False when another replica opened
/// the same occurrence first (the open-fingerprint index refuses a second).
pub async fn open(conn: &mut AnyConnection, alert: &AlertRow) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO alerts (id, fingerprint, organization_id, project_id, region, cluster_id, \
         cluster_name, rule, severity, owner, target_kind, target_id, target_name, summary, state, \
         active_since, fired_at, evidence, recommendation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&alert.id)
    .bind(&alert.fingerprint)
    .bind(&alert.organization_id)
    .bind(&alert.project_id)
    .bind(&alert.region)
    .bind(&alert.cluster_id)
    .bind(&alert.cluster_name)
    .bind(&alert.rule)
    .bind(&alert.severity)
    .bind(&alert.owner)
    .bind(&alert.target_kind)
    .bind(&alert.target_id)
    .bind(&alert.target_name)
    .bind(&alert.summary)
    .bind(&alert.state)
    .bind(millis(alert.active_since))
    .bind(alert.fired_at.map(millis))
    .bind(&alert.evidence)
    .bind(&alert.recommendation)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Pending → firing, with the evidence frozen now.
pub async fn fire(
    conn: &mut AnyConnection,
    id: &str,
    at: DateTime<Utc>,
    evidence: &str,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE alerts SET state = 'firing', fired_at = $1, evidence = $2 \
         WHERE id = $3 AND state = 'pending'",
    )
    .bind(millis(at))
    .bind(evidence)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Firing → resolved.
pub async fn resolve(
    conn: &mut AnyConnection,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE alerts SET state = 'resolved', resolved_at = $1 WHERE id = $2 AND state = 'firing'",
    )
    .bind(millis(at))
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// A pending alert whose condition cleared before it fired leaves no trace.
pub async fn drop_pending(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let dropped = sqlx::query("DELETE FROM alerts WHERE id = $1 AND state = 'pending'")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(dropped == 1)
}

/// An open alert's severity and words follow its condition (end of support nears).
pub async fn restate(
    conn: &mut AnyConnection,
    id: &str,
    severity: &str,
    summary: &str,
    recommendation: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE alerts SET severity = $1, summary = $2, recommendation = $3 \
         WHERE id = $4 AND state <> 'resolved'",
    )
    .bind(severity)
    .bind(summary)
    .bind(recommendation)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records who acknowledged an open alert, when and why; false when it was already
/// acknowledged or has resolved.
pub async fn acknowledge(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    at: DateTime<Utc>,
    note: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE alerts SET acknowledged_by = $1, acknowledged_at = $2, acknowledgement_note = $3 \
         WHERE id = $4 AND acknowledged_at IS NULL AND state <> 'resolved'",
    )
    .bind(by)
    .bind(millis(at))
    .bind(note)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Every open (pending or firing) alert.
pub async fn open_alerts(conn: &mut AnyConnection) -> Result<Vec<AlertRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE state <> 'resolved'"
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(alert_row).collect()
}

/// The open alerts of one cluster.
pub async fn open_of_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<AlertRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE cluster_id = $1 AND state <> 'resolved'"
    ))
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(alert_row).collect()
}

/// Which alerts a listing asks for.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    /// The projects whose alerts are read.
    pub projects: Vec<String>,
    pub cluster_id: Option<String>,
    /// `pending`, `firing` or `resolved`; none: all.
    pub state: Option<String>,
}

/// Alerts matching `filter`: open ones first (firing, then pending), then the newest.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &AlertFilter,
    limit: i64,
) -> Result<Vec<AlertRow>, sqlx::Error> {
    if filter.projects.is_empty() {
        return Ok(Vec::new());
    }
    let mut clauses = Vec::new();
    let mut arguments: Vec<String> = Vec::new();
    let placeholders: Vec<String> = filter
        .projects
        .iter()
        .map(|project| {
            arguments.push(project.clone());
            format!("${}", arguments.len())
        })
        .collect();
    clauses.push(format!("project_id IN ({})", placeholders.join(", ")));
    if let Some(cluster) = &filter.cluster_id {
        arguments.push(cluster.clone());
        clauses.push(format!("cluster_id = ${}", arguments.len()));
    }
    if let Some(state) = &filter.state {
        arguments.push(state.clone());
        clauses.push(format!("state = ${}", arguments.len()));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM alerts WHERE {} \
         ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, \
         active_since DESC, id LIMIT {limit}",
        clauses.join(" AND ")
    );
    let mut query = sqlx::query(&sql);
    for argument in &arguments {
        query = query.bind(argument);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(alert_row).collect()
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<AlertRow>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(alert_row).transpose()
}

/// What a firing alert of a cluster is, as overviews of many clusters count them (and
/// silences match them): its project, cluster, rule and severity.
pub async fn firing_keys(
    conn: &mut AnyConnection,
    projects: &[String],
) -> Result<Vec<(String, String, String, String)>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=projects.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT project_id, cluster_id, rule, severity FROM alerts \
         WHERE state = 'firing' AND cluster_id IS NOT NULL AND project_id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for project in projects {
        query = query.bind(project);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("project_id")?,
                row.try_get("cluster_id")?,
                row.try_get("rule")?,
                row.try_get("severity")?,
            ))
        })
        .collect()
}

/// A silence as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct SilenceRow {
    pub id: String,
    pub organization_id: String,
    pub project_id: String,
    pub cluster_id: Option<String>,
    pub rule: Option<String>,
    pub severity: Option<String>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn silence_row(row: &AnyRow) -> Result<SilenceRow, sqlx::Error> {
    Ok(SilenceRow {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        project_id: row.try_get("project_id")?,
        cluster_id: row.try_get("cluster_id")?,
        rule: row.try_get("rule")?,
        severity: row.try_get("severity")?,
        reason: row.try_get("reason")?,
        created_by: row.try_get("created_by")?,
        created_at: get_time(row, "created_at")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

const SILENCE_COLUMNS: &str = "id, organization_id, project_id, cluster_id, rule, severity, \
    reason, created_by, created_at, expires_at";

pub async fn add_silence(
    conn: &mut AnyConnection,
    silence: &SilenceRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO alert_silences ({SILENCE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&silence.id)
    .bind(&silence.organization_id)
    .bind(&silence.project_id)
    .bind(&silence.cluster_id)
    .bind(&silence.rule)
    .bind(&silence.severity)
    .bind(&silence.reason)
    .bind(&silence.created_by)
    .bind(millis(silence.created_at))
    .bind(millis(silence.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a silence in force now; false when it had already ended.
pub async fn expire_silence(
    conn: &mut AnyConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let ended =
        sqlx::query("UPDATE alert_silences SET expires_at = $1 WHERE id = $2 AND expires_at > $1")
            .bind(millis(now))
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(ended == 1)
}

pub async fn silence(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<SilenceRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(silence_row).transpose()
}

/// The silences of these projects that end after `after` (in force or to come), soonest end
/// first.
pub async fn silences(
    conn: &mut AnyConnection,
    projects: &[String],
    after: DateTime<Utc>,
) -> Result<Vec<SilenceRow>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (2..=projects.len() + 1).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {SILENCE_COLUMNS} FROM alert_silences \
         WHERE expires_at > $1 AND project_id IN ({}) ORDER BY expires_at, id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(millis(after));
    for project in projects {
        query = query.bind(project);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(silence_row).collect()
}

/// Forgets a deleted cluster's open alerts: they resolve at `at`.
pub async fn resolve_cluster(
    conn: &mut AnyConnection,
    cluster_id: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM alerts WHERE cluster_id = $1 AND state = 'pending'")
        .bind(cluster_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE alerts SET state = 'resolved', resolved_at = $1 \
         WHERE cluster_id = $2 AND state = 'firing'",
    )
    .bind(millis(at))
    .bind(cluster_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A project's name and node quota (for the quota rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectQuota {
    pub project_id: String,
    pub organization_id: String,
    pub name: String,
    pub node_quota: i64,
}

/// Every project's node quota.
pub async fn project_quotas(conn: &mut AnyConnection) -> Result<Vec<ProjectQuota>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, organization_id, name, node_quota FROM projects")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ProjectQuota {
                project_id: row.try_get("id")?,
                organization_id: row.try_get("organization_id")?,
                name: row.try_get("name")?,
                node_quota: row.try_get("node_quota")?,
            })
        })
        .collect()
}
