//! The streams behind the console's live pages (`app::components::live`): each rings, with a
//! short fingerprint of what the page shows, first on every connection and then whenever that
//! changed; the page then fetches itself again and puts the changed parts in place.
//! Level-triggered: the state is read from the database all replicas share whenever a change is
//! heard (PostgreSQL notifies every replica of every write) or a poll comes due, so a change
//! made through any replica reaches every browser, and a reconnect after a restart starts from
//! the truth. A stream ends with its session.

use std::convert::Infallible;
use std::future::Future;
use std::hash::{Hash, Hasher};

use app::model::cluster::ClusterPage;
use app::model::identity::SESSION_COOKIE;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::request::ConsoleRequest;
use super::session::cookie;
use super::Console;
use crate::domain::model::Caller;
use crate::services::identity::{self, SessionUser};
use crate::state::AppState;

/// One line per cluster: id, status, nodes ready and in all, pools, oldest and newest node.
pub fn encode_line(digest: &crate::backend::ClusterDigest) -> String {
    let stamp = |at: Option<&chrono::DateTime<chrono::Utc>>| {
        at.map(|at| at.timestamp_millis().to_string())
            .unwrap_or_default()
    };
    format!(
        "{}|{}|{}|{}|{}|{}|{}",
        digest.cluster.id,
        digest.cluster.status.as_str(),
        digest.ready_nodes,
        digest.total_nodes(),
        digest.pools,
        stamp(digest.node_created.first()),
        stamp(digest.node_created.last()),
    )
}

/// The person's clusters as the dashboard shows them, a line each (see [`encode_line`]).
async fn dashboard_lines(state: &AppState, user: &SessionUser) -> Option<String> {
    let callers: Vec<Caller> = user
        .projects
        .iter()
        .map(|project| project.caller())
        .collect();
    let digests = state
        .service
        .digest_of_projects(&callers, state.service.regions())
        .await
        .ok()?;
    let lines: Vec<String> = digests.iter().map(encode_line).collect();
    Some(lines.join("\n"))
}

/// GET /clusters/events: rings for the dashboard when the person's clusters change (the lines
/// themselves are sent, which makes the stream easy to read when debugging).
pub async fn cluster_events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(Some(user)) =
        identity::session_user(&state.database, state.clock.as_ref(), &token).await
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    ring_on_change(state.clone(), token, move || {
        let state = state.clone();
        let user = user.clone();
        async move { dashboard_lines(&state, &user).await }
    })
}

/// What a cluster's pages show (every tab's data and the upgrade's progress), as a fingerprint.
async fn cluster_fingerprint(
    console: &Console,
    session: &str,
    region: &str,
    id: &str,
) -> Option<String> {
    // Each read looks the session up again: the stream ends when the session does.
    let request = ConsoleRequest::of_session(session);
    let page = console.load_cluster_page(&request, region, id).await.ok()?;
    let upgrade =
        super::upgrade::upgrade_page(&console.state, &request, region, id, None, None, None)
            .await
            .ok()?;
    let json = serde_json::to_string(&(page, upgrade)).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    json.hash(&mut hasher);
    Some(format!("{:016x}", hasher.finish()))
}

/// GET /clusters/{region}/{id}/live: rings for a cluster's pages when anything they show
/// changed. 404 for anyone but the cluster's project members, as its pages.
pub async fn cluster_changes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((region, id)): Path<(String, String)>,
) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let console = std::sync::Arc::new(Console::new(state.clone()));
    match console
        .load_cluster_page(&ConsoleRequest::of_session(&token), &region, &id)
        .await
    {
        Ok(ClusterPage::Found(_)) => {}
        Ok(ClusterPage::SignedOut) => return StatusCode::UNAUTHORIZED.into_response(),
        Ok(ClusterPage::NotFound) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
    let session = token.clone();
    ring_on_change(state, token, move || {
        let console = console.clone();
        let (session, region, id) = (session.clone(), region.clone(), id.clone());
        async move { cluster_fingerprint(&console, &session, &region, &id).await }
    })
}

/// The stream: sends what `read` returns first and then each time it differs from the last
/// sent, reading again on every change heard; ends when the session does.
fn ring_on_change<F, R>(state: AppState, session: String, read: R) -> Response
where
    R: Fn() -> F + Send + 'static,
    F: Future<Output = Option<String>> + Send,
{
    let changes = state.changes.subscribe();
    let stream = futures_util::stream::unfold(
        (state, session, read, None::<String>, changes),
        |(state, session, read, last, mut changes)| async move {
            loop {
                match identity::session_user(&state.database, state.clock.as_ref(), &session).await
                {
                    Ok(Some(_)) => {}
                    _ => return None,
                }
                if let Some(now) = read().await {
                    if last.as_deref() != Some(now.as_str()) {
                        let event = Event::default().data(now.clone());
                        return Some((
                            Ok::<Event, Infallible>(event),
                            (state, session, read, Some(now), changes),
                        ));
                    }
                }
                state.until_changed(&mut changes).await;
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
