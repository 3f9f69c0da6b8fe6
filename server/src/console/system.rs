//! The service's health (anyone) and its inside (the provider's operators).

use app::api::system::ssr::SystemConsole;
use app::model::system::{
    AppliedMigration, ProviderSummary, ServiceHealth, SystemPage, SystemStatus,
};

use super::port::person;
use super::request::ConsoleRequest;
use super::{Console, ConsoleCaller, ConsoleError};

#[async_trait::async_trait]
impl SystemConsole for Console {
    async fn service_health(&self) -> ServiceHealth {
        self.load_service_health().await
    }

    async fn system_page(&self, caller: &ConsoleCaller) -> Result<SystemPage, ConsoleError> {
        self.load_system_page(&ConsoleRequest::of(caller))
            .await
            .map_err(ConsoleError::Failed)
    }
}

/// The page's read, for the request's person.
impl Console {
    pub(super) async fn load_service_health(&self) -> ServiceHealth {
        ServiceHealth {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database_reachable: self.state.database.is_reachable().await,
        }
    }

    pub(super) async fn load_system_page(
        &self,
        request: &ConsoleRequest,
    ) -> Result<SystemPage, String> {
        let user = person(&self.state, request)
            .await
            .map_err(|()| {
                "the system status could not be loaded; try again in a moment".to_string()
            })?
            .map(|(_, user)| user);
        Ok(match user {
            None => SystemPage::SignedOut,
            Some(user) if user.is_operator => {
                SystemPage::Found(Box::new(self.system_status().await))
            }
            Some(_) => SystemPage::NotFound,
        })
    }
    /// The service's inside: build, database, migrations, the provider's counts.
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
