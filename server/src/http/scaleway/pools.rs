//! Pools: create, scale, upgrade, delete, the node metadata they apply (taints, startup taints,
//! labels) and the user data given at their creation.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    bool_param, file_response, ok, sorted_page, status_filter, views, ApiCaller, ApiResult, Body,
    Params,
};
use crate::domain::ids::{ClusterId, PoolId};
use crate::domain::input;
use crate::domain::model::PoolStatus;
use crate::domain::requests::{NewPool, NodeMetadataChange, PoolChanges, TaintInput};
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/pools",
            get(list_pools).post(create_pool),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}",
            get(get_pool).patch(update_pool).delete(delete_pool),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/upgrade",
            post(upgrade_pool),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/set-taints",
            put(set_pool_taints),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/set-startup-taints",
            put(set_pool_startup_taints),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/set-labels",
            put(set_pool_labels),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/user-data",
            get(list_user_data),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/user-data/{key}",
            get(get_user_data),
        )
}

async fn list_pools(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, ClusterId)>,
    Query(params): Params,
) -> ApiResult {
    let status = status_filter(&params, |text| PoolStatus::parse(text).is_some())?;
    let pools: Vec<_> = state
        .service
        .list_pools(&caller, &region, &cluster_id)
        .await?
        .into_iter()
        .filter(|pool| {
            params
                .get("name")
                .is_none_or(|name| pool.name.contains(name.as_str()))
                && status.as_ref().is_none_or(|s| pool.status.as_str() == s)
        })
        .collect();
    let (page, total) = sorted_page(pools, &params)?;
    ok(json!({ "pools": page.iter().map(views::pool).collect::<Vec<_>>(), "total_count": total }))
}

async fn create_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(spec) = Body::<NewPool>::parse(&body)?;
    ok(views::pool(
        &state
            .service
            .create_pool(&caller, &region, &cluster_id, spec)
            .await?,
    ))
}

async fn get_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
) -> ApiResult {
    ok(views::pool(
        &state.service.get_pool(&caller, &region, &pool_id).await?,
    ))
}

async fn update_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
    body: Bytes,
) -> ApiResult {
    let Body(changes) = Body::<PoolChanges>::parse(&body)?;
    ok(views::pool(
        &state
            .service
            .update_pool(&caller, &region, &pool_id, changes)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpgradePoolBody {
    version: Option<String>,
}

async fn upgrade_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<UpgradePoolBody>::parse(&body)?;
    // The pool's part of the upgrade pre-flight runs first (412 with its reasons on NO-GO).
    ok(views::pool(
        &state
            .upgrades()
            .upgrade_pool(&caller, &region, &pool_id, input.version)
            .await?,
    ))
}

async fn delete_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
) -> ApiResult {
    ok(views::pool(
        &state
            .service
            .delete_pool(&caller, &region, &pool_id)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TaintsBody {
    #[serde(deserialize_with = "input::objects")]
    taints: Option<Vec<TaintInput>>,
    #[serde(deserialize_with = "input::objects")]
    startup_taints: Option<Vec<TaintInput>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LabelsBody {
    #[serde(deserialize_with = "input::object")]
    labels: Option<serde_json::Map<String, Value>>,
}

async fn set_node_metadata(
    state: AppState,
    caller: crate::domain::model::Caller,
    region: String,
    pool_id: PoolId,
    change: NodeMetadataChange,
) -> ApiResult {
    ok(views::pool(
        &state
            .service
            .set_pool_node_metadata(&caller, &region, &pool_id, change)
            .await?,
    ))
}

/// PUT set-taints: the pool's taints become exactly these (none clears them).
async fn set_pool_taints(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<TaintsBody>::parse(&body)?;
    let change = NodeMetadataChange::Taints(input.taints.unwrap_or_default());
    set_node_metadata(state, caller, region, pool_id, change).await
}

async fn set_pool_startup_taints(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<TaintsBody>::parse(&body)?;
    let change = NodeMetadataChange::StartupTaints(input.startup_taints.unwrap_or_default());
    set_node_metadata(state, caller, region, pool_id, change).await
}

async fn set_pool_labels(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<LabelsBody>::parse(&body)?;
    let change = NodeMetadataChange::Labels(input.labels.unwrap_or_default());
    set_node_metadata(state, caller, region, pool_id, change).await
}

/// The keys of the user data given at the pool's creation.
async fn list_user_data(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
) -> ApiResult {
    let keys = state
        .service
        .list_user_data(&caller, &region, &pool_id)
        .await?;
    ok(json!({ "user_data": keys.iter().map(|key| json!({ "key": key })).collect::<Vec<_>>() }))
}

/// One user data file: Scaleway's file object, or the file itself with `dl=1`.
async fn get_user_data(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id, key)): Path<(String, PoolId, String)>,
    Query(params): Params,
) -> ApiResult {
    let content = state
        .service
        .get_user_data(&caller, &region, &pool_id, &key)
        .await?;
    file_response(&key, "text/plain", content, bool_param(&params, "dl")?)
}
