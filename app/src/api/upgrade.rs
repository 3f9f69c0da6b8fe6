//! The upgrade wizard's data.

use leptos::prelude::*;

use crate::model::upgrade::UpgradePage;

/// `version` is the target chosen in the address; without one the page offers the choice.
#[server]
pub async fn get_upgrade_page(
    region: String,
    id: String,
    version: Option<String>,
) -> Result<UpgradePage, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(UpgradePage::SignedOut);
    };
    console
        .upgrade_page(&session, &region, &id, version.as_deref())
        .await
        .map_err(ServerFnError::new)
}
