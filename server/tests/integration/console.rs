//! The console pages as the server renders them: complete HTML without JavaScript, islands
//! marked for hydration, and the no-JavaScript theme form.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::{read, TestApp};

on_both_databases!(
    overview_renders_the_layout_and_the_service_status,
    |database: Database| async move {
        let app = TestApp::new(database.clone());
        let (response, html) = app.get("/").await;
        assert_eq!(response.status(), StatusCode::OK, "{html}");
        assert!(
            html.contains("<title>Overview · Wheelhouse</title>"),
            "{html}"
        );
        assert!(
            html.contains(r#"aria-label="Main""#),
            "navigation is rendered"
        );
        assert!(
            html.contains(r#"aria-current="page""#),
            "the current page is marked"
        );
        assert!(
            html.contains("<leptos-island"),
            "the theme toggle is an island"
        );
        assert!(html.contains("Who manages what"));
        assert!(
            html.contains("Operational"),
            "the database answered: {html}"
        );
        assert!(
            !html.contains(database.kind().label()) && !html.contains("Sandbox provider"),
            "the public overview tells whether the service answers, not its inside: {html}"
        );
        assert!(
            !html.contains("/provider/system"),
            "the system page is offered to operators only"
        );
    }
);

on_both_databases!(
    the_system_page_is_for_the_providers_operators_only,
    |database: Database| async move {
        let app = TestApp::new(database);
        let (response, _) = app.get("/provider/system").await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "signed out: sign in first"
        );
        let member = crate::authorization::session(
            &app,
            "mia@example.com",
            "shop",
            wheelhouse::services::identity::Role::Owner,
        )
        .await;
        let (status, html) = system_page(&app, &member).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
        assert!(!html.contains("projects and api keys") && !html.contains("Sandbox provider"));
        assert!(
            !html.contains("/provider/system"),
            "no navigation entry for members"
        );
        let operator = crate::authorization::operator_session(&app, "op@example.com", "ops").await;
        let (status, html) = system_page(&app, &operator).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("projects and api keys"), "{html}");
        assert!(
            html.contains(r#"href="/provider/system""#),
            "operators see the entry"
        );
    }
);

/// The system page as the person of this session sees it.
async fn system_page(app: &TestApp, cookie: &str) -> (StatusCode, String) {
    let request = Request::get("/provider/system")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    let (response, html) = read(app.send(request).await).await;
    (response.status(), html)
}

on_both_databases!(
    system_page_lists_the_applied_migrations,
    |database: Database| async move {
        let app = TestApp::new(database);
        app.clock.advance(chrono::Duration::minutes(90));
        let operator = crate::authorization::operator_session(&app, "op@example.com", "ops").await;
        let (status, html) = system_page(&app, &operator).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("projects and api keys"),
            "migration 1 is listed: {html}"
        );
        assert!(html.contains("1 h 30 min"), "uptime follows the clock");
        assert!(html.contains("Reachable"));
    }
);

on_both_databases!(
    unknown_pages_are_404_with_the_console_frame,
    |database: Database| async move {
        let app = TestApp::new(database);
        let (response, html) = app.get("/no-such-page/at-all").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(html.contains("This page does not exist"));
        assert!(html.contains(r#"aria-label="Main""#));
    }
);

on_both_databases!(
    the_theme_form_sets_a_cookie_and_returns_to_the_page,
    |database: Database| async move {
        let app = TestApp::new(database);
        let request = Request::post(app::routes::SET_THEME.axum_path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::REFERER, "http://127.0.0.1:3000/system")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("theme=dark"))
            .expect("request");
        let (response, _) = read(app.send(request).await).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[header::LOCATION], "/system");
        let cookie = response.headers()[header::SET_COOKIE]
            .to_str()
            .expect("ascii");
        assert!(cookie.starts_with("wh_theme=dark;"), "{cookie}");

        // The next page is rendered dark on the server: no flash, no JavaScript needed.
        let request = Request::get("/")
            .header(header::COOKIE, "wh_theme=dark")
            .body(Body::empty())
            .expect("request");
        let (_, html) = read(app.send(request).await).await;
        assert!(html.contains(r#"data-theme="dark""#), "{html}");
    }
);

on_both_databases!(
    an_unknown_theme_is_refused_and_sets_nothing,
    |database: Database| async move {
        let app = TestApp::new(database);
        let request = Request::post(app::routes::SET_THEME.axum_path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("theme=purple"))
            .expect("request");
        let (response, body) = read(app.send(request).await).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(body.contains("unknown theme `purple`"), "{body}");
        assert!(response.headers().get(header::SET_COOKIE).is_none());
    }
);

on_both_databases!(
    system_page_summarises_the_provider_without_tenant_details,
    |database: Database| async move {
        let app = TestApp::new(database);
        let operator = crate::authorization::operator_session(&app, "op@example.com", "ops").await;
        let (_, html) = system_page(&app, &operator).await;
        assert!(html.contains("Sandbox provider"), "{html}");
        assert!(html.contains("None yet."), "no cluster yet");

        let token = app.api_key("tenant-a").await;
        let (status, _) = app
        .api(
            "POST",
            "/k8s/v1/regions/fr-par/clusters",
            &token,
            Some(serde_json::json!({ "name": "secret-project-name", "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "p", "node_type": "pro2_xs", "size": 2 }] })),
        )
        .await;
        assert_eq!(status, 200);
        app.run_until_idle().await;
        let (_, html) = system_page(&app, &operator).await;
        assert!(
            html.contains("Clusters (1)") && html.contains("1 ready"),
            "{html}"
        );
        assert!(
            html.contains("Nodes (2)") && html.contains("2 ready"),
            "{html}"
        );
        assert!(
            html.contains("0 operation(s) in progress, 0 failed"),
            "{html}"
        );
        assert!(
            !html.contains("secret-project-name"),
            "counts only, no tenant's details"
        );
    }
);

on_both_databases!(
    acl_rules_are_added_and_deleted_from_the_access_tab_without_javascript,
    |database: Database| async move {
        let app = TestApp::new(database);
        let key = app.api_key("shop").await;
        let (cluster_id, _) =
            crate::scaleway_api::ready_cluster(&app, &key, "shop-prod", "1.35.1", 1).await;
        let cookie = crate::authorization::session(
            &app,
            "olga@example.com",
            "shop",
            wheelhouse::services::identity::Role::Owner,
        )
        .await;
        let access = format!("/clusters/fr-par/{cluster_id}/access");
        let post = |path: String, form: &'static str| {
            let (app, cookie) = (&app, cookie.clone());
            async move {
                let (path, form) = crate::forms::as_page_posts(&path, form);
                let request = Request::post(path)
                    .header("host", "127.0.0.1:3000")
                    .header("cookie", cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form))
                    .expect("request");
                let response = app.send(request).await;
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .map(|value| value.to_str().expect("location").to_string());
                (response.status(), location.unwrap_or_default())
            }
        };
        let rules = || async {
            let (_, rules) = app
                .api(
                    "GET",
                    &format!("/k8s/v1/regions/fr-par/clusters/{cluster_id}/acls"),
                    &key,
                    None,
                )
                .await;
            rules["rules"].as_array().expect("rules").clone()
        };

        // Not an IP range: back beside the form with the reason and what was typed; nothing added.
        let (status, back) = post(
            format!("/clusters/fr-par/{cluster_id}/acl-rules"),
            "ip=the+office&description=hq",
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(back.starts_with(&access), "{back}");
        assert!(back.contains("problem=invalid"), "{back}");
        assert!(rules().await.is_empty());
        let (status, html) = crate::authorization::console(&app, "GET", &back, &cookie, "").await;
        assert_eq!(status, 200);
        assert!(html.contains("data-testid=\"problem-acl\""), "{html}");
        assert!(html.contains("is not an IP range"), "{html}");
        assert!(
            html.contains("value=\"the office\""),
            "what was typed stays: {html}"
        );

        // A range: added, listed on the tab with its delete button.
        let (status, back) = post(
            format!("/clusters/fr-par/{cluster_id}/acl-rules"),
            "ip=203.0.113.0%2F24&description=office",
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(back.contains("notice=acl-added"), "{back}");
        let listed = rules().await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0]["ip"], "203.0.113.0/24");
        assert_eq!(listed[0]["description"], "office");
        let rule_id = listed[0]["id"].as_str().expect("id").to_string();
        let (_, html) = crate::authorization::console(&app, "GET", &access, &cookie, "").await;
        assert!(html.contains("203.0.113.0/24"), "{html}");
        assert!(
            html.contains(app::routes::DELETE_ACL_RULE.axum_path)
                && html.contains(&format!("name=\"rule\" value=\"{rule_id}\"")),
            "its delete form names it: {html}"
        );

        // Another cluster's rule id, or none: 404, nothing deleted.
        let (status, _) = post(
            format!("/clusters/fr-par/{cluster_id}/acl-rules/not-a-rule/delete"),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(rules().await.len(), 1);
        let (status, back) = post(
            format!("/clusters/fr-par/{cluster_id}/acl-rules/{rule_id}/delete"),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(back.contains("notice=acl-deleted"), "{back}");
        assert!(rules().await.is_empty());
    }
);

/// Posts a console form as the holder of `cookie`: the status and where it sends the browser.
async fn post_form(app: &TestApp, path: &str, cookie: &str, form: &str) -> (StatusCode, String) {
    let (path, form) = crate::forms::as_page_posts(path, form);
    let request = Request::post(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .expect("request");
    let response = app.send(request).await;
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().expect("location").to_string())
        .unwrap_or_default();
    (response.status(), location)
}

/// The create form's page at `location` (its `#fragment` is the browser's, not the server's).
async fn create_page(app: &TestApp, location: &str, cookie: &str) -> String {
    let path = location.split('#').next().unwrap_or_default();
    let (status, html) = crate::authorization::console(app, "GET", path, cookie, "").await;
    assert_eq!(status, 200, "{html}");
    html
}

/// The create form with two pools: `web` (2 × pro2_s, 14-day lifespan, autohealing) and
/// `second` as given (a query fragment of pool 2's fields).
fn two_pools(project_id: &str, intent: &str, second: &str) -> String {
    format!(
        "intent={intent}&project={project_id}&region=fr-par&name=two-pools&version=1.35.1&cni=cilium&type=kapsule\
         &pools=2&pool1_name=web&pool1_node_type=pro2_s&pool1_size=2&pool1_min_size=1&pool1_max_size=5\
         &pool1_autohealing=yes&pool1_lifespan=14&{second}"
    )
}

async fn clusters_made(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM clusters")
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("count")
}

on_both_databases!(
    the_create_form_adds_a_pool_and_makes_both_with_their_settings_and_lifespans,
    |database: Database| async move {
        let app = TestApp::new(database);
        let key = app.api_key("shop").await;
        let cookie = crate::authorization::session(
            &app,
            "cara@example.com",
            "shop",
            wheelhouse::services::identity::Role::Owner,
        )
        .await;
        let project_id: String = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'shop'")
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("project");

        // A first visit: one pool, which cannot be removed, with the recommended lifespan.
        let html = create_page(&app, "/clusters/new", &cookie).await;
        assert!(
            html.contains("<legend") && html.contains("Pool 1"),
            "{html}"
        );
        assert!(
            !html.contains("Pool 2") && !html.contains("Remove pool"),
            "{html}"
        );
        assert!(html.contains(r#"name="pool1_lifespan""#) && html.contains(r#"value="30""#));

        // "Add a pool" keeps what was typed in pool 1 and adds pool 2, pre-filled.
        let (status, location) = post_form(
            &app,
            "/clusters/new",
            &cookie,
            &format!(
                "intent=add-pool&project={project_id}&region=fr-par&name=two-pools&version=1.35.1&cni=cilium&type=kapsule\
                 &pools=1&pool1_name=web&pool1_node_type=pro2_s&pool1_size=2&pool1_min_size=1&pool1_max_size=5\
                 &pool1_autohealing=yes&pool1_lifespan=14"
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.ends_with("#pool-2"), "{location}");
        assert_eq!(
            clusters_made(&app).await,
            0,
            "adding a pool creates nothing"
        );
        let html = create_page(&app, &location, &cookie).await;
        assert!(
            html.contains("Pool 2") && html.contains("Remove pool 2"),
            "{html}"
        );
        assert!(html.contains(r#"value="web""#) && html.contains(r#"value="two-pools""#));
        assert!(html.contains(r#"name="pool2_name""#) && html.contains(r#"value="pool-2""#));
        assert!(
            html.contains(r#"id="pool2_lifespan" name="pool2_lifespan" type="number" min="1" max="365" value="30""#),
            "a new pool gets the recommended lifespan: {html}"
        );
        // The estimate counts both pools: 2 × pro2_s (0.18/h) and 3 × pro2_xs (0.09/h).
        let both = format!(
            "about {:.2} EUR per month",
            (0.18 * 2.0 + 0.09 * 3.0) * 730.0
        );
        assert!(html.contains(&both), "estimate {both}: {html}");
        assert!(html.contains("× 730 h"), "it says how it is made: {html}");

        // Removing pool 1 keeps pool 2 (now pool 1); removing the last one is refused.
        let (_, location) = post_form(
            &app,
            "/clusters/new",
            &cookie,
            &two_pools(
                &project_id,
                "remove-pool-1",
                "pool2_name=batch&pool2_node_type=pro2_xs&pool2_size=1",
            ),
        )
        .await;
        assert!(location.contains("pools=1&pool1_name=batch"), "{location}");
        let (_, location) = post_form(
            &app,
            "/clusters/new",
            &cookie,
            "intent=remove-pool-1&pools=1&pool1_name=batch",
        )
        .await;
        assert!(location.contains("field=pools"), "{location}");

        // Create: both pools, each with its settings and lifespan.
        let (status, location) = post_form(
            &app,
            "/clusters/new",
            &cookie,
            &two_pools(
                &project_id,
                "create",
                "pool2_name=batch&pool2_node_type=pro2_xs&pool2_size=1&pool2_autoscaling=yes&pool2_min_size=1&pool2_max_size=4&pool2_lifespan=",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            location.starts_with("/clusters/fr-par/"),
            "to the new cluster: {location}"
        );
        let id = location.trim_start_matches("/clusters/fr-par/").to_string();
        let (_, pools) = app
            .api(
                "GET",
                &format!("/k8s/v1/regions/fr-par/clusters/{id}/pools"),
                &key,
                None,
            )
            .await;
        let pools = pools["pools"].as_array().expect("pools").clone();
        assert_eq!(pools.len(), 2, "{pools:?}");
        let pool = |name: &str| {
            pools
                .iter()
                .find(|pool| pool["name"] == name)
                .unwrap_or_else(|| panic!("pool {name} in {pools:?}"))
                .clone()
        };
        let (web, batch) = (pool("web"), pool("batch"));
        assert_eq!(
            web["node_type"].as_str().map(str::to_lowercase).as_deref(),
            Some("pro2_s")
        );
        assert_eq!(
            (
                web["size"].clone(),
                web["autoscaling"].clone(),
                web["autohealing"].clone()
            ),
            (
                serde_json::json!(2),
                serde_json::json!(false),
                serde_json::json!(true)
            )
        );
        assert_eq!(
            batch["node_type"]
                .as_str()
                .map(str::to_lowercase)
                .as_deref(),
            Some("pro2_xs")
        );
        assert_eq!(
            (
                batch["autoscaling"].clone(),
                batch["min_size"].clone(),
                batch["max_size"].clone(),
                batch["autohealing"].clone()
            ),
            (
                serde_json::json!(true),
                serde_json::json!(1),
                serde_json::json!(4),
                serde_json::json!(false)
            )
        );
        let (status, report) = app
            .api(
                "GET",
                &format!("/api/v1/regions/fr-par/clusters/{id}/freshness"),
                &key,
                None,
            )
            .await;
        assert_eq!(status, 200, "{report}");
        let lifespans: Vec<(String, serde_json::Value)> = report["pools"]
            .as_array()
            .expect("pools")
            .iter()
            .map(|p| {
                (
                    p["pool_name"].as_str().unwrap_or_default().to_string(),
                    p["max_node_age_days"].clone(),
                )
            })
            .collect();
        assert!(
            lifespans.contains(&("web".to_string(), serde_json::json!(14))),
            "{lifespans:?}"
        );
        assert!(
            lifespans.contains(&("batch".to_string(), serde_json::Value::Null)),
            "{lifespans:?}"
        );
        app.run_until_idle().await;
        let (_, html) =
            crate::authorization::console(&app, "GET", &format!("{location}/pools"), &cookie, "")
                .await;
        assert!(
            html.contains("web") && html.contains("batch"),
            "both on the pools tab: {html}"
        );
    }
);

on_both_databases!(
    a_refused_pool_is_named_beside_its_own_field_with_everything_kept_and_nothing_made,
    |database: Database| async move {
        let app = TestApp::new(database);
        let cookie = crate::authorization::session(
            &app,
            "dora@example.com",
            "shop",
            wheelhouse::services::identity::Role::Owner,
        )
        .await;
        let project_id: String = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'shop'")
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("project");
        let refused =
            |second: &'static str, field: &'static str, kept: &'static str, why: &'static str| {
                let (app, cookie, project_id) = (&app, cookie.clone(), project_id.clone());
                async move {
                    let (status, location) = post_form(
                        app,
                        "/clusters/new",
                        &cookie,
                        &two_pools(&project_id, "create", second),
                    )
                    .await;
                    assert_eq!(status, StatusCode::SEE_OTHER);
                    assert!(
                        location.contains(&format!("field={field}&")),
                        "{field}: {location}"
                    );
                    let html = create_page(app, &location, &cookie).await;
                    assert!(
                        html.contains(&format!(r#"data-testid="problem-{field}""#)),
                        "{field}: {html}"
                    );
                    assert!(html.contains(why), "{field} says why: {html}");
                    assert!(
                        html.contains(&format!(r#"aria-describedby="{field}-problem""#)),
                        "the message describes its control: {html}"
                    );
                    assert!(html.contains(kept), "what was typed stays ({kept}): {html}");
                    assert!(
                        html.contains(r#"value="web""#)
                            && html.contains(r#"value="14""#)
                            && html.contains(r#"value="two-pools""#),
                        "pool 1 and the cluster stay as typed: {html}"
                    );
                    assert_eq!(clusters_made(app).await, 0, "{field}: nothing made");
                }
            };
        // A name pool 1 already has.
        refused(
            "pool2_name=web&pool2_node_type=pro2_xs&pool2_size=1",
            "pool2_name",
            "Remove pool 2",
            "already named",
        )
        .await;
        // Not a number (the console's own check).
        refused(
            "pool2_name=batch&pool2_node_type=pro2_xs&pool2_size=lots",
            "pool2_size",
            r#"value="lots""#,
            "is not a whole number",
        )
        .await;
        // "At least" above "at most".
        refused(
            "pool2_name=batch&pool2_node_type=pro2_xs&pool2_size=1&pool2_autoscaling=yes&pool2_min_size=6&pool2_max_size=2",
            "pool2_max_size",
            r#"value="6""#,
            "must be at least",
        )
        .await;
        // The provider's own checks, mapped to pool 2: a size it refuses, an unknown node type.
        refused(
            "pool2_name=batch&pool2_node_type=pro2_xs&pool2_size=0",
            "pool2_size",
            r#"value="batch""#,
            "at least one node",
        )
        .await;
        refused(
            "pool2_name=batch&pool2_node_type=pro9_huge&pool2_size=1",
            "pool2_node_type",
            r#"value="pro9_huge""#,
            "unknown node type",
        )
        .await;
        // A lifespan out of range.
        refused(
            "pool2_name=batch&pool2_node_type=pro2_xs&pool2_size=1&pool2_lifespan=400",
            "pool2_lifespan",
            r#"value="400""#,
            "1 to 365 days",
        )
        .await;

        // Past the limit, "Add a pool" is refused with the reason.
        let mut form = format!("intent=add-pool&project={project_id}&pools=10");
        for number in 1..=10 {
            form.push_str(&format!(
                "&pool{number}_name=p{number}&pool{number}_size=1&pool{number}_node_type=pro2_xs"
            ));
        }
        let (_, location) = post_form(&app, "/clusters/new", &cookie, &form).await;
        assert!(
            location.contains("field=pools&") && location.contains("pools=10&"),
            "{location}"
        );
        let html = create_page(&app, &location, &cookie).await;
        assert!(
            html.contains(r#"data-testid="problem-pools""#) && html.contains("at most 10 pools"),
            "{html}"
        );
        assert!(
            html.contains(r#"value="p10""#) && !html.contains("Pool 11"),
            "{html}"
        );
    }
);

on_both_databases!(
    a_refused_field_is_marked_invalid_and_described_by_its_message,
    |database: Database| async move {
        use app::routes;
        let app = TestApp::new(database);
        let key = app.api_key("shop").await;
        let (cluster_id, _) =
            crate::scaleway_api::ready_cluster(&app, &key, "shop-prod", "1.35.1", 1).await;
        let cookie = crate::authorization::session(
            &app,
            "rita@example.com",
            "shop",
            wheelhouse::services::identity::Role::Owner,
        )
        .await;
        let project_id: String = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'shop'")
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("project");
        let refused = |path: String, form: String| {
            let (app, cookie) = (&app, cookie.clone());
            async move {
                let (status, back) = post_form(app, &path, &cookie, &form).await;
                assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
                assert!(back.contains("problem=invalid"), "{back}");
                create_page(app, &back, &cookie).await
            }
        };

        // The create form: pool 2's size, a select of pool 2 and a field of the cluster.
        let html = refused(
            routes::CREATE_CLUSTER.axum_path.to_string(),
            two_pools(
                &project_id,
                "create",
                "pool2_name=batch&pool2_node_type=pro2_xs&pool2_size=lots",
            ),
        )
        .await;
        assert_refused(
            &html,
            "pool2_size",
            "pool2_size-problem",
            "is not a whole number",
        );
        for fine in ["pool2_name", "pool2_node_type", "name", "version"] {
            assert_not_refused(&html, fine);
        }

        // A cluster's settings: the name.
        let html = refused(
            format!("/clusters/fr-par/{cluster_id}/settings"),
            "was_name=shop-prod&was_description=&was_tags=&name=no+spaces+allowed&description=&tags="
                .to_string(),
        )
        .await;
        assert_refused(&html, "name", "name-problem", "a cluster name is");
        assert_not_refused(&html, "description");

        // The maintenance window: its duration, not its start.
        let html = refused(
            format!("/clusters/fr-par/{cluster_id}/maintenance-window"),
            "day_monday=on&start_hour=3&duration_hours=1".to_string(),
        )
        .await;
        assert_refused(&html, "duration", "duration-problem", "2 to 24 hours");
        assert_not_refused(&html, "start-hour");
    }
);

/// The opening tag of the form control (input or select) whose id is `id`.
fn control<'a>(html: &'a str, id: &str) -> &'a str {
    let needle = format!(r#" id="{id}""#);
    html.match_indices(&needle)
        .find_map(|(at, _)| {
            let start = html[..at].rfind('<')?;
            let end = at + html[at..].find('>')?;
            let tag = &html[start..=end];
            (tag.starts_with("<input") || tag.starts_with("<select")).then_some(tag)
        })
        .unwrap_or_else(|| panic!("no control with the id {id}: {html}"))
}

/// The control `id` is marked invalid and described by the message `message_id`, which says
/// `why`.
fn assert_refused(html: &str, id: &str, message_id: &str, why: &str) {
    let tag = control(html, id);
    assert!(
        tag.contains(r#"aria-invalid="true""#),
        "{id} is marked invalid: {tag}"
    );
    assert!(
        tag.contains(&format!(r#"aria-describedby="{message_id}""#)),
        "{id} is described by its message: {tag}"
    );
    let message = html
        .split(&format!(r#" id="{message_id}""#))
        .nth(1)
        .unwrap_or_else(|| panic!("no message {message_id}: {html}"));
    let message = &message[..message.find("</p>").unwrap_or(message.len())];
    assert!(
        message.contains(why),
        "{message_id} says why ({why}): {message}"
    );
}

/// The control `id` was not refused: neither marked invalid nor described by a message.
fn assert_not_refused(html: &str, id: &str) {
    let tag = control(html, id);
    assert!(
        !tag.contains("aria-invalid") && !tag.contains("-problem"),
        "{id} was not refused: {tag}"
    );
}

/// The site map and `App` agree: every page of `app::routes::PAGES` is a route of `App` (whose
/// `path!`s must be literals), and `App` has no other.
#[tokio::test]
async fn every_page_of_the_site_map_is_a_route_of_app_and_no_other() {
    let served: std::collections::BTreeSet<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|route| route.path().to_string())
        .collect();
    let listed: std::collections::BTreeSet<String> = app::routes::PAGES
        .iter()
        .map(|page| page.path.to_string())
        .collect();
    assert_eq!(served, listed);
}

/// Every server route of the site map is answered by its handler, with its method: not by the
/// router's fallback (this page does not exist) nor with 405 Method Not Allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_route_of_the_site_map_is_routed() {
    use app::routes::{self, Kind};
    let test_database = crate::support::TestDatabase::sqlite().await;
    let app = TestApp::new(test_database.database.clone());
    let key = app.api_key("team").await;
    let (cluster_id, pool_id) =
        crate::scaleway_api::ready_cluster(&app, &key, "routed", "1.35.1", 1).await;
    let (_, nodes) = app
        .api(
            "GET",
            &format!("/k8s/v1/regions/fr-par/clusters/{cluster_id}/nodes"),
            &key,
            None,
        )
        .await;
    let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
    let cookie = crate::authorization::session(
        &app,
        "owner@example.com",
        "team",
        wheelhouse::services::identity::Role::Owner,
    )
    .await;
    let project_id: String = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'team'")
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("project");
    let value = |parameter: &str| match parameter {
        "region" => "fr-par".to_string(),
        "id" => cluster_id.clone(),
        "node_id" => node_id.clone(),
        "pool_id" | "pool" => pool_id.clone(),
        "project" => project_id.clone(),
        _ => "anything".to_string(),
    };
    let request = |method: &str, path: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::empty())
            .expect("request")
    };
    let is_fallback = |status: StatusCode, body: &str| {
        status == StatusCode::METHOD_NOT_ALLOWED
            || (status == StatusCode::NOT_FOUND && body.contains("This page does not exist"))
    };
    let unknown = format!("{}/no-such-form", routes::cluster("fr-par", &cluster_id));
    let (response, body) = read(app.send(request("POST", &unknown)).await).await;
    assert!(is_fallback(response.status(), &body), "{body}");

    // Signing out last: it ends the session the others use.
    let mut server_routes = routes::SERVER_ROUTES.to_vec();
    server_routes.sort_by_key(|route| *route == routes::SIGN_OUT);
    for route in server_routes {
        let (method, path) = (route.method().as_str(), route.url_by_name(value));
        let response = app.send(request(method, &path)).await;
        if route.kind == Kind::Stream {
            // A stream never ends: its head is enough.
            assert_eq!(response.status(), StatusCode::OK, "{method} {path}");
            continue;
        }
        let (response, body) = read(response).await;
        assert!(
            !is_fallback(response.status(), &body),
            "{method} {path} is not routed: {} {body}",
            response.status()
        );
    }
    test_database.cleanup().await;
}
