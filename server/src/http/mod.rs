//! The HTTP surface: one router that serves the console (SSR pages, server functions, assets),
//! the health probes and, as they arrive, the REST APIs; the middleware every response passes.

pub mod console_actions;
pub mod console_create;
pub mod console_freshness;
pub mod console_settings;
pub mod console_upgrade;
mod health;
pub mod live;
mod middleware;
mod preferences;
mod refusals;
pub mod scaleway;
pub mod session;
pub mod source;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use app::api::ssr::SharedConsole;
use app::routes;
use app::{shell, App};
use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::backend::sandbox::timing::Timing;
use crate::backend::sandbox::Provisioning;
use crate::backend::sandbox::SandboxBackend;
use crate::backend::SharedBackend;
use crate::clock::SharedClock;
use crate::console::Console;
use crate::domain::ids::SharedIds;
use crate::services::provisioning::ProvisioningService;
use crate::store::Database;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub database: Database,
    pub clock: SharedClock,
    pub started_at: DateTime<Utc>,
    /// The sandbox provider (used when it is the provider behind the port: its reconciler and
    /// its clusters' API servers run beside the HTTP server).
    pub provisioning: Provisioning,
    /// The provisioning service every interface calls: tenancy, then the port.
    pub service: ProvisioningService,
    pub ids: SharedIds,
    /// Where users and agents reach this server (`--public-url`, else http://ADDR).
    pub public_url: String,
    /// Who this server is among replicas on one database (it holds maintenance leases by it).
    pub replica: String,
    /// Changes other replicas (and this one) made, as PostgreSQL notifies them.
    pub changes: crate::store::changes::ChangeFeed,
    /// The one path: where every service reports each change it makes (and each refusal).
    pub recorded: crate::services::changes::Changes,
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
            ids: ids.clone(),
            timing,
            // `serve` sets where its TLS listener really is, and the CA.
            api_server_base: format!(
                "https://{}:6443{}",
                addr.ip(),
                crate::backend::sandbox::kube_api::CLUSTER_PATH
            ),
            api_server_ca_pem: String::new(),
        };
        let recorded = crate::services::changes::Changes::default();
        let service = ProvisioningService::new(
            Arc::new(SandboxBackend::new(provisioning.clone())),
            database.clone(),
            clock.clone(),
        )
        .with_changes(recorded.clone());
        AppState {
            leptos_options,
            database,
            clock,
            started_at,
            provisioning,
            service,
            ids,
            public_url: format!("http://{addr}"),
            replica: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4()),
            changes: Default::default(),
            recorded,
        }
    }

    /// Until the state a live view shows may have changed: a change notification (on
    /// PostgreSQL, from any replica's write to the sandbox), else a second. With notifications
    /// the sandbox's views still re-read every five seconds, and a remote provider's (whose
    /// changes nobody here writes) every second.
    pub async fn until_changed(&self, receiver: &mut tokio::sync::broadcast::Receiver<String>) {
        let notified = self.changes.is_listening() && self.service.backend_kind() == "sandbox";
        let fallback = std::time::Duration::from_secs(if notified { 5 } else { 1 });
        crate::store::changes::ChangeFeed::wait(receiver, fallback).await;
    }

    /// The upgrade service, over whichever provider serves now.
    pub fn upgrades(&self) -> crate::services::upgrade::UpgradeService {
        crate::services::upgrade::UpgradeService::new(
            self.service.clone(),
            self.database.clone(),
            self.clock.clone(),
            self.ids.clone(),
        )
    }

    /// Maintenance windows and exclusions, over whichever provider serves now.
    pub fn maintenance(&self) -> crate::services::maintenance::MaintenanceService {
        crate::services::maintenance::MaintenanceService::new(
            self.service.clone(),
            self.database.clone(),
            self.clock.clone(),
            self.ids.clone(),
        )
    }

    /// Node freshness (lifespans, maintenance windows), over whichever provider serves now.
    pub fn freshness(&self) -> crate::services::freshness::FreshnessService {
        crate::services::freshness::FreshnessService::new(
            self.service.clone(),
            self.database.clone(),
            self.clock.clone(),
            self.ids.clone(),
            self.replica.clone(),
        )
    }

    /// Serves over another provider behind the port (a remote one, or a test double).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.service = ProvisioningService::new(backend, self.database.clone(), self.clock.clone())
            .with_changes(self.recorded.clone());
    }

    /// Sends every change to `recorded` (tests remember them).
    pub fn record_changes_in(&mut self, recorded: crate::services::changes::Changes) {
        self.recorded = recorded.clone();
        self.service = self.service.clone().with_changes(recorded);
    }

    /// Serves over the sandbox as configured now (after its API servers' address and CA are
    /// known).
    pub fn use_sandbox(&mut self) {
        self.use_backend(Arc::new(SandboxBackend::new(self.provisioning.clone())));
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
        .route(routes::SET_THEME.axum_path, post(preferences::set_theme))
        .route(routes::SIGN_IN.axum_path, post(session::sign_in))
        .route(routes::SIGN_OUT.axum_path, post(session::sign_out))
        .route(routes::CLUSTERS_LIVE.axum_path, get(live::cluster_events))
        .route(
            routes::CREATE_API_KEY.axum_path,
            post(console_settings::create_api_key),
        )
        .route(
            routes::REVOKE_API_KEY.axum_path,
            post(console_settings::revoke_api_key),
        )
        .route(
            routes::CHANGE_PASSWORD.axum_path,
            post(console_settings::change_password),
        )
        .route(
            routes::CREATE_PROJECT.axum_path,
            post(console_settings::create_project),
        )
        .route(
            routes::ADD_MEMBER.axum_path,
            post(console_settings::add_member),
        )
        .route(
            routes::CHANGE_MEMBER_ROLE.axum_path,
            post(console_settings::change_member_role),
        )
        .route(
            routes::REMOVE_MEMBER.axum_path,
            post(console_settings::remove_member),
        )
        .route(
            routes::CREATE_CLUSTER.axum_path,
            post(console_create::create_cluster),
        )
        .route(
            routes::KUBECONFIG.axum_path,
            get(console_actions::kubeconfig),
        )
        .route(
            routes::NODE_ACTION.axum_path,
            post(console_actions::node_action),
        )
        .route(routes::ADD_POOL.axum_path, post(console_actions::add_pool))
        .route(
            routes::POOL_ACTION.axum_path,
            post(console_actions::pool_action),
        )
        .route(
            routes::SAVE_SETTINGS.axum_path,
            post(console_actions::save_settings),
        )
        .route(
            routes::START_UPGRADE.axum_path,
            post(console_upgrade::start_upgrade),
        )
        .route(
            routes::SAVE_WINDOW.axum_path,
            post(console_freshness::save_window),
        )
        .route(
            routes::SAVE_LIFESPAN.axum_path,
            post(console_freshness::save_lifespan),
        )
        .route(
            routes::ADD_EXCLUSION.axum_path,
            post(console_freshness::add_exclusion),
        )
        .route(
            routes::SAVE_AUTO_UPGRADE.axum_path,
            post(console_freshness::save_auto_upgrade),
        )
        .route(
            routes::SAVE_AUTOHEALING.axum_path,
            post(console_freshness::save_autohealing),
        )
        .route(
            routes::MAINTENANCE_ICS.axum_path,
            get(console_freshness::timeline_ics),
        )
        .route(
            routes::REMOVE_EXCLUSION.axum_path,
            post(console_freshness::remove_exclusion),
        )
        .route(
            routes::START_ROLLBACK.axum_path,
            post(console_upgrade::start_rollback),
        )
        .route(
            routes::CONTROL_UPGRADE.axum_path,
            post(console_upgrade::control_upgrade),
        )
        .route(routes::CLUSTER_LIVE.axum_path, get(live::cluster_changes))
        .route(
            routes::DELETE_CLUSTER.axum_path,
            post(console_actions::delete_cluster),
        )
        .route(
            routes::ADD_ACL_RULE.axum_path,
            post(console_actions::add_acl_rule),
        )
        .route(
            routes::DELETE_ACL_RULE.axum_path,
            post(console_actions::delete_acl_rule),
        )
        .route(
            routes::RESET_ADMIN_TOKEN.axum_path,
            post(console_actions::reset_admin_token),
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
