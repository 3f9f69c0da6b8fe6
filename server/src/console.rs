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
            provider_summary(database)
                .await
                .map_err(|error| tracing::warn!(%error, "cannot summarise the provider"))
                .ok()
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

async fn provider_summary(
    database: &crate::store::Database,
) -> Result<ProviderSummary, sqlx::Error> {
    let by_status = |table: &'static str| async move {
        sqlx::query_as::<_, (String, i64)>(&format!(
            "SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status"
        ))
        .fetch_all(database.pool())
        .await
    };
    let operations: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM operations GROUP BY state")
            .fetch_all(database.pool())
            .await?;
    let in_state = |state: &str| {
        operations
            .iter()
            .find(|(name, _)| name == state)
            .map(|(_, count)| *count)
            .unwrap_or(0)
    };
    Ok(ProviderSummary {
        clusters: by_status("clusters").await?,
        nodes: by_status("nodes").await?,
        pending_operations: in_state("pending"),
        failed_operations: in_state("failed"),
    })
}
