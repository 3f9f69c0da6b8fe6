//! Alerts' screens: a cluster's Alerts tab, the organization's Alerts page, and their forms
//! (acknowledge, silence, end a silence, re-check a cluster now).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::alerts::AlertsPage;

#[server]
pub async fn get_alerts_page(state: String) -> Result<AlertsPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AlertsConsole>()?;
    Ok(console.alerts_page(&caller, &state).await?)
}

#[server]
pub async fn get_cluster_alerts(
    region: String,
    id: String,
    state: String,
) -> Result<AlertsPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AlertsConsole>()?;
    Ok(console
        .cluster_alerts(&caller, &region, &id, &state)
        .await?)
}

/// An alert to acknowledge, with what is being done about it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AcknowledgeForm {
    #[serde(default)]
    pub alert: String,
    #[serde(default)]
    pub note: String,
    /// The page to come back to (one of the alerts pages).
    #[serde(default)]
    pub back: String,
}

#[server(prefix = "/console", endpoint = "alerts/acknowledge")]
pub async fn acknowledge_alert(
    #[server(flatten)] form: AcknowledgeForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AlertsConsole>()?;
    super::ssr::answer(console.acknowledge(&caller, form).await)
}

/// A silence: its project, matchers (at least one), reason and duration.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SilenceForm {
    #[serde(default)]
    pub project: String,
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub reason: String,
    /// Hours, as typed.
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub back: String,
}

#[server(prefix = "/console", endpoint = "alerts/silence")]
pub async fn silence_alerts(#[server(flatten)] form: SilenceForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AlertsConsole>()?;
    super::ssr::answer(console.silence(&caller, form).await)
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EndSilenceForm {
    #[serde(default)]
    pub silence: String,
    #[serde(default)]
    pub project: String,
    #[serde(default)]
    pub back: String,
}

#[server(prefix = "/console", endpoint = "alerts/end-silence")]
pub async fn end_silence(#[server(flatten)] form: EndSilenceForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AlertsConsole>()?;
    super::ssr::answer(console.end_silence(&caller, form).await)
}

/// The cluster whose rules to check now.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub cluster: String,
}

#[server(prefix = "/console", endpoint = "alerts/check")]
pub async fn check_alerts(#[server(flatten)] form: CheckForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AlertsConsole>()?;
    super::ssr::answer(console.check(&caller, form).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait AlertsConsole: Send + Sync {
        /// The alerts of every project the person is a member of (`state`: a filter, or empty).
        async fn alerts_page(
            &self,
            caller: &ConsoleCaller,
            state: &str,
        ) -> Result<AlertsPage, ConsoleError>;
        /// One cluster's alerts, for the people of its project.
        async fn cluster_alerts(
            &self,
            caller: &ConsoleCaller,
            region: &str,
            id: &str,
            state: &str,
        ) -> Result<AlertsPage, ConsoleError>;
        async fn acknowledge(
            &self,
            caller: &ConsoleCaller,
            form: AcknowledgeForm,
        ) -> Result<Done, ConsoleError>;
        async fn silence(
            &self,
            caller: &ConsoleCaller,
            form: SilenceForm,
        ) -> Result<Done, ConsoleError>;
        async fn end_silence(
            &self,
            caller: &ConsoleCaller,
            form: EndSilenceForm,
        ) -> Result<Done, ConsoleError>;
        async fn check(
            &self,
            caller: &ConsoleCaller,
            form: CheckForm,
        ) -> Result<Done, ConsoleError>;
    }
}
