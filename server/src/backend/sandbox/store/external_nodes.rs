//! Node secrets of Kosmos external nodes (hashed), and the node each one registered.

use sqlx::{AnyConnection, Row};

pub struct Credential {
    pub pool_id: String,
    pub node_id: Option<String>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    secret_hash: &str,
    pool_id: &str,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO external_node_credentials (secret_hash, pool_id, node_id, created_at) \
         VALUES ($1, $2, NULL, $3)",
    )
    .bind(secret_hash)
    .bind(pool_id)
    .bind(created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    secret_hash: &str,
) -> Result<Option<Credential>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT pool_id, node_id FROM external_node_credentials WHERE secret_hash = $1",
    )
    .bind(secret_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Credential {
            pool_id: row.try_get("pool_id")?,
            node_id: row.try_get("node_id")?,
        })
    })
    .transpose()
}

/// Binds the secret to its node, once: false when another request bound it first.
pub async fn bind_node(
    conn: &mut AnyConnection,
    secret_hash: &str,
    node_id: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE external_node_credentials SET node_id = $2 \
         WHERE secret_hash = $1 AND node_id IS NULL",
    )
    .bind(secret_hash)
    .bind(node_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}
