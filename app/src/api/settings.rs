//! The settings page: its data (the person's projects, keys and members) and its forms (API
//! keys, password, projects, members).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::settings::SettingsPage;

/// `shown` names what a form kept to be shown once (a new key's secret, a new member's
/// password).
#[server]
pub async fn get_settings_page(shown: Option<String>) -> Result<SettingsPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    Ok(console.settings_page(&caller, shown.as_deref()).await?)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewKeyForm {
    #[serde(default)]
    pub project_id: String,
    #[serde(default)]
    pub description: String,
}

#[server(prefix = "/console", endpoint = "api-keys/create")]
pub async fn create_api_key(#[server(flatten)] form: NewKeyForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.create_api_key(&caller, form).await)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    pub access_key: String,
    #[serde(default)]
    pub project_id: String,
    pub confirm: Option<String>,
}

#[server(prefix = "/console", endpoint = "api-keys/revoke")]
pub async fn revoke_api_key(#[server(flatten)] form: RevokeForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.revoke_api_key(&caller, form).await)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub new: String,
    #[serde(default)]
    pub again: String,
}

#[server(prefix = "/console", endpoint = "password")]
pub async fn change_password(#[server(flatten)] form: PasswordForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.change_password(&caller, form).await)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewProjectForm {
    #[serde(default)]
    pub organization_id: String,
    #[serde(default)]
    pub name: String,
}

#[server(prefix = "/console", endpoint = "projects/create")]
pub async fn create_project(#[server(flatten)] form: NewProjectForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.create_project(&caller, form).await)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    pub project_id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
}

#[server(prefix = "/console", endpoint = "members/add")]
pub async fn add_member(#[server(flatten)] form: AddMemberForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.add_member(&caller, form).await)
}

/// A member's role change (`role`) or removal (`confirm`), by an owner of the project.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    pub project_id: String,
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub role: String,
    pub confirm: Option<String>,
}

#[server(prefix = "/console", endpoint = "members/role")]
pub async fn change_member_role(#[server(flatten)] form: MemberForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.change_member_role(&caller, form).await)
}

#[server(prefix = "/console", endpoint = "members/remove")]
pub async fn remove_member(#[server(flatten)] form: MemberForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.remove_member(&caller, form).await)
}

/// Whether a project's viewers read its audit entries (an unticked box sends nothing).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditViewersForm {
    #[serde(default)]
    pub project_id: String,
    pub allowed: Option<String>,
}

#[server(prefix = "/console", endpoint = "projects/audit-viewers")]
pub async fn set_audit_viewers(
    #[server(flatten)] form: AuditViewersForm,
) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SettingsConsole>()?;
    super::ssr::answer(console.set_audit_viewers(&caller, form).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait SettingsConsole: Send + Sync {
        /// The person's settings; `shown` takes a secret kept to be shown once.
        async fn settings_page(
            &self,
            caller: &ConsoleCaller,
            shown: Option<&str>,
        ) -> Result<SettingsPage, ConsoleError>;
        async fn create_api_key(
            &self,
            caller: &ConsoleCaller,
            form: NewKeyForm,
        ) -> Result<Done, ConsoleError>;
        async fn revoke_api_key(
            &self,
            caller: &ConsoleCaller,
            form: RevokeForm,
        ) -> Result<Done, ConsoleError>;
        async fn change_password(
            &self,
            caller: &ConsoleCaller,
            form: PasswordForm,
        ) -> Result<Done, ConsoleError>;
        async fn create_project(
            &self,
            caller: &ConsoleCaller,
            form: NewProjectForm,
        ) -> Result<Done, ConsoleError>;
        async fn add_member(
            &self,
            caller: &ConsoleCaller,
            form: AddMemberForm,
        ) -> Result<Done, ConsoleError>;
        async fn change_member_role(
            &self,
            caller: &ConsoleCaller,
            form: MemberForm,
        ) -> Result<Done, ConsoleError>;
        async fn remove_member(
            &self,
            caller: &ConsoleCaller,
            form: MemberForm,
        ) -> Result<Done, ConsoleError>;
        /// An owner lets the project's viewers read its audit entries, or not.
        async fn set_audit_viewers(
            &self,
            caller: &ConsoleCaller,
            form: AuditViewersForm,
        ) -> Result<Done, ConsoleError>;
    }
}
