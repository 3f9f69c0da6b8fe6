//! API keys: a public access key and a secret shown once; only the secret's hash is stored.

use crate::clock::Clock;
use crate::domain::ids::IdGenerator;
use sha2::{Digest, Sha256};

use crate::store::{projects, Database, StoreError};

/// Hex SHA-256 of a secret (API key secrets, node secrets), as stored.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub struct CreatedApiKey {
    pub access_key: String,
    pub secret_key: String,
    pub project_id: String,
    pub organization_id: String,
}

/// Creates the project if needed, then a key for it.
/// The project with this name, created if it does not exist yet: (project_id, organization_id).
pub async fn ensure_project(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    project_name: &str,
) -> Result<(String, String), StoreError> {
    let mut transaction = database.begin().await?;
    let ids_of = projects::ensure_project(
        &mut transaction,
        project_name,
        &ids.uuid(),
        &ids.uuid(),
        clock.now(),
    )
    .await?;
    transaction.commit().await?;
    Ok(ids_of)
}

pub async fn new_api_key(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    project_name: &str,
    description: &str,
) -> Result<CreatedApiKey, StoreError> {
    let now = clock.now();
    let mut transaction = database.begin().await?;
    let (project_id, organization_id) = projects::ensure_project(
        &mut transaction,
        project_name,
        &ids.uuid(),
        &ids.uuid(),
        now,
    )
    .await?;
    // Scaleway's shape: "SCW" + 17 upper-case alphanumerics; the secret is a UUID.
    let access_key = format!("SCW{}", ids.token(9).to_uppercase())[..20].to_string();
    let secret_key = ids.uuid();
    projects::insert_api_key(
        &mut transaction,
        projects::NewApiKey {
            access_key: &access_key,
            secret_hash: &secret_hash(&secret_key),
            project_id: &project_id,
            description,
        },
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(CreatedApiKey {
        access_key,
        secret_key,
        project_id,
        organization_id,
    })
}
