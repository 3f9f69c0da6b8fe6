//! Identity and tenancy: projects, API keys (a public access key and a secret shown once; only
//! the hash is stored), and the people who sign in to the console: argon2id passwords, sessions
//! kept in the database (so replicas share them), memberships with roles, sign-in rate limits.

use crate::clock::Clock;
pub use crate::domain::ids::secret_hash;
use crate::domain::ids::IdGenerator;

use crate::store::{projects, users, Database, StoreError};

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
    /// A form's field refused: which one, and why (a message for people).
    #[error("{message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// The project (or organization) is not one of the person's: to them it does not exist.
    #[error("no such project")]
    NotFound,
    /// The person belongs to the project but only its owners may do this.
    #[error("only the project's owners may do this")]
    OwnersOnly,
    /// The change would leave the project without an owner.
    #[error("a project keeps at least one owner")]
    LastOwner,
    /// The person named is not a member of the project (any more).
    #[error("not a member of this project")]
    NotAMember,
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
    /// The member: who acts when they change something in this project.
    pub user_id: String,
    pub email: String,
    pub project_id: String,
    pub project_name: String,
    pub organization_id: String,
    pub role: Role,
}

impl ProjectAccess {
    /// The caller the domain sees when this member acts in the console (no API key: a session).
    pub fn caller(&self) -> crate::domain::model::Caller {
        crate::domain::model::Caller::new(
            &self.project_id,
            &self.organization_id,
            crate::domain::change::Actor::Person {
                user_id: self.user_id.clone(),
                email: self.email.clone(),
            },
            crate::domain::change::Source::of(crate::domain::change::Interface::Console),
        )
    }
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
                user_id: user.id.clone(),
                email: user.email.clone(),
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

// ---- members and projects, managed by owners from the console ------------------------------

/// Project names: 1 to 64 characters, letters, digits, spaces, `-` and `_`.
pub const MAX_PROJECT_NAME_LENGTH: usize = 64;

/// A member of a project, as the console lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub role: Role,
}

/// Who was added to a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddedMember {
    /// The email already had an account: the person was added to the project.
    Existing { email: String },
    /// An account was made with a generated password, to be passed on by the owner (there is no
    /// mail server) and shown once.
    Created {
        email: String,
        password: String,
        project_name: String,
    },
}

pub async fn members(database: &Database, project_id: &str) -> Result<Vec<Member>, IdentityError> {
    let mut conn = database.pool().acquire().await?;
    Ok(users::members_of(&mut conn, project_id)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(Member {
                role: Role::parse(&row.role)?,
                user_id: row.user_id,
                email: row.email,
            })
        })
        .collect())
}

fn role_field(role: &str) -> Result<Role, IdentityError> {
    Role::parse(role.trim()).ok_or_else(|| IdentityError::Field {
        field: "role",
        message: "a role is owner, editor or viewer".into(),
    })
}

/// Whether `actor` may manage the project's members, from their role read in `conn` (inside
/// the transaction holding the project's lock, for changes).
async fn require_owner(
    conn: &mut sqlx::AnyConnection,
    actor: &str,
    project_id: &str,
) -> Result<(), IdentityError> {
    match users::role_in(conn, actor, project_id).await?.as_deref() {
        None => Err(IdentityError::NotFound),
        Some("owner") => Ok(()),
        Some(_) => Err(IdentityError::OwnersOnly),
    }
}

/// An owner (`actor`) adds a person by email with a role. Someone without an account gets one
/// with a generated password, returned once. Refused: a stranger to the project (not found),
/// a non-owner, a bad email or role, someone already a member.
pub async fn add_member(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    actor: &str,
    project_id: &str,
    email: &str,
    role: &str,
) -> Result<AddedMember, IdentityError> {
    // Who asks comes before what they typed: a stranger learns nothing from a refused field.
    {
        let mut conn = database.pool().acquire().await?;
        require_owner(&mut conn, actor, project_id).await?;
    }
    let email = normal_email(email).map_err(|_| IdentityError::Field {
        field: "email",
        message: format!("`{}` is not an email address", email.trim()),
    })?;
    let role = role_field(role)?;
    // Hashing is slow: done before the write transaction, and only when no account exists yet.
    let exists = {
        let mut conn = database.pool().acquire().await?;
        users::by_email(&mut conn, &email).await?.is_some()
    };
    let mut prepared = if exists {
        None
    } else {
        let password = generate_password(ids);
        let hash = hash_password(&password)?;
        Some((password, hash))
    };
    let now = clock.now();
    let mut transaction = database.begin().await?;
    if !projects::lock(&mut transaction, project_id).await? {
        return Err(IdentityError::NotFound);
    }
    require_owner(&mut transaction, actor, project_id).await?;
    let (project_name, _) = projects::project_by_id(&mut transaction, project_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    // The password to show, when this makes the account.
    let mut made_password = None;
    let user_id = match users::by_email(&mut transaction, &email).await? {
        Some(existing) => existing.id,
        None => {
            let (password, password_hash) = match prepared.take() {
                Some(prepared) => prepared,
                None => {
                    let password = generate_password(ids);
                    let hash = hash_password(&password)?;
                    (password, hash)
                }
            };
            let user = users::UserRow {
                id: ids.uuid(),
                email: email.clone(),
                password_hash,
                is_operator: false,
            };
            if users::insert_if_absent(&mut transaction, &user, now).await? {
                made_password = Some(password);
                user.id
            } else {
                // Made meanwhile by a concurrent request: that account stands, no password to show.
                users::by_email(&mut transaction, &email)
                    .await?
                    .ok_or_else(|| IdentityError::Invalid(format!("{email} cannot be read")))?
                    .id
            }
        }
    };
    if !users::add_membership(&mut transaction, &user_id, project_id, role.as_str(), now).await? {
        return Err(IdentityError::Field {
            field: "email",
            message: format!(
                "{email} is already a member of this project: change their role in the list instead"
            ),
        });
    }
    transaction.commit().await?;
    Ok(match made_password {
        Some(password) => AddedMember::Created {
            email,
            password,
            project_name,
        },
        None => AddedMember::Existing { email },
    })
}

/// An owner (`actor`) changes a member's role. Demoting the last owner is refused and changes
/// nothing.
pub async fn change_member_role(
    database: &Database,
    actor: &str,
    project_id: &str,
    member: &str,
    role: &str,
) -> Result<(), IdentityError> {
    {
        let mut conn = database.pool().acquire().await?;
        require_owner(&mut conn, actor, project_id).await?;
    }
    let role = role_field(role)?;
    let mut transaction = database.begin().await?;
    if !projects::lock(&mut transaction, project_id).await? {
        return Err(IdentityError::NotFound);
    }
    require_owner(&mut transaction, actor, project_id).await?;
    if !users::change_role(&mut transaction, member, project_id, role.as_str()).await? {
        return Err(why_unchanged(&mut transaction, member, project_id).await?);
    }
    transaction.commit().await?;
    Ok(())
}

/// An owner (`actor`) removes a member (themselves too, when another owner remains). Removing
/// the last owner is refused and changes nothing.
pub async fn remove_member(
    database: &Database,
    actor: &str,
    project_id: &str,
    member: &str,
) -> Result<(), IdentityError> {
    let mut transaction = database.begin().await?;
    if !projects::lock(&mut transaction, project_id).await? {
        return Err(IdentityError::NotFound);
    }
    require_owner(&mut transaction, actor, project_id).await?;
    if !users::remove_membership(&mut transaction, member, project_id).await? {
        return Err(why_unchanged(&mut transaction, member, project_id).await?);
    }
    transaction.commit().await?;
    Ok(())
}

/// Why a conditional change to a membership changed nothing (read under the project's lock, so
/// the answer is the one the condition saw).
async fn why_unchanged(
    conn: &mut sqlx::AnyConnection,
    member: &str,
    project_id: &str,
) -> Result<IdentityError, IdentityError> {
    Ok(match users::role_in(conn, member, project_id).await? {
        None => IdentityError::NotAMember,
        Some(_) => IdentityError::LastOwner,
    })
}

/// A project name as typed, or why it is refused.
pub fn project_name(typed: &str) -> Result<String, IdentityError> {
    let name = typed.trim();
    let refused = |message: String| IdentityError::Field {
        field: "name",
        message,
    };
    let length = name.chars().count();
    if length == 0 || length > MAX_PROJECT_NAME_LENGTH {
        return Err(refused(format!(
            "a project name has 1 to {MAX_PROJECT_NAME_LENGTH} characters"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_')))
    {
        return Err(refused(format!(
            "a project name has letters, digits, spaces, `-` and `_` only, not `{bad}`"
        )));
    }
    Ok(name.to_string())
}

/// An owner of any project of the organization (`actor`) makes another project there and
/// becomes its owner; returns its id. Someone with no project in the organization gets "not
/// found"; a member who owns none of its projects is refused.
pub async fn create_project(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    actor: &str,
    organization_id: &str,
    name: &str,
) -> Result<String, IdentityError> {
    let roles = {
        let mut conn = database.pool().acquire().await?;
        users::roles_in_organization(&mut conn, actor, organization_id).await?
    };
    if roles.is_empty() {
        return Err(IdentityError::NotFound);
    }
    if !roles.iter().any(|role| role == Role::Owner.as_str()) {
        return Err(IdentityError::OwnersOnly);
    }
    let name = project_name(name)?;
    let now = clock.now();
    let project_id = ids.uuid();
    let mut transaction = database.begin().await?;
    // Holding the projects they own keeps them an owner until this commits.
    if projects::lock_owned_in_organization(&mut transaction, actor, organization_id).await? == 0 {
        return Err(IdentityError::OwnersOnly);
    }
    if !projects::insert_if_name_free(&mut transaction, &project_id, organization_id, &name, now)
        .await?
    {
        return Err(IdentityError::Field {
            field: "name",
            message: format!("a project named `{name}` already exists: choose another name"),
        });
    }
    users::add_membership(
        &mut transaction,
        actor,
        &project_id,
        Role::Owner.as_str(),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(project_id)
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
    fn project_names_are_checked() {
        assert_eq!(
            project_name("  team web_2-b ").ok(),
            Some("team web_2-b".into())
        );
        assert_eq!(project_name("équipe").ok(), Some("équipe".into()));
        assert!(project_name("").is_err());
        assert!(project_name("   ").is_err());
        assert!(project_name(&"a".repeat(64)).is_ok());
        assert!(project_name(&"a".repeat(65)).is_err());
        assert!(matches!(
            project_name("team/prod"),
            Err(IdentityError::Field { field: "name", .. })
        ));
        assert!(project_name("<script>").is_err());
    }

    #[test]
    fn roles_are_owner_editor_or_viewer() {
        assert_eq!(role_field(" editor ").ok(), Some(Role::Editor));
        assert!(matches!(
            role_field("admin"),
            Err(IdentityError::Field { field: "role", .. })
        ));
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
