//! Certificate authorities kept in the database (PEM text), one row per purpose.

use sqlx::{AnyConnection, Row};

pub struct StoredAuthority {
    pub cert_pem: String,
    pub key_pem: String,
}

pub async fn get(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<StoredAuthority>, sqlx::Error> {
    let row = sqlx::query("SELECT cert_pem, key_pem FROM certificate_authorities WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(StoredAuthority {
            cert_pem: row.try_get("cert_pem")?,
            key_pem: row.try_get("key_pem")?,
        })
    })
    .transpose()
}

/// Inserts unless a row of that name exists; two processes starting at once keep the first.
pub async fn insert_if_absent(
    conn: &mut AnyConnection,
    name: &str,
    authority: &StoredAuthority,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO certificate_authorities (name, cert_pem, key_pem, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(&authority.cert_pem)
    .bind(&authority.key_pem)
    .bind(created_at)
    .execute(conn)
    .await?;
    Ok(())
}
