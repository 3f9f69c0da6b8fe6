//! Races that used to lose work, run for real (many tasks at once, the reconciler running beside
//! them) on both databases: a PATCH never reverts an upgrade; one node takes one action; a scale
//! racing a delete leaves no node behind; a failed surge node costs no capacity; versions sort
//! as versions; an interrupted demo seed is completed by the next start.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use wheelhouse::backend::sandbox::store::versions;
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::scaleway_api::ready_cluster;
use crate::support::TestApp;

const R: &str = "/k8s/v1/regions/fr-par";

/// Runs reconciler passes (moving the clock) until `stop` is set.
fn reconcile_in_background(
    app: &Arc<TestApp>,
    stop: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let (app, stop) = (app.clone(), stop.clone());
    tokio::spawn(async move {
        let reconciler = app.reconciler();
        while !stop.load(Ordering::Relaxed) {
            reconciler.run_pass().await.expect("reconciler pass");
            app.clock.advance(chrono::Duration::seconds(3));
            tokio::task::yield_now().await;
        }
    })
}

on_both_databases!(
    patches_racing_an_upgrade_never_revert_it,
    |database: Database| async move {
        let app = Arc::new(TestApp::new(database));
        let token = app.api_key("race").await;
        let (id, _) = ready_cluster(&app, &token, "race", "1.35.1", 1).await;
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.36.0", "upgrade_pools": false })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let stop = Arc::new(AtomicBool::new(false));
        let background = reconcile_in_background(&app, &stop);
        let patches: Vec<_> = (0..40)
            .map(|i| {
                let (app, token, id) = (app.clone(), token.clone(), id.clone());
                tokio::spawn(async move {
                    app.api("PATCH", &format!("{R}/clusters/{id}"), &token,
                            Some(json!({ "tags": [format!("patch-{i}")], "description": format!("patch {i}") })))
                        .await
                })
            })
            .collect();
        for patch in patches {
            let (status, body) = patch.await.expect("patch");
            assert!(
                status == 200 || status == 409,
                "applied or refused: {status} {body}"
            );
        }
        stop.store(true, Ordering::Relaxed);
        background.await.expect("reconciler");
        app.run_until_idle().await;
        let (_, cluster) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(cluster["version"], "1.36.0", "{cluster}");
        assert_eq!(cluster["status"], "ready", "{cluster}");
        let tag = cluster["tags"][0].as_str().unwrap_or_default();
        assert!(
            tag.starts_with("patch-"),
            "a PATCH was applied, not lost: {cluster}"
        );
        assert_eq!(
            cluster["description"],
            format!("patch {}", tag.trim_start_matches("patch-")),
            "one PATCH's fields together: {cluster}"
        );
    }
);

on_both_databases!(
    concurrent_actions_on_one_node_accept_exactly_one,
    |database: Database| async move {
        let app = Arc::new(TestApp::new(database));
        let token = app.api_key("race").await;
        let (id, _) = ready_cluster(&app, &token, "race", "1.35.1", 2).await;
        let (_, nodes) = app
            .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
            .await;
        let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        let actions: Vec<_> = (0..24)
            .map(|i| {
                let (app, token, node_id) = (app.clone(), token.clone(), node_id.clone());
                tokio::spawn(async move {
                    let (method, path) = match i % 3 {
                        0 => ("POST", format!("{R}/nodes/{node_id}/replace")),
                        1 => ("POST", format!("{R}/nodes/{node_id}/reboot")),
                        _ => ("DELETE", format!("{R}/nodes/{node_id}")),
                    };
                    app.api(method, &path, &token, None).await
                })
            })
            .collect();
        let mut accepted = 0;
        for action in actions {
            let (status, body) = action.await.expect("action");
            match status {
                200 => accepted += 1,
                409 => assert_eq!(body["type"], "transient_state", "{body}"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(accepted, 1, "exactly one action takes the node");
        let operations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM operations WHERE target_id = $1")
                .bind(&node_id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("count");
        assert_eq!(operations, 1, "one operation on the node");
        app.run_until_idle().await;
    }
);

on_both_databases!(
    a_scale_racing_a_delete_leaves_no_node_behind,
    |database: Database| async move {
        let app = Arc::new(TestApp::new(database));
        let token = app.api_key("race").await;
        let (id, pool_id) = ready_cluster(&app, &token, "race", "1.35.1", 1).await;
        let stop = Arc::new(AtomicBool::new(false));
        let background = reconcile_in_background(&app, &stop);
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (app, token, id, pool_id) =
                (app.clone(), token.clone(), id.clone(), pool_id.clone());
            tasks.push(tokio::spawn(async move {
                if i % 4 == 3 {
                    app.api("DELETE", &format!("{R}/clusters/{id}"), &token, None)
                        .await
                } else {
                    app.api(
                        "PATCH",
                        &format!("{R}/pools/{pool_id}"),
                        &token,
                        Some(json!({ "size": 2 + i })),
                    )
                    .await
                }
            }));
        }
        let mut deleted = false;
        for task in tasks {
            let (status, body) = task.await.expect("task");
            assert!(status < 500, "{status} {body}");
            deleted |= status == 200 && body["status"] == "deleting";
        }
        if !deleted {
            // Every delete met a scaling pool (409): delete once it settles.
            stop.store(true, Ordering::Relaxed);
            background.await.expect("reconciler");
            app.run_until_idle().await;
            let (status, body) = app
                .api("DELETE", &format!("{R}/clusters/{id}"), &token, None)
                .await;
            assert_eq!(status, 200, "{body}");
        } else {
            stop.store(true, Ordering::Relaxed);
            background.await.expect("reconciler");
        }
        app.run_until_idle().await;
        let (status, _) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(status, 404, "the cluster is gone");
        let nodes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM nodes WHERE cluster_id = $1")
            .bind(&id)
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("count");
        assert_eq!(nodes, 0, "no node outlives its cluster");
        assert_eq!(app.pending_operations().await, 0);
    }
);

on_both_databases!(
    a_failed_surge_node_costs_no_capacity,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("surge").await;
        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                "name": "surge", "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 3,
                            "upgrade_policy": { "max_surge": 1, "max_unavailable": 0 } }] })),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        app.run_until_idle().await;
        let id = cluster["id"].as_str().expect("id").to_string();
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.36.0", "upgrade_pools": true })),
            )
            .await;
        assert_eq!(status, 200, "{body}");

        let reconciler = app.reconciler();
        let mut failed_one = false;
        for pass in 0..2_000 {
            reconciler.run_pass().await.expect("pass");
            let nodes: Vec<(String, String, String)> =
                sqlx::query_as("SELECT id, status, version FROM nodes WHERE cluster_id = $1")
                    .bind(&id)
                    .fetch_all(app.provisioning.database.pool())
                    .await
                    .expect("nodes");
            if !failed_one {
                if let Some((surge_id, _, _)) = nodes
                    .iter()
                    .find(|(_, status, version)| status == "creating" && version == "1.36.0")
                {
                    wheelhouse::backend::sandbox::reconciler::inject_fault(
                        &app.provisioning,
                        &crate::support::operator(),
                        surge_id,
                        "provisioning_failure",
                    )
                    .await
                    .expect("fault");
                    failed_one = true;
                }
            }
            let ready = nodes
                .iter()
                .filter(|(_, status, _)| status == "ready")
                .count();
            // max_unavailable is 0: three Ready nodes at every moment of the rollout.
            assert!(
                ready >= 3,
                "pass {pass}: only {ready} Ready nodes: {nodes:?}"
            );
            if app.pending_operations().await == 0 {
                break;
            }
            app.clock.advance(chrono::Duration::seconds(5));
        }
        assert!(failed_one, "a surge node was made to fail");
        let (_, nodes) = app
            .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
            .await;
        let nodes = nodes["nodes"].as_array().cloned().unwrap_or_default();
        assert_eq!(nodes.len(), 3, "{nodes:?}");
        assert!(nodes.iter().all(|n| n["status"] == "ready"), "{nodes:?}");
        let versions: Vec<String> =
            sqlx::query_scalar("SELECT version FROM nodes WHERE cluster_id = $1")
                .bind(&id)
                .fetch_all(app.provisioning.database.pool())
                .await
                .expect("versions");
        assert!(versions.iter().all(|v| v == "1.36.0"), "{versions:?}");
    }
);

on_both_databases!(versions_sort_as_versions, |database: Database| async move {
    let app = TestApp::new(database);
    let token = app.api_key("versions").await;
    let base = app
        .provisioning
        .version_entry("1.36.0")
        .await
        .expect("read")
        .expect("1.36.0 in the catalog");
    {
        let mut conn = app
            .provisioning
            .database
            .pool()
            .acquire()
            .await
            .expect("conn");
        for name in ["1.36.9", "1.36.10"] {
            let mut entry = base.clone();
            entry.name = name.to_string();
            entry.label = format!("Kubernetes {name}");
            versions::insert_if_absent(&mut conn, &entry)
                .await
                .expect("insert");
        }
    }
    let (_, listed) = app.api("GET", &format!("{R}/versions"), &token, None).await;
    let names: Vec<&str> = listed["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    let position = |name: &str| names.iter().position(|n| *n == name).expect(name);
    assert!(
        position("1.36.10") < position("1.36.9"),
        "newest first: {names:?}"
    );
    assert!(
        position("1.36.9") < position("1.36.0"),
        "newest first: {names:?}"
    );

    for (name, version) in [("on-ten", "1.36.10"), ("on-nine", "1.36.9")] {
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                    "name": name, "version": version, "cni": "cilium",
                    "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 1 }] })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let order = |direction: &str| {
        let app = &app;
        let token = token.clone();
        let direction = direction.to_string();
        async move {
            let (_, listed) = app
                .api(
                    "GET",
                    &format!("{R}/clusters?order_by=version_{direction}"),
                    &token,
                    None,
                )
                .await;
            listed["clusters"]
                .as_array()
                .expect("clusters")
                .iter()
                .map(|c| c["version"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(order("asc").await, vec!["1.36.9", "1.36.10"]);
    assert_eq!(order("desc").await, vec!["1.36.10", "1.36.9"]);
    let (_, cluster) = app
        .api("GET", &format!("{R}/clusters?name=on-nine"), &token, None)
        .await;
    let nine = cluster["clusters"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.run_until_idle().await;
    let (_, available) = app
        .api(
            "GET",
            &format!("{R}/clusters/{nine}/available-versions"),
            &token,
            None,
        )
        .await;
    let available: Vec<&str> = available["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(
        available.first(),
        Some(&"1.36.10"),
        "a newer patch of the minor: {available:?}"
    );
});

on_both_databases!(
    an_interrupted_demo_seed_is_completed_by_the_next_start,
    |database: Database| async move {
        use wheelhouse::services::demo::{seed, DEMO_CLUSTER, DEMO_PROJECT};
        use wheelhouse::services::identity::ensure_project;
        let app = TestApp::new(database);
        // A start that died after making the project, before its cluster (the old seed's
        // two transactions made exactly this state possible).
        ensure_project(
            &app.provisioning.database,
            app.state.ids.as_ref(),
            &app.clock,
            app.fixture_path(&crate::support::fixtures()),
            DEMO_PROJECT,
        )
        .await
        .expect("project");
        let printed = seed(&app.state).await.expect("seed");
        assert!(printed.is_some(), "the seed completes and prints a key");
        let clusters = |app: &TestApp| {
            let pool = app.provisioning.database.pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM clusters WHERE name = $1")
                    .bind(DEMO_CLUSTER)
                    .fetch_one(&pool)
                    .await
                    .expect("count")
            }
        };
        assert_eq!(clusters(&app).await, 1);
        // Done once: the next start changes nothing and prints nothing.
        assert!(seed(&app.state).await.expect("seed").is_none());
        assert_eq!(clusters(&app).await, 1);
        // The key works.
        let (_, secret) = printed.expect("key");
        let (status, body): (u16, Value) = app
            .api("GET", &format!("{R}/clusters"), &secret, None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["total_count"], 1, "{body}");
        // It shows the product: an upgrade to offer, and a pool with the recommended lifespan.
        let cluster_id = body["clusters"][0]["id"].as_str().expect("id").to_string();
        let (status, available): (u16, Value) = app
            .api(
                "GET",
                &format!("{R}/clusters/{cluster_id}/available-versions"),
                &secret,
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            available["versions"]
                .as_array()
                .is_some_and(|versions| !versions.is_empty()),
            "the demo cluster has an upgrade to offer: {available}"
        );
        let (status, freshness): (u16, Value) = app
            .api(
                "GET",
                &format!("/api/v1/regions/fr-par/clusters/{cluster_id}/freshness"),
                &secret,
                None,
            )
            .await;
        assert_eq!(status, 200, "{freshness}");
        assert_eq!(
            freshness["pools"][0]["max_node_age_days"], 30,
            "{freshness}"
        );
    }
);

on_both_databases!(
    owners_steering_an_upgrade_at_once_leave_the_record_as_the_provider_left_it,
    |database: Database| async move {
        use crate::upgrade::{
            run_until_nodes, start_upgrade, two_pool_cluster, upgrade_progress, X,
        };
        let app = Arc::new(TestApp::new(database));
        let token = app.api_key("steer").await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        for round in 0..2 {
            let target = ["1.34.5", "1.35.1"][round];
            let (status, body) =
                start_upgrade(&app, &token, &id, json!({ "version": target })).await;
            assert_eq!(status, 200, "{body}");
            run_until_nodes(&app, &token, &id, |nodes| {
                nodes.iter().any(|n| n["status"] != "ready")
                    || nodes.iter().all(|n| n["version"] == target)
            })
            .await;
            // Two owners (two tabs, the API) steer at once, beside the reconciler.
            let stop = Arc::new(AtomicBool::new(false));
            let reconciler = reconcile_in_background(&app, &stop);
            let steer = |action: &'static str| {
                let (app, token, id) = (app.clone(), token.clone(), id.clone());
                async move {
                    app.api(
                        "POST",
                        &format!("{X}/clusters/{id}/upgrade-{action}"),
                        &token,
                        Some(json!({})),
                    )
                    .await
                }
            };
            let (first, second) = if round % 2 == 0 {
                tokio::join!(steer("pause"), steer("abort"))
            } else {
                tokio::join!(steer("abort"), steer("pause"))
            };
            stop.store(true, Ordering::Relaxed);
            reconciler.await.expect("reconciler");
            for (status, body) in [&first, &second] {
                assert!(
                    [200, 412].contains(status),
                    "a clear answer either way: {status} {body}"
                );
            }
            // The record says what the provider holds the rollout to.
            let (_, progress) = upgrade_progress(&app, &token, &id).await;
            let hold = {
                let mut conn = app
                    .provisioning
                    .database
                    .pool()
                    .acquire()
                    .await
                    .expect("conn");
                wheelhouse::backend::sandbox::store::holds::get(&mut conn, &id)
                    .await
                    .expect("hold")
            };
            let state = progress["run"]["state"].as_str().unwrap_or_default();
            match hold.as_deref() {
                Some("pause") => assert_eq!(state, "paused", "round {round}: {progress}"),
                Some("abort") => assert_eq!(state, "aborted", "round {round}: {progress}"),
                _ => {}
            }
            // Whatever it was left in, resuming finishes it.
            let (status, body) = steer("resume").await;
            assert!([200, 412].contains(&status), "{body}");
            app.run_until_idle().await;
        }
    }
);

on_both_databases!(
    two_people_renaming_a_cluster_at_once_never_overwrite_each_other_unseen,
    |database: Database| async move {
        use wheelhouse::services::identity::Role;
        let app = Arc::new(TestApp::new(database));
        let token = app.api_key("rename").await;
        let (id, _) = ready_cluster(&app, &token, "shop", "1.35.1", 1).await;
        let ada =
            crate::authorization::session(&app, "ada@example.com", "rename", Role::Owner).await;
        let bob =
            crate::authorization::session(&app, "bob@example.com", "rename", Role::Editor).await;
        let page = format!("/clusters/fr-par/{id}/settings");
        for round in 0..6 {
            let (_, cluster) = app
                .api("GET", &format!("{R}/clusters/{id}"), &token, None)
                .await;
            let seen = cluster["name"].as_str().expect("name").to_string();
            // Both saw the same page, and each renames the cluster; a third writer (the API)
            // changes the description at the same time.
            let save = |cookie: String, name: String| {
                let (app, page, seen) = (app.clone(), page.clone(), seen.clone());
                async move {
                    let form = format!(
                        "name={name}&description=&tags=&was_name={seen}&was_description=&was_tags="
                    );
                    let (page, form) = crate::forms::as_page_posts(&page, &form);
                    let request = axum::http::Request::post(page)
                        .header("host", "127.0.0.1:3000")
                        .header("cookie", cookie)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(axum::body::Body::from(form))
                        .expect("request");
                    let response = app.send(request).await;
                    let location = response
                        .headers()
                        .get("location")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    (response.status().as_u16(), location)
                }
            };
            let patch = {
                let (app, token, id) = (app.clone(), token.clone(), id.clone());
                async move {
                    app.api(
                        "PATCH",
                        &format!("{R}/clusters/{id}"),
                        &token,
                        Some(json!({ "description": format!("round {round}") })),
                    )
                    .await
                }
            };
            let (first, second, (patched, _)) = tokio::join!(
                save(ada.clone(), format!("ada-{round}")),
                save(bob.clone(), format!("bob-{round}")),
                patch
            );
            assert_eq!(patched, 200);
            assert!(first.0 == 303 && second.0 == 303, "{first:?} {second:?}");
            let saved = |(_, location): &(u16, String)| location.contains("notice=saved");
            let clashed = |(_, location): &(u16, String)| {
                location.contains("problem=invalid") && location.contains("field=name")
            };
            let (_, cluster) = app
                .api("GET", &format!("{R}/clusters/{id}"), &token, None)
                .await;
            let name = cluster["name"].as_str().expect("name");
            // Exactly one rename holds; the other person is told, with nothing saved.
            if name == format!("ada-{round}") {
                assert!(saved(&first) && clashed(&second), "{first:?} {second:?}");
            } else {
                assert_eq!(name, format!("bob-{round}"));
                assert!(saved(&second) && clashed(&first), "{first:?} {second:?}");
            }
            assert_eq!(
                cluster["description"],
                format!("round {round}"),
                "a field neither form changed keeps the API's value"
            );
        }
    }
);
