//! The console's server half, one file per feature as `app/src/pages/` has them (`audit.rs`, `clusters.rs`,
//! `cluster.rs` for a cluster's tabs, `create.rs`, `maintenance.rs`, `settings.rs`,
//! `upgrade.rs`, `system.rs`), each implementing its feature's console port
//! (`app::api::<feature>::ssr::…Console`) over the services: its page's reads and its forms;
//! `Console` and what several reads share (`port.rs`), the live streams (`live.rs`), and what
//! every console request passes: the one session lookup, signing in and out and the same-site
//! check (`session.rs`), sealed refusals (`refusals.rs`) and the request's origin
//! (`request.rs`). The router (`http::router`) serves
//! the downloads and streams at the site map's paths (`app::routes`); the forms' server
//! functions register themselves.
//!
//! Each feature file implements its port (`app::api::<feature>::ssr::…Console`) for `Console`:
//! the page's reads and its forms, which the forms' server functions call with the request's
//! `ConsoleCaller`. Form handlers answer `Result<Done, ConsoleError>` (downloads
//! `Result<Response, ConsoleError>`), and their checks
//! (`session::signed_in`, `cluster::person_on_cluster`, `cluster::changer_of_cluster`, …)
//! `Result<_, ConsoleError>`, so a handler reads as its steps joined by `?`. The rule: `Ok` is
//! the outcome the person asked for (the page with its `notice`, the new cluster, the file, the
//! create form again after "Add a pool"); every refusal or detour is an `Err` (sign in first,
//! not found, unavailable, back to the page with its `problem` and what was typed, a request no
//! page sends).

pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod clusters;
pub mod create;
pub mod live;
pub mod maintenance;
mod port;
pub mod refusals;
pub mod request;
pub mod session;
pub mod settings;
pub mod system;
pub mod upgrade;

pub use app::api::ssr::{ConsoleCaller, ConsoleError, Done};
pub use port::Console;
