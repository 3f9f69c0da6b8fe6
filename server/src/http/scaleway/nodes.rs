//! Nodes: list, read, replace, reboot, delete.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use super::{bool_param, ok, sorted_page, status_filter, views, ApiCaller, ApiResult, Params};
use crate::domain::ids::{ClusterId, NodeId};
use crate::domain::model::NodeStatus;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/nodes",
            get(list_nodes),
        )
        .route(
            "/k8s/v1/regions/{region}/nodes/{node_id}",
            get(get_node).delete(delete_node),
        )
        .route(
            "/k8s/v1/regions/{region}/nodes/{node_id}/replace",
            post(replace_node),
        )
        .route(
            "/k8s/v1/regions/{region}/nodes/{node_id}/reboot",
            post(reboot_node),
        )
}

async fn list_nodes(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, ClusterId)>,
    Query(params): Params,
) -> ApiResult {
    let status = status_filter(&params, |text| NodeStatus::parse(text).is_some())?;
    let nodes: Vec<_> = state
        .service
        .list_nodes(&caller, &region, &cluster_id)
        .await?
        .into_iter()
        .filter(|node| {
            params
                .get("pool_id")
                .is_none_or(|pool| pool.is_empty() || &node.pool_id == pool)
                && params
                    .get("name")
                    .is_none_or(|name| node.name.contains(name.as_str()))
                && status.as_ref().is_none_or(|s| node.status.as_str() == s)
        })
        .collect();
    let (page, total) = sorted_page(nodes, &params)?;
    ok(json!({ "nodes": page.iter().map(views::node).collect::<Vec<_>>(), "total_count": total }))
}

async fn get_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, NodeId)>,
) -> ApiResult {
    ok(views::node(
        &state.service.get_node(&caller, &region, &node_id).await?,
    ))
}

async fn replace_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, NodeId)>,
) -> ApiResult {
    ok(views::node(
        &state
            .service
            .replace_node(&caller, &region, &node_id)
            .await?,
    ))
}

async fn reboot_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, NodeId)>,
) -> ApiResult {
    ok(views::node(
        &state
            .service
            .reboot_node(&caller, &region, &node_id)
            .await?,
    ))
}

async fn delete_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, NodeId)>,
    Query(params): Params,
) -> ApiResult {
    let skip_drain = bool_param(&params, "skip_drain")?;
    let replace = bool_param(&params, "replace")?;
    ok(views::node(
        &state
            .service
            .delete_node(&caller, &region, &node_id, skip_drain, replace)
            .await?,
    ))
}
