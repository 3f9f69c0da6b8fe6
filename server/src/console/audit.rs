//! The audit log's console: an organization's log and a cluster's entries (filtered, paged),
//! one entry with its proof, signing a checkpoint now, and the downloads (the export, the
//! public key). A person reads the entries of the projects where they are an owner or an
//! editor, and of those they view while the project lets viewers read it; another
//! organization's log does not exist for them. Every read and export is recorded in the log.

use app::api::audit::ssr::AuditConsole;
use app::api::audit::CheckpointForm;
use app::model::audit::{
    AuditEntryDetail, AuditEntryPage, AuditFilters, AuditLogView, AuditPage, AuditProof, AuditRow,
};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::request::ConsoleRequest;
use super::session::signed_in;
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::audit::entry::format_time;
use crate::services::audit::{AuditError, AuditQuery, ReadError, Reader};
use crate::services::identity::{ProjectAccess, SessionUser};
use crate::state::AppState;
use crate::store::rows::time;

/// Entries a page shows.
const PER_PAGE: i64 = 25;

#[async_trait::async_trait]
impl AuditConsole for Console {
    async fn audit_page(
        &self,
        caller: &ConsoleCaller,
        organization: Option<&str>,
        filters: &AuditFilters,
        page: i64,
    ) -> Result<AuditPage, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let user = match signed_in(&self.state, &request).await {
            Ok((_, user)) => user,
            Err(ConsoleError::SignIn) => return Ok(AuditPage::SignedOut),
            Err(error) => return Err(error),
        };
        let readable = readable(&self.state, &user).await?;
        let mut organizations: Vec<String> = readable
            .iter()
            .map(|access| access.organization_id.clone())
            .collect();
        organizations.sort();
        organizations.dedup();
        let chosen = match organization {
            Some(organization) => organizations.iter().find(|o| *o == organization),
            None => organizations.first(),
        };
        let Some(organization_id) = chosen.cloned() else {
            return Ok(AuditPage::NotFound);
        };
        let mine: Vec<&ProjectAccess> = readable
            .iter()
            .filter(|access| access.organization_id == organization_id)
            .collect();
        let reader = Reader {
            organization_id: organization_id.clone(),
            projects: Some(mine.iter().map(|a| a.project_id.clone()).collect()),
            actor: mine[0].caller().actor,
            source: request.source.clone(),
        };
        let names = mine.iter().map(|a| a.project_name.clone()).collect();
        let view = self
            .log_view(&reader, organizations, names, None, filters, page)
            .await?;
        Ok(AuditPage::Found(Box::new(view)))
    }

    async fn cluster_audit(
        &self,
        caller: &ConsoleCaller,
        region: &str,
        id: &str,
        filters: &AuditFilters,
        page: i64,
    ) -> Result<AuditPage, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let Some((_, access)) =
            super::cluster::access_to_cluster(&self.state, &request, region, id).await?
        else {
            return Ok(AuditPage::NotFound);
        };
        let readable = self
            .state
            .audit
            .readable_projects(std::slice::from_ref(&access))
            .await
            .map_err(unavailable)?;
        if readable.is_empty() {
            return Ok(AuditPage::NotFound);
        }
        let reader = Reader {
            organization_id: access.organization_id.clone(),
            projects: Some(vec![access.project_id.clone()]),
            actor: access.caller().actor,
            source: request.source.clone(),
        };
        let view = self
            .log_view(
                &reader,
                vec![access.organization_id.clone()],
                vec![access.project_name.clone()],
                Some(id.to_string()),
                filters,
                page,
            )
            .await?;
        Ok(AuditPage::Found(Box::new(view)))
    }

    async fn audit_entry(
        &self,
        caller: &ConsoleCaller,
        organization: &str,
        seq: &str,
    ) -> Result<AuditEntryPage, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let user = match signed_in(&self.state, &request).await {
            Ok((_, user)) => user,
            Err(ConsoleError::SignIn) => return Ok(AuditEntryPage::SignedOut),
            Err(error) => return Err(error),
        };
        let Some(reader) = reader_in(&self.state, &user, organization, &request).await? else {
            return Ok(AuditEntryPage::NotFound);
        };
        let Some(seq) = seq.parse::<i64>().ok().filter(|seq| *seq >= 0) else {
            return Ok(AuditEntryPage::NotFound);
        };
        match self.state.audit.read_entry(&reader, seq).await {
            Ok(proven) => Ok(AuditEntryPage::Found(Box::new(detail(
                organization,
                &proven,
            )))),
            Err(ReadError::Audit(AuditError::NotFound)) => Ok(AuditEntryPage::NotFound),
            Err(error) => Err(ConsoleError::Failed(error.to_string())),
        }
    }

    async fn sign_checkpoint(
        &self,
        caller: &ConsoleCaller,
        form: CheckpointForm,
    ) -> Result<Done, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let (_, user) = signed_in(&self.state, &request).await?;
        reader_in(&self.state, &user, &form.organization, &request)
            .await?
            .ok_or(ConsoleError::NotFound)?;
        self.state
            .audit
            .checkpoint(&form.organization)
            .await
            .map_err(unavailable)?;
        // Back to the page the form was on, if it is one of the log's pages.
        let path = form.back.split('?').next().unwrap_or_default();
        let back = if path == app::routes::AUDIT.path
            || (path.starts_with("/clusters/") && path.ends_with("/audit"))
        {
            form.back
        } else {
            app::routes::AUDIT.path.to_string()
        };
        let separator = if back.contains('?') { '&' } else { '?' };
        Ok(Done::to(format!(
            "{back}{separator}notice=checkpoint-signed"
        )))
    }
}

impl Console {
    /// A page of the reader's entries, with what the page shows around them.
    async fn log_view(
        &self,
        reader: &Reader,
        organizations: Vec<String>,
        projects: Vec<String>,
        cluster_id: Option<String>,
        filters: &AuditFilters,
        page: i64,
    ) -> Result<AuditLogView, ConsoleError> {
        let audit = &self.state.audit;
        let query = query_of(filters, cluster_id.as_deref());
        let (rows, total, problem) = match audit.read_page(reader, &query, page, PER_PAGE).await {
            Ok((rows, total)) => (rows, total, None),
            Err(ReadError::Invalid(field, message)) => {
                (Vec::new(), 0, Some((field.to_string(), message)))
            }
            Err(ReadError::Audit(error)) => return Err(unavailable(error)),
        };
        let checkpointed = audit
            .latest_checkpoint(&reader.organization_id)
            .await
            .map_err(unavailable)?
            .map(|signed| signed.checkpoint.tree_size as i64);
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        Ok(AuditLogView {
            organization_id: reader.organization_id.clone(),
            organizations,
            projects,
            cluster_id,
            rows: rows.iter().map(row_of).collect(),
            total,
            page: page.clamp(1, pages),
            pages,
            filters: filters.clone(),
            problem,
            checkpointed,
            key_id: audit.public_key().key_id(),
        })
    }
}

/// The person's projects whose entries they may read.
async fn readable(
    state: &AppState,
    user: &SessionUser,
) -> Result<Vec<ProjectAccess>, ConsoleError> {
    state
        .audit
        .readable_projects(&user.projects)
        .await
        .map_err(unavailable)
}

/// The person as a reader of one organization's log, if they may read any of it.
async fn reader_in(
    state: &AppState,
    user: &SessionUser,
    organization: &str,
    request: &ConsoleRequest,
) -> Result<Option<Reader>, ConsoleError> {
    let mine: Vec<ProjectAccess> = readable(state, user)
        .await?
        .into_iter()
        .filter(|access| access.organization_id == organization)
        .collect();
    let Some(first) = mine.first() else {
        return Ok(None);
    };
    Ok(Some(Reader {
        organization_id: organization.to_string(),
        projects: Some(mine.iter().map(|a| a.project_id.clone()).collect()),
        actor: first.caller().actor,
        source: request.source.clone(),
    }))
}

fn unavailable(error: impl std::fmt::Display) -> ConsoleError {
    tracing::error!(%error, "the audit log could not be read");
    ConsoleError::Failed("the audit log could not be read; try again in a moment".into())
}

fn query_of(filters: &AuditFilters, cluster: Option<&str>) -> AuditQuery {
    let text = |value: &str| Some(value.to_string()).filter(|v| !v.trim().is_empty());
    AuditQuery {
        actor: text(&filters.actor),
        action: text(&filters.action),
        target: text(&filters.target),
        cluster: cluster.map(str::to_string),
        outcome: text(&filters.outcome),
        since: text(&filters.since),
        until: text(&filters.until),
    }
}

fn row_of(row: &crate::store::audit::EntryRow) -> AuditRow {
    let entry: Value = serde_json::from_str(&row.entry).unwrap_or(Value::Null);
    AuditRow {
        seq: row.seq,
        time: format_time(time(row.time_ms)),
        actor: row.actor.clone(),
        interface: row.interface.clone(),
        action: row.action.clone(),
        target: format!("{} {}", row.target_kind.replace('_', " "), row.target_id)
            .trim()
            .to_string(),
        outcome: row.outcome.clone(),
        reason: entry
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

fn detail(organization: &str, proven: &crate::services::audit::ProvenEntry) -> AuditEntryDetail {
    let entry: Value = serde_json::from_str(&proven.entry.entry).unwrap_or(Value::Null);
    let pairs = |value: Option<&Value>, names: &[&str]| -> Vec<(String, String)> {
        names
            .iter()
            .filter_map(|name| {
                let field = value?.get(*name)?;
                let text = field
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| field.to_string());
                Some((name.replace('_', " "), text))
            })
            .collect()
    };
    let pretty = |name: &str| {
        entry
            .get(name)
            .map(|value| serde_json::to_string_pretty(value).unwrap_or_default())
    };
    AuditEntryDetail {
        organization_id: organization.to_string(),
        seq: proven.entry.seq,
        time: format_time(time(proven.entry.time_ms)),
        actor: proven.entry.actor.clone(),
        action: proven.entry.action.clone(),
        outcome: proven.entry.outcome.clone(),
        reason: entry
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string),
        source: pairs(
            entry.get("source"),
            &["interface", "address", "user_agent", "request_id"],
        ),
        target: pairs(
            entry.get("target"),
            &["kind", "id", "project_id", "cluster_id", "organization_id"],
        ),
        before: pretty("before"),
        after: pretty("after"),
        canonical: proven.entry.entry.clone(),
        leaf_hash: proven.entry.leaf_hash.clone(),
        proof: proven.checkpoint.as_ref().map(|signed| AuditProof {
            tree_size: signed.checkpoint.tree_size as i64,
            time: format_time(signed.checkpoint.time),
            root_hash: hex::encode(signed.checkpoint.root_hash),
            key_id: signed.checkpoint.key_id.clone(),
            path: proven.proof.iter().map(hex::encode).collect(),
            verified: proven.verified,
        }),
    }
}

/// GET /audit/{organization}/export: what the person may read of the log, as JSON Lines (with
/// a checkpoint signed now and each entry's proof) or CSV, streamed; the export is recorded.
pub async fn export(
    State(state): State<AppState>,
    request: ConsoleRequest,
    Path(organization): Path<String>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (_, user) = signed_in(&state, &request).await?;
    let reader = reader_in(&state, &user, &organization, &request)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let csv = match params.get("format").map(String::as_str) {
        None | Some("jsonl") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ConsoleError::Text(
                StatusCode::BAD_REQUEST,
                "the export's format is jsonl or csv",
            ))
        }
    };
    let text = |name: &str| params.get(name).cloned().filter(|v| !v.trim().is_empty());
    let query = AuditQuery {
        actor: text("actor"),
        action: text("action"),
        target: text("target"),
        cluster: text("cluster"),
        outcome: text("outcome"),
        since: text("since"),
        until: text("until"),
    };
    match crate::http::scaleway::audit::stream_export(&state, reader, query, csv).await {
        Ok(response) => Ok(response),
        Err(_) => Err(ConsoleError::Text(
            StatusCode::BAD_REQUEST,
            "a filter is not valid: go back to the audit log to see which",
        )),
    }
}

/// GET /audit/public-key.pem: the installation's key that signs every checkpoint.
pub async fn public_key(
    State(state): State<AppState>,
    request: ConsoleRequest,
) -> Result<Response, ConsoleError> {
    signed_in(&state, &request).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"wheelhouse-audit-key.pem\"",
            ),
        ],
        state.audit.public_key().pem(),
    )
        .into_response())
}
