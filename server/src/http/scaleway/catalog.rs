//! What the provider offers: Kubernetes versions and cluster types.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use super::{ok, pagination, views, ApiCaller, ApiResult, Params};
use crate::domain::listing;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/k8s/v1/regions/{region}/versions", get(list_versions))
        .route(
            "/k8s/v1/regions/{region}/versions/{version_name}",
            get(get_version),
        )
        .route(
            "/k8s/v1/regions/{region}/cluster-types",
            get(list_cluster_types),
        )
}

async fn list_versions(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
    Path(region): Path<String>,
) -> ApiResult {
    let versions = state.service.list_versions(&region).await?;
    ok(
        json!({ "versions": versions.iter().map(|v| views::version(v, &region)).collect::<Vec<_>>() }),
    )
}

async fn get_version(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
    Path((region, name)): Path<(String, String)>,
) -> ApiResult {
    ok(views::version(
        &state.service.get_version(&region, &name).await?,
        &region,
    ))
}

async fn list_cluster_types(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
    Path(region): Path<String>,
    Query(params): Params,
) -> ApiResult {
    let (page, page_size) = pagination(&params)?;
    let types = state.service.list_cluster_types(&region).await?;
    ok(json!({
        "cluster_types": listing::page(&types, page, page_size).iter().map(|t| views::cluster_type(t, &region)).collect::<Vec<_>>(),
        "total_count": types.len(),
    }))
}
