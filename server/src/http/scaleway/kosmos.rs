//! Kosmos external nodes: a node secret for a machine joining an external pool, and the
//! metadata the machine registers with (authenticated by that secret, not an API key).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use super::{ok, ApiCaller, ApiError, ApiResult};
use crate::domain::ids::PoolId;
use crate::state::AppState;

/// The path [`super::guard`] leaves to its handler's own authentication.
pub(super) const NODE_METADATA_SUFFIX: &str = "/node-metadata";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/external-nodes/auth",
            post(authorize_external_node),
        )
        .route("/k8s/v1/regions/{region}/node-metadata", get(node_metadata))
}

async fn authorize_external_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
) -> ApiResult {
    let auth = state
        .service
        .authorize_external_node(&caller, &region, &pool_id)
        .await?;
    // Registration goes through this server (its tenancy), whatever provider is behind it.
    let metadata_url = format!(
        "{}/k8s/v1/regions/{region}/node-metadata",
        state.public_url.trim_end_matches('/')
    );
    ok(json!({ "node_secret_key": auth.node_secret_key, "metadata_url": metadata_url }))
}

async fn node_metadata(
    State(state): State<AppState>,
    Path(region): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let secret = headers
        .get("x-auth-token")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|secret| !secret.is_empty())
        .ok_or(ApiError::Authentication {
            reason: "invalid_argument",
        })?;
    let metadata = state
        .service
        .external_node_metadata(&region, secret)
        .await?;
    ok(json!({
        "id": metadata.id,
        "name": metadata.name,
        "cluster_url": metadata.cluster_url,
        "cluster_ca": metadata.cluster_ca,
        "credential_provider_config": "",
        "pool_version": metadata.pool_version,
        "kubelet_config": "",
        "node_labels": metadata.node_labels,
        "node_taints": metadata.node_taints.iter().map(|t| json!({ "key": t.key, "value": t.value, "effect": t.effect })).collect::<Vec<_>>(),
        "provider_id": metadata.provider_id,
        "resolvconf_path": "/etc/resolv.conf",
        "template_args": {},
        "has_gpu": false,
        "external_ip": "",
        "repo_uri": "",
        "installer_tags": [],
        "updater_bin_url": "",
        "updater_bin_version": "",
        "updater_bin_path": "",
    }))
}
