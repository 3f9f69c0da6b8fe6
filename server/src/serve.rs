//! Starting and stopping the service: logging, database, listener, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::backend::sandbox::catalog::seed_catalog;
use crate::backend::sandbox::kube_api;
use crate::backend::sandbox::timing::Timing;
use crate::backend::scaleway_remote::ScalewayRemote;
use crate::cli::{DatabaseOptions, LogFormat, Provider, ServeOptions};
use crate::clock::{OffsetClock, SharedClock, SystemClock};
use crate::domain::change::{Change, ChangeContext, Outcome, Target};
use crate::domain::ids::RandomIds;
use crate::domain::DomainError;
use crate::http;
use crate::services::changes::Changes;
use crate::services::identity::{ChangePath, PROVIDER_ORGANIZATION};
use crate::state::AppState;
use crate::store::{Database, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] StoreError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("{0}")]
    Invalid(String),
    #[error("the server stopped unexpectedly: {0}")]
    Serve(std::io::Error),
}

/// Logs go to stderr; `WHEELHOUSE_LOG` (or `RUST_LOG`) filters them, `info` by default.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_env("WHEELHOUSE_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: keep the first.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Connects, migrates and adds the seed versions catalog: what every command needs first.
pub async fn prepare_database(url: &str) -> Result<Database, StoreError> {
    let database = Database::connect_and_migrate(url).await?;
    seed_catalog(&database).await?;
    Ok(database)
}

/// The installation's audit signing key, from its file (made there on first use).
pub fn load_audit_key(
    options: &DatabaseOptions,
) -> Result<crate::audit::checkpoint::AuditKey, StartError> {
    crate::audit::checkpoint::AuditKey::load_or_create(&options.audit_key_path())
        .map_err(|error| StartError::Invalid(error.to_string()))
}

pub async fn migrate(options: DatabaseOptions) -> Result<(), StartError> {
    let database = prepare_database(&options.database_url).await?;
    let applied = database.applied_migrations().await?;
    println!(
        "{} is up to date ({} migrations applied)",
        database.location(),
        applied.len()
    );
    database.close().await;
    Ok(())
}

pub async fn serve(options: ServeOptions) -> Result<(), StartError> {
    let database = prepare_database(&options.database.database_url).await?;
    // The sandbox's time can be moved forward (`wheelhouse admin clock advance`); a remote
    // provider's cannot, so Wheelhouse then keeps the wall clock.
    let offset_clock = OffsetClock::default();
    let clock: SharedClock = match options.provider {
        Provider::Sandbox => {
            offset_clock.set_offset(clock_offset(&database).await.unwrap_or_default());
            Arc::new(offset_clock.clone())
        }
        Provider::Scaleway => Arc::new(SystemClock),
    };
    let follow_clock = tokio::spawn({
        let database = database.clone();
        let sandbox = options.provider == Provider::Sandbox;
        async move {
            if !sandbox {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Ok(offset) = clock_offset(&database).await {
                    offset_clock.set_offset(offset);
                }
            }
        }
    });
    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|error| StartError::Listen {
            addr: options.addr,
            reason: error.to_string(),
        })?;
    let local_addr = listener.local_addr().map_err(StartError::Serve)?;
    let mut state = AppState::new(
        database.clone(),
        clock,
        Arc::new(RandomIds),
        Timing::new(options.time_scale),
        &options.site_root,
        local_addr,
    );
    if database.kind() == crate::store::DatabaseKind::Postgres {
        // Replicas on one PostgreSQL database wake each other's live views.
        tokio::spawn(
            state
                .changes
                .clone()
                .listen_postgres(options.database.database_url.clone()),
        );
    }
    state.use_audit_key(load_audit_key(&options.database)?);
    if let Some(public_url) = &options.public_url {
        state.public_url = public_url.trim_end_matches('/').to_string();
    }
    // The provider behind the port: the sandbox runs here (its reconciler and its clusters' API
    // servers beside the HTTP server); a remote one is only called.
    let sandbox = match options.provider {
        Provider::Sandbox => Some(start_sandbox(&options, &mut state).await?),
        Provider::Scaleway => {
            let (url, secret) = match (&options.provider_url, &options.provider_secret_key) {
                (Some(url), Some(secret)) if !url.is_empty() && !secret.is_empty() => (url, secret),
                _ => {
                    return Err(StartError::Invalid(
                        "--provider scaleway needs --provider-url and --provider-secret-key".into(),
                    ))
                }
            };
            let remote = ScalewayRemote::new(url, secret)
                .map_err(|error| StartError::Invalid(error.to_string()))?;
            state.use_backend(Arc::new(remote));
            println!("Provider: the Scaleway-compatible API at {url}");
            None
        }
    };
    let router = http::router(state.clone());
    // Nobody can sign in yet: an administrator, with a password shown this once.
    let home_project = if options.demo {
        crate::services::demo::DEMO_PROJECT
    } else {
        "default"
    };
    match crate::services::identity::first_administrator(
        &database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        ChangePath::new(&state.recorded, &ChangeContext::job("first-start")),
        home_project,
    )
    .await
    {
        Ok(Some((email, password))) => println!(
            "Console administrator created (shown once): email {email}, password {password}"
        ),
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "could not create the first administrator"),
    }
    if options.demo {
        match crate::services::demo::seed(&state).await {
            Ok(Some((access_key, secret_key))) => println!(
                "Demo project created with a cluster. Its API key (shown once): access key {access_key}, secret key {secret_key}\n  try: curl -H 'X-Auth-Token: {secret_key}' http://{local_addr}/k8s/v1/regions/fr-par/clusters"
            ),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not create the demo project"),
        }
    }
    // The sandbox's clusters' API servers run beside the HTTP server; the background loops
    // (its reconciler, the maintenance pass) are the jobs'.
    let with_sandbox = sandbox.is_some();
    let sandbox = sandbox.map(|sandbox| sandbox.run(&state));
    let jobs = crate::jobs::start(
        &state,
        crate::jobs::Intervals {
            reconcile: Duration::from_millis(options.reconcile_interval_ms.max(10)),
            maintenance: Duration::from_millis(options.maintenance_interval_ms.max(50)),
            checkpoint: Duration::from_secs(options.audit_checkpoint_interval_s.clamp(1, 3600)),
            alerts: Duration::from_millis(options.alerts_interval_ms.max(100)),
        },
        with_sandbox,
    );

    tracing::info!(addr = %local_addr, database = %database.location(), "wheelhouse is serving");
    // The one line a person starting the console looks for.
    println!("Wheelhouse console: http://{local_addr}/");

    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(StartError::Serve)?;
    jobs.stop().await;
    follow_clock.abort();
    if let Some(sandbox) = sandbox {
        sandbox.stop().await;
    }
    database.close().await;
    tracing::info!("wheelhouse stopped");
    Ok(())
}

/// The sandbox's TLS listener for its clusters' API servers, bound and with its certificate.
struct SandboxStart {
    kube_listener: TcpListener,
    tls: crate::backend::sandbox::kube_api::tls::KubeApiTls,
}

/// The sandbox's parts that run beside the HTTP server, and how to stop them.
struct SandboxRunning {
    stop: Vec<tokio::sync::oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SandboxStart {
    fn run(self, state: &AppState) -> SandboxRunning {
        let (stop_kube_api, kube_api_stopped) = tokio::sync::oneshot::channel::<()>();
        let kube_api = tokio::spawn(kube_api::tls::serve(
            self.kube_listener,
            self.tls.server_config.clone(),
            kube_api::router(state.provisioning.clone()),
            async {
                let _ = kube_api_stopped.await;
            },
        ));
        SandboxRunning {
            stop: vec![stop_kube_api],
            tasks: vec![kube_api],
        }
    }
}

impl SandboxRunning {
    async fn stop(self) {
        for stop in self.stop {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds the sandbox's API server listener, loads its CA, and points the sandbox (and the
/// service above the port) at it.
async fn start_sandbox(
    options: &ServeOptions,
    state: &mut AppState,
) -> Result<SandboxStart, StartError> {
    let kube_listener = TcpListener::bind(options.kube_api_addr)
        .await
        .map_err(|error| StartError::Listen {
            addr: options.kube_api_addr,
            reason: error.to_string(),
        })?;
    let kube_addr = kube_listener.local_addr().map_err(StartError::Serve)?;
    let kube_url = kube_api_url(options.kube_api_url.as_deref(), kube_addr)?;
    let tls = kube_api::tls::prepare(
        &state.database,
        &certificate_hosts(&kube_url, kube_addr),
        state.clock.now().timestamp_millis(),
    )
    .await
    .map_err(|error| StartError::Invalid(error.to_string()))?;
    state.provisioning.api_server_base = format!(
        "{}{}",
        kube_url.as_str().trim_end_matches('/'),
        kube_api::CLUSTER_PATH
    );
    state.provisioning.api_server_ca_pem = tls.ca_pem.clone();
    state.use_sandbox();
    println!("Sandbox clusters' Kubernetes API: {kube_url}");
    Ok(SandboxStart { kube_listener, tls })
}

/// Where kubectl reaches the sandbox's API servers: the configured URL, or the listener.
fn kube_api_url(configured: Option<&str>, listener: SocketAddr) -> Result<url::Url, StartError> {
    let text = configured
        .map(str::to_string)
        .unwrap_or_else(|| format!("https://{listener}"));
    match url::Url::parse(&text) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => Ok(url),
        _ => Err(StartError::Invalid(format!(
            "--kube-api-url `{text}` is not an https:// URL with a host"
        ))),
    }
}

/// The names and addresses the API servers' certificate is valid for: the URL's host, the
/// listener's address, and loopback.
fn certificate_hosts(url: &url::Url, listener: SocketAddr) -> Vec<String> {
    let mut hosts = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let mut add = |host: String| {
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    };
    if let Some(host) = url.host_str() {
        add(host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string());
    }
    if !listener.ip().is_unspecified() {
        add(listener.ip().to_string());
    }
    hosts
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        _ = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// The one path for the command line's changes: one log line each (target
/// `wheelhouse::changes`), made by the operator who runs the command.
struct CommandLineChanges {
    changes: Changes,
    context: ChangeContext,
}

impl CommandLineChanges {
    /// Opens the command's database; its changes go to the audit log, signed by the
    /// installation's key (an operator's action is checkpointed at once).
    async fn open(options: &DatabaseOptions) -> Result<(CommandLineChanges, Database), StartError> {
        let database = prepare_database(&options.database_url).await?;
        let key = load_audit_key(options)?;
        let audit =
            crate::services::audit::AuditLog::new(database.clone(), Arc::new(SystemClock), key);
        let changes = CommandLineChanges {
            changes: Changes::logged().audited(audit),
            context: crate::cli::operator_context(),
        };
        Ok((changes, database))
    }

    /// For the identity service's changes.
    fn path(&self) -> ChangePath<'_> {
        ChangePath::new(&self.changes, &self.context)
    }

    /// An admin command's change (or its refusal), for changes no service makes.
    async fn record(
        &self,
        action: &'static str,
        target: Target,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
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

    /// Commits an admin command's change with its entry appended in the same transaction (an
    /// entry that cannot be written fails the command, with nothing changed); shows it to the
    /// observers once committed.
    async fn commit(
        &self,
        mut transaction: sqlx::Transaction<'static, sqlx::Any>,
        action: &'static str,
        target: Target,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), crate::store::StoreError> {
        let change = Change {
            actor: self.context.actor.clone(),
            source: self.context.source.clone(),
            action,
            target,
            before,
            after,
            outcome: Outcome::Done,
        };
        self.changes.append_in(&mut transaction, &change).await?;
        transaction.commit().await?;
        self.changes.show(&change);
        Ok(())
    }

    /// The operator as the sandbox sees them, carrying the record of `action` for the sandbox
    /// to seal in the transaction that makes the change (see [`Changes::pending`]).
    fn operator_recording(
        &self,
        action: &'static str,
        target: Target,
        after: serde_json::Value,
    ) -> (
        crate::domain::model::Caller,
        Arc<crate::services::changes::PendingChange>,
    ) {
        let operator = crate::domain::model::Caller::new(
            "",
            PROVIDER_ORGANIZATION,
            self.context.actor.clone(),
            self.context.source.clone(),
        );
        let pending = self
            .changes
            .pending_as_asked(&operator, action, target, Some(after));
        (operator.recording(pending.clone()), pending)
    }

    /// A refusal before anything was asked: the command's arguments.
    async fn refuse(&self, action: &'static str, target: Target, error: StartError) -> StartError {
        self.record(
            action,
            target,
            None,
            None,
            Outcome::Refused {
                reason: error.to_string(),
            },
        )
        .await;
        error
    }
}

/// What an operator's command on a customer's cluster (a fault, a workload, a PDB, a node)
/// acts on: in the customer's organization and project, so the provider's action is in the
/// tenant's own audit log; a cluster Wheelhouse does not know stays the provider's.
async fn tenant_target(
    database: &Database,
    kind: &'static str,
    id: &str,
    cluster_id: Option<&str>,
    node_id: Option<&str>,
) -> Target {
    let mut target = provider_target(kind, id, cluster_id);
    let Ok(mut conn) = database.pool().acquire().await else {
        return target;
    };
    let cluster = match (cluster_id, node_id) {
        (Some(cluster), _) => Some(cluster.to_string()),
        (None, Some(node)) => crate::backend::sandbox::store::nodes::get(&mut conn, node)
            .await
            .ok()
            .flatten()
            .map(|node| node.cluster_id),
        (None, None) => None,
    };
    let Some(cluster) = cluster else {
        return target;
    };
    if let Ok(Some((project_id, _))) =
        crate::store::cluster_owners::owner(&mut conn, &cluster).await
    {
        if let Ok(Some((_, organization_id))) =
            crate::store::projects::project_by_id(&mut conn, &project_id).await
        {
            target.organization_id = organization_id;
            target.project_id = Some(project_id);
        }
    }
    target.cluster_id = Some(cluster);
    target
}

/// What an admin command acts on. The sandbox's clock and its OS images are the provider's,
/// set by its operators: the provider's organization.
fn provider_target(kind: &'static str, id: &str, cluster_id: Option<&str>) -> Target {
    Target {
        organization_id: PROVIDER_ORGANIZATION.to_string(),
        project_id: None,
        kind,
        id: id.to_string(),
        cluster_id: cluster_id.map(str::to_string),
    }
}

/// `wheelhouse api-key create --project NAME`: prints access_key, secret_key and project_id.
pub async fn create_api_key(options: crate::cli::ApiKeyCreateOptions) -> Result<(), StartError> {
    let (changes, database) = CommandLineChanges::open(&options.database).await?;
    let name = options.project.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(changes
            .refuse(
                "api_key.create",
                provider_target("api_key", "", None),
                StartError::Invalid("--project must be a name of 1 to 100 characters".into()),
            )
            .await);
    }
    let ids = RandomIds;
    let key = crate::services::identity::new_api_key(
        &database,
        &ids,
        &SystemClock,
        changes.path(),
        name,
        &options.description,
    )
    .await?;
    println!(
        "{}",
        serde_json::json!({
            "access_key": key.access_key,
            "secret_key": key.secret_key,
            "project_id": key.project_id,
            "organization_id": key.organization_id,
        })
    );
    database.close().await;
    Ok(())
}

/// `wheelhouse user create`: prints the email, a generated password, the project and the role.
pub async fn create_user(options: crate::cli::UserCreateOptions) -> Result<(), StartError> {
    use crate::cli::RoleArg;
    use crate::services::identity::{self, NewUser, Role};
    let (changes, database) = CommandLineChanges::open(&options.database).await?;
    let project = options.project.trim();
    if project.is_empty() || project.len() > 100 {
        return Err(changes
            .refuse(
                "user.create",
                provider_target("user", &options.email.trim().to_lowercase(), None),
                StartError::Invalid("--project must be a name of 1 to 100 characters".into()),
            )
            .await);
    }
    let role = match options.role {
        RoleArg::Owner => Role::Owner,
        RoleArg::Editor => Role::Editor,
        RoleArg::Viewer => Role::Viewer,
    };
    let password = identity::generate_password(&RandomIds);
    let (_, project_id) = identity::create_user(
        &database,
        &RandomIds,
        &SystemClock,
        changes.path(),
        NewUser {
            email: &options.email,
            password: &password,
            project_name: project,
            role,
            is_operator: options.operator,
        },
    )
    .await
    .map_err(|error| StartError::Invalid(error.to_string()))?;
    println!(
        "{}",
        serde_json::json!({ "email": options.email.trim().to_lowercase(), "password": password,
                            "project_id": project_id, "role": role.as_str() })
    );
    database.close().await;
    Ok(())
}

/// `wheelhouse user reset-password`: prints the new password once.
pub async fn reset_password(options: crate::cli::UserResetOptions) -> Result<(), StartError> {
    let (changes, database) = CommandLineChanges::open(&options.database).await?;
    let password = crate::services::identity::reset_password(
        &database,
        &RandomIds,
        &SystemClock,
        changes.path(),
        &options.email,
    )
    .await
    .map_err(|error| StartError::Invalid(error.to_string()))?;
    println!(
        "{}",
        serde_json::json!({ "email": options.email.trim().to_lowercase(), "password": password })
    );
    database.close().await;
    Ok(())
}

/// The sandbox clock's offset stored in the database.
async fn clock_offset(database: &Database) -> Result<chrono::Duration, sqlx::Error> {
    let mut conn = database.pool().acquire().await?;
    clock_offset_in(&mut conn).await
}

async fn clock_offset_in(conn: &mut sqlx::AnyConnection) -> Result<chrono::Duration, sqlx::Error> {
    let offset: Option<i64> =
        sqlx::query_scalar("SELECT offset_ms FROM sandbox_clock WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(chrono::Duration::milliseconds(offset.unwrap_or(0)))
}

/// `wheelhouse admin clock advance DURATION`: moves the sandbox's clock forward; running
/// sandbox servers on this database follow within a second.
pub async fn advance_clock(command: crate::cli::ClockCommand) -> Result<(), StartError> {
    let crate::cli::ClockCommand::Advance { duration, database } = command;
    let (changes, database) = CommandLineChanges::open(&database).await?;
    let target = provider_target("sandbox_clock", "sandbox", None);
    let Some(by) =
        crate::clock::parse_duration(&duration).filter(|by| *by > chrono::Duration::zero())
    else {
        return Err(changes
            .refuse(
                "clock.advance",
                target,
                StartError::Invalid(format!(
                "`{duration}` is not a duration to move forward by: use e.g. 2d, 36h, 1d12h, 90m"
            )),
            )
            .await);
    };
    let moved: Result<(chrono::Duration, chrono::Duration), crate::store::StoreError> = async {
        let mut transaction = database.begin().await?;
        let before = clock_offset_in(&mut transaction).await?;
        let offset = before + by;
        sqlx::query(
            "INSERT INTO sandbox_clock (id, offset_ms) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET offset_ms = excluded.offset_ms",
        )
        .bind(offset.num_milliseconds())
        .execute(&mut *transaction)
        .await?;
        changes
            .commit(
                transaction,
                "clock.advance",
                target.clone(),
                Some(serde_json::json!({ "offset_seconds": before.num_seconds() })),
                Some(serde_json::json!({ "offset_seconds": offset.num_seconds() })),
            )
            .await?;
        Ok((before, offset))
    }
    .await;
    // The pool stays open until a refusal is recorded (it writes through it).
    let (_, offset) = match moved {
        Ok(moved) => moved,
        Err(error) => {
            return Err(changes
                .refuse(
                    "clock.advance",
                    target,
                    StartError::Invalid(error.to_string()),
                )
                .await)
        }
    };
    println!(
        "The sandbox clock now reads {} ({} ahead of the wall clock).",
        (chrono::Utc::now() + offset).format("%Y-%m-%d %H:%M:%S UTC"),
        crate::console::upgrade::about(offset.num_seconds()).trim_start_matches("about ")
    );
    database.close().await;
    Ok(())
}

/// `wheelhouse admin os-image publish NAME`: the sandbox's new OS image.
pub async fn publish_os_image(command: crate::cli::OsImageCommand) -> Result<(), StartError> {
    let crate::cli::OsImageCommand::Publish {
        name,
        description,
        database,
    } = command;
    let (changes, database) = CommandLineChanges::open(&database).await?;
    let name = name.trim().to_string();
    let target = provider_target("os_image", &name, None);
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(changes.refuse(
            "os_image.publish",
            target,
            StartError::Invalid(
                "an image name is letters, digits, '-', '.' and '_', e.g. ubuntu-noble-k8s-2026-12-07"
                    .to_string(),
            ),
        ).await);
    }
    let published: Result<bool, crate::store::StoreError> = async {
        let mut transaction = database.begin().await?;
        let now = chrono::Utc::now() + clock_offset_in(&mut transaction).await.unwrap_or_default();
        if !crate::backend::sandbox::store::inventory::publish_os_image(
            &mut transaction,
            &name,
            &description,
            now,
        )
        .await?
        {
            return Ok(false);
        }
        changes
            .commit(
                transaction,
                "os_image.publish",
                target.clone(),
                None,
                Some(serde_json::json!({ "description": description })),
            )
            .await?;
        Ok(true)
    }
    .await;
    let refused = match published {
        Ok(true) => None,
        Ok(false) => Some(StartError::Invalid(format!(
            "the OS image {name} was already published"
        ))),
        Err(error) => Some(StartError::Invalid(error.to_string())),
    };
    if let Some(error) = refused {
        return Err(changes.refuse("os_image.publish", target, error).await);
    }
    database.close().await;
    println!("Published {name}: new nodes boot it; nodes on older images are outdated.");
    Ok(())
}

/// `wheelhouse admin fault …`: changes the sandbox's state; a running server plays it out.
pub async fn inject_fault(command: crate::cli::FaultCommand) -> Result<(), StartError> {
    use crate::cli::FaultCommand;
    let options = match &command {
        FaultCommand::Node { database, .. }
        | FaultCommand::Component { database, .. }
        | FaultCommand::Snapshot { database, .. } => database.clone(),
    };
    let (changes, database) = CommandLineChanges::open(&options).await?;
    let provisioning = crate::backend::sandbox::Provisioning {
        database: database.clone(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        timing: Timing::default(),
        api_server_base: String::new(),
        api_server_ca_pem: String::new(),
    };
    let outcome = match &command {
        FaultCommand::Node { node_id, fault, .. } => {
            let (operator, pending) = changes.operator_recording(
                "node.inject_fault",
                tenant_target(&database, "node", node_id, None, Some(node_id)).await,
                serde_json::json!({ "fault": fault }),
            );
            let injected = crate::backend::sandbox::reconciler::inject_fault(
                &provisioning,
                &operator,
                node_id,
                fault,
            )
            .await;
            changes.changes.settle(&pending, injected).await
        }
        FaultCommand::Component {
            cluster_id,
            component,
            health,
            ..
        } => {
            let (operator, pending) = changes.operator_recording(
                "component.set_health",
                tenant_target(&database, "component", component, Some(cluster_id), None).await,
                serde_json::json!({ "health": health }),
            );
            let set = provisioning
                .set_component_health(&operator, cluster_id, component, health)
                .await;
            changes.changes.settle(&pending, set).await
        }
        FaultCommand::Snapshot {
            cluster_id,
            snapshot_id,
            state,
            ..
        } => {
            let (operator, pending) = changes.operator_recording(
                "etcd_snapshot.set_state",
                tenant_target(
                    &database,
                    "etcd_snapshot",
                    snapshot_id,
                    Some(cluster_id),
                    None,
                )
                .await,
                serde_json::json!({ "state": state }),
            );
            let set = provisioning
                .set_snapshot_state(&operator, cluster_id, snapshot_id, state)
                .await;
            changes.changes.settle(&pending, set).await
        }
    };
    database.close().await;
    outcome.map_err(|error| StartError::Invalid(error.to_string()))?;
    println!("fault injected");
    Ok(())
}

/// `wheelhouse admin inventory …`: records what a sandbox cluster's workloads use.
pub async fn edit_inventory(command: crate::cli::InventoryCommand) -> Result<(), StartError> {
    use crate::cli::InventoryCommand;
    let (options, cluster_id, object) = match &command {
        InventoryCommand::Workload {
            database,
            cluster_id,
            object,
            ..
        }
        | InventoryCommand::Pdb {
            database,
            cluster_id,
            object,
            ..
        } => (database.clone(), cluster_id.clone(), object.clone()),
    };
    let (changes, database) = CommandLineChanges::open(&options).await?;
    let (action, kind, after) = match &command {
        InventoryCommand::Workload {
            action,
            api_version,
            kind,
            ..
        } => (
            if action == "add" {
                "workload.add"
            } else {
                "workload.remove"
            },
            "workload",
            serde_json::json!({ "api_version": api_version, "kind": kind }),
        ),
        InventoryCommand::Pdb {
            action,
            allowed,
            pool,
            ..
        } => (
            if action == "set" {
                "pdb.set"
            } else {
                "pdb.remove"
            },
            "pdb",
            serde_json::json!({ "allowed": allowed, "pool": pool }),
        ),
    };
    let target = tenant_target(&database, kind, &object, Some(&cluster_id), None).await;
    let Some((namespace, name)) = object.split_once('/') else {
        return Err(changes
            .refuse(
                action,
                target,
                StartError::Invalid(format!("`{object}` is not NAMESPACE/NAME")),
            )
            .await);
    };
    let provisioning = crate::backend::sandbox::Provisioning {
        database: database.clone(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        timing: Timing::default(),
        api_server_base: String::new(),
        api_server_ca_pem: String::new(),
    };
    let (operator, pending) = changes.operator_recording(action, target, after);
    let operator = &operator;
    let outcome = async {
        let mut conn = database.pool().acquire().await?;
        let cluster = crate::backend::sandbox::store::clusters::get(&mut conn, &cluster_id)
            .await?
            .ok_or_else(|| DomainError::not_found("k8s_cluster", cluster_id.clone()))?;
        drop(conn);
        match &command {
            InventoryCommand::Workload {
                action,
                api_version,
                kind,
                ..
            } if action == "add" => {
                provisioning
                    .record_workload(operator, &cluster, api_version, kind, namespace, name)
                    .await
            }
            InventoryCommand::Workload {
                api_version, kind, ..
            } => {
                provisioning
                    .forget_workload(operator, &cluster, api_version, kind, namespace, name)
                    .await
            }
            InventoryCommand::Pdb {
                action,
                allowed,
                pool,
                ..
            } if action == "set" => {
                provisioning
                    .record_pdb(
                        operator,
                        &cluster,
                        namespace,
                        name,
                        *allowed,
                        pool.as_deref(),
                    )
                    .await
            }
            InventoryCommand::Pdb { .. } => {
                provisioning
                    .delete_pdb(operator, &cluster, namespace, name)
                    .await
            }
        }
    }
    .await;
    let outcome = changes.changes.settle(&pending, outcome).await;
    database.close().await;
    outcome.map_err(|error| StartError::Invalid(error.to_string()))?;
    println!("inventory updated");
    Ok(())
}
