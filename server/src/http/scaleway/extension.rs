//! Wheelhouse's extension API under `/api/v1/` (what Scaleway's k8s API lacks), with the same
//! authentication (`X-Auth-Token`), body limits and error bodies as the Scaleway API: upgrade
//! pre-flight, plan, start (with an override reason), and progress. Its OpenAPI document
//! (`/api/openapi.json`) is generated from these handlers and the services' types.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{ok, ApiCaller, ApiResult, Body, Params};
use crate::domain::ids::{ClusterId, PoolId};
use crate::domain::model::RolloutControl;
use crate::domain::DomainError;
use crate::services::freshness::timeline::TimelineEntry;
use crate::services::freshness::FreshnessReport;
use crate::services::maintenance::{Exclusion, ExclusionScope, MaintenanceWindow};
use crate::services::upgrade::{
    plan, preflight, Assessment, NodeProgress, PoolProgress, RollbackScope, Starter,
    UpgradeProgress, UpgradeRequest, UpgradeRun,
};
use crate::state::AppState;

// The schemas below state the bounds the services enforce. utoipa's `minimum`, `maximum`,
// `max_length`… take literals only, so each literal names the rule it copies, and the
// `openapi` integration tests hold them together: every bound equals the service's constant,
// and the API accepts the bound and refuses one past it.

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
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-pause",
            post(pause),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-resume",
            post(resume),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-abort",
            post(abort),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/rollback-preflight",
            get(rollback_preflight),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/rollbacks",
            post(rollback),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/freshness",
            get(freshness),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-window",
            put(set_window),
        )
        .route(
            "/api/v1/regions/{region}/pools/{pool_id}/lifespan",
            put(set_lifespan),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-exclusions",
            post(add_exclusion),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-timeline",
            get(maintenance_timeline),
        )
        .route(
            "/api/v1/regions/{region}/pools/{pool_id}/autohealing",
            put(set_autohealing),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-exclusions/{exclusion_id}",
            axum::routing::delete(remove_exclusion),
        )
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-timeline",
    tag = "node freshness",
    description = "The next 30 days: the window's openings, exclusions, planned node replacements and the next patch auto-upgrade; with `?format=ics`, as an iCalendar file.",
    params(Where),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn maintenance_timeline(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    params: Params,
) -> ApiResult {
    if params.get("format").map(String::as_str) == Some("ics") {
        let (_, body) = crate::console::maintenance::ical(&state, &caller, &region, &id).await?;
        return Ok(axum::response::IntoResponse::into_response((
            [(
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8",
            )],
            body,
        )));
    }
    let report = state.freshness().report(&caller, &region, &id).await?;
    ok(json!(crate::services::freshness::timeline::timeline(
        &report,
        state.clock.now()
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AutohealingBody {
    /// Reboot a node NotReady for 15 minutes, replace it at 30 (Scaleway's pool `autohealing`).
    enabled: bool,
    /// Stop for the pool when more than this share of it (1–100 %, default 30) is unhealthy.
    // 1..=100: `FreshnessService::set_autohealing`.
    #[serde(default = "default_cap")]
    #[schema(minimum = 1, maximum = 100, default = default_cap)]
    cap_percent: u32,
}

fn default_cap() -> u32 {
    crate::services::freshness::autoheal::DEFAULT_CAP_PERCENT
}

#[utoipa::path(
    put,
    path = "/api/v1/regions/{region}/pools/{pool_id}/autohealing",
    tag = "node freshness",
    description = "Turns a pool's autohealing on or off and sets its cap: past it, autohealing stops for the pool and says so instead of replacing everything.",
    params(("region" = String, Path), ("pool_id" = String, Path)),
    request_body = AutohealingBody,
    responses((status = 200), (status = 400, body = ErrorBody, description = "A cap outside 1–100 %"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn set_autohealing(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<AutohealingBody>::parse(&body)?;
    state
        .freshness()
        .set_autohealing(&caller, &region, &pool_id, input.enabled, input.cap_percent)
        .await?;
    ok(json!({ "enabled": input.enabled, "cap_percent": input.cap_percent }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExclusionBody {
    starts_at: chrono::DateTime<chrono::Utc>,
    /// After `starts_at`, in the future, at most 90 days later.
    ends_at: chrono::DateTime<chrono::Utc>,
    scope: ExclusionScope,
    /// Why (at most 200 characters), shown wherever the exclusion holds something.
    // 200: `Exclusion::validated`.
    #[serde(default)]
    #[schema(max_length = 200, default = "")]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-exclusions",
    tag = "node freshness",
    description = "Adds a maintenance exclusion: no_upgrades, no_minor_upgrades or no_node_replacement between two instants. Node lifespans, patch auto-upgrades and the upgrade pre-flight respect it.",
    params(Where),
    request_body = ExclusionBody,
    responses((status = 200, body = Exclusion), (status = 400, body = ErrorBody, description = "An invalid range or scope"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn add_exclusion(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<ExclusionBody>::parse(&body)?;
    let exclusion = Exclusion {
        id: String::new(),
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        scope: input.scope,
        reason: input.reason,
    };
    ok(json!(
        state
            .maintenance()
            .add_exclusion(&caller, &region, &id, exclusion)
            .await?
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-exclusions/{exclusion_id}",
    tag = "node freshness",
    description = "Removes a maintenance exclusion.",
    params(("region" = String, Path), ("cluster_id" = String, Path), ("exclusion_id" = String, Path)),
    responses((status = 200), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn remove_exclusion(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id, exclusion_id)): Path<(String, ClusterId, String)>,
) -> ApiResult {
    state
        .maintenance()
        .remove_exclusion(&caller, &region, &id, &exclusion_id)
        .await?;
    ok(json!({}))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/freshness",
    tag = "node freshness",
    description = "The cluster's maintenance window, each pool's node lifespan, each node's expiry (and why an overdue node waits), the replacements planned for the next 30 days and those a lifespan started.",
    params(Where),
    responses((status = 200, body = FreshnessReport), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn freshness(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(json!(
        state.freshness().report(&caller, &region, &id).await?
    ))
}

/// A maintenance window as a request sets it (the service's `MaintenanceWindow`, with the
/// bounds `MaintenanceWindow::validated` enforces).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WindowBody {
    /// The days it opens, at least one: weekday names, or `any` for all seven (case and
    /// surrounding blanks do not matter).
    #[schema(value_type = Vec<WindowDay>, min_items = 1)]
    days: Vec<String>,
    /// The hour it opens, 0–23 UTC.
    // 0..=23: `MaintenanceWindow::validated`.
    #[schema(minimum = 0, maximum = 23)]
    start_hour: u32,
    /// How long it stays open, 2–24 hours.
    // MIN_DURATION_HOURS..=24: `MaintenanceWindow::validated`.
    #[schema(minimum = 2, maximum = 24)]
    duration_hours: u32,
}

/// A day a maintenance window opens on: a weekday, or `any` for every day.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // the body reads strings (the service checks them); this is their shape
enum WindowDay {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
    Any,
}

#[utoipa::path(
    put,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/maintenance-window",
    tag = "node freshness",
    description = "Sets the cluster's maintenance window (weekdays, start hour UTC, 2 to 24 hours): node replacements for lifespan happen only inside it.",
    params(Where),
    request_body = WindowBody,
    responses((status = 200, body = MaintenanceWindow), (status = 400, body = ErrorBody, description = "An invalid window (the field is named)"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn set_window(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<WindowBody>::parse(&body)?;
    let window = MaintenanceWindow {
        days: input.days,
        start_hour: input.start_hour,
        duration_hours: input.duration_hours,
    };
    ok(json!(
        state
            .maintenance()
            .set_window(&caller, &region, &id, window)
            .await?
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LifespanBody {
    /// Days (1–365; 30 recommended) after which a node is replaced in the maintenance window;
    /// null (or leaving it out) turns the lifespan off.
    // MIN_MAX_NODE_AGE_DAYS..=MAX_MAX_NODE_AGE_DAYS: `FreshnessService::set_lifespan`.
    #[schema(minimum = 1, maximum = 365, default = json!(null))]
    max_node_age_days: Option<u32>,
}

#[utoipa::path(
    put,
    path = "/api/v1/regions/{region}/pools/{pool_id}/lifespan",
    tag = "node freshness",
    description = "Sets a pool's node lifespan: older nodes are replaced surge first, inside the cluster's maintenance window, within the pool's max_surge and its PodDisruptionBudgets, staggered, never during an upgrade.",
    params(("region" = String, Path), ("pool_id" = String, Path)),
    request_body = LifespanBody,
    responses((status = 200, body = LifespanBody), (status = 400, body = ErrorBody, description = "Out of 1–365 days"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody, description = "An external pool")),
    security(("X-Auth-Token" = [])),
)]
async fn set_lifespan(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, pool_id)): Path<(String, PoolId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<LifespanBody>::parse(&body)?;
    let days = state
        .freshness()
        .set_lifespan(&caller, &region, &pool_id, input.max_node_age_days)
        .await?;
    ok(json!({ "max_node_age_days": days }))
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

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-preflight",
    tag = "upgrades",
    description = "The upgrade pre-flight: one verdict from checks that each carry their evidence and a recommendation.",
    params(Where, Target),
    responses(
        (status = 200, body = preflight::PreflightReport),
        (status = 400, body = ErrorBody, description = "`version` is missing (an impossible version is a NO-GO with the reason)"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody, description = "No cluster of the key's project has this id"),
    ),
    security(("X-Auth-Token" = [])),
)]
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

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-plan",
    tag = "upgrades",
    description = "The plan: control plane, then each pool's waves, with duration estimates, the changelog and what changes on the user's side.",
    params(Where, Target),
    responses(
        (status = 200, body = plan::UpgradePlan),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody),
    ),
    security(("X-Auth-Token" = [])),
)]
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

// No `#[serde(default)]` on the container: utoipa would then document every field's
// `Default` value (a `null` default for the required `version`). A missing `Option` field is
// `None` all the same.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// Required: the version to upgrade to, e.g. 1.35.1.
    // Read as an `Option` so that a missing or blank version gets the API's own refusal.
    #[schema(required = true, nullable = false, value_type = String)]
    #[schema(min_length = 1, pattern = r"\S")]
    version: Option<String>,
    /// The pools follow the control plane (default true).
    #[schema(default = true)]
    upgrade_pools: Option<bool>,
    /// An owner's written reason to start despite a NO-GO (at most 1,000 characters; recorded).
    // OVERRIDE_REASON_MAX: `checked_override` in the upgrade service.
    #[schema(max_length = 1000)]
    override_reason: Option<String>,
    /// Minor upgrades only: days (0–7, default 0) the control plane keeps the previous minor's
    /// behaviour, during which the cluster can be rolled back.
    // 0..=SOAK_DAYS_MAX: `UpgradeService::start`.
    #[schema(minimum = 0, maximum = 7, default = 0)]
    soak_days: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/upgrades",
    tag = "upgrades",
    description = "Starts an upgrade after the same pre-flight. A NO-GO is refused with 412 and its reasons, unless `override_reason` is given (never over the project's node quota).",
    params(Where),
    request_body = StartBody,
    responses(
        (status = 200, body = Started),
        (status = 400, body = ErrorBody, description = "An invalid target or body"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The cluster is busy with another change"),
        (status = 412, body = ErrorBody, description = "The pre-flight says NO-GO; `help_message` lists the blocking checks"),
    ),
    security(("X-Auth-Token" = [])),
)]
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
                soak_days: input.soak_days.unwrap_or(0),
            },
            &starter,
        )
        .await?;
    ok(json!({ "upgrade": run, "cluster": super::views::cluster(&cluster) }))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-progress",
    tag = "upgrades",
    description = "Where the latest upgrade stands: the control plane, each pool and each node.",
    params(Where),
    responses((status = 200, body = UpgradeProgress), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn progress(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(json!(
        state.upgrades().progress(&caller, &region, &id).await?
    ))
}

async fn control(
    state: &AppState,
    caller: &crate::domain::model::Caller,
    region: &str,
    id: &ClusterId,
    control: RolloutControl,
) -> ApiResult {
    ok(json!(
        state
            .upgrades()
            .control(caller, region, id, control)
            .await?
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-pause",
    tag = "upgrades",
    description = "Pauses the latest upgrade before its next wave (the wave under way finishes).",
    params(Where),
    responses((status = 200, body = UpgradeRun), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody, description = "No upgrade is rolling out, or the provider cannot pause")),
    security(("X-Auth-Token" = [])),
)]
async fn pause(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    control(&state, &caller, &region, &id, RolloutControl::Pause).await
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-resume",
    tag = "upgrades",
    description = "Resumes a paused upgrade, or carries an aborted one on with the pools it left on the previous version.",
    params(Where),
    responses((status = 200, body = UpgradeRun), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody, description = "Nothing to resume")),
    security(("X-Auth-Token" = [])),
)]
async fn resume(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    control(&state, &caller, &region, &id, RolloutControl::Resume).await
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/upgrade-abort",
    tag = "upgrades",
    description = "Aborts the latest upgrade after the wave under way: nothing is left half-drained; replaced nodes keep the new version, the others theirs.",
    params(Where),
    responses((status = 200, body = UpgradeRun), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody, description = "No upgrade is rolling out, or the provider cannot abort")),
    security(("X-Auth-Token" = [])),
)]
async fn abort(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    control(&state, &caller, &region, &id, RolloutControl::Abort).await
}

/// What a rollback moves: the cluster (pools, then control plane) or, with `pool_id`, one pool.
fn rollback_scope(pool_id: Option<&str>) -> RollbackScope {
    match pool_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => RollbackScope::Pool(PoolId::from(id.to_string())),
        None => RollbackScope::Cluster,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/rollback-preflight",
    tag = "upgrades",
    description = "The pre-flight and plan of going back to the version before the latest upgrade: the cluster (pools first, then the control plane) during the upgrade's soak period, or with `pool_id` one pool after an aborted or failed pool upgrade. When it may not happen, the `rollback` check says why and the plan is empty.",
    params(Where, RollbackQuery),
    responses(
        (status = 200, body = Assessment),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody, description = "No cluster (or pool) of the key's project has this id"),
    ),
    security(("X-Auth-Token" = [])),
)]
async fn rollback_preflight(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    params: Params,
) -> ApiResult {
    let scope = rollback_scope(params.get("pool_id").map(String::as_str));
    ok(json!(
        state
            .upgrades()
            .assess_rollback(&caller, &region, &id, &scope)
            .await?
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    /// One pool to roll back on its own; without it, the cluster.
    pool_id: Option<String>,
    /// An owner's written reason to start despite a NO-GO (at most 1,000 characters; recorded).
    // OVERRIDE_REASON_MAX: `checked_override` in the upgrade service.
    #[schema(max_length = 1000)]
    override_reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/rollbacks",
    tag = "upgrades",
    description = "Starts a rollback after its pre-flight; its progress is the upgrade progress (the latest run). Refused with 412 when it may not happen (no soak period, soak ended, nothing to roll back, a provider without rollback) or on a NO-GO without `override_reason`.",
    params(Where),
    request_body = RollbackBody,
    responses(
        (status = 200, body = UpgradeRun),
        (status = 400, body = ErrorBody, description = "An invalid body"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The cluster is busy with another change"),
        (status = 412, body = ErrorBody, description = "The rollback may not happen, or its pre-flight says NO-GO"),
    ),
    security(("X-Auth-Token" = [])),
)]
async fn rollback(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<RollbackBody>::parse(&body)?;
    let starter = Starter {
        name: format!("api-key {}", caller.access_key),
        may_override: true,
    };
    let scope = rollback_scope(input.pool_id.as_deref());
    ok(json!(
        state
            .upgrades()
            .rollback(
                &caller,
                &region,
                &id,
                &scope,
                input.override_reason.as_deref(),
                &starter
            )
            .await?
    ))
}

/// What a rollback pre-flight is about.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read from `Params`; here for the document
struct RollbackQuery {
    /// One pool to roll back on its own; without it, the cluster.
    pool_id: Option<String>,
}

/// The cluster a call is about.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // read by axum's Path extractor as a tuple; here for the document
struct Where {
    /// fr-par, nl-ams or pl-waw.
    region: String,
    cluster_id: String,
}

/// The target of a pre-flight or plan.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read from `Params`; here for the document
struct Target {
    /// The version to upgrade to, e.g. 1.35.1.
    #[param(min_length = 1, pattern = r"\S")]
    version: String,
    /// The pools follow the control plane (default true).
    #[param(default = true)]
    upgrade_pools: Option<bool>,
}

/// An upgrade that started, and the cluster as the provider now reports it (Scaleway's view).
#[derive(ToSchema)]
#[allow(dead_code)] // the handler answers with `json!`; this is its shape
struct Started {
    upgrade: UpgradeRun,
    #[schema(value_type = Object)]
    cluster: Value,
}

/// Scaleway's error body: `type` and `message`, with `help_message` or `details` when there is
/// more to say.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(super) struct ErrorBody {
    #[schema(rename = "type")]
    kind: String,
    message: String,
    help_message: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    details: Option<Value>,
}

struct AuthToken;

impl Modify for AuthToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "X-Auth-Token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Auth-Token",
                "The secret key of an API key of the cluster's project",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wheelhouse extension API",
        version = "1",
        description = "What Scaleway's k8s v1 API lacks, with the same authentication and errors."
    ),
    paths(
        preflight,
        plan,
        start,
        progress,
        pause,
        resume,
        abort,
        rollback_preflight,
        rollback,
        freshness,
        set_window,
        set_lifespan,
        add_exclusion,
        remove_exclusion,
        maintenance_timeline,
        set_autohealing,
        super::audit::public_key,
        super::audit::list_entries,
        super::audit::get_entry,
        super::audit::export,
        super::audit::latest_checkpoint,
        super::audit::checkpoint_now,
        super::alerts::list_alerts,
        super::alerts::get_alert,
        super::alerts::acknowledge,
        super::alerts::cluster_alerts,
        super::alerts::check_cluster,
        super::alerts::list_silences,
        super::alerts::add_silence,
        super::alerts::end_silence
    ),
    components(schemas(
        preflight::PreflightReport,
        preflight::PreflightCheck,
        preflight::Verdict,
        preflight::CheckStatus,
        plan::UpgradePlan,
        plan::PlanStep,
        plan::Wave,
        plan::ChangelogEntry,
        UpgradeRun,
        UpgradeProgress,
        PoolProgress,
        NodeProgress,
        StartBody,
        Started,
        Assessment,
        RollbackBody,
        FreshnessReport,
        MaintenanceWindow,
        WindowBody,
        WindowDay,
        LifespanBody,
        ExclusionBody,
        AutohealingBody,
        crate::services::freshness::UnhealthyNode,
        crate::services::freshness::autoheal::CapReached,
        TimelineEntry,
        crate::services::freshness::AutoUpgrade,
        Exclusion,
        ExclusionScope,
        crate::services::freshness::PoolLifespan,
        crate::services::freshness::NodeExpiry,
        crate::services::freshness::PlannedReplacement,
        crate::services::freshness::LifespanReplacement,
        super::audit::AuditEntryView,
        super::audit::AuditEntries,
        super::audit::SignedCheckpointView,
        super::audit::ProvenEntryView,
        super::audit::PublicKeyView,
        super::alerts::AlertList,
        super::alerts::SilenceList,
        super::alerts::AcknowledgeBody,
        crate::services::alerts::Alert,
        crate::services::alerts::Acknowledgement,
        crate::services::alerts::Evidence,
        crate::services::alerts::EvidenceEvent,
        crate::services::alerts::EvidenceComponent,
        crate::services::alerts::EvidenceAuditEntry,
        crate::services::alerts::Silence,
        crate::services::alerts::SilenceRequest,
        crate::services::alerts::AlertTarget,
        crate::services::alerts::Recommendation,
        crate::services::alerts::Severity,
        crate::services::alerts::Owner,
        ErrorBody
    )),
    modifiers(&AuthToken)
)]
struct ExtensionApi;

/// GET /api/openapi.json (public: it describes, it serves nothing).
pub async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    let mut document = ExtensionApi::openapi();
    document.merge(<super::restore::RestoreApi as OpenApi>::openapi());
    Json(document)
}
