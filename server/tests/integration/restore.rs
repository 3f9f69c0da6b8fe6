//! Restore: each scope puts back exactly its part and nothing the user manages, its preview is
//! what it then changes, a snapshot is taken first so an undo returns the state before it,
//! refusals (a busy cluster, a wrong confirmation, a viewer, a missing or corrupt snapshot)
//! change nothing, a stuck restore ends Failed with its reason at its deadline, diagnostics say
//! what still fails and whose it is, and every change is one audit entry.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use wheelhouse::clock::Clock;
use wheelhouse::domain::change::Outcome;
use wheelhouse::domain::ids::ClusterId;
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::{operator, TestApp};
use crate::upgrade::{start_upgrade, two_pool_cluster, R, X};

/// Everything a restore may change or must leave alone, flattened to `part/name/field` → value.
async fn world(app: &TestApp, id: &str) -> BTreeMap<String, Value> {
    let db = app.provisioning.database.pool();
    let mut world = BTreeMap::new();
    let components: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT name, version, health, managed_by FROM cluster_components WHERE cluster_id = $1",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .expect("components");
    for (name, version, health, managed_by) in components {
        world.insert(format!("component/{name}/version"), json!(version));
        world.insert(format!("component/{name}/health"), json!(health));
        world.insert(format!("component/{name}/managed_by"), json!(managed_by));
    }
    let (gates, plugins, oidc): (String, String, String) = sqlx::query_as(
        "SELECT feature_gates, admission_plugins, open_id_connect_config FROM clusters WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await
    .expect("cluster");
    for (field, text) in [
        ("feature_gates", gates),
        ("admission_plugins", plugins),
        ("open_id_connect_config", oidc),
    ] {
        world.insert(
            format!("config/{field}/{field}"),
            serde_json::from_str(&text).expect("json"),
        );
    }
    let workloads: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT api_version, kind, namespace, name FROM workload_inventory WHERE cluster_id = $1",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .expect("workloads");
    for (api, kind, namespace, name) in workloads {
        world.insert(
            format!("etcd/{namespace}/{name}/workload"),
            json!(format!("{api} {kind}")),
        );
    }
    let pdbs: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT namespace, name, disruptions_allowed, pool_id FROM pod_disruption_budgets WHERE cluster_id = $1",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .expect("pdbs");
    for (namespace, name, allowed, pool) in pdbs {
        world.insert(
            format!("etcd/{namespace}/{name}/pdb"),
            json!({ "disruptions_allowed": allowed, "pool_id": pool }),
        );
    }
    let pools: Vec<(String, String)> =
        sqlx::query_as("SELECT name, kubelet_args FROM pools WHERE cluster_id = $1")
            .bind(id)
            .fetch_all(db)
            .await
            .expect("pools");
    for (name, args) in pools {
        world.insert(format!("pool/{name}/kubelet_args"), json!(args));
    }
    let volumes: Vec<(String, String)> =
        sqlx::query_as("SELECT name, status FROM persistent_volumes WHERE cluster_id = $1")
            .bind(id)
            .fetch_all(db)
            .await
            .expect("volumes");
    for (name, status) in volumes {
        world.insert(format!("volume/{name}/status"), json!(status));
    }
    let lbs: Vec<(String, String)> =
        sqlx::query_as("SELECT name, status FROM load_balancers WHERE cluster_id = $1")
            .bind(id)
            .fetch_all(db)
            .await
            .expect("load balancers");
    for (name, status) in lbs {
        world.insert(format!("lb/{name}/status"), json!(status));
    }
    world
}

/// The key of `world` a preview's change is about.
fn key_of(change: &Value) -> String {
    let (part, name, field) = (
        change["part"].as_str().expect("part"),
        change["name"].as_str().expect("name"),
        change["field"].as_str().expect("field"),
    );
    match (part, field) {
        (_, "workload" | "pdb") => format!("etcd/{name}/{field}"),
        ("control_plane", "feature_gates" | "admission_plugins" | "open_id_connect_config") => {
            format!("config/{name}/{field}")
        }
        _ => format!("component/{name}/{field}"),
    }
}

/// What differs between two worlds: key → (before, after), `null` for absent.
fn diff(
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
) -> BTreeMap<String, (Value, Value)> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (from, to) = (
                before.get(key).cloned().unwrap_or(Value::Null),
                after.get(key).cloned().unwrap_or(Value::Null),
            );
            (from != to).then(|| (key.clone(), (from, to)))
        })
        .collect()
}

/// A preview's changes as `diff` shows them.
fn as_diff(preview: &Value) -> BTreeMap<String, (Value, Value)> {
    preview["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (key_of(c), (c["from"].clone(), c["to"].clone())))
        .collect()
}

async fn preview(app: &TestApp, token: &str, id: &str, query: &str) -> (u16, Value) {
    app.api(
        "GET",
        &format!("{X}/clusters/{id}/restore-preview?{query}"),
        token,
        None,
    )
    .await
}

async fn start(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    app.api(
        "POST",
        &format!("{X}/clusters/{id}/restores"),
        token,
        Some(body),
    )
    .await
}

async fn progress(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, progress) = app
        .api(
            "GET",
            &format!("{X}/clusters/{id}/restore-progress"),
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{progress}");
    progress
}

/// A cluster the user has made their own in places: feature gates and an admission plugin,
/// custom kubelet arguments on pool "second", a CoreDNS they took over, workloads, a PDB, a
/// volume and a load balancer; and the provider's kube-proxy and etcd crash-looping.
async fn lived_in_cluster(app: &TestApp, token: &str) -> (String, String) {
    let (id, _first, second) = two_pool_cluster(app, token).await;
    let (status, body) = app
        .api(
            "PATCH",
            &format!("{R}/clusters/{id}"),
            token,
            Some(json!({ "feature_gates": ["HPAScaleToZero"], "admission_plugins": ["AlwaysPullImages"] })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .api(
            "PATCH",
            &format!("{R}/pools/{second}"),
            token,
            Some(json!({ "kubelet_args": { "maxPods": "60" } })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.run_until_idle().await;
    let caller = app.caller(token).await;
    let cluster = app
        .state
        .service
        .get_cluster(&caller, "fr-par", &ClusterId::from(id.clone()))
        .await
        .expect("cluster");
    let op = operator();
    for (api, kind, ns, name) in [
        ("apps/v1", "Deployment", "shop", "web"),
        ("batch/v1beta1", "CronJob", "shop", "cart"),
    ] {
        app.provisioning
            .record_workload(&op, &cluster, api, kind, ns, name)
            .await
            .expect("workload");
    }
    app.provisioning
        .record_pdb(&op, &cluster, "shop", "web-pdb", 1, None)
        .await
        .expect("pdb");
    app.provisioning
        .record_volume(&cluster, "pvc-orders", 10 << 30, "sbs-default")
        .await
        .expect("volume");
    app.provisioning
        .record_load_balancer(&cluster, "shop-ingress")
        .await
        .expect("lb");
    for (component, health) in [("kube-proxy", "crash_loop"), ("etcd", "degraded")] {
        app.provisioning
            .set_component_health(&op, &id, component, health)
            .await
            .expect("fault");
    }
    // What responsibility tracking records once the user edited CoreDNS's configuration.
    sqlx::query(
        "UPDATE cluster_components SET managed_by = 'user', version = '1.11.3', health = 'degraded' \
         WHERE cluster_id = $1 AND name = 'coredns'",
    )
    .bind(&id)
    .execute(app.provisioning.database.pool())
    .await
    .expect("coredns");
    (id, second)
}

fn names_of(preview: &Value, key: &str) -> Vec<String> {
    preview[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|item| {
            format!(
                "{}:{}",
                item["kind"]
                    .as_str()
                    .or(item["part"].as_str())
                    .unwrap_or_default(),
                item["name"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

on_both_databases!(
    each_scope_restores_exactly_its_part_and_its_preview_is_what_it_changes,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _second) = lived_in_cluster(&app, &token).await;

        // Scope 1: the provider's system apps only.
        let (status, system) = preview(&app, &token, &id, "scope=system_apps").await;
        assert_eq!(status, 200, "{system}");
        assert!(system["blocked_by"].is_null(), "{system}");
        assert_eq!(system["confirm_with"], "shop");
        let changed: Vec<String> = as_diff(&system).into_keys().collect();
        assert_eq!(changed, vec!["component/kube-proxy/health"], "{system}");
        let untouched = names_of(&system, "not_touched");
        for expected in [
            "workload:shop/web (apps/v1 Deployment)",
            "workload:shop/cart (batch/v1beta1 CronJob)",
            "pdb:shop/web-pdb",
            "volume:pvc-orders",
            "load_balancer:shop-ingress",
            "component:coredns 1.11.3",
            "kubelet_args:pool second",
            "component:etcd 3.5.21",
        ] {
            assert!(
                untouched.contains(&expected.to_string()),
                "{expected} in {untouched:?}"
            );
        }

        // A wrong confirmation is refused and starts nothing.
        let before = world(&app, &id).await;
        let (status, refused) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "system_apps", "confirm_name": "shop-typo" }),
        )
        .await;
        assert_eq!(status, 400, "{refused}");
        assert!(refused.to_string().contains("confirm_name"), "{refused}");
        assert!(progress(&app, &token, &id).await["run"].is_null());

        let (status, run) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "system_apps", "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 200, "{run}");
        assert_eq!(run["progress"]["state"], "running");
        assert_eq!(run["confirmed_changes"], system["changes"]);
        // Nothing else may start meanwhile: the preview says which change holds the cluster.
        let (_, busy) = preview(&app, &token, &id, "scope=system_apps").await;
        assert!(
            busy["blocked_by"]
                .as_str()
                .unwrap_or_default()
                .contains("cluster is updating")
                || busy["blocked_by"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("another restore"),
            "{busy}"
        );
        app.run_until_idle().await;
        let done = progress(&app, &token, &id).await;
        assert_eq!(done["run"]["progress"]["state"], "succeeded", "{done}");
        assert!(done["undo_available_until"].is_string(), "{done}");
        let after = world(&app, &id).await;
        assert_eq!(
            diff(&before, &after),
            as_diff(&system),
            "scope 1 changed exactly its preview"
        );

        // Scope 2: + the control plane's configuration and components; still nothing of the user's.
        let (_, control) = preview(&app, &token, &id, "scope=control_plane").await;
        let changed: Vec<String> = as_diff(&control).into_keys().collect();
        assert_eq!(
            changed,
            vec![
                "component/etcd/health",
                "config/admission_plugins/admission_plugins",
                "config/feature_gates/feature_gates",
            ],
            "{control}"
        );
        let before = world(&app, &id).await;
        let (status, run) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "control_plane", "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 200, "{run}");
        app.run_until_idle().await;
        let after = world(&app, &id).await;
        assert_eq!(
            diff(&before, &after),
            as_diff(&control),
            "scope 2 changed exactly its preview"
        );

        // Scope 3: etcd's contents from a snapshot the user picks (the one before scope 1,
        // which still had the CronJob and no Job the user added since).
        let caller = app.caller(&token).await;
        let cluster = app
            .state
            .service
            .get_cluster(&caller, "fr-par", &ClusterId::from(id.clone()))
            .await
            .expect("cluster");
        app.provisioning
            .record_workload(&operator(), &cluster, "batch/v1", "Job", "shop", "migrate")
            .await
            .expect("workload");
        app.provisioning
            .forget_workload(
                &operator(),
                &cluster,
                "apps/v1",
                "Deployment",
                "shop",
                "web",
            )
            .await
            .expect("forget");
        let (status, snapshots) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/etcd-snapshots"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{snapshots}");
        let snapshots = snapshots.as_array().expect("snapshots").clone();
        let reasons: Vec<&str> = snapshots
            .iter()
            .filter_map(|s| s["reason"].as_str())
            .collect();
        assert!(reasons.contains(&"periodic"), "{reasons:?}");
        assert_eq!(
            reasons.iter().filter(|r| **r == "pre_restore").count(),
            2,
            "{reasons:?}"
        );
        assert!(snapshots
            .iter()
            .all(|s| s["size_bytes"].as_i64().unwrap_or(0) > 0));
        let picked = snapshots
            .iter()
            .rfind(|s| s["reason"] == "pre_restore")
            .expect("the first restore's snapshot")["id"]
            .as_str()
            .expect("id")
            .to_string();
        app.clock.advance(chrono::Duration::hours(2));
        let (status, etcd) = preview(
            &app,
            &token,
            &id,
            &format!("scope=etcd&snapshot_id={picked}"),
        )
        .await;
        assert_eq!(status, 200, "{etcd}");
        assert_eq!(etcd["snapshot"]["snapshot"]["id"], picked.as_str());
        assert!(
            etcd["snapshot"]["age_seconds"].as_i64().unwrap_or(0) >= 7200,
            "{etcd}"
        );
        assert!(
            etcd["warnings"][0]
                .as_str()
                .unwrap_or_default()
                .contains("lost"),
            "{etcd}"
        );
        let changed: Vec<String> = as_diff(&etcd).into_keys().collect();
        assert_eq!(
            changed,
            vec!["etcd/shop/migrate/workload", "etcd/shop/web/workload"],
            "{etcd}"
        );
        let before = world(&app, &id).await;
        let (status, run) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "etcd", "snapshot_id": picked, "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 200, "{run}");
        app.run_until_idle().await;
        let done = progress(&app, &token, &id).await;
        assert_eq!(done["run"]["progress"]["state"], "succeeded", "{done}");
        let steps: Vec<(&str, &str)> = done["run"]["progress"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| (s["name"].as_str().unwrap(), s["state"].as_str().unwrap()))
            .collect();
        assert_eq!(
            steps,
            vec![
                ("system_apps", "done"),
                ("control_plane", "done"),
                ("etcd", "done")
            ]
        );
        let after = world(&app, &id).await;
        assert_eq!(
            diff(&before, &after),
            as_diff(&etcd),
            "scope 3 changed exactly its preview"
        );
        // Never touched by any scope: the user's components, kubelet args, volumes, LBs.
        for key in [
            "component/coredns/managed_by",
            "component/coredns/version",
            "pool/second/kubelet_args",
            "volume/pvc-orders/status",
            "lb/shop-ingress/status",
        ] {
            assert!(after.contains_key(key), "{key}");
        }
        assert_eq!(after["component/coredns/version"], "1.11.3");
        assert_eq!(after["component/coredns/health"], "degraded");

        // Diagnostics say what still fails and whose it is.
        let (status, diagnostics) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/diagnostics"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{diagnostics}");
        let check = |id: &str| {
            diagnostics["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("no check {id}: {diagnostics}"))
        };
        let removed = check("removed_apis");
        assert_eq!(removed["finding"], "fails");
        assert_eq!(removed["owner"], "user");
        assert!(
            removed["evidence"][0]
                .as_str()
                .unwrap()
                .contains("a restore cannot fix this: your workload shop/cart uses batch/v1beta1 CronJob, removed in 1.25"),
            "{removed}"
        );
        let kubelet = check("kubelet_args:second");
        assert_eq!(kubelet["finding"], "left_as_is");
        assert_eq!(kubelet["owner"], "user");
        assert_eq!(
            kubelet["summary"],
            "kubelet arguments of pool second are yours and were left as they are"
        );
        let coredns = check("component:coredns");
        assert_eq!(
            (coredns["finding"].clone(), coredns["owner"].clone()),
            (json!("fails"), json!("user"))
        );
        assert_eq!(check("control_plane")["finding"], "works");

        // The OpenAPI document describes the endpoints.
        let (_, document) = app.get("/api/openapi.json").await;
        for path in [
            "restore-preview",
            "restores",
            "restore-undo",
            "diagnostics",
            "etcd-snapshots",
        ] {
            assert!(
                document.contains(&format!("/clusters/{{cluster_id}}/{path}\"")),
                "{path}"
            );
        }

        // Each start is one entry, and the refusal one too.
        let actions: Vec<(&str, bool)> = app
            .recorded
            .all()
            .iter()
            .filter(|c| c.action.starts_with("restore."))
            .map(|c| (c.action, c.outcome == Outcome::Done))
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        assert_eq!(
            actions,
            vec![
                ("restore.start", false),
                ("restore.start", true),
                ("restore.start", true),
                ("restore.start", true)
            ]
        );
        crate::audit::every_change_is_one_entry(&app).await;
    }
);

on_both_databases!(
    undo_returns_the_state_before_the_restore_within_seven_days,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _) = lived_in_cluster(&app, &token).await;
        let (status, refused) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/restore-undo-preview"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 412, "nothing to undo yet: {refused}");

        let before = world(&app, &id).await;
        let (status, run) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "control_plane", "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 200, "{run}");
        app.run_until_idle().await;
        let restored = world(&app, &id).await;
        assert_ne!(before, restored);

        // The undo's preview is the restore's changes backwards; it needs the same confirmation.
        let (status, undo) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/restore-undo-preview"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{undo}");
        assert_eq!(undo["kind"], "undo");
        let backwards: BTreeMap<String, (Value, Value)> = diff(&before, &restored)
            .into_iter()
            .map(|(key, (from, to))| (key, (to, from)))
            .collect();
        assert_eq!(as_diff(&undo), backwards);
        let (status, refused) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/restore-undo"),
                &token,
                Some(json!({ "confirm_name": "nope" })),
            )
            .await;
        assert_eq!(status, 400, "{refused}");
        let (status, undone) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/restore-undo"),
                &token,
                Some(json!({ "confirm_name": "shop" })),
            )
            .await;
        assert_eq!(status, 200, "{undone}");
        assert_eq!(undone["kind"], "undo");
        app.run_until_idle().await;
        assert_eq!(
            progress(&app, &token, &id).await["run"]["progress"]["state"],
            "succeeded"
        );
        assert_eq!(
            world(&app, &id).await,
            before,
            "the undo returned the state before"
        );
        // Once undone, there is nothing left to undo.
        let (status, refused) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/restore-undo"),
                &token,
                Some(json!({ "confirm_name": "shop" })),
            )
            .await;
        assert_eq!(status, 412, "{refused}");
        assert!(refused.to_string().contains("already undone"), "{refused}");

        // Past 7 days a restore can no longer be undone.
        let (status, _) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "system_apps", "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        assert!(progress(&app, &token, &id).await["undo_available_until"].is_string());
        app.clock
            .advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
        assert!(progress(&app, &token, &id).await["undo_available_until"].is_null());
        let (status, refused) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/restore-undo"),
                &token,
                Some(json!({ "confirm_name": "shop" })),
            )
            .await;
        assert_eq!(status, 412, "{refused}");
        assert!(refused.to_string().contains("7 days"), "{refused}");
        crate::audit::every_change_is_one_entry(&app).await;
    }
);

/// The number of restore runs and pre-restore snapshots of a cluster.
async fn restore_traces(app: &TestApp, id: &str) -> (i64, i64) {
    let db = app.provisioning.database.pool();
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM restore_runs WHERE cluster_id = $1")
        .bind(id)
        .fetch_one(db)
        .await
        .expect("runs");
    let snapshots: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sandbox_etcd_snapshots WHERE cluster_id = $1 AND reason = 'pre_restore'",
    )
    .bind(id)
    .fetch_one(db)
    .await
    .expect("snapshots");
    (runs, snapshots)
}

on_both_databases!(
    refusals_come_before_anything_changes,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _) = lived_in_cluster(&app, &token).await;
        // A healthy control plane, so that the upgrade below passes its pre-flight.
        app.provisioning
            .set_component_health(&operator(), &id, "etcd", "healthy")
            .await
            .expect("etcd");
        let before = world(&app, &id).await;
        let (_, snapshots) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/etcd-snapshots"),
                &token,
                None,
            )
            .await;
        let periodic = snapshots[0]["id"]
            .as_str()
            .expect("a periodic snapshot")
            .to_string();

        // Bad input: an unknown scope, a snapshot where none applies, etcd without one, an
        // unknown snapshot.
        for (body, status, says) in [
            (
                json!({ "scope": "everything", "confirm_name": "shop" }),
                400,
                "not a restore scope",
            ),
            (
                json!({ "scope": "system_apps", "snapshot_id": periodic, "confirm_name": "shop" }),
                400,
                "only a restore of etcd",
            ),
            (
                json!({ "scope": "etcd", "confirm_name": "shop" }),
                400,
                "needs the snapshot",
            ),
            (
                json!({ "scope": "etcd", "snapshot_id": "no-such-snapshot", "confirm_name": "shop" }),
                404,
                "no-such-snapshot",
            ),
            (json!({ "scope": "system_apps" }), 400, "confirm_name"),
        ] {
            let (code, refused) = start(&app, &token, &id, body.clone()).await;
            assert_eq!(code, status, "{body}: {refused}");
            assert!(refused.to_string().contains(says), "{body}: {refused}");
        }

        // A missing or corrupt snapshot is refused before anything changes, and so is one
        // whose bytes were altered behind the provider's back.
        for state in ["missing", "corrupt"] {
            app.provisioning
                .set_snapshot_state(&operator(), &id, &periodic, state)
                .await
                .expect("fault");
            let (status, refused) = preview(
                &app,
                &token,
                &id,
                &format!("scope=etcd&snapshot_id={periodic}"),
            )
            .await;
            assert_eq!(status, 412, "{refused}");
            let (status, refused) = start(
                &app,
                &token,
                &id,
                json!({ "scope": "etcd", "snapshot_id": periodic, "confirm_name": "shop" }),
            )
            .await;
            assert_eq!(status, 412, "{refused}");
            assert!(
                refused.to_string().contains(&format!("is {state}")),
                "{refused}"
            );
        }
        app.provisioning
            .set_snapshot_state(&operator(), &id, &periodic, "available")
            .await
            .expect("repaired");
        sqlx::query("UPDATE sandbox_etcd_snapshots SET content = replace(content, 'healthy', 'HEALTHY') WHERE id = $1")
            .bind(&periodic)
            .execute(app.provisioning.database.pool())
            .await
            .expect("tamper");
        let (status, refused) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "etcd", "snapshot_id": periodic, "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 412, "{refused}");
        assert!(refused.to_string().contains("checksum"), "{refused}");

        // A viewer may not restore; an editor may (refused here for its typo only).
        crate::identity::someone(
            &app,
            "vic@example.com",
            "elsewhere",
            wheelhouse::services::identity::Role::Viewer,
        )
        .await;
        let project: String =
            sqlx::query_scalar("SELECT project_id FROM cluster_owners WHERE cluster_id = $1")
                .bind(&id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("project");
        let (user_id, organization): (String, String) = sqlx::query_as(
            "SELECT u.id, p.organization_id FROM users u, projects p WHERE u.email = 'vic@example.com' AND p.id = $1",
        )
        .bind(&project)
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("user");
        sqlx::query("UPDATE memberships SET project_id = $1 WHERE user_id = $2")
            .bind(&project)
            .bind(&user_id)
            .execute(app.provisioning.database.pool())
            .await
            .expect("membership");
        let viewer = wheelhouse::domain::model::Caller::new(
            project.clone(),
            organization,
            wheelhouse::domain::change::Actor::Person {
                user_id,
                email: "vic@example.com".into(),
            },
            wheelhouse::domain::change::Source::of(wheelhouse::domain::change::Interface::Console),
        );
        let refused = app
            .state
            .restores()
            .start(
                &viewer,
                "fr-par",
                &ClusterId::from(id.clone()),
                wheelhouse::services::restore::RestoreAsk {
                    scope: "system_apps",
                    snapshot_id: None,
                    confirm_name: "shop",
                },
            )
            .await
            .expect_err("a viewer");
        assert!(
            refused.to_string().contains("owners and editors"),
            "{refused}"
        );

        // During an upgrade a restore says which change holds the cluster.
        let (status, upgrade) =
            start_upgrade(&app, &token, &id, json!({ "version": "1.34.5" })).await;
        assert_eq!(status, 200, "{upgrade}");
        let (_, blocked) = preview(&app, &token, &id, "scope=system_apps").await;
        assert!(
            blocked["blocked_by"]
                .as_str()
                .unwrap_or_default()
                .starts_with("an upgrade from 1.34.2 to 1.34.5 is running"),
            "{blocked}"
        );
        let (status, refused) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "system_apps", "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 412, "{refused}");
        assert!(
            refused
                .to_string()
                .contains("an upgrade from 1.34.2 to 1.34.5"),
            "{refused}"
        );

        // Nothing a refusal touched changed: no run, no snapshot taken for a restore, the same
        // world (the upgrade aside, which moved only versions).
        assert_eq!(restore_traces(&app, &id).await, (0, 0));
        let after = world(&app, &id).await;
        for (key, value) in &before {
            if !key.ends_with("/version") {
                assert_eq!(after.get(key), Some(value), "{key}");
            }
        }
        // The upgrade took a snapshot first, as a provider's would.
        let (_, snapshots) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/etcd-snapshots"),
                &token,
                None,
            )
            .await;
        assert_eq!(snapshots[0]["reason"], "pre_upgrade", "{snapshots}");
        let refusals = app
            .recorded
            .all()
            .iter()
            .filter(|c| c.action == "restore.start" && matches!(c.outcome, Outcome::Refused { .. }))
            .count();
        assert_eq!(refusals, 10);
        crate::audit::every_change_is_one_entry(&app).await;
    }
);

on_both_databases!(
    a_stuck_restore_ends_failed_with_its_reason_at_its_deadline,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        let node_ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM nodes WHERE cluster_id = $1")
                .bind(&id)
                .fetch_all(app.provisioning.database.pool())
                .await
                .expect("nodes");
        for node in &node_ids {
            wheelhouse::backend::sandbox::reconciler::inject_fault(
                &app.provisioning,
                &operator(),
                node,
                "not_ready",
            )
            .await
            .expect("fault");
        }
        app.run_until_idle().await;
        let (status, run) = start(
            &app,
            &token,
            &id,
            json!({ "scope": "control_plane", "confirm_name": "shop" }),
        )
        .await;
        assert_eq!(status, 200, "{run}");
        let deadline: chrono::DateTime<chrono::Utc> = run["progress"]["deadline_at"]
            .as_str()
            .expect("deadline")
            .parse()
            .expect("time");
        assert_eq!(deadline, app.clock.now() + chrono::Duration::minutes(30));
        // The reconciler keeps trying until the deadline, then stops: Failed, with its reason.
        let reconciler = app.reconciler();
        let mut passes = 0;
        while app.pending_operations().await > 0 {
            reconciler.run_pass().await.expect("pass");
            let now = progress(&app, &token, &id).await;
            if now["active"] == true {
                assert!(
                    app.clock.now() <= deadline,
                    "still running past its deadline"
                );
                if passes > 10 {
                    assert!(
                        now["run"]["progress"]["steps"][0]["waiting_on"]
                            .as_str()
                            .unwrap_or_default()
                            .contains("no node is Ready"),
                        "{now}"
                    );
                }
            }
            app.clock.advance(chrono::Duration::seconds(20));
            passes += 1;
            assert!(passes < 1000, "the restore never ended");
        }
        let ended = progress(&app, &token, &id).await;
        let restore = &ended["run"]["progress"];
        assert_eq!(restore["state"], "failed", "{ended}");
        let reason = restore["failure_reason"].as_str().expect("reason");
        assert!(
            reason.contains("deadline") && reason.contains("no node is Ready"),
            "{reason}"
        );
        assert_eq!(restore["steps"][0]["state"], "failed");
        assert_eq!(restore["steps"][1]["state"], "pending");
        let finished: chrono::DateTime<chrono::Utc> =
            restore["finished_at"].as_str().unwrap().parse().unwrap();
        assert!(
            finished <= deadline + chrono::Duration::seconds(20),
            "{finished} vs {deadline}"
        );
        let (_, cluster) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(cluster["status"], "ready", "the cluster is settled again");
        // Diagnostics say the nodes still fail, and that this restore failed and why.
        let diagnostics = app
            .state
            .restores()
            .diagnose(
                &app.caller(&token).await,
                "fr-par",
                &ClusterId::from(id.clone()),
            )
            .await
            .expect("diagnostics");
        let findings: Vec<(String, String)> = diagnostics
            .checks
            .iter()
            .filter(|c| c.finding == wheelhouse::services::restore::Finding::Fails)
            .map(|c| (c.id.clone(), format!("{:?}", c.owner)))
            .collect();
        assert!(
            findings.contains(&("nodes".into(), "Unknown".into())),
            "{findings:?}"
        );
        assert!(
            findings.contains(&("last_restore".into(), "Unknown".into())),
            "{findings:?}"
        );
        // It can be undone like any restore.
        assert!(ended["undo_available_until"].is_string(), "{ended}");
    }
);

#[tokio::test]
async fn a_remote_scaleway_provider_answers_restore_with_412_and_why() {
    use wheelhouse::backend::ProvisioningBackend;
    let remote =
        wheelhouse::backend::scaleway_remote::ScalewayRemote::new("http://127.0.0.1:9", "secret")
            .expect("client");
    let caller = operator();
    let id = ClusterId::from("any".to_string());
    let request = wheelhouse::domain::restore::RestoreRequest {
        scope: wheelhouse::domain::restore::RestoreScope::SystemApps,
        snapshot_id: None,
        undo_to: None,
    };
    let refusals = [
        remote
            .start_restore(&caller, "fr-par", &id, &request)
            .await
            .expect_err("start"),
        remote
            .preview_restore(&caller, "fr-par", &id, &request)
            .await
            .expect_err("preview"),
        remote
            .list_etcd_snapshots(&caller, "fr-par", &id)
            .await
            .map(|_| ())
            .expect_err("snapshots"),
    ];
    for refusal in refusals {
        assert!(
            matches!(
                refusal,
                wheelhouse::domain::DomainError::PreconditionFailed { .. }
            ),
            "{refusal:?}"
        );
        assert!(
            refusal
                .to_string()
                .contains("Scaleway's Kubernetes API has no restore"),
            "{refusal}"
        );
    }
}

async fn count(test_db: &crate::support::TestDatabase, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(test_db.database.pool())
        .await
        .expect("count")
}

/// SIGKILL while a restore runs: the restarted server resumes it at its recorded step and
/// finishes it once — one run, one snapshot before it, each step done once, one audit entry.
async fn killed_during_a_restore(test_db: crate::support::TestDatabase) {
    use crate::crash::{api_key, block_on, Server};
    let url = test_db.url.clone();
    let token = api_key(&url);
    let server = Server::start(&url, "40");
    let (status, cluster) = server
        .request(
            "POST",
            &format!("{R}/clusters"),
            &token,
            Some(json!({
                "name": "kept", "version": "1.35.1", "cni": "cilium",
                "feature_gates": ["HPAScaleToZero"],
                "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 1 }],
            })),
        )
        .expect("create");
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    server.wait_for(
        || {
            block_on(count(
                &test_db,
                "SELECT COUNT(*) FROM nodes WHERE cluster_id = $1 AND status = 'ready'",
                &id,
            )) == 1
                && block_on(count(
                    &test_db,
                    "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'pending'",
                    &id,
                )) == 0
        },
        "the cluster to be ready",
    );
    let (status, run) = server
        .request(
            "POST",
            &format!("{X}/clusters/{id}/restores"),
            &token,
            Some(json!({ "scope": "control_plane", "confirm_name": "kept" })),
        )
        .expect("start");
    assert_eq!(status, 200, "{run}");
    let restore_id = run["progress"]["id"].as_str().expect("restore").to_string();
    server.wait_for(
        || {
            block_on(count(
                &test_db,
                "SELECT COUNT(*) FROM operations WHERE id = $1 AND step = 'system_apps'",
                &restore_id,
            )) == 1
        },
        "the restore's first step",
    );
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status();
    drop(server);

    let server = Server::start(&url, "40");
    server.wait_for(
        || {
            block_on(count(
                &test_db,
                "SELECT COUNT(*) FROM operations WHERE id = $1 AND state = 'done'",
                &restore_id,
            )) == 1
        },
        "the restore to finish after the restart",
    );
    let (_, progress) = server
        .request(
            "GET",
            &format!("{X}/clusters/{id}/restore-progress"),
            &token,
            None,
        )
        .expect("progress");
    assert_eq!(
        progress["run"]["progress"]["state"], "succeeded",
        "{progress}"
    );
    let (_, cluster) = server
        .request("GET", &format!("{R}/clusters/{id}"), &token, None)
        .expect("cluster");
    assert_eq!(cluster["status"], "ready");
    assert_eq!(
        cluster["feature_gates"],
        json!([]),
        "the control plane was restored"
    );
    for (sql, expected, what) in [
        ("SELECT COUNT(*) FROM restore_runs WHERE cluster_id = $1", 1, "one run"),
        (
            "SELECT COUNT(*) FROM sandbox_etcd_snapshots WHERE cluster_id = $1 AND reason = 'pre_restore'",
            1,
            "one snapshot before it",
        ),
        (
            "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = 'RestoreStepDone'",
            2,
            "each step done once",
        ),
        (
            "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = 'RestoreSucceeded'",
            1,
            "finished once",
        ),
        (
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'restore.start' AND entry LIKE '%' || $1 || '%'",
            1,
            "one audit entry",
        ),
    ] {
        assert_eq!(count(&test_db, sql, &id).await, expected, "{what}");
    }
    drop(server);
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_restore_resumes_and_finishes_once_sqlite() {
    killed_during_a_restore(crate::support::TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_restore_resumes_and_finishes_once_postgres() {
    let Some(test_db) = crate::support::TestDatabase::postgres().await else {
        return;
    };
    killed_during_a_restore(test_db).await;
}

/// The owner's CLI against a real server: the snapshot list, a restore previewed, confirmed and
/// followed to its diagnostics, `diagnose` failing on what a restore cannot fix (the user's
/// workload on a removed API), and the undo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_cli_restores_diagnoses_and_undoes() {
    use crate::crash::{api_key, block_on, Server};
    let test_db = crate::support::TestDatabase::sqlite().await;
    let url = test_db.url.clone();
    let token = api_key(&url);
    let server = Server::start(&url, "3000");
    let (status, cluster) = server
        .request(
            "POST",
            &format!("{R}/clusters"),
            &token,
            Some(json!({
                "name": "shop", "version": "1.34.2", "cni": "cilium",
                "admission_plugins": ["AlwaysPullImages"],
                "pools": [{ "name": "default", "node_type": "pro2_xs", "size": 1 }],
            })),
        )
        .expect("create");
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    server.wait_for(
        || {
            block_on(count(
                &test_db,
                "SELECT COUNT(*) FROM nodes WHERE cluster_id = $1 AND status = 'ready'",
                &id,
            )) == 1
                && block_on(count(
                    &test_db,
                    "SELECT COUNT(*) FROM sandbox_etcd_snapshots WHERE cluster_id = $1",
                    &id,
                )) > 0
        },
        "the cluster and its first snapshot",
    );
    let inventory = crate::support::wheelhouse_command()
        .args([
            "admin",
            "inventory",
            "workload",
            "add",
            &id,
            "batch/v1beta1",
            "CronJob",
            "shop/cart",
        ])
        .args(["--database-url", &url])
        .output()
        .expect("inventory");
    assert!(
        inventory.status.success(),
        "{}",
        String::from_utf8_lossy(&inventory.stderr)
    );
    let base = format!("http://127.0.0.1:{}", server.port);
    let owner = |args: &[&str]| {
        let output = crate::support::wheelhouse_command()
            .args(["k8s", "cluster"])
            .args(args)
            .env("WHEELHOUSE_URL", &base)
            .env("WHEELHOUSE_SECRET_KEY", &token)
            .output()
            .expect("run wheelhouse");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, listed, _) = owner(&["restore", &id, "--list-snapshots"]);
    assert!(
        ok && listed.contains("periodic") && listed.contains("available"),
        "{listed}"
    );
    // An operator's fault: the snapshot is lost; a restore from it is refused before it starts.
    let snapshot = listed
        .split_whitespace()
        .next()
        .expect("a snapshot id")
        .to_string();
    let fault = crate::support::wheelhouse_command()
        .args(["admin", "fault", "snapshot", &id, &snapshot, "missing"])
        .args(["--database-url", &url])
        .output()
        .expect("fault");
    assert!(
        fault.status.success(),
        "{}",
        String::from_utf8_lossy(&fault.stderr)
    );
    let (ok, _, refused) = owner(&[
        "restore",
        &id,
        "--scope",
        "etcd",
        "--snapshot",
        &snapshot,
        "--confirm",
        "shop",
    ]);
    assert!(
        !ok && refused.contains("412") && refused.contains("missing"),
        "{refused}"
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM restore_runs WHERE cluster_id = $1",
            &id
        )
        .await,
        0,
        "nothing started"
    );

    // A wrong name starts nothing.
    let (ok, _, refused) = owner(&[
        "restore",
        &id,
        "--scope",
        "control_plane",
        "--confirm",
        "nope",
    ]);
    assert!(!ok && refused.contains("400"), "{refused}");
    let (ok, out, err) = owner(&[
        "restore",
        &id,
        "--scope",
        "control_plane",
        "--confirm",
        "shop",
        "--wait",
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("admission_plugins admission_plugins: [\"AlwaysPullImages\"] -> []"),
        "{out}"
    );
    assert!(
        out.contains("Not touched:") && out.contains("workload shop/cart (batch/v1beta1 CronJob)"),
        "{out}"
    );
    assert!(out.contains("The restore finished."), "{out}");
    assert!(out.contains("[fails] APIs your workloads use"), "{out}");

    let (ok, out, err) = owner(&["diagnose", &id]);
    assert!(!ok, "a failing check fails the command: {out}");
    assert!(
        out.contains("a restore cannot fix this: your workload shop/cart uses batch/v1beta1 CronJob, removed in 1.25")
            && out.contains("(owner: user)"),
        "{out}"
    );
    assert!(err.contains("1 check(s) still fail"), "{err}");

    let (ok, out, err) = owner(&["restore", &id, "--undo", "--confirm", "shop", "--wait"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Undo of shop") && out.contains("[] -> [\"AlwaysPullImages\"]"),
        "{out}"
    );
    let (_, cluster) = server
        .request("GET", &format!("{R}/clusters/{id}"), &token, None)
        .expect("cluster");
    assert_eq!(
        cluster["admission_plugins"],
        json!(["AlwaysPullImages"]),
        "undone"
    );
    drop(server);
    test_db.cleanup().await;
}
