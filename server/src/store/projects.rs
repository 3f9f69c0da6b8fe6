//! Projects and their API keys.

use sqlx::{AnyConnection, Row};

use super::rows::millis;
use crate::domain::model::Caller;

pub struct NewApiKey<'a> {
    pub access_key: &'a str,
    pub secret_hash: &'a str,
    pub project_id: &'a str,
    pub description: &'a str,
}

/// The project with this name, created with the given ids if it does not exist yet.
/// Returns (project_id, organization_id).
pub async fn ensure_project(
    conn: &mut AnyConnection,
    name: &str,
    new_project_id: &str,
    new_organization_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, String), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projects (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(new_project_id)
    .bind(new_organization_id)
    .bind(name)
    .bind(millis(now))
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT id, organization_id FROM projects WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("id")?, row.try_get("organization_id")?))
}

pub async fn insert_api_key(
    conn: &mut AnyConnection,
    key: NewApiKey<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO api_keys (access_key, secret_hash, project_id, description, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key.access_key)
    .bind(key.secret_hash)
    .bind(key.project_id)
    .bind(key.description)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The caller owning the secret with this hash, if any.
pub async fn caller_by_secret_hash(
    conn: &mut AnyConnection,
    secret_hash: &str,
) -> Result<Option<Caller>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT k.access_key, p.id AS project_id, p.organization_id \
         FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.secret_hash = $1",
    )
    .bind(secret_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Caller {
            access_key: row.try_get("access_key")?,
            project_id: row.try_get("project_id")?,
            organization_id: row.try_get("organization_id")?,
        })
    })
    .transpose()
}
