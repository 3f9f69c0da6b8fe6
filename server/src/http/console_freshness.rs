//! The console's maintenance forms on the server (plain POST + redirect): a cluster's
//! maintenance window and each pool's node lifespan. A refusal comes back to the maintenance
//! tab with the field named and what was typed; nothing is saved.

use std::collections::HashMap;

use app::model::cluster::{cluster_path, WEEKDAYS};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Form;

use super::console_actions::{back_with, busy_or_refused, changer_of_cluster, see_other};
use super::AppState;
use crate::domain::ids::{ClusterId, PoolId};
use crate::domain::DomainError;
use crate::services::freshness::MaintenanceWindow;

fn maintenance_page(region: &str, cluster_id: &str) -> String {
    format!("{}/maintenance", cluster_path(region, cluster_id))
}

/// Back with the first invalid field and its message, keeping `typed`.
fn invalid(page: &str, error: &DomainError, typed: &[(&str, &str)]) -> Option<Response> {
    let DomainError::InvalidArguments(arguments) = error else {
        return None;
    };
    let first = arguments.first()?;
    let mut pairs = vec![
        ("problem", "invalid"),
        ("field", first.argument_name.as_str()),
        ("message", first.help_message.as_str()),
    ];
    pairs.extend_from_slice(typed);
    Some(see_other(&back_with(page, &pairs)))
}

/// POST /clusters/{region}/{id}/maintenance-window: `day_monday=on` … , `start_hour`,
/// `duration_hours`.
pub async fn save_window(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((region, cluster_id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let page = maintenance_page(&region, &cluster_id);
    let caller = match changer_of_cluster(&state, &headers, &region, &cluster_id, &page).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
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
        .freshness()
        .set_window(
            &caller,
            &region,
            &ClusterId::from(cluster_id.clone()),
            window,
        )
        .await
    {
        Ok(_) => see_other(&back_with(&page, &[("notice", "window-saved")])),
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
            invalid(&page, &error, &typed)
                .unwrap_or_else(|| busy_or_refused(&page, error, "maintenance window refused"))
        }
    }
}

/// POST /clusters/{region}/{id}/pools/{pool}/lifespan: `max_node_age_days` (empty: off).
pub async fn save_lifespan(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((region, cluster_id, pool_id)): Path<(String, String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let page = maintenance_page(&region, &cluster_id);
    let caller = match changer_of_cluster(&state, &headers, &region, &cluster_id, &page).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let typed = form
        .get("max_node_age_days")
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    let days = if typed.is_empty() {
        None
    } else {
        // Not a number is out of range too: the service says what is allowed.
        Some(typed.parse::<u32>().unwrap_or(0))
    };
    // The pool must be this cluster's (the address names both).
    let pool_id = PoolId::from(pool_id);
    match state.service.get_pool(&caller, &region, &pool_id).await {
        Ok(pool) if pool.cluster_id == cluster_id => {}
        Ok(_) | Err(DomainError::NotFound { .. }) => {
            return axum::response::IntoResponse::into_response(axum::http::StatusCode::NOT_FOUND)
        }
        Err(error) => return busy_or_refused(&page, error, "lifespan refused"),
    }
    match state
        .freshness()
        .set_lifespan(&caller, &region, &pool_id, days)
        .await
    {
        Ok(_) => see_other(&back_with(&page, &[("notice", "lifespan-saved")])),
        Err(error) => invalid(
            &page,
            &error,
            &[
                ("pool", pool_id.as_str()),
                ("max_node_age_days", typed.as_str()),
            ],
        )
        .unwrap_or_else(|| busy_or_refused(&page, error, "lifespan refused")),
    }
}
