//! The signed-in person's clusters.

use leptos::prelude::*;

use crate::model::clusters::Dashboard;

/// `None` when nobody is signed in (the page then sends the browser to the sign-in form).
#[server]
pub async fn get_dashboard() -> Result<Option<Dashboard>, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(None);
    };
    console
        .dashboard(&session)
        .await
        .map_err(ServerFnError::new)
}
