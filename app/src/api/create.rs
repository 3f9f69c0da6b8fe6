//! What the create-cluster form offers the signed-in person.

use leptos::prelude::*;

use crate::model::create::CreatePage;

#[server]
pub async fn get_create_choices() -> Result<CreatePage, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(CreatePage::SignedOut);
    };
    console
        .create_choices(&session)
        .await
        .map_err(ServerFnError::new)
}
