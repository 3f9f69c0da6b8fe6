//! The upgrade wizard's data.

use leptos::prelude::*;

use crate::model::upgrade::UpgradePage;

/// `version` is the target chosen in the address; without one the page offers the choice.
/// `kept` names what a refused start kept of what was typed (the override reason), to show
/// once to this session: the reason itself never travels in the address. `rollback` ("cluster"
/// or a pool's id) asks for a rollback's pre-flight and plan instead.
#[server]
pub async fn get_upgrade_page(
    region: String,
    id: String,
    version: Option<String>,
    kept: Option<String>,
    rollback: Option<String>,
) -> Result<UpgradePage, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(UpgradePage::SignedOut);
    };
    console
        .upgrade_page(
            &session,
            &region,
            &id,
            version.as_deref(),
            kept.as_deref(),
            rollback.as_deref(),
        )
        .await
        .map_err(ServerFnError::new)
}
