//! No input can hurt: random and mutated bodies and queries go to every route of the REST API.
//! Each answer is a JSON error (4xx) or a success, never a 5xx; afterwards every object the
//! project holds still reads back in the shapes the official SDKs decode.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Map, Value};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::scaleway_api::ready_cluster;
use crate::support::{read, TestApp};

const R: &str = "/k8s/v1/regions/fr-par";

/// A small deterministic generator (xorshift64*): the same seed gives the same requests, so a
/// failure can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Strings that have broken parsers and stores before.
const NASTY_STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "%",
    "_",
    "my_db",
    "\\",
    "'",
    "\"",
    "';--",
    "\u{0}",
    "\n",
    "é",
    "🚀",
    "null",
    "true",
    "1.35.1",
    "1.99.0",
    "-1",
    "0",
    "99999999999999999999",
    "1e308",
    "NaN",
    "zombie",
    "unknown",
    "ready",
    "cilium",
    "PRO2-XS",
    "fr-par-1",
    "203.0.113.0/24",
    "10.0.0.0/33",
    "no_schedule",
    "binpacking",
    "price",
    "10m",
    "https://issuer.example",
    "kapsule",
    "00000000-0000-0000-0000-000000000000",
];

/// The field names the API knows, so mutations hit real fields.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "tags",
    "version",
    "cni",
    "type",
    "pools",
    "autoscaler_config",
    "auto_upgrade",
    "feature_gates",
    "admission_plugins",
    "open_id_connect_config",
    "apiserver_cert_sans",
    "private_network_id",
    "pod_cidr",
    "service_cidr",
    "service_dns_ip",
    "node_type",
    "size",
    "min_size",
    "max_size",
    "autoscaling",
    "autohealing",
    "container_runtime",
    "kubelet_args",
    "upgrade_policy",
    "zone",
    "root_volume_type",
    "root_volume_size",
    "public_ip_disabled",
    "placement_group_id",
    "security_group_id",
    "upgrade_pools",
    "acls",
    "ip",
    "scaleway_ranges",
    "taints",
    "startup_taints",
    "labels",
    "user_data",
    "key",
    "value",
    "effect",
    "estimator",
    "expander",
    "enable",
    "maintenance_window",
    "start_hour",
    "day",
    "max_surge",
    "max_unavailable",
    "issuer_url",
    "groups_claim",
    "scale_down_utilization_threshold",
    "project_id",
    "organization_id",
];

fn random_value(random: &mut Random, depth: u32) -> Value {
    match random.below(if depth > 2 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(random.chance(50)),
        2 => json!(*random.pick(&[0i64, -1, 1, 3, 7, 20, 21, 1000, i64::MAX, i64::MIN])),
        3 => json!(*random.pick(&[0.5f64, -0.1, 1.5, 1e300])),
        4 | 5 => {
            if random.chance(5) {
                json!("y".repeat(100_000))
            } else {
                json!(random.pick(NASTY_STRINGS))
            }
        }
        6 => Value::Array(
            (0..random.below(4))
                .map(|_| random_value(random, depth + 1))
                .collect(),
        ),
        _ => {
            let mut object = Map::new();
            for _ in 0..random.below(5) {
                object.insert(
                    random.pick(FIELDS).to_string(),
                    random_value(random, depth + 1),
                );
            }
            Value::Object(object)
        }
    }
}

/// A valid body for the route, with one field replaced by something random.
fn mutated(random: &mut Random, valid: &Value) -> Value {
    let mut body = valid.clone();
    if let Value::Object(object) = &mut body {
        let field = if random.chance(60) && !object.is_empty() {
            let keys: Vec<String> = object.keys().cloned().collect();
            random.pick(&keys).clone()
        } else {
            random.pick(FIELDS).to_string()
        };
        object.insert(field, random_value(random, 1));
    }
    body
}

fn body_bytes(random: &mut Random, valid: &Value) -> Vec<u8> {
    match random.below(10) {
        0 => Vec::new(),
        1 => {
            // Truncated JSON.
            let text = valid.to_string();
            text.as_bytes()[..random.below(text.len().max(1))].to_vec()
        }
        2 => random_value(random, 0).to_string().into_bytes(),
        3 => b"[1]".to_vec(),
        4 => (0..random.below(64)).map(|_| random.next() as u8).collect(),
        _ => mutated(random, valid).to_string().into_bytes(),
    }
}

fn query(random: &mut Random) -> String {
    const KEYS: &[&str] = &[
        "page",
        "page_size",
        "order_by",
        "status",
        "name",
        "type",
        "project_id",
        "pool_id",
        "with_additional_resources",
        "skip_drain",
        "replace",
        "dl",
        "redacted",
        "private_network_id",
    ];
    const VALUES: &[&str] = &[
        "1",
        "0",
        "-1",
        "101",
        "abc",
        "True",
        "False",
        "true",
        "yes",
        "%25",
        "_",
        "my_db",
        "name_asc",
        "created_at_desc",
        "drop%20table",
        "zombie",
        "ready",
        "unknown",
        "%00",
    ];
    let pairs: Vec<String> = (0..random.below(4))
        .map(|_| format!("{}={}", random.pick(KEYS), random.pick(VALUES)))
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// Checks that a JSON value has the listed fields with the listed JSON types.
fn check_shape(what: &str, value: &Value, fields: &[(&str, &str)]) {
    for (field, kind) in fields {
        let found = &value[*field];
        let ok = match *kind {
            "string" => found.is_string(),
            "string?" => found.is_string() || found.is_null(),
            "number" => found.is_number(),
            "bool" => found.is_boolean(),
            "strings" => found
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            "string map" => found
                .as_object()
                .is_some_and(|map| map.values().all(Value::is_string)),
            "object" => found.is_object(),
            "objects" => found
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_object)),
            other => panic!("unknown kind {other}"),
        };
        assert!(ok, "{what}.{field} should be {kind}: {value}");
    }
}

/// Every object of the project reads back as the SDKs expect it.
async fn everything_reads_back(app: &TestApp, token: &str) {
    let (status, clusters) = app
        .api("GET", &format!("{R}/clusters?page_size=100"), token, None)
        .await;
    assert_eq!(status, 200, "{clusters}");
    for cluster in clusters["clusters"].as_array().expect("clusters") {
        check_shape(
            "cluster",
            cluster,
            &[
                ("id", "string"),
                ("name", "string"),
                ("status", "string"),
                ("version", "string"),
                ("tags", "strings"),
                ("cni", "string"),
                ("description", "string"),
                ("cluster_url", "string"),
                ("feature_gates", "strings"),
                ("admission_plugins", "strings"),
                ("apiserver_cert_sans", "strings"),
                ("autoscaler_config", "object"),
                ("auto_upgrade", "object"),
                ("open_id_connect_config", "object"),
                ("iam_nodes_group_id", "string"),
                ("created_at", "string"),
                ("updated_at", "string"),
            ],
        );
        let autoscaler = &cluster["autoscaler_config"];
        assert!(
            ["unknown_estimator", "binpacking"]
                .contains(&autoscaler["estimator"].as_str().unwrap_or("-")),
            "{autoscaler}"
        );
        check_shape(
            "autoscaler_config",
            autoscaler,
            &[
                ("scale_down_disabled", "bool"),
                ("scale_down_delay_after_add", "string"),
                ("expander", "string"),
                ("expendable_pods_priority_cutoff", "number"),
                ("scale_down_utilization_threshold", "number"),
                ("max_graceful_termination_sec", "number"),
            ],
        );
        check_shape(
            "open_id_connect_config",
            &cluster["open_id_connect_config"],
            &[
                ("issuer_url", "string"),
                ("groups_claim", "strings"),
                ("required_claim", "strings"),
            ],
        );
        check_shape(
            "maintenance_window",
            &cluster["auto_upgrade"]["maintenance_window"],
            &[("start_hour", "number"), ("day", "string")],
        );
        let id = cluster["id"].as_str().expect("id");
        let (status, pools) = app
            .api(
                "GET",
                &format!("{R}/clusters/{id}/pools?page_size=100"),
                token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{pools}");
        for pool in pools["pools"].as_array().expect("pools") {
            check_shape(
                "pool",
                pool,
                &[
                    ("id", "string"),
                    ("name", "string"),
                    ("status", "string"),
                    ("node_type", "string"),
                    ("size", "number"),
                    ("min_size", "number"),
                    ("max_size", "number"),
                    ("tags", "strings"),
                    ("kubelet_args", "string map"),
                    ("labels", "string map"),
                    ("taints", "objects"),
                    ("startup_taints", "objects"),
                    ("upgrade_policy", "object"),
                    ("zone", "string"),
                    ("root_volume_size", "number"),
                ],
            );
            for taint in pool["taints"].as_array().into_iter().flatten() {
                assert!(
                    ["no_schedule", "prefer_no_schedule", "no_execute"]
                        .contains(&taint["effect"].as_str().unwrap_or("-")),
                    "{taint}"
                );
            }
        }
        let (status, nodes) = app
            .api(
                "GET",
                &format!("{R}/clusters/{id}/nodes?page_size=100"),
                token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{nodes}");
        for node in nodes["nodes"].as_array().expect("nodes") {
            check_shape(
                "node",
                node,
                &[
                    ("id", "string"),
                    ("name", "string"),
                    ("status", "string"),
                    ("conditions", "string map"),
                ],
            );
        }
        let (status, rules) = app
            .api(
                "GET",
                &format!("{R}/clusters/{id}/acls?page_size=100"),
                token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{rules}");
        for rule in rules["rules"].as_array().expect("rules") {
            check_shape(
                "acl",
                rule,
                &[
                    ("id", "string"),
                    ("description", "string"),
                    ("region", "string"),
                ],
            );
            assert!(rule["description"]
                .as_str()
                .is_some_and(|d| d.chars().count() <= 255));
        }
    }
}

on_both_databases!(
    random_and_mutated_requests_never_cause_a_5xx_or_store_unreadable_data,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("fuzz").await;
        let (cluster_id, pool_id) = ready_cluster(&app, &token, "fuzz", "1.35.1", 2).await;
        let (_, nodes) = app
            .api(
                "GET",
                &format!("{R}/clusters/{cluster_id}/nodes"),
                &token,
                None,
            )
            .await;
        let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        let (_, rules) = app
            .api(
                "POST",
                &format!("{R}/clusters/{cluster_id}/acls"),
                &token,
                Some(json!({ "acls": [{ "ip": "203.0.113.0/24", "description": "office" }] })),
            )
            .await;
        let acl_id = rules["rules"][0]["id"].as_str().expect("rule").to_string();

        let new_pool = json!({ "name": "extra", "node_type": "PRO2-XS", "size": 1, "min_size": 0,
            "max_size": 0, "root_volume_size": 0, "autoscaling": false, "labels": { "team": "a" },
            "taints": [{ "key": "k", "value": "v", "effect": "no_schedule" }], "user_data": { "init": "echo" } });
        let new_cluster = json!({ "name": "made", "version": "1.35.1", "cni": "cilium", "type": "kapsule",
            "description": "", "pools": [new_pool.clone()],
            "autoscaler_config": { "estimator": "binpacking", "expander": "random", "scale_down_delay_after_add": "5m" },
            "open_id_connect_config": { "issuer_url": "https://issuer.example", "groups_claim": ["groups"] },
            "apiserver_cert_sans": ["api.example.com"], "tags": ["a"] });
        let routes: Vec<(&str, String, Value)> = vec![
            ("GET", format!("{R}/clusters"), json!({})),
            ("POST", format!("{R}/clusters"), new_cluster.clone()),
            ("GET", format!("{R}/clusters/{cluster_id}"), json!({})),
            (
                "PATCH",
                format!("{R}/clusters/{cluster_id}"),
                json!({ "description": "d", "tags": ["x"],
                "autoscaler_config": { "expander": "price" }, "open_id_connect_config": { "client_id": "c" },
                "auto_upgrade": { "enable": true, "maintenance_window": { "start_hour": 3, "day": "monday" } } }),
            ),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/upgrade"),
                json!({ "version": "1.36.0", "upgrade_pools": true }),
            ),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/set-type"),
                json!({ "type": "kapsule-dedicated-4" }),
            ),
            (
                "GET",
                format!("{R}/clusters/{cluster_id}/available-versions"),
                json!({}),
            ),
            (
                "GET",
                format!("{R}/clusters/{cluster_id}/available-types"),
                json!({}),
            ),
            (
                "GET",
                format!("{R}/clusters/{cluster_id}/kubeconfig"),
                json!({}),
            ),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/reset-admin-token"),
                json!({}),
            ),
            ("GET", format!("{R}/clusters/{cluster_id}/acls"), json!({})),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/acls"),
                json!({ "acls": [{ "ip": "198.51.100.0/24", "description": "vpn" }] }),
            ),
            (
                "PUT",
                format!("{R}/clusters/{cluster_id}/acls"),
                json!({ "acls": [{ "scaleway_ranges": true, "description": "scw" }] }),
            ),
            ("DELETE", format!("{R}/acls/{acl_id}"), json!({})),
            ("GET", format!("{R}/clusters/{cluster_id}/pools"), json!({})),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/pools"),
                new_pool.clone(),
            ),
            ("GET", format!("{R}/pools/{pool_id}"), json!({})),
            (
                "PATCH",
                format!("{R}/pools/{pool_id}"),
                json!({ "size": 3, "autohealing": true, "tags": ["t"],
                "upgrade_policy": { "max_surge": 1, "max_unavailable": 0 }, "kubelet_args": {} }),
            ),
            (
                "POST",
                format!("{R}/pools/{pool_id}/upgrade"),
                json!({ "version": "1.36.0" }),
            ),
            (
                "PUT",
                format!("{R}/pools/{pool_id}/set-taints"),
                json!({ "taints": [{ "key": "a", "value": "b", "effect": "no_execute" }] }),
            ),
            (
                "PUT",
                format!("{R}/pools/{pool_id}/set-startup-taints"),
                json!({ "startup_taints": [{ "key": "s", "effect": "no_schedule" }] }),
            ),
            (
                "PUT",
                format!("{R}/pools/{pool_id}/set-labels"),
                json!({ "labels": { "team": "b" } }),
            ),
            ("GET", format!("{R}/pools/{pool_id}/user-data"), json!({})),
            (
                "GET",
                format!("{R}/pools/{pool_id}/user-data/init"),
                json!({}),
            ),
            (
                "POST",
                format!("{R}/pools/{pool_id}/external-nodes/auth"),
                json!({}),
            ),
            ("GET", format!("{R}/node-metadata"), json!({})),
            ("GET", format!("{R}/clusters/{cluster_id}/nodes"), json!({})),
            ("GET", format!("{R}/nodes/{node_id}"), json!({})),
            ("POST", format!("{R}/nodes/{node_id}/reboot"), json!({})),
            ("POST", format!("{R}/nodes/{node_id}/replace"), json!({})),
            ("GET", format!("{R}/versions"), json!({})),
            ("GET", format!("{R}/versions/1.35.1"), json!({})),
            ("GET", format!("{R}/cluster-types"), json!({})),
            // Deletions go to objects made for them, so the rest stays to be fuzzed.
            (
                "DELETE",
                format!("{R}/clusters/00000000-0000-0000-0000-000000000000"),
                json!({}),
            ),
            (
                "DELETE",
                format!("{R}/pools/00000000-0000-0000-0000-000000000000"),
                json!({}),
            ),
            (
                "DELETE",
                format!("{R}/nodes/00000000-0000-0000-0000-000000000000"),
                json!({}),
            ),
            ("GET", format!("{R}/no-such-thing"), json!({})),
            (
                "GET",
                "/k8s/v1/regions/mars-1/clusters".to_string(),
                json!({}),
            ),
        ];

        let mut random = Random(0x5eed_1234_abcd_0001);
        for round in 0..1_500 {
            let (method, path, valid) = random.pick(&routes);
            let body = body_bytes(&mut random, valid);
            let uri = format!("{path}{}", query(&mut random));
            let request = Request::builder()
                .method(*method)
                .uri(&uri)
                .header("x-auth-token", &token)
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .expect("request");
            let (response, text) = read(app.send(request).await).await;
            let status = response.status().as_u16();
            assert!(
                status < 500,
                "round {round}: {method} {uri} with {} answered {status}: {text}",
                String::from_utf8_lossy(&body)
            );
            let parsed: Result<Value, _> = serde_json::from_str(&text);
            let is_file = uri.contains("dl=");
            assert!(
                is_file || status == 204 || parsed.is_ok(),
                "round {round}: {method} {uri} answered {status} with a non-JSON body: {text}"
            );
            if status >= 400 {
                assert!(
                    parsed.as_ref().is_ok_and(|body| body["type"].is_string()),
                    "round {round}: errors carry Scaleway's `type`: {text}"
                );
            }
            // Let operations progress now and then, so actions meet settled objects too.
            if round % 100 == 99 {
                app.run_until_idle().await;
            }
        }
        app.run_until_idle().await;
        everything_reads_back(&app, &token).await;
    }
);
