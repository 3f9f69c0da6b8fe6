//! The settings page's forms: create an API key (its secret kept to be shown once to this
//! session), revoke one, change the password; owners add members (a new account's password
//! kept to be shown once), change their roles, remove them, and create projects. Each answers
//! 303 back to /settings with the outcome; a secret never travels in a URL.

use app::api::settings::ssr::SettingsConsole;
use app::api::settings::{
    AddMemberForm, AuditViewersForm, MemberForm, NewKeyForm, NewProjectForm, PasswordForm,
    RevokeForm,
};
use app::model::identity::SESSION_COOKIE;
use app::model::settings::{
    KeyRow, MemberRow, NewKey, NewMember, OrganizationChoice, ProjectSettings, SettingsData,
    SettingsPage, ShownOnce,
};
use app::routes::{SETTINGS_PATH, SIGN_IN_PATH};

use super::cluster::back_with;
use super::port::person;
use super::request::ConsoleRequest;
use super::session::signed_in;
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::domain::change::{Actor, ChangeContext};
use crate::services::identity::{
    self, AddedMember, ChangePath, IdentityError, ProjectAccess, SessionUser,
};
use crate::state::AppState;

/// Back to the settings page with what was done.
fn notice(code: &str) -> Result<Done, ConsoleError> {
    Ok(Done::to(format!("{SETTINGS_PATH}?notice={code}")))
}

/// Back to the settings page with why it was not done.
fn problem(code: &str) -> ConsoleError {
    ConsoleError::Back(format!("{SETTINGS_PATH}?problem={code}"))
}

/// Keeps what the next page shows once to this session, and sends the browser there.
async fn show_once(state: &AppState, token: &str, shown: &ShownOnce) -> Result<Done, ConsoleError> {
    let content = serde_json::to_string(shown).map_err(|error| {
        tracing::error!(%error, "could not keep what is shown once");
        ConsoleError::Unavailable
    })?;
    match identity::keep_to_show_once(
        &state.database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        token,
        &content,
    )
    .await
    {
        Ok(id) => Ok(Done::to(format!("{SETTINGS_PATH}?shown={id}"))),
        Err(error) => {
            tracing::error!(%error, "could not keep what is shown once");
            Err(ConsoleError::Unavailable)
        }
    }
}

/// The refusal of a member or project form: not found to strangers, the reason back on the page
/// otherwise. A refused field comes back beside its form (`scope` names it) with what was typed.
fn refused(error: IdentityError, scope: (&str, &str), typed: &[(&str, &str)]) -> ConsoleError {
    match error {
        IdentityError::NotFound => ConsoleError::NotFound,
        IdentityError::OwnersOnly => problem("owners-only"),
        IdentityError::LastOwner => problem("last-owner"),
        IdentityError::NotAMember => problem("unknown-member"),
        IdentityError::Field { field, message } => {
            let mut pairs = vec![
                ("problem", "invalid"),
                ("field", field),
                ("message", message.as_str()),
                scope,
            ];
            pairs.extend_from_slice(typed);
            ConsoleError::Back(back_with(SETTINGS_PATH, &pairs))
        }
        error => {
            tracing::error!(%error, "a member or project change failed");
            ConsoleError::Unavailable
        }
    }
}

/// Who changes something from a settings form: the signed-in person, from this request.
fn context_of(user: &SessionUser, request: &ConsoleRequest) -> ChangeContext {
    ChangeContext::new(
        Actor::Person {
            user_id: user.user_id.clone(),
            email: user.email.clone(),
        },
        request.source.clone(),
    )
}

fn access<'a>(user: &'a SessionUser, project_id: &str) -> Option<&'a ProjectAccess> {
    user.projects
        .iter()
        .find(|access| access.project_id == project_id)
}

pub async fn create_api_key(
    state: &AppState,
    headers: &ConsoleRequest,
    form: NewKeyForm,
) -> Result<Done, ConsoleError> {
    let (token, user) = signed_in(state, headers).await?;
    // The service judges who asks (not found, forbidden) and records its refusals.
    let context = context_of(&user, headers);
    let key = match identity::create_api_key_in(
        &state.database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        ChangePath::new(&state.recorded, &context),
        &form.project_id,
        &form.description,
    )
    .await
    {
        Ok(key) => key,
        Err(IdentityError::NotFound) => return Err(ConsoleError::NotFound),
        Err(IdentityError::ReadOnly) => return Err(problem("forbidden")),
        Err(IdentityError::Invalid(_)) => return Err(problem("description")),
        Err(error) => {
            tracing::error!(%error, "API key creation failed");
            return Err(ConsoleError::Unavailable);
        }
    };
    let shown = ShownOnce::ApiKey(NewKey {
        access_key: key.access_key,
        secret_key: key.secret_key,
        project_id: key.project_id,
    });
    show_once(state, &token, &shown).await
}

pub async fn revoke_api_key(
    state: &AppState,
    headers: &ConsoleRequest,
    form: RevokeForm,
) -> Result<Done, ConsoleError> {
    let access_key = form.access_key.clone();
    let (_, user) = signed_in(state, headers).await?;
    // Who asks is answered first: someone who may not revoke is refused by the service (which
    // records it) whatever the box; the box is asked only of those who may.
    let may_revoke = access(&user, &form.project_id).is_some_and(|access| access.role.can_change());
    if may_revoke && form.confirm.as_deref() != Some("yes") {
        return Err(problem("confirm"));
    }
    let context = context_of(&user, headers);
    match identity::revoke_api_key(
        &state.database,
        ChangePath::new(&state.recorded, &context),
        &form.project_id,
        &access_key,
    )
    .await
    {
        Ok(true) => notice("revoked"),
        Ok(false) => Err(problem("unknown-key")),
        Err(IdentityError::NotFound) => Err(ConsoleError::NotFound),
        Err(IdentityError::ReadOnly) => Err(problem("forbidden")),
        Err(error) => {
            tracing::error!(%error, "API key revocation failed");
            Err(ConsoleError::Unavailable)
        }
    }
}

pub async fn change_password(
    state: &AppState,
    headers: &ConsoleRequest,
    form: PasswordForm,
) -> Result<Done, ConsoleError> {
    let (_, user) = signed_in(state, headers).await?;
    if form.new != form.again {
        return Err(problem("password-mismatch"));
    }
    let context = context_of(&user, headers);
    match identity::change_password(
        &state.database,
        state.clock.as_ref(),
        ChangePath::new(&state.recorded, &context),
        &form.current,
        &form.new,
    )
    .await
    {
        Ok(()) => {
            // Every session ended with the change; this browser's cookie goes too.
            Ok(Done {
                location: format!("{SIGN_IN_PATH}?error=changed"),
                set_cookie: Some(format!(
                    "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
                )),
            })
        }
        Err(IdentityError::BadCredentials) => Err(problem("password-wrong")),
        Err(IdentityError::Invalid(_)) => Err(problem("password-short")),
        Err(error) => {
            tracing::error!(%error, "password change failed");
            Err(ConsoleError::Unavailable)
        }
    }
}

/// The `ADD_MEMBER` form: an owner adds someone by email. A new account's
/// password is kept to be shown once to this owner.
pub async fn add_member(
    state: &AppState,
    headers: &ConsoleRequest,
    form: AddMemberForm,
) -> Result<Done, ConsoleError> {
    let project_id = form.project_id.clone();
    let (token, user) = signed_in(state, headers).await?;
    let context = context_of(&user, headers);
    match identity::add_member(
        &state.database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        ChangePath::new(&state.recorded, &context),
        &project_id,
        &form.email,
        &form.role,
    )
    .await
    {
        Ok(AddedMember::Existing { .. }) => notice("member-added"),
        Ok(AddedMember::Created {
            email,
            password,
            project_name,
        }) => {
            let shown = ShownOnce::Member(NewMember {
                email,
                password,
                project_name,
            });
            show_once(state, &token, &shown).await
        }
        Err(error) => Err(refused(
            error,
            ("project", &project_id),
            &[("email", &form.email), ("role", &form.role)],
        )),
    }
}

/// The `CHANGE_MEMBER_ROLE` form: an owner changes a member's role.
pub async fn change_member_role(
    state: &AppState,
    headers: &ConsoleRequest,
    form: MemberForm,
) -> Result<Done, ConsoleError> {
    let project_id = form.project_id.clone();
    let member = form.member.clone();
    let (_, user) = signed_in(state, headers).await?;
    let context = context_of(&user, headers);
    match identity::change_member_role(
        &state.database,
        ChangePath::new(&state.recorded, &context),
        &project_id,
        &member,
        &form.role,
    )
    .await
    {
        Ok(()) => notice("role-changed"),
        Err(error) => Err(refused(error, ("member", &member), &[])),
    }
}

/// The `REMOVE_MEMBER` form: an owner removes a member, once
/// the confirmation box is ticked.
pub async fn remove_member(
    state: &AppState,
    headers: &ConsoleRequest,
    form: MemberForm,
) -> Result<Done, ConsoleError> {
    let project_id = form.project_id.clone();
    let member = form.member.clone();
    let (_, user) = signed_in(state, headers).await?;
    // Who asks is answered first (not found, owners only: the service refuses and records
    // it whatever the box); the box is asked only of an owner.
    let owner =
        access(&user, &project_id).is_some_and(|access| access.role == identity::Role::Owner);
    if owner && form.confirm.as_deref() != Some("yes") {
        return Err(problem("confirm"));
    }
    let context = context_of(&user, headers);
    match identity::remove_member(
        &state.database,
        ChangePath::new(&state.recorded, &context),
        &project_id,
        &member,
    )
    .await
    {
        Ok(()) => notice("member-removed"),
        Err(error) => Err(refused(error, ("member", &member), &[])),
    }
}

/// The `CREATE_PROJECT` form: an owner of a project of the organization creates another one there.
pub async fn create_project(
    state: &AppState,
    headers: &ConsoleRequest,
    form: NewProjectForm,
) -> Result<Done, ConsoleError> {
    let (_, user) = signed_in(state, headers).await?;
    let context = context_of(&user, headers);
    match identity::create_project(
        &state.database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        ChangePath::new(&state.recorded, &context),
        &form.organization_id,
        &form.name,
    )
    .await
    {
        Ok(_) => notice("project-created"),
        Err(error) => Err(refused(
            error,
            ("organization", &form.organization_id),
            &[("name", &form.name)],
        )),
    }
}

/// The `SET_AUDIT_VIEWERS` form: an owner lets the project's viewers read its audit entries,
/// or not.
pub async fn set_audit_viewers(
    state: &AppState,
    headers: &ConsoleRequest,
    form: AuditViewersForm,
) -> Result<Done, ConsoleError> {
    let (_, user) = signed_in(state, headers).await?;
    let context = context_of(&user, headers);
    match identity::set_audit_for_viewers(
        &state.database,
        ChangePath::new(&state.recorded, &context),
        &form.project_id,
        form.allowed.as_deref() == Some("yes"),
    )
    .await
    {
        Ok(()) => notice("audit-viewers-saved"),
        Err(error) => Err(refused(error, ("project", &form.project_id), &[])),
    }
}

#[async_trait::async_trait]
impl SettingsConsole for Console {
    async fn settings_page(
        &self,
        caller: &ConsoleCaller,
        shown: Option<&str>,
    ) -> Result<SettingsPage, ConsoleError> {
        self.load_settings_page(&ConsoleRequest::of(caller), shown)
            .await
            .map_err(ConsoleError::Failed)
    }

    async fn create_api_key(
        &self,
        caller: &ConsoleCaller,
        form: NewKeyForm,
    ) -> Result<Done, ConsoleError> {
        create_api_key(&self.state, &ConsoleRequest::of(caller), form).await
    }

    async fn revoke_api_key(
        &self,
        caller: &ConsoleCaller,
        form: RevokeForm,
    ) -> Result<Done, ConsoleError> {
        revoke_api_key(&self.state, &ConsoleRequest::of(caller), form).await
    }

    async fn change_password(
        &self,
        caller: &ConsoleCaller,
        form: PasswordForm,
    ) -> Result<Done, ConsoleError> {
        change_password(&self.state, &ConsoleRequest::of(caller), form).await
    }

    async fn create_project(
        &self,
        caller: &ConsoleCaller,
        form: NewProjectForm,
    ) -> Result<Done, ConsoleError> {
        create_project(&self.state, &ConsoleRequest::of(caller), form).await
    }

    async fn add_member(
        &self,
        caller: &ConsoleCaller,
        form: AddMemberForm,
    ) -> Result<Done, ConsoleError> {
        add_member(&self.state, &ConsoleRequest::of(caller), form).await
    }

    async fn change_member_role(
        &self,
        caller: &ConsoleCaller,
        form: MemberForm,
    ) -> Result<Done, ConsoleError> {
        change_member_role(&self.state, &ConsoleRequest::of(caller), form).await
    }

    async fn remove_member(
        &self,
        caller: &ConsoleCaller,
        form: MemberForm,
    ) -> Result<Done, ConsoleError> {
        remove_member(&self.state, &ConsoleRequest::of(caller), form).await
    }

    async fn set_audit_viewers(
        &self,
        caller: &ConsoleCaller,
        form: AuditViewersForm,
    ) -> Result<Done, ConsoleError> {
        set_audit_viewers(&self.state, &ConsoleRequest::of(caller), form).await
    }
}

/// The page's read, for the request's person.
impl Console {
    pub(super) async fn load_settings_page(
        &self,
        request: &ConsoleRequest,
        shown: Option<&str>,
    ) -> Result<SettingsPage, String> {
        let state = &self.state;
        let failed = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "the settings could not be loaded");
            "the settings could not be loaded; try again in a moment".to_string()
        };
        let Some((session, user)) = person(state, request)
            .await
            .map_err(|()| failed(&"the session could not be looked up"))?
        else {
            return Ok(SettingsPage::SignedOut);
        };
        // What a form kept for this page to show once (a new key's secret, a new account's
        // password); taken, so a reload shows nothing.
        let shown = match shown {
            Some(id) => {
                identity::take_shown_once(&state.database, state.clock.as_ref(), &session, id)
                    .await
                    .map_err(|error| failed(&error))?
                    .and_then(|content| serde_json::from_str::<ShownOnce>(&content).ok())
            }
            None => None,
        };
        let (new_key, new_member) = match shown {
            Some(ShownOnce::ApiKey(key)) => (Some(key), None),
            Some(ShownOnce::Member(member)) => (None, Some(member)),
            None => (None, None),
        };
        let mut projects = Vec::new();
        for access in &user.projects {
            let keys = identity::api_keys(&state.database, &access.project_id)
                .await
                .map_err(|error| failed(&error))?;
            let members = identity::members(&state.database, &access.project_id)
                .await
                .map_err(|error| failed(&error))?;
            let audit_for_viewers =
                identity::audit_for_viewers(&state.database, &access.project_id)
                    .await
                    .map_err(|error| failed(&error))?;
            projects.push(ProjectSettings {
                project_id: access.project_id.clone(),
                project_name: access.project_name.clone(),
                role: access.role.as_str().to_string(),
                can_change: access.role.can_change(),
                can_manage_members: access.role == identity::Role::Owner,
                audit_for_viewers,
                keys: keys
                    .into_iter()
                    .map(|key| KeyRow {
                        access_key: key.access_key,
                        description: key.description,
                        created_at: key.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    })
                    .collect(),
                members: members
                    .into_iter()
                    .map(|member| MemberRow {
                        is_you: member.user_id == user.user_id,
                        user_id: member.user_id,
                        email: member.email,
                        role: member.role.as_str().to_string(),
                    })
                    .collect(),
            });
        }
        // Where they may create projects: the organizations of the projects they own.
        let mut organizations: Vec<OrganizationChoice> = Vec::new();
        for access in user
            .projects
            .iter()
            .filter(|access| access.role == identity::Role::Owner)
        {
            match organizations
                .iter_mut()
                .find(|choice| choice.organization_id == access.organization_id)
            {
                Some(choice) => choice.label.push_str(&format!(", {}", access.project_name)),
                None => organizations.push(OrganizationChoice {
                    organization_id: access.organization_id.clone(),
                    label: format!("The organization of {}", access.project_name),
                }),
            }
        }
        Ok(SettingsPage::Ready(Box::new(SettingsData {
            email: user.email,
            projects,
            organizations,
            new_key,
            new_member,
        })))
    }
}
