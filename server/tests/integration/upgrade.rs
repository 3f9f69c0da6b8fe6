//! Upgrades with confidence: one pre-flight verdict with evidence, a plan that the sandbox
//! executes as shown (control plane, then each pool in order, in waves), refusals with 412 and
//! the reasons on every interface, and an owner's recorded override.

use serde_json::{json, Value};
use wheelhouse::clock::Clock;
use wheelhouse::domain::ids::ClusterId;
use wheelhouse::services::upgrade::{Starter, UpgradeRequest};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::TestApp;

pub(crate) const R: &str = "/k8s/v1/regions/fr-par";
pub(crate) const X: &str = "/api/v1/regions/fr-par";

/// A ready cluster on 1.34.2 with pool "first" (3 nodes) and pool "second" (2 nodes, made
/// later), each replacing one node at a time; returns the cluster id and the pools' ids.
pub(crate) async fn two_pool_cluster(app: &TestApp, token: &str) -> (String, String, String) {
    let (status, cluster) = app
        .api(
            "POST",
            &format!("{R}/clusters"),
            token,
            Some(json!({
                "name": "shop", "version": "1.34.2", "cni": "cilium",
                "pools": [{ "name": "first", "node_type": "pro2_xs", "size": 3 }],
            })),
        )
        .await;
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    app.run_until_idle().await;
    let (status, second) = app
        .api(
            "POST",
            &format!("{R}/clusters/{id}/pools"),
            token,
            Some(json!({ "name": "second", "node_type": "pro2_xs", "size": 2 })),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    app.run_until_idle().await;
    let (_, pools) = app
        .api("GET", &format!("{R}/clusters/{id}/pools"), token, None)
        .await;
    let pool_id = |name: &str| {
        pools["pools"]
            .as_array()
            .expect("pools")
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["id"].as_str())
            .expect("pool")
            .to_string()
    };
    let (first, second) = (pool_id("first"), pool_id("second"));
    (id, first, second)
}

/// The pre-flight of upgrading cluster `id` to `version`, through the extension API.
async fn preflight(app: &TestApp, token: &str, id: &str, version: &str) -> (u16, Value) {
    app.api(
        "GET",
        &format!("{X}/clusters/{id}/upgrade-preflight?version={version}"),
        token,
        None,
    )
    .await
}

/// Where cluster `id`'s latest upgrade stands, through the extension API.
pub(crate) async fn upgrade_progress(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    app.api(
        "GET",
        &format!("{X}/clusters/{id}/upgrade-progress"),
        token,
        None,
    )
    .await
}

/// Starts an upgrade of cluster `id` through the extension API.
pub(crate) async fn start_upgrade(
    app: &TestApp,
    token: &str,
    id: &str,
    body: Value,
) -> (u16, Value) {
    app.api(
        "POST",
        &format!("{X}/clusters/{id}/upgrades"),
        token,
        Some(body),
    )
    .await
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

on_both_databases!(
    a_new_cluster_is_go_and_the_plan_is_what_runs,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;

        // The extension API's OpenAPI document, generated from the handlers, is public.
        let (response, document) = app.get("/api/openapi.json").await;
        assert_eq!(response.status(), 200);
        let document: Value = serde_json::from_str(&document).expect("json");
        for path in [
            "upgrade-preflight",
            "upgrade-plan",
            "upgrades",
            "upgrade-progress",
        ] {
            let key = format!("/api/v1/regions/{{region}}/clusters/{{cluster_id}}/{path}");
            assert!(document["paths"][&key].is_object(), "{path} in {document}");
        }
        assert!(document["components"]["securitySchemes"]["X-Auth-Token"].is_object());
        assert!(
            document["components"]["schemas"]["PreflightReport"]["properties"]["verdict"]
                .is_object()
        );

        // Nothing started yet: no run, nothing finished.
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["run"], Value::Null);
        assert_eq!(progress["finished"], false);
        assert_eq!(progress["active"], false);

        let (status, report) = preflight(&app, &token, &id, "1.35.1").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["verdict"], "go", "{report}");
        assert_eq!(report["from_version"], "1.34.2");
        for id in [
            "target",
            "skew",
            "removed_apis",
            "drain",
            "quota",
            "health",
            "user_managed",
        ] {
            assert_eq!(check(&report, id)["status"], "pass", "{id}: {report}");
        }

        let (status, plan) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/upgrade-plan?version=1.35.1"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{plan}");
        let steps = plan["steps"].as_array().expect("steps");
        let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["Control plane", "first", "second"], "{plan}");
        // One node per wave (Scaleway's default policy: surge 0, unavailable 1).
        assert_eq!(steps[1]["waves"].as_array().unwrap().len(), 3);
        assert_eq!(steps[2]["waves"].as_array().unwrap().len(), 2);
        let total: i64 = steps
            .iter()
            .map(|s| s["estimated_seconds"].as_i64().unwrap())
            .sum();
        assert_eq!(plan["estimated_seconds"].as_i64(), Some(total));
        assert!(total > 0);
        let changelog: Vec<&str> = plan["changelog"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["version"].as_str().unwrap())
            .collect();
        assert_eq!(
            changelog,
            vec!["1.34.5", "1.35.1"],
            "every version in between"
        );

        // Started through Scaleway's own endpoint: the same pre-flight lets it through.
        let (status, started) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.35.1", "upgrade_pools": true })),
            )
            .await;
        assert_eq!(status, 200, "{started}");
        // The pools roll one after the other, in the plan's order: never both at once, and
        // the second only after the first is done.
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let pool_status = |pools: &Value, pool: &str| {
            pools["pools"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == pool)
                .map(|p| p["status"].as_str().unwrap().to_string())
                .unwrap()
        };
        app.run_until_idle_observing(chrono::Duration::seconds(5), || {
            let seen = seen.clone();
            let app = &app;
            let token = token.clone();
            let (id, first, second) = (id.clone(), first.clone(), second.clone());
            async move {
                let (_, pools) = app
                    .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
                    .await;
                let (a, b) = (pool_status(&pools, &first), pool_status(&pools, &second));
                assert!(
                    !(a == "upgrading" && b == "upgrading"),
                    "both pools upgrade at once"
                );
                let mut seen = seen.lock().unwrap();
                for (name, status) in [("first", a), ("second", b)] {
                    if status == "upgrading" && seen.last().map(String::as_str) != Some(name) {
                        seen.push(name.to_string());
                    }
                }
            }
        })
        .await;
        assert_eq!(*seen.lock().unwrap(), vec!["first", "second"]);

        let (status, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(status, 200, "{progress}");
        assert_eq!(progress["finished"], true, "{progress}");
        assert_eq!(progress["run"]["state"], "finished");
        assert_eq!(progress["control_plane_version"], "1.35.1");
        assert_eq!(progress["run"]["verdict"], "go");
        assert_eq!(progress["run"]["from_version"], "1.34.2");
        for pool in progress["pools"].as_array().unwrap() {
            assert_eq!(pool["stage"], "done", "{pool}");
            assert_eq!(pool["nodes_on_target"], pool["nodes_total"], "{pool}");
        }
    }
);

on_both_databases!(
    a_removed_api_in_use_is_no_go_with_the_workloads_named_until_fixed,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        app.provisioning
            .record_workload(
                &crate::support::operator(),
                &cluster,
                "resource.k8s.io/v1beta1",
                "DeviceClass",
                "ml",
                "gpu-class",
            )
            .await
            .expect("record");
        // An API the target still serves is no concern.
        app.provisioning
            .record_workload(
                &crate::support::operator(),
                &cluster,
                "apps/v1",
                "Deployment",
                "ml",
                "trainer",
            )
            .await
            .expect("record");

        let (_, report) = preflight(&app, &token, &id, "1.35.1").await;
        assert_eq!(report["verdict"], "no_go", "{report}");
        let removed = check(&report, "removed_apis");
        assert_eq!(removed["status"], "fail");
        let evidence = removed["evidence"].to_string();
        assert!(
            evidence.contains("ml/gpu-class") && evidence.contains("DeviceClass"),
            "{evidence}"
        );
        assert!(!evidence.contains("trainer"), "{evidence}");
        assert!(removed["recommendation"].as_str().is_some());
        // A patch upgrade removes nothing: GO.
        let (_, patch) = preflight(&app, &token, &id, "1.34.5").await;
        assert_eq!(patch["verdict"], "go", "{patch}");

        // Scaleway's endpoint refuses with 412 and the reason; nothing starts.
        let (status, refused) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.35.1", "upgrade_pools": true })),
            )
            .await;
        assert_eq!(status, 412, "{refused}");
        assert_eq!(refused["type"], "precondition_failed");
        assert!(
            refused["help_message"]
                .as_str()
                .unwrap()
                .contains("APIs the target removes"),
            "{refused}"
        );
        let (_, after) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(after["status"], "ready");
        assert_eq!(after["version"], "1.34.2");

        // The user moves the workload: GO, and the upgrade goes through.
        app.provisioning
            .forget_workload(
                &crate::support::operator(),
                &cluster,
                "resource.k8s.io/v1beta1",
                "DeviceClass",
                "ml",
                "gpu-class",
            )
            .await
            .expect("forget");
        let (_, report) = preflight(&app, &token, &id, "1.35.1").await;
        assert_eq!(report["verdict"], "go", "{report}");
        let (status, started) =
            start_upgrade(&app, &token, &id, json!({ "version": "1.35.1" })).await;
        assert_eq!(status, 200, "{started}");
        assert_eq!(started["upgrade"]["override_reason"], Value::Null);
        assert_eq!(started["cluster"]["status"], "updating");
    }
);

on_both_databases!(
    a_blocking_pdb_is_named_per_wave_and_only_an_owner_may_override_with_a_reason,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (id, first, _) = two_pool_cluster(&app, &token).await;
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        // Allows one disruption: one node at a time is fine...
        app.provisioning
            .record_pdb(
                &crate::support::operator(),
                &cluster,
                "shop",
                "web",
                1,
                Some(&first),
            )
            .await
            .expect("pdb");
        let (_, report) = preflight(&app, &token, &id, "1.35.1").await;
        assert_eq!(check(&report, "drain")["status"], "pass", "{report}");
        // ...two at once (max_surge 1 + max_unavailable 1) is not.
        let (status, _) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{first}"),
                &token,
                Some(json!({ "upgrade_policy": { "max_surge": 1, "max_unavailable": 1 } })),
            )
            .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        app.provisioning
            .record_pdb(
                &crate::support::operator(),
                &cluster,
                "db",
                "postgres",
                0,
                None,
            )
            .await
            .expect("pdb");
        let (_, report) = preflight(&app, &token, &id, "1.35.1").await;
        assert_eq!(report["verdict"], "no_go", "{report}");
        let drain = check(&report, "drain");
        assert_eq!(drain["status"], "fail");
        // db/postgres blocks both pools: still one PDB.
        assert!(
            drain["summary"]
                .as_str()
                .unwrap()
                .starts_with("2 PodDisruptionBudget(s)"),
            "{drain}"
        );
        let evidence = drain["evidence"].to_string();
        assert!(
            evidence.contains("PDB shop/web allows 1") && evidence.contains("pool first wave 1"),
            "{evidence}"
        );
        assert!(
            evidence.contains("PDB db/postgres allows 0") && evidence.contains("pool second"),
            "{evidence}"
        );

        // No reason: refused. A console editor may not override.
        let (status, refused) =
            start_upgrade(&app, &token, &id, json!({ "version": "1.35.1" })).await;
        assert_eq!(status, 412, "{refused}");
        assert!(refused["help_message"]
            .as_str()
            .unwrap()
            .contains("Drain simulation"));
        let editor = Starter {
            name: "editor@example.com".into(),
            may_override: false,
        };
        let denied = app
            .state
            .upgrades()
            .start(
                &caller,
                "fr-par",
                &ClusterId::from(id.clone()),
                UpgradeRequest {
                    target: "1.35.1",
                    with_pools: true,
                    override_reason: Some("trust me"),
                    soak_days: 0,
                },
                &editor,
            )
            .await;
        assert!(
            matches!(
                denied,
                Err(wheelhouse::domain::DomainError::PermissionDenied(_))
            ),
            "{denied:?}"
        );
        let (_, after) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(after["status"], "ready", "nothing started");

        // An owner's written reason lets it through, and is recorded with what it overrode.
        let (status, started) = start_upgrade(&app, &token, &id, json!({ "version": "1.35.1", "override_reason": "  maintenance agreed with the db team  " })).await;
        assert_eq!(status, 200, "{started}");
        assert_eq!(started["upgrade"]["verdict"], "no_go");
        assert_eq!(
            started["upgrade"]["override_reason"],
            "maintenance agreed with the db team"
        );
        assert!(started["upgrade"]["blocking"][0]
            .as_str()
            .unwrap()
            .starts_with("Drain simulation"));
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(
            progress["run"]["override_reason"],
            "maintenance agreed with the db team"
        );
        assert_eq!(progress["finished"], false);
    }
);

on_both_databases!(
    invalid_targets_and_busy_clusters_keep_the_providers_answers,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        for (version, expected) in [
            ("1.36.0", "skips a minor"),
            ("1.33.7", "older"),
            ("1.34.2", "already runs"),
            ("9.9.9", "does not offer"),
        ] {
            let (_, report) = app
                .api(
                    "GET",
                    &format!("{X}/clusters/{id}/upgrade-preflight?version={version}"),
                    &token,
                    None,
                )
                .await;
            assert_eq!(report["verdict"], "no_go", "{report}");
            // An impossible target: only why, no plan.
            assert_eq!(report["checks"].as_array().unwrap().len(), 1, "{report}");
            let (_, plan) = app
                .api(
                    "GET",
                    &format!("{X}/clusters/{id}/upgrade-plan?version={version}"),
                    &token,
                    None,
                )
                .await;
            assert_eq!(plan["steps"], json!([]), "{plan}");
            let target = check(&report, "target");
            assert!(
                target["summary"].as_str().unwrap().contains(expected),
                "{version}: {target}"
            );
            let (status, refused) = app
                .api(
                    "POST",
                    &format!("{R}/clusters/{id}/upgrade"),
                    &token,
                    Some(json!({ "version": version })),
                )
                .await;
            assert_eq!(status, 400, "{version}: {refused}");
            // Not even an override starts an invalid target.
            let (status, _) = start_upgrade(
                &app,
                &token,
                &id,
                json!({ "version": version, "override_reason": "please" }),
            )
            .await;
            assert_eq!(status, 400, "{version}");
        }
        let (status, missing) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/upgrade-preflight"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 400, "{missing}");
        let (status, unknown) = start_upgrade(
            &app,
            &token,
            &id,
            json!({ "version": "1.35.1", "force": true }),
        )
        .await;
        assert_eq!(status, 400, "unknown fields are refused: {unknown}");
        let (status, too_long) = start_upgrade(
            &app,
            &token,
            &id,
            json!({ "version": "1.35.1", "override_reason": "x".repeat(1001) }),
        )
        .await;
        assert_eq!(status, 400, "{too_long}");

        // Busy: 409, as the provider says it.
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 200);
        let (status, busy) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 409, "{busy}");
    }
);

on_both_databases!(
    the_node_quota_refuses_growth_and_surge_beyond_it,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (id, first, _) = two_pool_cluster(&app, &token).await;
        sqlx::query("UPDATE projects SET node_quota = 5 WHERE id = $1")
            .bind(&caller.project_id)
            .execute(app.state.database.pool())
            .await
            .expect("quota");
        // 5 nodes held: no more.
        let (status, refused) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/pools"),
                &token,
                Some(json!({ "name": "third", "node_type": "pro2_xs", "size": 1 })),
            )
            .await;
        assert_eq!(status, 403, "{refused}");
        assert!(refused.to_string().contains("node quota is 5"), "{refused}");
        let (status, refused) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{first}"),
                &token,
                Some(json!({ "size": 4 })),
            )
            .await;
        assert_eq!(status, 403, "{refused}");
        // Shrinking is always allowed.
        let (status, _) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{first}"),
                &token,
                Some(json!({ "size": 2 })),
            )
            .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        // 4 held; a surge of 2 needs 6.
        let (status, _) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{first}"),
                &token,
                Some(json!({ "upgrade_policy": { "max_surge": 2, "max_unavailable": 0 } })),
            )
            .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let (_, report) = preflight(&app, &token, &id, "1.35.1").await;
        let quota = check(&report, "quota");
        assert_eq!(quota["status"], "fail", "{report}");
        assert!(
            quota["evidence"][0]
                .as_str()
                .unwrap()
                .contains("runs 4 node(s)"),
            "{quota}"
        );
        // A quota is not the owner's to override.
        let (status, _) = start_upgrade(
            &app,
            &token,
            &id,
            json!({ "version": "1.35.1", "override_reason": "need it" }),
        )
        .await;
        assert_eq!(status, 412);
    }
);

on_both_databases!(
    the_console_wizard_shows_the_verdict_and_starts_with_the_typed_name,
    |database: Database| async move {
        use crate::authorization::{console, session};
        use wheelhouse::services::identity::Role;

        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        let owner = session(&app, "olga@example.com", "shop", Role::Owner).await;
        let editor = session(&app, "ed@example.com", "shop", Role::Editor).await;
        let wizard = format!("/clusters/fr-par/{id}/upgrade");

        // Step 1: the versions this cluster may move to, newest first.
        let (status, html) = console(&app, "GET", &wizard, &owner, "").await;
        assert_eq!(status, 200);
        assert!(html.contains("Run the pre-flight"), "{html}");
        let (minor, patch) = (html.find("value=\"1.35.1\""), html.find("value=\"1.34.5\""));
        assert!(
            minor.is_some() && patch.is_some() && minor < patch,
            "{html}"
        );
        assert!(
            !html.contains("value=\"1.36.0\""),
            "a skipped minor is not offered"
        );

        // A removed API in use: NO-GO with the workload named; editors cannot override.
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        app.provisioning
            .record_workload(
                &crate::support::operator(),
                &cluster,
                "resource.k8s.io/v1beta1",
                "ResourceClaim",
                "ml",
                "claim-a",
            )
            .await
            .expect("record");
        let (_, html) = console(
            &app,
            "GET",
            &format!("{wizard}?version=1.35.1"),
            &editor,
            "",
        )
        .await;
        assert!(html.contains("data-verdict=\"no_go\""), "{html}");
        assert!(html.contains("ml/claim-a"), "{html}");
        assert!(html.contains("data-testid=\"owner-only\""), "{html}");
        let location = app_location(
            &app,
            &wizard,
            &editor,
            "version=1.35.1&confirm_name=shop&override_reason=go",
        )
        .await;
        assert!(location.contains("problem=override-owner"), "{location}");

        // The owner sees the override box; a wrong name changes nothing and keeps the reason.
        let (_, html) = console(&app, "GET", &format!("{wizard}?version=1.35.1"), &owner, "").await;
        assert!(html.contains("name=\"override_reason\""), "{html}");
        let location = app_location(
            &app,
            &wizard,
            &owner,
            "version=1.35.1&confirm_name=shopp&override_reason=agreed+with+ml",
        )
        .await;
        assert!(
            location.contains("problem=typed-name")
                && location.contains("kept=")
                && !location.contains("agreed")
                && location.contains("version=1.35.1"),
            "the reason is kept on the server, not in the address: {location}"
        );
        // The page shows it back, to this session only.
        let (_, html) = console(&app, "GET", &location, &owner, "").await;
        assert!(html.contains(">agreed with ml</textarea>"), "{html}");
        let (_, html) = console(&app, "GET", &location, &editor, "").await;
        assert!(
            !html.contains("agreed with ml"),
            "another session sees nothing of it"
        );
        let location = app_location(
            &app,
            &wizard,
            &owner,
            "version=1.35.1&confirm_name=shop&override_reason=",
        )
        .await;
        assert!(location.contains("problem=no-go"), "{location}");
        let (_, after) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(after["status"], "ready", "nothing started");

        // With a reason, it starts, and the wizard turns into the progress view.
        let location = app_location(
            &app,
            &wizard,
            &owner,
            "version=1.35.1&confirm_name=shop&override_reason=agreed+with+ml",
        )
        .await;
        assert!(location.contains("notice=upgrade-started"), "{location}");
        let (_, html) = console(&app, "GET", &wizard, &owner, "").await;
        assert!(html.contains("data-testid=\"upgrade-progress\""), "{html}");
        assert!(html.contains("Upgrading from 1.34.2 to 1.35.1"), "{html}");
        assert!(
            html.contains("olga@example.com") && html.contains("agreed with ml"),
            "{html}"
        );
        app.run_until_idle().await;
        let (_, html) = console(&app, "GET", &wizard, &owner, "").await;
        assert!(html.contains("data-testid=\"last-upgrade\""), "{html}");
        assert!(html.contains("1.34.2 → 1.35.1"), "{html}");
        assert!(
            html.contains("value=\"1.36.0\""),
            "the next minor is offered now: {html}"
        );
    }
);

/// Posts a console form and returns where it sends the browser.
async fn app_location(app: &TestApp, path: &str, cookie: &str, form: &str) -> String {
    use axum::body::Body;
    use axum::http::Request;
    let (path, form) = crate::forms::as_page_posts(path, form);
    let request = Request::post(path)
        .header("host", "127.0.0.1:3000")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let response = app.send(request).await;
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

on_both_databases!(
    every_executed_rollout_stays_within_its_policy_after_every_pass,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        for (surge, unavailable) in [(0, 1), (1, 0), (1, 1), (2, 1), (0, 2), (3, 0)] {
            let (status, cluster) = app
                .api(
                    "POST",
                    &format!("{R}/clusters"),
                    &token,
                    Some(json!({
                        "name": format!("policy-{surge}-{unavailable}"), "version": "1.34.2", "cni": "cilium",
                        "pools": [{ "name": "p", "node_type": "pro2_xs", "size": 5,
                                    "upgrade_policy": { "max_surge": surge, "max_unavailable": unavailable } }],
                    })),
                )
                .await;
            assert_eq!(status, 200, "{cluster}");
            let id = cluster["id"].as_str().unwrap().to_string();
            app.run_until_idle().await;
            let (status, started) =
                start_upgrade(&app, &token, &id, json!({ "version": "1.34.5" })).await;
            assert_eq!(status, 200, "{started}");
            let worst = std::sync::Arc::new(std::sync::Mutex::new((0usize, usize::MAX)));
            app.run_until_idle_observing(chrono::Duration::seconds(5), || {
                let (app, token, id, worst) = (&app, token.clone(), id.clone(), worst.clone());
                async move {
                    let (_, nodes) = app
                        .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
                        .await;
                    let nodes = nodes["nodes"].as_array().unwrap();
                    let present = nodes.iter().filter(|n| n["status"] != "deleting").count();
                    let ready = nodes.iter().filter(|n| n["status"] == "ready").count();
                    let mut worst = worst.lock().unwrap();
                    worst.0 = worst.0.max(present);
                    worst.1 = worst.1.min(ready);
                }
            })
            .await;
            let (most, fewest_ready) = *worst.lock().unwrap();
            assert!(
                most <= 5 + surge as usize,
                "{surge}/{unavailable}: {most} nodes at once"
            );
            assert!(
                fewest_ready + unavailable as usize >= 5,
                "{surge}/{unavailable}: only {fewest_ready} ready"
            );
            let nodes = nodes_with_versions(&app, &token, &id).await;
            let versions: Vec<&str> = nodes
                .iter()
                .map(|n| n["version"].as_str().unwrap())
                .collect();
            assert_eq!(versions, vec!["1.34.5"; 5], "{surge}/{unavailable}");
        }
    }
);

/// Every node of the cluster with its version, as the upgrade progress reports them
/// (Scaleway's node object has no version).
pub(crate) async fn nodes_with_versions(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (_, progress) = upgrade_progress(app, token, id).await;
    progress["pools"]
        .as_array()
        .expect("pools")
        .iter()
        .flat_map(|pool| pool["nodes"].as_array().expect("nodes").clone())
        .collect()
}

/// Runs reconciler passes (5 s apart) until `done` says so about the cluster's nodes.
pub(crate) async fn run_until_nodes(
    app: &TestApp,
    token: &str,
    id: &str,
    done: impl Fn(&[Value]) -> bool,
) {
    let reconciler = app.reconciler();
    for _ in 0..2_000 {
        reconciler.run_pass().await.expect("pass");
        if done(&nodes_with_versions(app, token, id).await) {
            return;
        }
        app.clock.advance(chrono::Duration::seconds(5));
    }
    panic!("the cluster never reached the expected state");
}

pub(crate) fn on(nodes: &[Value], version: &str) -> usize {
    nodes
        .iter()
        .filter(|n| n["version"] == version && n["status"] == "ready")
        .count()
}

pub(crate) fn settled(nodes: &[Value]) -> bool {
    nodes.iter().all(|n| n["status"] == "ready")
}

on_both_databases!(
    pause_resume_and_abort_act_between_waves_and_leave_nothing_half_drained,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;
        let control = |action: &'static str| {
            let (app, token, id) = (&app, token.clone(), id.clone());
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
        let (status, refused) = control("pause").await;
        assert_eq!(status, 412, "nothing to pause yet: {refused}");

        let (status, _) = start_upgrade(&app, &token, &id, json!({ "version": "1.34.5" })).await;
        assert_eq!(status, 200);
        // One node of the first pool is on 1.34.5: pause.
        run_until_nodes(&app, &token, &id, |nodes| on(nodes, "1.34.5") >= 1).await;
        let (status, paused) = control("pause").await;
        assert_eq!(status, 200, "{paused}");
        assert_eq!(paused["state"], "paused");
        // The wave under way finishes; then nothing moves, however long.
        run_until_nodes(&app, &token, &id, settled).await;
        let moved = on(&nodes_with_versions(&app, &token, &id).await, "1.34.5");
        for _ in 0..50 {
            app.reconciler().run_pass().await.expect("pass");
            app.clock.advance(chrono::Duration::seconds(30));
        }
        let nodes = nodes_with_versions(&app, &token, &id).await;
        assert_eq!(on(&nodes, "1.34.5"), moved, "nothing moved while paused");
        assert_eq!(nodes.len(), 5, "no node lost or added");
        assert!(settled(&nodes), "nothing half-drained: {nodes:?}");
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["run"]["state"], "paused");
        assert_eq!(progress["pools"][0]["stage"], "paused", "{progress}");
        assert_eq!(progress["pools"][1]["stage"], "waiting", "{progress}");
        assert_eq!(progress["active"], true);

        // Resumed, it goes to the end.
        let (status, _) = control("resume").await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["finished"], true, "{progress}");
        assert_eq!(progress["active"], false);

        // The next upgrade is aborted after its first wave.
        let (status, _) = start_upgrade(&app, &token, &id, json!({ "version": "1.35.1" })).await;
        assert_eq!(status, 200);
        run_until_nodes(&app, &token, &id, |nodes| on(nodes, "1.35.1") >= 1).await;
        let (status, aborted) = control("abort").await;
        assert_eq!(status, 200, "{aborted}");
        // An abort is final: a pause (another tab, the API) cannot turn it back into a pause.
        let (status, refused) = control("pause").await;
        assert_eq!(status, 412, "{refused}");
        app.run_until_idle().await;
        let nodes = nodes_with_versions(&app, &token, &id).await;
        assert_eq!(nodes.len(), 5, "no node lost or added");
        assert!(settled(&nodes), "nothing half-drained: {nodes:?}");
        let on_new = on(&nodes, "1.35.1");
        assert!(
            (1..3).contains(&on_new),
            "stopped after the wave under way: {on_new}"
        );
        let (_, pools) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        for pool in pools["pools"].as_array().unwrap() {
            assert_eq!(pool["status"], "ready", "{pool}");
            assert_eq!(
                pool["version"], "1.34.5",
                "pools keep the version of their old nodes: {pool}"
            );
        }
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["run"]["state"], "aborted");
        assert_eq!(progress["active"], false, "{progress}");
        assert_eq!(progress["finished"], false);
        assert_eq!(progress["control_plane_version"], "1.35.1");
        let (status, _) = control("pause").await;
        assert_eq!(status, 412, "nothing rolls out any more");

        // Resume after an abort: the pools left behind move on, in order.
        let (status, _) = control("resume").await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["finished"], true, "{progress}");
        for pool_id in [&first, &second] {
            let (_, pool) = app
                .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
                .await;
            assert_eq!(pool["version"], "1.35.1");
        }
        let (status, _) = control("resume").await;
        assert_eq!(status, 412, "nothing left to resume");
    }
);

on_both_databases!(
    scaleways_pool_upgrade_runs_the_pools_preflight,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;
        // The control plane alone moves on; the pools stay behind.
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters/{id}/upgrade"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        app.provisioning
            .record_pdb(
                &crate::support::operator(),
                &cluster,
                "shop",
                "cart",
                0,
                Some(&first),
            )
            .await
            .expect("pdb");
        let (status, refused) = app
            .api(
                "POST",
                &format!("{R}/pools/{first}/upgrade"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 412, "{refused}");
        assert!(
            refused["help_message"]
                .as_str()
                .unwrap()
                .contains("PDB shop/cart allows 0"),
            "{refused}"
        );
        // The other pool has no blocking PDB: it goes.
        let (status, pool) = app
            .api(
                "POST",
                &format!("{R}/pools/{second}/upgrade"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 200, "{pool}");
        assert_eq!(pool["status"], "upgrading");
        // What the provider refuses keeps its answer: another version is 400, a busy pool 409.
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/pools/{first}/upgrade"),
                &token,
                Some(json!({ "version": "1.35.1" })),
            )
            .await;
        assert_eq!(status, 400);
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/pools/{second}/upgrade"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 409);
    }
);

on_both_databases!(
    executed_drains_respect_pdbs_and_a_zero_budget_waits_for_the_drain_timeout,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                    "name": "budgets", "version": "1.34.2", "cni": "cilium",
                    "pools": [{ "name": "p", "node_type": "pro2_xs", "size": 4,
                                "upgrade_policy": { "max_surge": 2, "max_unavailable": 1 } }],
                })),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        let id = cluster["id"].as_str().unwrap().to_string();
        app.run_until_idle().await;
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        app.provisioning
            .record_pdb(
                &crate::support::operator(),
                &cluster,
                "shop",
                "web",
                1,
                None,
            )
            .await
            .expect("pdb");
        // The plan drains three at once: NO-GO; the owner goes anyway, and the rollout still
        // never evicts more than the PDB allows.
        let (status, started) = start_upgrade(
            &app,
            &token,
            &id,
            json!({ "version": "1.34.5", "override_reason": "test the budget" }),
        )
        .await;
        assert_eq!(status, 200, "{started}");
        let most_draining = std::sync::Arc::new(std::sync::Mutex::new(0usize));
        app.run_until_idle_observing(chrono::Duration::seconds(5), || {
            let (app, token, id, most) = (&app, token.clone(), id.clone(), most_draining.clone());
            async move {
                let nodes = nodes_with_versions(app, &token, &id).await;
                let draining = nodes.iter().filter(|n| n["status"] == "deleting").count();
                let mut most = most.lock().unwrap();
                *most = (*most).max(draining);
            }
        })
        .await;
        assert_eq!(*most_draining.lock().unwrap(), 1, "one eviction at a time");
        let nodes = nodes_with_versions(&app, &token, &id).await;
        assert_eq!(on(&nodes, "1.34.5"), 4, "{nodes:?}");

        // A PDB that allows nothing: each drain waits the drain timeout, then goes, said so.
        app.provisioning
            .record_pdb(
                &crate::support::operator(),
                &cluster,
                "shop",
                "web",
                0,
                None,
            )
            .await
            .expect("pdb");
        let (status, _) = start_upgrade(
            &app,
            &token,
            &id,
            json!({ "version": "1.35.1", "override_reason": "forced drains accepted" }),
        )
        .await;
        assert_eq!(status, 200);
        let started_at = app.clock.now();
        // The progress says why the pool does not move.
        let reconciler = app.reconciler();
        let mut held = Value::Null;
        for _ in 0..200 {
            reconciler.run_pass().await.expect("pass");
            let (_, progress) = upgrade_progress(&app, &token, &id).await;
            held = progress["pools"][0]["held_by"].clone();
            if !held.is_null() {
                break;
            }
            app.clock.advance(chrono::Duration::seconds(5));
        }
        assert!(
            held.as_str()
                .is_some_and(|why| why.contains("PodDisruptionBudget shop/web allows no eviction")),
            "{held}"
        );
        app.run_until_idle().await;
        let (_, progress) = upgrade_progress(&app, &token, &id).await;
        assert_eq!(progress["pools"][0]["held_by"], Value::Null, "{progress}");
        let nodes = nodes_with_versions(&app, &token, &id).await;
        assert_eq!(on(&nodes, "1.35.1"), 4, "{nodes:?}");
        assert!(
            app.clock.now() - started_at >= chrono::Duration::minutes(10),
            "it waited"
        );
        let events = |reason: &'static str| {
            let (app, id) = (&app, id.clone());
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = $2",
                )
                .bind(&id)
                .bind(reason)
                .fetch_one(app.state.database.pool())
                .await
                .expect("events")
            }
        };
        assert!(events("DrainBlocked").await >= 1);
        assert!(events("DrainForced").await >= 1);
    }
);
