//! The maintenance tab's forms: the cluster's window, exclusions and auto-upgrade, each pool's
//! node lifespan and autohealing. Their fields are read by name (`day_monday`, `start_hour`,
//! `max_node_age_days`, …): the server says which one a refusal is about.

use std::collections::HashMap;

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::cluster::ClusterAt;

/// A maintenance form's fields, by name (checkboxes are present when ticked).
pub type Fields = HashMap<String, String>;

#[server(prefix = "/console", endpoint = "maintenance/window")]
pub async fn save_window(
    region: String,
    cluster: String,
    #[server(flatten)] fields: Fields,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::MaintenanceConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.save_window(&caller, at, fields).await)
}

#[server(prefix = "/console", endpoint = "maintenance/exclusions/add")]
pub async fn add_exclusion(
    region: String,
    cluster: String,
    #[server(flatten)] fields: Fields,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::MaintenanceConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.add_exclusion(&caller, at, fields).await)
}

#[server(prefix = "/console", endpoint = "maintenance/exclusions/remove")]
pub async fn remove_exclusion(
    region: String,
    cluster: String,
    exclusion: String,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::MaintenanceConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.remove_exclusion(&caller, at, exclusion).await)
}

#[server(prefix = "/console", endpoint = "maintenance/auto-upgrade")]
pub async fn save_auto_upgrade(
    region: String,
    cluster: String,
    #[server(flatten)] fields: Fields,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::MaintenanceConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.save_auto_upgrade(&caller, at, fields).await)
}

#[server(prefix = "/console", endpoint = "pools/lifespan")]
pub async fn save_lifespan(
    region: String,
    cluster: String,
    pool: String,
    #[server(flatten)] fields: Fields,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::MaintenanceConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.save_lifespan(&caller, at, pool, fields).await)
}

#[server(prefix = "/console", endpoint = "pools/autohealing")]
pub async fn save_autohealing(
    region: String,
    cluster: String,
    pool: String,
    #[server(flatten)] fields: Fields,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::MaintenanceConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.save_autohealing(&caller, at, pool, fields).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait MaintenanceConsole: Send + Sync {
        /// `day_monday=on` …, `start_hour`, `duration_hours`.
        async fn save_window(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            fields: Fields,
        ) -> Result<Done, ConsoleError>;
        /// `from` and `until` (dates, UTC; both days covered), `scope`, `reason`.
        async fn add_exclusion(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            fields: Fields,
        ) -> Result<Done, ConsoleError>;
        async fn remove_exclusion(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            exclusion: String,
        ) -> Result<Done, ConsoleError>;
        /// `enable` = `on` or `off`.
        async fn save_auto_upgrade(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            fields: Fields,
        ) -> Result<Done, ConsoleError>;
        /// `max_node_age_days` (empty: off).
        async fn save_lifespan(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            pool: String,
            fields: Fields,
        ) -> Result<Done, ConsoleError>;
        /// `enabled` (checkbox), `cap_percent`.
        async fn save_autohealing(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            pool: String,
            fields: Fields,
        ) -> Result<Done, ConsoleError>;
    }
}
