//! The Scaleway-compatible Kubernetes API (`/k8s/v1/regions/{region}/…`): same paths, verbs,
//! JSON fields, enums, pagination and errors as Scaleway's k8s v1, so its SDKs work unchanged.
//! Handlers are thin: authenticate, parse, call one domain service, render the view.

mod error;
mod views;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

pub use error::ApiError;

/// RFC 3339 with whole seconds, as Kubernetes writes times.
pub fn timestamp_seconds(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

use super::AppState;
use crate::domain::catalog;
use crate::domain::clusters::{AclRuleInput, ClusterChanges, NewCluster};
use crate::domain::input;
use crate::domain::model::{
    Caller, Cluster, ClusterStatus, KubeVersionEntry, NodeStatus, PoolStatus,
};
use crate::domain::pools::{NewPool, NodeMetadataChange, PoolChanges, TaintInput};
use crate::domain::version::KubeVersion;
use crate::domain::DomainError;
use crate::store::clusters::ClusterFilter;
use crate::store::projects;

pub fn router(state: AppState) -> Router<AppState> {
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
            "/k8s/v1/regions/{region}/pools/{pool_id}/external-nodes/auth",
            post(authorize_external_node),
        )
        .route("/k8s/v1/regions/{region}/node-metadata", get(node_metadata))
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/user-data",
            get(list_user_data),
        )
        .route(
            "/k8s/v1/regions/{region}/pools/{pool_id}/user-data/{key}",
            get(get_user_data),
        )
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
        .route("/k8s/v1/regions/{region}/versions", get(list_versions))
        .route(
            "/k8s/v1/regions/{region}/versions/{version_name}",
            get(get_version),
        )
        .route(
            "/k8s/v1/regions/{region}/cluster-types",
            get(list_cluster_types),
        )
        // API clients get JSON errors, never the console's HTML 404 page.
        .route("/k8s/{*rest}", axum::routing::any(unknown_endpoint))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state, guard))
}

async fn unknown_endpoint(uri: axum::http::Uri) -> Response {
    let body = json!({
        "type": "not_found",
        "message": format!("no endpoint at {}", uri.path()),
        "resource": "endpoint",
        "resource_id": uri.path(),
    });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let body = json!({
        "type": "invalid_request_error",
        "message": format!("{method} is not allowed on {}", uri.path()),
    });
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

pub use crate::domain::access::secret_hash;

/// The authenticated caller: `X-Auth-Token` is an API key's secret, checked by [`guard`].
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(caller) => Ok(ApiCaller(caller.clone())),
            None => authenticate(parts, state).await.map(ApiCaller),
        }
    }
}

/// A JSON body; an empty body is `{}` (several Scaleway endpoints take none).
struct Body<T>(T);

impl<T: DeserializeOwned> Body<T> {
    fn parse(bytes: &Bytes) -> Result<Body<T>, ApiError> {
        Ok(Body(input::parse_body(bytes)?))
    }
}

/// The largest request body the API reads; Scaleway's requests are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Every request under `/k8s/` passes here before routing: the caller is authenticated first
/// (so a stranger learns nothing, not even which paths exist), then the body is read up to
/// [`MAX_BODY_BYTES`] and, when there is one, must be a JSON object. Handlers find the caller
/// in the request's extensions.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    // node-metadata is called by external nodes with their node secret, not an API key; its
    // handler authenticates that secret.
    let caller = if parts.uri.path().ends_with("/node-metadata") {
        None
    } else {
        match authenticate(&parts, &state).await {
            Ok(caller) => Some(caller),
            Err(error) => return error.into_response(),
        }
    };
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES) {
        return ApiError::BodyTooLarge.into_response();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::BodyTooLarge.into_response();
    };
    if let Err(error) = input::parse_body::<serde_json::Map<String, Value>>(&bytes) {
        return ApiError::from(error).into_response();
    }
    if let Some(caller) = caller {
        parts.extensions.insert(caller);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let token = parts
        .headers
        .get("x-auth-token")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Authentication {
            reason: "invalid_argument",
        })?;
    let mut conn = state.database.pool().acquire().await?;
    let caller = projects::caller_by_secret_hash(&mut conn, &secret_hash(token)).await?;
    caller.ok_or(ApiError::Authentication {
        reason: "not_found",
    })
}

type Params = Query<HashMap<String, String>>;
type ApiResult = Result<Response, ApiError>;

fn ok(value: Value) -> ApiResult {
    Ok(Json(value).into_response())
}

/// `page` (from 1) and `page_size` (1 to 100, default 50).
fn pagination(params: &HashMap<String, String>) -> Result<(i64, i64), DomainError> {
    let read = |name: &str,
                default: i64,
                range: std::ops::RangeInclusive<i64>|
     -> Result<i64, DomainError> {
        match params.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    DomainError::invalid(
                        name,
                        "constraint",
                        format!(
                            "`{text}` is not a valid {name}: use {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                }),
        }
    };
    Ok((
        read("page", 1, 1..=1_000_000)?,
        read("page_size", 50, 1..=100)?,
    ))
}

fn paginate<T: Clone>(items: &[T], page: i64, page_size: i64) -> Vec<T> {
    items
        .iter()
        .skip(((page - 1) * page_size) as usize)
        .take(page_size as usize)
        .cloned()
        .collect()
}

/// `created_at_asc` → ("created_at", ascending); refuses values the endpoint does not know.
fn order_by(params: &HashMap<String, String>) -> Result<(&'static str, bool), DomainError> {
    const FIELDS: &[&str] = &["created_at", "updated_at", "name", "status", "version"];
    let text = params
        .get("order_by")
        .map(String::as_str)
        .unwrap_or("created_at_asc");
    for field in FIELDS {
        if text == format!("{field}_asc") {
            return Ok((field, true));
        }
        if text == format!("{field}_desc") {
            return Ok((field, false));
        }
    }
    Err(DomainError::invalid(
        "order_by",
        "constraint",
        format!("unknown order `{text}`: use e.g. created_at_asc or name_desc"),
    ))
}

/// A boolean in the query string, in every spelling the SDKs send: `true`/`false` (JavaScript),
/// `True`/`False` (Python), `1`/`0`.
fn bool_param(params: &HashMap<String, String>, name: &str) -> Result<bool, DomainError> {
    match params.get(name).map(String::as_str) {
        None => Ok(false),
        Some(text) if text.eq_ignore_ascii_case("false") || text == "0" => Ok(false),
        Some(text) if text.eq_ignore_ascii_case("true") || text == "1" => Ok(true),
        Some(other) => Err(DomainError::invalid(
            name,
            "constraint",
            format!(
                "`{}` is not a boolean: use true or false",
                input::shorten(other)
            ),
        )),
    }
}

/// The `status` filter of a list: `unknown` (or none) means any; `deleted` is a valid status
/// that nothing listed has; anything else must be a status of the resource.
fn status_filter(
    params: &HashMap<String, String>,
    is_status: impl Fn(&str) -> bool,
) -> Result<Option<String>, DomainError> {
    match params.get("status").map(String::as_str) {
        None | Some("") | Some("unknown") => Ok(None),
        Some(text) if text == "deleted" || is_status(text) => Ok(Some(text.to_string())),
        Some(other) => Err(DomainError::invalid(
            "status",
            "constraint",
            format!("unknown status `{}`", input::shorten(other)),
        )),
    }
}

fn check_region(region: &str) -> Result<(), DomainError> {
    if catalog::zones_of(region).is_some() {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "region",
            "constraint",
            format!("unknown region `{region}`: use fr-par, nl-ams or pl-waw"),
        ))
    }
}

fn upgrade_available(
    cluster: &Cluster,
    versions: &[KubeVersionEntry],
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    let Ok(current) = cluster.version.parse::<KubeVersion>() else {
        return false;
    };
    versions.iter().any(|entry| {
        !entry.is_end_of_life_at(now)
            && entry
                .name
                .parse::<KubeVersion>()
                .is_ok_and(|v| current.can_upgrade_to(&v).is_ok())
    })
}

async fn cluster_json(state: &AppState, cluster: &Cluster) -> Result<Value, ApiError> {
    let versions = state.provisioning.list_versions().await?;
    Ok(views::cluster(
        cluster,
        state.provisioning.cluster_url(cluster),
        upgrade_available(cluster, &versions, state.provisioning.now()),
    ))
}

// ---- clusters ----------------------------------------------------------------------------

async fn list_clusters(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(region): Path<String>,
    Query(params): Params,
) -> ApiResult {
    check_region(&region)?;
    let (page, page_size) = pagination(&params)?;
    let (field, ascending) = order_by(&params)?;
    if let Some(project) = params.get("project_id").filter(|p| !p.is_empty()) {
        if project != &caller.project_id {
            return ok(json!({ "clusters": [], "total_count": 0 }));
        }
    }
    let status = status_filter(&params, |text| ClusterStatus::parse(text).is_some())?;
    let filter = ClusterFilter {
        project_id: caller.project_id.clone(),
        region: region.clone(),
        name_contains: params.get("name").filter(|n| !n.is_empty()).cloned(),
        status,
        cluster_type: params.get("type").filter(|t| !t.is_empty()).cloned(),
        private_network_id: params
            .get("private_network_id")
            .filter(|p| !p.is_empty())
            .cloned(),
    };
    let order = format!("{field} {}", if ascending { "ASC" } else { "DESC" });
    let (clusters, total) = state
        .provisioning
        .list_clusters(&filter, &order, page, page_size)
        .await?;
    let versions = state.provisioning.list_versions().await?;
    let now = state.provisioning.now();
    let items: Vec<Value> = clusters
        .iter()
        .map(|c| {
            views::cluster(
                c,
                state.provisioning.cluster_url(c),
                upgrade_available(c, &versions, now),
            )
        })
        .collect();
    ok(json!({ "clusters": items, "total_count": total }))
}

async fn create_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<NewCluster>::parse(&body)?;
    let cluster = state
        .provisioning
        .create_cluster(&caller, &region, input)
        .await?;
    ok(cluster_json(&state, &cluster).await?)
}

async fn get_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let cluster = state
        .provisioning
        .get_cluster(&caller, &region, &id)
        .await?;
    ok(cluster_json(&state, &cluster).await?)
}

async fn update_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(changes) = Body::<ClusterChanges>::parse(&body)?;
    let cluster = state
        .provisioning
        .update_cluster(&caller, &region, &id, changes)
        .await?;
    ok(cluster_json(&state, &cluster).await?)
}

async fn delete_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let with_additional_resources = bool_param(&params, "with_additional_resources")?;
    let cluster = state
        .provisioning
        .delete_cluster(&caller, &region, &id, with_additional_resources)
        .await?;
    ok(cluster_json(&state, &cluster).await?)
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
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<UpgradeClusterBody>::parse(&body)?;
    let cluster = state
        .provisioning
        .upgrade_cluster(
            &caller,
            &region,
            &id,
            input.version,
            input.upgrade_pools.unwrap_or(false),
        )
        .await?;
    ok(cluster_json(&state, &cluster).await?)
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
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<SetTypeBody>::parse(&body)?;
    let cluster = state
        .provisioning
        .set_cluster_type(&caller, &region, &id, input.cluster_type)
        .await?;
    ok(cluster_json(&state, &cluster).await?)
}

async fn available_versions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let versions = state
        .provisioning
        .available_versions(&caller, &region, &id)
        .await?;
    ok(
        json!({ "versions": versions.iter().map(|v| views::version(v, &region)).collect::<Vec<_>>() }),
    )
}

async fn available_types(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let types = state
        .provisioning
        .available_types(&caller, &region, &id)
        .await?;
    ok(
        json!({ "cluster_types": types.iter().map(|t| views::cluster_type(t, &region)).collect::<Vec<_>>(), "total_count": types.len() }),
    )
}

/// With `dl=1` the file itself (what the SDK downloads); otherwise Scaleway's file object.
async fn kubeconfig(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let redacted = bool_param(&params, "redacted")?;
    let (_, yaml) = state
        .provisioning
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
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    state
        .provisioning
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
    Path((region, id)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let (page, page_size) = pagination(&params)?;
    let rules = state.provisioning.acl_rules(&caller, &region, &id).await?;
    ok(
        json!({ "rules": paginate(&rules, page, page_size).iter().map(|rule| views::acl_rule(rule, &region)).collect::<Vec<_>>(), "total_count": rules.len() }),
    )
}

async fn add_acls(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<AclBody>::parse(&body)?;
    let rules = state
        .provisioning
        .write_acl_rules(&caller, &region, &id, input.acls.unwrap_or_default(), false)
        .await?;
    ok(
        json!({ "rules": rules.iter().map(|rule| views::acl_rule(rule, &region)).collect::<Vec<_>>() }),
    )
}

async fn set_acls(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<AclBody>::parse(&body)?;
    let rules = state
        .provisioning
        .write_acl_rules(&caller, &region, &id, input.acls.unwrap_or_default(), true)
        .await?;
    ok(
        json!({ "rules": rules.iter().map(|rule| views::acl_rule(rule, &region)).collect::<Vec<_>>() }),
    )
}

async fn delete_acl(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, acl_id)): Path<(String, String)>,
) -> ApiResult {
    state
        .provisioning
        .delete_acl_rule(&caller, &region, &acl_id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- pools -------------------------------------------------------------------------------

fn filter_and_order<T, F, K>(
    mut items: Vec<T>,
    params: &HashMap<String, String>,
    keep: F,
    key: K,
) -> Result<Vec<T>, DomainError>
where
    F: Fn(&T, &HashMap<String, String>) -> bool,
    K: Fn(&T, &str) -> String,
{
    let (field, ascending) = order_by(params)?;
    items.retain(|item| keep(item, params));
    items.sort_by(|a, b| {
        let ordering = key(a, field).cmp(&key(b, field));
        if ascending {
            ordering
        } else {
            ordering.reverse()
        }
    });
    Ok(items)
}

async fn list_pools(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let (page, page_size) = pagination(&params)?;
    let pools = state
        .provisioning
        .list_pools(&caller, &region, &cluster_id)
        .await?;
    let status = status_filter(&params, |text| PoolStatus::parse(text).is_some())?;
    let pools = filter_and_order(
        pools,
        &params,
        |pool, params| {
            params
                .get("name")
                .is_none_or(|n| pool.name.contains(n.as_str()))
                && status.as_ref().is_none_or(|s| pool.status.as_str() == s)
        },
        |pool, field| match field {
            "name" => pool.name.clone(),
            "status" => pool.status.as_str().to_string(),
            "version" => pool.version.clone(),
            "updated_at" => views::timestamp(pool.updated_at),
            _ => views::timestamp(pool.created_at),
        },
    )?;
    ok(
        json!({ "pools": paginate(&pools, page, page_size).iter().map(views::pool).collect::<Vec<_>>(), "total_count": pools.len() }),
    )
}

async fn create_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<NewPool>::parse(&body)?;
    let pool = state
        .provisioning
        .create_pool(&caller, &region, &cluster_id, input)
        .await?;
    ok(views::pool(&pool))
}

async fn get_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
) -> ApiResult {
    ok(views::pool(
        &state
            .provisioning
            .get_pool(&caller, &region, &pool_id)
            .await?,
    ))
}

async fn update_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(changes) = Body::<PoolChanges>::parse(&body)?;
    ok(views::pool(
        &state
            .provisioning
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
    Path((region, pool_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<UpgradePoolBody>::parse(&body)?;
    ok(views::pool(
        &state
            .provisioning
            .upgrade_pool(&caller, &region, &pool_id, input.version)
            .await?,
    ))
}

async fn delete_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
) -> ApiResult {
    ok(views::pool(
        &state
            .provisioning
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

/// PUT set-taints: the pool's taints become exactly these (none clears them).
async fn set_pool_taints(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<TaintsBody>::parse(&body)?;
    let change = NodeMetadataChange::Taints(input.taints.unwrap_or_default());
    ok(views::pool(
        &state
            .provisioning
            .set_pool_node_metadata(&caller, &region, &pool_id, change)
            .await?,
    ))
}

async fn set_pool_startup_taints(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<TaintsBody>::parse(&body)?;
    let change = NodeMetadataChange::StartupTaints(input.startup_taints.unwrap_or_default());
    ok(views::pool(
        &state
            .provisioning
            .set_pool_node_metadata(&caller, &region, &pool_id, change)
            .await?,
    ))
}

async fn set_pool_labels(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<LabelsBody>::parse(&body)?;
    let change = NodeMetadataChange::Labels(input.labels.unwrap_or_default());
    ok(views::pool(
        &state
            .provisioning
            .set_pool_node_metadata(&caller, &region, &pool_id, change)
            .await?,
    ))
}

/// The keys of the user data given at the pool's creation.
async fn list_user_data(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
) -> ApiResult {
    let pool = state
        .provisioning
        .get_pool(&caller, &region, &pool_id)
        .await?;
    let keys: Vec<Value> = pool
        .user_data
        .keys()
        .map(|key| json!({ "key": key }))
        .collect();
    ok(json!({ "user_data": keys }))
}

/// One user data file: Scaleway's file object, or the file itself with `dl=1`.
async fn get_user_data(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id, key)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    let pool = state
        .provisioning
        .get_pool(&caller, &region, &pool_id)
        .await?;
    let content = pool
        .user_data
        .get(&key)
        .and_then(Value::as_str)
        .ok_or_else(|| DomainError::not_found("k8s_user_data", &key))?
        .to_string();
    file_response(&key, "text/plain", content, bool_param(&params, "dl")?)
}

/// Scaleway's file object `{name, content_type, content (base64)}`, or the file with `dl=1`.
fn file_response(name: &str, content_type: &str, content: String, download: bool) -> ApiResult {
    if download {
        return Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            content,
        )
            .into_response());
    }
    ok(json!({ "name": name, "content_type": content_type,
               "content": crate::base64::encode(content.as_bytes()) }))
}

/// A node secret for a machine joining an external pool, and where it registers.
async fn authorize_external_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, String)>,
) -> ApiResult {
    let secret = state
        .provisioning
        .authorize_external_node(&caller, &region, &pool_id)
        .await?;
    ok(json!({
        "node_secret_key": secret,
        "metadata_url": format!("{}/k8s/v1/regions/{region}/node-metadata", state.public_url.trim_end_matches('/')),
    }))
}

/// What an external node's agent needs to join, for the node its secret registers.
async fn node_metadata(
    State(state): State<AppState>,
    Path(region): Path<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult {
    check_region(&region)?;
    let secret = headers
        .get("x-auth-token")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|secret| !secret.is_empty())
        .ok_or(ApiError::Authentication {
            reason: "invalid_argument",
        })?;
    let registration = state
        .provisioning
        .register_external_node(&region, secret)
        .await?;
    let mut taints: Vec<Value> = registration
        .pool
        .taints
        .iter()
        .chain(&registration.pool.startup_taints)
        .map(|taint| json!({ "key": taint.key, "value": taint.value, "effect": taint.effect }))
        .collect();
    taints.dedup();
    ok(json!({
        "id": registration.node.id,
        "name": registration.node.name,
        "cluster_url": state.provisioning.cluster_url(&registration.cluster),
        "cluster_ca": crate::base64::encode(state.provisioning.api_server_ca_pem.as_bytes()),
        "credential_provider_config": "",
        "pool_version": registration.pool.version,
        "kubelet_config": "",
        "node_labels": registration.pool.labels,
        "node_taints": taints,
        "provider_id": registration.node.provider_id,
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

// ---- nodes -------------------------------------------------------------------------------

async fn list_nodes(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let (page, page_size) = pagination(&params)?;
    let nodes = state
        .provisioning
        .list_nodes(&caller, &region, &cluster_id)
        .await?;
    let status = status_filter(&params, |text| NodeStatus::parse(text).is_some())?;
    let nodes = filter_and_order(
        nodes,
        &params,
        |node, params| {
            params
                .get("pool_id")
                .is_none_or(|p| p.is_empty() || &node.pool_id == p)
                && params
                    .get("name")
                    .is_none_or(|n| node.name.contains(n.as_str()))
                && status.as_ref().is_none_or(|s| node.status.as_str() == s)
        },
        |node, field| match field {
            "name" => node.name.clone(),
            "status" => node.status.as_str().to_string(),
            "version" => node.version.clone(),
            "updated_at" => views::timestamp(node.updated_at),
            _ => views::timestamp(node.created_at),
        },
    )?;
    ok(
        json!({ "nodes": paginate(&nodes, page, page_size).iter().map(views::node).collect::<Vec<_>>(), "total_count": nodes.len() }),
    )
}

async fn get_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, String)>,
) -> ApiResult {
    ok(views::node(
        &state
            .provisioning
            .get_node(&caller, &region, &node_id)
            .await?,
    ))
}

async fn replace_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, String)>,
) -> ApiResult {
    ok(views::node(
        &state
            .provisioning
            .replace_node(&caller, &region, &node_id)
            .await?,
    ))
}

async fn reboot_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, String)>,
) -> ApiResult {
    ok(views::node(
        &state
            .provisioning
            .reboot_node(&caller, &region, &node_id)
            .await?,
    ))
}

async fn delete_node(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, node_id)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let skip_drain = bool_param(&params, "skip_drain")?;
    let replace = bool_param(&params, "replace")?;
    ok(views::node(
        &state
            .provisioning
            .delete_node(&caller, &region, &node_id, skip_drain, replace)
            .await?,
    ))
}

// ---- catalog -----------------------------------------------------------------------------

async fn list_versions(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(&region)?;
    let versions = state.provisioning.list_versions().await?;
    ok(
        json!({ "versions": versions.iter().map(|v| views::version(v, &region)).collect::<Vec<_>>() }),
    )
}

async fn get_version(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
    Path((region, name)): Path<(String, String)>,
) -> ApiResult {
    check_region(&region)?;
    let version = state
        .provisioning
        .version_entry(&name)
        .await?
        .ok_or_else(|| DomainError::not_found("k8s_version", &name))?;
    ok(views::version(&version, &region))
}

async fn list_cluster_types(
    ApiCaller(_): ApiCaller,
    Path(region): Path<String>,
    Query(params): Params,
) -> ApiResult {
    check_region(&region)?;
    let (page, page_size) = pagination(&params)?;
    let types: Vec<_> = catalog::CLUSTER_TYPES.iter().collect();
    ok(
        json!({ "cluster_types": paginate(&types, page, page_size).iter().map(|t| views::cluster_type(t, &region)).collect::<Vec<_>>(), "total_count": types.len() }),
    )
}
