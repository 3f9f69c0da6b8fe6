//! The Scaleway-compatible API driven in-process, with the clock and the reconciler stepped by
//! hand: a cluster's whole life, the rollout budgets, and every refusal with its error shape.

use serde_json::{json, Value};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::TestApp;

const R: &str = "/k8s/v1/regions/fr-par";

fn new_cluster(name: &str, version: &str, size: i64) -> Value {
    json!({
        "name": name,
        "version": version,
        "cni": "cilium",
        "type": "kapsule",
        "pools": [{ "name": "default", "node_type": "PRO2-XS", "size": size,
                    "upgrade_policy": { "max_surge": 1, "max_unavailable": 1 } }],
    })
}

async fn nodes_of(app: &TestApp, token: &str, cluster_id: &str) -> Vec<Value> {
    let (status, body) = app
        .api(
            "GET",
            &format!("{R}/clusters/{cluster_id}/nodes?page_size=100"),
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["nodes"].as_array().cloned().unwrap_or_default()
}

pub async fn ready_cluster(
    app: &TestApp,
    token: &str,
    name: &str,
    version: &str,
    size: i64,
) -> (String, String) {
    let (status, cluster) = app
        .api(
            "POST",
            &format!("{R}/clusters"),
            token,
            Some(new_cluster(name, version, size)),
        )
        .await;
    assert_eq!(status, 200, "{cluster}");
    assert_eq!(cluster["status"], "creating");
    app.run_until_idle().await;
    let id = cluster["id"].as_str().expect("id").to_string();
    let (_, pools) = app
        .api("GET", &format!("{R}/clusters/{id}/pools"), token, None)
        .await;
    let pool_id = pools["pools"][0]["id"]
        .as_str()
        .expect("pool id")
        .to_string();
    (id, pool_id)
}

on_both_databases!(
    a_cluster_is_created_scaled_upgraded_and_deleted,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("acme").await;

        // Create: the control plane comes first, then the pool's nodes boot.
        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(new_cluster("prod", "1.34.2", 2)),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        let id = cluster["id"].as_str().expect("id").to_string();
        assert_eq!(cluster["status"], "creating");
        assert_eq!(cluster["version"], "1.34.2");
        assert!(cluster["created_at"].as_str().expect("time").ends_with('Z'));
        let reconciler = app.reconciler();
        reconciler.run_pass().await.expect("pass");
        app.clock.advance(chrono::Duration::minutes(4));
        reconciler.run_pass().await.expect("pass");
        let (_, cluster) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(cluster["status"], "ready");
        app.clock.advance(chrono::Duration::seconds(5));
        reconciler.run_pass().await.expect("pass");
        let booting = nodes_of(&app, &token, &id).await;
        assert_eq!(booting.len(), 2);
        assert!(
            booting.iter().all(|n| n["status"] == "creating"),
            "{booting:?}"
        );
        app.run_until_idle().await;
        let nodes = nodes_of(&app, &token, &id).await;
        assert!(nodes.iter().all(|n| n["status"] == "ready"), "{nodes:?}");
        let (_, pools) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        let pool_id = pools["pools"][0]["id"].as_str().expect("pool").to_string();
        assert_eq!(pools["pools"][0]["status"], "ready");
        assert_eq!(pools["pools"][0]["node_type"], "pro2_xs");
        assert_eq!(pools["total_count"], 1);

        // Scale up to 4, then down to 1.
        let (status, pool) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{pool_id}"),
                &token,
                Some(json!({ "size": 4 })),
            )
            .await;
        assert_eq!(status, 200, "{pool}");
        assert_eq!(pool["status"], "scaling");
        app.run_until_idle().await;
        assert_eq!(nodes_of(&app, &token, &id).await.len(), 4);
        app.api(
            "PATCH",
            &format!("{R}/pools/{pool_id}"),
            &token,
            Some(json!({ "size": 1, "min_size": 1 })),
        )
        .await;
        app.run_until_idle().await;
        assert_eq!(nodes_of(&app, &token, &id).await.len(), 1);
        app.api(
            "PATCH",
            &format!("{R}/pools/{pool_id}"),
            &token,
            Some(json!({ "size": 3 })),
        )
        .await;
        app.run_until_idle().await;

        // Upgrade to the next minor with the pools: control plane first, then a rolling wave.
        let (_, available) = app
            .api(
                "GET",
                &format!("{R}/clusters/{id}/available-versions"),
                &token,
                None,
            )
            .await;
        let names: Vec<&str> = available["versions"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|v| v["name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["1.34.5", "1.35.1"],
            "newer patches and the next minor only"
        );
        let (status, upgrading) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.35.1", "upgrade_pools": true })),
            )
            .await;
        assert_eq!(status, 200, "{upgrading}");
        assert_eq!(upgrading["status"], "updating");
        let db = app.provisioning.database.clone();
        let pool_for_check = pool_id.clone();
        let extremes = std::sync::Arc::new(std::sync::Mutex::new((0i64, i64::MAX)));
        app.run_until_idle_observing(chrono::Duration::seconds(5), || {
            let db = db.clone();
            let pool_id = pool_for_check.clone();
            let extremes = extremes.clone();
            async move {
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM nodes WHERE pool_id = $1 AND status <> 'deleting'",
                )
                .bind(&pool_id)
                .fetch_one(db.pool())
                .await
                .expect("count");
                let ready: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM nodes WHERE pool_id = $1 AND status = 'ready'",
                )
                .bind(&pool_id)
                .fetch_one(db.pool())
                .await
                .expect("count");
                let mut extremes = extremes.lock().expect("lock");
                extremes.0 = extremes.0.max(total);
                extremes.1 = extremes.1.min(ready);
            }
        })
        .await;
        let (most_nodes, fewest_ready) = *extremes.lock().expect("lock");
        assert!(
            most_nodes <= 3 + 1,
            "max_surge 1: at most 4 live nodes, saw {most_nodes}"
        );
        assert!(
            fewest_ready >= 3 - 1 - 1,
            "max_unavailable 1 (plus the surge wave's retiring node): saw {fewest_ready} ready"
        );
        let (_, cluster) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(cluster["version"], "1.35.1");
        assert_eq!(cluster["status"], "ready");
        let (_, pool) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
            .await;
        assert_eq!(pool["version"], "1.35.1");
        assert_eq!(pool["status"], "ready");
        let versions: Vec<String> =
            sqlx::query_scalar("SELECT version FROM nodes WHERE pool_id = $1")
                .bind(&pool_id)
                .fetch_all(app.provisioning.database.pool())
                .await
                .expect("versions");
        assert_eq!(
            versions,
            vec!["1.35.1".to_string(); 3],
            "every node was replaced onto the new version"
        );

        // Delete: the cluster disappears from the API.
        let (status, deleting) = app
            .api(
                "DELETE",
                &format!("{R}/clusters/{id}?with_additional_resources=true"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{deleting}");
        assert_eq!(deleting["status"], "deleting");
        app.run_until_idle().await;
        let (status, gone) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(status, 404);
        assert_eq!(gone["type"], "not_found");
        assert_eq!(gone["resource"], "k8s_cluster");
    }
);

on_both_databases!(
    nodes_are_replaced_surge_first_rebooted_and_deleted,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("acme").await;
        let (id, pool_id) = ready_cluster(&app, &token, "web", "1.35.1", 2).await;
        let before = nodes_of(&app, &token, &id).await;
        let old_id = before[0]["id"].as_str().expect("id").to_string();

        let (status, node) = app
            .api(
                "POST",
                &format!("{R}/nodes/{old_id}/replace"),
                &token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200, "{node}");
        let (status, again) = app
            .api(
                "POST",
                &format!("{R}/nodes/{old_id}/replace"),
                &token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 409, "a node is replaced once: {again}");
        assert_eq!(again["type"], "transient_state");
        app.reconciler().run_pass().await.expect("pass");
        let during = nodes_of(&app, &token, &id).await;
        assert_eq!(
            during.len(),
            3,
            "the replacement boots before the old node goes"
        );
        app.run_until_idle().await;
        let after = nodes_of(&app, &token, &id).await;
        assert_eq!(after.len(), 2);
        assert!(after
            .iter()
            .all(|n| n["id"] != old_id.as_str() && n["status"] == "ready"));

        let target = after[0]["id"].as_str().expect("id").to_string();
        let (_, rebooting) = app
            .api(
                "POST",
                &format!("{R}/nodes/{target}/reboot"),
                &token,
                Some(json!({})),
            )
            .await;
        assert_eq!(rebooting["status"], "rebooting");
        app.run_until_idle().await;
        let (_, rebooted) = app
            .api("GET", &format!("{R}/nodes/{target}"), &token, None)
            .await;
        assert_eq!(rebooted["status"], "ready");
        assert_eq!(rebooted["conditions"]["Ready"], "True");

        let (status, _) = app
            .api("DELETE", &format!("{R}/nodes/{target}"), &token, None)
            .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        assert_eq!(nodes_of(&app, &token, &id).await.len(), 1);
        let (_, pool) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
            .await;
        assert_eq!(
            pool["size"], 1,
            "deleting a node without replace shrinks the pool"
        );
    }
);

on_both_databases!(
    bad_requests_get_scaleway_errors_and_change_nothing,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("acme").await;
        let other = app.api_key("someone-else").await;

        let (status, body) = app
            .api("GET", &format!("{R}/clusters"), "not-a-key", None)
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["type"], "denied_authentication");
        let (status, _) = app.api("GET", &format!("{R}/clusters"), "", None).await;
        assert_eq!(status, 401);

        let mut invalid = new_cluster("bad name!", "1.99.0", -1);
        invalid["cni"] = json!("weave");
        invalid["pools"][0]["node_type"] = json!("H100-1-80G");
        let (status, body) = app
            .api("POST", &format!("{R}/clusters"), &token, Some(invalid))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["type"], "invalid_arguments");
        let arguments: Vec<&str> = body["details"]
            .as_array()
            .expect("details")
            .iter()
            .filter_map(|d| d["argument_name"].as_str())
            .collect();
        for expected in ["name", "version", "pools[0].node_type"] {
            assert!(
                arguments.contains(&expected),
                "{expected} is reported: {arguments:?}"
            );
        }
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({"name": "x", "version": "1.32.11", "cni": "cilium"})),
            )
            .await;
        assert_eq!(
            status, 400,
            "deprecated versions take no new clusters: {body}"
        );
        let (status, body) = app
            .api("POST", &format!("{R}/clusters"), &token, None)
            .await;
        assert_eq!(status, 400, "{body}");
        let request = axum::http::Request::post(format!("{R}/clusters"))
            .header("x-auth-token", &token)
            .body(axum::body::Body::from("{not json"))
            .expect("request");
        let (response, text) = crate::support::read(app.send(request).await).await;
        assert_eq!(response.status(), 400, "{text}");
        assert!(text.contains("invalid_arguments"));
        let (_, list) = app.api("GET", &format!("{R}/clusters"), &token, None).await;
        assert_eq!(list["total_count"], 0, "nothing was created");

        let (id, pool_id) = ready_cluster(&app, &token, "prod", "1.34.2", 1).await;

        // Other tenants cannot see or touch it.
        let (status, body) = app
            .api("GET", &format!("{R}/clusters/{id}"), &other, None)
            .await;
        assert_eq!(status, 404, "{body}");
        let (status, _) = app
            .api("DELETE", &format!("{R}/clusters/{id}"), &other, None)
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &other, None)
            .await;
        assert_eq!(status, 404);
        let (_, other_list) = app.api("GET", &format!("{R}/clusters"), &other, None).await;
        assert_eq!(other_list["total_count"], 0);

        // Forbidden upgrades.
        for (version, help) in [
            ("1.33.7", "downgrades are not possible"),
            ("1.36.0", "skips a minor"),
            ("1.34.2", "already runs"),
            ("banana", "not a Kubernetes version"),
        ] {
            let (status, body) = app
                .api(
                    "POST",
                    &format!("{R}/clusters/{id}/upgrade"),
                    &token,
                    Some(json!({ "version": version })),
                )
                .await;
            assert_eq!(status, 400, "{version}: {body}");
            assert!(
                body["details"][0]["help_message"]
                    .as_str()
                    .expect("help")
                    .contains(help),
                "{version}: {body}"
            );
        }
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/pools/{pool_id}/upgrade"),
                &token,
                Some(json!({ "version": "1.35.1" })),
            )
            .await;
        assert_eq!(status, 400, "a pool cannot pass its cluster: {body}");
        let (status, body) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{pool_id}"),
                &token,
                Some(json!({ "size": -2 })),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let (status, body) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{pool_id}"),
                &token,
                Some(json!({ "upgrade_policy": { "max_surge": 0, "max_unavailable": 0 } })),
            )
            .await;
        assert_eq!(status, 400, "{body}");

        // A transient cluster refuses more work.
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 200);
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.35.1" })),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["type"], "transient_state");
        assert_eq!(body["current_state"], "updating");
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/set-type"),
                &token,
                Some(json!({ "type": "kapsule-dedicated-4" })),
            )
            .await;
        assert_eq!(status, 409);
        app.run_until_idle().await;

        // Bad query parameters.
        let (status, _) = app
            .api("GET", &format!("{R}/clusters?page=0"), &token, None)
            .await;
        assert_eq!(status, 400);
        let (status, _) = app
            .api(
                "GET",
                &format!("{R}/clusters?order_by=size_asc"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 400);
        let (status, _) = app
            .api("GET", "/k8s/v1/regions/mars-1/clusters", &token, None)
            .await;
        assert_eq!(status, 400);
        let (status, body) = app
            .api(
                "GET",
                &format!("{R}/nodes/00000000-0000-0000-0000-000000000000"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 404);
        assert_eq!(body["resource"], "k8s_node");
    }
);

on_both_databases!(
    listing_pages_filters_and_orders_clusters,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("acme").await;
        for name in ["alpha", "bravo", "charlie"] {
            let (status, _) = app
                .api(
                    "POST",
                    &format!("{R}/clusters"),
                    &token,
                    Some(new_cluster(name, "1.35.1", 1)),
                )
                .await;
            assert_eq!(status, 200);
            app.clock.advance(chrono::Duration::seconds(1));
        }
        let (_, first) = app
            .api(
                "GET",
                &format!("{R}/clusters?page_size=2&order_by=name_desc"),
                &token,
                None,
            )
            .await;
        assert_eq!(first["total_count"], 3, "{first}");
        let names: Vec<&str> = first["clusters"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, ["charlie", "bravo"]);
        let (_, second) = app
            .api(
                "GET",
                &format!("{R}/clusters?page_size=2&page=2&order_by=name_desc"),
                &token,
                None,
            )
            .await;
        assert_eq!(second["clusters"][0]["name"], "alpha");
        let (_, filtered) = app
            .api("GET", &format!("{R}/clusters?name=rav"), &token, None)
            .await;
        assert_eq!(filtered["total_count"], 1);
        let (_, by_status) = app
            .api("GET", &format!("{R}/clusters?status=ready"), &token, None)
            .await;
        assert_eq!(by_status["total_count"], 0, "they are all still creating");

        let (_, versions) = app.api("GET", &format!("{R}/versions"), &token, None).await;
        assert_eq!(versions["versions"][0]["name"], "1.36.0", "newest first");
        let (status, version) = app
            .api("GET", &format!("{R}/versions/1.35.1"), &token, None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(version["region"], "fr-par");
        assert!(version["available_cnis"]
            .as_array()
            .expect("cnis")
            .contains(&json!("cilium")));
        let (_, types) = app
            .api("GET", &format!("{R}/cluster-types"), &token, None)
            .await;
        assert!(types["total_count"].as_i64().expect("count") >= 4);
    }
);

on_both_databases!(
    kubeconfig_carries_a_token_that_reset_rotates,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("acme").await;
        let (id, _) = ready_cluster(&app, &token, "ops", "1.35.1", 1).await;
        let request = |dl: &str| {
            axum::http::Request::get(format!("{R}/clusters/{id}/kubeconfig{dl}"))
                .header("x-auth-token", &token)
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let (response, first) = crate::support::read(app.send(request("?dl=1")).await).await;
        assert_eq!(response.status(), 200);
        assert!(
            first.starts_with("apiVersion: v1\nkind: Config\n"),
            "{first}"
        );
        assert!(first.contains(&format!("server: \"https://127.0.0.1:6443/clusters/{id}\"")));
        let token_line = first
            .lines()
            .find(|l| l.trim_start().starts_with("token:"))
            .expect("token line")
            .to_string();
        assert!(token_line.len() > 40, "a real token: {token_line}");

        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/reset-admin-token"),
                &token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200);
        let (_, second) = crate::support::read(app.send(request("?dl=1")).await).await;
        assert!(
            !second.contains(&token_line),
            "the old token no longer appears"
        );

        // The token is real: the cluster's API server accepts the current one only.
        let token_of = |yaml: &str| {
            yaml.lines()
                .find_map(|l| l.trim().strip_prefix("token: "))
                .expect("token")
                .trim_matches('"')
                .to_string()
        };
        let path = format!("/clusters/{id}");
        let kube = |suffix: &str, token: &str| {
            axum::http::Request::get(format!("{path}{suffix}"))
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let (response, body) =
            crate::support::read(app.send_kube(kube("/version", &token_of(&first))).await).await;
        assert_eq!(
            response.status(),
            401,
            "the reset revoked the old token: {body}"
        );
        let (response, body) =
            crate::support::read(app.send_kube(kube("/version", &token_of(&second))).await).await;
        assert_eq!(response.status(), 200, "{body}");
        assert!(body.contains("\"gitVersion\":\"v1.35.1\""), "{body}");
        let (response, body) = crate::support::read(
            app.send_kube(kube("/api/v1/nodes", &token_of(&second)))
                .await,
        )
        .await;
        assert_eq!(response.status(), 200, "{body}");
        assert!(
            body.contains("\"kind\":\"NodeList\"")
                && body.contains("\"kubeletVersion\":\"v1.35.1\""),
            "{body}"
        );
        let (response, _) = crate::support::read(app.send_kube(kube("/version", "")).await).await;
        assert_eq!(response.status(), 401);

        let (_, file) = app
            .api(
                "GET",
                &format!("{R}/clusters/{id}/kubeconfig"),
                &token,
                None,
            )
            .await;
        assert_eq!(file["name"], "kubeconfig.yaml");
        assert!(file["content"].as_str().expect("base64").len() > 100);

        let (status, rules) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/acls"),
                &token,
                Some(json!({ "acls": [{ "ip": "203.0.113.0/24", "description": "office" }] })),
            )
            .await;
        assert_eq!(status, 200, "{rules}");
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/acls"),
                &token,
                Some(json!({ "acls": [{ "ip": "not-an-ip" }] })),
            )
            .await;
        assert_eq!(status, 400);
        let (_, listed) = app
            .api("GET", &format!("{R}/clusters/{id}/acls"), &token, None)
            .await;
        assert_eq!(listed["total_count"], 1);
    }
);

on_both_databases!(
    unknown_endpoints_and_methods_answer_in_json,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("acme").await;
        let (status, body) = app
            .api("GET", "/k8s/v1/regions/fr-par/widgets", &token, None)
            .await;
        assert_eq!(status, 404);
        assert_eq!(body["type"], "not_found", "{body}");
        let (status, body) = app.api("PUT", &format!("{R}/versions"), &token, None).await;
        assert_eq!(status, 405);
        assert!(
            body["message"].as_str().expect("message").contains("PUT"),
            "{body}"
        );
        // The console's own pages are unaffected.
        let (response, html) = app.get("/no-such-page").await;
        assert_eq!(response.status(), 404);
        assert!(html.contains("This page does not exist"));
    }
);

// For each policy, after every reconciler pass of a pool upgrade: live nodes never exceed
// size + max_surge, Ready nodes never drop below size − max_unavailable, and in the end every
// node runs the new version exactly once.
on_both_databases!(
    rollouts_respect_surge_and_unavailability_budgets,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("budgets").await;
        for (size, surge, unavailable) in [
            (3, 1, 0),
            (3, 0, 1),
            (4, 2, 1),
            (5, 0, 2),
            (2, 3, 0),
            (1, 1, 1),
        ] {
            let mut spec = new_cluster(
                &format!("budget-{size}-{surge}-{unavailable}"),
                "1.34.2",
                size,
            );
            spec["pools"][0]["upgrade_policy"] =
                json!({ "max_surge": surge, "max_unavailable": unavailable });
            let (status, cluster) = app
                .api("POST", &format!("{R}/clusters"), &token, Some(spec))
                .await;
            assert_eq!(status, 200, "{cluster}");
            app.run_until_idle().await;
            let id = cluster["id"].as_str().expect("id").to_string();
            let (_, pools) = app
                .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
                .await;
            let pool_id = pools["pools"][0]["id"].as_str().expect("pool").to_string();
            let (status, body) = app
                .api(
                    "POST",
                    &format!("{R}/clusters/{id}/upgrade"),
                    &token,
                    Some(json!({ "version": "1.35.1", "upgrade_pools": true })),
                )
                .await;
            assert_eq!(status, 200, "{body}");

            let db = app.provisioning.database.clone();
            let violations = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
            app.run_until_idle_observing(chrono::Duration::seconds(5), || {
                let (db, pool_id, violations) = (db.clone(), pool_id.clone(), violations.clone());
                async move {
                    let live: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM nodes WHERE pool_id = $1 AND status <> 'deleting'",
                    )
                    .bind(&pool_id)
                    .fetch_one(db.pool())
                    .await
                    .expect("count");
                    let ready: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM nodes WHERE pool_id = $1 AND status = 'ready'",
                    )
                    .bind(&pool_id)
                    .fetch_one(db.pool())
                    .await
                    .expect("count");
                    let mut violations = violations.lock().expect("lock");
                    if live > size + surge {
                        violations.push(format!("{live} live nodes > {size} + surge {surge}"));
                    }
                    if ready < size - unavailable {
                        violations.push(format!(
                            "{ready} ready nodes < {size} - unavailable {unavailable}"
                        ));
                    }
                }
            })
            .await;
            let violations = violations.lock().expect("lock").clone();
            assert!(
                violations.is_empty(),
                "size {size}, surge {surge}, unavailable {unavailable}: {violations:?}"
            );
            let versions: Vec<String> =
                sqlx::query_scalar("SELECT version FROM nodes WHERE pool_id = $1")
                    .bind(&pool_id)
                    .fetch_all(app.provisioning.database.pool())
                    .await
                    .expect("versions");
            assert_eq!(
                versions,
                vec!["1.35.1".to_string(); size as usize],
                "size {size}, surge {surge}, unavailable {unavailable}"
            );
        }
    }
);
