//! Alerts' console: the organization's Alerts page and a cluster's Alerts tab (reads), and the
//! forms: acknowledge an alert, silence alerts, end a silence, re-check a cluster. Members of a
//! project read its alerts; its owners and editors act on them (a viewer's attempt is
//! recorded as a refusal). Another project's alert or silence does not exist for them.

use app::api::alerts::ssr::AlertsConsole;
use app::api::alerts::{AcknowledgeForm, CheckForm, EndSilenceForm, SilenceForm};
use app::model::alerts::{
    AlertRow, AlertsPage, AlertsView, EvidenceView, ProjectChoice, RecommendationView, SilenceRow,
    STATES,
};
use chrono::{DateTime, Utc};

use super::cluster::{back_with, person_on_cluster};
use super::request::ConsoleRequest;
use super::session::signed_in;
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::domain::ids::ClusterId;
use crate::domain::DomainError;
use crate::services::alerts::{rules, Alert, AlertQuery, Severity, Silence, SilenceRequest};
use crate::services::identity::{ProjectAccess, SessionUser};

fn shown(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn unavailable(error: DomainError) -> ConsoleError {
    tracing::error!(%error, "alerts could not be read");
    ConsoleError::Failed("The alerts could not be read; try again in a moment.".into())
}

/// A state filter as typed: one the page offers, else all.
fn state_filter(state: &str) -> String {
    if STATES.iter().any(|(value, _)| *value == state) {
        state.to_string()
    } else {
        String::new()
    }
}

/// Only back to one of the alerts pages, with its filter (a form's `back` is the browser's to
/// change: it is rebuilt from a path of plain characters and a state the page offers; an
/// outcome it carried is replaced by the new one).
fn back_to(back: &str) -> String {
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'-' || b == b'_');
    let alerts_page = plain
        && (path == app::routes::ALERTS.path
            || (path.starts_with("/clusters/") && path.ends_with("/alerts")));
    if !alerts_page {
        return app::routes::ALERTS.path.to_string();
    }
    let state = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("state="))
        .map(state_filter)
        .unwrap_or_default();
    if state.is_empty() {
        path.to_string()
    } else {
        format!("{path}?state={state}")
    }
}

fn with_outcome(back: &str, key: &str, code: &str) -> String {
    let separator = if back.contains('?') { '&' } else { '?' };
    format!("{back}{separator}{key}={code}")
}

fn row_of(alert: Alert, projects: &[ProjectAccess]) -> AlertRow {
    let access = projects.iter().find(|p| p.project_id == alert.project_id);
    let may_acknowledge = alert.is_open()
        && alert.acknowledgement.is_none()
        && access.is_some_and(|a| a.role.can_change());
    AlertRow {
        project_name: access
            .map(|a| a.project_name.clone())
            .unwrap_or_else(|| alert.project_id.clone()),
        cluster: match (&alert.region, &alert.cluster_id, &alert.cluster_name) {
            (Some(region), Some(id), Some(name)) => {
                Some((region.clone(), id.clone(), name.clone()))
            }
            _ => None,
        },
        target: format!("{} {}", alert.target.kind, alert.target.name),
        active_since: shown(alert.active_since),
        fired_at: alert.fired_at.map(shown),
        resolved_at: alert.resolved_at.map(shown),
        evidence: alert.evidence.map(|evidence| EvidenceView {
            collected_at: shown(evidence.collected_at),
            events: evidence
                .events
                .into_iter()
                .map(|e| {
                    (
                        e.at.format("%H:%M:%S").to_string(),
                        e.reason,
                        e.object_kind,
                        e.message,
                    )
                })
                .collect(),
            node_conditions: evidence
                .node_conditions
                .unwrap_or_default()
                .into_iter()
                .map(|(kind, value)| {
                    let text = match value {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (kind, text)
                })
                .collect(),
            components: evidence
                .components
                .into_iter()
                .map(|c| (c.name, c.health, c.managed_by))
                .collect(),
            audit_entries: evidence
                .audit_entries
                .into_iter()
                .map(|e| (e.seq, shown(e.at), e.actor, e.action, e.outcome))
                .collect(),
            organization_id: alert.organization_id.clone(),
        }),
        recommendation: RecommendationView {
            text: alert.recommendation.text,
            console_path: alert.recommendation.console_path,
            command: alert.recommendation.command,
        },
        acknowledgement: alert.acknowledgement.map(|a| (a.by, shown(a.at), a.note)),
        may_acknowledge,
        id: alert.id,
        rule: alert.rule,
        title: alert.title,
        severity: alert.severity.as_str().to_string(),
        owner: alert.owner.as_str().to_string(),
        state: alert.state,
        silenced_by: alert.silenced_by,
        project_id: alert.project_id,
        summary: alert.summary,
    }
}

fn silence_row(
    silence: Silence,
    projects: &[ProjectAccess],
    clusters: &[(String, String)],
) -> SilenceRow {
    let access = projects.iter().find(|p| p.project_id == silence.project_id);
    let mut matchers = Vec::new();
    if let Some(cluster) = &silence.cluster_id {
        let name = clusters
            .iter()
            .find(|(id, _)| id == cluster)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| cluster.clone());
        matchers.push(format!("cluster {name}"));
    }
    if let Some(rule) = &silence.rule {
        let title = rules::rule(rule).map(|r| r.title).unwrap_or(rule);
        matchers.push(format!("rule “{title}”"));
    }
    if let Some(severity) = silence.severity {
        matchers.push(format!("severity {}", severity.as_str()));
    }
    SilenceRow {
        project_name: access
            .map(|a| a.project_name.clone())
            .unwrap_or_else(|| silence.project_id.clone()),
        may_end: access.is_some_and(|a| a.role.can_change()),
        matchers,
        reason: silence.reason,
        created_by: silence.created_by,
        expires_at: shown(silence.expires_at),
        id: silence.id,
    }
}

impl Console {
    async fn alerts_view(
        &self,
        projects: &[ProjectAccess],
        cluster: Option<(String, String)>,
        state: &str,
    ) -> Result<AlertsView, ConsoleError> {
        let service = self.state.alerts();
        let ids: Vec<String> = projects.iter().map(|p| p.project_id.clone()).collect();
        let state = state_filter(state);
        let query = AlertQuery {
            state: Some(state.clone()).filter(|s| !s.is_empty()),
        };
        let firing_query = AlertQuery {
            state: Some("firing".into()),
        };
        let (alerts, firing, silences) = match &cluster {
            Some((region, id)) => {
                let caller = projects[0].caller();
                let id = ClusterId::from(id.clone());
                (
                    service.cluster_alerts(&caller, region, &id, &query).await,
                    service
                        .cluster_alerts(&caller, region, &id, &firing_query)
                        .await,
                    service.silences(&ids).await,
                )
            }
            None => (
                service.project_alerts(&ids, &query).await,
                service.project_alerts(&ids, &firing_query).await,
                service.silences(&ids).await,
            ),
        };
        let (alerts, firing, silences) = (
            alerts.map_err(unavailable)?,
            firing.map_err(unavailable)?,
            silences.map_err(unavailable)?,
        );
        let mut counts = [0; 3];
        for alert in &firing {
            let index = match alert.severity {
                Severity::Critical => 0,
                Severity::Warning => 1,
                Severity::Info => 2,
            };
            counts[index] += 1;
        }
        // Names of the clusters silences name, from the alerts at hand.
        let clusters: Vec<(String, String)> = alerts
            .iter()
            .filter_map(|a| Some((a.cluster_id.clone()?, a.cluster_name.clone()?)))
            .collect();
        let silences = silences
            .into_iter()
            .filter(|s| match &cluster {
                Some((_, id)) => s.cluster_id.as_ref().is_none_or(|c| c == id),
                None => true,
            })
            .map(|s| silence_row(s, projects, &clusters))
            .collect();
        Ok(AlertsView {
            cluster,
            state,
            alerts: alerts.into_iter().map(|a| row_of(a, projects)).collect(),
            silences,
            projects: projects
                .iter()
                .map(|p| ProjectChoice {
                    id: p.project_id.clone(),
                    name: p.project_name.clone(),
                    may_act: p.role.can_change(),
                })
                .collect(),
            rules: rules::RULES
                .iter()
                .map(|r| (r.id.to_string(), r.title.to_string()))
                .collect(),
            firing: counts,
        })
    }

    /// The person's access to a project, for a form: not a member → not found; a viewer → the
    /// refusal recorded, and back with why.
    async fn changer_in(
        &self,
        user: &SessionUser,
        request: &ConsoleRequest,
        project_id: &str,
        action: &'static str,
        target: (&'static str, &str),
        back: &str,
    ) -> Result<crate::domain::model::Caller, ConsoleError> {
        let access = user
            .projects
            .iter()
            .find(|p| p.project_id == project_id)
            .ok_or(ConsoleError::NotFound)?;
        let caller = access.caller().from_source(request.source.clone());
        if !access.role.can_change() {
            let error = DomainError::PermissionDenied(format!(
                "a {} of the project may look, not act on alerts",
                access.role.as_str()
            ));
            self.state
                .recorded
                .refusal(
                    &caller,
                    action,
                    crate::services::changes::target_of(&caller, target.0, target.1, None),
                    &error,
                )
                .await;
            return Err(ConsoleError::Back(with_outcome(
                back,
                "problem",
                "not-allowed",
            )));
        }
        Ok(caller)
    }
}

/// The problem code of a refused alert form.
fn problem_of(error: &DomainError) -> &'static str {
    match error {
        DomainError::InvalidArguments(arguments) => {
            let first = arguments.first();
            match (
                first.map(|a| a.argument_name.as_str()),
                first.map(|a| a.reason),
            ) {
                (Some("note"), Some("required")) => "note-required",
                (Some("note"), _) => "note-too-long",
                (Some("matchers"), _) => "matchers-required",
                (Some("reason"), Some("required")) => "reason-required",
                (Some("reason"), _) => "reason-too-long",
                (Some("duration_hours"), _) => "duration",
                _ => "refused",
            }
        }
        DomainError::PreconditionFailed { precondition, .. } if precondition == "alert" => {
            "already-acknowledged"
        }
        DomainError::PreconditionFailed { precondition, .. } if precondition == "silence" => {
            "silence-ended-already"
        }
        _ => "refused",
    }
}

fn refused(back: &str, error: DomainError) -> ConsoleError {
    match error {
        DomainError::NotFound {
            resource: "cluster",
            ..
        } => ConsoleError::Back(with_outcome(back, "problem", "unknown-cluster")),
        DomainError::NotFound { .. } => ConsoleError::NotFound,
        error => {
            let code = problem_of(&error);
            if code == "refused" {
                tracing::warn!(%error, "an alerts form was refused");
            }
            ConsoleError::Back(with_outcome(back, "problem", code))
        }
    }
}

#[async_trait::async_trait]
impl AlertsConsole for Console {
    async fn alerts_page(
        &self,
        caller: &ConsoleCaller,
        state: &str,
    ) -> Result<AlertsPage, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let user = match signed_in(&self.state, &request).await {
            Ok((_, user)) => user,
            Err(ConsoleError::SignIn) => return Ok(AlertsPage::SignedOut),
            Err(error) => return Err(error),
        };
        if user.projects.is_empty() {
            return Ok(AlertsPage::NotFound);
        }
        let view = self.alerts_view(&user.projects, None, state).await?;
        Ok(AlertsPage::Found(Box::new(view)))
    }

    async fn cluster_alerts(
        &self,
        caller: &ConsoleCaller,
        region: &str,
        id: &str,
        state: &str,
    ) -> Result<AlertsPage, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let Some((_, _, access)) = person_on_cluster(&self.state, &request, region, id).await?
        else {
            return Ok(AlertsPage::NotFound);
        };
        let view = self
            .alerts_view(
                std::slice::from_ref(&access),
                Some((region.to_string(), id.to_string())),
                state,
            )
            .await?;
        Ok(AlertsPage::Found(Box::new(view)))
    }

    async fn acknowledge(
        &self,
        caller: &ConsoleCaller,
        form: AcknowledgeForm,
    ) -> Result<Done, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let (_, user) = signed_in(&self.state, &request).await?;
        let back = back_to(&form.back);
        let service = self.state.alerts();
        let alert = service
            .find(&form.alert)
            .await
            .map_err(unavailable)?
            .ok_or(ConsoleError::NotFound)?;
        let caller = self
            .changer_in(
                &user,
                &request,
                &alert.project_id,
                "alert.acknowledge",
                ("alert", &alert.id),
                &back,
            )
            .await?;
        service
            .acknowledge(&caller, &alert.id, &form.note)
            .await
            .map_err(|error| refused(&back, error))?;
        Ok(Done::to(with_outcome(&back, "notice", "acknowledged")))
    }

    async fn silence(
        &self,
        caller: &ConsoleCaller,
        form: SilenceForm,
    ) -> Result<Done, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let (_, user) = signed_in(&self.state, &request).await?;
        let back = back_to(&form.back);
        let caller = self
            .changer_in(
                &user,
                &request,
                &form.project,
                "alert.silence",
                ("project", &form.project),
                &back,
            )
            .await?;
        let Ok(hours) = form.hours.trim().parse::<i64>() else {
            return Err(ConsoleError::Back(with_outcome(
                &back, "problem", "duration",
            )));
        };
        let request = SilenceRequest {
            cluster_id: Some(form.cluster.trim().to_string()).filter(|c| !c.is_empty()),
            rule: Some(form.rule).filter(|r| !r.is_empty()),
            severity: Some(form.severity).filter(|s| !s.is_empty()),
            reason: form.reason,
            duration_hours: hours,
        };
        self.state
            .alerts()
            .silence(&caller, &request)
            .await
            .map_err(|error| refused(&back, error))?;
        Ok(Done::to(with_outcome(&back, "notice", "silenced")))
    }

    async fn end_silence(
        &self,
        caller: &ConsoleCaller,
        form: EndSilenceForm,
    ) -> Result<Done, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let (_, user) = signed_in(&self.state, &request).await?;
        let back = back_to(&form.back);
        let service = self.state.alerts();
        let silence = service
            .find_silence(&form.silence)
            .await
            .map_err(unavailable)?
            .ok_or(ConsoleError::NotFound)?;
        let caller = self
            .changer_in(
                &user,
                &request,
                &silence.project_id,
                "alert.unsilence",
                ("silence", &silence.id),
                &back,
            )
            .await?;
        service
            .expire_silence(&caller, &silence.id)
            .await
            .map_err(|error| refused(&back, error))?;
        Ok(Done::to(with_outcome(&back, "notice", "silence-ended")))
    }

    async fn check(&self, caller: &ConsoleCaller, form: CheckForm) -> Result<Done, ConsoleError> {
        let request = ConsoleRequest::of(caller);
        let Some((_, caller, _)) =
            person_on_cluster(&self.state, &request, &form.region, &form.cluster).await?
        else {
            return Err(ConsoleError::NotFound);
        };
        let page = app::routes::cluster_tab(&form.region, &form.cluster, app::routes::Tab::Alerts);
        self.state
            .alerts()
            .check_cluster(
                &caller,
                &form.region,
                &ClusterId::from(form.cluster.clone()),
            )
            .await
            .map_err(|error| match error {
                DomainError::NotFound { .. } => ConsoleError::NotFound,
                error => {
                    tracing::warn!(%error, "a re-check of alerts failed");
                    ConsoleError::Back(back_with(&page, &[("problem", "refused")]))
                }
            })?;
        Ok(Done::to(with_outcome(&page, "notice", "checked")))
    }
}
