//! The settings page's forms: create an API key (its secret kept to be shown once to this
//! session), revoke one, change the password. Each answers 303 back to /settings with the
//! outcome; a secret never travels in a URL.

use app::model::identity::{SESSION_COOKIE, SIGN_IN_PATH};
use app::model::settings::SETTINGS_PATH;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::session::{cookie, see_other};
use super::AppState;
use crate::services::identity::{self, IdentityError, ProjectAccess, SessionUser};

fn back(kind: &str, code: &str) -> Response {
    see_other(&format!("{SETTINGS_PATH}?{kind}={code}"))
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
    headers: HeaderMap,
    Form(form): Form<NewKeyForm>,
) -> Response {
    let (token, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match access(&user, &form.project_id) {
        None => return StatusCode::NOT_FOUND.into_response(),
        Some(access) if !access.role.can_change() => return back("problem", "forbidden"),
        Some(_) => {}
    }
    let key = match identity::create_api_key_in(
        &state.database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        &form.project_id,
        &form.description,
    )
    .await
    {
        Ok(key) => key,
        Err(IdentityError::Invalid(_)) => return back("problem", "description"),
        Err(error) => {
            tracing::error!(%error, "API key creation failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let content = format!("{}|{}|{}", key.access_key, key.secret_key, key.project_id);
    match identity::keep_to_show_once(
        &state.database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        &token,
        &content,
    )
    .await
    {
        Ok(id) => see_other(&format!("{SETTINGS_PATH}?shown={id}")),
        Err(error) => {
            tracing::error!(%error, "could not keep the new key to show it");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    project_id: String,
    confirm: Option<String>,
}

pub async fn revoke_api_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(access_key): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let (_, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match access(&user, &form.project_id) {
        None => return StatusCode::NOT_FOUND.into_response(),
        Some(access) if !access.role.can_change() => return back("problem", "forbidden"),
        Some(_) => {}
    }
    if form.confirm.as_deref() != Some("yes") {
        return back("problem", "confirm");
    }
    match identity::revoke_api_key(&state.database, &form.project_id, &access_key).await {
        Ok(true) => back("notice", "revoked"),
        Ok(false) => back("problem", "unknown-key"),
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
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let (_, user) = match signed_in(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if form.new != form.again {
        return back("problem", "password-mismatch");
    }
    match identity::change_password(
        &state.database,
        state.clock.as_ref(),
        &user.user_id,
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
