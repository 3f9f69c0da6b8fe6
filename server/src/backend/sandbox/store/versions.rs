//! The Kubernetes versions catalog.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::model::KubeVersionEntry;
use crate::store::rows::{get_json, get_optional_time, get_time, json, millis};

const COLUMNS: &str = "name, label, released_at, deprecated_at, end_of_life_at, available_cnis, \
    available_runtimes, feature_gates, admission_plugins, kubelet_args, removed_apis, changelog";

fn from_row(row: &AnyRow) -> Result<KubeVersionEntry, sqlx::Error> {
    Ok(KubeVersionEntry {
        name: row.try_get("name")?,
        label: row.try_get("label")?,
        released_at: get_time(row, "released_at")?,
        deprecated_at: get_optional_time(row, "deprecated_at")?,
        end_of_life_at: get_optional_time(row, "end_of_life_at")?,
        available_cnis: get_json(row, "available_cnis")?,
        available_runtimes: get_json(row, "available_runtimes")?,
        feature_gates: get_json(row, "feature_gates")?,
        admission_plugins: get_json(row, "admission_plugins")?,
        kubelet_args: get_json(row, "kubelet_args")?,
        removed_apis: get_json(row, "removed_apis")?,
        changelog: get_json(row, "changelog")?,
    })
}

/// Adds the entry unless a version of that name exists (operators' edits are kept).
pub async fn insert_if_absent(
    conn: &mut AnyConnection,
    entry: &KubeVersionEntry,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO kube_versions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (name) DO NOTHING"
    ))
    .bind(&entry.name)
    .bind(&entry.label)
    .bind(millis(entry.released_at))
    .bind(entry.deprecated_at.map(millis))
    .bind(entry.end_of_life_at.map(millis))
    .bind(json(&entry.available_cnis))
    .bind(json(&entry.available_runtimes))
    .bind(json(&entry.feature_gates))
    .bind(json(&entry.admission_plugins))
    .bind(json(&entry.kubelet_args))
    .bind(json(&entry.removed_apis))
    .bind(json(&entry.changelog))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<KubeVersionEntry>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM kube_versions"))
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<KubeVersionEntry>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM kube_versions WHERE name = $1"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}
