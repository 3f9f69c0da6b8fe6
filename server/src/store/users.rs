//! People who sign in to the console, their memberships, sessions and failed sign-ins.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::rows::{get_bool, millis};

pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub is_operator: bool,
}

/// A project a user belongs to: (project id, project name, organization id, role).
pub type MembershipRow = (String, String, String, String);

pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await
}

pub async fn insert(
    conn: &mut AnyConnection,
    user: &UserRow,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, is_operator, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(user.is_operator)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

fn user_from(row: &sqlx::any::AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        is_operator: get_bool(row, "is_operator")?,
    })
}

pub async fn by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query("SELECT id, email, password_hash, is_operator FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(user_from)
        .transpose()
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query("SELECT id, email, password_hash, is_operator FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(user_from)
        .transpose()
}

/// A new password; every session of the user ends with it.
pub async fn set_password(
    conn: &mut AnyConnection,
    user_id: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
        .bind(user_id)
        .bind(password_hash)
        .bind(millis(now))
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds the user to the project with a role, or changes the role.
pub async fn set_membership(
    conn: &mut AnyConnection,
    user_id: &str,
    project_id: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO memberships (user_id, project_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role",
    )
    .bind(user_id)
    .bind(project_id)
    .bind(role)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn memberships(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.name, p.organization_id, m.role FROM memberships m \
         JOIN projects p ON p.id = m.project_id WHERE m.user_id = $1 ORDER BY p.name",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(millis(now))
    .bind(millis(expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The user of a live session.
pub async fn session_user(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(millis(now))
        .fetch_optional(conn)
        .await
}

pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn record_failure(
    conn: &mut AnyConnection,
    id: &str,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO login_failures (id, email, address, failed_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(email)
    .bind(address)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Failed sign-ins since `since` for this account, and from this address.
pub async fn failures_since(
    conn: &mut AnyConnection,
    email: &str,
    address: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let by_email: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE email = $1 AND failed_at > $2",
    )
    .bind(email)
    .bind(millis(since))
    .fetch_one(&mut *conn)
    .await?;
    let by_address: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE address = $1 AND failed_at > $2",
    )
    .bind(address)
    .bind(millis(since))
    .fetch_one(conn)
    .await?;
    Ok((by_email, by_address))
}
