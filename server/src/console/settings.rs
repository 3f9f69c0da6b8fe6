//! The settings page's forms: create an API key (its secret kept to be shown once to this
//! session), revoke one, change the password; owners add members (a new account's password
//! kept to be shown once), change their roles, remove them, and create projects. Each answers
//! 303 back to /settings with the outcome; a secret never travels in a URL.

use app::model::identity::{SESSION_COOKIE, SIGN_IN_PATH};
use app::model::settings::{NewKey, NewMember, ShownOnce, SETTINGS_PATH};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::cluster::back_with;
use super::request::ConsoleRequest;
use super::session::{cookie, see_other};
use crate::domain::change::{Actor, ChangeContext};
use crate::services::identity::{
    self, AddedMember, ChangePath, IdentityError, ProjectAccess, SessionUser,
};
use crate::state::AppState;

fn back(kind: &str, code: &str) -> Response {
    see_other(&format!("{SETTINGS_PATH}?{kind}={code}"))
}

/// Keeps what the next page shows once to this session, and sends the browser there.
async fn show_once(state: &AppState, token: &str, shown: &ShownOnce) -> Response {
    let content = match serde_json::to_string(shown) {
        Ok(content) => content,
        Err(error) => {
            tracing::error!(%error, "could not keep what is shown once");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    match identity::keep_to_show_once(
        &state.database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        token,
        &content,
    )
    .await
    {
        Ok(id) => see_other(&format!("{SETTINGS_PATH}?shown={id}")),
        Err(error) => {
            tracing::error!(%error, "could not keep what is shown once");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The answer to a refused member or project form: not found to strangers, the reason back on
/// the page otherwise. A refused field comes back beside its form (`scope` names it) with what
/// was typed.
fn refused(error: IdentityError, scope: (&str, &str), typed: &[(&str, &str)]) -> Response {
    match error {
        IdentityError::NotFound => StatusCode::NOT_FOUND.into_response(),
        IdentityError::OwnersOnly => back("problem", "owners-only"),
        IdentityError::LastOwner => back("problem", "last-owner"),
        IdentityError::NotAMember => back("problem", "unknown-member"),
        IdentityError::Field { field, message } => {
            let mut pairs = vec![
                ("problem", "invalid"),
                ("field", field),
                ("message", message.as_str()),
                scope,
            ];
            pairs.extend_from_slice(typed);
            see_other(&back_with(SETTINGS_PATH, &pairs))
        }
        error => {
            tracing::error!(%error, "a member or project change failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The session's token and person, or the response that sends them to sign in.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, SessionUser), Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(see_other(&format!("{SIGN_IN_PATH}?error=required")));
    };
    match identity::session_user(&state.database, state.clock.as_ref(), &token).await {
        Ok(Some(user)) => Ok((token, user)),
        Ok(None) => Err(see_other(&format!("{SIGN_IN_PATH}?error=required"))),
        Err(error) => {
            tracing::error!(%error, "session lookup failed");
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
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

#[derive(Debug, Deserialize)]
pub struct NewKeyForm {
    project_id: String,
    #[serde(default)]
    description: String,
}

pub async fn create_api_key(
    State(state): State<AppState>,
    headers: ConsoleRequest,
    Form(form): Form<NewKeyForm>,
) -> Response {
    let (token, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // The service judges who asks (not found, forbidden) and records its refusals.
    let context = context_of(&user, &headers);
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
        Err(IdentityError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
        Err(IdentityError::ReadOnly) => return back("problem", "forbidden"),
        Err(IdentityError::Invalid(_)) => return back("problem", "description"),
        Err(error) => {
            tracing::error!(%error, "API key creation failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let shown = ShownOnce::ApiKey(NewKey {
        access_key: key.access_key,
        secret_key: key.secret_key,
        project_id: key.project_id,
    });
    show_once(&state, &token, &shown).await
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    project_id: String,
    confirm: Option<String>,
}

pub async fn revoke_api_key(
    State(state): State<AppState>,
    headers: ConsoleRequest,
    Path(access_key): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let (_, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // Who asks is answered first: someone who may not revoke is refused by the service (which
    // records it) whatever the box; the box is asked only of those who may.
    let may_revoke = access(&user, &form.project_id).is_some_and(|access| access.role.can_change());
    if may_revoke && form.confirm.as_deref() != Some("yes") {
        return back("problem", "confirm");
    }
    let context = context_of(&user, &headers);
    match identity::revoke_api_key(
        &state.database,
        ChangePath::new(&state.recorded, &context),
        &form.project_id,
        &access_key,
    )
    .await
    {
        Ok(true) => back("notice", "revoked"),
        Ok(false) => back("problem", "unknown-key"),
        Err(IdentityError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(IdentityError::ReadOnly) => back("problem", "forbidden"),
        Err(error) => {
            tracing::error!(%error, "API key revocation failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    again: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: ConsoleRequest,
    Form(form): Form<PasswordForm>,
) -> Response {
    let (_, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if form.new != form.again {
        return back("problem", "password-mismatch");
    }
    let context = context_of(&user, &headers);
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
            let mut response = see_other(&format!("{SIGN_IN_PATH}?error=changed"));
            if let Ok(value) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
            )) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(IdentityError::BadCredentials) => back("problem", "password-wrong"),
        Err(IdentityError::Invalid(_)) => back("problem", "password-short"),
        Err(error) => {
            tracing::error!(%error, "password change failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// POST /settings/projects/{project}/members: an owner adds someone by email. A new account's
/// password is kept to be shown once to this owner.
pub async fn add_member(
    State(state): State<AppState>,
    headers: ConsoleRequest,
    Path(project_id): Path<String>,
    Form(form): Form<AddMemberForm>,
) -> Response {
    let (token, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let context = context_of(&user, &headers);
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
        Ok(AddedMember::Existing { .. }) => back("notice", "member-added"),
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
            show_once(&state, &token, &shown).await
        }
        Err(error) => refused(
            error,
            ("project", &project_id),
            &[("email", &form.email), ("role", &form.role)],
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// POST /settings/projects/{project}/members/{user}/role: an owner changes a member's role.
pub async fn change_member_role(
    State(state): State<AppState>,
    headers: ConsoleRequest,
    Path((project_id, member)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let (_, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let context = context_of(&user, &headers);
    match identity::change_member_role(
        &state.database,
        ChangePath::new(&state.recorded, &context),
        &project_id,
        &member,
        &form.role,
    )
    .await
    {
        Ok(()) => back("notice", "role-changed"),
        Err(error) => refused(error, ("member", &member), &[]),
    }
}

#[derive(Debug, Deserialize)]
pub struct RemoveMemberForm {
    confirm: Option<String>,
}

/// POST /settings/projects/{project}/members/{user}/remove: an owner removes a member, once
/// the confirmation box is ticked.
pub async fn remove_member(
    State(state): State<AppState>,
    headers: ConsoleRequest,
    Path((project_id, member)): Path<(String, String)>,
    Form(form): Form<RemoveMemberForm>,
) -> Response {
    let (_, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // Who asks is answered first (not found, owners only: the service refuses and records
    // it whatever the box); the box is asked only of an owner.
    let owner =
        access(&user, &project_id).is_some_and(|access| access.role == identity::Role::Owner);
    if owner && form.confirm.as_deref() != Some("yes") {
        return back("problem", "confirm");
    }
    let context = context_of(&user, &headers);
    match identity::remove_member(
        &state.database,
        ChangePath::new(&state.recorded, &context),
        &project_id,
        &member,
    )
    .await
    {
        Ok(()) => back("notice", "member-removed"),
        Err(error) => refused(error, ("member", &member), &[]),
    }
}

#[derive(Debug, Deserialize)]
pub struct NewProjectForm {
    #[serde(default)]
    organization_id: String,
    #[serde(default)]
    name: String,
}

/// POST /settings/projects: an owner of a project of the organization creates another one there.
pub async fn create_project(
    State(state): State<AppState>,
    headers: ConsoleRequest,
    Form(form): Form<NewProjectForm>,
) -> Response {
    let (_, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let context = context_of(&user, &headers);
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
        Ok(_) => back("notice", "project-created"),
        Err(error) => refused(
            error,
            ("organization", &form.organization_id),
            &[("name", &form.name)],
        ),
    }
}
