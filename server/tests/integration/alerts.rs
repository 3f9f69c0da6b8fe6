//! Alerts with a manual clock, on both databases: a rule goes pending → firing at its threshold
//! and resolves when its condition clears; the evidence is frozen when it fires; an owner is
//! the provider's or the user's; acknowledgements and silences are audited and refused when
//! wrong; another project sees nothing; one replica evaluates at a time; and the console's tab
//! and forms work without JavaScript.

use chrono::Duration;
use serde_json::{json, Value};
use wheelhouse::services::identity::Role;

use crate::on_both_databases;
use crate::support::TestApp;

const R: &str = "/k8s/v1/regions/fr-par";
const X: &str = "/api/v1/regions/fr-par";

/// A pass of the alerts and of the sandbox every 5 seconds for `minutes`.
async fn run_minutes(app: &TestApp, minutes: i64) {
    let reconciler = app.reconciler();
    for _ in 0..minutes * 12 {
        reconciler.run_pass().await.expect("reconcile");
        app.state.alerts().pass().await.expect("alerts pass");
        app.clock.advance(Duration::seconds(5));
    }
}

async fn alerts_of(app: &TestApp, token: &str, cluster: &str, state: &str) -> Vec<Value> {
    let (status, body) = app
        .api(
            "GET",
            &format!("{X}/clusters/{cluster}/alerts?state={state}"),
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["alerts"].as_array().expect("alerts").clone()
}

fn find<'a>(alerts: &'a [Value], rule: &str) -> Option<&'a Value> {
    alerts.iter().find(|a| a["rule"] == rule)
}

async fn first_node(app: &TestApp, token: &str, cluster: &str) -> String {
    let (_, nodes) = app
        .api("GET", &format!("{R}/clusters/{cluster}/nodes"), token, None)
        .await;
    nodes["nodes"][0]["id"].as_str().expect("node").to_string()
}

async fn fault(app: &TestApp, node: &str, fault: &str) {
    wheelhouse::backend::sandbox::reconciler::inject_fault(
        &app.provisioning,
        &crate::support::operator(),
        node,
        fault,
    )
    .await
    .expect("fault");
}

on_both_databases!(
    a_not_ready_node_is_pending_then_fires_with_its_evidence_then_resolves,
    |database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (cluster, _) =
            crate::scaleway_api::ready_cluster(&app, &token, "shop-prod", "1.35.1", 2).await;
        let node = first_node(&app, &token, &cluster).await;
        run_minutes(&app, 1).await;
        assert!(
            alerts_of(&app, &token, &cluster, "").await.is_empty(),
            "a healthy cluster raises nothing"
        );

        fault(&app, &node, "not_ready").await;
        run_minutes(&app, 1).await;
        let alerts = alerts_of(&app, &token, &cluster, "").await;
        let alert = find(&alerts, "node_not_ready").expect("pending");
        assert_eq!(alert["state"], "pending", "{alert}");
        assert_eq!(alert["target"]["id"], node.as_str());
        assert!(alert["evidence"].is_null(), "no evidence before it fires");
        // Autohealing is off: the node is the user's to replace, and the command says how.
        assert_eq!(alert["owner"], "user");
        assert!(alert["recommendation"]["command"]
            .as_str()
            .expect("a command")
            .contains(&node));

        run_minutes(&app, 13).await;
        let alerts = alerts_of(&app, &token, &cluster, "").await;
        assert_eq!(
            find(&alerts, "node_not_ready").expect("still")["state"],
            "pending",
            "not before 15 minutes"
        );
        run_minutes(&app, 2).await;
        let alerts = alerts_of(&app, &token, &cluster, "firing").await;
        let firing = find(&alerts, "node_not_ready").expect("firing at 15 minutes");
        assert_eq!(firing["severity"], "warning");
        let evidence = &firing["evidence"];
        assert!(
            evidence["events"]
                .as_array()
                .expect("events")
                .iter()
                .any(|e| e["reason"] == "NodeNotReady" && e["object_id"] == node.as_str()),
            "{evidence}"
        );
        assert!(
            evidence["components"]
                .as_array()
                .expect("components")
                .iter()
                .any(|c| c["name"] == "kube-apiserver"),
            "{evidence}"
        );
        assert!(evidence["node_conditions"].is_object(), "{evidence}");
        // The same pool is below its size for as long: its alert fires too, and is the user's
        // as its nodes are (autohealing is off), never the provider's while the node alert
        // says otherwise.
        let pool = find(&alerts, "pool_below_size").expect("pool below size");
        assert_eq!(pool["owner"], "user");
        let id = firing["id"].as_str().expect("id").to_string();

        // The evidence stays as it was when it fired.
        run_minutes(&app, 2).await;
        let (status, again) = app
            .api("GET", &format!("/api/v1/alerts/{id}"), &token, None)
            .await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["evidence"], *evidence);

        // The fault clears and the user reboots the node (what they own); the recommendation's
        // re-check resolves the alert at once.
        fault(&app, &node, "none").await;
        let (status, rebooted) = app
            .api("POST", &format!("{R}/nodes/{node}/reboot"), &token, None)
            .await;
        assert_eq!(status, 200, "{rebooted}");
        app.run_until_idle().await;
        let reconciler = app.reconciler();
        for _ in 0..60 {
            reconciler.run_pass().await.expect("reconcile");
            app.clock.advance(Duration::seconds(5));
        }
        let (status, checked) = app
            .api(
                "POST",
                &format!("{X}/clusters/{cluster}/alerts/check"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{checked}");
        let resolved = find(
            checked["alerts"].as_array().expect("alerts"),
            "node_not_ready",
        )
        .expect("kept, resolved");
        assert_eq!(resolved["state"], "resolved", "{resolved}");
        assert!(resolved["resolved_at"].is_string());
        assert!(alerts_of(&app, &token, &cluster, "firing").await.is_empty());
    }
);

on_both_databases!(
    components_alert_by_whose_they_are_and_silences_and_acknowledgements_are_audited,
    |database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (cluster, _) =
            crate::scaleway_api::ready_cluster(&app, &token, "shop-prod", "1.35.1", 1).await;
        let operator = crate::support::operator();
        for (component, health) in [("kube-apiserver", "crash_loop"), ("coredns", "degraded")] {
            app.provisioning
                .set_component_health(&operator, &cluster, component, health)
                .await
                .expect("fault");
        }
        run_minutes(&app, 2).await;
        let alerts = alerts_of(&app, &token, &cluster, "").await;
        let api = find(&alerts, "control_plane_unavailable").expect("control plane");
        assert_eq!(api["state"], "firing", "critical after one minute: {api}");
        assert_eq!(api["severity"], "critical");
        assert_eq!(api["owner"], "provider");
        assert!(
            api["recommendation"]["text"]
                .as_str()
                .expect("text")
                .contains("Nothing is asked of you"),
            "a provider-owned alert asks nothing of the user: {api}"
        );
        assert_eq!(
            find(&alerts, "component_degraded").expect("degraded")["state"],
            "pending"
        );
        run_minutes(&app, 14).await;
        let alerts = alerts_of(&app, &token, &cluster, "firing").await;
        assert!(find(&alerts, "component_degraded").is_some(), "{alerts:?}");

        // Acknowledge: a note is required, once; recorded.
        let id = api["id"].as_str().expect("id").to_string();
        let acknowledge = |note: Value| {
            let (app, token, id) = (&app, token.clone(), id.clone());
            async move {
                app.api(
                    "POST",
                    &format!("/api/v1/alerts/{id}/acknowledge"),
                    &token,
                    Some(json!({ "note": note })),
                )
                .await
            }
        };
        let (status, refused) = acknowledge(json!("  ")).await;
        assert_eq!(status, 400, "{refused}");
        let (status, done) = acknowledge(json!("restarting the API server")).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["acknowledgement"]["note"], "restarting the API server");
        assert!(done["acknowledgement"]["by"]
            .as_str()
            .expect("by")
            .starts_with("api-key"));
        let (status, twice) = acknowledge(json!("again")).await;
        assert_eq!(status, 412, "{twice}");

        // Silence the degraded component's rule: listed as silenced, not as firing.
        let silence = |body: Value| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api("POST", "/api/v1/silences", &token, Some(body))
                    .await
            }
        };
        for (body, why) in [
            (json!({ "reason": "x", "duration_hours": 2 }), "no matcher"),
            (
                json!({ "rule": "component_degraded", "reason": " ", "duration_hours": 2 }),
                "no reason",
            ),
            (
                json!({ "rule": "nonsense", "reason": "x", "duration_hours": 2 }),
                "no such rule",
            ),
            (
                json!({ "rule": "component_degraded", "reason": "x", "duration_hours": 0 }),
                "too short",
            ),
            (
                json!({ "rule": "component_degraded", "reason": "x", "duration_hours": 721 }),
                "too long",
            ),
        ] {
            let (status, body) = silence(body).await;
            assert_eq!(status, 400, "{why}: {body}");
        }
        let (status, body) = silence(json!({
            "cluster_id": "00000000-0000-4000-8000-00000000ffff",
            "reason": "x",
            "duration_hours": 2
        }))
        .await;
        assert_eq!(status, 404, "not a cluster of the project: {body}");
        let (status, made) = silence(json!({
            "cluster_id": cluster,
            "rule": "component_degraded",
            "reason": "CoreDNS is being tuned",
            "duration_hours": 2
        }))
        .await;
        assert_eq!(status, 200, "{made}");
        let firing = alerts_of(&app, &token, &cluster, "firing").await;
        assert!(find(&firing, "component_degraded").is_none(), "{firing:?}");
        assert!(find(&firing, "control_plane_unavailable").is_some());
        let silenced = alerts_of(&app, &token, &cluster, "silenced").await;
        assert_eq!(silenced.len(), 1, "{silenced:?}");
        assert_eq!(silenced[0]["silenced_by"], made["id"]);
        let (status, bad) = app
            .api(
                "GET",
                &format!("{X}/clusters/{cluster}/alerts?state=loud"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 400, "{bad}");

        // It expires on its own after two hours.
        app.clock.advance(Duration::hours(2));
        assert!(alerts_of(&app, &token, &cluster, "silenced")
            .await
            .is_empty());
        // Another, ended early.
        let (_, made) =
            silence(json!({ "severity": "warning", "reason": "drill", "duration_hours": 1 })).await;
        let silence_id = made["id"].as_str().expect("id");
        let (status, ended) = app
            .api(
                "DELETE",
                &format!("/api/v1/silences/{silence_id}"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{ended}");
        let (status, _) = app
            .api(
                "DELETE",
                &format!("/api/v1/silences/{silence_id}"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 412, "already ended");

        // Every acknowledgement and silence is one entry; refusals are recorded too.
        crate::audit::every_change_is_one_entry(&app).await;
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_entries WHERE action LIKE 'alert.%' AND outcome = 'done' ORDER BY seq",
        )
        .fetch_all(app.state.database.pool())
        .await
        .expect("entries");
        assert_eq!(
            actions,
            [
                "alert.acknowledge",
                "alert.silence",
                "alert.silence",
                "alert.unsilence"
            ]
        );

        // Another project sees none of it.
        let stranger = app.api_key("other").await;
        let (status, _) = app
            .api("GET", &format!("/api/v1/alerts/{id}"), &stranger, None)
            .await;
        assert_eq!(status, 404);
        let (status, list) = app.api("GET", "/api/v1/alerts", &stranger, None).await;
        assert_eq!(status, 200);
        assert_eq!(list["total_count"], 0, "{list}");
        let (status, _) = app
            .api(
                "GET",
                &format!("{X}/clusters/{cluster}/alerts"),
                &stranger,
                None,
            )
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .api(
                "POST",
                &format!("/api/v1/alerts/{id}/acknowledge"),
                &stranger,
                Some(json!({ "note": "mine now" })),
            )
            .await;
        assert_eq!(status, 404);

        // A deleted cluster's alerts resolve.
        let (status, _) = app
            .api("DELETE", &format!("{R}/clusters/{cluster}"), &token, None)
            .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        app.state.alerts().pass().await.expect("pass");
        let (_, all) = app
            .api("GET", "/api/v1/alerts?state=firing", &token, None)
            .await;
        assert_eq!(all["total_count"], 0, "{all}");
    }
);

on_both_databases!(one_replica_evaluates_at_a_time, |database| async move {
    let app = TestApp::new(database);
    let token = app.api_key("shop").await;
    let (cluster, _) =
        crate::scaleway_api::ready_cluster(&app, &token, "shop-prod", "1.35.1", 1).await;
    let other = wheelhouse::services::alerts::AlertService::new(
        app.state.service.clone(),
        app.state.database.clone(),
        app.state.clock.clone(),
        app.state.ids.clone(),
        "another-replica".into(),
    );
    let ours = app.state.alerts().pass().await.expect("pass");
    assert_eq!(ours.clusters, 1);
    assert_eq!(
        other.pass().await.expect("pass").clusters,
        0,
        "the lease is ours"
    );
    app.clock.advance(Duration::minutes(2));
    assert_eq!(
        other.pass().await.expect("pass").clusters,
        1,
        "a lapsed lease passes on"
    );
    let _ = cluster;
});

on_both_databases!(
    the_alerts_tab_and_forms_work_without_javascript,
    |database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("shop").await;
        let (cluster, _) =
            crate::scaleway_api::ready_cluster(&app, &token, "shop-prod", "1.35.1", 1).await;
        app.provisioning
            .set_component_health(
                &crate::support::operator(),
                &cluster,
                "kube-apiserver",
                "crash_loop",
            )
            .await
            .expect("fault");
        run_minutes(&app, 2).await;
        let owner =
            crate::authorization::session(&app, "olga@example.com", "shop", Role::Owner).await;
        let viewer =
            crate::authorization::session(&app, "vic@example.com", "shop", Role::Viewer).await;
        let tab = format!("/clusters/fr-par/{cluster}/alerts");
        let (status, html) = crate::authorization::console(&app, "GET", &tab, &owner, "").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("data-rule=\"control_plane_unavailable\""),
            "{html}"
        );
        assert!(
            html.contains("The provider&#x27;s") || html.contains("The provider's"),
            "{html}"
        );
        assert!(html.contains("What the provider does"), "{html}");
        assert!(html.contains("data-testid=\"acknowledge-form\""), "{html}");
        let (status, page) =
            crate::authorization::console(&app, "GET", "/alerts", &owner, "").await;
        assert_eq!(status, 200);
        assert!(page.contains("Firing: 1 critical"), "{page}");
        let id: String =
            sqlx::query_scalar("SELECT id FROM alerts WHERE rule = 'control_plane_unavailable'")
                .fetch_one(app.state.database.pool())
                .await
                .expect("alert");

        // A viewer reads, and may not act: refused, recorded, nothing changed.
        let (status, html) = crate::authorization::console(&app, "GET", &tab, &viewer, "").await;
        assert_eq!(status, 200);
        assert!(!html.contains("data-testid=\"acknowledge-form\""), "{html}");
        let form = format!("alert={id}&note=mine&back={}", urlencode(&tab));
        let ack = app::routes::ACKNOWLEDGE_ALERT.axum_path;
        let (status, location) = crate::forms::post(&app, ack, &viewer, &form).await;
        assert_eq!(status, 303);
        assert!(location.contains("problem=not-allowed"), "{location}");
        let refusals: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'alert.acknowledge' AND outcome = 'refused'",
        )
        .fetch_one(app.state.database.pool())
        .await
        .expect("count");
        assert_eq!(refusals, 1);

        // The owner: an empty note is refused in words; a note acknowledges.
        let (status, location) = crate::forms::post(
            &app,
            ack,
            &owner,
            &format!("alert={id}&note=&back={}", urlencode(&tab)),
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            location.starts_with(&tab) && location.contains("problem=note-required"),
            "{location}"
        );
        let (_, html) = crate::authorization::console(&app, "GET", &location, &owner, "").await;
        assert!(html.contains("a note is required"), "{html}");
        let (status, location) = crate::forms::post(
            &app,
            ack,
            &owner,
            &format!("alert={id}&note=on+it&back={}", urlencode(&tab)),
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location, format!("{tab}?notice=acknowledged"));
        let (_, html) = crate::authorization::console(&app, "GET", &location, &owner, "").await;
        assert!(html.contains("Acknowledged by olga@example.com"), "{html}");

        // Silence from the tab (the cluster is its matcher), then end it.
        let project: String = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'shop'")
            .fetch_one(app.state.database.pool())
            .await
            .expect("project");
        let (status, location) = crate::forms::post(
            &app,
            app::routes::SILENCE_ALERTS.axum_path,
            &owner,
            &format!("project={project}&cluster={cluster}&rule=&severity=critical&hours=3&reason=drill&back={}", urlencode(&tab)),
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location, format!("{tab}?notice=silenced"));
        let (_, html) = crate::authorization::console(&app, "GET", &tab, &owner, "").await;
        assert!(html.contains("firing, silenced"), "{html}");
        let silence: String = sqlx::query_scalar("SELECT id FROM alert_silences")
            .fetch_one(app.state.database.pool())
            .await
            .expect("silence");
        let (status, location) = crate::forms::post(
            &app,
            app::routes::END_SILENCE.axum_path,
            &owner,
            &format!("silence={silence}&back={}", urlencode(&tab)),
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location, format!("{tab}?notice=silence-ended"));
        // A silence with no hours is refused before anything is written.
        let (_, location) = crate::forms::post(
            &app,
            app::routes::SILENCE_ALERTS.axum_path,
            &owner,
            &format!(
                "project={project}&cluster={cluster}&hours=soon&reason=x&back={}",
                urlencode(&tab)
            ),
        )
        .await;
        assert!(location.contains("problem=duration"), "{location}");
        let silences: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alert_silences")
            .fetch_one(app.state.database.pool())
            .await
            .expect("count");
        assert_eq!(silences, 1);

        // Re-check now, from the tab.
        let (status, location) = crate::forms::post(
            &app,
            app::routes::CHECK_ALERTS.axum_path,
            &viewer,
            &format!("region=fr-par&cluster={cluster}"),
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location, format!("{tab}?notice=checked"));
        crate::audit::every_change_is_one_entry(&app).await;
    }
);

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
