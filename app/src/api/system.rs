//! The service's own status: version, database, schema.

use leptos::prelude::*;

use crate::model::system::SystemStatus;

#[server]
pub async fn get_system_status() -> Result<SystemStatus, ServerFnError> {
    let console = super::ssr::console()?;
    Ok(console.system_status().await)
}
