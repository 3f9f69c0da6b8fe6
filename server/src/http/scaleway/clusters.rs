//! Clusters and what hangs off a cluster: upgrade, type, versions and types it may move to,
//! kubeconfig, admin token, and the ACL rules of its API server.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::{
    bool_param, file_response, list_order, ok, pagination, status_filter, views, ApiCaller,
    ApiResult, Body, Params,
};
use crate::domain::ids::{AclRuleId, ClusterId};
use crate::domain::input;
use crate::domain::listing;
use crate::domain::model::ClusterStatus;
use crate::domain::requests::{AclRuleInput, ClusterChanges, ClusterQuery, NewCluster};
use crate::domain::DomainError;
use crate::services::upgrade::{Starter, UpgradeRequest};
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/k8s/v1/regions/{region}/clusters",
            get(list_clusters).post(create_cluster),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}",
            get(get_cluster)
                .patch(update_cluster)
                .delete(delete_cluster),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/upgrade",
            post(upgrade_cluster),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/set-type",
            post(set_cluster_type),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/available-versions",
            get(available_versions),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/available-types",
            get(available_types),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/kubeconfig",
            get(kubeconfig),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/reset-admin-token",
            post(reset_admin_token),
        )
        .route(
            "/k8s/v1/regions/{region}/clusters/{cluster_id}/acls",
            get(list_acls).post(add_acls).put(set_acls),
        )
        .route("/k8s/v1/regions/{region}/acls/{acl_id}", delete(delete_acl))
}

async fn list_clusters(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(region): Path<String>,
    Query(params): Params,
) -> ApiResult {
    let (page, page_size) = pagination(&params)?;
    let order = list_order(&params)?;
    let status = status_filter(&params, |text| ClusterStatus::parse(text).is_some())?;
    // Another project's clusters are not the caller's to list: an empty page, as Scaleway.
    if let Some(project) = params.get("project_id").filter(|p| !p.is_empty()) {
        if project != &caller.project_id {
            return ok(json!({ "clusters": [], "total_count": 0 }));
        }
    }
    let present = |name: &str| params.get(name).filter(|value| !value.is_empty()).cloned();
    let query = ClusterQuery {
        name_contains: present("name"),
        status,
        cluster_type: present("type"),
        private_network_id: present("private_network_id"),
        version: present("version"),
    };
    let listed = state
        .service
        .list_clusters(&caller, &region, &query, order, page, page_size)
        .await?;
    ok(json!({
        "clusters": listed.items.iter().map(views::cluster).collect::<Vec<_>>(),
        "total_count": listed.total_count,
    }))
}

async fn create_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let Body(spec) = Body::<NewCluster>::parse(&body)?;
    let cluster = state.service.create_cluster(&caller, &region, spec).await?;
    ok(views::cluster(&cluster))
}

async fn get_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(views::cluster(
        &state.service.get_cluster(&caller, &region, &id).await?,
    ))
}

async fn update_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(changes) = Body::<ClusterChanges>::parse(&body)?;
    ok(views::cluster(
        &state
            .service
            .update_cluster(&caller, &region, &id, changes)
            .await?,
    ))
}

async fn delete_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    Query(params): Params,
) -> ApiResult {
    let with_additional_resources = bool_param(&params, "with_additional_resources")?;
    ok(views::cluster(
        &state
            .service
            .delete_cluster(&caller, &region, &id, with_additional_resources)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpgradeClusterBody {
    version: Option<String>,
    upgrade_pools: Option<bool>,
}

async fn upgrade_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<UpgradeClusterBody>::parse(&body)?;
    let Some(version) = input.version.filter(|v| !v.is_empty()) else {
        return Err(
            DomainError::invalid("version", "required", "the version to upgrade to").into(),
        );
    };
    // The same pre-flight as the console's: a NO-GO is refused with 412 and its reasons (an
    // override with a reason is the extension API's).
    let starter = Starter {
        name: format!("api-key {}", caller.access_key),
        may_override: false,
    };
    let (_, cluster) = state
        .upgrades()
        .start(
            &caller,
            &region,
            &id,
            UpgradeRequest {
                target: &version,
                with_pools: input.upgrade_pools.unwrap_or(false),
                override_reason: None,
                soak_days: 0,
            },
            &starter,
        )
        .await?;
    ok(views::cluster(&cluster))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SetTypeBody {
    #[serde(rename = "type")]
    cluster_type: Option<String>,
}

async fn set_cluster_type(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<SetTypeBody>::parse(&body)?;
    ok(views::cluster(
        &state
            .service
            .set_cluster_type(&caller, &region, &id, input.cluster_type)
            .await?,
    ))
}

async fn available_versions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    let versions = state
        .service
        .available_versions(&caller, &region, &id)
        .await?;
    ok(
        json!({ "versions": versions.iter().map(|v| views::version(v, &region)).collect::<Vec<_>>() }),
    )
}

async fn available_types(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    let types = state.service.available_types(&caller, &region, &id).await?;
    ok(json!({
        "cluster_types": types.iter().map(|t| views::cluster_type(t, &region)).collect::<Vec<_>>(),
        "total_count": types.len(),
    }))
}

/// With `dl=1` the file itself (what the SDKs download); otherwise Scaleway's file object.
async fn kubeconfig(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    Query(params): Params,
) -> ApiResult {
    let redacted = bool_param(&params, "redacted")?;
    let yaml = state
        .service
        .kubeconfig(&caller, &region, &id, redacted)
        .await?;
    file_response(
        "kubeconfig.yaml",
        "application/octet-stream",
        yaml,
        bool_param(&params, "dl")?,
    )
}

async fn reset_admin_token(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    state
        .service
        .reset_admin_token(&caller, &region, &id)
        .await?;
    ok(json!({}))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AclBody {
    #[serde(deserialize_with = "input::objects")]
    acls: Option<Vec<AclRuleInput>>,
}

async fn list_acls(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    Query(params): Params,
) -> ApiResult {
    let (page, page_size) = pagination(&params)?;
    let rules = state.service.list_acl_rules(&caller, &region, &id).await?;
    ok(json!({
        "rules": listing::page(&rules, page, page_size).iter().map(|rule| views::acl_rule(rule, &region)).collect::<Vec<_>>(),
        "total_count": rules.len(),
    }))
}

async fn write_acls(
    state: AppState,
    caller: crate::domain::model::Caller,
    region: String,
    id: ClusterId,
    body: Bytes,
    replace: bool,
) -> ApiResult {
    let Body(input) = Body::<AclBody>::parse(&body)?;
    let rules = state
        .service
        .write_acl_rules(
            &caller,
            &region,
            &id,
            input.acls.unwrap_or_default(),
            replace,
        )
        .await?;
    ok(
        json!({ "rules": rules.iter().map(|rule| views::acl_rule(rule, &region)).collect::<Vec<_>>() }),
    )
}

async fn add_acls(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    write_acls(state, caller, region, id, body, false).await
}

async fn set_acls(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    write_acls(state, caller, region, id, body, true).await
}

async fn delete_acl(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, acl_id)): Path<(String, AclRuleId)>,
) -> ApiResult {
    state
        .service
        .delete_acl_rule(&caller, &region, &acl_id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
