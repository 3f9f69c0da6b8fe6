//! The command line: every option also reads an environment variable, so deployments configure
//! Wheelhouse without flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::change::{Actor, ChangeContext, Interface, Source};
use crate::store::DEFAULT_DATABASE_URL;

#[derive(Debug, Parser)]
#[command(
    name = "wheelhouse",
    version,
    about = "Managed Kubernetes console and provisioning backend"
)]
pub struct Cli {
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, global = true, env = "WHEELHOUSE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and the APIs (applies pending migrations first).
    Serve(ServeOptions),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseOptions),
    /// Manage API keys for the REST APIs.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Manage the people who sign in to the console.
    #[command(subcommand)]
    User(UserCommand),
    /// Operator tools.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The tamper-evident audit log: verify an export offline (or the live log), export an
    /// organization's log, sign a checkpoint now, print the public key.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// For cluster owners: Kubernetes clusters through a Wheelhouse server's API
    /// (`WHEELHOUSE_URL`, `WHEELHOUSE_SECRET_KEY`).
    #[command(subcommand)]
    K8s(K8sCommand),
}

#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[derive(Debug, Clone, Args)]
pub struct ServerOptions {
    /// The Wheelhouse server, e.g. https://wheelhouse.example.com.
    #[arg(long, env = "WHEELHOUSE_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// The secret key of an API key of the cluster's project.
    #[arg(long, env = "WHEELHOUSE_SECRET_KEY", hide_env_values = true)]
    pub secret_key: String,
    #[arg(long, default_value = "fr-par")]
    pub region: String,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The upgrade pre-flight: GO, GO with warnings or NO-GO, with every check's evidence.
    /// Exits with an error on NO-GO.
    Preflight {
        /// The cluster's id.
        cluster_id: String,
        /// The version to upgrade to, e.g. 1.35.1.
        #[arg(long)]
        version: String,
        #[command(flatten)]
        server: ServerOptions,
    },
    /// Starts an upgrade (control plane, then each pool) after the same pre-flight.
    Upgrade {
        /// The cluster's id.
        cluster_id: String,
        /// The version to upgrade to, e.g. 1.35.1.
        #[arg(long)]
        version: String,
        /// Start despite a NO-GO, with this reason (recorded with the upgrade).
        #[arg(long)]
        override_reason: Option<String>,
        /// Minor upgrades: days (0-7) the control plane keeps the previous minor's behaviour,
        /// during which `rollback` takes the cluster back.
        #[arg(long, default_value_t = 0)]
        soak_days: u32,
        /// Follow the progress until the upgrade finishes.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        server: ServerOptions,
    },
    /// Rolls back to the version before the latest upgrade, after the same kind of pre-flight:
    /// the pools, then the control plane (during the upgrade's soak period); or, with `--pool`,
    /// one pool after an aborted or failed pool upgrade.
    Rollback {
        /// The cluster's id.
        cluster_id: String,
        /// Roll back only this pool (its id).
        #[arg(long)]
        pool: Option<String>,
        /// Start despite a NO-GO, with this reason (recorded with the rollback).
        #[arg(long)]
        override_reason: Option<String>,
        /// Follow the progress until the rollback finishes.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        server: ServerOptions,
    },
    /// The cluster's alerts, open ones first: severity, state, whose it is, what it is about
    /// and what to do. With --check, every rule is evaluated now first (a cleared condition
    /// resolves its alert); with --acknowledge ID --note TEXT, acknowledges one alert.
    Alerts {
        /// The cluster's id.
        cluster_id: String,
        /// Only alerts in this state: firing, pending, resolved or silenced.
        #[arg(long)]
        state: Option<String>,
        /// Evaluate every rule on the cluster now.
        #[arg(long)]
        check: bool,
        /// Acknowledge this alert (with --note).
        #[arg(long, requires = "note")]
        acknowledge: Option<String>,
        /// What is being done about the acknowledged alert.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        server: ServerOptions,
    },
    /// Restores the cluster to the provider's defaults: prints the preview (what changes, what
    /// is not touched), then starts once the cluster's name is typed (or given with --confirm).
    /// With --undo, undoes the latest restore (7 days); with --list-snapshots, lists the etcd
    /// snapshots a scope `etcd` restore can use.
    Restore {
        /// The cluster's id.
        cluster_id: String,
        /// system_apps, control_plane (with system apps) or etcd (with both, from --snapshot).
        #[arg(long, default_value = "system_apps")]
        scope: String,
        /// Scope etcd: the snapshot to restore (see --list-snapshots).
        #[arg(long)]
        snapshot: Option<String>,
        /// Undo the latest restore instead.
        #[arg(long)]
        undo: bool,
        /// List the cluster's etcd snapshots and stop.
        #[arg(long)]
        list_snapshots: bool,
        /// The cluster's name, to confirm without being asked.
        #[arg(long)]
        confirm: Option<String>,
        /// Follow the progress until the restore ends, then print the diagnostics.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        server: ServerOptions,
    },
    /// Runs the diagnostics: what works, what still fails, whose it is and what to do. Exits
    /// with an error when a check fails.
    Diagnose {
        /// The cluster's id.
        cluster_id: String,
        #[command(flatten)]
        server: ServerOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Checks an export with no server and no database (every checkpoint's signature, that
    /// the entries rebuild each root, consistency between checkpoints) and names the first
    /// entry edited, removed, inserted or reordered, or a cut tail. With --database-url, checks
    /// the live log the same way. Exits with an error when anything fails.
    Verify(AuditVerifyOptions),
    /// Writes an organization's log as JSON Lines with its checkpoints (and, filtered, each
    /// entry's inclusion proof), or as CSV. The export is itself recorded in the log.
    Export(AuditExportOptions),
    /// Signs a checkpoint of every log that grew (or of one organization's) now, and prints
    /// each.
    Checkpoint {
        /// Only this organization's log.
        #[arg(long)]
        organization: Option<String>,
        #[command(flatten)]
        database: DatabaseOptions,
    },
    /// Prints the installation's public key (PEM), which checks every checkpoint.
    PublicKey {
        #[command(flatten)]
        database: DatabaseOptions,
    },
}

#[derive(Debug, Clone, Args)]
pub struct AuditVerifyOptions {
    /// The export (JSON Lines); `-` reads standard input.
    pub export: Option<PathBuf>,
    /// The key to check signatures with: a file (PEM, or base64 of its 32 bytes) or the key
    /// itself in base64. Without it the export's own key is used, which proves the export is
    /// intact but not who signed it.
    #[arg(long)]
    pub public_key: Option<String>,
    /// Verify the live log in this database instead of an export.
    #[arg(long)]
    pub database_url: Option<String>,
    /// With --database-url: the installation's signing key file (see `serve`).
    #[arg(long, env = "WHEELHOUSE_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,
    /// With --database-url: only this organization's log (else every log).
    #[arg(long)]
    pub organization: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct AuditExportOptions {
    /// The organization whose log is exported.
    #[arg(long)]
    pub organization: String,
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Where to write (default: standard output).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only entries whose actor's name contains this (an email, `api-key SCW…`, …).
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this action (`cluster.update`) or its object's actions (`cluster`).
    #[arg(long)]
    pub action: Option<String>,
    /// Only entries about this object (a cluster, pool, node, key or person's id).
    #[arg(long)]
    pub target: Option<String>,
    /// Only entries about this cluster or anything in it.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only `done` or `refused` changes.
    #[arg(long)]
    pub outcome: Option<String>,
    /// Only entries at or after this time (RFC 3339, or a date YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Only entries before this time (RFC 3339, or a date YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<String>,
    #[command(flatten)]
    pub database: DatabaseOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// JSON Lines with checkpoints and proofs: verifiable offline.
    Jsonl,
    /// One row per entry, for spreadsheets.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a person (or add them to another project) and print a generated password once.
    Create(UserCreateOptions),
    /// Give a person a new generated password (printed once); their sessions end.
    ResetPassword(UserResetOptions),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Owner,
    Editor,
    Viewer,
}

#[derive(Debug, Clone, Args)]
pub struct UserCreateOptions {
    #[arg(long)]
    pub email: String,
    /// The project they join; created if it does not exist.
    #[arg(long)]
    pub project: String,
    #[arg(long, value_enum, default_value_t = RoleArg::Owner)]
    pub role: RoleArg,
    /// A provider operator (publishes versions, OS images, notices).
    #[arg(long)]
    pub operator: bool,
    #[command(flatten)]
    pub database: DatabaseOptions,
}

#[derive(Debug, Clone, Args)]
pub struct UserResetOptions {
    #[arg(long)]
    pub email: String,
    #[command(flatten)]
    pub database: DatabaseOptions,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Inject a fault into the sandbox provider (for drills and tests).
    #[command(subcommand)]
    Fault(FaultCommand),
    /// What the sandbox's clusters run for their users: workloads' API use and PDBs (so every
    /// upgrade check can be seen failing for a real reason).
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// The sandbox's clock (sandbox provider only).
    #[command(subcommand)]
    Clock(ClockCommand),
    /// The OS images the sandbox provider publishes.
    #[command(subcommand)]
    OsImage(OsImageCommand),
}

#[derive(Debug, Subcommand)]
pub enum OsImageCommand {
    /// Publishes a new OS image: new nodes boot it, nodes on older ones become outdated (and
    /// pools with a lifespan replace them first, in the window).
    Publish {
        /// e.g. ubuntu-noble-k8s-2026-12-07
        name: String,
        #[arg(
            long,
            default_value = "Ubuntu 24.04 with containerd 2.0, security updates"
        )]
        description: String,
        #[command(flatten)]
        database: DatabaseOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// Moves the clock of every sandbox server on this database forward, e.g. `advance 2d`,
    /// `advance 1d12h`, `advance 90m` (nodes age, timers fire, lifespans come due).
    Advance {
        duration: String,
        #[command(flatten)]
        database: DatabaseOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// A workload object uses an API: `... workload add CLUSTER_ID batch/v1 CronJob default/nightly`.
    Workload {
        #[arg(value_parser = ["add", "remove"])]
        action: String,
        cluster_id: String,
        api_version: String,
        kind: String,
        /// NAMESPACE/NAME
        object: String,
        #[command(flatten)]
        database: DatabaseOptions,
    },
    /// A PodDisruptionBudget whose pods run one per node of a pool (or of every pool).
    Pdb {
        #[arg(value_parser = ["set", "remove"])]
        action: String,
        cluster_id: String,
        /// NAMESPACE/NAME
        object: String,
        /// How many of its pods may be evicted at once (`set`).
        #[arg(long, default_value_t = 0)]
        allowed: i64,
        /// The pool whose nodes run its pods; every pool's when absent.
        #[arg(long)]
        pool: Option<String>,
        #[command(flatten)]
        database: DatabaseOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum FaultCommand {
    /// A node fault: not_ready (now), provisioning_failure (its pool's booting nodes), none.
    Node {
        node_id: String,
        #[arg(value_parser = ["not_ready", "provisioning_failure", "none"])]
        fault: String,
        #[command(flatten)]
        database: DatabaseOptions,
    },
    /// A component's health: crash_loop, degraded or healthy.
    Component {
        cluster_id: String,
        component: String,
        #[arg(value_parser = ["crash_loop", "degraded", "healthy"])]
        health: String,
        #[command(flatten)]
        database: DatabaseOptions,
    },
    /// An etcd snapshot of a cluster lost or damaged in the provider's storage: corrupt,
    /// missing, or available again (a restore refuses it before anything changes).
    Snapshot {
        cluster_id: String,
        snapshot_id: String,
        #[arg(value_parser = ["corrupt", "missing", "available"])]
        state: String,
        #[command(flatten)]
        database: DatabaseOptions,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseOptions {
    /// sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DATABASE.
    #[arg(long, env = "WHEELHOUSE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// The installation's Ed25519 key that signs audit checkpoints (PKCS#8 PEM, made on first
    /// use, readable by its owner only). Every replica and command on one database must use
    /// the same file. Default: audit-signing-key.pem beside a SQLite database, else in ./data.
    #[arg(long, env = "WHEELHOUSE_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,
}

impl DatabaseOptions {
    /// Where the audit signing key is.
    pub fn audit_key_path(&self) -> PathBuf {
        if let Some(path) = &self.audit_key_file {
            return path.clone();
        }
        let sqlite_folder = self
            .database_url
            .strip_prefix("sqlite://")
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|path| !path.is_empty() && *path != ":memory:")
            .and_then(|path| std::path::Path::new(path).parent().map(PathBuf::from));
        sqlite_folder
            .unwrap_or_else(|| PathBuf::from("data"))
            .join("audit-signing-key.pem")
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Address to listen on, HOST:PORT.
    #[arg(long, env = "WHEELHOUSE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseOptions,

    /// Folder with the built console assets (pkg/ with wasm, js and css); cargo-leptos sets
    /// LEPTOS_SITE_ROOT when it runs the server.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Speed of the sandbox provider: realistic durations (a node boots in about 2 minutes)
    /// divided by this factor. 1 is real time; the default 60 makes a boot take 2 seconds.
    #[arg(long, env = "WHEELHOUSE_TIME_SCALE", default_value_t = 60.0, value_parser = positive_scale)]
    pub time_scale: f64,

    /// The address users reach this server at (behind a proxy, say), e.g.
    /// https://wheelhouse.example.com; defaults to http://ADDR. Kubeconfigs point there.
    #[arg(long, env = "WHEELHOUSE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The provider behind the provisioning port: the embedded sandbox, or any endpoint
    /// speaking Scaleway's k8s v1 API (Scaleway itself, another Wheelhouse).
    #[arg(long, env = "WHEELHOUSE_PROVIDER", value_enum, default_value_t = Provider::Sandbox)]
    pub provider: Provider,

    /// With `--provider scaleway`: the API's base URL, e.g. https://api.scaleway.com.
    #[arg(long, env = "WHEELHOUSE_PROVIDER_URL")]
    pub provider_url: Option<String>,

    /// With `--provider scaleway`: the secret key of the API key Wheelhouse acts with.
    #[arg(long, env = "WHEELHOUSE_PROVIDER_SECRET_KEY", hide_env_values = true)]
    pub provider_secret_key: Option<String>,

    /// Address of the TLS listener where the sandbox clusters' Kubernetes API servers answer
    /// (their kubeconfigs point there), HOST:PORT; port 0 picks a free one.
    #[arg(
        long,
        env = "WHEELHOUSE_KUBE_API_ADDR",
        default_value = "127.0.0.1:6443"
    )]
    pub kube_api_addr: SocketAddr,

    /// The address kubectl reaches that listener at, when it is not https://KUBE_API_ADDR
    /// (behind a proxy or a DNS name, say); its host goes into the server certificate.
    #[arg(long, env = "WHEELHOUSE_KUBE_API_URL")]
    pub kube_api_url: Option<String>,

    /// On first start, create a "demo" project with a cluster and print an API key for it.
    #[arg(long, env = "WHEELHOUSE_DEMO")]
    pub demo: bool,

    /// Pause between two reconciler passes, in milliseconds.
    #[arg(long, env = "WHEELHOUSE_RECONCILE_INTERVAL_MS", default_value_t = 250)]
    pub reconcile_interval_ms: u64,

    /// Pause between two maintenance passes (node lifespans, autohealing, patch
    /// auto-upgrades), in milliseconds.
    #[arg(
        long,
        env = "WHEELHOUSE_MAINTENANCE_INTERVAL_MS",
        default_value_t = 10_000
    )]
    pub maintenance_interval_ms: u64,

    /// Pause between two audit checkpoint passes (each signs every log that grew), in
    /// seconds; at most 3600, so every change is under a signed checkpoint within the hour.
    #[arg(
        long,
        env = "WHEELHOUSE_AUDIT_CHECKPOINT_INTERVAL_S",
        default_value_t = 3600
    )]
    pub audit_checkpoint_interval_s: u64,

    /// Pause between two alert evaluation passes (every rule over every cluster), in
    /// milliseconds.
    #[arg(long, env = "WHEELHOUSE_ALERTS_INTERVAL_MS", default_value_t = 15_000)]
    pub alerts_interval_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    /// Wheelhouse's own simulated provider, in this process and its database.
    Sandbox,
    /// A Scaleway-compatible k8s v1 endpoint (`--provider-url`, `--provider-secret-key`).
    Scaleway,
}

fn positive_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(scale) if scale.is_finite() && (0.001..=100_000.0).contains(&scale) => Ok(scale),
        _ => Err(format!(
            "`{text}` is not a time scale: use a number from 0.001 to 100000 (1 = real time)"
        )),
    }
}

#[derive(Debug, Clone, Args)]
pub struct ApiKeyCreateOptions {
    /// Name of the project the key is for; created if it does not exist.
    #[arg(long)]
    pub project: String,

    /// What the key is for (shown in listings).
    #[arg(long, default_value = "")]
    pub description: String,

    #[command(flatten)]
    pub database: DatabaseOptions,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for a project and print it as JSON (the secret is shown only once).
    Create(ApiKeyCreateOptions),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Who changes something from the command line: one of the provider's operators, named by the
/// operating-system account that runs the command (`$USER`), else "cli".
pub fn operator_context() -> ChangeContext {
    operator_named(std::env::var("USER").ok())
}

fn operator_named(user: Option<String>) -> ChangeContext {
    let name = user
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "cli".to_string());
    ChangeContext::new(Actor::Operator { name }, Source::of(Interface::Cli))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_acts_as_the_account_running_it() {
        let named = operator_named(Some("ada".into()));
        assert_eq!(named.actor, Actor::Operator { name: "ada".into() });
        assert_eq!(named.source, Source::of(Interface::Cli));
        for nobody in [None, Some(String::new()), Some("  ".into())] {
            assert_eq!(
                operator_named(nobody).actor,
                Actor::Operator { name: "cli".into() }
            );
        }
    }

    #[test]
    fn serve_defaults_to_loopback_and_the_sqlite_file() {
        let cli = Cli::try_parse_from(["wheelhouse", "serve"]).expect("defaults parse");
        let Command::Serve(options) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(options.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(options.database.database_url, DEFAULT_DATABASE_URL);
    }

    #[test]
    fn a_bad_address_is_refused_with_a_clear_message() {
        let error = Cli::try_parse_from(["wheelhouse", "serve", "--addr", "localhost:http"])
            .expect_err("not a socket address");
        let message = error.to_string();
        assert!(message.contains("--addr"), "{message}");
        assert!(message.contains("invalid socket address"), "{message}");
    }
}
