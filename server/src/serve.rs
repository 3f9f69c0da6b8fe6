//! Starting and stopping the service: logging, database, listener, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::cli::{DatabaseOptions, LogFormat, ServeOptions};
use crate::clock::{SharedClock, SystemClock};
use crate::http::{self, AppState};
use crate::store::{Database, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] StoreError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
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

pub async fn migrate(options: DatabaseOptions) -> Result<(), StartError> {
    let database = Database::connect_and_migrate(&options.database_url).await?;
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
    let database = Database::connect_and_migrate(&options.database.database_url).await?;
    let clock: SharedClock = Arc::new(SystemClock);
    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|error| StartError::Listen {
            addr: options.addr,
            reason: error.to_string(),
        })?;
    let local_addr = listener.local_addr().map_err(StartError::Serve)?;
    let state = AppState::new(database.clone(), clock, &options.site_root, local_addr);
    let router = http::router(state);

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
    database.close().await;
    tracing::info!("wheelhouse stopped");
    Ok(())
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
