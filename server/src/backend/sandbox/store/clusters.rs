//! Clusters and their ACL rules.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::model::{AclRule, Cluster, ClusterStatus};
use crate::store::rows::{get_bool, get_json, get_time, json, millis, read_packed, Packed};

const COLUMNS: &str = "id, project_id, organization_id, region, name, description, cluster_type, \
    version, target_version, cni, status, tags, feature_gates, admission_plugins, \
    apiserver_cert_sans, autoscaler_config, open_id_connect_config, auto_upgrade_enabled, \
    maintenance_day, maintenance_start_hour, pod_cidr, service_cidr, service_dns_ip, \
    private_network_id, admin_token, created_at, updated_at";

/// What a read of the whole fleet takes of a cluster, packed into one value per row: its
/// identity, state, version and the settings the maintenance pass decides by; no admin token
/// and none of the larger settings.
const SUMMARY: &[&str] = &[
    "id",
    "project_id",
    "organization_id",
    "region",
    "cluster_type",
    "version",
    "COALESCE(target_version, '')",
    "cni",
    "status",
    "CAST(auto_upgrade_enabled AS TEXT)",
    "maintenance_day",
    "CAST(maintenance_start_hour AS TEXT)",
    "CAST(created_at AS TEXT)",
    "CAST(updated_at AS TEXT)",
    "name",
];

/// A cluster from its packed [`SUMMARY`]; what that leaves out is empty.
fn summary(mut fields: Packed<'_>) -> Result<Cluster, sqlx::Error> {
    let (id, project_id, organization_id, region, cluster_type, version) = (
        fields.text()?,
        fields.text()?,
        fields.text()?,
        fields.text()?,
        fields.text()?,
        fields.text()?,
    );
    let (target_version, cni) = (fields.optional_text()?, fields.text()?);
    let status = fields.text()?;
    Ok(Cluster {
        id,
        project_id,
        organization_id,
        region,
        cluster_type,
        version,
        target_version,
        cni,
        status: ClusterStatus::parse(&status).ok_or_else(|| bad_status(&status))?,
        auto_upgrade_enabled: fields.flag()?,
        maintenance_day: fields.text()?,
        maintenance_start_hour: fields.int()?,
        created_at: fields.time()?,
        updated_at: fields.time()?,
        name: fields.text()?,
        description: String::new(),
        tags: Vec::new(),
        feature_gates: Vec::new(),
        admission_plugins: Vec::new(),
        apiserver_cert_sans: Vec::new(),
        autoscaler_config: serde_json::Value::Null,
        open_id_connect_config: serde_json::Value::Null,
        pod_cidr: String::new(),
        service_cidr: String::new(),
        service_dns_ip: String::new(),
        private_network_id: None,
        admin_token: String::new(),
        cluster_url: String::new(),
        upgrade_available: false,
        commitment_ends_at: None,
    })
}

fn from_row(row: &AnyRow) -> Result<Cluster, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(Cluster {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        organization_id: row.try_get("organization_id")?,
        region: row.try_get("region")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        cluster_type: row.try_get("cluster_type")?,
        version: row.try_get("version")?,
        target_version: row.try_get("target_version")?,
        cni: row.try_get("cni")?,
        status: ClusterStatus::parse(&status).ok_or_else(|| bad_status(&status))?,
        tags: get_json(row, "tags")?,
        feature_gates: get_json(row, "feature_gates")?,
        admission_plugins: get_json(row, "admission_plugins")?,
        apiserver_cert_sans: get_json(row, "apiserver_cert_sans")?,
        autoscaler_config: get_json(row, "autoscaler_config")?,
        open_id_connect_config: get_json(row, "open_id_connect_config")?,
        auto_upgrade_enabled: get_bool(row, "auto_upgrade_enabled")?,
        maintenance_day: row.try_get("maintenance_day")?,
        maintenance_start_hour: row.try_get("maintenance_start_hour")?,
        pod_cidr: row.try_get("pod_cidr")?,
        service_cidr: row.try_get("service_cidr")?,
        service_dns_ip: row.try_get("service_dns_ip")?,
        private_network_id: row.try_get("private_network_id")?,
        admin_token: row.try_get("admin_token")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
        // Not stored: the adapter derives them from where the API servers answer and from
        // the versions catalog.
        cluster_url: String::new(),
        upgrade_available: false,
        commitment_ends_at: None,
    })
}

pub(super) fn bad_status(status: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown status `{status}` in the database").into())
}

pub async fn insert(conn: &mut AnyConnection, cluster: &Cluster) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO clusters ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"
    ))
    .bind(&cluster.id)
    .bind(&cluster.project_id)
    .bind(&cluster.organization_id)
    .bind(&cluster.region)
    .bind(&cluster.name)
    .bind(&cluster.description)
    .bind(&cluster.cluster_type)
    .bind(&cluster.version)
    .bind(&cluster.target_version)
    .bind(&cluster.cni)
    .bind(cluster.status.as_str())
    .bind(json(&cluster.tags))
    .bind(json(&cluster.feature_gates))
    .bind(json(&cluster.admission_plugins))
    .bind(json(&cluster.apiserver_cert_sans))
    .bind(json(&cluster.autoscaler_config))
    .bind(json(&cluster.open_id_connect_config))
    .bind(cluster.auto_upgrade_enabled)
    .bind(&cluster.maintenance_day)
    .bind(cluster.maintenance_start_hour)
    .bind(&cluster.pod_cidr)
    .bind(&cluster.service_cidr)
    .bind(&cluster.service_dns_ip)
    .bind(&cluster.private_network_id)
    .bind(&cluster.admin_token)
    .bind(millis(cluster.created_at))
    .bind(millis(cluster.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes every mutable column of the cluster.
pub async fn update(conn: &mut AnyConnection, cluster: &Cluster) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE clusters SET name = $2, description = $3, cluster_type = $4, version = $5, \
         target_version = $6, status = $7, tags = $8, feature_gates = $9, admission_plugins = $10, \
         apiserver_cert_sans = $11, autoscaler_config = $12, open_id_connect_config = $13, \
         auto_upgrade_enabled = $14, maintenance_day = $15, maintenance_start_hour = $16, \
         admin_token = $17, updated_at = $18 WHERE id = $1",
    )
    .bind(&cluster.id)
    .bind(&cluster.name)
    .bind(&cluster.description)
    .bind(&cluster.cluster_type)
    .bind(&cluster.version)
    .bind(&cluster.target_version)
    .bind(cluster.status.as_str())
    .bind(json(&cluster.tags))
    .bind(json(&cluster.feature_gates))
    .bind(json(&cluster.admission_plugins))
    .bind(json(&cluster.apiserver_cert_sans))
    .bind(json(&cluster.autoscaler_config))
    .bind(json(&cluster.open_id_connect_config))
    .bind(cluster.auto_upgrade_enabled)
    .bind(&cluster.maintenance_day)
    .bind(cluster.maintenance_start_hour)
    .bind(&cluster.admin_token)
    .bind(millis(cluster.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the settings a user changes (PATCH), and only those: never the status, version or
/// admin token that operations own.
pub async fn update_settings(
    conn: &mut AnyConnection,
    cluster: &Cluster,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE clusters SET name = $2, description = $3, tags = $4, feature_gates = $5, \
         admission_plugins = $6, apiserver_cert_sans = $7, autoscaler_config = $8, \
         open_id_connect_config = $9, auto_upgrade_enabled = $10, maintenance_day = $11, \
         maintenance_start_hour = $12, updated_at = $13 WHERE id = $1",
    )
    .bind(&cluster.id)
    .bind(&cluster.name)
    .bind(&cluster.description)
    .bind(json(&cluster.tags))
    .bind(json(&cluster.feature_gates))
    .bind(json(&cluster.admission_plugins))
    .bind(json(&cluster.apiserver_cert_sans))
    .bind(json(&cluster.autoscaler_config))
    .bind(json(&cluster.open_id_connect_config))
    .bind(cluster.auto_upgrade_enabled)
    .bind(&cluster.maintenance_day)
    .bind(cluster.maintenance_start_hour)
    .bind(millis(cluster.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: ClusterStatus,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE clusters SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Cluster>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM clusters WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Filters of the list endpoint; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct ClusterFilter {
    pub project_id: String,
    pub region: String,
    pub name_contains: Option<String>,
    pub status: Option<String>,
    pub cluster_type: Option<String>,
    pub private_network_id: Option<String>,
    pub version: Option<String>,
}

/// The text as a literal inside a LIKE pattern (`ESCAPE '\'`): `%`, `_` and `\` match themselves.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Every cluster matching the filter (callers sort and page).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &ClusterFilter,
) -> Result<Vec<Cluster>, sqlx::Error> {
    // Fixed SQL with "no filter" spelled as NULL, so every statement is prepared once.
    let pattern = filter
        .name_contains
        .as_ref()
        .map(|name| format!("%{}%", escape_like(&name.to_lowercase())));
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM clusters WHERE project_id = $1 AND region = $2 \
         AND ($3 IS NULL OR LOWER(name) LIKE $3 ESCAPE '\\') AND ($4 IS NULL OR status = $4) \
         AND ($5 IS NULL OR cluster_type = $5) AND ($6 IS NULL OR private_network_id = $6) \
         AND ($7 IS NULL OR version = $7)"
    ))
    .bind(&filter.project_id)
    .bind(&filter.region)
    .bind(&pattern)
    .bind(&filter.status)
    .bind(&filter.cluster_type)
    .bind(&filter.private_network_id)
    .bind(&filter.version)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM clusters WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the cluster's row lock until the transaction ends (a no-op update: `FOR UPDATE` in
/// PostgreSQL terms, and a write on SQLite, which IMMEDIATE transactions serialise anyway), so
/// read-modify-write changes to what hangs off one cluster happen one at a time.
pub async fn lock(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE clusters SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn acl_rules(
    conn: &mut AnyConnection,
    cluster_id: &str,
) -> Result<Vec<AclRule>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, ip, scaleway_ranges, description FROM cluster_acl_rules \
         WHERE cluster_id = $1 ORDER BY position",
    )
    .bind(cluster_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AclRule {
                id: row.try_get("id")?,
                ip: row.try_get("ip")?,
                scaleway_ranges: get_bool(row, "scaleway_ranges")?,
                description: row.try_get("description")?,
            })
        })
        .collect()
}

pub async fn replace_acl_rules(
    conn: &mut AnyConnection,
    cluster_id: &str,
    rules: &[AclRule],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cluster_acl_rules WHERE cluster_id = $1")
        .bind(cluster_id)
        .execute(&mut *conn)
        .await?;
    for (position, rule) in rules.iter().enumerate() {
        sqlx::query(
            "INSERT INTO cluster_acl_rules (id, cluster_id, ip, scaleway_ranges, description, position) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&rule.id)
        .bind(cluster_id)
        .bind(&rule.ip)
        .bind(rule.scaleway_ranges)
        .bind(&rule.description)
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn delete_acl_rule(conn: &mut AnyConnection, rule_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cluster_acl_rules WHERE id = $1")
        .bind(rule_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The cluster a rule belongs to, to check ownership before deleting it.
pub async fn cluster_of_acl_rule(
    conn: &mut AnyConnection,
    rule_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT cluster_id FROM cluster_acl_rules WHERE id = $1")
        .bind(rule_id)
        .fetch_optional(conn)
        .await
}

/// A summary of every cluster of a region (the maintenance pass reads the whole fleet at once).
pub async fn summaries_in_region(
    conn: &mut AnyConnection,
    region: &str,
) -> Result<Vec<Cluster>, sqlx::Error> {
    read_packed(
        conn,
        SUMMARY,
        "FROM clusters WHERE region = $2",
        &[region],
        summary,
        "cluster",
    )
    .await
}

/// A summary of every cluster of a project in a region.
pub async fn summaries_of_project(
    conn: &mut AnyConnection,
    project_id: &str,
    region: &str,
) -> Result<Vec<Cluster>, sqlx::Error> {
    read_packed(
        conn,
        SUMMARY,
        "FROM clusters WHERE project_id = $2 AND region = $3",
        &[project_id, region],
        summary,
        "cluster",
    )
    .await
}
