//! The HTTP surface: one router that serves the console (its pages, forms and streams, from
//! `console/`), the health probes and the REST APIs; the middleware every response passes.

mod health;
mod middleware;
pub mod scaleway;
pub mod source;

use std::sync::Arc;

use app::api::ssr::SharedConsole;
use app::routes;
use app::{shell, App};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::console::{
    cluster, create, live, maintenance, preferences, refusals, session, settings, upgrade, Console,
};
use crate::state::AppState;

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
        .route(routes::SET_THEME.axum_path, post(preferences::set_theme))
        .route(routes::SIGN_IN.axum_path, post(session::sign_in))
        .route(routes::SIGN_OUT.axum_path, post(session::sign_out))
        .route(routes::CLUSTERS_LIVE.axum_path, get(live::cluster_events))
        .route(
            routes::CREATE_API_KEY.axum_path,
            post(settings::create_api_key),
        )
        .route(
            routes::REVOKE_API_KEY.axum_path,
            post(settings::revoke_api_key),
        )
        .route(
            routes::CHANGE_PASSWORD.axum_path,
            post(settings::change_password),
        )
        .route(
            routes::CREATE_PROJECT.axum_path,
            post(settings::create_project),
        )
        .route(routes::ADD_MEMBER.axum_path, post(settings::add_member))
        .route(
            routes::CHANGE_MEMBER_ROLE.axum_path,
            post(settings::change_member_role),
        )
        .route(
            routes::REMOVE_MEMBER.axum_path,
            post(settings::remove_member),
        )
        .route(
            routes::CREATE_CLUSTER.axum_path,
            post(create::create_cluster),
        )
        .route(routes::KUBECONFIG.axum_path, get(cluster::kubeconfig))
        .route(routes::NODE_ACTION.axum_path, post(cluster::node_action))
        .route(routes::ADD_POOL.axum_path, post(cluster::add_pool))
        .route(routes::POOL_ACTION.axum_path, post(cluster::pool_action))
        .route(
            routes::SAVE_SETTINGS.axum_path,
            post(cluster::save_settings),
        )
        .route(
            routes::START_UPGRADE.axum_path,
            post(upgrade::start_upgrade),
        )
        .route(
            routes::SAVE_WINDOW.axum_path,
            post(maintenance::save_window),
        )
        .route(
            routes::SAVE_LIFESPAN.axum_path,
            post(maintenance::save_lifespan),
        )
        .route(
            routes::ADD_EXCLUSION.axum_path,
            post(maintenance::add_exclusion),
        )
        .route(
            routes::SAVE_AUTO_UPGRADE.axum_path,
            post(maintenance::save_auto_upgrade),
        )
        .route(
            routes::SAVE_AUTOHEALING.axum_path,
            post(maintenance::save_autohealing),
        )
        .route(
            routes::MAINTENANCE_ICS.axum_path,
            get(maintenance::timeline_ics),
        )
        .route(
            routes::REMOVE_EXCLUSION.axum_path,
            post(maintenance::remove_exclusion),
        )
        .route(
            routes::START_ROLLBACK.axum_path,
            post(upgrade::start_rollback),
        )
        .route(
            routes::CONTROL_UPGRADE.axum_path,
            post(upgrade::control_upgrade),
        )
        .route(routes::CLUSTER_LIVE.axum_path, get(live::cluster_changes))
        .route(
            routes::DELETE_CLUSTER.axum_path,
            post(cluster::delete_cluster),
        )
        .route(routes::ADD_ACL_RULE.axum_path, post(cluster::add_acl_rule))
        .route(
            routes::DELETE_ACL_RULE.axum_path,
            post(cluster::delete_acl_rule),
        )
        .route(
            routes::RESET_ADMIN_TOKEN.axum_path,
            post(cluster::reset_admin_token),
        )
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
