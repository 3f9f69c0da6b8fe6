//! The audit log on the extension API: a project's API key reads its project's entries in its
//! organization's log (filtered, paged, each with its inclusion proof), exports them (JSON
//! Lines with checkpoint and proofs, or CSV), reads and asks for signed checkpoints, and reads
//! the installation's public key. Another organization's log does not exist to it. Reads and
//! exports are recorded in the log.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use super::{ok, pagination, ApiCaller, ApiResult, Params};
use crate::domain::model::Caller;
use crate::domain::DomainError;
use crate::services::audit::{AuditError, AuditQuery, ChannelOut, ProvenEntry, ReadError, Reader};
use crate::state::AppState;
use crate::store::audit::EntryRow;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit/public-key", get(public_key))
        .route(
            "/api/v1/organizations/{organization_id}/audit/entries",
            get(list_entries),
        )
        .route(
            "/api/v1/organizations/{organization_id}/audit/entries/{seq}",
            get(get_entry),
        )
        .route(
            "/api/v1/organizations/{organization_id}/audit/export",
            get(export),
        )
        .route(
            "/api/v1/organizations/{organization_id}/audit/checkpoints/latest",
            get(latest_checkpoint).post(checkpoint_now),
        )
}

/// The caller's view of an organization's log: its project's entries, in its own organization
/// only (else the log is not found).
fn reader(caller: &Caller, organization_id: &str) -> Result<Reader, DomainError> {
    if caller.organization_id != organization_id {
        return Err(DomainError::not_found("audit_log", organization_id));
    }
    Ok(Reader {
        organization_id: organization_id.to_string(),
        projects: Some(vec![caller.project_id.clone()]),
        actor: caller.actor.clone(),
        source: caller.source.clone(),
    })
}

fn read_error(error: ReadError) -> DomainError {
    match error {
        ReadError::Invalid(field, reason) => DomainError::invalid(field, "invalid filter", reason),
        ReadError::Audit(error) => audit_failure(error),
    }
}

/// A log that cannot be read answers as the store failing (500), with what failed.
fn audit_failure(error: AuditError) -> DomainError {
    match error {
        AuditError::Store(error) => error.into(),
        other => sqlx::Error::Protocol(other.to_string()).into(),
    }
}

/// The filters every read and export takes.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; handlers read it as `AuditQuery`.
struct Filters {
    /// Only entries whose actor's name contains this (an email, `api-key SCW…`, `operator …`,
    /// `system …`).
    actor: Option<String>,
    /// An action (`cluster.update`) or its object's actions (`cluster`).
    action: Option<String>,
    /// The id of the object acted on (a cluster, pool, node, key, person).
    target: Option<String>,
    /// A cluster: entries about it and anything in it.
    cluster: Option<String>,
    /// `done` or `refused`.
    outcome: Option<String>,
    /// From this time on (RFC 3339, or a date from its start).
    since: Option<String>,
    /// Before this time (RFC 3339, or a date to its end).
    until: Option<String>,
}

/// One entry: its place, its recorded leaf hash and the entry itself (canonical JSON, as
/// docs/audit-export.md describes).
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub leaf_hash: String,
    #[schema(value_type = Object)]
    pub entry: Value,
}

/// A page of entries, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditEntries {
    pub total_count: i64,
    pub entries: Vec<AuditEntryView>,
}

/// A signed checkpoint: `checkpoint` is the signed object, `signature` Ed25519 over its
/// RFC 8785 canonical form, base64.
#[derive(Serialize, ToSchema)]
pub struct SignedCheckpointView {
    #[schema(value_type = Object)]
    pub checkpoint: Value,
    pub signature: String,
}

/// An entry with its inclusion proof in the first checkpoint that covers it (none yet when
/// no checkpoint does), verified by the server before it answers.
#[derive(Serialize, ToSchema)]
pub struct ProvenEntryView {
    #[serde(flatten)]
    pub entry: AuditEntryView,
    pub checkpoint: Option<SignedCheckpointView>,
    /// The audit path (RFC 6962 2.1.1), lowercase hex, from the leaf's sibling up.
    pub proof: Vec<String>,
    pub verified: bool,
}

/// The installation's key that signs every checkpoint.
#[derive(Serialize, ToSchema)]
pub struct PublicKeyView {
    pub algorithm: String,
    pub key_id: String,
    /// The 32 key bytes, base64.
    pub public_key: String,
    /// The same key as PEM (SubjectPublicKeyInfo).
    pub pem: String,
}

fn entry_view(row: &EntryRow) -> AuditEntryView {
    AuditEntryView {
        seq: row.seq,
        leaf_hash: row.leaf_hash.clone(),
        entry: serde_json::from_str(&row.entry).unwrap_or(Value::Null),
    }
}

fn checkpoint_view(signed: &crate::audit::checkpoint::SignedCheckpoint) -> SignedCheckpointView {
    SignedCheckpointView {
        checkpoint: signed.checkpoint.body(),
        signature: signed.signature_base64(),
    }
}

pub fn proven_view(proven: &ProvenEntry) -> ProvenEntryView {
    ProvenEntryView {
        entry: entry_view(&proven.entry),
        checkpoint: proven.checkpoint.as_ref().map(checkpoint_view),
        proof: proven.proof.iter().map(hex::encode).collect(),
        verified: proven.verified,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/public-key",
    tag = "audit log",
    description = "The installation's Ed25519 public key, which checks every checkpoint of every audit log; with `?format=pem`, as a PEM file.",
    responses((status = 200, body = PublicKeyView), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token")),
    security(("X-Auth-Token" = [])),
)]
async fn public_key(State(state): State<AppState>, params: Params) -> ApiResult {
    let key = state.audit.public_key();
    if params.get("format").map(String::as_str) == Some("pem") {
        return Ok((
            [
                (header::CONTENT_TYPE, "application/x-pem-file"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"wheelhouse-audit-key.pem\"",
                ),
            ],
            key.pem(),
        )
            .into_response());
    }
    ok(json!(PublicKeyView {
        algorithm: "Ed25519".into(),
        key_id: key.key_id(),
        public_key: key.base64(),
        pem: key.pem(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/organizations/{organization_id}/audit/entries",
    tag = "audit log",
    description = "The entries of the key's project in its organization's audit log, newest first, filtered and paged (`page` from 1, `page_size` 1–100). The read is itself recorded.",
    params(("organization_id" = String, Path), Filters, ("page" = Option<i64>, Query), ("page_size" = Option<i64>, Query)),
    responses((status = 200, body = AuditEntries), (status = 400, body = ErrorBody, description = "A filter that is not valid"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody, description = "Another organization's log")),
    security(("X-Auth-Token" = [])),
)]
async fn list_entries(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(organization_id): Path<String>,
    params: Params,
    Query(query): Query<AuditQuery>,
) -> ApiResult {
    let reader = reader(&caller, &organization_id)?;
    let (page, page_size) = pagination(&params)?;
    let (rows, total_count) = state
        .audit
        .read_page(&reader, &query, page, page_size)
        .await
        .map_err(read_error)?;
    ok(json!(AuditEntries {
        total_count,
        entries: rows.iter().map(entry_view).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/organizations/{organization_id}/audit/entries/{seq}",
    tag = "audit log",
    description = "One entry with its inclusion proof in the first signed checkpoint that covers it, verified by the server (`verified`); `checkpoint` is null until one covers it.",
    params(("organization_id" = String, Path), ("seq" = i64, Path)),
    responses((status = 200, body = ProvenEntryView), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody, description = "No such entry the key may read")),
    security(("X-Auth-Token" = [])),
)]
async fn get_entry(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((organization_id, seq)): Path<(String, String)>,
) -> ApiResult {
    let reader = reader(&caller, &organization_id)?;
    let not_found = || DomainError::not_found("audit_entry", seq.clone());
    let number: i64 = seq.parse().ok().filter(|n| *n >= 0).ok_or_else(not_found)?;
    match state.audit.read_entry(&reader, number).await {
        Ok(proven) => ok(json!(proven_view(&proven))),
        Err(ReadError::Audit(AuditError::NotFound)) => Err(not_found().into()),
        Err(error) => Err(read_error(error).into()),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/organizations/{organization_id}/audit/export",
    tag = "audit log",
    description = "The key's entries that match the filters, streamed: `format=jsonl` (default) with a checkpoint signed now and each entry's inclusion proof, verifiable offline (docs/audit-export.md, `wheelhouse audit verify`), or `format=csv`. The export is itself recorded.",
    params(("organization_id" = String, Path), Filters, ("format" = Option<String>, Query, description = "jsonl or csv")),
    responses((status = 200, content_type = "application/jsonl", description = "JSON Lines (or text/csv)"),
        (status = 400, body = ErrorBody, description = "A filter or format that is not valid"),
        (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"), (status = 404, body = ErrorBody, description = "Another organization's log")),
    security(("X-Auth-Token" = [])),
)]
async fn export(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(organization_id): Path<String>,
    params: Params,
    Query(query): Query<AuditQuery>,
) -> ApiResult {
    let reader = reader(&caller, &organization_id)?;
    let csv = match params.get("format").map(String::as_str) {
        None | Some("jsonl") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(DomainError::invalid("format", "unknown format", "jsonl or csv").into())
        }
    };
    stream_export(&state, reader, query, csv).await
}

/// Streams an export as the response body; a bad filter is refused (and recorded) before.
pub async fn stream_export(
    state: &AppState,
    reader: Reader,
    query: AuditQuery,
    csv: bool,
) -> ApiResult {
    if query.filter().is_err() {
        let mut nowhere = ChannelOut::new(tokio::sync::mpsc::channel(1).0);
        let error = state
            .audit
            .export_for(&reader, &query, csv, &mut nowhere)
            .await
            .err()
            .map(read_error)
            .unwrap_or_else(|| {
                audit_failure(AuditError::Corrupt("a refused filter was exported".into()))
            });
        return Err(error.into());
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let audit = state.audit.clone();
    tokio::spawn(async move {
        let mut out = ChannelOut::new(sender.clone());
        if let Err(error) = audit.export_for(&reader, &query, csv, &mut out).await {
            tracing::warn!(%error, "an audit export stopped");
            let _ = sender
                .send(Err(std::io::Error::other(error.to_string())))
                .await;
        }
    });
    // Fused: a body may be polled once more after its end (the compression layer does).
    let body = futures_util::StreamExt::fuse(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
    ));
    let (content_type, name) = if csv {
        ("text/csv; charset=utf-8", "audit.csv")
    } else {
        ("application/jsonl; charset=utf-8", "audit.jsonl")
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/organizations/{organization_id}/audit/checkpoints/latest",
    tag = "audit log",
    description = "The latest signed checkpoint of the organization's log (tree size, root hash, time), as an export carries it.",
    params(("organization_id" = String, Path)),
    responses((status = 200, body = SignedCheckpointView), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody, description = "Another organization's log, or no checkpoint yet")),
    security(("X-Auth-Token" = [])),
)]
async fn latest_checkpoint(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(organization_id): Path<String>,
) -> ApiResult {
    reader(&caller, &organization_id)?;
    let latest = state
        .audit
        .latest_checkpoint(&organization_id)
        .await
        .map_err(audit_failure)?
        .ok_or_else(|| DomainError::not_found("audit_checkpoint", organization_id.clone()))?;
    ok(json!(checkpoint_view(&latest)))
}

#[utoipa::path(
    post,
    path = "/api/v1/organizations/{organization_id}/audit/checkpoints/latest",
    tag = "audit log",
    description = "Signs a checkpoint of the organization's log now (on demand) and answers it; when nothing was appended since the last, the last.",
    params(("organization_id" = String, Path)),
    responses((status = 200, body = SignedCheckpointView), (status = 401, body = ErrorBody, description = "No valid X-Auth-Token"),
        (status = 404, body = ErrorBody, description = "Another organization's log")),
    security(("X-Auth-Token" = [])),
)]
async fn checkpoint_now(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(organization_id): Path<String>,
) -> ApiResult {
    reader(&caller, &organization_id)?;
    let signed = state
        .audit
        .checkpoint(&organization_id)
        .await
        .map_err(audit_failure)?;
    ok(json!(checkpoint_view(&signed)))
}

/// The error body, as the extension API's other operations answer.
use super::extension::ErrorBody;
