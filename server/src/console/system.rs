//! The service's health (anyone) and its inside (the provider's operators).

use app::api::system::ssr::SystemConsole;
use app::model::system::{ServiceHealth, SystemPage};

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
