//! Projects and their API keys.

use sqlx::{AnyConnection, Row};

use super::rows::millis;
use crate::domain::change::{Actor, Source};
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
        Ok(Caller::new(
            row.try_get::<String, _>("project_id")?,
            row.try_get::<String, _>("organization_id")?,
            Actor::ApiKey {
                access_key: row.try_get("access_key")?,
            },
            // The interface that authenticated the key says where the call came from.
            Source::default(),
        ))
    })
    .transpose()
}

/// A project's API keys: (access key, description, created at in milliseconds).
pub async fn api_keys_of(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT access_key, description, created_at FROM api_keys WHERE project_id = $1 \
         ORDER BY created_at, access_key",
    )
    .bind(project_id)
    .fetch_all(conn)
    .await
}

/// Deletes a key of the project; false when the project has no such key.
pub async fn delete_api_key(
    conn: &mut AnyConnection,
    project_id: &str,
    access_key: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM api_keys WHERE project_id = $1 AND access_key = $2")
        .bind(project_id)
        .bind(access_key)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A project's name and organization, by id.
pub async fn project_by_id(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT name, organization_id FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(conn)
        .await
}

pub async fn insert_shown_once(
    conn: &mut AnyConnection,
    id: &str,
    session_hash: &str,
    content: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO shown_once (id, session_hash, content, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(session_hash)
    .bind(content)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads what was kept for this session, if it has not expired, leaving it (for what may be
/// shown again until it expires, such as a form's typed text).
pub async fn read_kept(
    conn: &mut AnyConnection,
    id: &str,
    session_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT content FROM shown_once WHERE id = $1 AND session_hash = $2 AND expires_at > $3",
    )
    .bind(id)
    .bind(session_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Takes (reads and deletes) what was kept for this session, if it has not expired.
pub async fn take_shown_once(
    conn: &mut AnyConnection,
    id: &str,
    session_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let content: Option<String> = sqlx::query_scalar(
        "SELECT content FROM shown_once WHERE id = $1 AND session_hash = $2 AND expires_at > $3",
    )
    .bind(id)
    .bind(session_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM shown_once WHERE id = $1 OR expires_at <= $2")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(content)
}

/// Takes the project's row lock until the transaction ends (a no-op update: `FOR UPDATE` in
/// PostgreSQL terms, and a write on SQLite, whose IMMEDIATE transactions serialise anyway), so
/// changes to the project's members happen one at a time. False when there is no such project.
pub async fn lock(conn: &mut AnyConnection, project_id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE projects SET created_at = created_at WHERE id = $1")
        .bind(project_id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Locks (as [`lock`] does) the organization's projects the user owns; the number locked, so
/// 0 means they own none there. Holding them keeps the user an owner until the transaction ends.
pub async fn lock_owned_in_organization(
    conn: &mut AnyConnection,
    user_id: &str,
    organization_id: &str,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE projects SET created_at = created_at WHERE organization_id = $2 AND id IN \
         (SELECT project_id FROM memberships WHERE user_id = $1 AND role = 'owner')",
    )
    .bind(user_id)
    .bind(organization_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// Inserts a project in an organization unless the name is taken; false when it was.
pub async fn insert_if_name_free(
    conn: &mut AnyConnection,
    id: &str,
    organization_id: &str,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO projects (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(id)
    .bind(organization_id)
    .bind(name)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Whether the project's viewers read its audit entries.
pub async fn audit_for_viewers(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Option<bool>, sqlx::Error> {
    let row = sqlx::query("SELECT audit_for_viewers FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| super::rows::get_bool(&row, "audit_for_viewers"))
        .transpose()
}

pub async fn set_audit_for_viewers(
    conn: &mut AnyConnection,
    project_id: &str,
    allowed: bool,
) -> Result<bool, sqlx::Error> {
    // A flag: BOOLEAN in PostgreSQL, INTEGER in SQLite; a comparison reads as either.
    let sql = if allowed {
        "UPDATE projects SET audit_for_viewers = (1 = 1) WHERE id = $1"
    } else {
        "UPDATE projects SET audit_for_viewers = (1 = 0) WHERE id = $1"
    };
    let changed = sqlx::query(sql).bind(project_id).execute(conn).await?;
    Ok(changed.rows_affected() == 1)
}
