//! One cluster's pages and the actions taken from them.

use leptos::prelude::*;

use crate::model::cluster::ClusterPage;

#[server]
pub async fn get_cluster_page(region: String, id: String) -> Result<ClusterPage, ServerFnError> {
    let console = super::ssr::console()?;
    let Some(session) = super::ssr::session_token() else {
        return Ok(ClusterPage::SignedOut);
    };
    console
        .cluster_page(&session, &region, &id)
        .await
        .map_err(ServerFnError::new)
}
