//! The service's own status: whether it answers (anyone), and its inside (operators only).

use leptos::prelude::*;

use crate::model::system::{ServiceHealth, SystemPage};

#[server]
pub async fn get_service_health() -> Result<ServiceHealth, ServerFnError> {
    let console = super::ssr::console()?;
    Ok(console.service_health().await)
}

#[server]
pub async fn get_system_page() -> Result<SystemPage, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(SystemPage::SignedOut);
    };
    console
        .system_page(&session)
        .await
        .map_err(ServerFnError::new)
}
