//! One-time set-up steps (the demo seed) recorded as done, so a crash midway is resumed.

use sqlx::AnyConnection;

/// Marks a one-time set-up step done; false when it already was.
pub async fn complete_setup_step(
    conn: &mut AnyConnection,
    name: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO setup_steps (name, completed_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn setup_step_done(conn: &mut AnyConnection, name: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar("SELECT name FROM setup_steps WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}
