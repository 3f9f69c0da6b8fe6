//! The console's server half, one file per feature as `app/src/pages/` has them: its reads (the
//! console port `app::api::ssr::ConsoleServices`, implemented in `port.rs` over the services),
//! its form handlers (`cluster.rs` for a cluster's tabs, `create.rs`, `maintenance.rs`,
//! `settings.rs`, `upgrade.rs`), its live streams (`live.rs`), and what every console request
//! passes: sign-in and the same-site check (`session.rs`), sealed refusals (`refusals.rs`), the
//! theme (`preferences.rs`) and the request's origin (`request.rs`). The router
//! (`http::router`) mounts them at the site map's paths (`app::routes`).
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
