//! Test fixtures: a fresh database per test, on SQLite (a temporary file) or PostgreSQL (a
//! schema of its own in the database named by `WHEELHOUSE_TEST_POSTGRES_URL`), and an in-process
//! application to call with `tower::ServiceExt::oneshot`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wheelhouse::backend::sandbox::reconciler::Reconciler;
use wheelhouse::backend::sandbox::timing::Timing;
use wheelhouse::backend::sandbox::Provisioning;
use wheelhouse::clock::{ManualClock, SharedClock};
use wheelhouse::domain::ids::SequentialIds;
use wheelhouse::http::router;
use wheelhouse::state::AppState;
use wheelhouse::store::Database;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The `wheelhouse` binary, signing audit checkpoints with one key for the whole test run
/// (kept in the temporary folder, never where a default would put it: in the repository).
pub fn wheelhouse_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wheelhouse"));
    command.env(
        "WHEELHOUSE_AUDIT_KEY_FILE",
        std::env::temp_dir().join(format!(
            "wheelhouse-tests-{}-audit-key.pem",
            std::process::id()
        )),
    );
    command
}

/// The PostgreSQL server the tests use.
pub fn postgres_url() -> String {
    std::env::var("WHEELHOUSE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

pub fn test_start_time() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-01T08:00:00Z")
        .expect("valid timestamp")
        .with_timezone(&chrono::Utc)
}

/// How long a test body may run before it is reported as hung (instead of holding CI until its
/// own timeout, with no word of which test or why).
pub const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// How long cleanup waits for the application's pooled connections to come back.
const CLEANUP_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// How long a statement of a test waits for a row or table lock before it fails with
/// PostgreSQL's "canceling statement due to lock timeout" (which names the wait, where a hang
/// would not).
const LOCK_TIMEOUT_MS: u32 = 60_000;

/// A migrated database that exists only for one test.
pub struct TestDatabase {
    pub database: Database,
    /// The URL another process (a real `wheelhouse`) can use to reach this database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    PostgresSchema(String),
}

impl TestDatabase {
    pub async fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("wheelhouse.db").display());
        let database = wheelhouse::serve::prepare_database(&url)
            .await
            .expect("SQLite database in a temporary directory");
        TestDatabase {
            database,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new schema in the test PostgreSQL database. Without PostgreSQL the test fails when
    /// `CI` is set (so CI never silently skips); elsewhere it is skipped with a loud message.
    pub async fn postgres() -> Option<TestDatabase> {
        let base = postgres_url();
        let admin = match Database::connect(&base).await {
            Ok(admin) => admin,
            Err(error) => {
                if std::env::var_os("CI").is_some() {
                    panic!("PostgreSQL is required in CI ({base}): {error}");
                }
                eprintln!("SKIPPED: PostgreSQL test, no server at {base}: {error}");
                return None;
            }
        };
        sweep_stale_schemas(&admin).await;
        let schema = format!(
            "wh_test_{}_{}",
            chrono::Utc::now().timestamp(),
            uuid::Uuid::new_v4().simple()
        );
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(admin.pool())
            .await
            .expect("create test schema");
        admin.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        // The application name lets cleanup end this test's connections, if any were leaked.
        let url = format!(
            "{base}{separator}options=-c%20search_path%3D{schema}%20-c%20lock_timeout%3D{LOCK_TIMEOUT_MS}\
             &application_name={schema}"
        );
        let database = wheelhouse::serve::prepare_database(&url)
            .await
            .expect("migrated PostgreSQL test schema");
        Some(TestDatabase {
            database,
            url,
            cleanup: Cleanup::PostgresSchema(schema),
        })
    }

    /// Runs a test body on this database, failing it if it runs past [`TEST_LIMIT`]; a hang is
    /// reported with what this test's PostgreSQL sessions were doing, so it can be diagnosed from
    /// the CI log alone.
    pub async fn run<F: std::future::Future<Output = ()>>(&self, body: impl FnOnce(Database) -> F) {
        if tokio::time::timeout(TEST_LIMIT, body(self.database.clone()))
            .await
            .is_err()
        {
            let sessions = match &self.cleanup {
                Cleanup::PostgresSchema(schema) => postgres_sessions(schema).await,
                Cleanup::Sqlite(_) => String::from("(SQLite)"),
            };
            panic!("the test did not finish within {TEST_LIMIT:?}: it hangs; its database sessions: {sessions}");
        }
    }

    pub async fn cleanup(self) {
        // Closing waits for every pooled connection to come back; one held by a task that never
        // ends must not hang the whole run, so it is waited for a while, then ended below.
        if tokio::time::timeout(CLEANUP_WAIT, self.database.close())
            .await
            .is_err()
        {
            eprintln!("cleanup: a pooled connection was not returned within {CLEANUP_WAIT:?}");
        }
        if let Cleanup::PostgresSchema(schema) = self.cleanup {
            if let Ok(admin) = Database::connect(&postgres_url()).await {
                let _ = sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1",
                )
                .bind(&schema)
                .execute(admin.pool())
                .await;
                let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(admin.pool())
                    .await;
                admin.close().await;
            }
        }
    }
}

/// One line per PostgreSQL session of a test: its state, what it waits for, who blocks it, and
/// its statement.
async fn postgres_sessions(schema: &str) -> String {
    use sqlx::Row;
    let Ok(admin) = Database::connect(&postgres_url()).await else {
        return String::from("(PostgreSQL unreachable)");
    };
    let rows = sqlx::query(
        "SELECT pid::text AS pid, COALESCE(state, '') AS state, \
                COALESCE(wait_event_type || '/' || wait_event, '') AS waiting, \
                array_to_string(pg_blocking_pids(pid), ',') AS blocked_by, \
                COALESCE(to_char(xact_start, 'HH24:MI:SS'), '') AS transaction_since, \
                left(query, 300) AS query \
         FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(schema)
    .fetch_all(admin.pool())
    .await;
    admin.close().await;
    match rows {
        Err(error) => format!("(could not read pg_stat_activity: {error})"),
        Ok(rows) if rows.is_empty() => String::from("none open"),
        Ok(rows) => rows
            .iter()
            .map(|row| {
                let field = |name: &str| row.try_get::<String, _>(name).unwrap_or_default();
                format!(
                    "\n  pid {} {} waiting [{}] blocked by [{}] transaction since [{}]: {}",
                    field("pid"),
                    field("state"),
                    field("waiting"),
                    field("blocked_by"),
                    field("transaction_since"),
                    field("query")
                )
            })
            .collect(),
    }
}

/// Schemas left behind by tests that panicked more than an hour ago.
async fn sweep_stale_schemas(admin: &Database) {
    use sqlx::Row;
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    let Ok(rows) = sqlx::query(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'wh_test_%'",
    )
    .fetch_all(admin.pool())
    .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String, _>("schema_name") else {
            continue;
        };
        let created = name
            .split('_')
            .nth(2)
            .and_then(|seconds| seconds.parse::<i64>().ok());
        if created.is_some_and(|created| created < cutoff) {
            // A leftover connection still in the schema would make the drop wait for ever.
            let _ = sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind(&name)
            .execute(admin.pool())
            .await;
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(admin.pool())
                .await;
        }
    }
}

/// Runs the same test body against SQLite and against PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let test_database = $crate::support::TestDatabase::sqlite().await;
                test_database.run($body).await;
                test_database.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(test_database) = $crate::support::TestDatabase::postgres().await else {
                    return;
                };
                test_database.run($body).await;
                test_database.cleanup().await;
            }
        }
    };
}

/// The application as the server builds it, with a manual clock, without a listening socket.
pub struct TestApp {
    pub clock: ManualClock,
    pub provisioning: Provisioning,
    pub state: AppState,
    router: axum::Router,
    /// The sandbox clusters' Kubernetes API servers (served over TLS by `serve`).
    kube_api: axum::Router,
    /// Every change the services reported (the one path), oldest first.
    pub recorded: Arc<wheelhouse::services::changes::RememberedChanges>,
}

impl TestApp {
    pub fn new(database: Database) -> TestApp {
        TestApp::with_state(database, |_| {})
    }

    /// The application with its state adjusted first (another backend behind the port, say).
    pub fn with_state(database: Database, adjust: impl FnOnce(&mut AppState)) -> TestApp {
        let clock = ManualClock::new(test_start_time());
        let shared: SharedClock = Arc::new(clock.clone());
        let addr: SocketAddr = "127.0.0.1:3000".parse().expect("address");
        let site_root = std::env::temp_dir().join("wheelhouse-test-site");
        let mut state = AppState::new(
            database,
            shared,
            Arc::new(SequentialIds::default()),
            Timing::default(),
            &site_root,
            addr,
        );
        let recorded = Arc::new(wheelhouse::services::changes::RememberedChanges::default());
        state.record_changes_in(wheelhouse::services::changes::Changes::new(
            recorded.clone(),
        ));
        adjust(&mut state);
        TestApp {
            recorded,
            provisioning: state.provisioning.clone(),
            state: state.clone(),
            kube_api: wheelhouse::backend::sandbox::kube_api::router(state.provisioning.clone()),
            router: router(state),
            clock,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible")
    }

    /// A request to the sandbox clusters' Kubernetes API servers.
    pub async fn send_kube(&self, request: Request<Body>) -> Response<Body> {
        self.kube_api
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible")
    }

    pub async fn get(&self, path: &str) -> (Response<()>, String) {
        let request = Request::get(path)
            .header("host", "127.0.0.1:3000")
            .body(Body::empty())
            .expect("request");
        read(self.send(request).await).await
    }
}

/// Splits a response into its head and its body as text.
pub async fn read(response: Response<Body>) -> (Response<()>, String) {
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (
        Response::from_parts(parts, ()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Who makes the tests' own fixtures (people, projects, keys): a job of its own, so they take
/// the one path like every change.
pub fn fixtures() -> wheelhouse::domain::change::ChangeContext {
    wheelhouse::domain::change::ChangeContext::job("test-fixtures")
}

impl TestApp {
    /// The one path for a fixture made as `context`: recorded with the app's changes.
    pub fn fixture_path<'a>(
        &'a self,
        context: &'a wheelhouse::domain::change::ChangeContext,
    ) -> wheelhouse::services::identity::ChangePath<'a> {
        wheelhouse::services::identity::ChangePath::new(&self.state.recorded, context)
    }

    /// Creates a project and an API key; returns the secret for `X-Auth-Token`.
    pub async fn api_key(&self, project: &str) -> String {
        wheelhouse::services::identity::new_api_key(
            &self.provisioning.database,
            &wheelhouse::domain::ids::RandomIds,
            &self.clock,
            self.fixture_path(&fixtures()),
            project,
            "tests",
        )
        .await
        .expect("API key")
        .secret_key
    }

    /// A JSON request to the REST API with a token; returns the status and the JSON body.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("x-auth-token", token)
            .header("content-type", "application/json")
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .expect("request");
        let (response, text) = read(self.send(request).await).await;
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (response.status().as_u16(), json)
    }

    /// The caller an API key's secret authenticates as.
    pub async fn caller(&self, secret: &str) -> wheelhouse::domain::model::Caller {
        let (access_key, project_id, organization_id): (String, String, String) = sqlx::query_as(
            "SELECT k.access_key, p.id, p.organization_id FROM api_keys k \
             JOIN projects p ON p.id = k.project_id WHERE k.secret_hash = $1",
        )
        .bind(wheelhouse::http::scaleway::secret_hash(secret))
        .fetch_one(self.provisioning.database.pool())
        .await
        .expect("caller");
        wheelhouse::domain::model::Caller::new(
            project_id,
            organization_id,
            wheelhouse::domain::change::Actor::ApiKey { access_key },
            wheelhouse::domain::change::Source::of(
                wheelhouse::domain::change::Interface::ScalewayApi,
            ),
        )
    }

    pub fn reconciler(&self) -> Reconciler {
        Reconciler::new(self.provisioning.clone(), "test-worker")
    }

    /// Steps the clock by `step` and runs a reconciler pass, until no operation is pending;
    /// `observe` sees the state after every pass (to check invariants mid-rollout).
    pub async fn run_until_idle_observing<F, Fut>(
        &self,
        step: chrono::Duration,
        mut observe: F,
    ) -> usize
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let reconciler = self.reconciler();
        for pass in 0..20_000 {
            reconciler.run_pass().await.expect("reconciler pass");
            observe().await;
            if self.pending_operations().await == 0 {
                return pass;
            }
            self.clock.advance(step);
        }
        panic!("the reconciler did not finish its work in 20000 passes");
    }

    pub async fn run_until_idle(&self) -> usize {
        self.run_until_idle_observing(chrono::Duration::seconds(5), || async {})
            .await
    }

    pub async fn pending_operations(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM operations WHERE state = 'pending'")
            .fetch_one(self.provisioning.database.pool())
            .await
            .expect("count operations")
    }
}

/// The provider's operator, as tests act on the sandbox's simulated world (faults, workloads).
pub fn operator() -> wheelhouse::domain::model::Caller {
    wheelhouse::domain::model::Caller::new(
        "",
        "provider",
        wheelhouse::domain::change::Actor::Operator {
            name: "tests".into(),
        },
        wheelhouse::domain::change::Source::of(wheelhouse::domain::change::Interface::Cli),
    )
}
