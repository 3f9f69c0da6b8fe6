//! Where a request came from, as the one path records it: the interface, the peer's address,
//! the user agent and the request id (set by the middleware before any handler runs).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::header;
use axum::http::request::Parts;

use crate::domain::change::{Interface, Source};

/// The longest user agent kept; longer ones are cut.
const USER_AGENT_MAX: usize = 256;

pub fn request_source(parts: &Parts, interface: Interface) -> Source {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    Source {
        interface,
        address: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip().to_string()),
        user_agent: header(header::USER_AGENT.as_str())
            .map(|agent| agent.chars().take(USER_AGENT_MAX).collect()),
        request_id: header("x-request-id"),
    }
}

/// The REST interface a path belongs to.
pub fn api_interface(path: &str) -> Interface {
    if path.starts_with("/api/") {
        Interface::ExtensionApi
    } else {
        Interface::ScalewayApi
    }
}

/// What a console handler knows of its request: its headers (the session cookie, the Origin)
/// and where it came from. It reads as the headers, so helpers that look at a cookie take it
/// as they would a `HeaderMap`.
pub struct ConsoleRequest {
    pub headers: axum::http::HeaderMap,
    pub source: Source,
}

impl ConsoleRequest {
    /// A console read made for a session (server functions know only its token).
    pub fn of_session(session: &str) -> ConsoleRequest {
        ConsoleRequest {
            headers: super::console_actions::session_headers(session),
            source: Source::of(Interface::Console),
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
        Ok(ConsoleRequest {
            headers: parts.headers.clone(),
            source: request_source(parts, Interface::Console),
        })
    }
}
