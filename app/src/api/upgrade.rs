//! The upgrade wizard: its data, and the forms that start an upgrade or a rollback and pause,
//! resume or abort one.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::cluster::ClusterAt;
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
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::UpgradeConsole>()?;
    let asked = UpgradeAsked {
        version,
        kept,
        rollback,
    };
    Ok(console.upgrade_page(&caller, &region, &id, asked).await?)
}

/// What the wizard's address asks for (see `get_upgrade_page`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UpgradeAsked {
    pub version: Option<String>,
    pub kept: Option<String>,
    pub rollback: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub confirm_name: String,
    #[serde(default)]
    pub override_reason: Option<String>,
    /// Minor upgrades: days the previous minor's behaviour is kept (rollback possible).
    #[serde(default)]
    pub soak_days: Option<String>,
}

#[server(prefix = "/console", endpoint = "upgrades/start")]
pub async fn start_upgrade(
    region: String,
    cluster: String,
    #[server(flatten)] form: StartForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::UpgradeConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.start_upgrade(&caller, at, form).await)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RollbackForm {
    /// "cluster" or a pool's id.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub confirm_name: String,
    #[serde(default)]
    pub override_reason: Option<String>,
}

#[server(prefix = "/console", endpoint = "rollbacks/start")]
pub async fn start_rollback(
    region: String,
    cluster: String,
    #[server(flatten)] form: RollbackForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::UpgradeConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.start_rollback(&caller, at, form).await)
}

/// Pause, resume, or abort (after its box).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ControlForm {
    #[serde(default)]
    pub action: String,
    pub confirm: Option<String>,
}

#[server(prefix = "/console", endpoint = "upgrades/control")]
pub async fn control_upgrade(
    region: String,
    cluster: String,
    #[server(flatten)] form: ControlForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::UpgradeConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.control_upgrade(&caller, at, form).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait UpgradeConsole: Send + Sync {
        async fn upgrade_page(
            &self,
            caller: &ConsoleCaller,
            region: &str,
            id: &str,
            asked: UpgradeAsked,
        ) -> Result<UpgradePage, ConsoleError>;
        async fn start_upgrade(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: StartForm,
        ) -> Result<Done, ConsoleError>;
        async fn start_rollback(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: RollbackForm,
        ) -> Result<Done, ConsoleError>;
        async fn control_upgrade(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: ControlForm,
        ) -> Result<Done, ConsoleError>;
    }
}
