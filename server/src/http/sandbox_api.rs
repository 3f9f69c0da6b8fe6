//! The sandbox clusters' Kubernetes API servers, as far as a kubeconfig needs them: the admin
//! token authenticates (and stops working once reset), `kubectl version` and `kubectl get nodes`
//! answer from the sandbox's state. Everything else is refused as a real API server would.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::AppState;
use crate::domain::model::Cluster;
use crate::store::{clusters, nodes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/k8s/{cluster_id}/version", get(version))
        .route("/sandbox/k8s/{cluster_id}/api", get(core_versions))
        .route("/sandbox/k8s/{cluster_id}/apis", get(groups))
        .route("/sandbox/k8s/{cluster_id}/api/v1", get(core_resources))
        .route("/sandbox/k8s/{cluster_id}/api/v1/nodes", get(node_list))
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": message, "reason": reason, "code": code.as_u16() });
    (code, Json(body)).into_response()
}

/// Compares without stopping at the first differing byte.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The cluster, if the bearer token is its current admin token.
async fn authorized(
    state: &AppState,
    headers: &HeaderMap,
    cluster_id: &str,
) -> Result<Cluster, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let mut conn = state.database.pool().acquire().await.map_err(|_| {
        status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "try again",
        )
    })?;
    match clusters::get(&mut conn, cluster_id).await {
        Ok(Some(cluster)) if !token.is_empty() && same_secret(token, &cluster.admin_token) => {
            Ok(cluster)
        }
        Ok(_) => Err(status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
        )),
        Err(_) => Err(status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "try again",
        )),
    }
}

async fn version(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    let cluster = match authorized(&state, &headers, &cluster_id).await {
        Ok(cluster) => cluster,
        Err(response) => return response,
    };
    let mut parts = cluster.version.split('.');
    let (major, minor) = (parts.next().unwrap_or("1"), parts.next().unwrap_or("0"));
    Json(json!({ "major": major, "minor": minor, "gitVersion": format!("v{}", cluster.version), "platform": "linux/amd64" })).into_response()
}

async fn core_versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    Json(json!({ "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [] }))
        .into_response()
}

async fn groups(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    Json(json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": [] })).into_response()
}

async fn core_resources(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    Json(json!({ "kind": "APIResourceList", "groupVersion": "v1", "resources": [
        { "name": "nodes", "singularName": "node", "namespaced": false, "kind": "Node", "verbs": ["get", "list"], "shortNames": ["no"] }
    ] })).into_response()
}

async fn node_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    let Ok(mut conn) = state.database.pool().acquire().await else {
        return status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "try again",
        );
    };
    let Ok(list) = nodes::of_cluster(&mut conn, &cluster_id).await else {
        return status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "try again",
        );
    };
    let items: Vec<Value> = list
        .iter()
        .filter(|node| node.status.as_str() != "creating")
        .map(|node| json!({
            "metadata": { "name": node.name, "uid": node.id, "creationTimestamp": super::scaleway::timestamp_seconds(node.created_at),
                          "labels": { "k8s.scaleway.com/pool": node.pool_id } },
            "spec": { "providerID": node.provider_id, "unschedulable": node.status.as_str() == "deleting" },
            "status": {
                "conditions": [{ "type": "Ready", "status": node.conditions.get("Ready").and_then(Value::as_str).unwrap_or("Unknown") }],
                "nodeInfo": { "kubeletVersion": format!("v{}", node.version), "osImage": node.os_image },
            },
        }))
        .collect();
    Json(json!({ "kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": items }))
        .into_response()
}
