//! The console as the server implements it: `Console` holds the state its feature files'
//! ports (`clusters.rs`, `cluster.rs`, `create.rs`, …) read and change it through, and what more
//! than one page's read uses: the request's person, a version's lifecycle.

use app::model::clusters::Lifecycle;

use super::request::ConsoleRequest;
use crate::domain::model::KubeVersionEntry;
use crate::services::identity;
use crate::state::AppState;

pub struct Console {
    pub(super) state: AppState,
}

impl Console {
    pub fn new(state: AppState) -> Console {
        Console { state }
    }
}

/// Where a version stands in the provider's catalog (the dashboard and a cluster's page).
pub(super) fn lifecycle(
    version: &str,
    catalog: &[KubeVersionEntry],
    now: chrono::DateTime<chrono::Utc>,
) -> Lifecycle {
    match catalog.iter().find(|entry| entry.name == version) {
        None => Lifecycle::Unknown,
        Some(entry) if entry.is_end_of_life_at(now) => Lifecycle::EndOfLife,
        Some(entry) if entry.is_deprecated_at(now) => Lifecycle::Deprecated {
            days_left: entry
                .end_of_life_at
                .map(|end| (end - now).num_days())
                .unwrap_or(0),
        },
        Some(_) => Lifecycle::Supported,
    }
}

/// The request's person as the session middleware found them (once per request): `None` when
/// signed out, `Err` when the lookup failed (logged where it did).
pub(super) async fn person(
    state: &AppState,
    request: &ConsoleRequest,
) -> Result<Option<(String, identity::SessionUser)>, ()> {
    match super::session::signed_in(state, request).await {
        Ok(found) => Ok(Some(found)),
        Err(super::ConsoleError::SignIn) => Ok(None),
        Err(_) => Err(()),
    }
}
