//! What a console handler knows of its request: its headers and where it came from.

use axum::http::request::Parts;

use super::ConsoleCaller;
use crate::domain::change::{Interface, Source};
use crate::http::source::request_source;
use crate::services::identity::SessionUser;

/// What a console handler knows of its request: its headers (the session cookie, the Origin)
/// and where it came from. It reads as the headers, so helpers that look at a cookie take it
/// as they would a `HeaderMap`.
pub struct ConsoleRequest {
    pub headers: axum::http::HeaderMap,
    pub source: Source,
    /// What the session middleware found of the session, when it ran.
    pub session: Option<SessionLookup>,
}

impl ConsoleRequest {
    /// The request of a console port's caller.
    pub fn of(caller: &ConsoleCaller) -> ConsoleRequest {
        ConsoleRequest::of_parts(&caller.parts)
    }

    fn of_parts(parts: &Parts) -> ConsoleRequest {
        ConsoleRequest {
            headers: parts.headers.clone(),
            source: request_source(parts, Interface::Console),
            session: parts.extensions.get::<SessionLookup>().cloned(),
        }
    }

    /// A console read made for a session (server functions know only its token).
    pub fn of_session(session: &str) -> ConsoleRequest {
        ConsoleRequest {
            headers: session_headers(session),
            source: Source::of(Interface::Console),
            session: None,
        }
    }
}

impl std::ops::Deref for ConsoleRequest {
    type Target = axum::http::HeaderMap;

    fn deref(&self) -> &Self::Target {
        &self.headers
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ConsoleRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ConsoleRequest::of_parts(parts))
    }
}

/// The request headers of a console session (server functions know the session's token).
fn session_headers(session: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!(
        "{}={session}",
        app::model::identity::SESSION_COOKIE
    )) {
        headers.insert(axum::http::header::COOKIE, value);
    }
    headers
}

/// What the session middleware found of the request's session cookie (once per request).
#[derive(Clone, Debug)]
pub enum SessionLookup {
    Found {
        token: String,
        user: SessionUser,
    },
    /// Unknown or expired.
    Ended,
    /// The lookup failed (logged where it happened).
    Failed,
}
