//! Starting and stopping the service: logging, database, listener, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::cli::{DatabaseOptions, LogFormat, ServeOptions};
use crate::clock::{SharedClock, SystemClock};
use crate::domain::catalog::seed_catalog;
use crate::domain::ids::RandomIds;
use crate::domain::timing::Timing;
use crate::http::{self, AppState};
use crate::reconciler::Reconciler;
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

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "wheelhouse".to_string())
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
    let clock: SharedClock = Arc::new(SystemClock);
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
    if let Some(public_url) = &options.public_url {
        state.public_url = public_url.trim_end_matches('/').to_string();
    }
    let kube_listener = TcpListener::bind(options.kube_api_addr)
        .await
        .map_err(|error| StartError::Listen {
            addr: options.kube_api_addr,
            reason: error.to_string(),
        })?;
    let kube_addr = kube_listener.local_addr().map_err(StartError::Serve)?;
    let kube_url = kube_api_url(options.kube_api_url.as_deref(), kube_addr)?;
    let tls = http::kube_api::tls::prepare(
        &database,
        &certificate_hosts(&kube_url, kube_addr),
        clock_now_millis(&state),
    )
    .await
    .map_err(|error| StartError::Invalid(error.to_string()))?;
    state.provisioning.api_server_base = format!(
        "{}{}",
        kube_url.as_str().trim_end_matches('/'),
        http::kube_api::CLUSTER_PATH
    );
    state.provisioning.api_server_ca_pem = tls.ca_pem.clone();
    let router = http::router(state.clone());
    let (stop_kube_api, kube_api_stopped) = tokio::sync::oneshot::channel::<()>();
    let kube_api_task = tokio::spawn(http::kube_api::tls::serve(
        kube_listener,
        tls.server_config.clone(),
        http::kube_api::router(state.clone()),
        async {
            let _ = kube_api_stopped.await;
        },
    ));
    if options.demo {
        match crate::demo::seed(&state.provisioning).await {
            Ok(Some((access_key, secret_key))) => println!(
                "Demo project created with a cluster. Its API key (shown once): access key {access_key}, secret key {secret_key}\n  try: curl -H 'X-Auth-Token: {secret_key}' http://{local_addr}/k8s/v1/regions/fr-par/clusters"
            ),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not create the demo project"),
        }
    }

    // The reconciler runs beside the HTTP server and stops with it.
    let (stop_reconciler, reconciler_stopped) = tokio::sync::oneshot::channel::<()>();
    let owner = format!("{}-{}", hostname(), std::process::id());
    let reconciler = Reconciler::new(state.provisioning.clone(), owner);
    let interval = Duration::from_millis(options.reconcile_interval_ms.max(10));
    let reconciler_task = tokio::spawn(reconciler.run_until(interval, async {
        let _ = reconciler_stopped.await;
    }));

    tracing::info!(addr = %local_addr, database = %database.location(), "wheelhouse is serving");
    // The one line a person starting the console looks for.
    println!("Wheelhouse console: http://{local_addr}/");
    println!("Sandbox clusters' Kubernetes API: {kube_url}");

    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(StartError::Serve)?;
    let _ = stop_reconciler.send(());
    let _ = stop_kube_api.send(());
    let _ = reconciler_task.await;
    let _ = kube_api_task.await;
    database.close().await;
    tracing::info!("wheelhouse stopped");
    Ok(())
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

fn clock_now_millis(state: &AppState) -> i64 {
    state.clock.now().timestamp_millis()
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

/// `wheelhouse api-key create --project NAME`: prints access_key, secret_key and project_id.
pub async fn create_api_key(options: crate::cli::ApiKeyCreateOptions) -> Result<(), StartError> {
    let name = options.project.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(StartError::Invalid(
            "--project must be a name of 1 to 100 characters".into(),
        ));
    }
    let database = prepare_database(&options.database.database_url).await?;
    let ids = RandomIds;
    let key = crate::domain::access::new_api_key(
        &database,
        &ids,
        &SystemClock,
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

/// `wheelhouse admin fault …`: changes the sandbox's state; a running server plays it out.
pub async fn inject_fault(command: crate::cli::FaultCommand) -> Result<(), StartError> {
    use crate::cli::FaultCommand;
    let database_url = match &command {
        FaultCommand::Node { database, .. } | FaultCommand::Component { database, .. } => {
            database.database_url.clone()
        }
    };
    let database = prepare_database(&database_url).await?;
    let provisioning = crate::domain::Provisioning {
        database: database.clone(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        timing: Timing::default(),
        api_server_base: String::new(),
        api_server_ca_pem: String::new(),
    };
    let outcome = match &command {
        FaultCommand::Node { node_id, fault, .. } => {
            crate::reconciler::inject_fault(&provisioning, node_id, fault).await
        }
        FaultCommand::Component {
            cluster_id,
            component,
            health,
            ..
        } => {
            provisioning
                .set_component_health(cluster_id, component, health)
                .await
        }
    };
    database.close().await;
    outcome.map_err(|error| StartError::Invalid(error.to_string()))?;
    println!("fault injected");
    Ok(())
}
