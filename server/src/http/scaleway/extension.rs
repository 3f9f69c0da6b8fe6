//! Wheelhouse's extension API under `/api/v1/` (what Scaleway's k8s API lacks), with the same
//! authentication (`X-Auth-Token`), body limits and error bodies as the Scaleway API: upgrade
//! pre-flight, plan, start (with an override reason), and progress.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::{ok, ApiCaller, ApiResult, Body, Params};
use crate::domain::ids::ClusterId;
use crate::domain::DomainError;
use crate::http::AppState;
use crate::services::upgrade::{Starter, UpgradeRequest};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-preflight",
            get(preflight),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-plan",
            get(plan),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/upgrades",
            post(start),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-progress",
            get(progress),
        )
}

/// `version` (required) and `upgrade_pools` (default true) from the query.
fn target(params: &Params) -> Result<(String, bool), DomainError> {
    let version = params
        .get("version")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            DomainError::invalid(
                "version",
                "required",
                "the version to upgrade to, e.g. 1.35.1",
            )
        })?;
    let with_pools = match params.get("upgrade_pools").map(String::as_str) {
        None | Some("") => true,
        Some(_) => super::bool_param(params, "upgrade_pools")?,
    };
    Ok((version, with_pools))
}

async fn preflight(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    params: Params,
) -> ApiResult {
    let (version, with_pools) = target(&params)?;
    let assessment = state
        .upgrades()
        .assess(&caller, &region, &id, &version, with_pools)
        .await?;
    ok(json!(assessment.preflight))
}

async fn plan(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    params: Params,
) -> ApiResult {
    let (version, with_pools) = target(&params)?;
    let assessment = state
        .upgrades()
        .assess(&caller, &region, &id, &version, with_pools)
        .await?;
    ok(json!(assessment.plan))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct StartBody {
    version: Option<String>,
    upgrade_pools: Option<bool>,
    override_reason: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<StartBody>::parse(&body)?;
    let version = input
        .version
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            DomainError::invalid(
                "version",
                "required",
                "the version to upgrade to, e.g. 1.35.1",
            )
        })?;
    // An API key acts for its whole project, as its owner would.
    let starter = Starter {
        name: format!("api-key {}", caller.access_key),
        may_override: true,
    };
    let (run, cluster) = state
        .upgrades()
        .start(
            &caller,
            &region,
            &id,
            UpgradeRequest {
                target: version.trim(),
                with_pools: input.upgrade_pools.unwrap_or(true),
                override_reason: input.override_reason.as_deref(),
            },
            &starter,
        )
        .await?;
    ok(json!({ "upgrade": run, "cluster": super::views::cluster(&cluster) }))
}

async fn progress(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(json!(
        state.upgrades().progress(&caller, &region, &id).await?
    ))
}
