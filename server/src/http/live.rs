//! GET /clusters/events: the signed-in person's clusters as Server-Sent Events, for the
//! dashboard's live updates. Level-triggered: the current state is read every second from the
//! database all replicas share and sent when it changed (and first on every connection), so a
//! change made through any replica reaches every browser, and a reconnect after a restart
//! starts from the truth.

use std::convert::Infallible;
use std::time::Duration;

use app::components::live::encode_line;
use app::model::identity::SESSION_COOKIE;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::session::cookie;
use super::AppState;
use crate::domain::ids::ClusterId;
use crate::domain::listing::ListOrder;
use crate::domain::model::{Caller, NodeStatus};
use crate::domain::requests::ClusterQuery;
use crate::services::identity::{self, SessionUser};

/// How often the state is read for each connected browser.
const EVERY: Duration = Duration::from_secs(1);
const REGIONS: &[&str] = &["fr-par", "nl-ams", "pl-waw"];

/// One line per cluster of the person's projects: id, status, nodes ready and in all.
async fn current_lines(state: &AppState, user: &SessionUser) -> Option<String> {
    let mut lines = Vec::new();
    for project in &user.projects {
        let caller = Caller {
            project_id: project.project_id.clone(),
            organization_id: project.organization_id.clone(),
            access_key: String::new(),
        };
        for region in REGIONS {
            let page = state
                .service
                .list_clusters(
                    &caller,
                    region,
                    &ClusterQuery::default(),
                    ListOrder::default(),
                    1,
                    1000,
                )
                .await
                .ok()?;
            for cluster in page.items {
                let nodes = state
                    .service
                    .list_nodes(&caller, region, &ClusterId::from(cluster.id.clone()))
                    .await
                    .unwrap_or_default();
                let ready = nodes
                    .iter()
                    .filter(|n| n.status == NodeStatus::Ready)
                    .count();
                lines.push(encode_line(
                    &cluster.id,
                    cluster.status.as_str(),
                    ready,
                    nodes.len(),
                ));
            }
        }
    }
    Some(lines.join("\n"))
}

pub async fn cluster_events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(Some(user)) =
        identity::session_user(&state.database, state.clock.as_ref(), &token).await
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let stream = futures_util::stream::unfold(
        (state, user, token, None::<String>),
        |(state, user, token, last)| async move {
            loop {
                // A session that ended ends the stream.
                match identity::session_user(&state.database, state.clock.as_ref(), &token).await {
                    Ok(Some(_)) => {}
                    _ => return None,
                }
                if let Some(lines) = current_lines(&state, &user).await {
                    if last.as_deref() != Some(lines.as_str()) {
                        let event = Event::default().data(lines.clone());
                        return Some((
                            Ok::<Event, Infallible>(event),
                            (state, user, token, Some(lines)),
                        ));
                    }
                }
                tokio::time::sleep(EVERY).await;
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
