//! The sandbox provider's model and the reconciler's mechanics: components follow upgrades,
//! additional resources follow the delete flag, injected faults play out, failed steps back off,
//! and leases keep two workers off the same operation.

use serde_json::json;
use wheelhouse::backend::sandbox::reconciler::{inject_fault, Reconciler, MAX_ATTEMPTS};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::TestApp;

const R: &str = "/k8s/v1/regions/fr-par";

async fn cluster_with_pool(app: &TestApp, token: &str, size: i64) -> (String, String) {
    let (status, cluster) = app
        .api(
            "POST",
            &format!("{R}/clusters"),
            token,
            Some(json!({
                "name": "lab", "version": "1.34.2", "cni": "calico",
                "pools": [{ "name": "p", "node_type": "pro2_xs", "size": size }],
            })),
        )
        .await;
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    app.run_until_idle().await;
    let (_, pools) = app
        .api("GET", &format!("{R}/clusters/{id}/pools"), token, None)
        .await;
    (
        id,
        pools["pools"][0]["id"].as_str().expect("pool").to_string(),
    )
}

on_both_databases!(
    components_are_installed_and_follow_upgrades,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("lab").await;
        let caller = app.caller(&token).await;
        let (id, _) = cluster_with_pool(&app, &token, 1).await;
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        let inventory = app
            .provisioning
            .cluster_inventory(&cluster)
            .await
            .expect("inventory");
        let names: Vec<&str> = inventory
            .components
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        for expected in [
            "etcd",
            "kube-apiserver",
            "coredns",
            "calico",
            "csi-scaleway",
        ] {
            assert!(names.contains(&expected), "{expected} in {names:?}");
        }
        assert!(inventory
            .components
            .iter()
            .all(|c| c.health == "healthy" && c.managed_by == "provider"));

        // A user-modified component is the user's: the provider's upgrade leaves it alone.
        sqlx::query("UPDATE cluster_components SET managed_by = 'user' WHERE cluster_id = $1 AND name = 'kube-proxy'")
        .bind(&id).execute(app.provisioning.database.pool()).await.expect("update");
        app.api(
            "POST",
            &format!("{R}/clusters/{id}/upgrade"),
            &token,
            Some(json!({ "version": "1.35.1" })),
        )
        .await;
        app.run_until_idle().await;
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        let components = app
            .provisioning
            .cluster_inventory(&cluster)
            .await
            .expect("inventory")
            .components;
        let version_of = |name: &str| {
            components
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.version.clone())
                .unwrap_or_default()
        };
        assert_eq!(version_of("kube-apiserver"), "v1.35.1");
        assert_eq!(
            version_of("kube-proxy"),
            "v1.34.2",
            "user-managed: untouched"
        );

        app.provisioning
            .set_component_health(&crate::support::operator(), &id, "coredns", "crash_loop")
            .await
            .expect("fault");
        let components = app
            .provisioning
            .cluster_inventory(&cluster)
            .await
            .expect("inventory")
            .components;
        assert_eq!(
            components
                .iter()
                .find(|c| c.name == "coredns")
                .map(|c| c.health.as_str()),
            Some("crash_loop")
        );
        let refused = app
            .provisioning
            .set_component_health(&crate::support::operator(), &id, "coredns", "on_fire")
            .await;
        assert!(refused.is_err());
        assert!(app
            .provisioning
            .set_component_health(&crate::support::operator(), &id, "no-such-thing", "healthy")
            .await
            .is_err());

        let image: String = sqlx::query_scalar("SELECT os_image FROM nodes WHERE cluster_id = $1")
            .bind(&id)
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("image");
        let images: Vec<String> =
            sqlx::query_scalar("SELECT name FROM os_images WHERE superseded_at IS NULL")
                .fetch_all(app.provisioning.database.pool())
                .await
                .expect("images");
        assert_eq!(images, vec![image], "nodes boot the current OS image");
    }
);

on_both_databases!(
    volumes_and_load_balancers_follow_the_delete_flag,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("lab").await;
        let caller = app.caller(&token).await;
        for with_resources in [true, false] {
            let (id, _) = cluster_with_pool(&app, &token, 1).await;
            let cluster = app
                .provisioning
                .get_cluster(&caller, "fr-par", &id)
                .await
                .expect("cluster");
            app.provisioning
                .record_volume(&cluster, "data-postgres-0", 20_000_000_000, "sbs-default")
                .await
                .expect("pv");
            app.provisioning
                .record_load_balancer(&cluster, "ingress")
                .await
                .expect("lb");
            app.api(
                "DELETE",
                &format!("{R}/clusters/{id}?with_additional_resources={with_resources}"),
                &token,
                None,
            )
            .await;
            app.run_until_idle().await;
            let left: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, status FROM persistent_volumes WHERE cluster_id = $1 UNION ALL SELECT name, status FROM load_balancers WHERE cluster_id = $1 ORDER BY 1",
        ).bind(&id).fetch_all(app.provisioning.database.pool()).await.expect("left");
            if with_resources {
                assert!(left.is_empty(), "deleted with the cluster: {left:?}");
            } else {
                assert_eq!(
                    left,
                    vec![
                        ("data-postgres-0".into(), "released".into()),
                        ("ingress".into(), "detached".into())
                    ]
                );
            }
        }
    }
);

on_both_databases!(injected_faults_play_out, |database: Database| async move {
    let app = TestApp::new(database);
    let token = app.api_key("lab").await;
    let (id, pool_id) = cluster_with_pool(&app, &token, 2).await;
    let (_, nodes) = app
        .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
        .await;
    let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();

    inject_fault(
        &app.provisioning,
        &crate::support::operator(),
        &node_id,
        "not_ready",
    )
    .await
    .expect("fault");
    app.reconciler().run_pass().await.expect("pass");
    let (_, node) = app
        .api("GET", &format!("{R}/nodes/{node_id}"), &token, None)
        .await;
    assert_eq!(node["status"], "not_ready");
    assert_eq!(node["conditions"]["Ready"], "False");
    assert!(
        node["error_message"]
            .as_str()
            .expect("message")
            .contains("NotReady")
            || node["error_message"]
                .as_str()
                .expect("message")
                .contains("kubelet")
    );

    let bad = inject_fault(
        &app.provisioning,
        &crate::support::operator(),
        &node_id,
        "meteor",
    )
    .await;
    assert!(bad.is_err(), "unknown faults are refused");

    // New nodes of a pool with a provisioning failure end in creation_error; the pool warns.
    app.api(
        "PATCH",
        &format!("{R}/pools/{pool_id}"),
        &token,
        Some(json!({ "size": 3 })),
    )
    .await;
    app.reconciler().run_pass().await.expect("pass");
    let creating: String =
        sqlx::query_scalar("SELECT id FROM nodes WHERE pool_id = $1 AND status = 'creating'")
            .bind(&pool_id)
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("booting node");
    inject_fault(
        &app.provisioning,
        &crate::support::operator(),
        &creating,
        "provisioning_failure",
    )
    .await
    .expect("fault");
    app.run_until_idle().await;
    let (_, failed) = app
        .api("GET", &format!("{R}/nodes/{creating}"), &token, None)
        .await;
    assert_eq!(failed["status"], "creation_error");
    let (_, pool) = app
        .api("GET", &format!("{R}/pools/{pool_id}"), &token, None)
        .await;
    assert_eq!(pool["status"], "warning");
});

on_both_databases!(
    failing_steps_back_off_and_leases_exclude_other_workers,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("lab").await;
        let (id, _) = cluster_with_pool(&app, &token, 1).await;
        let now_ms = wheelhouse::store::rows::millis(wheelhouse::clock::Clock::now(&app.clock));
        sqlx::query("INSERT INTO operations (id, kind, cluster_id, target_id, params, step, state, attempt, next_run_at, created_at, updated_at) \
                 VALUES ('op-bogus', 'no_such_kind', $1, $1, '{}', 'start', 'pending', 0, $2, $2, $2)")
        .bind(&id).bind(now_ms).execute(app.provisioning.database.pool()).await.expect("insert");

        // Another worker holds the lease: this one must leave the operation alone.
        let other = Reconciler::new(app.provisioning.clone(), "other-worker");
        let mut conn = app
            .provisioning
            .database
            .pool()
            .acquire()
            .await
            .expect("conn");
        let now = wheelhouse::clock::Clock::now(&app.clock);
        let until = now + chrono::Duration::seconds(30);
        let kind = app.provisioning.database.kind();
        // The create operations of the cluster are done: only the bogus one is due.
        let claimed = wheelhouse::backend::sandbox::store::operations::claim_due(
            &mut conn,
            kind,
            "other-worker",
            now,
            until,
            10,
        )
        .await
        .expect("claim");
        assert_eq!(claimed, vec!["op-bogus".to_string()]);
        let claimed = wheelhouse::backend::sandbox::store::operations::claim_due(
            &mut conn,
            kind,
            "test-worker",
            now,
            until,
            10,
        )
        .await
        .expect("claim");
        assert!(claimed.is_empty(), "a held lease cannot be claimed twice");
        // An operation that is not due yet is not claimed either.
        sqlx::query("INSERT INTO operations (id, kind, cluster_id, target_id, params, step, state, attempt, next_run_at, created_at, updated_at) \
                 VALUES ('op-later', 'no_such_kind', $1, $1, '{}', 'start', 'pending', 0, $2, $2, $2)")
            .bind(&id)
            .bind(now_ms + 3_600_000)
            .execute(&mut *conn)
            .await
            .expect("insert");
        let claimed = wheelhouse::backend::sandbox::store::operations::claim_due(
            &mut conn,
            kind,
            "test-worker",
            now,
            until,
            10,
        )
        .await
        .expect("claim");
        assert!(claimed.is_empty(), "next_run_at is honoured: {claimed:?}");
        sqlx::query("DELETE FROM operations WHERE id = 'op-later'")
            .execute(&mut *conn)
            .await
            .expect("delete");
        drop(conn);
        let report = app.reconciler().run_pass().await.expect("pass");
        assert_eq!(report.steps_failed, 0, "leased elsewhere: not attempted");
        drop(other);

        // Once the lease expires the operation is taken over, fails, and backs off exponentially.
        app.clock.advance(chrono::Duration::seconds(31));
        let mut previous_delay = chrono::Duration::zero();
        for attempt in 1..=MAX_ATTEMPTS {
            let report = app.reconciler().run_pass().await.expect("pass");
            assert_eq!(report.steps_failed, 1, "attempt {attempt}");
            let operation =
                wheelhouse::backend::sandbox::reconciler::operation(&app.provisioning, "op-bogus")
                    .await
                    .expect("read")
                    .expect("exists");
            assert_eq!(operation.attempt, attempt);
            assert!(operation
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("unknown operation kind"));
            let delay = operation.next_run_at - wheelhouse::clock::Clock::now(&app.clock);
            if attempt < MAX_ATTEMPTS {
                assert_eq!(operation.state, "pending");
                assert!(
                    delay > previous_delay,
                    "backoff grows: {delay} after {previous_delay}"
                );
                previous_delay = delay;
                app.clock.advance(delay);
            } else {
                assert_eq!(
                    operation.state, "failed",
                    "given up after {MAX_ATTEMPTS} attempts"
                );
            }
        }
        let report = app.reconciler().run_pass().await.expect("pass");
        assert_eq!(report.steps_failed, 0, "a failed operation is not retried");
    }
);

on_both_databases!(
    workload_api_usage_and_pdbs_are_in_the_inventory,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("lab").await;
        let caller = app.caller(&token).await;
        let (id, _) = cluster_with_pool(&app, &token, 1).await;
        let cluster = app
            .provisioning
            .get_cluster(&caller, "fr-par", &id)
            .await
            .expect("cluster");
        for (api, kind, name) in [
            ("apps/v1", "Deployment", "web"),
            ("apps/v1", "Deployment", "api"),
            ("policy/v1beta1", "PodSecurityPolicy", "legacy"),
        ] {
            app.provisioning
                .record_workload(
                    &crate::support::operator(),
                    &cluster,
                    api,
                    kind,
                    "default",
                    name,
                )
                .await
                .expect("record");
        }
        app.provisioning
            .record_workload(
                &crate::support::operator(),
                &cluster,
                "apps/v1",
                "Deployment",
                "default",
                "web",
            )
            .await
            .expect("idempotent");
        assert!(app
            .provisioning
            .record_workload(
                &crate::support::operator(),
                &cluster,
                "apps/v1",
                "",
                "default",
                "x"
            )
            .await
            .is_err());
        app.provisioning
            .record_pdb(
                &crate::support::operator(),
                &cluster,
                "default",
                "web",
                1,
                None,
            )
            .await
            .expect("pdb");
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
        assert!(app
            .provisioning
            .record_pdb(&crate::support::operator(), &cluster, "db", "bad", -1, None)
            .await
            .is_err());

        assert!(app
            .provisioning
            .record_pdb(
                &crate::support::operator(),
                &cluster,
                "db",
                "elsewhere",
                1,
                Some("no-such-pool")
            )
            .await
            .is_err());

        let inventory = app
            .provisioning
            .cluster_inventory(&cluster)
            .await
            .expect("inventory");
        let usage: Vec<(&str, &str, i64, Vec<&str>)> = inventory
            .api_usage
            .iter()
            .map(|u| {
                (
                    u.api_version.as_str(),
                    u.kind.as_str(),
                    u.objects,
                    u.workloads.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            usage,
            vec![
                (
                    "apps/v1",
                    "Deployment",
                    2,
                    vec!["default/api", "default/web"]
                ),
                (
                    "policy/v1beta1",
                    "PodSecurityPolicy",
                    1,
                    vec!["default/legacy"]
                ),
            ]
        );
        let pdbs: Vec<(&str, i64)> = inventory
            .pod_disruption_budgets
            .iter()
            .map(|p| (p.name.as_str(), p.disruptions_allowed))
            .collect();
        assert_eq!(pdbs, vec![("postgres", 0), ("web", 1)]);

        app.provisioning
            .forget_workload(
                &crate::support::operator(),
                &cluster,
                "policy/v1beta1",
                "PodSecurityPolicy",
                "default",
                "legacy",
            )
            .await
            .expect("forget");
        assert!(app
            .provisioning
            .forget_workload(
                &crate::support::operator(),
                &cluster,
                "policy/v1beta1",
                "PodSecurityPolicy",
                "default",
                "legacy"
            )
            .await
            .is_err());
        app.provisioning
            .delete_pdb(&crate::support::operator(), &cluster, "db", "postgres")
            .await
            .expect("delete pdb");
        let inventory = app
            .provisioning
            .cluster_inventory(&cluster)
            .await
            .expect("inventory");
        assert_eq!(inventory.api_usage.len(), 1);
        assert_eq!(inventory.pod_disruption_budgets.len(), 1);
    }
);
