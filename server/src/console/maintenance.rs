//! The console's maintenance forms on the server (plain POST + redirect): a cluster's
//! maintenance window and each pool's node lifespan. A refusal comes back to the maintenance
//! tab with the field named and what was typed; nothing is saved.

use app::api::cluster::ClusterAt;
use app::api::maintenance::ssr::MaintenanceConsole;
use app::api::maintenance::Fields;
use app::model::cluster::WEEKDAYS;
use app::routes::cluster_path;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::cluster::{back_with, busy_or_refused, changer_of_cluster, invalid};
use super::request::ConsoleRequest;
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::domain::ids::{ClusterId, PoolId};
use crate::domain::DomainError;
use crate::services::maintenance::MaintenanceWindow;
use crate::state::AppState;

/// What was typed in a field, trimmed (empty when absent).
fn typed(form: &Fields, key: &str) -> String {
    form.get(key)
        .map(|value| value.trim().to_string())
        .unwrap_or_default()
}

fn maintenance_page(region: &str, cluster_id: &str) -> String {
    format!("{}/maintenance", cluster_path(region, cluster_id))
}

/// The pool the address names, when it is this cluster's (the address names both); 404 if not.
async fn pool_of_cluster(
    state: &AppState,
    caller: &crate::domain::model::Caller,
    region: &str,
    cluster_id: &str,
    pool_id: String,
    page: &str,
) -> Result<PoolId, ConsoleError> {
    let pool_id = PoolId::from(pool_id);
    match state.service.get_pool(caller, region, &pool_id).await {
        Ok(pool) if pool.cluster_id == cluster_id => Ok(pool_id),
        Ok(_) | Err(DomainError::NotFound { .. }) => Err(ConsoleError::NotFound),
        Err(error) => Err(busy_or_refused(page, error, "a pool setting was refused")),
    }
}

/// The `SAVE_WINDOW` form: `day_monday=on` … , `start_hour`,
/// `duration_hours`.
pub async fn save_window(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: Fields,
) -> Result<Done, ConsoleError> {
    let page = maintenance_page(&region, &cluster_id);
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let days: Vec<String> = WEEKDAYS
        .iter()
        .filter(|day| form.contains_key(&format!("day_{day}")))
        .map(|day| day.to_string())
        .collect();
    let number = |key: &str| {
        form.get(key)
            .and_then(|value| value.trim().parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    };
    let window = MaintenanceWindow {
        days: days.clone(),
        start_hour: number("start_hour"),
        duration_hours: number("duration_hours"),
    };
    match state
        .maintenance()
        .set_window(
            &caller,
            &region,
            &ClusterId::from(cluster_id.clone()),
            window,
        )
        .await
    {
        Ok(_) => Ok(Done::to(back_with(&page, &[("notice", "window-saved")]))),
        Err(error) => {
            let typed_days = days.join(",");
            let typed = [
                ("days", typed_days.as_str()),
                (
                    "start_hour",
                    form.get("start_hour").map(String::as_str).unwrap_or(""),
                ),
                (
                    "duration_hours",
                    form.get("duration_hours").map(String::as_str).unwrap_or(""),
                ),
            ];
            Err(invalid(&page, &error, &typed)
                .unwrap_or_else(|| busy_or_refused(&page, error, "maintenance window refused")))
        }
    }
}

/// The `SAVE_LIFESPAN` form: `max_node_age_days` (empty: off).
pub async fn save_lifespan(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    pool_id: String,
    form: Fields,
) -> Result<Done, ConsoleError> {
    let page = maintenance_page(&region, &cluster_id);
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let typed = typed(&form, "max_node_age_days");
    let days = if typed.is_empty() {
        None
    } else {
        // Not a number is out of range too: the service says what is allowed.
        Some(typed.parse::<u32>().unwrap_or(0))
    };
    let pool_id = pool_of_cluster(state, &caller, &region, &cluster_id, pool_id, &page).await?;
    match state
        .freshness()
        .set_lifespan(&caller, &region, &pool_id, days)
        .await
    {
        Ok(_) => Ok(Done::to(back_with(&page, &[("notice", "lifespan-saved")]))),
        Err(error) => Err(invalid(
            &page,
            &error,
            &[
                ("pool", pool_id.as_str()),
                ("max_node_age_days", typed.as_str()),
            ],
        )
        .unwrap_or_else(|| busy_or_refused(&page, error, "lifespan refused"))),
    }
}

/// The `ADD_EXCLUSION` form: `from` and `until` (dates, UTC; the
/// exclusion covers both days), `scope`, `reason`.
pub async fn add_exclusion(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: Fields,
) -> Result<Done, ConsoleError> {
    let page = maintenance_page(&region, &cluster_id);
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let field = |key: &str| typed(&form, key);
    let (from, until, scope, reason) = (
        field("from"),
        field("until"),
        field("scope"),
        field("reason"),
    );
    let typed = [
        ("from", from.as_str()),
        ("until", until.as_str()),
        ("scope", scope.as_str()),
        ("reason", reason.as_str()),
    ];
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    let refuse = |field: &str, message: &str| {
        let mut pairs = vec![
            ("problem", "invalid"),
            ("field", field),
            ("message", message),
        ];
        pairs.extend_from_slice(&typed);
        ConsoleError::Back(back_with(&page, &pairs))
    };
    let Some(starts) = day(&from) else {
        return Err(refuse("from", "a date, e.g. 2026-12-20"));
    };
    let Some(ends) = day(&until) else {
        return Err(refuse("until", "a date, e.g. 2027-01-04"));
    };
    let Some(scope) = crate::services::maintenance::ExclusionScope::parse(&scope) else {
        return Err(refuse("scope", "choose what the exclusion holds"));
    };
    let midnight = |date: chrono::NaiveDate| date.and_time(chrono::NaiveTime::MIN).and_utc();
    let exclusion = crate::services::maintenance::Exclusion {
        id: String::new(),
        starts_at: midnight(starts),
        // The last day is included.
        ends_at: midnight(ends) + chrono::Duration::days(1),
        scope,
        reason: reason.clone(),
    };
    match state
        .maintenance()
        .add_exclusion(
            &caller,
            &region,
            &ClusterId::from(cluster_id.clone()),
            exclusion,
        )
        .await
    {
        Ok(_) => Ok(Done::to(back_with(&page, &[("notice", "exclusion-added")]))),
        Err(error) => {
            // The range's end is what the person typed as "until".
            let renamed = match &error {
                DomainError::InvalidArguments(arguments) => arguments.first().map(|a| {
                    let field = if a.argument_name == "ends_at" {
                        "until"
                    } else {
                        a.argument_name.as_str()
                    };
                    refuse(field, &a.help_message)
                }),
                _ => None,
            };
            Err(renamed.unwrap_or_else(|| busy_or_refused(&page, error, "exclusion refused")))
        }
    }
}

/// The `REMOVE_EXCLUSION` form
pub async fn remove_exclusion(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    exclusion_id: String,
) -> Result<Done, ConsoleError> {
    let page = maintenance_page(&region, &cluster_id);
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    match state
        .maintenance()
        .remove_exclusion(
            &caller,
            &region,
            &ClusterId::from(cluster_id.clone()),
            &exclusion_id,
        )
        .await
    {
        Ok(()) => Ok(Done::to(back_with(
            &page,
            &[("notice", "exclusion-removed")],
        ))),
        Err(DomainError::NotFound { .. }) => Err(ConsoleError::NotFound),
        Err(error) => Err(busy_or_refused(&page, error, "exclusion removal refused")),
    }
}

/// The `SAVE_AUTO_UPGRADE` form: `enable` = `on` or `off` (Scaleway's
/// `auto_upgrade.enable`, kept by the provider).
pub async fn save_auto_upgrade(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: Fields,
) -> Result<Done, ConsoleError> {
    let page = maintenance_page(&region, &cluster_id);
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let enable = match form.get("enable").map(String::as_str) {
        Some("on") => true,
        Some("off") => false,
        _ => {
            return Err(ConsoleError::Text(
                StatusCode::BAD_REQUEST,
                "enable is on or off",
            ))
        }
    };
    let changes = crate::domain::requests::ClusterChanges {
        auto_upgrade: Some(crate::domain::requests::AutoUpgradeInput {
            enable: Some(enable),
            maintenance_window: None,
        }),
        ..Default::default()
    };
    match state
        .service
        .update_cluster(
            &caller,
            &region,
            &ClusterId::from(cluster_id.clone()),
            changes,
        )
        .await
    {
        Ok(_) => Ok(Done::to(back_with(
            &page,
            &[(
                "notice",
                if enable {
                    "auto-upgrade-on"
                } else {
                    "auto-upgrade-off"
                },
            )],
        ))),
        Err(error) => Err(busy_or_refused(&page, error, "auto-upgrade refused")),
    }
}

/// GET /clusters/{region}/{id}/maintenance.ics: the next 30 days as an iCalendar file.
pub async fn timeline_ics(
    State(state): State<AppState>,
    headers: super::request::ConsoleRequest,
    Path((region, cluster_id)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let (_, caller, _) = super::cluster::person_on_cluster(&state, &headers, &region, &cluster_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    match ical(&state, &caller, &region, &ClusterId::from(cluster_id)).await {
        Ok((name, body)) => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"maintenance-{name}.ics\""),
                ),
            ],
            body,
        )
            .into_response()),
        Err(DomainError::NotFound { .. }) => Err(ConsoleError::NotFound),
        Err(error) => {
            tracing::warn!(%error, "the maintenance timeline could not be made");
            Err(ConsoleError::Text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the timeline could not be made; try again",
            ))
        }
    }
}

/// The cluster's name and its timeline as iCalendar.
pub async fn ical(
    state: &AppState,
    caller: &crate::domain::model::Caller,
    region: &str,
    id: &ClusterId,
) -> Result<(String, String), DomainError> {
    let cluster = state.service.get_cluster(caller, region, id).await?;
    let report = state.freshness().report(caller, region, id).await?;
    let now = state.clock.now();
    let entries = crate::services::freshness::timeline::timeline(&report, now);
    Ok((
        cluster.name.clone(),
        crate::services::freshness::timeline::to_ical(&cluster.id, &cluster.name, &entries, now),
    ))
}

/// The `SAVE_AUTOHEALING` form: `enabled` (checkbox), `cap_percent`.
pub async fn save_autohealing(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    pool_id: String,
    form: Fields,
) -> Result<Done, ConsoleError> {
    let page = maintenance_page(&region, &cluster_id);
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let typed = typed(&form, "cap_percent");
    let cap = typed.parse::<u32>().unwrap_or(0);
    let enabled = form.contains_key("enabled");
    let pool_id = pool_of_cluster(state, &caller, &region, &cluster_id, pool_id, &page).await?;
    match state
        .freshness()
        .set_autohealing(&caller, &region, &pool_id, enabled, cap)
        .await
    {
        Ok(()) => Ok(Done::to(back_with(
            &page,
            &[("notice", "autohealing-saved")],
        ))),
        Err(error) => Err(invalid(
            &page,
            &error,
            &[("pool", pool_id.as_str()), ("cap_percent", typed.as_str())],
        )
        .unwrap_or_else(|| busy_or_refused(&page, error, "autohealing refused"))),
    }
}

#[async_trait::async_trait]
impl MaintenanceConsole for Console {
    async fn save_window(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        fields: Fields,
    ) -> Result<Done, ConsoleError> {
        save_window(&self.state, &ConsoleRequest::of(caller), at, fields).await
    }

    async fn add_exclusion(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        fields: Fields,
    ) -> Result<Done, ConsoleError> {
        add_exclusion(&self.state, &ConsoleRequest::of(caller), at, fields).await
    }

    async fn remove_exclusion(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        exclusion: String,
    ) -> Result<Done, ConsoleError> {
        remove_exclusion(&self.state, &ConsoleRequest::of(caller), at, exclusion).await
    }

    async fn save_auto_upgrade(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        fields: Fields,
    ) -> Result<Done, ConsoleError> {
        save_auto_upgrade(&self.state, &ConsoleRequest::of(caller), at, fields).await
    }

    async fn save_lifespan(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        pool: String,
        fields: Fields,
    ) -> Result<Done, ConsoleError> {
        save_lifespan(&self.state, &ConsoleRequest::of(caller), at, pool, fields).await
    }

    async fn save_autohealing(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        pool: String,
        fields: Fields,
    ) -> Result<Done, ConsoleError> {
        save_autohealing(&self.state, &ConsoleRequest::of(caller), at, pool, fields).await
    }
}
