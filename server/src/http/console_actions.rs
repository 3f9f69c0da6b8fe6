//! What the console's cluster pages do besides reading: plain form posts and downloads that
//! work without JavaScript, each answering with a redirect back to the page and the outcome in
//! its query (`notice` or `problem`). Every one resolves the session, finds the project that
//! owns the cluster among the person's, and checks the role before calling the service.

use app::model::cluster::cluster_path;
use app::model::identity::{SESSION_COOKIE, SIGN_IN_PATH};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::session::cookie;
use super::AppState;
use crate::domain::ids::{ClusterId, NodeId};
use crate::domain::model::Caller;
use crate::domain::DomainError;
use crate::services::identity::{self, ProjectAccess};

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// The person's access to the project owning the cluster; `None` when they have none (the
/// cluster is then "not found" for them, as any stranger's).
pub async fn access_to_cluster(
    state: &AppState,
    headers: &HeaderMap,
    region: &str,
    cluster_id: &str,
) -> Result<Option<(Caller, ProjectAccess)>, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(see_other(&format!("{SIGN_IN_PATH}?error=required")));
    };
    let user = match identity::session_user(&state.database, state.clock.as_ref(), &token).await {
        Ok(Some(user)) => user,
        Ok(None) => return Err(see_other(&format!("{SIGN_IN_PATH}?error=required"))),
        Err(error) => {
            tracing::error!(%error, "session lookup failed");
            return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
        }
    };
    let owner = state.service.owner_of(cluster_id).await.map_err(|error| {
        tracing::error!(%error, "owner lookup failed");
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })?;
    let Some((project_id, owner_region)) = owner else {
        return Ok(None);
    };
    if owner_region != region {
        return Ok(None);
    }
    Ok(user
        .projects
        .into_iter()
        .find(|access| access.project_id == project_id)
        .map(|access| {
            (
                Caller {
                    project_id: access.project_id.clone(),
                    organization_id: access.organization_id.clone(),
                    access_key: String::new(),
                },
                access,
            )
        }))
}

#[derive(Debug, Deserialize)]
pub struct NodeActionForm {
    action: String,
    confirm: Option<String>,
}

/// POST /clusters/{region}/{id}/nodes/{node_id}: reboot or replace, after the confirmation box.
pub async fn node_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((region, cluster_id, node_id)): Path<(String, String, String)>,
    Form(form): Form<NodeActionForm>,
) -> Response {
    let back = format!("{}/nodes", cluster_path(&region, &cluster_id));
    let (caller, access) = match access_to_cluster(&state, &headers, &region, &cluster_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(response) => return response,
    };
    if !access.role.can_change() {
        return see_other(&format!("{back}?problem=forbidden"));
    }
    if form.confirm.as_deref() != Some("yes") {
        return see_other(&format!("{back}?problem=confirm"));
    }
    let node_id = NodeId::from(node_id);
    // The node must be this cluster's: the service checks the project, this the cluster.
    match state.service.get_node(&caller, &region, &node_id).await {
        Ok(node) if node.cluster_id == cluster_id => {}
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    let outcome = match form.action.as_str() {
        "reboot" => state
            .service
            .reboot_node(&caller, &region, &node_id)
            .await
            .map(|_| "rebooting"),
        "replace" => state
            .service
            .replace_node(&caller, &region, &node_id)
            .await
            .map(|_| "replacing"),
        _ => return (StatusCode::BAD_REQUEST, "unknown node action").into_response(),
    };
    match outcome {
        Ok(notice) => see_other(&format!("{back}?notice={notice}")),
        Err(DomainError::TransientState { .. }) => see_other(&format!("{back}?problem=busy")),
        Err(DomainError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::warn!(%error, "a node action was refused");
            see_other(&format!("{back}?problem=refused"))
        }
    }
}

/// GET /clusters/{region}/{id}/kubeconfig: the file, for the person's own clusters.
pub async fn kubeconfig(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((region, cluster_id)): Path<(String, String)>,
) -> Response {
    let (caller, _) = match access_to_cluster(&state, &headers, &region, &cluster_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(response) => return response,
    };
    match state
        .service
        .kubeconfig(&caller, &region, &ClusterId::from(cluster_id), false)
        .await
    {
        Ok(yaml) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/yaml"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"kubeconfig.yaml\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            yaml,
        )
            .into_response(),
        Err(DomainError::TransientState { .. }) => (
            StatusCode::CONFLICT,
            "the cluster is still being created: its kubeconfig comes once it is ready",
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "kubeconfig refused");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

