//! The create-cluster form: what it offers, and the form itself (its pools are numbered
//! fields, `pools` = how many, then `pool1_name`, `pool1_size`, …; its `intent` says whether to
//! create, add or remove a pool, or update the estimate).

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::create::CreatePage;

#[server]
pub async fn get_create_choices() -> Result<CreatePage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::CreateConsole>()?;
    Ok(console.create_choices(&caller).await?)
}

#[server(prefix = "/console", endpoint = "clusters/create")]
pub async fn create_cluster(
    #[server(flatten)] fields: HashMap<String, String>,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::CreateConsole>()?;
    super::ssr::answer(console.create_cluster(&caller, fields).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait CreateConsole: Send + Sync {
        /// What the create-cluster form offers the caller.
        async fn create_choices(&self, caller: &ConsoleCaller) -> Result<CreatePage, ConsoleError>;
        /// The form as posted, by field name.
        async fn create_cluster(
            &self,
            caller: &ConsoleCaller,
            fields: HashMap<String, String>,
        ) -> Result<Done, ConsoleError>;
    }
}
