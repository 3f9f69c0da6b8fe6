//! The application's state: everything a request handler or a background job may need, composed
//! once when the server starts (`serve`) or a test builds the app; cheap to clone.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::FromRef;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;

use crate::backend::sandbox::timing::Timing;
use crate::backend::sandbox::Provisioning;
use crate::backend::sandbox::SandboxBackend;
use crate::backend::SharedBackend;
use crate::clock::SharedClock;
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
    /// Every organization's tamper-evident log of those changes.
    pub audit: crate::services::audit::AuditLog,
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
        // A key for this process only until `serve` loads the installation's (tests keep it).
        let audit = crate::services::audit::AuditLog::new(
            database.clone(),
            clock.clone(),
            crate::audit::checkpoint::AuditKey::ephemeral(),
        );
        let recorded = crate::services::changes::Changes::default().audited(audit.clone());
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
            audit,
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

    /// Alerts (rules, their lifecycle, acknowledgements and silences), over whichever provider
    /// serves now.
    pub fn alerts(&self) -> crate::services::alerts::AlertService {
        crate::services::alerts::AlertService::new(
            self.service.clone(),
            self.database.clone(),
            self.clock.clone(),
            self.ids.clone(),
            self.replica.clone(),
        )
    }

    /// Restores and diagnostics, over whichever provider serves now.
    pub fn restores(&self) -> crate::services::restore::RestoreService {
        crate::services::restore::RestoreService::new(
            self.service.clone(),
            self.database.clone(),
            self.clock.clone(),
            self.ids.clone(),
        )
    }

    /// Serves over another provider behind the port (a remote one, or a test double).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.service = ProvisioningService::new(backend, self.database.clone(), self.clock.clone())
            .with_changes(self.recorded.clone());
    }

    /// Shows every change to `recorded`'s observers (tests remember them), still appending
    /// each to the audit log.
    pub fn record_changes_in(&mut self, recorded: crate::services::changes::Changes) {
        let recorded = recorded.audited(self.audit.clone());
        self.recorded = recorded.clone();
        self.service = self.service.clone().with_changes(recorded);
    }

    /// Signs checkpoints with the installation's key (`serve` loads it from its file).
    pub fn use_audit_key(&mut self, key: crate::audit::checkpoint::AuditKey) {
        self.audit =
            crate::services::audit::AuditLog::new(self.database.clone(), self.clock.clone(), key);
        self.record_changes_in(self.recorded.clone());
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
