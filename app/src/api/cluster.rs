//! One cluster's pages and the forms posted from its tabs (nodes, pools, settings, access).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::cluster::ClusterPage;

#[server]
pub async fn get_cluster_page(region: String, id: String) -> Result<ClusterPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    Ok(console.cluster_page(&caller, &region, &id).await?)
}

/// The cluster a form is about: every cluster form posts its `region` and `cluster` as hidden
/// fields (`routes::cluster_form`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterAt {
    pub region: String,
    pub cluster: String,
}

/// A node's reboot or replacement, after its confirmation box.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeActionForm {
    #[serde(default)]
    pub action: String,
    pub confirm: Option<String>,
}

#[server(prefix = "/console", endpoint = "nodes/act")]
pub async fn node_action(
    region: String,
    cluster: String,
    node: String,
    #[server(flatten)] form: NodeActionForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.node_action(&caller, at, node, form).await)
}

/// The settings tab's form: what is saved, and what the form was rendered with (absent from
/// older pages: then every field counts as changed).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: String,
    pub was_name: Option<String>,
    pub was_description: Option<String>,
    pub was_tags: Option<String>,
}

#[server(prefix = "/console", endpoint = "clusters/settings")]
pub async fn save_settings(
    region: String,
    cluster: String,
    #[server(flatten)] form: SettingsForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.save_settings(&caller, at, form).await)
}

/// A destructive action's confirmation: the cluster's name, typed by the person.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfirmedForm {
    #[serde(default)]
    pub confirm_name: String,
    pub with_additional_resources: Option<String>,
}

#[server(prefix = "/console", endpoint = "clusters/delete")]
pub async fn delete_cluster(
    region: String,
    cluster: String,
    #[server(flatten)] form: ConfirmedForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.delete_cluster(&caller, at, form).await)
}

#[server(prefix = "/console", endpoint = "clusters/reset-admin-token")]
pub async fn reset_admin_token(
    region: String,
    cluster: String,
    #[server(flatten)] form: ConfirmedForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.reset_admin_token(&caller, at, form).await)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewPoolForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub node_type: String,
    #[serde(default)]
    pub size: String,
    pub autohealing: Option<String>,
    /// Node lifespan in days; empty: off.
    #[serde(default)]
    pub lifespan: String,
}

#[server(prefix = "/console", endpoint = "pools/add")]
pub async fn add_pool(
    region: String,
    cluster: String,
    #[server(flatten)] form: NewPoolForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.add_pool(&caller, at, form).await)
}

/// A pool's resize, autoscaling, upgrade policy, kubelet arguments or deletion (`action`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolActionForm {
    #[serde(default)]
    pub action: String,
    pub size: Option<String>,
    pub confirm_name: Option<String>,
    pub autoscaling: Option<String>,
    pub min_size: Option<String>,
    pub max_size: Option<String>,
    pub max_surge: Option<String>,
    pub max_unavailable: Option<String>,
    pub kubelet_args: Option<String>,
    pub kubelet_ack: Option<String>,
}

#[server(prefix = "/console", endpoint = "pools/act")]
pub async fn pool_action(
    region: String,
    cluster: String,
    pool: String,
    #[server(flatten)] form: PoolActionForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.pool_action(&caller, at, pool, form).await)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AclRuleForm {
    #[serde(default)]
    pub ip: String,
    #[serde(default)]
    pub description: String,
}

#[server(prefix = "/console", endpoint = "acl-rules/add")]
pub async fn add_acl_rule(
    region: String,
    cluster: String,
    #[server(flatten)] form: AclRuleForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.add_acl_rule(&caller, at, form).await)
}

#[server(prefix = "/console", endpoint = "acl-rules/delete")]
pub async fn delete_acl_rule(
    region: String,
    cluster: String,
    rule: String,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::ClusterConsole>()?;
    let at = ClusterAt { region, cluster };
    super::ssr::answer(console.delete_acl_rule(&caller, at, rule).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait ClusterConsole: Send + Sync {
        /// One cluster of the caller's projects, for its pages.
        async fn cluster_page(
            &self,
            caller: &ConsoleCaller,
            region: &str,
            id: &str,
        ) -> Result<ClusterPage, ConsoleError>;
        async fn node_action(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            node: String,
            form: NodeActionForm,
        ) -> Result<Done, ConsoleError>;
        async fn save_settings(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: SettingsForm,
        ) -> Result<Done, ConsoleError>;
        async fn delete_cluster(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: ConfirmedForm,
        ) -> Result<Done, ConsoleError>;
        async fn reset_admin_token(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: ConfirmedForm,
        ) -> Result<Done, ConsoleError>;
        async fn add_pool(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: NewPoolForm,
        ) -> Result<Done, ConsoleError>;
        async fn pool_action(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            pool: String,
            form: PoolActionForm,
        ) -> Result<Done, ConsoleError>;
        async fn add_acl_rule(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            form: AclRuleForm,
        ) -> Result<Done, ConsoleError>;
        async fn delete_acl_rule(
            &self,
            caller: &ConsoleCaller,
            at: ClusterAt,
            rule: String,
        ) -> Result<Done, ConsoleError>;
    }
}
