//! The signed-in person's clusters.

use leptos::prelude::*;

use crate::model::clusters::{Dashboard, DashboardFilters};

/// `None` when nobody is signed in (the page then sends the browser to the sign-in form).
#[server]
pub async fn get_dashboard(filters: DashboardFilters) -> Result<Option<Dashboard>, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(None);
    };
    console
        .dashboard(&session, filters)
        .await
        .map_err(ServerFnError::new)
}
