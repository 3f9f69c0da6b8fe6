//! No route lets one organisation read or change another's objects, and viewers change nothing:
//! every REST route and every console route and form, with another organisation's credentials,
//! answers 404 (or 401/403) and leaves the database as it was.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use wheelhouse::services::identity::{self, NewUser, Role};
use wheelhouse::store::Database;

use wheelhouse::domain::change::{Actor, Interface, Outcome};

use crate::on_both_databases;
use crate::scaleway_api::ready_cluster;
use crate::support::{read, TestApp};

const R: &str = "/k8s/v1/regions/fr-par";
const X: &str = "/api/v1/regions/fr-par";
const PASSWORD: &str = "a long enough password";

/// Everything a request could have changed, as one text.
async fn snapshot(app: &TestApp) -> String {
    let pool = app.provisioning.database.pool();
    let mut text = String::new();
    for sql in [
        "SELECT id || name || status || version || tags || description || admin_token || CAST(auto_upgrade_enabled AS TEXT) || maintenance_day || CAST(maintenance_start_hour AS TEXT) FROM clusters ORDER BY id",
        "SELECT id || name || status || version || CAST(size AS TEXT) || CAST(autohealing AS TEXT) || labels || taints FROM pools ORDER BY id",
        "SELECT id || status FROM nodes ORDER BY id",
        "SELECT id || COALESCE(ip, '') || description FROM cluster_acl_rules ORDER BY id",
        "SELECT id || kind || state FROM operations ORDER BY id",
        "SELECT id || kind || state FROM upgrade_runs ORDER BY id",
        "SELECT pool_id || CAST(max_node_age_days AS TEXT) FROM pool_lifespans ORDER BY pool_id",
        "SELECT cluster_id || days || CAST(start_hour AS TEXT) FROM maintenance_windows ORDER BY cluster_id",
        "SELECT id || scope FROM maintenance_exclusions ORDER BY id",
        "SELECT pool_id || CAST(cap_percent AS TEXT) FROM pool_autohealing_caps ORDER BY pool_id",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.expect(sql);
        text.push_str(&rows.join("\n"));
        text.push('\n');
    }
    text
}

/// Every person, project and membership, as one text (what the settings forms could change).
async fn people(app: &TestApp) -> String {
    let pool = app.provisioning.database.pool();
    let mut text = String::new();
    for sql in [
        "SELECT id || email || password_hash FROM users ORDER BY id",
        "SELECT id || organization_id || name FROM projects ORDER BY id",
        "SELECT user_id || project_id || role FROM memberships ORDER BY user_id, project_id",
        "SELECT access_key || project_id FROM api_keys ORDER BY access_key",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.expect(sql);
        text.push_str(&rows.join("\n"));
        text.push('\n');
    }
    text
}

pub(crate) async fn session(app: &TestApp, email: &str, project: &str, role: Role) -> String {
    session_as(app, email, project, role, false).await
}

/// A session of one of the provider's operators (a member of `project` too).
pub(crate) async fn operator_session(app: &TestApp, email: &str, project: &str) -> String {
    session_as(app, email, project, Role::Owner, true).await
}

async fn session_as(
    app: &TestApp,
    email: &str,
    project: &str,
    role: Role,
    is_operator: bool,
) -> String {
    identity::create_user(
        &app.provisioning.database,
        app.state.ids.as_ref(),
        &app.clock,
        NewUser {
            email,
            password: PASSWORD,
            project_name: project,
            role,
            is_operator,
        },
    )
    .await
    .expect("user");
    let token = identity::sign_in(
        &app.provisioning.database,
        app.state.ids.as_ref(),
        &app.clock,
        email,
        PASSWORD,
        "test",
    )
    .await
    .expect("sign in");
    format!("wh_session={token}")
}

pub(crate) async fn console(
    app: &TestApp,
    method: &str,
    path: &str,
    cookie: &str,
    form: &str,
) -> (u16, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:3000")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .expect("request");
    let (response, body) = read(app.send(request).await).await;
    (response.status().as_u16(), body)
}

on_both_databases!(
    another_organisation_reaches_nothing_and_viewers_change_nothing,
    |database: Database| async move {
        let app = TestApp::new(database);
        let owner_key = app.api_key("victim").await;
        let (cluster_id, pool_id) =
            ready_cluster(&app, &owner_key, "victim-prod", "1.35.1", 2).await;
        let (_, nodes) = app
            .api(
                "GET",
                &format!("{R}/clusters/{cluster_id}/nodes"),
                &owner_key,
                None,
            )
            .await;
        let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        let (_, rules) = app
            .api(
                "POST",
                &format!("{R}/clusters/{cluster_id}/acls"),
                &owner_key,
                Some(json!({ "acls": [{ "ip": "203.0.113.0/24", "description": "office" }] })),
            )
            .await;
        let acl_id = rules["rules"][0]["id"].as_str().expect("acl").to_string();
        let stranger_key = app.api_key("attacker").await;
        let before = snapshot(&app).await;

        // Every REST route that names an object, with the other organisation's key.
        let body = Some(json!({}));
        let routes: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", format!("{R}/clusters/{cluster_id}"), None),
            (
                "PATCH",
                format!("{R}/clusters/{cluster_id}"),
                Some(json!({ "name": "owned" })),
            ),
            ("DELETE", format!("{R}/clusters/{cluster_id}"), None),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/upgrade"),
                Some(json!({ "version": "1.36.0" })),
            ),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/set-type"),
                Some(json!({ "type": "kapsule-dedicated-4" })),
            ),
            (
                "GET",
                format!("{R}/clusters/{cluster_id}/available-versions"),
                None,
            ),
            (
                "GET",
                format!("{R}/clusters/{cluster_id}/available-types"),
                None,
            ),
            ("GET", format!("{R}/clusters/{cluster_id}/kubeconfig"), None),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/reset-admin-token"),
                body.clone(),
            ),
            ("GET", format!("{R}/clusters/{cluster_id}/acls"), None),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/acls"),
                Some(json!({ "acls": [{ "ip": "0.0.0.0/0" }] })),
            ),
            (
                "PUT",
                format!("{R}/clusters/{cluster_id}/acls"),
                Some(json!({ "acls": [] })),
            ),
            ("DELETE", format!("{R}/acls/{acl_id}"), None),
            ("GET", format!("{R}/clusters/{cluster_id}/pools"), None),
            (
                "POST",
                format!("{R}/clusters/{cluster_id}/pools"),
                Some(json!({ "name": "x", "node_type": "PRO2-XS", "size": 1 })),
            ),
            ("GET", format!("{R}/pools/{pool_id}"), None),
            (
                "PATCH",
                format!("{R}/pools/{pool_id}"),
                Some(json!({ "size": 5 })),
            ),
            ("DELETE", format!("{R}/pools/{pool_id}"), None),
            (
                "POST",
                format!("{R}/pools/{pool_id}/upgrade"),
                Some(json!({ "version": "1.35.1" })),
            ),
            (
                "PUT",
                format!("{R}/pools/{pool_id}/set-taints"),
                Some(json!({ "taints": [] })),
            ),
            (
                "PUT",
                format!("{R}/pools/{pool_id}/set-startup-taints"),
                Some(json!({ "startup_taints": [] })),
            ),
            (
                "PUT",
                format!("{R}/pools/{pool_id}/set-labels"),
                Some(json!({ "labels": { "a": "b" } })),
            ),
            ("GET", format!("{R}/pools/{pool_id}/user-data"), None),
            ("GET", format!("{R}/pools/{pool_id}/user-data/any"), None),
            (
                "POST",
                format!("{R}/pools/{pool_id}/external-nodes/auth"),
                body.clone(),
            ),
            ("GET", format!("{R}/clusters/{cluster_id}/nodes"), None),
            ("GET", format!("{R}/nodes/{node_id}"), None),
            ("POST", format!("{R}/nodes/{node_id}/reboot"), body.clone()),
            ("POST", format!("{R}/nodes/{node_id}/replace"), body.clone()),
            ("DELETE", format!("{R}/nodes/{node_id}"), None),
            // The extension API.
            (
                "GET",
                format!("{X}/clusters/{cluster_id}/upgrade-preflight?version=1.35.1"),
                None,
            ),
            (
                "GET",
                format!("{X}/clusters/{cluster_id}/upgrade-plan?version=1.35.1"),
                None,
            ),
            (
                "POST",
                format!("{X}/clusters/{cluster_id}/upgrades"),
                Some(json!({ "version": "1.35.1", "override_reason": "mine now" })),
            ),
            (
                "GET",
                format!("{X}/clusters/{cluster_id}/upgrade-progress"),
                None,
            ),
            (
                "POST",
                format!("{X}/clusters/{cluster_id}/upgrade-pause"),
                body.clone(),
            ),
            (
                "POST",
                format!("{X}/clusters/{cluster_id}/upgrade-resume"),
                body.clone(),
            ),
            (
                "POST",
                format!("{X}/clusters/{cluster_id}/upgrade-abort"),
                body.clone(),
            ),
            (
                "GET",
                format!("{X}/clusters/{cluster_id}/rollback-preflight"),
                None,
            ),
            (
                "GET",
                format!("{X}/clusters/{cluster_id}/rollback-preflight?pool_id={pool_id}"),
                None,
            ),
            (
                "POST",
                format!("{X}/clusters/{cluster_id}/rollbacks"),
                Some(json!({ "override_reason": "mine now" })),
            ),
            (
                "POST",
                format!("{X}/clusters/{cluster_id}/rollbacks"),
                Some(json!({ "pool_id": pool_id, "override_reason": "mine now" })),
            ),
            ("GET", format!("{X}/clusters/{cluster_id}/freshness"), None),
            (
                "PUT",
                format!("{X}/clusters/{cluster_id}/maintenance-window"),
                Some(json!({ "days": ["monday"], "start_hour": 3, "duration_hours": 2 })),
            ),
            (
                "PUT",
                format!("{X}/pools/{pool_id}/lifespan"),
                Some(json!({ "max_node_age_days": 1 })),
            ),
            (
                "POST",
                format!("{X}/clusters/{cluster_id}/maintenance-exclusions"),
                Some(
                    json!({ "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z", "scope": "no_upgrades" }),
                ),
            ),
            (
                "DELETE",
                format!("{X}/clusters/{cluster_id}/maintenance-exclusions/anything"),
                None,
            ),
            (
                "GET",
                format!("{X}/clusters/{cluster_id}/maintenance-timeline"),
                None,
            ),
            (
                "PUT",
                format!("{X}/pools/{pool_id}/autohealing"),
                Some(json!({ "enabled": true, "cap_percent": 90 })),
            ),
        ];
        let stranger_access_key = app.caller(&stranger_key).await.access_key;
        for (method, path, body) in &routes {
            let recorded = app.recorded.count();
            let (status, answer) = app.api(method, path, &stranger_key, body.clone()).await;
            assert!(
                status == 404 || status == 403,
                "{method} {path} answered {status} to another organisation: {answer}"
            );
            // Every attempt to change something reaches the one path, refused, as the
            // stranger's key's, from the interface it came through.
            if *method != "GET" {
                let changes = app.recorded.all();
                let refusal = changes[recorded..]
                    .iter()
                    .find(|change| {
                        change.actor
                            == Actor::ApiKey {
                                access_key: stranger_access_key.clone(),
                            }
                    })
                    .unwrap_or_else(|| panic!("{method} {path} recorded nothing"));
                assert!(
                    matches!(refusal.outcome, Outcome::Refused { .. }),
                    "{method} {path}: {refusal:?}"
                );
                let interface = if path.starts_with("/api/") {
                    Interface::ExtensionApi
                } else {
                    Interface::ScalewayApi
                };
                assert_eq!(refusal.source.interface, interface, "{method} {path}");
            }
        }
        // Lists show nothing of it.
        let (_, listed) = app
            .api("GET", &format!("{R}/clusters"), &stranger_key, None)
            .await;
        assert_eq!(listed["total_count"], 0, "{listed}");
        assert_eq!(
            snapshot(&app).await,
            before,
            "nothing changed through the REST API"
        );

        // Every console page, download and form, signed in as the other organisation.
        let stranger = session(&app, "mallory@example.com", "attacker", Role::Owner).await;
        let people_before = people(&app).await;
        let base = format!("/clusters/fr-par/{cluster_id}");
        for tab in [
            "",
            "/pools",
            "/nodes",
            "/storage",
            "/upgrade",
            "/upgrade?version=1.35.1",
            "/upgrade?rollback=cluster",
            "/maintenance",
            "/events",
            "/access",
            "/settings",
        ] {
            let (status, html) = console(&app, "GET", &format!("{base}{tab}"), &stranger, "").await;
            assert_eq!(status, 404, "{tab}");
            assert!(
                html.contains("Cluster not found") && !html.contains("victim-prod"),
                "{tab}: {html}"
            );
        }
        let (_, html) = console(&app, "GET", "/clusters", &stranger, "").await;
        assert!(!html.contains("victim-prod"), "{html}");
        let (project_id, organization_id): (String, String) =
            sqlx::query_as("SELECT id, organization_id FROM projects WHERE name = 'victim'")
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("project");
        let (_, html) = console(&app, "GET", "/settings", &stranger, "").await;
        assert!(!html.contains("victim"), "{html}");
        let members = format!("/settings/projects/{project_id}/members");
        let new_project = format!("organization_id={organization_id}&name=planted");
        let victim_key: String =
            sqlx::query_scalar("SELECT access_key FROM api_keys WHERE project_id = $1")
                .bind(&project_id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("key");
        let project_field = format!("project_id={project_id}&description=planted");
        let revoke_field = format!("project_id={project_id}&confirm=yes");
        let forms: Vec<(&str, String, &str)> = vec![
            ("GET", format!("{base}/kubeconfig"), ""),
            (
                "POST",
                format!("{base}/nodes/{node_id}"),
                "action=replace&confirm=yes",
            ),
            (
                "POST",
                format!("{base}/settings"),
                "name=owned&description=&tags=",
            ),
            (
                "POST",
                format!("{base}/pools"),
                "name=planted&node_type=pro2_xs&size=1",
            ),
            (
                "POST",
                format!("{base}/pools/{pool_id}"),
                "action=resize&size=5",
            ),
            (
                "POST",
                format!("{base}/upgrade"),
                "version=1.35.1&confirm_name=victim-prod&override_reason=mine",
            ),
            (
                "POST",
                format!("{base}/upgrade/control"),
                "action=abort&confirm=yes",
            ),
            (
                "POST",
                format!("{base}/rollback"),
                "scope=cluster&confirm_name=victim-prod&override_reason=mine",
            ),
            (
                "POST",
                format!("{base}/maintenance-window"),
                "day_monday=on&start_hour=3&duration_hours=2",
            ),
            (
                "POST",
                format!("{base}/pools/{pool_id}/lifespan"),
                "max_node_age_days=1",
            ),
            (
                "POST",
                format!("{base}/maintenance-exclusions"),
                "from=2030-01-01&until=2030-01-02&scope=no_upgrades",
            ),
            (
                "POST",
                format!("{base}/maintenance-exclusions/anything/delete"),
                "",
            ),
            ("POST", format!("{base}/auto-upgrade"), "enable=on"),
            (
                "POST",
                format!("{base}/pools/{pool_id}/autohealing"),
                "enabled=on&cap_percent=90",
            ),
            (
                "POST",
                format!("{base}/acl-rules"),
                "ip=203.0.113.0%2F24&description=planted",
            ),
            ("POST", format!("{base}/acl-rules/{acl_id}/delete"), ""),
            ("POST", format!("{base}/delete"), "confirm_name=victim-prod"),
            (
                "POST",
                format!("{base}/reset-admin-token"),
                "confirm_name=victim-prod",
            ),
            // The settings page's forms that name the project.
            (
                "POST",
                "/settings/api-keys".to_string(),
                project_field.as_str(),
            ),
            (
                "POST",
                format!("/settings/api-keys/{victim_key}/revoke"),
                revoke_field.as_str(),
            ),
            (
                "POST",
                members.clone(),
                "email=mallory%40example.com&role=owner",
            ),
            ("POST", format!("{members}/anyone/role"), "role=owner"),
            ("POST", format!("{members}/anyone/remove"), "confirm=yes"),
            (
                "POST",
                "/settings/projects".to_string(),
                new_project.as_str(),
            ),
        ];
        for (method, path, form) in &forms {
            let (status, _) = console(&app, method, path, &stranger, form).await;
            assert_eq!(status, 404, "{method} {path}");
        }
        let (status, _) = console(&app, "GET", &format!("{base}/live"), &stranger, "").await;
        assert_eq!(status, 404, "the cluster's live stream");
        let (status, _) = console(
            &app,
            "GET",
            &format!("{base}/maintenance.ics"),
            &stranger,
            "",
        )
        .await;
        assert_eq!(status, 404, "the maintenance timeline");
        let (status, _) = console(&app, "POST", "/clusters/new", &stranger,
            &format!("intent=create&project={project_id}&region=fr-par&name=planted&version=1.35.1&cni=cilium&type=kapsule&pools=1&pool1_name=p&pool1_node_type=pro2_xs&pool1_size=1&pool1_min_size=1&pool1_max_size=1")).await;
        assert_eq!(status, 303, "sent back to the form, refused");
        assert_eq!(
            snapshot(&app).await,
            before,
            "nothing changed through the console"
        );
        assert_eq!(
            people(&app).await,
            people_before,
            "no person, project, membership or key changed through the console"
        );

        // A viewer of the project sees it all and changes nothing.
        let viewer = session(&app, "vera@example.com", "victim", Role::Viewer).await;
        let people_before = people(&app).await;
        let (_, html) = console(&app, "GET", &base, &viewer, "").await;
        assert!(html.contains("victim-prod"), "{html}");
        for (method, path, form) in &forms[1..] {
            let (status, _) = console(&app, method, path, &viewer, form).await;
            assert_eq!(status, 303, "{method} {path}: refused with the reason");
        }
        assert_eq!(snapshot(&app).await, before, "a viewer changed nothing");
        assert_eq!(
            people(&app).await,
            people_before,
            "a viewer changed no person, project, membership or key"
        );
        let (status, ics) =
            console(&app, "GET", &format!("{base}/maintenance.ics"), &viewer, "").await;
        assert_eq!(status, 200, "a viewer may read the timeline");
        assert!(ics.contains("BEGIN:VCALENDAR"), "{ics}");
    }
);
