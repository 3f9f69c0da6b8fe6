//! The service's health (for anyone) and its inside (the provider's operators).

use leptos::prelude::*;

use crate::model::system::{ServiceHealth, SystemPage};

#[server]
pub async fn get_service_health() -> Result<ServiceHealth, ServerFnError> {
    let console = super::ssr::port::<dyn ssr::SystemConsole>()?;
    Ok(console.service_health().await)
}

#[server]
pub async fn get_system_page() -> Result<SystemPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SystemConsole>()?;
    Ok(console.system_page(&caller).await?)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError};

    #[async_trait::async_trait]
    pub trait SystemConsole: Send + Sync {
        /// Whether the service answers, for anyone.
        async fn service_health(&self) -> ServiceHealth;
        /// The service's inside, for the provider's operators only.
        async fn system_page(&self, caller: &ConsoleCaller) -> Result<SystemPage, ConsoleError>;
    }
}
