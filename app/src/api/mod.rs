//! Server functions, grouped by feature. Each one is thin: find the console services in the
//! request context, call one service, map the error.

pub mod cluster;
pub mod clusters;
pub mod create;
pub mod settings;
pub mod system;
pub mod upgrade;

/// The port through which server functions reach the server's domain services. The `wheelhouse`
/// server implements it and provides it as context for every console request; `app` never
/// depends on the server crate.
#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use leptos::prelude::{use_context, ServerFnError};

    use crate::model::cluster::ClusterPage;
    use crate::model::clusters::{Dashboard, DashboardFilters};
    use crate::model::create::CreatePage;
    use crate::model::identity::SESSION_COOKIE;
    use crate::model::settings::SettingsPage;
    use crate::model::system::{ServiceHealth, SystemPage};
    use crate::model::upgrade::UpgradePage;

    #[async_trait::async_trait]
    pub trait ConsoleServices: Send + Sync + 'static {
        /// Whether the service answers, for anyone.
        async fn service_health(&self) -> ServiceHealth;
        /// The service's inside, for the provider's operators only.
        async fn system_page(&self, session: &str) -> Result<SystemPage, String>;
        /// The clusters of the person signed in with this session token; `None` when the
        /// session is not (or no longer) valid. The message of an error is shown to them.
        async fn dashboard(
            &self,
            session: &str,
            filters: DashboardFilters,
        ) -> Result<Option<Dashboard>, String>;
        /// The person's settings; `shown` takes a secret kept to be shown once.
        async fn settings_page(
            &self,
            session: &str,
            shown: Option<&str>,
        ) -> Result<SettingsPage, String>;
        /// What the create-cluster form offers the person signed in with this session.
        async fn create_choices(&self, session: &str) -> Result<CreatePage, String>;
        /// One cluster of the signed-in person's projects, for its pages.
        async fn cluster_page(
            &self,
            session: &str,
            region: &str,
            id: &str,
        ) -> Result<ClusterPage, String>;
        async fn upgrade_page(
            &self,
            session: &str,
            region: &str,
            id: &str,
            version: Option<&str>,
            kept: Option<&str>,
            rollback: Option<&str>,
        ) -> Result<UpgradePage, String>;
    }

    /// The session cookie's token of the request being served, if any.
    pub fn session_token() -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
            .filter(|value| !value.is_empty())
    }

    pub type SharedConsole = Arc<dyn ConsoleServices>;

    /// The console services of the current request.
    pub fn console() -> Result<SharedConsole, ServerFnError> {
        use_context::<SharedConsole>()
            .ok_or_else(|| ServerFnError::new("console services are not configured"))
    }
}
