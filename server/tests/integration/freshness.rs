//! Node lifespan with a manual clock: overdue nodes are replaced only inside the cluster's
//! maintenance window, one at a time (the pool's max_surge, at least one), staggered, never
//! during an upgrade, never past a PDB that allows no eviction; bad settings change nothing.

use chrono::{Datelike, Duration};
use serde_json::{json, Value};
use wheelhouse::clock::Clock;
use wheelhouse::services::maintenance::MaintenanceWindow;
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::TestApp;
use crate::upgrade::{two_pool_cluster, R, X};

async fn freshness(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, report) = app
        .api("GET", &format!("{X}/clusters/{id}/freshness"), token, None)
        .await;
    assert_eq!(status, 200, "{report}");
    report
}

fn time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value.as_str().expect("a time").parse().expect("rfc3339")
}

/// Moves the manual clock forward to `at`.
fn move_to(app: &TestApp, at: chrono::DateTime<chrono::Utc>) {
    app.clock.advance(at - app.clock.now());
}

fn weekday_name(day: chrono::Weekday) -> &'static str {
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][day.num_days_from_monday() as usize]
}

on_both_databases!(
    overdue_nodes_are_replaced_one_at_a_time_inside_the_window_only,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;
        let lifespan = |pool: String, body: Value| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(
                    "PUT",
                    &format!("{X}/pools/{pool}/lifespan"),
                    &token,
                    Some(body),
                )
                .await
            }
        };
        // Out of range, or unknown fields: refused, nothing set.
        for body in [
            json!({ "max_node_age_days": 0 }),
            json!({ "max_node_age_days": 366 }),
            json!({ "max_node_age": 3 }),
        ] {
            let (status, refused) = lifespan(first.clone(), body).await;
            assert_eq!(status, 400, "{refused}");
        }
        let report = freshness(&app, &token, &id).await;
        assert!(
            report["pools"][0]["max_node_age_days"].is_null(),
            "off by default: {report}"
        );
        assert_eq!(report["window_set"], false);
        let (status, set) = lifespan(first.clone(), json!({ "max_node_age_days": 2 })).await;
        assert_eq!(status, 200, "{set}");

        // The window opens the day after "three days from now", 00:00–02:00 UTC.
        let later = app.clock.now() + Duration::days(3);
        let window_day = weekday_name((later + Duration::days(1)).weekday());
        let (status, refused) = app
            .api(
                "PUT",
                &format!("{X}/clusters/{id}/maintenance-window"),
                &token,
                Some(json!({ "days": [window_day], "start_hour": 0, "duration_hours": 1 })),
            )
            .await;
        assert_eq!(status, 400, "at least two hours: {refused}");
        assert!(refused.to_string().contains("duration_hours"), "{refused}");
        assert_eq!(
            freshness(&app, &token, &id).await["window_set"],
            false,
            "nothing changed"
        );
        let (status, window) = app
            .api(
                "PUT",
                &format!("{X}/clusters/{id}/maintenance-window"),
                &token,
                Some(json!({ "days": [window_day], "start_hour": 0, "duration_hours": 2 })),
            )
            .await;
        assert_eq!(status, 200, "{window}");
        let window: MaintenanceWindow = serde_json::from_value(window).expect("window");

        // Expiries: within the last fifth of the lifespan, and not all the same (staggered).
        let report = freshness(&app, &token, &id).await;
        let expiries: Vec<_> = report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["pool_id"] == first.as_str())
            .map(|n| time(&n["expires_at"]))
            .collect();
        assert_eq!(expiries.len(), 3);
        let now = app.clock.now();
        for expiry in &expiries {
            assert!(
                *expiry <= now + Duration::days(2)
                    && *expiry >= now + Duration::days(2) - Duration::hours(10),
                "{expiry}"
            );
        }
        assert!(
            expiries.iter().any(|e| *e != expiries[0]),
            "staggered: {expiries:?}"
        );
        assert!(
            report["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["pool_id"] == second.as_str())
                .all(|n| n["expires_at"].is_null()),
            "no lifespan, no expiry"
        );
        // The preview: each node of the first pool, in the window after it expires.
        let planned = report["planned"].as_array().unwrap();
        assert_eq!(planned.len(), 3, "{report}");
        for entry in planned {
            assert!(window.is_open(time(&entry["replaced_from"])), "{entry}");
            assert!(time(&entry["replaced_from"]) >= time(&entry["expires_at"]));
        }

        // Overdue, but the window is closed: nothing is replaced, and each node says why.
        move_to(&app, later);
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);
        let report = freshness(&app, &token, &id).await;
        let waiting: Vec<&Value> = report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["pool_id"] == first.as_str())
            .collect();
        for node in &waiting {
            assert!(
                node["waiting"]
                    .as_str()
                    .unwrap_or("")
                    .contains("outside the maintenance window"),
                "{node}"
            );
        }

        // The window opens: one node at a time (max_surge 0 counts as one), surge first.
        move_to(&app, time(&report["window_next_open"]));
        let original: Vec<String> = report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["pool_id"] == first.as_str())
            .map(|n| n["node_id"].as_str().unwrap().to_string())
            .collect();
        let reconciler = app.reconciler();
        let mut started = 0;
        for _ in 0..2_000 {
            started += app.state.freshness().pass().await.expect("pass");
            reconciler.run_pass().await.expect("pass");
            let (_, nodes) = app
                .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
                .await;
            let nodes = nodes["nodes"].as_array().unwrap();
            let of_first: Vec<&Value> = nodes
                .iter()
                .filter(|n| n["pool_id"] == first.as_str())
                .collect();
            let ready = of_first.iter().filter(|n| n["status"] == "ready").count();
            assert!(
                ready >= 3,
                "surge first: capacity never drops: {of_first:?}"
            );
            assert!(
                of_first.len() <= 4,
                "one replacement at a time: {of_first:?}"
            );
            if !of_first
                .iter()
                .any(|n| original.contains(&n["id"].as_str().unwrap().to_string()))
            {
                break;
            }
            app.clock.advance(Duration::seconds(5));
        }
        assert_eq!(started, 3, "each overdue node replaced once");
        let report = freshness(&app, &token, &id).await;
        let replaced = report["replaced"].as_array().unwrap();
        assert_eq!(replaced.len(), 3, "{report}");
        for entry in replaced {
            assert!(
                window.is_open(time(&entry["replaced_at"])),
                "inside the window: {entry}"
            );
        }
        // The new nodes are fresh; the second pool was left alone.
        let now = app.clock.now();
        for node in report["nodes"].as_array().unwrap() {
            if node["pool_id"] == first.as_str() {
                assert!(time(&node["expires_at"]) > now, "{node}");
            }
        }
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);

        // The timeline of the next 30 days, as JSON and as an iCalendar file.
        let (status, timeline) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/maintenance-timeline"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{timeline}");
        let kinds: Vec<&str> = timeline
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"window") && kinds.contains(&"replacement"),
            "{timeline}"
        );
        let request = axum::http::Request::builder()
            .uri(format!("{X}/clusters/{id}/maintenance-timeline?format=ics"))
            .header("x-auth-token", &token)
            .header("host", "127.0.0.1:3000")
            .body(axum::body::Body::empty())
            .unwrap();
        let (response, ics) = crate::support::read(app.send(request).await).await;
        assert_eq!(response.status(), 200);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(ics.contains("SUMMARY:shop: Maintenance window"), "{ics}");
    }
);

on_both_databases!(
    no_replacement_during_an_upgrade_or_past_a_pdb,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (id, first, _) = two_pool_cluster(&app, &token).await;
        let (status, _) = app
            .api(
                "PUT",
                &format!("{X}/pools/{first}/lifespan"),
                &token,
                Some(json!({ "max_node_age_days": 1 })),
            )
            .await;
        assert_eq!(status, 200);
        // The default window: every day from midnight, four hours.
        let report = freshness(&app, &token, &id).await;
        assert_eq!(report["window"]["duration_hours"], 4);
        app.clock.advance(Duration::days(2));
        let next = time(&freshness(&app, &token, &id).await["window_next_open"]);
        move_to(&app, next);

        // A PDB allowing no eviction holds every replacement of its pool, named.
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
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);
        let report = freshness(&app, &token, &id).await;
        let held = report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["pool_id"] == first.as_str())
            .unwrap();
        assert!(
            held["waiting"]
                .as_str()
                .unwrap()
                .contains("PodDisruptionBudget shop/cart"),
            "{held}"
        );
        app.provisioning
            .delete_pdb(&crate::support::operator(), &cluster, "shop", "cart")
            .await
            .expect("pdb");

        // An upgrade under way: nothing is replaced for lifespan.
        let (status, _) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/upgrades"),
                &token,
                Some(json!({ "version": "1.34.5" })),
            )
            .await;
        assert_eq!(status, 200);
        let reconciler = app.reconciler();
        for _ in 0..200 {
            let (_, cluster) = app
                .api("GET", &format!("{R}/clusters/{id}"), &token, None)
                .await;
            let (_, pools) = app
                .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
                .await;
            let settled = cluster["status"] == "ready"
                && pools["pools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p["status"] == "ready");
            if settled {
                break;
            }
            assert_eq!(
                app.state.freshness().pass().await.expect("pass"),
                0,
                "not during an upgrade"
            );
            reconciler.run_pass().await.expect("pass");
            app.clock.advance(Duration::seconds(5));
        }
        assert!(freshness(&app, &token, &id).await["replaced"]
            .as_array()
            .unwrap()
            .is_empty());
    }
);

on_both_databases!(
    exclusions_hold_replacements_and_upgrades_by_scope,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, _) = two_pool_cluster(&app, &token).await;
        let now = app.clock.now();
        let at = |days: i64| (now + Duration::days(days)).to_rfc3339();
        let add = |body: Value| {
            let (app, token, id) = (&app, token.clone(), id.clone());
            async move {
                app.api(
                    "POST",
                    &format!("{X}/clusters/{id}/maintenance-exclusions"),
                    &token,
                    Some(body),
                )
                .await
            }
        };
        // Bad ranges and scopes are refused, and nothing is added.
        for (body, field) in [
            (
                json!({ "starts_at": at(2), "ends_at": at(1), "scope": "no_upgrades" }),
                "ends_at",
            ),
            (
                json!({ "starts_at": at(0), "ends_at": at(91), "scope": "no_upgrades" }),
                "ends_at",
            ),
            (
                json!({ "starts_at": at(-3), "ends_at": at(-1), "scope": "no_upgrades" }),
                "ends_at",
            ),
            (
                json!({ "starts_at": at(0), "ends_at": at(1), "scope": "no_fun" }),
                "scope",
            ),
        ] {
            let (status, refused) = add(body).await;
            assert_eq!(status, 400, "{refused}");
            assert!(refused.to_string().contains(field), "{field}: {refused}");
        }
        assert!(freshness(&app, &token, &id).await["exclusions"]
            .as_array()
            .unwrap()
            .is_empty());

        // No minor upgrades for a week: the minor's pre-flight says NO-GO and names it; a
        // patch passes that check.
        let (status, freeze) = add(json!({
            "starts_at": at(0), "ends_at": at(7), "scope": "no_minor_upgrades", "reason": "black friday",
        }))
        .await;
        assert_eq!(status, 200, "{freeze}");
        let preflight = |version: &'static str| {
            let (app, token, id) = (&app, token.clone(), id.clone());
            async move {
                app.api(
                    "GET",
                    &format!("{X}/clusters/{id}/upgrade-preflight?version={version}"),
                    &token,
                    None,
                )
                .await
                .1
            }
        };
        let exclusion_check = |report: &Value| {
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == "exclusions")
                .cloned()
                .expect("exclusions check")
        };
        let minor = preflight("1.35.1").await;
        assert_eq!(minor["verdict"], "no_go", "{minor}");
        assert_eq!(exclusion_check(&minor)["status"], "fail");
        assert!(exclusion_check(&minor).to_string().contains("black friday"));
        assert_eq!(
            exclusion_check(&preflight("1.34.5").await)["status"],
            "pass"
        );
        let (status, refused) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/upgrades"),
                &token,
                Some(json!({ "version": "1.35.1" })),
            )
            .await;
        assert_eq!(status, 412, "{refused}");

        // No node replacement: overdue nodes wait, and the preview moves past the exclusion.
        let (status, _) = app
            .api(
                "PUT",
                &format!("{X}/pools/{first}/lifespan"),
                &token,
                Some(json!({ "max_node_age_days": 1 })),
            )
            .await;
        assert_eq!(status, 200);
        let (status, hold) = add(json!({
            "starts_at": at(0), "ends_at": at(5), "scope": "no_node_replacement",
        }))
        .await;
        assert_eq!(status, 200, "{hold}");
        let report = freshness(&app, &token, &id).await;
        for entry in report["planned"].as_array().unwrap() {
            assert!(
                time(&entry["replaced_from"]) >= now + Duration::days(5),
                "{entry}"
            );
        }
        move_to(&app, time(&report["window_next_open"]) + Duration::days(2));
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);
        let report = freshness(&app, &token, &id).await;
        let waiting = report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["pool_id"] == first.as_str())
            .unwrap();
        assert!(
            waiting["waiting"]
                .as_str()
                .unwrap()
                .contains("no node replacement"),
            "{waiting}"
        );

        // Removed: the pre-flight of the minor no longer names an exclusion; unknown ids 404.
        for exclusion in [&freeze, &hold] {
            let (status, _) = app
                .api(
                    "DELETE",
                    &format!(
                        "{X}/clusters/{id}/maintenance-exclusions/{}",
                        exclusion["id"].as_str().unwrap()
                    ),
                    &token,
                    None,
                )
                .await;
            assert_eq!(status, 200);
        }
        assert_eq!(
            exclusion_check(&preflight("1.35.1").await)["status"],
            "pass"
        );
        let (status, _) = app
            .api(
                "DELETE",
                &format!("{X}/clusters/{id}/maintenance-exclusions/nope"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 404);
        assert!(
            app.state.freshness().pass().await.expect("pass") >= 1,
            "the hold is gone"
        );
    }
);

on_both_databases!(
    patch_auto_upgrade_runs_in_the_window_after_its_preflight_and_not_in_an_exclusion,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let caller = app.caller(&token).await;
        let (id, first, _) = two_pool_cluster(&app, &token).await;
        // Scaleway's own field turns it on; its window (a day and an hour) is the one used
        // while Wheelhouse has none: three hours from now, so closed now.
        let hour = (app.clock.now() + Duration::hours(3))
            .format("%H")
            .to_string();
        let (status, cluster) = app
            .api(
                "PATCH",
                &format!("{R}/clusters/{id}"),
                &token,
                Some(json!({ "auto_upgrade": { "enable": true, "maintenance_window": { "start_hour": hour.parse::<u32>().unwrap(), "day": "any" } } })),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        let report = freshness(&app, &token, &id).await;
        assert_eq!(report["auto_upgrade"]["enabled"], true);
        assert_eq!(report["auto_upgrade"]["next_patch"], "1.34.5");
        assert!(
            report["auto_upgrade"]["waiting"]
                .as_str()
                .unwrap()
                .contains("outside the maintenance window"),
            "{report}"
        );
        assert_eq!(report["window"]["start_hour"], hour.parse::<u32>().unwrap());
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);

        // In the window, a PDB that allows nothing makes the pre-flight NO-GO: not started,
        // and nothing is overridden in Wheelhouse's name.
        move_to(&app, time(&report["window_next_open"]));
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
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);
        let waiting = freshness(&app, &token, &id).await["auto_upgrade"]["waiting"].clone();
        assert!(waiting.as_str().unwrap().contains("NO-GO"), "{waiting}");
        app.provisioning
            .delete_pdb(&crate::support::operator(), &cluster, "shop", "cart")
            .await
            .expect("pdb");

        // An exclusion of upgrades holds it.
        let (status, hold) = app
            .api(
                "POST",
                &format!("{X}/clusters/{id}/maintenance-exclusions"),
                &token,
                Some(json!({
                    "starts_at": app.clock.now().to_rfc3339(),
                    "ends_at": (app.clock.now() + Duration::minutes(30)).to_rfc3339(),
                    "scope": "no_upgrades",
                })),
            )
            .await;
        assert_eq!(status, 200, "{hold}");
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);
        // Once it ends (still in the window), the patch starts, recorded in Wheelhouse's name.
        app.clock.advance(Duration::minutes(31));
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 1);
        let (_, progress) = app
            .api(
                "GET",
                &format!("{X}/clusters/{id}/upgrade-progress"),
                &token,
                None,
            )
            .await;
        assert_eq!(progress["run"]["to_version"], "1.34.5", "{progress}");
        assert_eq!(
            progress["run"]["started_by"],
            "wheelhouse patch auto-upgrade"
        );
        app.run_until_idle().await;
        let report = freshness(&app, &token, &id).await;
        assert!(report["auto_upgrade"]["next_patch"].is_null(), "{report}");
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);
    }
);

/// Runs reconciler passes and maintenance passes, 1 minute apart, for `minutes`.
async fn run_minutes(app: &TestApp, minutes: i64) {
    let reconciler = app.reconciler();
    for _ in 0..minutes * 12 {
        app.state.freshness().pass().await.expect("pass");
        reconciler.run_pass().await.expect("pass");
        app.clock.advance(Duration::seconds(5));
    }
}

async fn pool_nodes(app: &TestApp, token: &str, id: &str, pool: &str) -> Vec<Value> {
    let (_, nodes) = app
        .api("GET", &format!("{R}/clusters/{id}/nodes"), token, None)
        .await;
    nodes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["pool_id"] == pool)
        .cloned()
        .collect()
}

on_both_databases!(
    autohealing_reboots_at_15_minutes_replaces_at_30_and_stops_at_its_cap,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;
        let heal = |pool: String, body: Value| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(
                    "PUT",
                    &format!("{X}/pools/{pool}/autohealing"),
                    &token,
                    Some(body),
                )
                .await
            }
        };
        let (status, refused) =
            heal(first.clone(), json!({ "enabled": true, "cap_percent": 0 })).await;
        assert_eq!(status, 400, "{refused}");
        let (status, _) = heal(first.clone(), json!({ "enabled": true, "cap_percent": 50 })).await;
        assert_eq!(status, 200);
        let (status, _) = heal(second.clone(), json!({ "enabled": true })).await;
        assert_eq!(status, 200);

        // One node of three NotReady (33 %, under the cap of 50 %).
        let sick = pool_nodes(&app, &token, &id, &first).await[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        wheelhouse::backend::sandbox::reconciler::inject_fault(
            &app.provisioning,
            &crate::support::operator(),
            &sick,
            "not_ready",
        )
        .await
        .expect("fault");
        run_minutes(&app, 14).await;
        let report = freshness(&app, &token, &id).await;
        let unhealthy = report["unhealthy"].as_array().unwrap();
        assert_eq!(unhealthy.len(), 1, "{report}");
        assert!(
            unhealthy[0]["rebooted_at"].is_null(),
            "not before 15 minutes"
        );
        run_minutes(&app, 2).await;
        let report = freshness(&app, &token, &id).await;
        assert!(
            report["unhealthy"][0]["rebooted_at"].is_string(),
            "rebooted at 15: {report}"
        );
        assert!(report["unhealthy"][0]["replaced_at"].is_null());
        // The fault outlives the reboot: replaced at 30 minutes, and the pool is whole again.
        run_minutes(&app, 16).await;
        app.run_until_idle().await;
        let nodes = pool_nodes(&app, &token, &id, &first).await;
        assert_eq!(nodes.len(), 3, "{nodes:?}");
        assert!(nodes.iter().all(|n| n["status"] == "ready"), "{nodes:?}");
        assert!(
            !nodes.iter().any(|n| n["id"] == sick.as_str()),
            "the sick node is gone"
        );
        run_minutes(&app, 1).await;
        assert!(freshness(&app, &token, &id).await["unhealthy"]
            .as_array()
            .unwrap()
            .is_empty());

        // Both nodes of the second pool NotReady (100 % > 30 %): autohealing stops there,
        // says so, and replaces nothing, however long.
        let second_nodes: Vec<String> = pool_nodes(&app, &token, &id, &second)
            .await
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_string())
            .collect();
        for node in &second_nodes {
            wheelhouse::backend::sandbox::reconciler::inject_fault(
                &app.provisioning,
                &crate::support::operator(),
                node,
                "not_ready",
            )
            .await
            .expect("fault");
        }
        run_minutes(&app, 40).await;
        let report = freshness(&app, &token, &id).await;
        let stopped = report["autohealing_stopped"].as_array().unwrap();
        assert_eq!(stopped.len(), 1, "{report}");
        assert!(stopped[0]["message"]
            .as_str()
            .unwrap()
            .contains("2 of its 2 nodes"));
        let now_nodes = pool_nodes(&app, &token, &id, &second).await;
        assert_eq!(now_nodes.len(), 2);
        for node in &now_nodes {
            assert!(
                second_nodes.contains(&node["id"].as_str().unwrap().to_string()),
                "nothing replaced"
            );
            assert_eq!(
                node["status"], "not_ready",
                "nothing rebooted either: {node}"
            );
        }
    }
);

on_both_databases!(
    a_new_os_image_flags_older_nodes_and_lifespan_pools_replace_them_first,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;
        let (status, _) = app
            .api(
                "PUT",
                &format!("{X}/pools/{first}/lifespan"),
                &token,
                Some(json!({ "max_node_age_days": 30 })),
            )
            .await;
        assert_eq!(status, 200);
        let report = freshness(&app, &token, &id).await;
        assert!(report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["outdated_image"] == false));
        let mut conn = app
            .provisioning
            .database
            .pool()
            .acquire()
            .await
            .expect("conn");
        assert!(
            wheelhouse::backend::sandbox::store::inventory::publish_os_image(
                &mut conn,
                "ubuntu-noble-k8s-2026-12-07",
                "December security updates",
                app.clock.now(),
            )
            .await
            .expect("publish")
        );
        drop(conn);
        let report = freshness(&app, &token, &id).await;
        assert_eq!(report["current_os_image"], "ubuntu-noble-k8s-2026-12-07");
        assert!(report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["outdated_image"] == true));
        // Only the pool with a lifespan plans them, in the next window, as outdated.
        let planned = report["planned"].as_array().unwrap();
        assert_eq!(planned.len(), 3, "{report}");
        for entry in planned {
            assert_eq!(entry["pool_id"], first.as_str());
            assert!(
                entry["reason"]
                    .as_str()
                    .unwrap()
                    .contains("outdated OS image"),
                "{entry}"
            );
        }
        move_to(&app, time(&report["window_next_open"]));
        let reconciler = app.reconciler();
        for _ in 0..2_000 {
            app.state.freshness().pass().await.expect("pass");
            reconciler.run_pass().await.expect("pass");
            let report = freshness(&app, &token, &id).await;
            let stale_first = report["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["pool_id"] == first.as_str() && n["outdated_image"] == true)
                .count();
            if stale_first == 0 {
                break;
            }
            app.clock.advance(Duration::seconds(5));
        }
        app.run_until_idle().await;
        let report = freshness(&app, &token, &id).await;
        let nodes = report["nodes"].as_array().unwrap();
        assert_eq!(
            nodes
                .iter()
                .filter(|n| n["pool_id"] == first.as_str())
                .count(),
            3
        );
        assert!(nodes
            .iter()
            .filter(|n| n["pool_id"] == first.as_str())
            .all(|n| n["outdated_image"] == false));
        assert!(
            nodes
                .iter()
                .filter(|n| n["pool_id"] == second.as_str())
                .all(|n| n["outdated_image"] == true),
            "flagged, left alone without a lifespan"
        );
        assert_eq!(report["replaced"].as_array().unwrap().len(), 3);
    }
);

on_both_databases!(
    pools_added_in_the_console_get_the_lifespan_typed_there,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        let cookie = crate::authorization::session(
            &app,
            "olga@example.com",
            "shop",
            wheelhouse::services::identity::Role::Owner,
        )
        .await;
        let add = |form: &'static str| {
            let (app, cookie, id) = (&app, cookie.clone(), id.clone());
            async move {
                crate::authorization::console(
                    app,
                    "POST",
                    &format!("/clusters/fr-par/{id}/pools"),
                    &cookie,
                    form,
                )
                .await
                .0
            }
        };
        // A lifespan out of range: refused, no pool made.
        assert_eq!(
            add("name=third&node_type=pro2_xs&size=1&lifespan=0").await,
            303
        );
        let lifespans = |report: Value| -> Vec<(String, Value)> {
            report["pools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["pool_name"].as_str().unwrap().to_string(),
                        p["max_node_age_days"].clone(),
                    )
                })
                .collect()
        };
        assert_eq!(lifespans(freshness(&app, &token, &id).await).len(), 2);
        assert_eq!(
            add("name=third&node_type=pro2_xs&size=1&lifespan=30").await,
            303
        );
        assert_eq!(
            add("name=fourth&node_type=pro2_xs&size=1&lifespan=").await,
            303
        );
        let now = lifespans(freshness(&app, &token, &id).await);
        assert!(now.contains(&("third".to_string(), json!(30))), "{now:?}");
        assert!(
            now.contains(&("fourth".to_string(), Value::Null)),
            "{now:?}"
        );
    }
);

on_both_databases!(
    of_two_replicas_only_the_lease_holder_acts_on_a_cluster,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, first, second) = two_pool_cluster(&app, &token).await;
        let (status, _) = app
            .api(
                "PUT",
                &format!("{X}/pools/{first}/lifespan"),
                &token,
                Some(json!({ "max_node_age_days": 1 })),
            )
            .await;
        assert_eq!(status, 200);
        app.clock.advance(Duration::days(2));
        let next = time(&freshness(&app, &token, &id).await["window_next_open"]);
        move_to(&app, next);

        // The fleet read plans the overdue pool's cluster, and only it.
        let ours = app.state.freshness();
        let plan = ours.plan().await.expect("plan");
        assert_eq!(plan.clusters, 1);
        assert_eq!(plan.nodes, 5);
        assert_eq!(plan.due.len(), 1, "{plan:?}");
        assert_eq!(plan.due[0].id.as_str(), id);
        assert_eq!(plan.due[0].why, "lifespan replacement");

        // Another replica is between its read and its action on this cluster: it holds the
        // lease. This replica's pass then starts nothing, though nodes are due.
        let mut conn = app.state.database.pool().acquire().await.expect("conn");
        sqlx::query("INSERT INTO job_leases (job, subject, holder, until) VALUES ('maintenance', $1, 'replica-b', $2)")
            .bind(&id)
            .bind(wheelhouse::store::rows::millis(app.clock.now() + Duration::seconds(60)))
            .execute(&mut *conn)
            .await
            .expect("lease");
        drop(conn);
        assert_eq!(
            ours.pass().await.expect("pass"),
            0,
            "the other replica acts"
        );
        assert!(freshness(&app, &token, &id).await["replaced"]
            .as_array()
            .unwrap()
            .is_empty());

        // The other replica stops: its lease lapses and this one takes the cluster over.
        app.clock.advance(Duration::seconds(61));
        assert_eq!(
            ours.pass().await.expect("pass"),
            1,
            "one at a time per pool"
        );
        let holder: String = sqlx::query_scalar(
            "SELECT holder FROM job_leases WHERE job = 'maintenance' AND subject = $1",
        )
        .bind(&id)
        .fetch_one(app.state.database.pool())
        .await
        .expect("lease");
        assert_eq!(holder, app.state.replica);
        // While it holds the lease, the other replica's passes start nothing on the cluster,
        // even with a node of the other pool due (its lifespan set just now).
        let (status, _) = app
            .api(
                "PUT",
                &format!("{X}/pools/{second}/lifespan"),
                &token,
                Some(json!({ "max_node_age_days": 1 })),
            )
            .await;
        assert_eq!(status, 200);
        let mut other = app.state.clone();
        other.replica = "replica-b".to_string();
        let theirs = other.freshness();
        assert!(theirs
            .plan()
            .await
            .expect("plan")
            .due
            .iter()
            .any(|due| due.id.as_str() == id));
        assert_eq!(theirs.pass().await.expect("pass"), 0, "held by the first");
        assert_eq!(ours.pass().await.expect("pass"), 1, "the holder goes on");
    }
);

on_both_databases!(
    a_fleet_read_returns_what_reading_one_cluster_returns,
    |database: Database| async move {
        use wheelhouse::domain::ids::ClusterId;
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        let caller = app.caller(&token).await;
        let cluster_id = ClusterId::from(id.clone());
        let service = &app.state.service;
        let cluster = service
            .get_cluster(&caller, "fr-par", &cluster_id)
            .await
            .expect("cluster");
        let pools = service
            .list_pools(&caller, "fr-par", &cluster_id)
            .await
            .expect("pools");
        let nodes = service
            .list_nodes(&caller, "fr-par", &cluster_id)
            .await
            .expect("nodes");
        // A few projects are read project by project; many, across the region at once.
        for other_projects in [0, 30] {
            let mut owners = std::collections::HashMap::new();
            owners.insert(id.clone(), caller.clone());
            for n in 0..other_projects {
                let mut other = caller.clone();
                other.project_id = format!("project-{n}");
                owners.insert(format!("cluster-{n}"), other);
            }
            let snapshots = service.snapshot("fr-par", &owners).await.expect("fleet");
            assert_eq!(snapshots.len(), 1, "{other_projects}");
            let read = &snapshots[0];
            let c = &read.cluster;
            assert_eq!(
                (
                    &c.id,
                    &c.name,
                    c.status,
                    &c.version,
                    &c.project_id,
                    &c.region
                ),
                (
                    &cluster.id,
                    &cluster.name,
                    cluster.status,
                    &cluster.version,
                    &cluster.project_id,
                    &cluster.region
                )
            );
            assert_eq!(
                (
                    &c.cluster_type,
                    &c.cni,
                    c.auto_upgrade_enabled,
                    &c.maintenance_day,
                    c.maintenance_start_hour,
                    c.created_at,
                    &c.target_version
                ),
                (
                    &cluster.cluster_type,
                    &cluster.cni,
                    cluster.auto_upgrade_enabled,
                    &cluster.maintenance_day,
                    cluster.maintenance_start_hour,
                    cluster.created_at,
                    &cluster.target_version
                )
            );
            assert!(c.admin_token.is_empty(), "no secrets in a fleet read");
            let summary = |p: &wheelhouse::domain::model::Pool| {
                (
                    p.id.clone(),
                    p.name.clone(),
                    p.status,
                    p.version.clone(),
                    (p.size, p.min_size, p.max_size, p.autoscaling, p.autohealing),
                    (
                        p.max_surge,
                        p.max_unavailable,
                        p.node_type.clone(),
                        p.zone.clone(),
                    ),
                    p.created_at,
                )
            };
            assert_eq!(
                read.pools.iter().map(summary).collect::<Vec<_>>(),
                pools.iter().map(summary).collect::<Vec<_>>()
            );
            let summary = |n: &wheelhouse::domain::model::Node| {
                (
                    n.id.clone(),
                    n.name.clone(),
                    n.pool_id.clone(),
                    n.status,
                    n.version.clone(),
                    n.os_image.clone(),
                    n.operation_id.clone(),
                    n.created_at,
                )
            };
            assert_eq!(
                read.nodes.iter().map(summary).collect::<Vec<_>>(),
                nodes.iter().map(summary).collect::<Vec<_>>()
            );
        }
    }
);

on_both_databases!(
    a_digest_counts_what_the_fleet_read_lists,
    |database: Database| async move {
        use wheelhouse::backend::{ClusterDigest, ProvisioningBackend};
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (id, _, _) = two_pool_cluster(&app, &token).await;
        let (empty_id, _, _) = two_pool_cluster(&app, &token).await;
        let caller = app.caller(&token).await;
        // One node NotReady, and a cluster whose pools are gone: both must be counted right.
        let (_, nodes) = app
            .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
            .await;
        let sick = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        wheelhouse::backend::sandbox::reconciler::inject_fault(
            &app.provisioning,
            &crate::support::operator(),
            &sick,
            "not_ready",
        )
        .await
        .expect("fault");
        let (_, pools) = app
            .api(
                "GET",
                &format!("{R}/clusters/{empty_id}/pools"),
                &token,
                None,
            )
            .await;
        for pool in pools["pools"].as_array().expect("pools") {
            let pool_id = pool["id"].as_str().expect("pool id");
            let (status, _) = app
                .api("DELETE", &format!("{R}/pools/{pool_id}"), &token, None)
                .await;
            assert_eq!(status, 200);
        }
        app.run_until_idle().await;
        let facts = |d: &ClusterDigest| {
            (
                d.cluster.id.clone(),
                d.cluster.status,
                d.cluster.version.clone(),
                d.pools,
                d.ready_nodes,
                d.node_created.clone(),
            )
        };
        let mut owners = std::collections::HashMap::new();
        owners.insert(id.clone(), caller.clone());
        owners.insert(empty_id.clone(), caller.clone());
        let mut expected: Vec<_> = app
            .state
            .service
            .snapshot("fr-par", &owners)
            .await
            .expect("fleet")
            .into_iter()
            .map(|snapshot| facts(&ClusterDigest::of(snapshot)))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let sick_one = expected.iter().find(|d| d.0 == id).expect("digest");
        assert_eq!((sick_one.3, sick_one.4, sick_one.5.len()), (2, 4, 5));
        let bare = expected.iter().find(|d| d.0 == empty_id).expect("digest");
        assert_eq!((bare.3, bare.4, bare.5.len()), (0, 0, 0));
        // Through the service (project by project) and straight from the sandbox over the
        // whole region (many projects): the database's counts equal the listed nodes'.
        let mut served: Vec<_> = app
            .state
            .service
            .digest_of_projects(std::slice::from_ref(&caller), &["fr-par"])
            .await
            .expect("digest")
            .iter()
            .map(facts)
            .collect();
        served.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(served, expected);
        let mut callers = vec![caller.clone()];
        for n in 0..30 {
            let mut other = caller.clone();
            other.project_id = format!("project-{n}");
            callers.push(other);
        }
        let sandbox = wheelhouse::backend::sandbox::SandboxBackend::new(app.provisioning.clone());
        let mut region_wide: Vec<_> = sandbox
            .digest("fr-par", &callers)
            .await
            .expect("digest")
            .iter()
            .map(facts)
            .collect();
        region_wide.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(region_wide, expected);
    }
);

on_both_databases!(
    the_preview_places_replacements_as_the_pass_makes_them,
    |database: Database| async move {
        let label = database.kind().label();
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        // Two pools of two nodes each, with Scaleway's default policy (max_surge 0,
        // max_unavailable 1): each pool replaces one node at a time.
        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                    "name": "shop", "version": "1.34.2", "cni": "cilium",
                    "pools": [{ "name": "first", "node_type": "pro2_xs", "size": 2 }],
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
                &token,
                Some(json!({ "name": "second", "node_type": "pro2_xs", "size": 2 })),
            )
            .await;
        assert_eq!(status, 200, "{second}");
        app.run_until_idle().await;
        let (_, pools) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        let pools = pools["pools"].as_array().expect("pools").clone();
        assert_eq!(pools.len(), 2);
        for pool in &pools {
            assert_eq!(pool["upgrade_policy"]["max_surge"], 0, "{pool}");
            assert_eq!(pool["upgrade_policy"]["max_unavailable"], 1, "{pool}");
            let pool_id = pool["id"].as_str().expect("pool id");
            let (status, set) = app
                .api(
                    "PUT",
                    &format!("{X}/pools/{pool_id}/lifespan"),
                    &token,
                    Some(json!({ "max_node_age_days": 1 })),
                )
                .await;
            assert_eq!(status, 200, "{set}");
        }
        // Two exclusions that start together (neither holds replacements).
        let now = app.clock.now();
        for scope in ["no_minor_upgrades", "no_upgrades"] {
            let (status, added) = app
                .api(
                    "POST",
                    &format!("{X}/clusters/{id}/maintenance-exclusions"),
                    &token,
                    Some(json!({
                        "starts_at": (now + Duration::days(10)).to_rfc3339(),
                        "ends_at": (now + Duration::days(11)).to_rfc3339(),
                        "scope": scope,
                    })),
                )
                .await;
            assert_eq!(status, 200, "{added}");
        }

        // Two days on, every node is overdue; the default window (every day, 00:00–04:00 UTC)
        // is closed until tomorrow.
        app.clock.advance(Duration::days(2));
        let report = freshness(&app, &token, &id).await;
        let opening = time(&report["window_next_open"]);
        let timing = app.state.service.rollout_timing();
        let one_replacement = timing.node_boot + timing.node_drain;
        let planned = report["planned"].as_array().expect("planned").clone();
        assert_eq!(planned.len(), 4, "{report}");
        let mut preview_order: std::collections::BTreeMap<String, Vec<(String, _)>> =
            Default::default();
        for entry in &planned {
            preview_order
                .entry(entry["pool_id"].as_str().unwrap().to_string())
                .or_default()
                .push((
                    entry["node_name"].as_str().unwrap().to_string(),
                    time(&entry["replaced_from"]),
                ));
        }
        assert_eq!(preview_order.len(), 2);
        for (pool, entries) in &preview_order {
            // Pools replace side by side: each starts when the window opens …
            assert_eq!(entries[0].1, opening, "{pool}: {planned:?}");
            // … and within a pool one after the other: never two at once.
            for pair in entries.windows(2) {
                assert!(
                    pair[1].1 >= pair[0].1 + one_replacement,
                    "{pool}: overlapping replacements {pair:?}"
                );
            }
        }
        for entry in &planned {
            assert!(
                time(&entry["replaced_until"]) <= time(&entry["replaced_from"]) + one_replacement
                    && time(&entry["replaced_until"]) > time(&entry["replaced_from"]),
                "{entry}"
            );
        }

        // The calendar: one UID per event, the same on a second render.
        let ics = || async {
            let request = axum::http::Request::builder()
                .uri(format!("{X}/clusters/{id}/maintenance-timeline?format=ics"))
                .header("x-auth-token", &token)
                .header("host", "127.0.0.1:3000")
                .body(axum::body::Body::empty())
                .unwrap();
            let (response, ics) = crate::support::read(app.send(request).await).await;
            assert_eq!(response.status(), 200);
            ics
        };
        let calendar = ics().await;
        let uids: Vec<String> = calendar
            .replace("\r\n ", "")
            .split("\r\n")
            .filter_map(|line| line.strip_prefix("UID:"))
            .map(str::to_string)
            .collect();
        assert_eq!(
            uids.len(),
            calendar.matches("BEGIN:VEVENT").count(),
            "{calendar}"
        );
        assert!(uids.len() >= 4 + 2, "{calendar}");
        let distinct: std::collections::HashSet<&String> = uids.iter().collect();
        assert_eq!(distinct.len(), uids.len(), "{uids:#?}");
        app.clock.advance(Duration::minutes(1));
        assert!(
            ics()
                .await
                .replace("\r\n ", "")
                .contains(&format!("UID:{}\r\n", uids[0])),
            "stable across renders"
        );
        // Kept for an independent parser to check (not part of the assertions).
        let _ = std::fs::write(
            std::env::temp_dir().join(format!("wheelhouse-maintenance-{label}.ics")),
            &calendar,
        );

        // The pass, stepped: it replaces the nodes in the preview's order, at its times.
        move_to(&app, opening);
        let original: Vec<String> = report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["node_id"].as_str().unwrap().to_string())
            .collect();
        let reconciler = app.reconciler();
        for _ in 0..2_000 {
            app.state.freshness().pass().await.expect("pass");
            reconciler.run_pass().await.expect("pass");
            let (_, nodes) = app
                .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
                .await;
            let nodes = nodes["nodes"].as_array().unwrap();
            for pool in preview_order.keys() {
                assert!(
                    nodes
                        .iter()
                        .filter(|n| n["pool_id"] == pool.as_str())
                        .count()
                        <= 3,
                    "one replacement at a time in pool {pool}: {nodes:?}"
                );
            }
            if !nodes
                .iter()
                .any(|n| original.contains(&n["id"].as_str().unwrap().to_string()))
            {
                break;
            }
            app.clock.advance(Duration::seconds(5));
        }
        let replaced = freshness(&app, &token, &id).await["replaced"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(replaced.len(), 4, "{replaced:?}");
        for (pool, entries) in &preview_order {
            let mut actual: Vec<(String, chrono::DateTime<chrono::Utc>)> = replaced
                .iter()
                .filter(|r| {
                    entries
                        .iter()
                        .any(|(name, _)| r["node_name"] == name.as_str())
                })
                .map(|r| {
                    (
                        r["node_name"].as_str().unwrap().to_string(),
                        time(&r["replaced_at"]),
                    )
                })
                .collect();
            actual.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
            let names = |list: &[(String, chrono::DateTime<chrono::Utc>)]| {
                list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
            };
            assert_eq!(
                names(&actual),
                names(entries),
                "{pool}: the preview's order"
            );
            for ((_, done), (name, foreseen)) in actual.iter().zip(entries) {
                // The pass looks every few seconds: it starts a replacement within a minute of
                // when the preview said.
                assert!(
                    (*done - *foreseen).num_seconds().abs() <= 60,
                    "{name}: foreseen {foreseen}, replaced {done}"
                );
            }
        }
    }
);

on_both_databases!(
    the_demo_clusters_nodes_start_with_different_ages_none_due_for_replacement,
    |database: Database| async move {
        let app = TestApp::new(database);
        let (_, secret) = wheelhouse::services::demo::seed(&app.state)
            .await
            .expect("seed")
            .expect("a key printed");
        app.run_until_idle().await;
        let (_, clusters) = app
            .api("GET", &format!("{R}/clusters"), &secret, None)
            .await;
        let id = clusters["clusters"][0]["id"]
            .as_str()
            .expect("the demo cluster")
            .to_string();
        let (status, nodes) = app
            .api("GET", &format!("{R}/clusters/{id}/nodes"), &secret, None)
            .await;
        assert_eq!(status, 200, "{nodes}");
        let now = app.clock.now();
        let mut ages: Vec<Duration> = nodes["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| now - time(&node["created_at"]))
            .collect();
        ages.sort();
        assert_eq!(ages.len(), 3, "{nodes}");
        // As if replaced at different times: days apart, all within the 30-day lifespan.
        for pair in ages.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::days(1), "{ages:?}");
        }
        assert!(
            ages.iter()
                .all(|age| *age > Duration::zero() && *age < Duration::days(30)),
            "{ages:?}"
        );
        // None is due (its stagger included), so the demo does not start by replacing nodes.
        let report = freshness(&app, &secret, &id).await;
        for node in report["nodes"].as_array().expect("nodes") {
            assert!(time(&node["expires_at"]) > now, "{node}");
        }
        assert_eq!(app.state.freshness().pass().await.expect("pass"), 0);
    }
);
