//! The console's server half, one file per feature as `app/src/pages/` has them: its reads (the
//! console port `app::api::ssr::ConsoleServices`, implemented in `port.rs` over the services),
//! its form handlers (`cluster.rs` for a cluster's tabs, `create.rs`, `maintenance.rs`,
//! `settings.rs`, `upgrade.rs`), its live streams (`live.rs`), and what every console request
//! passes: sign-in and the same-site check (`session.rs`), sealed refusals (`refusals.rs`), the
//! theme (`preferences.rs`) and the request's origin (`request.rs`). The router
//! (`http::router`) mounts them at the site map's paths (`app::routes`).
//!
//! Form handlers and downloads answer `Result<Response, ConsoleError>`, and their checks
//! (`session::signed_in`, `cluster::person_on_cluster`, `cluster::changer_of_cluster`, …)
//! `Result<_, ConsoleError>`, so a handler reads as its steps joined by `?`. The rule: `Ok` is
//! the outcome the person asked for (the page with its `notice`, the new cluster, the file, the
//! create form again after "Add a pool"); every refusal or detour is an `Err` (sign in first,
//! not found, unavailable, back to the page with its `problem` and what was typed, a request no
//! page sends).

use app::model::identity::SIGN_IN_PATH;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub mod cluster;
pub mod create;
pub mod live;
pub mod maintenance;
mod port;
pub mod preferences;
pub mod refusals;
pub mod request;
pub mod session;
pub mod settings;
pub mod upgrade;

pub use port::Console;

/// Why a console form or download does not answer with what was asked, and the answer it gets
/// instead.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session, or it ended: 303 to the sign-in form with `error=required`.
    #[error("sign in first")]
    SignIn,
    /// Not this person's (a stranger's cluster, another cluster's pool): 404, no body.
    #[error("not found")]
    NotFound,
    /// The session or owner lookup failed (its cause is logged where it happened): 503, no body.
    #[error("unavailable")]
    Unavailable,
    /// 303 back to this address, a page with the outcome (`problem`, `field`, `message`) and
    /// what was typed in its query; the refusal seal (`refusals.rs`) signs its `message`.
    #[error("back to {0}")]
    Back(String),
    /// Answered in plain text with this status: a request no page sends (400), a download the
    /// role or the cluster's state does not allow (403, 409), a file not made (503).
    #[error("{1}")]
    Text(StatusCode, &'static str),
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match self {
            ConsoleError::SignIn => session::see_other(&format!("{SIGN_IN_PATH}?error=required")),
            ConsoleError::NotFound => StatusCode::NOT_FOUND.into_response(),
            ConsoleError::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            ConsoleError::Back(to) => session::see_other(&to),
            ConsoleError::Text(status, text) => (status, text).into_response(),
        }
    }
}
