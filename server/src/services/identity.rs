//! Identity and tenancy: projects, API keys (a public access key and a secret shown once; only
//! the hash is stored), and the people who sign in to the console: argon2id passwords, sessions
//! kept in the database (so replicas share them), memberships with roles, sign-in rate limits.
//! Every change made here (and every refusal) takes the one path: each mutating function takes
//! a [`ChangePath`] and reports one [`Change`] per change it makes, never a secret.

use serde_json::{json, Value};

use crate::clock::Clock;
use crate::domain::change::{Actor, Change, ChangeContext, Outcome, Target};
pub use crate::domain::ids::secret_hash;
use crate::domain::ids::IdGenerator;
use crate::services::audit::AuditError;
use crate::services::changes::Changes;

use crate::store::{projects, users, Database, StoreError};

/// The organization named by changes that belong to no customer's organization: people's
/// accounts (a person may belong to several organizations, their password is theirs), the
/// operators' commands on the provider's own objects, and refusals made before any
/// organization was concerned (a project that does not exist).
pub const PROVIDER_ORGANIZATION: &str = "provider";

/// The one path for this module's changes: where they are reported, and who makes them from
/// where. Every function here that changes something takes one and reports each change through
/// it, refusals included; never a secret (a key's secret, a password, a hash).
#[derive(Clone, Copy)]
pub struct ChangePath<'a> {
    pub changes: &'a Changes,
    pub context: &'a ChangeContext,
}

impl<'a> ChangePath<'a> {
    pub fn new(changes: &'a Changes, context: &'a ChangeContext) -> ChangePath<'a> {
        ChangePath { changes, context }
    }

    async fn record(
        self,
        action: &'static str,
        target: Target,
        before: Option<Value>,
        after: Option<Value>,
        outcome: Outcome,
    ) {
        self.changes
            .record(Change {
                actor: self.context.actor.clone(),
                source: self.context.source.clone(),
                action,
                target,
                before,
                after,
                outcome,
            })
            .await;
    }

    /// A change done by who acts.
    fn done(
        self,
        action: &'static str,
        target: Target,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Change {
        Change {
            actor: self.context.actor.clone(),
            source: self.context.source.clone(),
            action,
            target,
            before,
            after,
            outcome: Outcome::Done,
        }
    }

    /// Commits `transaction` with `made` appended to the audit log inside it: the changes and
    /// their entries commit together, and an entry that cannot be written fails the call
    /// with nothing changed. Observers see the changes once committed ([`ChangePath::show`]).
    async fn commit<E>(
        self,
        mut transaction: sqlx::Transaction<'static, sqlx::Any>,
        made: &[Change],
    ) -> Result<(), E>
    where
        E: From<sqlx::Error> + From<AuditError>,
    {
        for change in made {
            self.changes.append_in(&mut transaction, change).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Shows committed changes to the observers.
    fn show(self, made: &[Change]) {
        for change in made {
            self.changes.show(change);
        }
    }

    /// Hands back the result of a change whose entry committed with it (shown to the observers
    /// now), or reports its refusal.
    async fn settled<T, E: std::fmt::Display + Sync>(
        self,
        action: &'static str,
        target: Target,
        before: Option<Value>,
        result: Result<(T, Change), E>,
    ) -> Result<T, E> {
        match result {
            Ok((value, change)) => {
                self.show(std::slice::from_ref(&change));
                Ok(value)
            }
            Err(error) => {
                self.refused(action, target, before, &error).await;
                Err(error)
            }
        }
    }

    /// Reports a refusal: nothing changed.
    async fn refused(
        self,
        action: &'static str,
        target: Target,
        before: Option<Value>,
        error: &(dyn std::fmt::Display + Sync),
    ) {
        let reason = error.to_string();
        self.record(action, target, before, None, Outcome::Refused { reason })
            .await;
    }

    /// The project a call made on the way (a key or a person for a project named before it
    /// existed), if it made one.
    fn project_made(self, project: &EnsuredProject, name: &str) -> Option<Change> {
        project.made.then(|| {
            self.done(
                "project.create",
                Target {
                    organization_id: project.organization_id.clone(),
                    project_id: Some(project.project_id.clone()),
                    kind: "project",
                    id: project.project_id.clone(),
                    cluster_id: None,
                },
                None,
                Some(json!({ "name": name })),
            )
        })
    }
}

/// What a change to one of Wheelhouse's own objects acts on; the provider's organization
/// until the object's is known.
fn target(kind: &'static str, project_id: Option<&str>, id: &str) -> Target {
    Target {
        organization_id: PROVIDER_ORGANIZATION.to_string(),
        project_id: project_id.map(str::to_string),
        kind,
        id: id.to_string(),
        cluster_id: None,
    }
}

pub struct CreatedApiKey {
    pub access_key: String,
    pub secret_key: String,
    pub project_id: String,
    pub organization_id: String,
}

/// A project found by name, or made with that name just now.
struct EnsuredProject {
    project_id: String,
    organization_id: String,
    made: bool,
}

async fn ensure_project_in(
    conn: &mut sqlx::AnyConnection,
    ids: &dyn IdGenerator,
    now: chrono::DateTime<chrono::Utc>,
    project_name: &str,
) -> Result<EnsuredProject, StoreError> {
    let new_project_id = ids.uuid();
    let (project_id, organization_id) =
        projects::ensure_project(conn, project_name, &new_project_id, &ids.uuid(), now).await?;
    Ok(EnsuredProject {
        made: project_id == new_project_id,
        project_id,
        organization_id,
    })
}

/// The project with this name, created if it does not exist yet: (project_id, organization_id).
/// Its creation is reported; finding it is not a change.
pub async fn ensure_project(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    project_name: &str,
) -> Result<(String, String), StoreError> {
    let result: Result<(EnsuredProject, Vec<Change>), StoreError> = async {
        let mut transaction = database.begin().await?;
        let project = ensure_project_in(&mut transaction, ids, clock.now(), project_name).await?;
        let made: Vec<Change> = path
            .project_made(&project, project_name)
            .into_iter()
            .collect();
        path.commit::<StoreError>(transaction, &made).await?;
        Ok((project, made))
    }
    .await;
    match result {
        Ok((project, made)) => {
            path.show(&made);
            Ok((project.project_id, project.organization_id))
        }
        Err(error) => {
            path.refused("project.create", target("project", None, ""), None, &error)
                .await;
            Err(error)
        }
    }
}

/// A new key in the project, in the caller's transaction: (access key, secret key).
async fn insert_api_key(
    conn: &mut sqlx::AnyConnection,
    ids: &dyn IdGenerator,
    now: chrono::DateTime<chrono::Utc>,
    project_id: &str,
    description: &str,
) -> Result<(String, String), StoreError> {
    // Scaleway's shape: "SCW" + 17 upper-case alphanumerics; the secret is a UUID.
    let access_key = format!("SCW{}", ids.token(9).to_uppercase())[..20].to_string();
    let secret_key = ids.uuid();
    projects::insert_api_key(
        conn,
        projects::NewApiKey {
            access_key: &access_key,
            secret_hash: &secret_hash(&secret_key),
            project_id,
            description,
        },
        now,
    )
    .await?;
    Ok((access_key, secret_key))
}

/// What an `api_key.create` records of a key made (never its secret).
fn key_target(key: &CreatedApiKey) -> Target {
    Target {
        organization_id: key.organization_id.clone(),
        ..target("api_key", Some(&key.project_id), &key.access_key)
    }
}

/// Creates the project if needed (reported as its own change), then a key for it; the secret
/// is returned once and never recorded.
pub async fn new_api_key(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    project_name: &str,
    description: &str,
) -> Result<CreatedApiKey, StoreError> {
    let now = clock.now();
    let result: Result<(CreatedApiKey, Vec<Change>), StoreError> = async {
        let mut transaction = database.begin().await?;
        let project = ensure_project_in(&mut transaction, ids, now, project_name).await?;
        let (access_key, secret_key) =
            insert_api_key(&mut transaction, ids, now, &project.project_id, description).await?;
        let key = CreatedApiKey {
            access_key,
            secret_key,
            project_id: project.project_id.clone(),
            organization_id: project.organization_id.clone(),
        };
        let mut made: Vec<Change> = path
            .project_made(&project, project_name)
            .into_iter()
            .collect();
        made.push(path.done(
            "api_key.create",
            key_target(&key),
            None,
            Some(json!({ "description": description, "project": project_name })),
        ));
        path.commit::<StoreError>(transaction, &made).await?;
        Ok((key, made))
    }
    .await;
    match result {
        Ok((key, made)) => {
            path.show(&made);
            Ok(key)
        }
        Err(error) => {
            path.refused("api_key.create", target("api_key", None, ""), None, &error)
                .await;
            Err(error)
        }
    }
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
    /// The person is a viewer of the project: they change nothing in it.
    #[error("only the project's owners and editors may do this")]
    ReadOnly,
    /// The change would leave the project without an owner.
    #[error("a project keeps at least one owner")]
    LastOwner,
    /// The person named is not a member of the project (any more).
    #[error("not a member of this project")]
    NotAMember,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuditError> for IdentityError {
    fn from(error: AuditError) -> Self {
        IdentityError::Store(error.into())
    }
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

/// Creates a person (or adds an existing one to the project) with a role in the project; the
/// project is made if it does not exist yet (reported as its own change). Reported as
/// `user.create` when the account is new, as `member.add` when the person already had one (their
/// password is left as it was). Returns the user id and the project id.
pub async fn create_user(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    new_user: NewUser<'_>,
) -> Result<(String, String), IdentityError> {
    let NewUser {
        email,
        password,
        project_name,
        role,
        is_operator,
    } = new_user;
    let mut target = target("user", None, &email.trim().to_lowercase());
    let result: Result<(String, String, Vec<Change>), IdentityError> = async {
        let email = normal_email(email)?;
        check_password(password)?;
        let password_hash = hash_password(password)?;
        let now = clock.now();
        let mut transaction = database.begin().await?;
        let (user_id, made_account) = match users::by_email(&mut transaction, &email).await? {
            Some(existing) => (existing.id, false),
            None => {
                let user = users::UserRow {
                    id: ids.uuid(),
                    email: email.clone(),
                    password_hash,
                    is_operator,
                };
                users::insert(&mut transaction, &user, now).await?;
                (user.id, true)
            }
        };
        let project = ensure_project_in(&mut transaction, ids, now, project_name).await?;
        target.organization_id = project.organization_id.clone();
        target.project_id = Some(project.project_id.clone());
        let role_before = users::role_in(&mut transaction, &user_id, &project.project_id)
            .await?
            .as_deref()
            .and_then(Role::parse);
        users::set_membership(
            &mut transaction,
            &user_id,
            &project.project_id,
            role.as_str(),
            now,
        )
        .await?;
        let mut made: Vec<Change> = path
            .project_made(&project, project_name)
            .into_iter()
            .collect();
        made.push(if made_account {
            path.done(
                "user.create",
                target.clone(),
                None,
                Some(json!({ "role": role.as_str(), "operator": is_operator })),
            )
        } else {
            path.done(
                "member.add",
                Target {
                    kind: "member",
                    ..target.clone()
                },
                role_before.map(|before| json!({ "role": before.as_str() })),
                Some(json!({ "role": role.as_str() })),
            )
        });
        path.commit::<IdentityError>(transaction, &made).await?;
        Ok((user_id, project.project_id, made))
    }
    .await;
    match result {
        Ok((user_id, project_id, made)) => {
            path.show(&made);
            Ok((user_id, project_id))
        }
        Err(error) => {
            path.refused("user.create", target, None, &error).await;
            Err(error)
        }
    }
}

/// On a first start (nobody can sign in yet), an operator who owns the given project, with a
/// random password to print once.
pub async fn first_administrator(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
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
        path,
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

/// A new random password for the person (returned once, never recorded); their sessions end.
pub async fn reset_password(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    email: &str,
) -> Result<String, IdentityError> {
    let target = target("user", None, &email.trim().to_lowercase());
    let result: Result<(String, Change), IdentityError> = async {
        let email = normal_email(email)?;
        let password = generate_password(ids);
        let hash = hash_password(&password)?;
        let mut transaction = database.begin().await?;
        let user = users::by_email(&mut transaction, &email)
            .await?
            .ok_or_else(|| IdentityError::Invalid(format!("nobody signs in as {email}")))?;
        users::set_password(&mut transaction, &user.id, &hash, clock.now()).await?;
        let change = path.done(
            "user.reset_password",
            target.clone(),
            None,
            Some(json!({ "password": "reset" })),
        );
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok((password, change))
    }
    .await;
    path.settled("user.reset_password", target, None, result)
        .await
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

/// Changes the signed-in person's password (who acts: a person, else refused) after checking
/// the current one; other sessions end. Recorded as `{"password":"changed"}`, never a password.
pub async fn change_password(
    database: &Database,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    current: &str,
    new_password: &str,
) -> Result<(), IdentityError> {
    let email = match &path.context.actor {
        Actor::Person { email, .. } => email.as_str(),
        _ => "",
    };
    let target = target("user", None, email);
    let result: Result<((), Change), IdentityError> = async {
        let user_id = acting_person(path.context).map_err(|_| IdentityError::BadCredentials)?;
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
        let change = path.done(
            "user.change_password",
            target.clone(),
            None,
            Some(json!({ "password": "changed" })),
        );
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok(((), change))
    }
    .await;
    path.settled("user.change_password", target, None, result)
        .await
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

/// Whether who acts may change the project's keys: a person by their role in it (a stranger
/// finds nothing, a viewer changes nothing); the provider's operators and jobs may.
async fn require_changer(
    conn: &mut sqlx::AnyConnection,
    context: &ChangeContext,
    project_id: &str,
) -> Result<(), IdentityError> {
    match &context.actor {
        Actor::Person { user_id, .. } => {
            match users::role_in(conn, user_id, project_id)
                .await?
                .as_deref()
                .and_then(Role::parse)
            {
                None => Err(IdentityError::NotFound),
                Some(role) if role.can_change() => Ok(()),
                Some(_) => Err(IdentityError::ReadOnly),
            }
        }
        Actor::Operator { .. } | Actor::System { .. } => Ok(()),
        // No interface lets a key manage keys or people: to a key, they do not exist.
        Actor::ApiKey { .. } => Err(IdentityError::NotFound),
    }
}

/// The person who acts, for what only a project's members do (from the console); to anyone
/// else, the project does not exist.
fn acting_person(context: &ChangeContext) -> Result<&str, IdentityError> {
    match &context.actor {
        Actor::Person { user_id, .. } => Ok(user_id),
        _ => Err(IdentityError::NotFound),
    }
}

/// The project's organization, for a change's target; the project must exist.
async fn organization_of(
    conn: &mut sqlx::AnyConnection,
    project_id: &str,
) -> Result<String, IdentityError> {
    Ok(projects::project_by_id(conn, project_id)
        .await?
        .ok_or(IdentityError::NotFound)?
        .1)
}

/// A new key of the project (by id), made by someone who may change it; the secret is returned
/// once and never recorded.
pub async fn create_api_key_in(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    project_id: &str,
    description: &str,
) -> Result<CreatedApiKey, IdentityError> {
    let description = description.trim();
    let mut target = target("api_key", Some(project_id), "");
    let result: Result<(CreatedApiKey, Change), IdentityError> = async {
        let mut conn = database.pool().acquire().await?;
        target.organization_id = organization_of(&mut conn, project_id).await?;
        // Who asks comes before what they typed.
        require_changer(&mut conn, path.context, project_id).await?;
        drop(conn);
        if description.chars().count() > 200 {
            return Err(IdentityError::Invalid(
                "a description has at most 200 characters".into(),
            ));
        }
        let mut transaction = database.begin().await?;
        let (access_key, secret_key) =
            insert_api_key(&mut transaction, ids, clock.now(), project_id, description).await?;
        let key = CreatedApiKey {
            access_key,
            secret_key,
            project_id: project_id.to_string(),
            organization_id: target.organization_id.clone(),
        };
        let change = path.done(
            "api_key.create",
            key_target(&key),
            None,
            Some(json!({ "description": description })),
        );
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok((key, change))
    }
    .await;
    path.settled("api_key.create", target, None, result).await
}

/// Revokes a key of the project, for someone who may change it; false when the project has no
/// such key (reported as refused).
pub async fn revoke_api_key(
    database: &Database,
    path: ChangePath<'_>,
    project_id: &str,
    access_key: &str,
) -> Result<bool, IdentityError> {
    let mut target = target("api_key", Some(project_id), access_key);
    let mut before = None;
    let result: Result<Option<Change>, IdentityError> = async {
        let mut transaction = database.begin().await?;
        target.organization_id = organization_of(&mut transaction, project_id).await?;
        require_changer(&mut transaction, path.context, project_id).await?;
        before = projects::api_keys_of(&mut transaction, project_id)
            .await?
            .into_iter()
            .find(|(key, _, _)| key == access_key)
            .map(|(_, description, _)| json!({ "description": description }));
        if !projects::delete_api_key(&mut transaction, project_id, access_key).await? {
            return Ok(None);
        }
        let change = path.done("api_key.revoke", target.clone(), before.clone(), None);
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok(Some(change))
    }
    .await;
    match &result {
        Ok(Some(change)) => path.show(std::slice::from_ref(change)),
        Ok(None) => {
            path.refused(
                "api_key.revoke",
                target,
                None,
                &"the project has no such API key",
            )
            .await
        }
        Err(error) => path.refused("api_key.revoke", target, before, error).await,
    }
    result.map(|revoked| revoked.is_some())
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

/// An owner (the person who acts) adds a person by email with a role. Someone without an
/// account gets one with a generated password, returned once (never recorded). Refused: a
/// stranger to the project (not found), a non-owner, a bad email or role, someone already a
/// member.
pub async fn add_member(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    project_id: &str,
    email: &str,
    role: &str,
) -> Result<AddedMember, IdentityError> {
    let mut target = target("member", Some(project_id), &email.trim().to_lowercase());
    let result = async {
        let actor = acting_person(path.context)?;
        // Who asks comes before what they typed: a stranger learns nothing from a refused field.
        {
            let mut conn = database.pool().acquire().await?;
            target.organization_id = organization_of(&mut conn, project_id).await?;
            require_owner(&mut conn, actor, project_id).await?;
        }
        let email = normal_email(email).map_err(|_| IdentityError::Field {
            field: "email",
            message: format!("`{}` is not an email address", email.trim()),
        })?;
        let role = role_field(role)?;
        let asked = NewMember {
            project_id,
            email: &email,
            role,
            target: &target,
        };
        add_member_as_owner(database, ids, clock, path, actor, asked).await
    }
    .await;
    path.settled("member.add", target, None, result).await
}

/// A member to add, as asked and checked, and what the change acts on.
struct NewMember<'a> {
    project_id: &'a str,
    email: &'a str,
    role: Role,
    target: &'a Target,
}

/// [`add_member`] once who asks and what they typed are checked.
async fn add_member_as_owner(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    actor: &str,
    asked: NewMember<'_>,
) -> Result<(AddedMember, Change), IdentityError> {
    let NewMember {
        project_id,
        email,
        role,
        target,
    } = asked;
    // Hashing is slow: done before the write transaction, and only when no account exists yet.
    let exists = {
        let mut conn = database.pool().acquire().await?;
        users::by_email(&mut conn, email).await?.is_some()
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
    let user_id = match users::by_email(&mut transaction, email).await? {
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
                email: email.to_string(),
                password_hash,
                is_operator: false,
            };
            if users::insert_if_absent(&mut transaction, &user, now).await? {
                made_password = Some(password);
                user.id
            } else {
                // Made meanwhile by a concurrent request: that account stands, no password to show.
                users::by_email(&mut transaction, email)
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
    let account = if made_password.is_some() {
        "created"
    } else {
        "existing"
    };
    let change = path.done(
        "member.add",
        target.clone(),
        None,
        Some(json!({ "role": role.as_str(), "account": account })),
    );
    path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
        .await?;
    let email = email.to_string();
    let added = match made_password {
        Some(password) => AddedMember::Created {
            email,
            password,
            project_name,
        },
        None => AddedMember::Existing { email },
    };
    Ok((added, change))
}

/// What a change to a member acts on: the project's organization and the member's email (their
/// id as given when nobody has it, or when they cannot be read: the change itself says why).
async fn member_target(database: &Database, project_id: &str, member: &str) -> Target {
    let mut target = target("member", Some(project_id), member);
    let Ok(mut conn) = database.pool().acquire().await else {
        return target;
    };
    if let Ok(Some((_, organization_id))) = projects::project_by_id(&mut conn, project_id).await {
        target.organization_id = organization_id;
    }
    if let Ok(Some(user)) = users::by_id(&mut conn, member).await {
        target.id = user.email;
    }
    target
}

/// An owner (the person who acts) changes a member's role. Demoting the last owner is refused
/// and changes nothing.
pub async fn change_member_role(
    database: &Database,
    path: ChangePath<'_>,
    project_id: &str,
    member: &str,
    role: &str,
) -> Result<(), IdentityError> {
    let target = member_target(database, project_id, member).await;
    let mut before = None;
    let result: Result<((), Change), IdentityError> = async {
        let actor = acting_person(path.context)?;
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
        before = users::role_in(&mut transaction, member, project_id)
            .await?
            .map(|role| json!({ "role": role }));
        if !users::change_role(&mut transaction, member, project_id, role.as_str()).await? {
            return Err(why_unchanged(&mut transaction, member, project_id).await?);
        }
        let change = path.done(
            "member.change_role",
            target.clone(),
            before.clone(),
            Some(json!({ "role": role.as_str() })),
        );
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok(((), change))
    }
    .await;
    path.settled("member.change_role", target, before, result)
        .await
}

/// An owner (the person who acts) removes a member (themselves too, when another owner
/// remains). Removing the last owner is refused and changes nothing.
pub async fn remove_member(
    database: &Database,
    path: ChangePath<'_>,
    project_id: &str,
    member: &str,
) -> Result<(), IdentityError> {
    let target = member_target(database, project_id, member).await;
    let mut before = None;
    let result: Result<((), Change), IdentityError> = async {
        let actor = acting_person(path.context)?;
        let mut transaction = database.begin().await?;
        if !projects::lock(&mut transaction, project_id).await? {
            return Err(IdentityError::NotFound);
        }
        require_owner(&mut transaction, actor, project_id).await?;
        before = users::role_in(&mut transaction, member, project_id)
            .await?
            .map(|role| json!({ "role": role }));
        if !users::remove_membership(&mut transaction, member, project_id).await? {
            return Err(why_unchanged(&mut transaction, member, project_id).await?);
        }
        let change = path.done("member.remove", target.clone(), before.clone(), None);
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok(((), change))
    }
    .await;
    path.settled("member.remove", target, before, result).await
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

/// An owner of any project of the organization (the person who acts) makes another project
/// there and becomes its owner; returns its id. Someone with no project in the organization
/// gets "not found"; a member who owns none of its projects is refused.
pub async fn create_project(
    database: &Database,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    path: ChangePath<'_>,
    organization_id: &str,
    name: &str,
) -> Result<String, IdentityError> {
    let mut target = target("project", None, "");
    if !organization_id.is_empty() {
        target.organization_id = organization_id.to_string();
    }
    let result: Result<(String, Change), IdentityError> = async {
        let actor = acting_person(path.context)?;
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
        if projects::lock_owned_in_organization(&mut transaction, actor, organization_id).await?
            == 0
        {
            return Err(IdentityError::OwnersOnly);
        }
        if !projects::insert_if_name_free(
            &mut transaction,
            &project_id,
            organization_id,
            &name,
            now,
        )
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
        let change = path.done(
            "project.create",
            Target {
                project_id: Some(project_id.clone()),
                id: project_id.clone(),
                ..target.clone()
            },
            None,
            Some(json!({ "name": name })),
        );
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok((project_id, change))
    }
    .await;
    path.settled("project.create", target, None, result).await
}

/// An owner (the person who acts) lets the project's viewers read its audit entries, or not
/// (owners and editors always do).
pub async fn set_audit_for_viewers(
    database: &Database,
    path: ChangePath<'_>,
    project_id: &str,
    allowed: bool,
) -> Result<(), IdentityError> {
    let mut target = target("project", Some(project_id), project_id);
    let mut before = None;
    let result: Result<((), Change), IdentityError> = async {
        let actor = acting_person(path.context)?;
        let mut transaction = database.begin().await?;
        target.organization_id = organization_of(&mut transaction, project_id).await?;
        if !projects::lock(&mut transaction, project_id).await? {
            return Err(IdentityError::NotFound);
        }
        require_owner(&mut transaction, actor, project_id).await?;
        before = projects::audit_for_viewers(&mut transaction, project_id)
            .await?
            .map(|was| json!({ "audit_for_viewers": was }));
        projects::set_audit_for_viewers(&mut transaction, project_id, allowed).await?;
        let change = path.done(
            "project.set_audit_for_viewers",
            target.clone(),
            before.clone(),
            Some(json!({ "audit_for_viewers": allowed })),
        );
        path.commit::<IdentityError>(transaction, std::slice::from_ref(&change))
            .await?;
        Ok(((), change))
    }
    .await;
    path.settled("project.set_audit_for_viewers", target, before, result)
        .await
}

/// Whether the project's viewers read its audit entries (for its settings card).
pub async fn audit_for_viewers(
    database: &Database,
    project_id: &str,
) -> Result<bool, IdentityError> {
    let mut conn = database.pool().acquire().await?;
    Ok(projects::audit_for_viewers(&mut conn, project_id)
        .await?
        .unwrap_or(true))
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
