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
        assert!(html.contains(database.kind().label()));
    }
);

on_both_databases!(
    system_page_lists_the_applied_migrations,
    |database: Database| async move {
        let app = TestApp::new(database);
        app.clock.advance(chrono::Duration::minutes(90));
        let (response, html) = app.get("/system").await;
        assert_eq!(response.status(), StatusCode::OK);
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
        let request = Request::post("/preferences/theme")
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
        let request = Request::post("/preferences/theme")
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
        let (_, html) = app.get("/system").await;
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
        let (_, html) = app.get("/system").await;
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
        let (_, overview) = app.get("/").await;
        assert!(
            overview.contains("Sandbox provider: 1 cluster(s), 2 node(s)"),
            "{overview}"
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
            html.contains(&format!("acl-rules/{rule_id}/delete")),
            "{html}"
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
