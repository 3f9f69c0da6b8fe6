//! Identity and tenancy: projects, API keys (a public access key and a secret shown once; only
//! the hash is stored), and the people who sign in to the console: argon2id passwords, sessions
//! kept in the database (so replicas share them), memberships with roles, sign-in rate limits.

use crate::clock::Clock;
use crate::domain::ids::IdGenerator;
use sha2::{Digest, Sha256};

use crate::store::{projects, users, Database, StoreError};

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

// ---- people who sign in to the console -------------------------------------------------------

/// Failed sign-ins allowed per account, and per address, within [`THROTTLE_WINDOW_MINUTES`].
pub const MAX_FAILURES: i64 = 10;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;
/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Owner,
    Editor,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "owner" => Some(Role::Owner),
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Viewers read; owners and editors change things.
    pub fn can_change(self) -> bool {
        matches!(self, Role::Owner | Role::Editor)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the email or the password is not right")]
    BadCredentials,
    #[error("too many failed sign-ins: try again in {0} minutes")]
    Throttled(i64),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IdentityError {
    fn from(error: sqlx::Error) -> Self {
        IdentityError::Store(StoreError::Sql(error))
    }
}

/// A project a signed-in person belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectAccess {
    pub project_id: String,
    pub project_name: String,
    pub organization_id: String,
    pub role: Role,
}

/// The person behind a console session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: String,
    pub email: String,
    pub is_operator: bool,
    pub projects: Vec<ProjectAccess>,
}

fn hash_password(password: &str) -> Result<String, IdentityError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| IdentityError::Invalid(format!("the password cannot be hashed: {error}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A password to hand out once: 24 characters from an unambiguous alphabet.
pub fn generate_password(ids: &dyn IdGenerator) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    ids.token(24)
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let value =
                u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("0"), 16).unwrap_or(0);
            ALPHABET[value as usize % ALPHABET.len()] as char
        })
        .collect()
}

fn normal_email(email: &str) -> Result<String, IdentityError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(IdentityError::Invalid(format!(
            "`{email}` is not an email address"
        )))
    }
}

fn check_password(password: &str) -> Result<(), IdentityError> {
    if password.chars().count() < MIN_PASSWORD_LENGTH || password.len() > 1024 {
        return Err(IdentityError::Invalid(format!(
            "a password has {MIN_PASSWORD_LENGTH} to 1024 characters"
        )));
    }
    Ok(())
}

/// Who to create, and where.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub project_name: &'a str,
    pub role: Role,
    pub is_operator: bool,
}

/// Creates a person (or adds an existing one to the project) with a role in the project.
/// Returns the user id and the project id.
pub async fn create_user(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    new_user: NewUser<'_>,
) -> Result<(String, String), IdentityError> {
    let NewUser {
        email,
        password,
        project_name,
        role,
        is_operator,
    } = new_user;
    let email = normal_email(email)?;
    check_password(password)?;
    let password_hash = hash_password(password)?;
    let now = clock.now();
    let mut transaction = database.begin().await?;
    let user_id = match users::by_email(&mut transaction, &email).await? {
        Some(existing) => existing.id,
        None => {
            let user = users::UserRow {
                id: ids.uuid(),
                email: email.clone(),
                password_hash,
                is_operator,
            };
            users::insert(&mut transaction, &user, now).await?;
            user.id
        }
    };
    let (project_id, _) = projects::ensure_project(
        &mut transaction,
        project_name,
        &ids.uuid(),
        &ids.uuid(),
        now,
    )
    .await?;
    users::set_membership(&mut transaction, &user_id, &project_id, role.as_str(), now).await?;
    transaction.commit().await?;
    Ok((user_id, project_id))
}

/// On a first start (nobody can sign in yet), an operator who owns the given project, with a
/// random password to print once.
pub async fn first_administrator(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    project_name: &str,
) -> Result<Option<(String, String)>, IdentityError> {
    {
        let mut conn = database.pool().acquire().await?;
        if users::count(&mut conn).await? > 0 {
            return Ok(None);
        }
    }
    let email = "admin@wheelhouse.local".to_string();
    let password = generate_password(ids);
    create_user(
        database,
        ids,
        clock,
        NewUser {
            email: &email,
            password: &password,
            project_name,
            role: Role::Owner,
            is_operator: true,
        },
    )
    .await?;
    Ok(Some((email, password)))
}

/// A new random password for the person; their sessions end.
pub async fn reset_password(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    email: &str,
) -> Result<String, IdentityError> {
    let email = normal_email(email)?;
    let password = generate_password(ids);
    let hash = hash_password(&password)?;
    let mut transaction = database.begin().await?;
    let user = users::by_email(&mut transaction, &email)
        .await?
        .ok_or_else(|| IdentityError::Invalid(format!("nobody signs in as {email}")))?;
    users::set_password(&mut transaction, &user.id, &hash, clock.now()).await?;
    transaction.commit().await?;
    Ok(password)
}

/// Checks the password (refusing after too many failures for the account or the address) and
/// opens a session; returns the cookie's token (only its hash is stored).
pub async fn sign_in(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    email: &str,
    password: &str,
    address: &str,
) -> Result<String, IdentityError> {
    let email = email.trim().to_lowercase();
    let now = clock.now();
    let mut conn = database.pool().acquire().await?;
    let since = now - chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let (by_email, by_address) = users::failures_since(&mut conn, &email, address, since).await?;
    if by_email >= MAX_FAILURES || by_address >= MAX_FAILURES {
        return Err(IdentityError::Throttled(THROTTLE_WINDOW_MINUTES));
    }
    let user = users::by_email(&mut conn, &email).await?;
    // Without such a user, a hash is still checked, so timing does not tell who exists.
    const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$G9Ln0CqKTkOsKtB5Ip7h7wf3Y2S6vYx9pJ1y3yHqQ6s";
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH, |user| user.password_hash.as_str());
    let verified = verify_password(password, hash);
    let Some(user) = user.filter(|_| verified) else {
        users::record_failure(&mut conn, &ids.uuid(), &email, address, now).await?;
        return Err(IdentityError::BadCredentials);
    };
    let token = ids.token(32);
    users::insert_session(
        &mut conn,
        &secret_hash(&token),
        &user.id,
        now,
        now + chrono::Duration::hours(SESSION_HOURS),
    )
    .await?;
    Ok(token)
}

/// The person behind a session token, if the session is live.
pub async fn session_user(
    database: &Database,
    clock: &dyn Clock,
    token: &str,
) -> Result<Option<SessionUser>, IdentityError> {
    let mut conn = database.pool().acquire().await?;
    let Some(user_id) = users::session_user(&mut conn, &secret_hash(token), clock.now()).await?
    else {
        return Ok(None);
    };
    let Some(user) = users::by_id(&mut conn, &user_id).await? else {
        return Ok(None);
    };
    let projects = users::memberships(&mut conn, &user.id)
        .await?
        .into_iter()
        .filter_map(|(project_id, project_name, organization_id, role)| {
            Some(ProjectAccess {
                project_id,
                project_name,
                organization_id,
                role: Role::parse(&role)?,
            })
        })
        .collect();
    Ok(Some(SessionUser {
        user_id: user.id,
        email: user.email,
        is_operator: user.is_operator,
        projects,
    }))
}

pub async fn sign_out(database: &Database, token: &str) -> Result<(), IdentityError> {
    let mut conn = database.pool().acquire().await?;
    users::delete_session(&mut conn, &secret_hash(token)).await?;
    Ok(())
}

/// Changes a signed-in person's password after checking the current one; other sessions end.
pub async fn change_password(
    database: &Database,
    clock: &dyn Clock,
    user_id: &str,
    current: &str,
    new_password: &str,
) -> Result<(), IdentityError> {
    check_password(new_password)?;
    let mut transaction = database.begin().await?;
    let user = users::by_id(&mut transaction, user_id)
        .await?
        .ok_or(IdentityError::BadCredentials)?;
    if !verify_password(current, &user.password_hash) {
        return Err(IdentityError::BadCredentials);
    }
    users::set_password(
        &mut transaction,
        user_id,
        &hash_password(new_password)?,
        clock.now(),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

// ---- API keys managed from the console -------------------------------------------------------

/// A key as the console lists it (never its secret).
pub struct ApiKeyListing {
    pub access_key: String,
    pub description: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub async fn api_keys(
    database: &Database,
    project_id: &str,
) -> Result<Vec<ApiKeyListing>, IdentityError> {
    let mut conn = database.pool().acquire().await?;
    Ok(projects::api_keys_of(&mut conn, project_id)
        .await?
        .into_iter()
        .map(|(access_key, description, created_at)| ApiKeyListing {
            access_key,
            description,
            created_at: crate::store::rows::time(created_at),
        })
        .collect())
}

/// A new key of the project (by id); the secret is returned once.
pub async fn create_api_key_in(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    project_id: &str,
    description: &str,
) -> Result<CreatedApiKey, IdentityError> {
    let description = description.trim();
    if description.chars().count() > 200 {
        return Err(IdentityError::Invalid(
            "a description has at most 200 characters".into(),
        ));
    }
    let mut conn = database.pool().acquire().await?;
    let (name, _) = projects::project_by_id(&mut conn, project_id)
        .await?
        .ok_or_else(|| IdentityError::Invalid("no such project".into()))?;
    drop(conn);
    Ok(new_api_key(database, ids, clock, &name, description).await?)
}

pub async fn revoke_api_key(
    database: &Database,
    project_id: &str,
    access_key: &str,
) -> Result<bool, IdentityError> {
    let mut conn = database.pool().acquire().await?;
    Ok(projects::delete_api_key(&mut conn, project_id, access_key).await?)
}

/// Keeps a secret for the session that made it, to show once; returns the id to show it by.
pub async fn keep_to_show_once(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    session_token: &str,
    content: &str,
) -> Result<String, IdentityError> {
    let id = ids.uuid();
    let mut conn = database.pool().acquire().await?;
    projects::insert_shown_once(
        &mut conn,
        &id,
        &secret_hash(session_token),
        content,
        (clock.now() + chrono::Duration::minutes(10)).timestamp_millis(),
    )
    .await?;
    Ok(id)
}

/// What was kept for this session by [`keep_to_show_once`], without taking it: a page that
/// renders twice (or is reloaded) shows the same typed text until it expires.
pub async fn read_kept(
    database: &Database,
    clock: &dyn Clock,
    session_token: &str,
    id: &str,
) -> Result<Option<String>, IdentityError> {
    let mut conn = database.pool().acquire().await?;
    Ok(projects::read_kept(
        &mut conn,
        id,
        &secret_hash(session_token),
        clock.now().timestamp_millis(),
    )
    .await?)
}

pub async fn take_shown_once(
    database: &Database,
    clock: &dyn Clock,
    session_token: &str,
    id: &str,
) -> Result<Option<String>, IdentityError> {
    let mut conn = database.pool().acquire().await?;
    Ok(projects::take_shown_once(
        &mut conn,
        id,
        &secret_hash(session_token),
        clock.now().timestamp_millis(),
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn emails_and_passwords_are_checked() {
        assert_eq!(
            normal_email(" Ada@Example.COM ").ok(),
            Some("ada@example.com".into())
        );
        assert!(normal_email("not-an-email").is_err());
        assert!(normal_email("a b@example.com").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough password").is_ok());
    }
}
