//! The inputs that used to be stored and then broke every client are refused, with Scaleway's
//! error shape, and change nothing; the values the official SDKs send by default are read the
//! way Scaleway reads them.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::scaleway_api::ready_cluster;
use crate::support::{read, TestApp};

const R: &str = "/k8s/v1/regions/fr-par";

async fn raw(
    app: &TestApp,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("x-auth-token", token);
    }
    let request = request
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let (response, text) = read(app.send(request).await).await;
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (response.status().as_u16(), json)
}

fn argument_names(body: &Value) -> Vec<String> {
    body["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|detail| detail["argument_name"].as_str().map(str::to_string))
        .collect()
}

on_both_databases!(
    bad_shapes_are_refused_before_anything_is_stored,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("strict").await;
        let cluster = |extra: Value| {
            let mut body = json!({ "name": "strict", "version": "1.35.1", "cni": "cilium",
                                   "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 1 }] });
            for (key, value) in extra.as_object().expect("object") {
                body[key] = value.clone();
            }
            body
        };
        for (extra, argument) in [
            (json!({ "autoscaler_config": "x" }), "autoscaler_config"),
            (
                json!({ "autoscaler_config": { "estimator": "guess" } }),
                "autoscaler_config.estimator",
            ),
            (
                json!({ "autoscaler_config": { "expander": 3 } }),
                "autoscaler_config.expander",
            ),
            (
                json!({ "autoscaler_config": { "scale_down_utilization_threshold": 7 } }),
                "autoscaler_config.scale_down_utilization_threshold",
            ),
            (
                json!({ "autoscaler_config": { "scale_down_unneeded_time": "soon" } }),
                "autoscaler_config.scale_down_unneeded_time",
            ),
            (
                json!({ "open_id_connect_config": [1] }),
                "open_id_connect_config",
            ),
            (
                json!({ "open_id_connect_config": { "issuer_url": "ftp://x" } }),
                "open_id_connect_config.issuer_url",
            ),
            (json!({ "tags": ["t".repeat(1_000)] }), "tags[0]"),
            (
                json!({ "tags": (0..51).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
                "tags",
            ),
            (
                json!({ "apiserver_cert_sans": ["not a name"] }),
                "apiserver_cert_sans[0]",
            ),
            (json!({ "description": "d".repeat(256) }), "description"),
            (json!({ "pools": [[1]] }), "pools[0]"),
            (json!({ "pod_cidr": "10.0.0.1" }), "pod_cidr"),
        ] {
            let (status, body) = app
                .api(
                    "POST",
                    &format!("{R}/clusters"),
                    &token,
                    Some(cluster(extra.clone())),
                )
                .await;
            assert_eq!(status, 400, "{extra}: {body}");
            assert_eq!(body["type"], "invalid_arguments", "{body}");
            assert!(
                argument_names(&body).iter().any(|name| name == argument),
                "{extra} names {argument}: {body}"
            );
        }
        // A JSON array where the body should be an object, and truncated JSON.
        for bad in [b"[1]".to_vec(), b"{\"name\": \"x\"".to_vec()] {
            let (status, body) =
                raw(&app, "POST", &format!("{R}/clusters"), Some(&token), bad).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["type"], "invalid_arguments");
        }
        let (_, list) = app.api("GET", &format!("{R}/clusters"), &token, None).await;
        assert_eq!(list["total_count"], 0, "nothing was stored: {list}");

        // A body over the limit gets Scaleway's JSON error, not a text page.
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(4 * 1024 * 1024));
        let (status, body) = raw(
            &app,
            "POST",
            &format!("{R}/clusters"),
            Some(&token),
            huge.into_bytes(),
        )
        .await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["type"], "invalid_arguments", "{body}");
    }
);

on_both_databases!(
    actions_refuse_malformed_bodies_and_filters_are_strict,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("strict").await;
        let (cluster_id, pool_id) = ready_cluster(&app, &token, "my_db", "1.35.1", 1).await;
        let (_, nodes) = app
            .api(
                "GET",
                &format!("{R}/clusters/{cluster_id}/nodes"),
                &token,
                None,
            )
            .await;
        let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        let token_before: String =
            sqlx::query_scalar("SELECT admin_token FROM clusters WHERE id = $1")
                .bind(&cluster_id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("token");

        // Truncated JSON on bodiless actions: refused, and the action does not run.
        for path in [
            format!("{R}/clusters/{cluster_id}/reset-admin-token"),
            format!("{R}/nodes/{node_id}/reboot"),
            format!("{R}/nodes/{node_id}/replace"),
        ] {
            let (status, body) = raw(&app, "POST", &path, Some(&token), b"{\"x\":".to_vec()).await;
            assert_eq!(status, 400, "{path}: {body}");
        }
        let token_after: String =
            sqlx::query_scalar("SELECT admin_token FROM clusters WHERE id = $1")
                .bind(&cluster_id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("token");
        assert_eq!(token_before, token_after, "the admin token was not reset");
        assert_eq!(app.pending_operations().await, 0, "no node action started");

        // Unknown enum filters are refused; `name` is a literal substring.
        for path in [
            format!("{R}/clusters/{cluster_id}/pools?status=zombie"),
            format!("{R}/clusters/{cluster_id}/nodes?status=zombie"),
            format!("{R}/clusters?status=zombie"),
            format!("{R}/clusters?order_by=name;drop"),
        ] {
            let (status, body) = app.api("GET", &path, &token, None).await;
            assert_eq!(status, 400, "{path}: {body}");
        }
        for (filter, expected) in [("%25", 0), ("_", 1), ("my_db", 1), ("my%db", 0), ("MY_", 1)] {
            let (status, body) = app
                .api("GET", &format!("{R}/clusters?name={filter}"), &token, None)
                .await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["total_count"], expected, "name={filter}: {body}");
        }

        // Python-style booleans in the query string.
        let (status, body) = app
            .api(
                "GET",
                &format!("{R}/clusters/{cluster_id}/kubeconfig?redacted=True"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app
            .api(
                "DELETE",
                &format!("{R}/nodes/{node_id}?skip_drain=True"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app
            .api("DELETE", &format!("{R}/pools/{pool_id}?x=1"), &token, None)
            .await;
        assert!(status == 200 || status == 409, "{body}");
        let (status, body) = app
            .api(
                "DELETE",
                &format!("{R}/clusters/{cluster_id}?with_additional_resources=maybe"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let (status, body) = app
            .api(
                "DELETE",
                &format!("{R}/clusters/{cluster_id}?with_additional_resources=False"),
                &token,
                None,
            )
            .await;
        assert!(status == 200 || status == 409, "{body}");
    }
);

on_both_databases!(
    strangers_learn_nothing_and_sdk_defaults_are_read_as_scaleway_reads_them,
    |database: Database| async move {
        let app = TestApp::new(database);
        // Authentication comes before routing: no token, no hint of which paths exist.
        for path in [format!("{R}/no-such-thing"), format!("{R}/clusters")] {
            let (status, body) = raw(&app, "GET", &path, None, Vec::new()).await;
            assert_eq!(status, 401, "{path}: {body}");
            assert_eq!(body["type"], "denied_authentication");
        }
        let token = app.api_key("sdk").await;
        // The Python SDK's pool defaults: min/max 0 without autoscaling, root volume size 0,
        // runtime "unknown_runtime", empty labels, taints and user data.
        let (status, cluster) = app
            .api("POST", &format!("{R}/clusters"), &token, Some(json!({
                "type": "kapsule", "description": "", "version": "1.35.1", "cni": "cilium", "name": "py",
                "pools": [{ "name": "default", "node_type": "PRO2-XS", "autoscaling": false, "size": 2,
                    "container_runtime": "unknown_runtime", "autohealing": false, "min_size": 0, "max_size": 0,
                    "tags": [], "kubelet_args": {}, "zone": "fr-par-1", "root_volume_type": "default_volume_type",
                    "root_volume_size": 0, "public_ip_disabled": false, "labels": {}, "taints": [],
                    "startup_taints": [], "user_data": {} }],
            })))
            .await;
        assert_eq!(status, 200, "{cluster}");
        assert_eq!(cluster["iam_nodes_group_id"], "");
        let id = cluster["id"].as_str().expect("id");
        let (_, pools) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        let pool = &pools["pools"][0];
        assert_eq!(pool["min_size"], 2, "{pool}");
        assert_eq!(pool["max_size"], 2, "{pool}");
        assert_eq!(pool["root_volume_size"], 20_000_000_000i64, "{pool}");
        assert_eq!(pool["container_runtime"], "containerd", "{pool}");
        let pool_id = pool["id"].as_str().expect("pool");

        // Taints, startup taints and labels: set, read back, and refused when malformed.
        let (status, body) = app
            .api("PUT", &format!("{R}/pools/{pool_id}/set-taints"), &token,
                 Some(json!({ "taints": [{ "key": "dedicated", "value": "gpu", "effect": "no_execute" }, { "key": "k" }] })))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["taints"][1]["effect"], "no_schedule",
            "Scaleway's default effect"
        );
        let (status, body) = app
            .api(
                "PUT",
                &format!("{R}/pools/{pool_id}/set-labels"),
                &token,
                Some(json!({ "labels": { "team": "data" } })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, read_back) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
            .await;
        assert_eq!(read_back["labels"], json!({ "team": "data" }));
        assert_eq!(
            read_back["taints"].as_array().map(Vec::len),
            Some(2),
            "labels kept the taints"
        );
        for (path, body) in [
            (
                "set-taints",
                json!({ "taints": [{ "key": "k", "effect": "explode" }] }),
            ),
            ("set-taints", json!({ "taints": "x" })),
            (
                "set-labels",
                json!({ "labels": { "k8s.scaleway.com/pool": "mine" } }),
            ),
            ("set-labels", json!({ "labels": { "team": 3 } })),
            (
                "set-startup-taints",
                json!({ "startup_taints": [{ "key": "bad key" }] }),
            ),
        ] {
            let (status, answer) = app
                .api(
                    "PUT",
                    &format!("{R}/pools/{pool_id}/{path}"),
                    &token,
                    Some(body.clone()),
                )
                .await;
            assert_eq!(status, 400, "{path} {body}: {answer}");
        }
        let (_, unchanged) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
            .await;
        assert_eq!(unchanged["labels"], read_back["labels"]);
        assert_eq!(unchanged["taints"], read_back["taints"]);

        // Lists carry the region the SDKs' types require.
        let (_, types) = app
            .api("GET", &format!("{R}/cluster-types"), &token, None)
            .await;
        assert!(types["cluster_types"]
            .as_array()
            .expect("types")
            .iter()
            .all(|t| t["region"] == "fr-par"));
    }
);

on_both_databases!(
    an_external_node_registers_with_its_secret_and_appears_in_its_pool,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("kosmos").await;
        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                "name": "kosmos", "version": "1.35.1", "cni": "kilo", "type": "multicloud",
                "pools": [{ "name": "scw", "node_type": "PRO2-XS", "size": 1 }] })),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        app.run_until_idle().await;
        let id = cluster["id"].as_str().expect("id").to_string();
        let (status, pool) = app
            .api("POST", &format!("{R}/clusters/{id}/pools"), &token, Some(json!({
                "name": "on-prem", "node_type": "external", "size": 0,
                "labels": { "site": "lyon" }, "taints": [{ "key": "edge", "effect": "no_schedule" }] })))
            .await;
        assert_eq!(status, 200, "{pool}");
        let pool_id = pool["id"].as_str().expect("pool").to_string();
        let scaleway_pool = {
            let (_, pools) = app
                .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
                .await;
            pools["pools"]
                .as_array()
                .expect("pools")
                .iter()
                .find(|p| p["node_type"] != "external")
                .expect("scaleway pool")["id"]
                .as_str()
                .expect("id")
                .to_string()
        };
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/pools/{scaleway_pool}/external-nodes/auth"),
                &token,
                None,
            )
            .await;
        assert_eq!(
            status, 412,
            "only external pools take external nodes: {body}"
        );

        let (status, auth) = app
            .api(
                "POST",
                &format!("{R}/pools/{pool_id}/external-nodes/auth"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{auth}");
        let secret = auth["node_secret_key"]
            .as_str()
            .expect("secret")
            .to_string();
        // The official SDKs accept only UUID-shaped secret keys: a node agent built on them
        // must be able to use this one.
        assert!(
            uuid::Uuid::parse_str(&secret).is_ok() && secret.len() == 36,
            "a UUID-shaped node secret: {secret}"
        );
        let metadata_url = auth["metadata_url"].as_str().expect("url");
        assert!(
            metadata_url.ends_with("/k8s/v1/regions/fr-par/node-metadata"),
            "{metadata_url}"
        );
        let path = format!("{R}/node-metadata");
        let (status, _) = app.api("GET", &path, "not-a-secret", None).await;
        assert_eq!(status, 401);
        let (status, metadata) = app.api("GET", &path, &secret, None).await;
        assert_eq!(status, 200, "{metadata}");
        assert_eq!(metadata["pool_version"], "1.35.1");
        assert_eq!(metadata["node_labels"], json!({ "site": "lyon" }));
        assert_eq!(metadata["node_taints"][0]["key"], "edge");
        assert!(metadata["cluster_url"]
            .as_str()
            .expect("url")
            .ends_with(&id));
        let (_, again) = app.api("GET", &path, &secret, None).await;
        assert_eq!(
            again["id"], metadata["id"],
            "registering twice gives the same node"
        );

        let (_, nodes) = app
            .api(
                "GET",
                &format!("{R}/clusters/{id}/nodes?pool_id={pool_id}"),
                &token,
                None,
            )
            .await;
        assert_eq!(nodes["total_count"], 1, "{nodes}");
        assert_eq!(nodes["nodes"][0]["id"], metadata["id"]);
        assert_eq!(nodes["nodes"][0]["status"], "ready");
        let (_, pool) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
            .await;
        assert_eq!(pool["size"], 1, "{pool}");
        let node_id = metadata["id"].as_str().expect("node");
        let (status, body) = app
            .api("POST", &format!("{R}/nodes/{node_id}/reboot"), &token, None)
            .await;
        assert_eq!(
            status, 412,
            "the provider cannot reboot a machine it does not run: {body}"
        );
        app.run_until_idle().await;
        let (_, nodes) = app
            .api(
                "GET",
                &format!("{R}/clusters/{id}/nodes?pool_id={pool_id}"),
                &token,
                None,
            )
            .await;
        assert_eq!(
            nodes["total_count"], 1,
            "the reconciler leaves external nodes alone: {nodes}"
        );

        // A Kapsule cluster takes no external pool.
        let (kapsule, _) = ready_cluster(&app, &token, "plain", "1.35.1", 1).await;
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters/{kapsule}/pools"),
                &token,
                Some(json!({
                "name": "ext", "node_type": "external", "size": 0 })),
            )
            .await;
        assert_eq!(status, 400, "{body}");
    }
);

on_both_databases!(
    pool_sizes_out_of_scaleways_bounds_are_refused_even_without_autoscaling,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("sizes").await;
        for (pool, argument) in [
            (
                json!({ "name": "p", "node_type": "pro2_xs", "size": 1, "min_size": -5 }),
                "pools[0].min_size",
            ),
            (
                json!({ "name": "p", "node_type": "pro2_xs", "size": 1, "max_size": 1_000_000_000 }),
                "pools[0].max_size",
            ),
            (
                json!({ "name": "p", "node_type": "pro2_xs", "size": -1 }),
                "pools[0].size",
            ),
        ] {
            let (status, body) = app
                .api(
                    "POST",
                    &format!("{R}/clusters"),
                    &token,
                    Some(
                        json!({ "name": "sizes", "version": "1.35.1", "cni": "cilium",
                                 "pools": [pool.clone()] }),
                    ),
                )
                .await;
            assert_eq!(status, 400, "{pool}: {body}");
            assert!(
                argument_names(&body).contains(&argument.to_string()),
                "{argument}: {body}"
            );
        }
        let (_, clusters) = app.api("GET", &format!("{R}/clusters"), &token, None).await;
        assert_eq!(clusters["total_count"], 0, "nothing stored: {clusters}");

        // The SDKs' defaults (zeros) still pass.
        let (id, pool_id) = ready_cluster(&app, &token, "sizes", "1.35.1", 1).await;
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/pools"),
                &token,
                Some(json!({ "name": "q", "node_type": "pro2_xs", "size": 1, "min_size": -1 })),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            argument_names(&body).contains(&"min_size".to_string()),
            "{body}"
        );
        let (status, body) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{pool_id}"),
                &token,
                Some(json!({ "max_size": 1_000_000_000 })),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let (_, pools) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        assert_eq!(pools["total_count"], 1, "no pool added: {pools}");
        assert_ne!(pools["pools"][0]["max_size"], 1_000_000_000, "{pools}");
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/pools"),
                &token,
                Some(json!({ "name": "zeros", "node_type": "pro2_xs", "size": 1,
                             "min_size": 0, "max_size": 0, "root_volume_size": 0 })),
            )
            .await;
        assert_eq!(status, 200, "the Python SDK's defaults: {body}");
    }
);

on_both_databases!(
    an_empty_taint_effect_is_refused_and_nothing_changes,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("taints").await;
        let (_, pool_id) = ready_cluster(&app, &token, "taints", "1.35.1", 1).await;
        for (route, field) in [
            ("set-taints", "taints"),
            ("set-startup-taints", "startup_taints"),
        ] {
            let (status, body) = app
                .api(
                    "PUT",
                    &format!("{R}/pools/{pool_id}/{route}"),
                    &token,
                    Some(json!({ field: [{ "key": "dedicated", "value": "gpu", "effect": "" }] })),
                )
                .await;
            assert_eq!(status, 400, "{route}: {body}");
            assert!(body.to_string().contains("empty effect"), "{route}: {body}");
        }
        let (_, pool) = app
            .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
            .await;
        assert_eq!(pool["taints"], json!([]), "{pool}");
        assert_eq!(pool["startup_taints"], json!([]), "{pool}");
    }
);

on_both_databases!(
    every_autoscaler_setting_sent_is_applied_and_read_back,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("autoscaler").await;
        let (id, _) = ready_cluster(&app, &token, "autoscaler", "1.35.1", 1).await;
        let (status, patched) = app
            .api(
                "PATCH",
                &format!("{R}/clusters/{id}"),
                &token,
                Some(json!({ "autoscaler_config": {
                    "skip_nodes_with_local_storage": false, "log_level": 3 } })),
            )
            .await;
        assert_eq!(status, 200, "{patched}");
        let (_, read_back) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        for body in [&patched, &read_back] {
            assert_eq!(
                body["autoscaler_config"]["skip_nodes_with_local_storage"], false,
                "{body}"
            );
            assert_eq!(body["autoscaler_config"]["log_level"], 3, "{body}");
        }
        let (status, patched) = app
            .api(
                "PATCH",
                &format!("{R}/clusters/{id}"),
                &token,
                Some(json!({ "autoscaler_config": {
                    "skip_nodes_with_local_storage": true, "log_level": 11 } })),
            )
            .await;
        assert_eq!(status, 400, "{patched}");
        let (_, read_back) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(
            read_back["autoscaler_config"]["log_level"], 3,
            "a refused change changes nothing: {read_back}"
        );
    }
);
