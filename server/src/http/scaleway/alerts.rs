//! Alerts on the extension API: a project's API key lists its clusters' alerts (or one
//! cluster's), reads one with its evidence and recommendation, re-checks a cluster now,
//! acknowledges an alert with a note, and silences alerts by matchers for a while (and ends a
//! silence). Each acknowledgement and silence is recorded in the audit log.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::extension::ErrorBody;
use super::{ok, ApiCaller, ApiResult, Body};
use crate::domain::ids::ClusterId;
use crate::services::alerts::{Alert, AlertQuery, Silence, SilenceRequest};
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/{alert_id}", get(get_alert))
        .route("/api/v1/alerts/{alert_id}/acknowledge", post(acknowledge))
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/alerts",
            get(cluster_alerts),
        )
        .route(
            "/api/v1/regions/{region}/clusters/{cluster_id}/alerts/check",
            post(check_cluster),
        )
        .route("/api/v1/silences", get(list_silences).post(add_silence))
        .route("/api/v1/silences/{silence_id}", delete(end_silence))
}

/// A list of alerts: open ones first (firing, then pending), then the newest.
#[derive(Serialize, ToSchema)]
pub struct AlertList {
    pub total_count: usize,
    pub alerts: Vec<Alert>,
}

#[derive(Serialize, ToSchema)]
pub struct SilenceList {
    pub total_count: usize,
    pub silences: Vec<Silence>,
}

/// Why an alert is acknowledged.
#[derive(Deserialize, ToSchema)]
pub struct AcknowledgeBody {
    /// What is being done about it (1 to 500 characters).
    #[schema(min_length = 1, max_length = 500)]
    pub note: String,
}

fn alert_list(alerts: Vec<Alert>) -> ApiResult {
    ok(json!(AlertList {
        total_count: alerts.len(),
        alerts,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    description = "The alerts of the key's project, every cluster's and the project's own: open ones first.",
    params(AlertQuery),
    responses((status = 200, body = AlertList), (status = 400, body = ErrorBody, description = "A state that is not one"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token")),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn list_alerts(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<AlertQuery>,
) -> ApiResult {
    alert_list(
        state
            .alerts()
            .project_alerts(std::slice::from_ref(&caller.project_id), &query)
            .await?,
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/alerts/{alert_id}",
    tag = "alerts",
    description = "One alert, with the evidence frozen when it fired and its recommendation.",
    params(("alert_id" = String, Path)),
    responses((status = 200, body = Alert), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody, description = "No such alert in the key's project")),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn get_alert(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(alert_id): Path<String>,
) -> ApiResult {
    ok(json!(state.alerts().alert(&caller, &alert_id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/alerts/{alert_id}/acknowledge",
    tag = "alerts",
    description = "Acknowledges an alert with a note saying what is being done (recorded in the audit log). An alert is acknowledged once.",
    params(("alert_id" = String, Path)),
    request_body = AcknowledgeBody,
    responses((status = 200, body = Alert), (status = 400, body = ErrorBody, description = "No note, or a note past 500 characters"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody, description = "Already acknowledged")),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn acknowledge(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(alert_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<AcknowledgeBody>::parse(&body)?;
    ok(json!(
        state
            .alerts()
            .acknowledge(&caller, &alert_id, &input.note)
            .await?
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/alerts",
    tag = "alerts",
    description = "A cluster's alerts: open ones first.",
    params(("region" = String, Path), ("cluster_id" = String, Path), AlertQuery),
    responses((status = 200, body = AlertList), (status = 400, body = ErrorBody, description = "A state that is not one"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn cluster_alerts(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, ClusterId)>,
    Query(query): Query<AlertQuery>,
) -> ApiResult {
    alert_list(
        state
            .alerts()
            .cluster_alerts(&caller, &region, &cluster_id, &query)
            .await?,
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/alerts/check",
    tag = "alerts",
    description = "Evaluates every rule on the cluster now (as the background pass does) and answers its alerts: a condition that cleared resolves its alert at once.",
    params(("region" = String, Path), ("cluster_id" = String, Path)),
    responses((status = 200, body = AlertList), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn check_cluster(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, cluster_id)): Path<(String, ClusterId)>,
) -> ApiResult {
    alert_list(
        state
            .alerts()
            .check_cluster(&caller, &region, &cluster_id)
            .await?,
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/silences",
    tag = "alerts",
    description = "The silences of the key's project in force or to come, soonest end first.",
    responses((status = 200, body = SilenceList), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token")),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn list_silences(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult {
    let silences = state
        .alerts()
        .silences(std::slice::from_ref(&caller.project_id))
        .await?;
    ok(json!(SilenceList {
        total_count: silences.len(),
        silences,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/silences",
    tag = "alerts",
    description = "Silences the project's alerts matching every matcher given (a cluster, a rule, a severity; at least one) for 1 hour to 30 days, with a reason (recorded in the audit log). Silenced alerts are still evaluated and listed, marked silenced.",
    request_body = SilenceRequest,
    responses((status = 200, body = Silence), (status = 400, body = ErrorBody, description = "No matcher, no reason, an unknown rule or severity, or a duration out of range"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody, description = "A cluster not in the key's project")),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn add_silence(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<SilenceRequest>::parse(&body)?;
    ok(json!(state.alerts().silence(&caller, &input).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/silences/{silence_id}",
    tag = "alerts",
    description = "Ends a silence now (recorded in the audit log).",
    params(("silence_id" = String, Path)),
    responses((status = 200, body = Silence), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody, description = "Already ended")),
    security(("X-Auth-Token" = [])),
)]
pub(super) async fn end_silence(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(silence_id): Path<String>,
) -> ApiResult {
    ok(json!(
        state.alerts().expire_silence(&caller, &silence_id).await?
    ))
}
