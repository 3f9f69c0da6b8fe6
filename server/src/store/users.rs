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

/// A member of a project as the console lists them.
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub role: String,
}

/// The members of a project, by email.
pub async fn members_of(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.project_id = $1 ORDER BY u.email",
    )
    .bind(project_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(MemberRow {
                user_id: row.try_get("id")?,
                email: row.try_get("email")?,
                role: row.try_get("role")?,
            })
        })
        .collect()
}

/// The user's role in the project, if they are a member.
pub async fn role_in(
    conn: &mut AnyConnection,
    user_id: &str,
    project_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND project_id = $2")
        .bind(user_id)
        .bind(project_id)
        .fetch_optional(conn)
        .await
}

/// The user's roles in the projects of an organization (empty when they have none there).
pub async fn roles_in_organization(
    conn: &mut AnyConnection,
    user_id: &str,
    organization_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT m.role FROM memberships m JOIN projects p ON p.id = m.project_id \
         WHERE m.user_id = $1 AND p.organization_id = $2",
    )
    .bind(user_id)
    .bind(organization_id)
    .fetch_all(conn)
    .await
}

/// Inserts the user unless the email is taken; false when it was.
pub async fn insert_if_absent(
    conn: &mut AnyConnection,
    user: &UserRow,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO users (id, email, password_hash, is_operator, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(user.is_operator)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Adds the user to the project with a role; false (and nothing changes) when they already are
/// a member.
pub async fn add_membership(
    conn: &mut AnyConnection,
    user_id: &str,
    project_id: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO memberships (user_id, project_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, project_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(project_id)
    .bind(role)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Changes a member's role unless that would leave the project without an owner (the member
/// is an owner, the new role is not, and no other owner remains); false when nothing changed
/// (no such member, or the last owner). Conditional, so two owners demoting each other at once
/// cannot both succeed once the caller holds the project's lock ([`super::projects::lock`]).
pub async fn change_role(
    conn: &mut AnyConnection,
    user_id: &str,
    project_id: &str,
    role: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE memberships SET role = $3 WHERE user_id = $1 AND project_id = $2 \
         AND ($3 = 'owner' OR role <> 'owner' OR EXISTS (SELECT 1 FROM memberships other \
         WHERE other.project_id = $2 AND other.role = 'owner' AND other.user_id <> $1))",
    )
    .bind(user_id)
    .bind(project_id)
    .bind(role)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Removes a member unless they are the project's last owner; false when nothing changed (no
/// such member, or the last owner).
pub async fn remove_membership(
    conn: &mut AnyConnection,
    user_id: &str,
    project_id: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM memberships WHERE user_id = $1 AND project_id = $2 \
         AND (role <> 'owner' OR EXISTS (SELECT 1 FROM memberships other \
         WHERE other.project_id = $2 AND other.role = 'owner' AND other.user_id <> $1))",
    )
    .bind(user_id)
    .bind(project_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}
