//! The HTTP surface: one router that serves the console (SSR pages, server functions, assets),
//! the health probes and, as they arrive, the REST APIs; the middleware every response passes.

mod health;
pub mod kube_api;
mod middleware;
mod preferences;
pub mod scaleway;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use app::api::ssr::SharedConsole;
use app::components::theme_toggle::THEME_ROUTE;
use app::{shell, App};
use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::clock::SharedClock;
use crate::console::Console;
use crate::domain::ids::SharedIds;
use crate::domain::timing::Timing;
use crate::domain::Provisioning;
use crate::store::Database;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub database: Database,
    pub clock: SharedClock,
    pub started_at: DateTime<Utc>,
    pub provisioning: Provisioning,
    /// Where users and agents reach this server (`--public-url`, else http://ADDR).
    pub public_url: String,
}

impl AppState {
    pub fn new(
        database: Database,
        clock: SharedClock,
        ids: SharedIds,
        timing: Timing,
        site_root: &Path,
        addr: SocketAddr,
    ) -> AppState {
        let leptos_options = LeptosOptions::builder()
            .output_name("wheelhouse")
            .site_root(site_root.to_string_lossy().as_ref())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let started_at = clock.now();
        let provisioning = Provisioning {
            database: database.clone(),
            clock: clock.clone(),
            ids,
            timing,
            // `serve` sets where its TLS listener really is, and the CA.
            api_server_base: format!("https://{}:6443{}", addr.ip(), kube_api::CLUSTER_PATH),
            api_server_ca_pem: String::new(),
        };
        AppState {
            leptos_options,
            database,
            clock,
            started_at,
            provisioning,
            public_url: format!("http://{addr}"),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let console: SharedConsole = Arc::new(Console::new(state.clone()));
    let provide_console = move || provide_context(console.clone());
    let options = state.leptos_options.clone();

    let console_routes = Router::new()
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            provide_console.clone(),
            move || shell(options.clone()),
        )
        .route(THEME_ROUTE, post(preferences::set_theme))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_console, shell));

    let probes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));

    middleware::apply(
        probes
            .merge(scaleway::router(state.clone()))
            .merge(console_routes),
    )
    .with_state(state)
}
