//! The one path: every console form that changes a cluster, and the background jobs that act on
//! their own, reach it with who acted and from where (the REST API's every route is proved in
//! `authorization.rs`, where another organisation's attempts are recorded as refusals).

use serde_json::json;
use wheelhouse::domain::change::{Actor, Change, Interface, Outcome};
use wheelhouse::services::identity::Role;
use wheelhouse::store::Database;

use crate::authorization::{console, session};
use crate::on_both_databases;
use crate::scaleway_api::ready_cluster;
use crate::support::TestApp;

const R: &str = "/k8s/v1/regions/fr-par";

/// The changes recorded since `from`.
fn since(app: &TestApp, from: usize) -> Vec<Change> {
    app.recorded.all()[from..].to_vec()
}

on_both_databases!(
    every_console_form_reaches_the_one_path_as_the_person_who_sent_it,
    |database: Database| async move {
        let app = TestApp::new(database);
        let key = app.api_key("shop").await;
        let (cluster_id, pool_id) = ready_cluster(&app, &key, "shop-prod", "1.34.2", 2).await;
        let (_, nodes) = app
            .api(
                "GET",
                &format!("{R}/clusters/{cluster_id}/nodes"),
                &key,
                None,
            )
            .await;
        let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        let (_, rules) = app
            .api(
                "POST",
                &format!("{R}/clusters/{cluster_id}/acls"),
                &key,
                Some(json!({ "acls": [{ "ip": "198.51.100.0/24", "description": "office" }] })),
            )
            .await;
        let acl_id = rules["rules"][0]["id"].as_str().expect("acl").to_string();
        let owner = session(&app, "olga@example.com", "shop", Role::Owner).await;
        let person = Actor::Person {
            user_id: sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind("olga@example.com")
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("user"),
            email: "olga@example.com".into(),
        };
        let base = format!("/clusters/fr-par/{cluster_id}");
        // (form, what it posts, the action it must record)
        let forms: Vec<(String, &str, &str)> = vec![
            (
                format!("{base}/settings"),
                "name=shop-main&description=&tags=",
                "cluster.update",
            ),
            (
                format!("{base}/pools"),
                "name=batch&node_type=pro2_xs&size=1",
                "pool.create",
            ),
            (
                format!("{base}/pools/{pool_id}"),
                "action=resize&size=3",
                "pool.update",
            ),
            (
                format!("{base}/nodes/{node_id}"),
                "action=reboot&confirm=yes",
                "node.reboot",
            ),
            (
                format!("{base}/maintenance-window"),
                "day_monday=on&start_hour=3&duration_hours=2",
                "maintenance.set_window",
            ),
            (
                format!("{base}/pools/{pool_id}/lifespan"),
                "max_node_age_days=7",
                "pool.set_lifespan",
            ),
            (
                format!("{base}/maintenance-exclusions"),
                "from=2030-01-01&until=2030-01-02&scope=no_upgrades",
                "maintenance.add_exclusion",
            ),
            (
                format!("{base}/auto-upgrade"),
                "enable=on",
                "cluster.update",
            ),
            (
                format!("{base}/pools/{pool_id}/autohealing"),
                "enabled=on&cap_percent=50",
                "pool.set_autohealing",
            ),
            (
                format!("{base}/acl-rules"),
                "ip=203.0.113.0%2F24&description=vpn",
                "acl.add",
            ),
            (
                format!("{base}/acl-rules/{acl_id}/delete"),
                "",
                "acl.delete",
            ),
            (
                format!("{base}/reset-admin-token"),
                "confirm_name=shop-main",
                "cluster.reset_admin_token",
            ),
            (
                format!("{base}/upgrade/control"),
                "action=pause",
                "upgrade.pause",
            ),
            (
                format!("{base}/upgrade"),
                "version=1.34.5&confirm_name=shop-main",
                "upgrade.start",
            ),
            (
                format!("{base}/rollback"),
                "scope=cluster&confirm_name=shop-main",
                "rollback.start",
            ),
        ];
        for (path, form, action) in &forms {
            app.run_until_idle().await;
            let from = app.recorded.count();
            let (status, _) = console(&app, "POST", path, &owner, form).await;
            assert_eq!(status, 303, "{path}");
            let changes = since(&app, from);
            let change = changes
                .iter()
                .find(|change| change.action == *action)
                .unwrap_or_else(|| panic!("{path} recorded no {action}: {changes:?}"));
            assert_eq!(change.actor, person, "{path}");
            assert_eq!(change.source.interface, Interface::Console, "{path}");
            assert_eq!(
                change.target.organization_id,
                app.caller(&key).await.organization_id,
                "{path}"
            );
        }
        // The exclusion added above, removed.
        let exclusion: String = sqlx::query_scalar("SELECT id FROM maintenance_exclusions")
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("exclusion");
        let from = app.recorded.count();
        let path = format!("{base}/maintenance-exclusions/{exclusion}/delete");
        let (status, _) = console(&app, "POST", &path, &owner, "").await;
        assert_eq!(status, 303);
        assert!(
            since(&app, from)
                .iter()
                .any(|c| c.action == "maintenance.remove_exclusion" && c.actor == person),
            "{:?}",
            since(&app, from)
        );
        let from = app.recorded.count();
        let (status, _) = console(
            &app,
            "POST",
            &format!("{base}/delete"),
            &owner,
            "confirm_name=shop-main",
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            since(&app, from)
                .iter()
                .any(|c| c.action == "cluster.delete"
                    && c.actor == person
                    && c.outcome == Outcome::Done),
            "{:?}",
            since(&app, from)
        );
        // A done change says what it changed; the admin token itself is never recorded.
        let all = app.recorded.all();
        let renamed = all
            .iter()
            .find(|change| change.action == "cluster.update" && change.outcome == Outcome::Done)
            .expect("the rename");
        assert_eq!(
            renamed.before.as_ref().expect("before")["name"],
            "shop-prod"
        );
        assert_eq!(renamed.after.as_ref().expect("after")["name"], "shop-main");
        let text = serde_json::to_string(&all).expect("json");
        let token: String = sqlx::query_scalar("SELECT admin_token FROM clusters WHERE id = $1")
            .bind(&cluster_id)
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("token");
        assert!(!text.contains(&token), "no secret in the records");
    }
);

on_both_databases!(
    background_jobs_reach_the_one_path_under_their_own_names,
    |database: Database| async move {
        let app = TestApp::new(database);
        let key = app.api_key("fleet").await;
        let (cluster_id, pool_id) = ready_cluster(&app, &key, "fleet", "1.35.1", 1).await;
        let (status, _) = app
            .api(
                "PUT",
                &format!("/api/v1/regions/fr-par/pools/{pool_id}/lifespan"),
                &key,
                Some(json!({ "max_node_age_days": 1 })),
            )
            .await;
        assert_eq!(status, 200);
        // Two days later the node is overdue; the pass replaces it inside the window.
        app.clock.advance(chrono::Duration::days(2));
        let from = app.recorded.count();
        for _ in 0..48 {
            app.state.freshness().pass().await.expect("pass");
            if since(&app, from).iter().any(|c| c.action == "node.replace") {
                break;
            }
            app.clock.advance(chrono::Duration::hours(1));
        }
        let changes = since(&app, from);
        let replaced = changes
            .iter()
            .find(|change| change.action == "node.replace")
            .unwrap_or_else(|| panic!("no lifespan replacement recorded: {changes:?}"));
        assert_eq!(replaced.actor, Actor::system("lifespan"));
        assert_eq!(replaced.source.interface, Interface::Job);
        assert_eq!(
            replaced.target.cluster_id.as_deref(),
            Some(cluster_id.as_str())
        );
        assert_eq!(replaced.outcome, Outcome::Done);
    }
);
