//! The clusters list (its live stream is in `live.rs`).

use app::api::clusters::ssr::ClustersConsole;
use app::model::clusters::{Dashboard, DashboardFilters};

use super::request::ConsoleRequest;
use super::{Console, ConsoleCaller, ConsoleError};

#[async_trait::async_trait]
impl ClustersConsole for Console {
    async fn dashboard(
        &self,
        caller: &ConsoleCaller,
        filters: DashboardFilters,
    ) -> Result<Option<Dashboard>, ConsoleError> {
        self.load_dashboard(&ConsoleRequest::of(caller), filters)
            .await
            .map_err(ConsoleError::Failed)
    }
}
