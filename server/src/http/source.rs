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
