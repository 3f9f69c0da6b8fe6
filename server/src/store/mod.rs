//! Persistence: one connection pool over SQLite (the embedded default) or PostgreSQL, the schema
//! migrations of each, and (as the backend grows) one module of plain sqlx queries per aggregate.
//!
//! Queries go through sqlx's `Any` driver so that each query is written once; where the two
//! dialects differ, `Database::kind` tells which one is in use. Columns therefore stick to types
//! both drivers map the same way: TEXT, BIGINT, BOOLEAN, DOUBLE PRECISION/REAL.

pub mod alerts;
pub mod audit;
pub mod changes;
pub mod cluster_owners;
pub mod freshness;
pub mod leases;
pub mod maintenance;
pub mod projects;
pub mod restore_runs;
pub mod rows;
pub mod setup;
pub mod upgrade_runs;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, Row};
use url::Url;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("src/store/migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// The default database when none is configured: a SQLite file, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/wheelhouse.db";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn label(self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "SQLite",
            DatabaseKind::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://HOST/DATABASE")]
    UnsupportedUrl(String),
    #[error("the database file {path} cannot be created or written: {reason}")]
    SqliteFileNotWritable { path: String, reason: String },
    #[error("cannot connect to the database at {location}: {reason}")]
    Unreachable { location: String, reason: String },
    #[error("the database schema could not be migrated: {0}")]
    Migration(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

/// A migration recorded as applied in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationRecord {
    pub version: i64,
    pub description: String,
    pub installed_at: String,
}

/// The shared pool plus what kind of database it talks to.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    kind: DatabaseKind,
    /// The URL without credentials: safe for logs and the console.
    location: String,
}

impl Database {
    /// Connects (creating the SQLite file and its folder if needed) without migrating.
    pub async fn connect(url: &str) -> Result<Database, StoreError> {
        sqlx::any::install_default_drivers();
        let kind = kind_of(url)?;
        let location = redact(url);
        if kind == DatabaseKind::Sqlite {
            prepare_sqlite_file(url)?;
        }
        let options: AnyConnectOptions = url
            .parse::<AnyConnectOptions>()
            .map_err(|_| StoreError::UnsupportedUrl(location.clone()))?
            .disable_statement_logging();
        // One direct connection first: the pool retries until its timeout and then reports only
        // "timed out", while the driver's own error says what is wrong (refused, auth, …).
        let probe = options
            .connect()
            .await
            .map_err(|error| StoreError::Unreachable {
                location: location.clone(),
                reason: describe_connect_error(&error),
            })?;
        let _ = probe.close().await;
        let pool_options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .max_connections(match kind {
                // One writer at a time in SQLite anyway; a few readers share WAL snapshots.
                DatabaseKind::Sqlite => 4,
                DatabaseKind::Postgres => 16,
            });
        let pool_options = if kind == DatabaseKind::Sqlite {
            pool_options.after_connect(|connection, _| {
                Box::pin(async move {
                    connection
                        .execute(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    Ok(())
                })
            })
        } else {
            pool_options
        };
        let pool =
            pool_options
                .connect_with(options)
                .await
                .map_err(|error| StoreError::Unreachable {
                    location: location.clone(),
                    reason: describe_connect_error(&error),
                })?;
        let database = Database {
            pool,
            kind,
            location,
        };
        if kind == DatabaseKind::Sqlite {
            database.check_sqlite_writable().await?;
        }
        Ok(database)
    }

    /// Connects and brings the schema up to date: what `serve` does at start.
    pub async fn connect_and_migrate(url: &str) -> Result<Database, StoreError> {
        let database = Database::connect(url).await?;
        database.migrate().await?;
        Ok(database)
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.kind {
            DatabaseKind::Sqlite => &SQLITE_MIGRATIONS,
            DatabaseKind::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|error| StoreError::Migration(error.to_string()))
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction for work that writes. On SQLite it begins `IMMEDIATE`: a deferred `BEGIN`
    /// that reads first cannot upgrade to a writer once another connection has committed
    /// (`SQLITE_BUSY_SNAPSHOT`, which busy_timeout does not retry); taking the write lock up
    /// front makes concurrent writers queue on busy_timeout instead of failing.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.kind {
            DatabaseKind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            DatabaseKind::Postgres => self.pool.begin().await,
        }
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// True when the database answers a trivial query.
    pub async fn is_reachable(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn applied_migrations(&self) -> Result<Vec<MigrationRecord>, StoreError> {
        // installed_on is TIMESTAMP in both schemas; cast to text so `Any` can decode it.
        let sql = match self.kind {
            DatabaseKind::Sqlite => {
                "SELECT version, description, CAST(installed_on AS TEXT) AS installed_on \
                 FROM _sqlx_migrations WHERE success ORDER BY version"
            }
            DatabaseKind::Postgres => {
                "SELECT version, description, \
                 to_char(installed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS installed_on \
                 FROM _sqlx_migrations WHERE success ORDER BY version"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(MigrationRecord {
                    version: row.try_get("version")?,
                    description: row.try_get("description")?,
                    installed_at: row.try_get("installed_on")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// SQLite opens a file it may not write as read-only without complaint; find out now rather
    /// than at the first user action.
    async fn check_sqlite_writable(&self) -> Result<(), StoreError> {
        let attempt = async {
            let mut transaction = self.begin().await?;
            sqlx::query("CREATE TABLE IF NOT EXISTS _wheelhouse_write_check (x BIGINT)")
                .execute(&mut *transaction)
                .await?;
            sqlx::query("DROP TABLE _wheelhouse_write_check")
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await
        };
        attempt
            .await
            .map_err(|error| StoreError::SqliteFileNotWritable {
                path: self.location.trim_start_matches("sqlite://").to_string(),
                reason: describe_connect_error(&error),
            })
    }
}

fn kind_of(url: &str) -> Result<DatabaseKind, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(DatabaseKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DatabaseKind::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl(redact(url)))
    }
}

/// The URL with any password removed, and without query parameters.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.scheme() != "sqlite" => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.set_query(None);
            parsed.to_string()
        }
        _ => url.split('?').next().unwrap_or(url).to_string(),
    }
}

/// The file behind a `sqlite:` URL; None for in-memory databases.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        None
    } else {
        Some(PathBuf::from(path))
    }
}

/// Creates the folder and the file so that a fresh checkout starts without any set-up, and so
/// that an unwritable location is reported as such (not as a vague driver error).
fn prepare_sqlite_file(url: &str) -> Result<(), StoreError> {
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    let not_writable = |reason: std::io::Error| StoreError::SqliteFileNotWritable {
        path: path.display().to_string(),
        reason: reason.to_string(),
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(not_writable)?;
    }
    if path.is_dir() {
        return Err(StoreError::SqliteFileNotWritable {
            path: path.display().to_string(),
            reason: "it is a directory".into(),
        });
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(Path::new(&path))
        .map_err(not_writable)?;
    Ok(())
}

/// A one-line reason without the driver's nesting.
fn describe_connect_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "timed out after 5 s".into(),
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_and_parameters() {
        assert_eq!(
            redact("postgres://user:secret@db.example:5432/wh?sslmode=require"),
            "postgres://user:***@db.example:5432/wh"
        );
        assert_eq!(
            redact("sqlite://data/wheelhouse.db?mode=rwc"),
            "sqlite://data/wheelhouse.db"
        );
    }

    #[test]
    fn database_kind_comes_from_the_scheme() {
        assert_eq!(kind_of("sqlite://x.db").ok(), Some(DatabaseKind::Sqlite));
        assert_eq!(
            kind_of("postgresql://h/d").ok(),
            Some(DatabaseKind::Postgres)
        );
        assert!(matches!(
            kind_of("mysql://h/d"),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }

    #[test]
    fn sqlite_paths_are_found_and_memory_databases_have_none() {
        assert_eq!(
            sqlite_path("sqlite://data/w.db?mode=rwc"),
            Some(PathBuf::from("data/w.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///abs/w.db"),
            Some(PathBuf::from("/abs/w.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
