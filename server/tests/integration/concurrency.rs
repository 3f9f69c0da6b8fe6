//! Many writers at once, with the reconciler writing too, never surface a database error: on
//! SQLite, write transactions begin IMMEDIATE (a deferred BEGIN that reads first fails with
//! SQLITE_BUSY_SNAPSHOT when another writer commits in between, which busy_timeout does not retry).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::json;
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::scaleway_api::ready_cluster;
use crate::support::TestApp;

const R: &str = "/k8s/v1/regions/fr-par";

on_both_databases!(
    two_hundred_concurrent_writers_never_see_a_server_error,
    |database: Database| async move {
        let app = Arc::new(TestApp::new(database));
        let token = app.api_key("busy").await;
        let (cluster_id, pool_id) = ready_cluster(&app, &token, "busy", "1.35.1", 1).await;

        // The reconciler keeps writing in the background: a new cluster boots meanwhile.
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(
                    json!({ "name": "booting", "version": "1.35.1", "cni": "cilium",
                             "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 5 }] }),
                ),
            )
            .await;
        assert_eq!(status, 200);
        let stop = Arc::new(AtomicBool::new(false));
        let background = {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                let reconciler = app.reconciler();
                let mut passes = 0;
                while !stop.load(Ordering::Relaxed) {
                    reconciler.run_pass().await.expect("reconciler pass");
                    app.clock.advance(chrono::Duration::seconds(2));
                    passes += 1;
                }
                passes
            })
        };

        let writers: Vec<_> = (0..200)
            .map(|i| {
                let (app, token, cluster_id, pool_id) =
                    (app.clone(), token.clone(), cluster_id.clone(), pool_id.clone());
                tokio::spawn(async move {
                    let (method, path, body) = match i % 5 {
                        0 => ("PATCH", format!("{R}/clusters/{cluster_id}"), json!({ "tags": [format!("t{i}")] })),
                        1 => ("POST", format!("{R}/clusters/{cluster_id}/acls"),
                              json!({ "acls": [{ "ip": format!("10.{}.0.0/16", i % 250), "description": format!("w{i}") }] })),
                        2 => ("PUT", format!("{R}/pools/{pool_id}/set-labels"), json!({ "labels": { "writer": format!("w{i}") } })),
                        3 => ("PATCH", format!("{R}/pools/{pool_id}"), json!({ "tags": [format!("t{i}")] })),
                        _ => ("POST", format!("{R}/clusters"), json!({ "name": format!("c{i}"), "version": "1.35.1",
                              "cni": "cilium", "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 1 }] })),
                    };
                    let (status, answer) = app.api(method, &path, &token, Some(body)).await;
                    (i, method, path, status, answer)
                })
            })
            .collect();
        let mut failures = Vec::new();
        let mut succeeded = 0;
        for writer in writers {
            let (i, method, path, status, answer) = writer.await.expect("writer");
            if status >= 500 {
                failures.push(format!("writer {i}: {method} {path} → {status} {answer}"));
            } else if status < 300 {
                succeeded += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        let passes = background.await.expect("reconciler");
        assert!(
            failures.is_empty(),
            "{} server errors:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(passes > 0, "the reconciler ran alongside the writers");
        // ACL writers may find the cluster's 100-rule limit; pool PATCHes may meet a busy pool.
        assert!(succeeded >= 120, "most writes succeed ({succeeded} of 200)");
    }
);

/// Two replicas on one PostgreSQL database: a write made through one (here, creating a
/// cluster, then its reconciler's steps) is heard by the other at once, whose live views
/// (the dashboard's and an upgrade's Server-Sent Events) then read the new state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_replica_wakes_the_live_views_of_another() {
    let Some(test_db) = crate::support::TestDatabase::postgres().await else {
        return;
    };
    let listener = TestApp::new(test_db.database.clone());
    tokio::spawn(
        listener
            .state
            .changes
            .clone()
            .listen_postgres(test_db.url.clone()),
    );
    for _ in 0..100 {
        if listener.state.changes.is_listening() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        listener.state.changes.is_listening(),
        "listening on PostgreSQL"
    );
    let mut heard = listener.state.changes.subscribe();

    let writer = TestApp::new(test_db.database.clone());
    let token = writer.api_key("shop").await;
    let (status, cluster) = writer
        .api(
            "POST",
            &format!("{R}/clusters"),
            &token,
            Some(json!({
                "name": "heard", "version": "1.34.2", "cni": "cilium",
                "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 1 }],
            })),
        )
        .await;
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    // Other tests share the database (notifications are database-wide): wait for this one.
    let found = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match heard.recv().await {
                Ok(changed) if changed == id => return true,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return false,
            }
        }
    })
    .await;
    assert_eq!(found, Ok(true), "the other replica heard of cluster {id}");
    test_db.cleanup().await;
}
