//! Soak and rollback: a minor upgrade with a soak period goes back (pools first, then the
//! control plane) within the budgets of an upgrade; after the soak it is complete; a pool goes
//! back on its own after an aborted upgrade; refusals say why and change nothing.

use serde_json::{json, Value};
use wheelhouse::clock::Clock;
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::TestApp;
use crate::upgrade::{
    nodes_with_versions, on, run_until_nodes, settled, start_upgrade, two_pool_cluster,
    upgrade_progress, R, X,
};

async fn rollback_preflight(app: &TestApp, token: &str, id: &str, pool: Option<&str>) -> Value {
    let query = pool.map(|p| format!("?pool_id={p}")).unwrap_or_default();
    let (status, assessment) = app
        .api(
            "GET",
            &format!("{X}/clusters/{id}/rollback-preflight{query}"),
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{assessment}");
    assessment
}

async fn start_rollback(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    app.api(
        "POST",
        &format!("{X}/clusters/{id}/rollbacks"),
        token,
        Some(body),
    )
    .await
}

fn rollback_check(assessment: &Value) -> &Value {
    &assessment["preflight"]["checks"][0]
}

on_both_databases!(
    a_soaking_minor_upgrade_rolls_back_pools_first_then_the_control_plane,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;

        // A soak applies to minor upgrades, for 0 to 7 days; a refusal starts nothing.
        for body in [
            json!({ "version": "1.34.5", "soak_days": 2 }),
            json!({ "version": "1.35.1", "soak_days": 8 }),
        ] {
            let (status, refused) = start_upgrade(&app, &token, &id, body).await;
            assert_eq!(status, 400, "{refused}");
            assert!(refused.to_string().contains("soak_days"), "{refused}");
        }
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert!(progress["run"].is_null(), "nothing started: {progress}");
        // Without an upgrade there is nothing to roll back.
        let assessment = rollback_preflight(&app, &token, &id, None).await;
        assert_eq!(assessment["preflight"]["verdict"], "no_go");
        assert_eq!(rollback_check(&assessment)["id"], "rollback");
        assert!(assessment["plan"]["steps"].as_array().unwrap().is_empty());

        let started_at = app.clock.now();
        let (status, started) = start_upgrade(
            &app,
            &token,
            &id,
            json!({ "version": "1.35.1", "soak_days": 2 }),
        )
        .await;
        assert_eq!(status, 200, "{started}");
        let soak_until = started["upgrade"]["soak_until"].as_str().expect("soak");
        assert_eq!(
            soak_until.parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
            started_at + chrono::Duration::days(2)
        );
        app.run_until_idle().await;
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["finished"], true, "{progress}");
        assert_eq!(progress["run"]["state"], "soaking");
        assert_eq!(progress["rollback_to"], "1.34.2");
        assert!(progress["rollback_until"].is_string(), "{progress}");

        // The rollback's pre-flight and plan: the pools in order, then the control plane.
        let assessment = rollback_preflight(&app, &token, &id, None).await;
        assert_eq!(assessment["preflight"]["verdict"], "go", "{assessment}");
        assert_eq!(assessment["plan"]["from_version"], "1.35.1");
        assert_eq!(assessment["plan"]["to_version"], "1.34.2");
        let steps: Vec<(&str, &str)> = assessment["plan"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["kind"].as_str().unwrap(), s["name"].as_str().unwrap()))
            .collect();
        assert_eq!(
            steps,
            vec![
                ("pool", "first"),
                ("pool", "second"),
                ("control_plane", "Control plane")
            ]
        );

        let (status, run) = start_rollback(&app, &token, &id, json!({})).await;
        assert_eq!(status, 200, "{run}");
        assert_eq!(run["kind"], "rollback");
        assert_eq!(run["to_version"], "1.34.2");
        // A rollback is not aborted halfway.
        let (status, refused) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/upgrade-abort"),
                &token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 412, "{refused}");

        // After every reconciler pass: the control plane goes back only once every node has,
        // and each pool keeps to its policy (max_surge 0, max_unavailable 1).
        let reconciler = app.reconciler();
        for _ in 0..2_000 {
            reconciler.run_pass().await.expect("pass");
            let (_, progress) = upgrade_progress(&app, &token, &id).await;
            for pool in progress["pools"].as_array().unwrap() {
                let nodes = pool["nodes"].as_array().unwrap();
                let size = if pool["id"] == first.as_str() { 3 } else { 2 };
                let staying = nodes.iter().filter(|n| n["status"] != "deleting").count();
                assert!(staying <= size, "over max_surge: {pool}");
                let serving = nodes.iter().filter(|n| n["status"] == "ready").count();
                assert!(serving + 1 >= size, "over max_unavailable: {pool}");
            }
            if progress["control_plane_version"] == "1.34.2" {
                let nodes = nodes_with_versions(&app, &token, &id).await;
                assert!(
                    nodes
                        .iter()
                        .filter(|n| n["status"] == "ready")
                        .all(|n| n["version"] == "1.34.2"),
                    "the control plane went back before its nodes: {nodes:?}"
                );
            }
            if progress["finished"] == true {
                break;
            }
            app.clock.advance(chrono::Duration::seconds(5));
        }
        app.run_until_idle().await;
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["finished"], true, "{progress}");
        assert_eq!(progress["run"]["kind"], "rollback");
        assert_eq!(progress["run"]["state"], "finished");
        assert!(progress["rollback_until"].is_null());
        let nodes = nodes_with_versions(&app, &token, &id).await;
        assert_eq!(on(&nodes, "1.34.2"), 5, "{nodes:?}");
        assert_eq!(nodes.len(), 5, "no node lost or added");
        for pool_id in [&first, &second] {
            let (_, pool) = app
                .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
                .await;
            assert_eq!(pool["version"], "1.34.2", "{pool}");
        }
        let (_, cluster) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(cluster["version"], "1.34.2");
        assert_eq!(cluster["status"], "ready");

        // Once back, there is nothing more to roll back.
        let (status, refused) = start_rollback(&app, &token, &id, json!({})).await;
        assert_eq!(status, 412, "{refused}");
        assert!(
            refused.to_string().contains("already rolled back"),
            "{refused}"
        );
    }
);

on_both_databases!(
    after_the_soak_the_upgrade_is_complete_and_cannot_go_back,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        // Without a soak period the control plane cannot go back.
        let (status, _) = start_upgrade(&app, &token, &id, json!({ "version": "1.34.5" })).await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let (status, refused) = start_rollback(&app, &token, &id, json!({})).await;
        assert_eq!(status, 412, "{refused}");
        assert!(
            refused.to_string().contains("without a soak period"),
            "{refused}"
        );
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["run"]["state"], "finished");

        let (status, _) = start_upgrade(
            &app,
            &token,
            &id,
            json!({ "version": "1.35.1", "soak_days": 1 }),
        )
        .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["run"]["state"], "soaking", "{progress}");
        app.clock.advance(chrono::Duration::days(1));
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["run"]["state"], "finished", "{progress}");
        assert!(progress["rollback_until"].is_null());
        let assessment = rollback_preflight(&app, &token, &id, None).await;
        assert!(
            rollback_check(&assessment)["summary"]
                .as_str()
                .unwrap()
                .contains("soak period ended"),
            "{assessment}"
        );
        let (status, refused) = start_rollback(&app, &token, &id, json!({})).await;
        assert_eq!(status, 412, "{refused}");
        let (_, cluster) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(cluster["version"], "1.35.1", "nothing changed");
        assert_eq!(cluster["status"], "ready");
    }
);

on_both_databases!(
    a_pool_goes_back_on_its_own_after_an_aborted_upgrade,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;
        let (status, _) = start_upgrade(&app, &token, &id, json!({ "version": "1.35.1" })).await;
        assert_eq!(status, 200);
        run_until_nodes(&app, &token, &id, |nodes| on(nodes, "1.35.1") >= 1).await;
        let (status, _) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/upgrade-abort"),
                &token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let nodes = nodes_with_versions(&app, &token, &id).await;
        assert!(settled(&nodes));
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["pools"][0]["can_roll_back"], true, "{progress}");
        assert_eq!(progress["pools"][1]["can_roll_back"], false, "{progress}");
        assert!(progress["rollback_until"].is_null());

        // The second pool never moved: nothing to roll back.
        let assessment = rollback_preflight(&app, &token, &id, Some(&second)).await;
        assert_eq!(assessment["preflight"]["verdict"], "no_go");
        let (status, refused) =
            start_rollback(&app, &token, &id, json!({ "pool_id": second })).await;
        assert_eq!(status, 412, "{refused}");
        // A pool of another cluster (or none) is not found.
        let (status, _) = start_rollback(&app, &token, &id, json!({ "pool_id": "nope" })).await;
        assert_eq!(status, 404);

        let assessment = rollback_preflight(&app, &token, &id, Some(&first)).await;
        assert_eq!(assessment["preflight"]["verdict"], "go", "{assessment}");
        let steps = assessment["plan"]["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 1, "one pool, no control plane: {assessment}");
        assert_eq!(steps[0]["name"], "first");
        let (status, run) = start_rollback(&app, &token, &id, json!({ "pool_id": first })).await;
        assert_eq!(status, 200, "{run}");
        assert_eq!(run["kind"], "pool_rollback");
        app.run_until_idle().await;
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["finished"], true, "{progress}");
        assert_eq!(
            progress["pools"][1]["stage"],
            "skipped: not part of this rollback"
        );
        assert_eq!(progress["control_plane_version"], "1.35.1");
        let nodes = nodes_with_versions(&app, &token, &id).await;
        assert_eq!(on(&nodes, "1.34.2"), 5, "{nodes:?}");
        assert_eq!(nodes.len(), 5);
        let (_, pool) = app
            .api("GET", &format!("{R}/pools/{first}"), &token, None)
            .await;
        assert_eq!(pool["version"], "1.34.2");
        assert_eq!(pool["status"], "ready");
    }
);
