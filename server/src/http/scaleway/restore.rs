//! Restore on the extension API: a cluster's etcd snapshots, the preview of a restore of each
//! scope, its start (typed confirmation with the cluster's name), its progress, the undo (its
//! preview and start) and diagnostics. Thin: parse, call the restore service, answer. Its part
//! of the OpenAPI document is [`RestoreApi`], merged into the extension API's.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::extension::ErrorBody;
use super::{ok, ApiCaller, ApiResult, Body, Params};
use crate::domain::ids::ClusterId;
use crate::domain::restore::{
    EtcdSnapshot, ProviderRestore, RestoreChange, RestoreScope, RestoreState, RestoreStepProgress,
};
use crate::services::restore::{
    parse_scope, DiagnosticCheck, Diagnostics, Finding, Owner, RestoreAsk, RestorePreview,
    RestoreProgress, RestoreRun, SnapshotChoice, Untouched,
};
use crate::state::AppState;

const BASE: &str = "/api/v1/regions/{region}/clusters/{cluster_id}";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/etcd-snapshots"), get(snapshots))
        .route(&format!("{BASE}/restore-preview"), get(preview))
        .route(&format!("{BASE}/restores"), post(start))
        .route(&format!("{BASE}/restore-progress"), get(progress))
        .route(&format!("{BASE}/restore-undo-preview"), get(undo_preview))
        .route(&format!("{BASE}/restore-undo"), post(undo))
        .route(&format!("{BASE}/diagnostics"), get(diagnostics))
}

/// The cluster a call is about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // read by axum's Path extractor as a tuple; here for the document
struct Where {
    /// fr-par, nl-ams or pl-waw.
    region: String,
    cluster_id: String,
}

/// What a preview is about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read from `Params`; here for the document
struct PreviewQuery {
    /// system_apps, control_plane (with system apps) or etcd (with both, from a snapshot).
    scope: RestoreScope,
    /// Scope etcd: the snapshot to restore (see etcd-snapshots).
    snapshot_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// system_apps, control_plane or etcd.
    #[schema(value_type = String, required = true)]
    scope: Option<String>,
    /// Scope etcd: the snapshot to restore.
    snapshot_id: Option<String>,
    /// The cluster's name, typed to confirm.
    #[schema(required = true, value_type = String)]
    confirm_name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UndoBody {
    /// The cluster's name, typed to confirm.
    #[schema(required = true, value_type = String)]
    confirm_name: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/etcd-snapshots",
    tag = "restore",
    description = "The cluster's etcd snapshots, newest first: periodic, and one before every upgrade, rollback and restore; with time, size, reason and whether it can be restored. 412 over a provider without snapshots (Scaleway).",
    params(Where),
    responses((status = 200, body = Vec<EtcdSnapshot>), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody, description = "The provider has no snapshot API")),
    security(("X-Auth-Token" = [])),
)]
async fn snapshots(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(json!(
        state.restores().snapshots(&caller, &region, &id).await?
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/restore-preview",
    tag = "restore",
    description = "What a restore of the scope would change (each component and setting from → to; for etcd each object), what it does not touch by name (workloads, volumes, load balancers, your components and kubelet arguments), the snapshot's age and what would stop it from starting now.",
    params(Where, PreviewQuery),
    responses((status = 200, body = RestorePreview), (status = 400, body = ErrorBody, description = "An unknown scope, or a snapshot where none applies"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody, description = "The snapshot is missing or corrupt, or the provider has no restore")),
    security(("X-Auth-Token" = [])),
)]
async fn preview(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    params: Params,
) -> ApiResult {
    let scope = parse_scope(params.get("scope").map(String::as_str).unwrap_or_default())?;
    let snapshot = params
        .get("snapshot_id")
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty());
    ok(json!(
        state
            .restores()
            .preview(&caller, &region, &id, scope, snapshot)
            .await?
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/restores",
    tag = "restore",
    description = "Starts a restore after the same preview: `confirm_name` must be the cluster's name. Refused, with nothing changed, during an upgrade, rollback, node replacement or another restore (412, saying which), with a missing or corrupt snapshot (412), or for a viewer (403). A snapshot is taken first, so it can be undone for 7 days; it ends by its deadline, Failed with its reason if it could not finish.",
    params(Where),
    request_body = StartBody,
    responses((status = 200, body = RestoreRun), (status = 400, body = ErrorBody, description = "An unknown scope, or a wrong confirmation"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The cluster is busy"),
        (status = 412, body = ErrorBody, description = "Blocked by another change, an unusable snapshot, or a provider without restore")),
    security(("X-Auth-Token" = [])),
)]
async fn start(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<StartBody>::parse(&body)?;
    // Scope and confirmation are checked by the service, which records a refusal.
    let run = state
        .restores()
        .start(
            &caller,
            &region,
            &id,
            RestoreAsk {
                scope: input.scope.as_deref().unwrap_or_default(),
                snapshot_id: input.snapshot_id.as_deref(),
                confirm_name: input.confirm_name.as_deref().unwrap_or_default(),
            },
        )
        .await?;
    ok(json!(run))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/restore-progress",
    tag = "restore",
    description = "The latest restore or undo, step by step, with its deadline and, when it failed, its reason; and until when it can be undone.",
    params(Where),
    responses((status = 200, body = RestoreProgress), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn progress(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(json!(
        state.restores().progress(&caller, &region, &id).await?
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/restore-undo-preview",
    tag = "restore",
    description = "What undoing the latest restore would change: the parts it restored go back to the snapshot taken before it.",
    params(Where),
    responses((status = 200, body = RestorePreview), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody, description = "Nothing to undo, or its 7 days are over")),
    security(("X-Auth-Token" = [])),
)]
async fn undo_preview(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(json!(
        state.restores().undo_preview(&caller, &region, &id).await?
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/restore-undo",
    tag = "restore",
    description = "Undoes the latest restore (within 7 days of it) with the same confirmation: `confirm_name` must be the cluster's name.",
    params(Where),
    request_body = UndoBody,
    responses((status = 200, body = RestoreRun), (status = 400, body = ErrorBody, description = "A wrong confirmation"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody, description = "Nothing to undo, or blocked")),
    security(("X-Auth-Token" = [])),
)]
async fn undo(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
    body: Bytes,
) -> ApiResult {
    let Body(input) = Body::<UndoBody>::parse(&body)?;
    ok(json!(
        state
            .restores()
            .undo(
                &caller,
                &region,
                &id,
                input.confirm_name.as_deref().unwrap_or_default()
            )
            .await?
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{region}/clusters/{cluster_id}/diagnostics",
    tag = "restore",
    description = "Runs the diagnostics now: each check says what works or still fails, with evidence, whose it is (provider / user / unknown) and a recommendation. Works over any provider with what it reports.",
    params(Where),
    responses((status = 200, body = Diagnostics), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody)),
    security(("X-Auth-Token" = [])),
)]
async fn diagnostics(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((region, id)): Path<(String, ClusterId)>,
) -> ApiResult {
    ok(json!(
        state.restores().diagnose(&caller, &region, &id).await?
    ))
}

/// The restore endpoints' part of the extension API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(snapshots, preview, start, progress, undo_preview, undo, diagnostics),
    components(schemas(
        EtcdSnapshot,
        RestoreScope,
        RestoreChange,
        RestoreState,
        RestoreStepProgress,
        ProviderRestore,
        RestorePreview,
        SnapshotChoice,
        Untouched,
        RestoreRun,
        RestoreProgress,
        Diagnostics,
        DiagnosticCheck,
        Finding,
        Owner,
        StartBody,
        UndoBody
    ))
)]
pub(super) struct RestoreApi;
