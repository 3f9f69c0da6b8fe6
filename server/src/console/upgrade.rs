//! The console's upgrade wizard on the server: the page's data (targets, pre-flight, plan,
//! progress), the start form (plain POST + redirect, typed confirmation, an owner's override
//! reason), and pause, resume and abort. The progress follows live through the cluster's
//! `live` stream (`console::live`).

use app::api::cluster::ClusterAt;
use app::api::upgrade::ssr::UpgradeConsole;
use app::api::upgrade::{ControlForm, RollbackForm, StartForm, UpgradeAsked};
use app::model::upgrade as view;
use app::routes::upgrade_path;
use axum::http::StatusCode;

use super::cluster::{back_with, person_on_cluster};
use super::request::ConsoleRequest;
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::domain::ids::{ClusterId, PoolId};
use crate::domain::model::RolloutControl;
use crate::domain::version::KubeVersion;
use crate::domain::DomainError;
use crate::services::identity::{self, Role};
use crate::services::upgrade::{
    self, Assessment, RollbackScope, Starter, UpgradeProgress, UpgradeRequest,
};
use crate::state::AppState;

/// "about 12 min": durations in the plan are estimates.
pub fn about(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("about {} s", s.max(1)),
        s if s < 3600 => format!("about {} min", (s + 30) / 60),
        s => format!("about {} h {} min", s / 3600, (s % 3600 + 30) / 60),
    }
}

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn progress_view(progress: UpgradeProgress) -> Option<view::Progress> {
    let run = progress.run?;
    Some(view::Progress {
        from_version: run.from_version,
        to_version: run.to_version,
        started_by: run.started_by,
        started_at: time(run.started_at),
        override_reason: run.override_reason,
        kind: run.kind,
        rollback_until: progress.rollback_until.map(time),
        rollback_to: progress.rollback_to,
        cluster_status: progress.cluster_status,
        control_plane_version: progress.control_plane_version,
        state: run.state.as_str().to_string(),
        finished: progress.finished,
        active: progress.active,
        pools: progress
            .pools
            .into_iter()
            .map(|pool| view::PoolProgress {
                id: pool.id,
                can_roll_back: pool.can_roll_back,
                name: pool.name,
                stage: pool.stage,
                held_by: pool.held_by,
                version: pool.version,
                nodes_on_target: pool.nodes_on_target,
                nodes_total: pool.nodes_total,
                nodes: pool
                    .nodes
                    .into_iter()
                    .map(|node| (node.name, node.status.replace('_', " "), node.version))
                    .collect(),
            })
            .collect(),
    })
}

fn assessment_view(assessment: Assessment) -> view::Assessment {
    let plan = assessment.plan;
    let target_valid = !assessment.preflight.blocking().any(|check| {
        check.id == upgrade::preflight::TARGET_CHECK
            || check.id == upgrade::preflight::ROLLBACK_CHECK
    });
    view::Assessment {
        minor: upgrade::is_minor_step(&plan.from_version, &plan.to_version),
        target: plan.to_version.clone(),
        target_valid,
        verdict: assessment.preflight.verdict.as_str().to_string(),
        checks: assessment
            .preflight
            .checks
            .into_iter()
            .map(|check| view::Check {
                title: check.title.to_string(),
                status: match check.status {
                    upgrade::CheckStatus::Pass => "pass",
                    upgrade::CheckStatus::Warning => "warning",
                    upgrade::CheckStatus::Fail => "fail",
                }
                .to_string(),
                summary: check.summary,
                evidence: check.evidence,
                recommendation: check.recommendation,
            })
            .collect(),
        changelog: plan
            .changelog
            .into_iter()
            .map(|entry| view::ChangelogEntry {
                version: entry.version,
                notes: entry.notes,
                removed: entry.removed,
            })
            .collect(),
        steps: plan
            .steps
            .into_iter()
            .map(|step| view::PlanStep {
                name: if step.kind == "pool" {
                    format!("Pool {}", step.name)
                } else {
                    step.name
                },
                duration: about(step.estimated_seconds),
                waves: step
                    .waves
                    .into_iter()
                    .map(|wave| {
                        format!(
                            "Wave {}: {} ({} new node(s) first, {} drained in place; {})",
                            wave.number,
                            wave.nodes.join(", "),
                            wave.surge,
                            wave.in_place,
                            about(wave.estimated_seconds)
                        )
                    })
                    .collect(),
            })
            .collect(),
        skipped_pools: plan.skipped_pools,
        duration: about(plan.estimated_seconds),
        your_responsibility: plan.your_responsibility,
    }
}

/// The wizard's data for a signed-in person.
pub async fn upgrade_page(
    state: &AppState,
    request: &ConsoleRequest,
    region: &str,
    id: &str,
    version: Option<&str>,
    kept: Option<&str>,
    rollback: Option<&str>,
) -> Result<view::UpgradePage, String> {
    let failed = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "the upgrade wizard could not be loaded");
        "the upgrade wizard could not be loaded; try again in a moment".to_string()
    };
    let (caller, access) = match person_on_cluster(state, request, region, id).await {
        Ok(Some((_, caller, access))) => (caller, access),
        Ok(None) => return Ok(view::UpgradePage::NotFound),
        Err(_) => return Ok(view::UpgradePage::SignedOut),
    };
    // What a refused start kept is this session's.
    let session = super::session::cookie(&request.headers, app::model::identity::SESSION_COOKIE)
        .unwrap_or_default();
    let cluster_id = ClusterId::from(id);
    let cluster = match state
        .service
        .get_cluster(&caller, region, &cluster_id)
        .await
    {
        Ok(cluster) => cluster,
        Err(DomainError::NotFound { .. }) => return Ok(view::UpgradePage::NotFound),
        Err(error) => return Err(failed(&error)),
    };
    let upgrades = state.upgrades();
    let now = state.clock.now();
    let current = cluster.version.parse::<KubeVersion>().ok();
    let mut targets: Vec<(KubeVersion, view::TargetOption)> = state
        .service
        .available_versions(&caller, region, &cluster_id)
        .await
        .map_err(|e| failed(&e))?
        .into_iter()
        .filter(|entry| !entry.is_deprecated_at(now) && !entry.is_end_of_life_at(now))
        .filter_map(|entry| {
            let version = entry.name.parse::<KubeVersion>().ok()?;
            let kind = if current.is_some_and(|c| c.same_minor(&version)) {
                "patch"
            } else {
                "minor"
            };
            let support = entry
                .end_of_life_at
                .map(|end| format!("supported until {}", end.format("%Y-%m-%d")))
                .unwrap_or_else(|| "supported".to_string());
            Some((
                version,
                view::TargetOption {
                    version: entry.name,
                    kind: kind.to_string(),
                    support,
                },
            ))
        })
        .collect();
    targets.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    let chosen = version.map(str::to_string);
    let rollback = match rollback {
        Some(scope) => {
            let label = match rollback_scope(scope) {
                RollbackScope::Cluster => "the cluster".to_string(),
                RollbackScope::Pool(pool_id) => {
                    match state.service.get_pool(&caller, region, &pool_id).await {
                        Ok(pool) if pool.cluster_id == cluster.id => format!("pool {}", pool.name),
                        Ok(_) | Err(DomainError::NotFound { .. }) => {
                            return Ok(view::UpgradePage::NotFound)
                        }
                        Err(error) => return Err(failed(&error)),
                    }
                }
            };
            Some(view::RollbackChoice {
                scope: scope.to_string(),
                label,
            })
        }
        None => None,
    };
    let assessment = match (&rollback, &chosen) {
        (Some(choice), _) => Some(assessment_view(
            upgrades
                .assess_rollback(&caller, region, &cluster_id, &rollback_scope(&choice.scope))
                .await
                .map_err(|e| failed(&e))?,
        )),
        (None, Some(target)) => Some(assessment_view(
            upgrades
                .assess(&caller, region, &cluster_id, target, true)
                .await
                .map_err(|e| failed(&e))?,
        )),
        (None, None) => None,
    };
    let progress = progress_view(
        upgrades
            .progress(&caller, region, &cluster_id)
            .await
            .map_err(|e| failed(&e))?,
    );
    let typed_reason = match kept {
        Some(kept) => identity::read_kept(&state.database, state.clock.as_ref(), &session, kept)
            .await
            .map_err(|e| failed(&e))?
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(view::UpgradePage::Found(Box::new(view::UpgradeView {
        typed_reason,
        cluster_name: cluster.name,
        current_version: cluster.version,
        can_change: access.role.can_change(),
        can_override: access.role == Role::Owner,
        targets: targets.into_iter().map(|(_, option)| option).collect(),
        chosen,
        assessment,
        progress,
        rollback,
    })))
}

/// "cluster" or a pool's id, from the address or a form.
fn rollback_scope(scope: &str) -> RollbackScope {
    match scope.trim() {
        "" | "cluster" => RollbackScope::Cluster,
        pool_id => RollbackScope::Pool(PoolId::from(pool_id.to_string())),
    }
}

/// The `START_UPGRADE` form: starts the upgrade the wizard showed.
pub async fn start_upgrade(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: StartForm,
) -> Result<Done, ConsoleError> {
    let page = upgrade_path(&region, &cluster_id);
    let (user, caller, access) = person_on_cluster(state, headers, &region, &cluster_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let version = form.version.trim().to_string();
    let reason = form.override_reason.clone().unwrap_or_default();
    let keep = [("version", version.as_str())];
    let back = |problem: &'static str| back_keeping(state, headers, &page, &keep, &reason, problem);
    if !access.role.can_change() {
        return Err(back("forbidden").await);
    }
    let soak_days = match form.soak_days.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(days) => match days.parse::<u32>() {
            Ok(days) => days,
            Err(_) => return Err(back("bad-soak").await),
        },
    };
    let id = ClusterId::from(cluster_id.clone());
    match state.service.get_cluster(&caller, &region, &id).await {
        Ok(cluster) if cluster.name == form.confirm_name.trim() => {}
        Ok(_) => return Err(back("typed-name").await),
        Err(_) => return Err(ConsoleError::NotFound),
    }
    let starter = Starter {
        name: user.email.clone(),
        may_override: access.role == Role::Owner,
    };
    let outcome = state
        .upgrades()
        .start(
            &caller,
            &region,
            &id,
            UpgradeRequest {
                target: &version,
                with_pools: true,
                override_reason: form.override_reason.as_deref(),
                soak_days,
            },
            &starter,
        )
        .await;
    let problem = match outcome {
        Ok(_) => return Ok(Done::to(back_with(&page, &[("notice", "upgrade-started")]))),
        Err(DomainError::PreconditionFailed { .. }) => "no-go",
        Err(DomainError::PermissionDenied(_)) => "override-owner",
        Err(DomainError::TransientState { .. }) => "busy",
        Err(DomainError::QuotaExceeded(_)) => "over-quota",
        Err(DomainError::InvalidArguments(arguments))
            if arguments
                .iter()
                .any(|a| a.argument_name == "override_reason") =>
        {
            "reason-too-long"
        }
        Err(DomainError::InvalidArguments(arguments))
            if arguments.iter().any(|a| a.argument_name == "soak_days") =>
        {
            "bad-soak"
        }
        Err(DomainError::InvalidArguments(_)) => "bad-version",
        Err(DomainError::NotFound { .. }) => return Err(ConsoleError::NotFound),
        Err(error) => {
            tracing::warn!(%error, "an upgrade was refused");
            "refused"
        }
    };
    Err(back(problem).await)
}

/// The `START_ROLLBACK` form: starts the rollback the wizard showed.
pub async fn start_rollback(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: RollbackForm,
) -> Result<Done, ConsoleError> {
    let page = upgrade_path(&region, &cluster_id);
    let (user, caller, access) = person_on_cluster(state, headers, &region, &cluster_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let scope = form.scope.trim().to_string();
    let reason = form.override_reason.clone().unwrap_or_default();
    let keep = [("rollback", scope.as_str())];
    let back = |problem: &'static str| back_keeping(state, headers, &page, &keep, &reason, problem);
    if !access.role.can_change() {
        return Err(back("forbidden").await);
    }
    let id = ClusterId::from(cluster_id.clone());
    match state.service.get_cluster(&caller, &region, &id).await {
        Ok(cluster) if cluster.name == form.confirm_name.trim() => {}
        Ok(_) => return Err(back("typed-name").await),
        Err(_) => return Err(ConsoleError::NotFound),
    }
    let starter = Starter {
        name: user.email.clone(),
        may_override: access.role == Role::Owner,
    };
    let scope = rollback_scope(&scope);
    let outcome = state
        .upgrades()
        .rollback(
            &caller,
            &region,
            &id,
            &scope,
            form.override_reason.as_deref(),
            &starter,
        )
        .await;
    let started = match scope {
        RollbackScope::Cluster => "rollback-started",
        RollbackScope::Pool(_) => "pool-rollback-started",
    };
    let problem = match outcome {
        Ok(_) => return Ok(Done::to(back_with(&page, &[("notice", started)]))),
        Err(DomainError::PreconditionFailed { precondition, .. })
            if precondition == "upgrade_preflight" =>
        {
            "rollback-no-go"
        }
        Err(DomainError::PreconditionFailed { .. }) => "no-rollback",
        Err(DomainError::PermissionDenied(_)) => "override-owner",
        Err(DomainError::TransientState { .. }) => "busy",
        Err(DomainError::QuotaExceeded(_)) => "over-quota",
        Err(DomainError::InvalidArguments(_)) => "reason-too-long",
        Err(DomainError::NotFound { .. }) => return Err(ConsoleError::NotFound),
        Err(error) => {
            tracing::warn!(%error, "a rollback was refused");
            "refused"
        }
    };
    Err(back(problem).await)
}

/// The `CONTROL_UPGRADE` form: pause, resume, or abort (after its box).
pub async fn control_upgrade(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: ControlForm,
) -> Result<Done, ConsoleError> {
    let page = upgrade_path(&region, &cluster_id);
    let (_, caller, access) = person_on_cluster(state, headers, &region, &cluster_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let problem = |code: &str| ConsoleError::Back(back_with(&page, &[("problem", code)]));
    if !access.role.can_change() {
        return Err(problem("forbidden"));
    }
    let Some(control) = RolloutControl::parse(&form.action) else {
        return Err(ConsoleError::Text(
            StatusCode::BAD_REQUEST,
            "unknown upgrade action",
        ));
    };
    if control == RolloutControl::Abort && form.confirm.as_deref() != Some("yes") {
        return Err(problem("confirm"));
    }
    let outcome = state
        .upgrades()
        .control(&caller, &region, &ClusterId::from(cluster_id), control)
        .await;
    let notice = match control {
        RolloutControl::Pause => "paused",
        RolloutControl::Resume => "resumed",
        RolloutControl::Abort => "aborting",
    };
    match outcome {
        Ok(_) => Ok(Done::to(back_with(&page, &[("notice", notice)]))),
        Err(DomainError::NotFound { .. }) => Err(ConsoleError::NotFound),
        Err(DomainError::PreconditionFailed { .. }) => Err(problem("not-rolling")),
        Err(error) => {
            tracing::warn!(%error, "an upgrade control was refused");
            Err(problem("refused"))
        }
    }
}

/// The refusal that goes back to the wizard's step with the problem, keeping what was typed: the
/// override reason is kept for this session on the server (an address would carry it into
/// history and logs).
async fn back_keeping(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    page: &str,
    keep: &[(&str, &str)],
    reason: &str,
    problem: &str,
) -> ConsoleError {
    let token = super::session::cookie(headers, app::model::identity::SESSION_COOKIE);
    let kept = match token {
        Some(token) if !reason.trim().is_empty() => identity::keep_to_show_once(
            &state.database,
            state.ids.as_ref(),
            state.clock.as_ref(),
            &token,
            reason,
        )
        .await
        .ok(),
        _ => None,
    };
    let mut pairs = keep.to_vec();
    pairs.push(("problem", problem));
    if let Some(kept) = &kept {
        pairs.push(("kept", kept.as_str()));
    }
    ConsoleError::Back(back_with(page, &pairs))
}

#[async_trait::async_trait]
impl UpgradeConsole for Console {
    async fn upgrade_page(
        &self,
        caller: &ConsoleCaller,
        region: &str,
        id: &str,
        asked: UpgradeAsked,
    ) -> Result<view::UpgradePage, ConsoleError> {
        upgrade_page(
            &self.state,
            &ConsoleRequest::of(caller),
            region,
            id,
            asked.version.as_deref(),
            asked.kept.as_deref(),
            asked.rollback.as_deref(),
        )
        .await
        .map_err(ConsoleError::Failed)
    }

    async fn start_upgrade(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: StartForm,
    ) -> Result<Done, ConsoleError> {
        start_upgrade(&self.state, &ConsoleRequest::of(caller), at, form).await
    }

    async fn start_rollback(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: RollbackForm,
    ) -> Result<Done, ConsoleError> {
        start_rollback(&self.state, &ConsoleRequest::of(caller), at, form).await
    }

    async fn control_upgrade(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: ControlForm,
    ) -> Result<Done, ConsoleError> {
        control_upgrade(&self.state, &ConsoleRequest::of(caller), at, form).await
    }
}
