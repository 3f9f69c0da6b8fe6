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
use crate::support::{fixtures, read, TestApp};

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
        app.fixture_path(&fixtures()),
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
    let (path, form) = if method == "POST" {
        crate::forms::as_page_posts(path, form)
    } else {
        (path.to_string(), form.to_string())
    };
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:3000")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
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

        // Every console page, download and form, signed in as the other organisation. The lists
        // are the site map's (`app::routes`), so a new page or route is tried here too: each path
        // parameter is filled with the victim's object it names.
        use app::routes::{self, Kind, ServerRoute};
        let stranger = session(&app, "mallory@example.com", "attacker", Role::Owner).await;
        let people_before = people(&app).await;
        let (project_id, organization_id): (String, String) =
            sqlx::query_as("SELECT id, organization_id FROM projects WHERE name = 'victim'")
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("project");
        let victim_key: String =
            sqlx::query_scalar("SELECT access_key FROM api_keys WHERE project_id = $1")
                .bind(&project_id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("key");
        // The victim's firing alert and silence, for the alerts' forms.
        app.provisioning
            .set_component_health(
                &crate::support::operator(),
                &cluster_id,
                "kube-apiserver",
                "crash_loop",
            )
            .await
            .expect("fault");
        app.state.alerts().pass().await.expect("pass");
        app.clock.advance(chrono::Duration::minutes(2));
        app.state.alerts().pass().await.expect("pass");
        let alert_id: String =
            sqlx::query_scalar("SELECT id FROM alerts WHERE state = 'firing' AND cluster_id = $1")
                .bind(&cluster_id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("a firing alert of the victim");
        let silence_id = app
            .state
            .alerts()
            .silence(
                &wheelhouse::domain::model::Caller::job(&project_id, &organization_id, "test"),
                &wheelhouse::services::alerts::SilenceRequest {
                    severity: Some("info".into()),
                    reason: "the victim's".into(),
                    duration_hours: 24,
                    ..Default::default()
                },
            )
            .await
            .expect("silence")
            .id;
        let alert_form = format!("alert={alert_id}&note=mine&back=%2Falerts");
        let silence_form = format!(
            "project={project_id}&rule=&severity=critical&hours=2&reason=mine&back=%2Falerts"
        );
        let end_silence_form = format!("silence={silence_id}&back=%2Falerts");
        let untouched = || async {
            let acknowledged: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM alerts WHERE acknowledged_at IS NOT NULL")
                    .fetch_one(app.provisioning.database.pool())
                    .await
                    .expect("count");
            let silences: Vec<String> = sqlx::query_scalar(
                "SELECT id || CAST(expires_at AS TEXT) FROM alert_silences ORDER BY id",
            )
            .fetch_all(app.provisioning.database.pool())
            .await
            .expect("silences");
            (acknowledged, silences)
        };
        let alerts_before = untouched().await;
        assert_eq!(alerts_before.0, 0);
        assert_eq!(alerts_before.1.len(), 1);
        let victims = |parameter: &str| -> String {
            match parameter {
                "region" => "fr-par",
                "id" => cluster_id.as_str(),
                "node_id" => node_id.as_str(),
                "pool_id" | "pool" => pool_id.as_str(),
                "rule" => acl_id.as_str(),
                "exclusion" => "anything",
                "access_key" => victim_key.as_str(),
                "project" => project_id.as_str(),
                "member" => "anyone",
                "organization" => organization_id.as_str(),
                "seq" => "0",
                other => panic!("{{{other}}} is a new path parameter: name the victim's object"),
            }
            .to_string()
        };
        for page in routes::PAGES {
            if page.names_an_object() {
                // Not found, as if it did not exist (the upgrade wizard's steps too).
                let queries: &[&str] = if *page == routes::CLUSTER_UPGRADE {
                    &["", "?version=1.35.1", "?rollback=cluster"]
                } else {
                    &[""]
                };
                for query in queries {
                    let path = format!("{}{query}", page.url_by_name(victims));
                    let (status, html) = console(&app, "GET", &path, &stranger, "").await;
                    assert_eq!(status, 404, "{path}");
                    assert!(!html.contains("victim-prod"), "{path}: {html}");
                    if page.path.starts_with(routes::CLUSTER_OVERVIEW.path) {
                        assert!(html.contains("Cluster not found"), "{path}: {html}");
                    }
                }
            } else {
                // The pages of lists show nothing of it.
                let (_, html) = console(&app, "GET", page.path, &stranger, "").await;
                assert!(!html.contains("victim"), "{}: {html}", page.path);
            }
        }
        let new_project = format!("organization_id={organization_id}&name=planted");
        let project_field = format!("project_id={project_id}&description=planted");
        let revoke_field = format!("project_id={project_id}&confirm=yes");
        let new_cluster = format!("intent=create&project={project_id}&region=fr-par&name=planted&version=1.35.1&cni=cilium&type=kapsule&pools=1&pool1_name=p&pool1_node_type=pro2_xs&pool1_size=1&pool1_min_size=1&pool1_max_size=1");
        // What each server route is sent (a download or a stream: nothing); a route this does
        // not know fails the test until it says what another organisation would send it.
        let form_for = |route: ServerRoute| -> Option<String> {
            let form = match route {
                routes::KUBECONFIG
                | routes::MAINTENANCE_ICS
                | routes::CLUSTER_LIVE
                | routes::AUDIT_EXPORT => "",
                routes::SIGN_CHECKPOINT => "back=%2Faudit",
                routes::NODE_ACTION => "action=replace&confirm=yes",
                routes::SAVE_SETTINGS => "name=owned&description=&tags=",
                routes::ADD_POOL => "name=planted&node_type=pro2_xs&size=1",
                routes::POOL_ACTION => "action=resize&size=5",
                routes::START_UPGRADE => {
                    "version=1.35.1&confirm_name=victim-prod&override_reason=mine"
                }
                routes::CONTROL_UPGRADE => "action=abort&confirm=yes",
                routes::START_ROLLBACK => {
                    "scope=cluster&confirm_name=victim-prod&override_reason=mine"
                }
                routes::SAVE_WINDOW => "day_monday=on&start_hour=3&duration_hours=2",
                routes::SAVE_LIFESPAN => "max_node_age_days=1",
                routes::ADD_EXCLUSION => "from=2030-01-01&until=2030-01-02&scope=no_upgrades",
                routes::REMOVE_EXCLUSION => "",
                routes::SAVE_AUTO_UPGRADE => "enable=on",
                routes::SAVE_AUTOHEALING => "enabled=on&cap_percent=90",
                routes::ADD_ACL_RULE => "ip=203.0.113.0%2F24&description=planted",
                routes::DELETE_ACL_RULE => "",
                routes::DELETE_CLUSTER => "confirm_name=victim-prod",
                routes::RESET_ADMIN_TOKEN => "confirm_name=victim-prod",
                // The settings page's forms that name the project.
                routes::CREATE_API_KEY => project_field.as_str(),
                routes::REVOKE_API_KEY => revoke_field.as_str(),
                routes::ADD_MEMBER => "email=mallory%40example.com&role=owner",
                routes::CHANGE_MEMBER_ROLE => "role=owner",
                routes::REMOVE_MEMBER => "confirm=yes",
                routes::SET_AUDIT_VIEWERS => "allowed=yes",
                routes::CREATE_PROJECT => new_project.as_str(),
                routes::CREATE_CLUSTER => new_cluster.as_str(),
                // The alerts' forms name the alert, the project or the silence.
                routes::ACKNOWLEDGE_ALERT => alert_form.as_str(),
                routes::SILENCE_ALERTS => silence_form.as_str(),
                routes::END_SILENCE => end_silence_form.as_str(),
                routes::CHECK_ALERTS => "",
                // They name nothing of another's: the caller's own session, theme and password,
                // and the stream of the caller's own clusters (it never ends).
                routes::SET_THEME
                | routes::SIGN_IN
                | routes::SIGN_OUT
                | routes::CHANGE_PASSWORD
                | routes::CLUSTERS_LIVE
                // The installation's public key is everyone's to check checkpoints with.
                | routes::AUDIT_PUBLIC_KEY => return None,
                other => panic!(
                    "{} {} is not in this test: say what another organisation sends it",
                    other.method().as_str(),
                    other.axum_path
                ),
            };
            Some(form.to_string())
        };
        // A form names its object in hidden fields, as its page renders them.
        let hidden_for = |route: ServerRoute| -> Vec<(&str, String)> {
            let cluster = vec![("region", victims("region")), ("cluster", victims("id"))];
            let and = |name: &'static str, parameter: &str| {
                let mut fields = cluster.clone();
                fields.push((name, victims(parameter)));
                fields
            };
            match route {
                routes::NODE_ACTION => and("node", "node_id"),
                routes::POOL_ACTION | routes::SAVE_LIFESPAN | routes::SAVE_AUTOHEALING => {
                    and("pool", "pool")
                }
                routes::REMOVE_EXCLUSION => and("exclusion", "exclusion"),
                routes::DELETE_ACL_RULE => and("rule", "rule"),
                routes::REVOKE_API_KEY => vec![("access_key", victims("access_key"))],
                routes::SIGN_CHECKPOINT => vec![("organization", victims("organization"))],
                routes::ADD_MEMBER | routes::SET_AUDIT_VIEWERS => {
                    vec![("project_id", victims("project"))]
                }
                routes::CHANGE_MEMBER_ROLE | routes::REMOVE_MEMBER => vec![
                    ("project_id", victims("project")),
                    ("member", victims("member")),
                ],
                routes::CREATE_API_KEY
                | routes::CREATE_PROJECT
                | routes::CREATE_CLUSTER
                | routes::ACKNOWLEDGE_ALERT
                | routes::SILENCE_ALERTS
                | routes::END_SILENCE => vec![],
                route if route.kind == Kind::Form => cluster,
                _ => vec![],
            }
        };
        let forms: Vec<(ServerRoute, String, String)> = routes::SERVER_ROUTES
            .iter()
            .filter_map(|route| {
                let typed = form_for(*route)?;
                let mut body: Vec<String> = hidden_for(*route)
                    .into_iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                if !typed.is_empty() {
                    body.push(typed);
                }
                Some((*route, route.url_by_name(victims), body.join("&")))
            })
            .collect();
        for (route, path, form) in &forms {
            let method = route.method().as_str();
            let (status, _) = console(&app, method, path, &stranger, form).await;
            // A new cluster names the project in the form: sent back to the form, refused.
            let expected = if *route == routes::CREATE_CLUSTER {
                303
            } else {
                404
            };
            assert_eq!(status, expected, "{method} {path}");
        }
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
        let base = routes::cluster("fr-par", &cluster_id);
        let (_, html) = console(&app, "GET", &base, &viewer, "").await;
        assert!(html.contains("victim-prod"), "{html}");
        for (_, path, form) in forms.iter().filter(|(route, ..)| route.kind == Kind::Form) {
            let (status, _) = console(&app, "POST", path, &viewer, form).await;
            assert_eq!(status, 303, "POST {path}: refused with the reason");
        }
        assert_eq!(snapshot(&app).await, before, "a viewer changed nothing");
        assert_eq!(
            untouched().await,
            alerts_before,
            "no alert acknowledged, no silence made or ended by a stranger or a viewer"
        );
        assert_eq!(
            people(&app).await,
            people_before,
            "a viewer changed no person, project, membership or key"
        );
        let timeline = routes::cluster_route("fr-par", &cluster_id, routes::MAINTENANCE_ICS);
        let (status, ics) = console(&app, "GET", &timeline, &viewer, "").await;
        assert_eq!(status, 200, "a viewer may read the timeline");
        assert!(ics.contains("BEGIN:VCALENDAR"), "{ics}");
    }
);
