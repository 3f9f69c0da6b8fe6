//! Server functions, grouped by feature. Each one is thin: find the console services in the
//! request context, call one service, map the error.

pub mod system;

/// The port through which server functions reach the server's domain services. The `wheelhouse`
/// server implements it and provides it as context for every console request; `app` never
/// depends on the server crate.
#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use leptos::prelude::{use_context, ServerFnError};

    use crate::model::system::SystemStatus;

    #[async_trait::async_trait]
    pub trait ConsoleServices: Send + Sync + 'static {
        async fn system_status(&self) -> SystemStatus;
    }

    pub type SharedConsole = Arc<dyn ConsoleServices>;

    /// The console services of the current request.
    pub fn console() -> Result<SharedConsole, ServerFnError> {
        use_context::<SharedConsole>()
            .ok_or_else(|| ServerFnError::new("console services are not configured"))
    }
}
