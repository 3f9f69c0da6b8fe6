//! The console's server half, one file per feature as `app/src/pages/` has them: its reads (the
//! console port `app::api::ssr::ConsoleServices`, implemented in `port.rs` over the services),
//! its form handlers (`cluster.rs` for a cluster's tabs, `create.rs`, `maintenance.rs`,
//! `settings.rs`, `upgrade.rs`), its live streams (`live.rs`), and what every console request
//! passes: sign-in and the same-site check (`session.rs`), sealed refusals (`refusals.rs`), the
//! theme (`preferences.rs`) and the request's origin (`request.rs`). The router
//! (`http::router`) mounts them at the site map's paths (`app::routes`).

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
