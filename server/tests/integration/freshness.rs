//! Node lifespan with a manual clock: overdue nodes are replaced only inside the cluster's
//! maintenance window, one at a time (the pool's max_surge, at least one), staggered, never
//! during an upgrade, never past a PDB that allows no eviction; bad settings change nothing.

use chrono::{Datelike, Duration};
use serde_json::{json, Value};
use wheelhouse::clock::Clock;
use wheelhouse::services::freshness::MaintenanceWindow;
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
            .record_pdb(&cluster, "shop", "cart", 0, Some(&first))
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
            .delete_pdb(&cluster, "shop", "cart")
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
