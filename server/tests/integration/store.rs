//! The schema: migrations apply on both databases, twice without harm, and are listed.

use wheelhouse::store::{Database, DatabaseKind, StoreError};

use crate::on_both_databases;

on_both_databases!(
    migrations_apply_once_and_are_recorded,
    |database: Database| async move {
        let first = database
            .applied_migrations()
            .await
            .expect("list migrations");
        assert!(!first.is_empty(), "the initial schema is recorded");
        assert_eq!(first[0].version, 1);
        assert!(
            first[0].installed_at.starts_with("20"),
            "{}",
            first[0].installed_at
        );

        database.migrate().await.expect("a second run is a no-op");
        let second = database
            .applied_migrations()
            .await
            .expect("list migrations");
        assert_eq!(first, second);
    }
);

on_both_databases!(foreign_keys_are_enforced, |database: Database| async move {
    let orphan = sqlx::query(
        "INSERT INTO api_keys (access_key, secret_hash, project_id, created_at) \
         VALUES ('SCWXXXXXXXXXXXXXXXXX', 'hash', 'no-such-project', 0)",
    )
    .execute(database.pool())
    .await;
    assert!(
        orphan.is_err(),
        "an API key must belong to an existing project"
    );
});

#[tokio::test]
async fn the_sqlite_file_and_its_folder_are_created_on_first_start() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("nested/data/wheelhouse.db");
    let database = Database::connect_and_migrate(&format!("sqlite://{}", path.display()))
        .await
        .expect("created");
    assert_eq!(database.kind(), DatabaseKind::Sqlite);
    assert!(path.exists());
    let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(database.pool())
        .await
        .expect("pragma");
    assert_eq!(journal_mode, "wal");
    database.close().await;
}

#[tokio::test]
async fn a_sqlite_path_that_cannot_be_written_is_reported_as_such() {
    // Under a regular file, no folder can be created, whoever runs the test (even root).
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    let url = format!("sqlite://{}/wheelhouse.db", file.path().display());
    let error = Database::connect(&url).await.expect_err("not writable");
    assert!(
        matches!(error, StoreError::SqliteFileNotWritable { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("cannot be created or written"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_reported_with_its_location_but_no_password() {
    let error = Database::connect("postgres://wh:hunter2@127.0.0.1:1/wheelhouse")
        .await
        .expect_err("nothing listens on port 1");
    let message = error.to_string();
    assert!(
        message.starts_with(
            "cannot connect to the database at postgres://wh:***@127.0.0.1:1/wheelhouse"
        ),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn an_unknown_database_scheme_is_refused() {
    let error = Database::connect("mysql://127.0.0.1/test")
        .await
        .expect_err("unsupported");
    assert!(matches!(error, StoreError::UnsupportedUrl(_)), "{error}");
}
