//! The signed-in person's settings page.

use leptos::prelude::*;

use crate::model::settings::SettingsPage;

/// `shown` names a secret kept to be shown once (a new API key's), if the page came from
/// creating one.
#[server]
pub async fn get_settings_page(shown: Option<String>) -> Result<SettingsPage, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(SettingsPage::SignedOut);
    };
    console
        .settings_page(&session, shown.as_deref())
        .await
        .map_err(ServerFnError::new)
}
