//! GET /clusters/events: the signed-in person's clusters as Server-Sent Events, for the
//! dashboard's live updates. Level-triggered: the current state is read from the database all
//! replicas share whenever a change is heard (PostgreSQL notifies every replica of every
//! write) or a poll comes due, and sent when it changed (and first on every connection), so a
//! change made through any replica reaches every browser at once, and a reconnect after a
//! restart starts from the truth.

use std::convert::Infallible;

use app::components::live::encode_line;
use app::model::identity::SESSION_COOKIE;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::session::cookie;
use super::AppState;
use crate::domain::model::Caller;
use crate::services::identity::{self, SessionUser};

const REGIONS: &[&str] = &["fr-par", "nl-ams", "pl-waw"];

/// One line per cluster of the person's projects: id, status, nodes ready and in all.
async fn current_lines(state: &AppState, user: &SessionUser) -> Option<String> {
    let callers: Vec<Caller> = user
        .projects
        .iter()
        .map(|project| Caller {
            project_id: project.project_id.clone(),
            organization_id: project.organization_id.clone(),
            access_key: String::new(),
        })
        .collect();
    let digests = state
        .service
        .digest_of_projects(&callers, REGIONS)
        .await
        .ok()?;
    let lines: Vec<String> = digests
        .iter()
        .map(|digest| {
            encode_line(
                &digest.cluster.id,
                digest.cluster.status.as_str(),
                digest.ready_nodes,
                digest.total_nodes(),
            )
        })
        .collect();
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
    let changes = state.changes.subscribe();
    let stream = futures_util::stream::unfold(
        (state, user, token, None::<String>, changes),
        |(state, user, token, last, mut changes)| async move {
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
                            (state, user, token, Some(lines), changes),
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
