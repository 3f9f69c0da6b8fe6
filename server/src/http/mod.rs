//! The HTTP surface: one router that serves the console (its pages, forms and streams, from
//! `console/`), the health probes and the REST APIs; the middleware every response passes.

mod health;
mod middleware;
pub mod scaleway;
pub mod source;

use std::sync::Arc;

use app::api::alerts::ssr::AlertsConsole;
use app::api::audit::ssr::AuditConsole;
use app::api::cluster::ssr::ClusterConsole;
use app::api::clusters::ssr::ClustersConsole;
use app::api::create::ssr::CreateConsole;
use app::api::maintenance::ssr::MaintenanceConsole;
use app::api::session::ssr::SessionConsole;
use app::api::settings::ssr::SettingsConsole;
use app::api::system::ssr::SystemConsole;
use app::api::upgrade::ssr::UpgradeConsole;
use app::routes;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::console::{audit, cluster, live, maintenance, refusals, session, Console};
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    // Each feature's console port, for the server functions of every console request.
    let console = Arc::new(Console::new(state.clone()));
    let provide_console = move || {
        provide_context(console.clone() as Arc<dyn AlertsConsole>);
        provide_context(console.clone() as Arc<dyn AuditConsole>);
        provide_context(console.clone() as Arc<dyn ClusterConsole>);
        provide_context(console.clone() as Arc<dyn ClustersConsole>);
        provide_context(console.clone() as Arc<dyn CreateConsole>);
        provide_context(console.clone() as Arc<dyn MaintenanceConsole>);
        provide_context(console.clone() as Arc<dyn SessionConsole>);
        provide_context(console.clone() as Arc<dyn SettingsConsole>);
        provide_context(console.clone() as Arc<dyn SystemConsole>);
        provide_context(console.clone() as Arc<dyn UpgradeConsole>);
    };
    let options = state.leptos_options.clone();

    let console_routes = Router::new()
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            provide_console.clone(),
            move || shell(options.clone()),
        )
        // Forms post to their server functions (registered above with the pages); the
        // downloads and live streams are the server's own.
        .route(routes::CLUSTERS_LIVE.axum_path, get(live::cluster_events))
        .route(routes::KUBECONFIG.axum_path, get(cluster::kubeconfig))
        .route(
            routes::MAINTENANCE_ICS.axum_path,
            get(maintenance::timeline_ics),
        )
        .route(routes::CLUSTER_LIVE.axum_path, get(live::cluster_changes))
        .route(routes::AUDIT_EXPORT.axum_path, get(audit::export))
        .route(routes::AUDIT_PUBLIC_KEY.axum_path, get(audit::public_key))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_console, shell))
        .layer(axum::middleware::from_fn(refusals::sealed_refusals))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::require_session,
        ))
        .layer(axum::middleware::from_fn(session::same_origin_only));

    let probes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/api/openapi.json",
            get(scaleway::extension::openapi_document),
        );

    middleware::apply(
        probes
            .merge(scaleway::router(state.clone()))
            .merge(console_routes),
    )
    .with_state(state)
}
