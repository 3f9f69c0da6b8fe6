//! The server side of the console port (`app::api::ssr::ConsoleServices`): each method calls the
//! domain and returns the console's model types.

use app::api::ssr::ConsoleServices;
use app::model::system::{AppliedMigration, ProviderSummary, SystemStatus};

use crate::http::AppState;

pub struct Console {
    state: AppState,
}

impl Console {
    pub fn new(state: AppState) -> Console {
        Console { state }
    }
}

#[async_trait::async_trait]
impl ConsoleServices for Console {
    async fn system_status(&self) -> SystemStatus {
        let database = &self.state.database;
        let reachable = database.is_reachable().await;
        let migrations = if reachable {
            database.applied_migrations().await.unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot list applied migrations");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let provider = if reachable {
            match self.state.service.provider_stats().await {
                Ok(Some(stats)) => Some(ProviderSummary {
                    clusters: stats.clusters_by_status,
                    nodes: stats.nodes_by_status,
                    pending_operations: stats.operations_pending,
                    failed_operations: stats.operations_failed,
                }),
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(%error, "cannot summarise the provider");
                    None
                }
            }
        } else {
            None
        };
        let now = self.state.clock.now();
        SystemStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database_kind: database.kind().label().to_string(),
            database_location: database.location().to_string(),
            database_reachable: reachable,
            migrations: migrations
                .into_iter()
                .map(|record| AppliedMigration {
                    version: record.version,
                    description: record.description,
                    installed_at: record.installed_at,
                })
                .collect(),
            started_at: self
                .state
                .started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            uptime_seconds: (now - self.state.started_at).num_seconds().max(0) as u64,
            provider,
        }
    }
}
