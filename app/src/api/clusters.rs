//! The clusters list (the dashboard).

use leptos::prelude::*;

use crate::model::clusters::{Dashboard, DashboardFilters};

#[server]
pub async fn get_dashboard(filters: DashboardFilters) -> Result<Option<Dashboard>, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClustersConsole>()?;
    Ok(console.dashboard(&caller, filters).await?)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError};

    #[async_trait::async_trait]
    pub trait ClustersConsole: Send + Sync {
        /// The clusters of the person signed in; `None` when the session is not (or no
        /// longer) valid.
        async fn dashboard(
            &self,
            caller: &ConsoleCaller,
            filters: DashboardFilters,
        ) -> Result<Option<Dashboard>, ConsoleError>;
    }
}
