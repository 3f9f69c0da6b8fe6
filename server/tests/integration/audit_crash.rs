//! Every change and its audit entry commit together, with a real process: `wheelhouse serve` is
//! killed with SIGKILL while several API clients create and change clusters and pools (and the
//! reconciler works on them), then the database is read: no change without its entry, no entry
//! without its change, no gap in any organization's sequence, and the live log verifies. And a
//! change whose entry cannot be written does not happen.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Row;

use crate::crash::{api_key, Server};
use crate::support::TestDatabase;

const REGION: &str = "/k8s/v1/regions/fr-par";

/// One API client: creates clusters (each with a one-node pool), renames each, and scales its
/// pool, until told to stop or the server is gone. Counts the clusters it was told were made.
fn writer(server: &Server, token: &str, name: &str, stop: &AtomicBool, created: &AtomicUsize) {
    let mut round = 0;
    while !stop.load(Ordering::SeqCst) && round < 12 {
        round += 1;
        let Some((status, cluster)) = server.request(
            "POST",
            &format!("{REGION}/clusters"),
            token,
            Some(json!({
                "name": format!("{name}-{round}"), "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 1 }],
            })),
        ) else {
            return;
        };
        if status != 200 {
            continue;
        }
        created.fetch_add(1, Ordering::SeqCst);
        let Some(id) = cluster["id"].as_str() else {
            continue;
        };
        let renamed = server.request(
            "PATCH",
            &format!("{REGION}/clusters/{id}"),
            token,
            Some(json!({ "description": format!("round {round}") })),
        );
        if renamed.is_none() {
            return;
        }
        let Some((_, pools)) =
            server.request("GET", &format!("{REGION}/clusters/{id}/pools"), token, None)
        else {
            return;
        };
        if let Some(pool_id) = pools["pools"][0]["id"].as_str() {
            if server
                .request(
                    "PATCH",
                    &format!("{REGION}/pools/{pool_id}"),
                    token,
                    Some(json!({ "size": 2 })),
                )
                .is_none()
            {
                return;
            }
        }
    }
}

async fn strings(conn: &mut sqlx::AnyConnection, sql: &str) -> Vec<String> {
    sqlx::query(sql)
        .fetch_all(conn)
        .await
        .expect("read")
        .iter()
        .map(|row| row.try_get::<String, _>(0).expect("text"))
        .collect()
}

/// What the issue asks of the log after a crash, read from the database in one snapshot (a
/// commit the dead server sent just before dying may still land while this reads).
async fn every_change_has_its_entry_and_no_more(test_db: &TestDatabase) {
    let mut conn = test_db.database.pool().acquire().await.expect("connection");
    let begin = match test_db.database.kind() {
        wheelhouse::store::DatabaseKind::Sqlite => "BEGIN",
        wheelhouse::store::DatabaseKind::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ",
    };
    sqlx::query(begin)
        .execute(&mut *conn)
        .await
        .expect("snapshot");
    let clusters = strings(&mut conn, "SELECT id FROM clusters ORDER BY id").await;
    let created = strings(
        &mut conn,
        "SELECT target_id FROM audit_entries WHERE action = 'cluster.create' AND outcome = 'done' \
         ORDER BY target_id",
    )
    .await;
    assert!(!clusters.is_empty(), "the writers made clusters");
    assert_eq!(
        clusters, created,
        "each cluster has exactly one cluster.create entry, and each entry its cluster"
    );
    let owned = strings(
        &mut conn,
        "SELECT cluster_id FROM cluster_owners ORDER BY cluster_id",
    )
    .await;
    assert_eq!(clusters, owned, "each cluster is owned by its project");

    let logs = sqlx::query(
        "SELECT l.organization_id, l.size, \
         (SELECT COUNT(*) FROM audit_entries e WHERE e.organization_id = l.organization_id), \
         (SELECT COUNT(DISTINCT seq) FROM audit_entries e WHERE e.organization_id = l.organization_id), \
         (SELECT COALESCE(MIN(seq), 0) FROM audit_entries e WHERE e.organization_id = l.organization_id), \
         (SELECT COALESCE(MAX(seq), -1) FROM audit_entries e WHERE e.organization_id = l.organization_id) \
         FROM audit_logs l",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("logs");
    assert!(!logs.is_empty());
    for row in logs {
        let organization: String = row.try_get(0).expect("organization");
        let (size, entries, distinct, first, last): (i64, i64, i64, i64, i64) = (
            row.try_get(1).expect("size"),
            row.try_get(2).expect("entries"),
            row.try_get(3).expect("distinct"),
            row.try_get(4).expect("first"),
            row.try_get(5).expect("last"),
        );
        assert_eq!(
            size, entries,
            "{organization}: the log's size is its entries"
        );
        assert_eq!(distinct, entries, "{organization}: no seq twice");
        if entries > 0 {
            assert_eq!(
                (first, last),
                (0, entries - 1),
                "{organization}: seq 0..n-1"
            );
        }
    }
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_entries e WHERE NOT EXISTS \
         (SELECT 1 FROM audit_logs l WHERE l.organization_id = e.organization_id)",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("orphans");
    assert_eq!(orphans, 0, "every entry belongs to a log");
    sqlx::query("ROLLBACK")
        .execute(&mut *conn)
        .await
        .expect("end of the snapshot");
    drop(conn);

    let output = crate::support::wheelhouse_command()
        .args(["audit", "verify", "--database-url", &test_db.url])
        .output()
        .expect("wheelhouse runs");
    assert!(
        output.status.success(),
        "the live logs verify: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Kills the server at a moment of its own choosing (the clock's nanoseconds) once its writers
/// have made `made` clusters: somewhere in the middle of some writers' requests.
fn kill_mid_way(server: &Server, created: &AtomicUsize, made: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while created.load(Ordering::SeqCst) < made && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.subsec_nanos() % 40)
        .unwrap_or_default();
    std::thread::sleep(Duration::from_millis(jitter.into()));
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status();
}

async fn killed_while_changes_are_written(test_db: TestDatabase) {
    let token = api_key(&test_db.url);
    // Several kills, each at another moment: each is a chance to land between a change and
    // its entry, were they written apart.
    for round in 0..5 {
        let server = Server::start(&test_db.url, "40");
        let stop = AtomicBool::new(false);
        let created = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for writer_name in ["a", "b", "c", "d", "e", "f"] {
                let name = format!("{writer_name}{round}");
                let (server, token, stop, created) = (&server, &token, &stop, &created);
                scope.spawn(move || writer(server, token, &name, stop, created));
            }
            kill_mid_way(&server, &created, 3);
            stop.store(true, Ordering::SeqCst);
        });
        drop(server);
        // The database ends the dead server's sessions (a COMMIT it had sent still lands).
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            created.load(Ordering::SeqCst) >= 3,
            "round {round}: the writers made clusters before the kill"
        );
        every_change_has_its_entry_and_no_more(&test_db).await;
    }
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_changes_are_written_no_change_lacks_its_entry_sqlite() {
    killed_while_changes_are_written(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_changes_are_written_no_change_lacks_its_entry_postgres() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    killed_while_changes_are_written(test_db).await;
}

/// A trigger that refuses every new audit entry, as a full disk or a broken log would.
async fn refuse_entries(test_db: &TestDatabase) {
    let statements: &[&str] = match test_db.database.kind() {
        wheelhouse::store::DatabaseKind::Sqlite => &[
            "CREATE TRIGGER refuse_entries BEFORE INSERT ON audit_entries \
             BEGIN SELECT RAISE(ABORT, 'no entry may be written'); END",
        ],
        wheelhouse::store::DatabaseKind::Postgres => &[
            "CREATE FUNCTION refuse_entries() RETURNS trigger AS \
             $$ BEGIN RAISE EXCEPTION 'no entry may be written'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_entries BEFORE INSERT ON audit_entries \
             FOR EACH ROW EXECUTE FUNCTION refuse_entries()",
        ],
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(test_db.database.pool())
            .await
            .expect("trigger");
    }
}

async fn count(test_db: &TestDatabase, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(test_db.database.pool())
        .await
        .expect("count")
}

async fn unrecorded_change_does_not_happen(test_db: TestDatabase) {
    let token = api_key(&test_db.url);
    let server = Server::start(&test_db.url, "40");
    let (status, cluster) = server
        .request(
            "POST",
            &format!("{REGION}/clusters"),
            &token,
            Some(json!({
                "name": "kept", "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 1 }],
            })),
        )
        .expect("create");
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    let entries = count(&test_db, "SELECT COUNT(*) FROM audit_entries").await;

    refuse_entries(&test_db).await;
    let (status, body) = server
        .request(
            "POST",
            &format!("{REGION}/clusters"),
            &token,
            Some(json!({
                "name": "never", "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 1 }],
            })),
        )
        .expect("create answered");
    assert!(
        status >= 500,
        "a create that cannot be recorded fails: {status} {body}"
    );
    let (status, body) = server
        .request(
            "PATCH",
            &format!("{REGION}/clusters/{id}"),
            &token,
            Some(json!({ "name": "renamed" })),
        )
        .expect("update answered");
    assert!(
        status >= 500,
        "an update that cannot be recorded fails: {status} {body}"
    );
    drop(server);

    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM clusters").await,
        1,
        "no cluster made"
    );
    assert_eq!(
        strings(
            &mut test_db.database.pool().acquire().await.expect("connection"),
            "SELECT name FROM clusters"
        )
        .await,
        vec!["kept".to_string()],
        "the cluster kept its name"
    );
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM pools").await,
        1,
        "no pool made"
    );
    // Wheelhouse's own objects too: a key that cannot be recorded is not made.
    let keys = count(&test_db, "SELECT COUNT(*) FROM api_keys").await;
    let output = crate::support::wheelhouse_command()
        .args([
            "api-key",
            "create",
            "--project",
            "refused",
            "--database-url",
            &test_db.url,
        ])
        .output()
        .expect("wheelhouse runs");
    assert!(!output.status.success(), "the key is refused");
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM api_keys").await,
        keys,
        "no key made"
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM projects WHERE name = 'refused'"
        )
        .await,
        0,
        "no project made"
    );
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM audit_entries").await,
        entries,
        "no entry either"
    );
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_entry_cannot_be_written_does_not_happen_sqlite() {
    unrecorded_change_does_not_happen(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_entry_cannot_be_written_does_not_happen_postgres() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    unrecorded_change_does_not_happen(test_db).await;
}
