//! Signing in to the console: passwords (argon2id), sessions in the database, rate limits, the
//! same-site check, and a dashboard that shows each person only their projects' clusters.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use wheelhouse::domain::change::{Actor, ChangeContext, Interface, Source};
use wheelhouse::services::identity::{self, NewUser, Role};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::{fixtures, read, TestApp};

const R: &str = "/k8s/v1/regions/fr-par";
pub(crate) const PASSWORD: &str = "a long enough password";

pub(crate) async fn person(app: &TestApp, email: &str, project: &str) {
    identity::create_user(
        &app.provisioning.database,
        app.state.ids.as_ref(),
        &app.clock,
        app.fixture_path(&fixtures()),
        NewUser {
            email,
            password: PASSWORD,
            project_name: project,
            role: Role::Owner,
            is_operator: false,
        },
    )
    .await
    .expect("user");
}

/// Posts the sign-in form; returns (status, Location, Set-Cookie).
pub(crate) async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    origin: Option<&str>,
) -> (u16, String, String) {
    let mut request = Request::post(app::routes::SIGN_IN.axum_path)
        .header("host", "127.0.0.1:3000")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let body = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let (response, _) = read(
        app.send(request.body(Body::from(body)).expect("request"))
            .await,
    )
    .await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    (
        response.status().as_u16(),
        header("location"),
        header("set-cookie"),
    )
}

pub(crate) async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (u16, String, String) {
    let mut request = Request::get(path).header("host", "127.0.0.1:3000");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let (response, body) = read(
        app.send(request.body(Body::empty()).expect("request"))
            .await,
    )
    .await;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (response.status().as_u16(), location, body)
}

pub(crate) fn session_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_string()
}

on_both_databases!(
    people_sign_in_and_see_only_their_projects_clusters,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("team-a").await;
        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                "name": "team-a-prod", "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 2 }] })),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        app.run_until_idle().await;
        person(&app, "ada@example.com", "team-a").await;
        person(&app, "bob@example.com", "team-b").await;

        // Signed out: the dashboard sends the browser to the sign-in form.
        let (status, location, _) = page(&app, "/clusters", None).await;
        assert!((300..400).contains(&status), "{status}");
        assert_eq!(location, "/login?error=required");

        let (status, location, cookie) =
            sign_in(&app, "ada@example.com", "wrong password!", None).await;
        assert_eq!(status, 303);
        assert_eq!(
            location, "/login?error=credentials&email=ada%40example.com",
            "the email typed is kept"
        );
        assert!(cookie.is_empty());

        let (status, location, cookie) = sign_in(&app, "Ada@Example.com", PASSWORD, None).await;
        assert_eq!((status, location.as_str()), (303, "/clusters"));
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let ada = session_of(&cookie);
        let (status, _, html) = page(&app, "/clusters", Some(&ada)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("team-a-prod") && html.contains("ada@example.com"),
            "{html}"
        );
        assert!(html.contains("2 of 2"), "ready/total nodes: {html}");
        assert!(
            html.contains("Supported"),
            "the version's lifecycle: {html}"
        );

        // Another organisation's person sees none of it.
        let (_, _, cookie) = sign_in(&app, "bob@example.com", PASSWORD, None).await;
        let (status, _, html) = page(&app, "/clusters", Some(&session_of(&cookie))).await;
        assert_eq!(status, 200);
        assert!(!html.contains("team-a-prod"), "{html}");
        assert!(html.contains("No clusters yet"), "{html}");

        // Another site cannot post the form (nor anything else that changes state).
        let (status, _, cookie) = sign_in(
            &app,
            "ada@example.com",
            PASSWORD,
            Some("http://evil.example"),
        )
        .await;
        assert_eq!(status, 403);
        assert!(cookie.is_empty());

        // Signing out ends the session on the server, not only in the browser.
        let request = Request::post(app::routes::SIGN_OUT.axum_path)
            .header("host", "127.0.0.1:3000")
            .header("cookie", &ada)
            .body(Body::empty())
            .expect("request");
        let (response, _) = read(app.send(request).await).await;
        assert_eq!(response.status(), 303);
        let (status, location, _) = page(&app, "/clusters", Some(&ada)).await;
        assert!(
            (300..400).contains(&status) && location.starts_with("/login"),
            "{status} {location}"
        );
    }
);

on_both_databases!(
    repeated_failures_throttle_sign_in,
    |database: Database| async move {
        let app = TestApp::new(database);
        person(&app, "eve@example.com", "team-e").await;
        for _ in 0..identity::MAX_FAILURES {
            let (_, location, _) = sign_in(&app, "eve@example.com", "not the password", None).await;
            assert!(
                location.starts_with("/login?error=credentials"),
                "{location}"
            );
        }
        let (status, location, cookie) = sign_in(&app, "eve@example.com", PASSWORD, None).await;
        assert_eq!((status, location.as_str()), (303, "/login?error=throttled"));
        assert!(cookie.is_empty(), "even the right password waits");
        app.clock.advance(chrono::Duration::minutes(
            identity::THROTTLE_WINDOW_MINUTES + 1,
        ));
        let (_, location, cookie) = sign_in(&app, "eve@example.com", PASSWORD, None).await;
        assert_eq!(location, "/clusters");
        assert!(!cookie.is_empty());

        // A reset password ends every session.
        let ada = session_of(&cookie);
        identity::reset_password(
            &app.provisioning.database,
            app.state.ids.as_ref(),
            &app.clock,
            app.fixture_path(&fixtures()),
            "eve@example.com",
        )
        .await
        .expect("reset");
        let (_, location, _) = page(&app, "/clusters", Some(&ada)).await;
        assert!(location.starts_with("/login"), "{location}");
    }
);

async fn post_form(app: &TestApp, path: &str, cookie: &str, body: &str) -> (u16, String) {
    let (path, body) = crate::forms::as_page_posts(path, body);
    let request = Request::post(path)
        .header("host", "127.0.0.1:3000")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (response, _) = read(app.send(request).await).await;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (response.status().as_u16(), location)
}

on_both_databases!(
    a_cluster_has_a_page_per_tab_and_node_actions_for_its_owners_only,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("team-c").await;
        let (status, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                "name": "detail-prod", "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "workers", "node_type": "PRO2-XS", "size": 2,
                            "upgrade_policy": { "max_surge": 1, "max_unavailable": 0 } }] })),
            )
            .await;
        assert_eq!(status, 200, "{cluster}");
        app.run_until_idle().await;
        let id = cluster["id"].as_str().expect("id").to_string();
        person(&app, "cyd@example.com", "team-c").await;
        identity::create_user(
            &app.provisioning.database,
            app.state.ids.as_ref(),
            &app.clock,
            app.fixture_path(&fixtures()),
            NewUser {
                email: "val@example.com",
                password: PASSWORD,
                project_name: "team-c",
                role: Role::Viewer,
                is_operator: false,
            },
        )
        .await
        .expect("viewer");
        person(&app, "zed@example.com", "team-z").await;
        let (_, _, cookie) = sign_in(&app, "cyd@example.com", PASSWORD, None).await;
        let cyd = session_of(&cookie);
        let base = format!("/clusters/fr-par/{id}");

        for (tab, expected) in [
            (
                "",
                vec![
                    "detail-prod",
                    "Who manages what",
                    "kube-apiserver",
                    "Provider",
                    "1.35.1",
                ],
            ),
            ("/pools", vec!["workers", "pro2_xs"]),
            (
                "/nodes",
                vec!["scw-detail-prod-workers", "Reboot or replace"],
            ),
            ("/storage", vec!["Persistent volumes", "Load balancers"]),
            ("/events", vec!["ClusterCreating", "NodeReady"]),
            ("/access", vec!["Download kubeconfig"]),
        ] {
            let (status, _, html) = page(&app, &format!("{base}{tab}"), Some(&cyd)).await;
            assert_eq!(status, 200, "{tab}");
            for text in expected {
                assert!(html.contains(text), "{tab} shows {text}: {html}");
            }
        }
        let (status, _, yaml) = page(&app, &format!("{base}/kubeconfig"), Some(&cyd)).await;
        assert_eq!(status, 200);
        assert!(
            yaml.contains("kind: Config") && yaml.contains("token:"),
            "{yaml}"
        );

        // Node actions: a confirmation first, then the node reboots.
        let (_, nodes) = app
            .api("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
            .await;
        let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
        let action = format!("{base}/nodes/{node_id}");
        let (status, location) = post_form(&app, &action, &cyd, "action=reboot").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{base}/nodes?problem=confirm").as_str())
        );
        let (status, location) = post_form(&app, &action, &cyd, "action=reboot&confirm=yes").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{base}/nodes?notice=rebooting").as_str())
        );
        let (_, node) = app
            .api("GET", &format!("{R}/nodes/{node_id}"), &token, None)
            .await;
        assert_eq!(node["status"], "rebooting");
        let (status, location) = post_form(&app, &action, &cyd, "action=replace&confirm=yes").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{base}/nodes?problem=busy").as_str())
        );

        // A viewer looks but does not act.
        let (_, _, cookie) = sign_in(&app, "val@example.com", PASSWORD, None).await;
        let val = session_of(&cookie);
        let (status, _, html) = page(&app, &format!("{base}/nodes"), Some(&val)).await;
        assert_eq!(status, 200);
        assert!(
            !html.contains("Reboot or replace"),
            "no actions for viewers"
        );
        let (status, location) = post_form(&app, &action, &val, "action=reboot&confirm=yes").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{base}/nodes?problem=forbidden").as_str())
        );

        // A pool is added from the pools tab; a bad name is refused with its reason and
        // what was typed; a viewer is refused.
        let pools = format!("{base}/pools");
        let (status, location) = post_form(
            &app,
            &pools,
            &cyd,
            "name=bad%21name&node_type=pro2_xs&size=1",
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            location.starts_with(&format!("{pools}?problem=invalid&message="))
                && location.contains("name=bad%21name"),
            "{location}"
        );
        let (status, location) =
            post_form(&app, &pools, &cyd, "name=extra&node_type=pro2_xs&size=two").await;
        assert_eq!(status, 303);
        assert!(location.contains("problem=invalid"), "{location}");
        let (status, location) = post_form(
            &app,
            &pools,
            &cyd,
            "name=extra&node_type=pro2_xs&size=1&autohealing=yes",
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{pools}?notice=pool-added").as_str())
        );
        let (_, listed) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        let extra = listed["pools"]
            .as_array()
            .expect("pools")
            .iter()
            .find(|p| p["name"] == "extra")
            .expect("the new pool is listed");
        assert_eq!(
            (extra["size"].as_i64(), extra["autohealing"].as_bool()),
            (Some(1), Some(true))
        );
        let (_, _, html) = page(&app, &pools, Some(&cyd)).await;
        assert!(html.contains("extra"), "{html}");

        // Resize and delete it from the same tab, once it has settled.
        app.run_until_idle().await;
        let extra_id = extra["id"].as_str().expect("pool id").to_string();
        let pool_action = format!("{pools}/{extra_id}");
        let (status, location) =
            post_form(&app, &pool_action, &cyd, "action=resize&size=lots").await;
        assert_eq!(status, 303);
        assert!(
            location.contains("problem=invalid") && location.ends_with(&format!("pool={extra_id}")),
            "{location}"
        );
        let (status, location) = post_form(&app, &pool_action, &cyd, "action=resize&size=3").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{pools}?notice=resized").as_str())
        );
        let (_, resized) = app
            .api("GET", &format!("{R}/pools/{extra_id}"), &token, None)
            .await;
        assert_eq!(resized["size"], 3);
        app.run_until_idle().await;
        let (status, location) = post_form(
            &app,
            &pool_action,
            &cyd,
            "action=delete&confirm_name=workers",
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{pools}?problem=typed-pool-name").as_str())
        );
        let (status, location) =
            post_form(&app, &pool_action, &cyd, "action=delete&confirm_name=extra").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{pools}?notice=pool-deleting").as_str())
        );
        let (status, location) =
            post_form(&app, &pools, &val, "name=sneaky&node_type=pro2_xs&size=1").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{pools}?problem=forbidden").as_str())
        );

        // Another organisation: not found, by page, download or action.
        let (_, _, cookie) = sign_in(&app, "zed@example.com", PASSWORD, None).await;
        let zed = session_of(&cookie);
        let (_, _, html) = page(&app, &base, Some(&zed)).await;
        assert!(
            html.contains("Cluster not found") && !html.contains("kube-apiserver"),
            "{html}"
        );
        let (status, _, _) = page(&app, &format!("{base}/kubeconfig"), Some(&zed)).await;
        assert_eq!(status, 404);
        let (status, _) = post_form(&app, &action, &zed, "action=replace&confirm=yes").await;
        assert_eq!(status, 404);
        app.run_until_idle().await;
    }
);

on_both_databases!(
    settings_keep_what_was_typed_and_destructive_actions_need_the_name,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("team-s").await;
        let (_, cluster) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({
                "name": "settings-prod", "version": "1.35.1", "cni": "cilium",
                "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 1 }] })),
            )
            .await;
        app.run_until_idle().await;
        let id = cluster["id"].as_str().expect("id").to_string();
        person(&app, "sam@example.com", "team-s").await;
        let (_, _, cookie) = sign_in(&app, "sam@example.com", PASSWORD, None).await;
        let sam = session_of(&cookie);
        let base = format!("/clusters/fr-par/{id}");

        // A refused name comes back beside its field, with everything typed kept.
        let (status, location) = post_form(
            &app,
            &format!("{base}/settings"),
            &sam,
            "name=bad+name&description=kept+text&tags=a%2C+b",
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            location.starts_with(&format!("{base}/settings?problem=invalid&field=name")),
            "{location}"
        );
        let (_, _, html) = page(&app, &location, Some(&sam)).await;
        assert!(
            html.contains(r#"value="bad name""#) && html.contains(r#"value="kept text""#),
            "{html}"
        );
        assert!(
            html.contains("a cluster name is"),
            "the reason beside the field: {html}"
        );
        let (_, unchanged) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(unchanged["name"], "settings-prod", "nothing was saved");

        let (status, location) = post_form(
            &app,
            &format!("{base}/settings"),
            &sam,
            "name=settings-renamed&description=the+shop&tags=prod%2C+eu",
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{base}/settings?notice=saved").as_str())
        );
        let (_, saved) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(saved["name"], "settings-renamed");
        assert_eq!(saved["tags"], json!(["prod", "eu"]));

        // A form opened before someone else renamed the cluster saves only what was changed in
        // it: their name stays. Changing the same field as they did is refused, keeping both.
        let path = format!("{R}/clusters/{id}");
        let rename =
            |name: &'static str| app.api("PATCH", &path, &token, Some(json!({ "name": name })));
        assert_eq!(rename("renamed-elsewhere").await.0, 200);
        let opened = "was_name=settings-renamed&was_description=the+shop&was_tags=prod%2C+eu";
        let settings = format!("{base}/settings");
        let (status, location) = post_form(
            &app,
            &settings,
            &sam,
            &format!("{opened}&name=settings-renamed&description=new+words&tags=prod%2C+eu"),
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{settings}?notice=saved").as_str())
        );
        let (_, merged) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(
            (merged["name"].as_str(), merged["description"].as_str()),
            (Some("renamed-elsewhere"), Some("new words"))
        );
        let (status, location) = post_form(
            &app,
            &settings,
            &sam,
            &format!("{opened}&name=mine&description=new+words&tags=prod%2C+eu"),
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            location.contains("problem=invalid&field=name")
                && location.contains("&name=mine")
                && location.contains("was_name=settings-renamed"),
            "{location}"
        );
        let (_, _, html) = page(&app, &location, Some(&sam)).await;
        assert!(html.contains("someone else changed this"), "{html}");
        assert!(
            html.contains(r#"value="mine""#),
            "what was typed is kept: {html}"
        );
        let (_, kept) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(kept["name"], "renamed-elsewhere", "nothing was saved");
        assert_eq!(rename("settings-renamed").await.0, 200);

        // The admin token resets only with the name typed.
        let before: String = sqlx::query_scalar("SELECT admin_token FROM clusters WHERE id = $1")
            .bind(&id)
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("token");
        let (_, location) = post_form(
            &app,
            &format!("{base}/reset-admin-token"),
            &sam,
            "confirm_name=nope",
        )
        .await;
        assert!(location.ends_with("problem=typed-name"), "{location}");
        let (_, location) = post_form(
            &app,
            &format!("{base}/reset-admin-token"),
            &sam,
            "confirm_name=settings-renamed",
        )
        .await;
        assert!(
            location.ends_with("/access?notice=token-reset"),
            "{location}"
        );
        let after: String = sqlx::query_scalar("SELECT admin_token FROM clusters WHERE id = $1")
            .bind(&id)
            .fetch_one(app.provisioning.database.pool())
            .await
            .expect("token");
        assert_ne!(before, after);

        // Deletion too.
        let (_, location) = post_form(
            &app,
            &format!("{base}/delete"),
            &sam,
            "confirm_name=settings-prod",
        )
        .await;
        assert!(
            location.ends_with("problem=typed-name"),
            "the old name does not count: {location}"
        );
        let (_, location) = post_form(
            &app,
            &format!("{base}/delete"),
            &sam,
            "confirm_name=settings-renamed&with_additional_resources=yes",
        )
        .await;
        assert_eq!(location, "/clusters?notice=deleting");
        app.run_until_idle().await;
        let (status, _) = app
            .api("GET", &format!("{R}/clusters/{id}"), &token, None)
            .await;
        assert_eq!(status, 404);
    }
);

on_both_databases!(
    the_create_form_estimates_keeps_what_was_typed_and_creates,
    |database: Database| async move {
        let app = TestApp::new(database);
        person(&app, "wes@example.com", "team-w").await;
        let (_, _, cookie) = sign_in(&app, "wes@example.com", PASSWORD, None).await;
        let wes = session_of(&cookie);
        let project_id: String =
            sqlx::query_scalar("SELECT id FROM projects WHERE name = 'team-w'")
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("project");

        let (status, _, html) = page(&app, "/clusters/new", Some(&wes)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Estimated cost") && html.contains("per month"),
            "{html}"
        );
        assert!(
            html.contains("not Scaleway"),
            "the price list says whose it is: {html}"
        );
        assert!(
            !html.contains(r#"value="1.32.11""#),
            "deprecated versions are not offered"
        );

        let form = |intent: &str, name: &str, size: &str| {
            format!("intent={intent}&project={project_id}&region=fr-par&name={name}&version=1.35.1&cni=cilium&type=kapsule-dedicated-4&pools=1&pool1_name=default&pool1_node_type=pro2_xs&pool1_size={size}&pool1_min_size=1&pool1_max_size=5&pool1_autohealing=yes")
        };
        // The estimate: 4 nodes of pro2_xs (0.09/h) and a dedicated control plane (0.101/h).
        let (status, location) =
            post_form(&app, "/clusters/new", &wes, &form("estimate", "", "4")).await;
        assert_eq!(status, 303);
        let (_, _, html) = page(&app, &location, Some(&wes)).await;
        let expected = format!("{:.2}", (0.09 * 4.0 + 0.101) * 730.0);
        assert!(html.contains(&expected), "estimate {expected}: {html}");
        assert!(html.contains(r#"value="4""#), "the size typed is kept");

        // A refused name comes back beside its field.
        let (_, location) = post_form(
            &app,
            "/clusters/new",
            &wes,
            &form("create", "bad%20name", "2"),
        )
        .await;
        assert!(location.contains("field=name"), "{location}");
        let (_, _, html) = page(&app, &location, Some(&wes)).await;
        assert!(
            html.contains(r#"value="bad name""#) && html.contains("problem-name"),
            "{html}"
        );

        let (status, location) = post_form(
            &app,
            "/clusters/new",
            &wes,
            &form("create", "made-here", "2"),
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            location.starts_with("/clusters/fr-par/"),
            "to the new cluster: {location}"
        );
        let (_, _, html) = page(&app, &location, Some(&wes)).await;
        assert!(
            html.contains("made-here") && html.contains("kapsule-dedicated-4"),
            "{html}"
        );

        // Not in a project where one is only a viewer.
        identity::create_user(
            &app.provisioning.database,
            app.state.ids.as_ref(),
            &app.clock,
            app.fixture_path(&fixtures()),
            NewUser {
                email: "vic@example.com",
                password: PASSWORD,
                project_name: "team-w",
                role: Role::Viewer,
                is_operator: false,
            },
        )
        .await
        .expect("viewer");
        let (_, _, cookie) = sign_in(&app, "vic@example.com", PASSWORD, None).await;
        let (_, location) = post_form(
            &app,
            "/clusters/new",
            &session_of(&cookie),
            &form("create", "not-mine", "1"),
        )
        .await;
        assert!(location.contains("field=project"), "{location}");
    }
);

on_both_databases!(
    the_dashboard_stream_sends_the_clusters_state_at_once,
    |database: Database| async move {
        let app = TestApp::new(database);
        let (_, id, session) = member_with_cluster(&app, "liv@example.com", "team-l").await;
        let mut body = open_stream(&app, "/clusters/events", &session).await;
        let text = next_event(&mut body).await;
        assert!(text.contains(&format!("data: {id}|ready|2|2")), "{text}");
    }
);

/// A project with a ready two-node cluster (made through the API) and a signed-in member:
/// (API token, cluster id, session cookie).
async fn member_with_cluster(
    app: &TestApp,
    email: &str,
    project: &str,
) -> (String, String, String) {
    let token = app.api_key(project).await;
    let (_, cluster) = app
        .api(
            "POST",
            &format!("{R}/clusters"),
            &token,
            Some(json!({
            "name": "live", "version": "1.35.1", "cni": "cilium",
            "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 2 }] })),
        )
        .await;
    app.run_until_idle().await;
    let id = cluster["id"].as_str().expect("id").to_string();
    person(app, email, project).await;
    let (_, _, cookie) = sign_in(app, email, PASSWORD, None).await;
    (token, id, session_of(&cookie))
}

/// A console event stream: signed out it sends to the sign-in page; signed in it is a
/// Server-Sent Events response, whose body is returned.
async fn open_stream(app: &TestApp, path: &str, session: &str) -> Body {
    let (status, location, _) = page(app, path, None).await;
    assert!(
        (300..400).contains(&status) && location.starts_with("/login"),
        "signed out: {status}"
    );
    let response = app
        .send(
            Request::get(path)
                .header("host", "127.0.0.1:3000")
                .header("cookie", session)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/event-stream"));
    response.into_body()
}

on_both_databases!(
    api_keys_are_made_shown_once_and_revoked_from_the_console,
    |database: Database| async move {
        let app = TestApp::new(database);
        person(&app, "kim@example.com", "team-k").await;
        person(&app, "lou@example.com", "team-l2").await;
        let (_, _, cookie) = sign_in(&app, "kim@example.com", PASSWORD, None).await;
        let kim = session_of(&cookie);
        let project_id: String =
            sqlx::query_scalar("SELECT id FROM projects WHERE name = 'team-k'")
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("project");

        let (status, location) = post_form(
            &app,
            "/settings/api-keys",
            &kim,
            &format!("project_id={project_id}&description=ci"),
        )
        .await;
        assert_eq!(status, 303);
        assert!(location.starts_with("/settings?shown="), "{location}");
        let (_, _, html) = page(&app, &location, Some(&kim)).await;
        let secret = html
            .split(r#"data-testid="new-secret-key""#)
            .nth(1)
            .and_then(|rest| rest.split_once('>'))
            .and_then(|(_, rest)| rest.split('<').next())
            .expect("the secret is shown")
            .to_string();
        assert_eq!(secret.len(), 36, "{secret}");
        let (_, _, again) = page(&app, &location, Some(&kim)).await;
        assert!(!again.contains(&secret), "shown once only");

        // The key works on the REST API, until it is revoked.
        let (status, _) = app
            .api("GET", &format!("{R}/clusters"), &secret, None)
            .await;
        assert_eq!(status, 200);
        let access_key: String = sqlx::query_scalar(
            "SELECT access_key FROM api_keys WHERE project_id = $1 AND description = 'ci'",
        )
        .bind(&project_id)
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("key");
        // Another organisation can neither make nor revoke keys in this project.
        let (_, _, cookie) = sign_in(&app, "lou@example.com", PASSWORD, None).await;
        let lou = session_of(&cookie);
        let (status, _) = post_form(
            &app,
            "/settings/api-keys",
            &lou,
            &format!("project_id={project_id}&description=x"),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = post_form(
            &app,
            &format!("/settings/api-keys/{access_key}/revoke"),
            &lou,
            &format!("project_id={project_id}&confirm=yes"),
        )
        .await;
        assert_eq!(status, 404);

        let (_, location) = post_form(
            &app,
            &format!("/settings/api-keys/{access_key}/revoke"),
            &kim,
            &format!("project_id={project_id}"),
        )
        .await;
        assert_eq!(location, "/settings?problem=confirm");
        let (_, location) = post_form(
            &app,
            &format!("/settings/api-keys/{access_key}/revoke"),
            &kim,
            &format!("project_id={project_id}&confirm=yes"),
        )
        .await;
        assert_eq!(location, "/settings?notice=revoked");
        let (status, _) = app
            .api("GET", &format!("{R}/clusters"), &secret, None)
            .await;
        assert_eq!(status, 401, "a revoked key is refused");

        // The password: both new ones must match; then every session ends.
        let (_, location) = post_form(
            &app,
            "/settings/password",
            &kim,
            "current=a+long+enough+password&new=another+long+password&again=different+long+one",
        )
        .await;
        assert_eq!(location, "/settings?problem=password-mismatch");
        let (_, location) = post_form(
            &app,
            "/settings/password",
            &kim,
            "current=a+long+enough+password&new=another+long+password&again=another+long+password",
        )
        .await;
        assert_eq!(location, "/login?error=changed");
        let (_, location, _) = page(&app, "/settings", Some(&kim)).await;
        assert!(location.starts_with("/login"), "{location}");
        let (_, location, _) =
            sign_in(&app, "kim@example.com", "another long password", None).await;
        assert_eq!(location, "/clusters");
    }
);

on_both_databases!(
    the_dashboard_filters_pages_and_charts_the_clusters,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("team-f").await;
        for index in 0..21 {
            let version = if index == 0 { "1.34.2" } else { "1.35.1" };
            let (status, body) = app
                .api("POST", &format!("{R}/clusters"), &token, Some(json!({
                    "name": format!("fleet-{index:02}"), "version": version, "cni": "cilium", "pools": [] })))
                .await;
            assert_eq!(status, 200, "{body}");
        }
        app.run_until_idle().await;
        person(&app, "fay@example.com", "team-f").await;
        let (_, _, cookie) = sign_in(&app, "fay@example.com", PASSWORD, None).await;
        let fay = session_of(&cookie);

        let (_, _, html) = page(&app, "/clusters", Some(&fay)).await;
        assert!(
            html.contains("Page 1 of 2"),
            "21 clusters, 20 a page: {html}"
        );
        assert_eq!(html.matches(r#"data-testid="cluster-row""#).count(), 20);
        assert!(
            html.contains("Versions in use: 1.35.1: 20 clusters, 1.34.2: 1 cluster\""),
            "{html}"
        );
        let (_, _, html) = page(&app, "/clusters?page=2", Some(&fay)).await;
        assert_eq!(html.matches(r#"data-testid="cluster-row""#).count(), 1);
        let (_, _, html) = page(&app, "/clusters?version=1.34.2", Some(&fay)).await;
        assert_eq!(html.matches(r#"data-testid="cluster-row""#).count(), 1);
        assert!(
            html.contains("fleet-00") && !html.contains("fleet-01"),
            "{html}"
        );
        let (_, _, html) = page(&app, "/clusters?status=deleting", Some(&fay)).await;
        assert!(html.contains("No cluster matches these filters"), "{html}");
    }
);

// ---- members and projects, managed by owners from the settings page --------------------------

/// A person acting from the console.
fn in_console(user_id: &str, email: &str) -> ChangeContext {
    ChangeContext::new(
        Actor::Person {
            user_id: user_id.to_string(),
            email: email.to_string(),
        },
        Source::of(Interface::Console),
    )
}

pub(crate) async fn someone(app: &TestApp, email: &str, project: &str, role: Role) {
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
            is_operator: false,
        },
    )
    .await
    .expect("user");
}

pub(crate) async fn signed_in(app: &TestApp, email: &str) -> String {
    let (status, _, cookie) = sign_in(app, email, PASSWORD, None).await;
    assert_eq!(status, 303, "{email} signs in");
    session_of(&cookie)
}

async fn project_id(app: &TestApp, name: &str) -> String {
    sqlx::query_scalar("SELECT id FROM projects WHERE name = $1")
        .bind(name)
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("project")
}

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("user")
}

/// The project's members as "email:role", by email.
async fn members_of(app: &TestApp, project: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT u.email || ':' || m.role FROM memberships m JOIN users u ON u.id = m.user_id \
         JOIN projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY u.email",
    )
    .bind(project)
    .fetch_all(app.provisioning.database.pool())
    .await
    .expect("members")
}

/// Everyone, every project and every membership, as one text.
async fn people(app: &TestApp) -> String {
    let pool = app.provisioning.database.pool();
    let mut text = String::new();
    for sql in [
        "SELECT id || email || password_hash FROM users ORDER BY id",
        "SELECT id || organization_id || name FROM projects ORDER BY id",
        "SELECT user_id || project_id || role FROM memberships ORDER BY user_id, project_id",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.expect(sql);
        text.push_str(&rows.join("\n"));
        text.push('\n');
    }
    text
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

on_both_databases!(
    owners_add_change_and_remove_members_and_a_project_keeps_an_owner,
    |database: Database| async move {
        let app = TestApp::new(database);
        person(&app, "olga@example.com", "team-m").await;
        // Someone with an account already, in another organisation.
        person(&app, "ed@example.com", "team-elsewhere").await;
        let olga = signed_in(&app, "olga@example.com").await;
        let project = project_id(&app, "team-m").await;
        let members = format!("/settings/projects/{project}/members");

        let (status, _, html) = page(&app, "/settings", Some(&olga)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Members of team-m")
                && html.contains(r#"data-testid="you""#)
                && html.contains("Add the member"),
            "{html}"
        );

        // An existing account is added as it is: no password is made.
        let (status, location) =
            post_form(&app, &members, &olga, "email=Ed%40Example.com&role=editor").await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/settings?notice=member-added")
        );
        assert_eq!(
            members_of(&app, "team-m").await,
            vec!["ed@example.com:editor", "olga@example.com:owner"]
        );
        let (_, _, cookie) = sign_in(&app, "ed@example.com", PASSWORD, None).await;
        let (_, _, html) = page(&app, "/settings", Some(&session_of(&cookie))).await;
        assert!(
            html.contains("Members of team-m") && html.contains("olga@example.com"),
            "the old password still works and the project is theirs to see: {html}"
        );

        // Twice is refused beside the email, with what was typed kept; nothing changes.
        let before = people(&app).await;
        let (status, location) =
            post_form(&app, &members, &olga, "email=ed%40example.com&role=viewer").await;
        assert_eq!(status, 303);
        assert!(
            location.starts_with("/settings?problem=invalid&field=email&message=")
                && location.contains(&format!("project={project}"))
                && location.contains("email=ed%40example.com")
                && location.contains("role=viewer"),
            "{location}"
        );
        let (_, _, html) = page(&app, &location, Some(&olga)).await;
        assert!(
            html.contains("is already a member of this project")
                && html.contains(r#"value="ed@example.com""#),
            "{html}"
        );
        assert_eq!(people(&app).await, before, "a duplicate changes nothing");
        // The reason is sealed for Olga's session: words put in the address by anyone else,
        // or her address opened in another session, show no refusal (what was typed stays).
        let (message, _) = location
            .split_once("message=")
            .and_then(|(_, rest)| rest.split_once('&'))
            .expect("a message and its seal");
        let forged = location.replace(message, "Your+account+is+locked%3A+call+0800");
        let (status, to, _) = page(&app, &forged, Some(&olga)).await;
        assert_eq!(status, 303, "{forged}");
        assert!(
            to.starts_with("/settings?") && !to.contains("problem") && !to.contains("message"),
            "{to}"
        );
        assert!(to.contains("email=ed%40example.com"), "{to}");
        let (_, _, html) = page(&app, &to, Some(&olga)).await;
        assert!(!html.contains("locked"), "{html}");
        let (status, to, _) = page(&app, &location, Some(&session_of(&cookie))).await;
        assert_eq!(status, 303);
        assert!(!to.contains("message"), "another session: {to}");

        // A bad email and an unknown role come back beside their fields.
        let (_, location) =
            post_form(&app, &members, &olga, "email=not-an-email&role=viewer").await;
        assert!(location.contains("field=email"), "{location}");
        let (_, _, html) = page(&app, &location, Some(&olga)).await;
        assert!(
            html.contains(r#"value="not-an-email""#) && html.contains("is not an email address"),
            "{html}"
        );
        let (_, location) =
            post_form(&app, &members, &olga, "email=new%40example.com&role=admin").await;
        assert!(
            location.contains("field=role") && location.contains("email=new%40example.com"),
            "{location}"
        );
        let (_, _, html) = page(&app, &location, Some(&olga)).await;
        assert!(html.contains("a role is owner, editor or viewer"), "{html}");
        assert_eq!(people(&app).await, before, "refused forms change nothing");

        // Someone new gets an account; its password is shown once, never in a URL.
        let (status, location) = post_form(
            &app,
            &members,
            &olga,
            "email=newbie%40example.com&role=viewer",
        )
        .await;
        assert_eq!(status, 303);
        assert!(location.starts_with("/settings?shown="), "{location}");
        let (_, _, html) = page(&app, &location, Some(&olga)).await;
        let password = html
            .split(r#"data-testid="new-member-password""#)
            .nth(1)
            .and_then(|rest| rest.split_once('>'))
            .and_then(|(_, rest)| rest.split('<').next())
            .expect("the password is shown")
            .to_string();
        assert!(password.len() >= 12, "{password}");
        assert!(!location.contains(&password));
        assert!(html.contains("no mail server"), "{html}");
        let (_, _, again) = page(&app, &location, Some(&olga)).await;
        assert!(!again.contains(&password), "shown once only");
        let (status, location, cookie) = sign_in(&app, "newbie@example.com", &password, None).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/clusters"),
            "the password works"
        );
        let newbie = session_of(&cookie);
        let (_, _, html) = page(&app, "/settings", Some(&newbie)).await;
        assert!(
            html.contains("Members of team-m")
                && html.contains("olga@example.com")
                && !html.contains("Add the member")
                && !html.contains("Change role"),
            "a viewer sees the members, read-only: {html}"
        );

        // Roles change.
        let ed = user_id(&app, "ed@example.com").await;
        let (_, location) =
            post_form(&app, &format!("{members}/{ed}/role"), &olga, "role=viewer").await;
        assert_eq!(location, "/settings?notice=role-changed");
        let (_, location) =
            post_form(&app, &format!("{members}/{ed}/role"), &olga, "role=boss").await;
        assert!(
            location.contains("field=role") && location.contains(&format!("member={ed}")),
            "{location}"
        );
        assert_eq!(
            members_of(&app, "team-m").await,
            vec![
                "ed@example.com:viewer",
                "newbie@example.com:viewer",
                "olga@example.com:owner"
            ]
        );

        // The last owner can be neither demoted nor removed.
        let olga_id = user_id(&app, "olga@example.com").await;
        let before = people(&app).await;
        let (_, location) = post_form(
            &app,
            &format!("{members}/{olga_id}/role"),
            &olga,
            "role=editor",
        )
        .await;
        assert_eq!(location, "/settings?problem=last-owner");
        let (_, location) = post_form(
            &app,
            &format!("{members}/{olga_id}/remove"),
            &olga,
            "confirm=yes",
        )
        .await;
        assert_eq!(location, "/settings?problem=last-owner");
        let (_, _, html) = page(&app, &location, Some(&olga)).await;
        assert!(html.contains("keeps at least one owner"), "{html}");
        assert_eq!(people(&app).await, before, "the last owner stays");

        // With a second owner, the first may step down; removal needs the box ticked.
        let (_, location) =
            post_form(&app, &format!("{members}/{ed}/role"), &olga, "role=owner").await;
        assert_eq!(location, "/settings?notice=role-changed");
        let (_, location) = post_form(&app, &format!("{members}/{ed}/remove"), &olga, "").await;
        assert_eq!(location, "/settings?problem=confirm");
        assert!(members_of(&app, "team-m")
            .await
            .contains(&"ed@example.com:owner".to_string()));
        let newbie_id = user_id(&app, "newbie@example.com").await;
        let (_, location) = post_form(
            &app,
            &format!("{members}/{newbie_id}/remove"),
            &olga,
            "confirm=yes",
        )
        .await;
        assert_eq!(location, "/settings?notice=member-removed");
        let (_, _, html) = page(&app, "/settings", Some(&newbie)).await;
        assert!(
            !html.contains("team-m"),
            "a removed member no longer sees the project: {html}"
        );
        let (_, location) = post_form(
            &app,
            &format!("{members}/{newbie_id}/remove"),
            &olga,
            "confirm=yes",
        )
        .await;
        assert_eq!(location, "/settings?problem=unknown-member");
        let (_, location) = post_form(
            &app,
            &format!("{members}/{olga_id}/role"),
            &olga,
            "role=editor",
        )
        .await;
        assert_eq!(location, "/settings?notice=role-changed");
        assert_eq!(
            members_of(&app, "team-m").await,
            vec!["ed@example.com:owner", "olga@example.com:editor"]
        );
        // Now an editor, she manages members no more.
        let (_, location) =
            post_form(&app, &format!("{members}/{ed}/role"), &olga, "role=viewer").await;
        assert_eq!(location, "/settings?problem=owners-only");
    }
);

on_both_databases!(
    editors_viewers_and_strangers_change_no_members,
    |database: Database| async move {
        let app = TestApp::new(database);
        person(&app, "olga@example.com", "team-v").await;
        someone(&app, "eli@example.com", "team-v", Role::Editor).await;
        someone(&app, "val@example.com", "team-v", Role::Viewer).await;
        person(&app, "zed@example.com", "team-z").await;
        let project = project_id(&app, "team-v").await;
        let organization: String =
            sqlx::query_scalar("SELECT organization_id FROM projects WHERE id = $1")
                .bind(&project)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("organization");
        let olga = user_id(&app, "olga@example.com").await;
        let val = user_id(&app, "val@example.com").await;
        let members = format!("/settings/projects/{project}/members");
        let forms = [
            (
                members.clone(),
                "email=planted%40example.com&role=owner".to_string(),
            ),
            (
                members.clone(),
                "email=zed%40example.com&role=owner".to_string(),
            ),
            (format!("{members}/{val}/role"), "role=owner".to_string()),
            (format!("{members}/{olga}/role"), "role=viewer".to_string()),
            (
                format!("{members}/{olga}/remove"),
                "confirm=yes".to_string(),
            ),
            (format!("{members}/{val}/remove"), "confirm=yes".to_string()),
            (
                "/settings/projects".to_string(),
                format!("organization_id={organization}&name=planted"),
            ),
        ];
        let before = people(&app).await;

        for email in ["eli@example.com", "val@example.com"] {
            let cookie = signed_in(&app, email).await;
            let (_, _, html) = page(&app, "/settings", Some(&cookie)).await;
            assert!(
                html.contains("Members of team-v")
                    && html.contains("olga@example.com")
                    && html.contains("owners add members, change their roles or remove them")
                    && !html.contains("Add the member")
                    && !html.contains("Change role")
                    && !html.contains("Create the project"),
                "{email} sees the members read-only: {html}"
            );
            for (path, form) in &forms {
                let (status, location) = post_form(&app, path, &cookie, form).await;
                assert_eq!(
                    (status, location.as_str()),
                    (303, "/settings?problem=owners-only"),
                    "{email}: POST {path} {form}"
                );
            }
        }
        assert_eq!(
            people(&app).await,
            before,
            "editors and viewers changed nothing"
        );

        // Another organisation's owner: not found, whatever the form.
        let zed = signed_in(&app, "zed@example.com").await;
        let (_, _, html) = page(&app, "/settings", Some(&zed)).await;
        assert!(
            !html.contains("team-v") && !html.contains("olga@example.com"),
            "{html}"
        );
        for (path, form) in &forms {
            let (status, _) = post_form(&app, path, &zed, form).await;
            assert_eq!(status, 404, "zed: POST {path} {form}");
        }
        // Nor through a project that does not exist.
        let (status, _) = post_form(
            &app,
            "/settings/projects/no-such-project/members",
            &zed,
            "email=x%40example.com&role=owner",
        )
        .await;
        assert_eq!(status, 404);
        // Nor from another site, even with an owner's session.
        let owner = signed_in(&app, "olga@example.com").await;
        let (members, form) =
            crate::forms::as_page_posts(&members, "email=planted%40example.com&role=owner");
        let request = Request::post(members)
            .header("host", "127.0.0.1:3000")
            .header("origin", "http://evil.example")
            .header("cookie", &owner)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("request");
        let (response, _) = read(app.send(request).await).await;
        assert_eq!(response.status(), 403);
        assert_eq!(people(&app).await, before, "strangers changed nothing");
    }
);

on_both_databases!(
    owners_create_projects_in_their_organization,
    |database: Database| async move {
        let app = TestApp::new(database);
        person(&app, "olga@example.com", "team-p").await;
        someone(&app, "val@example.com", "team-p", Role::Viewer).await;
        person(&app, "zed@example.com", "team-z").await;
        let organization: String =
            sqlx::query_scalar("SELECT organization_id FROM projects WHERE name = 'team-p'")
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("organization");
        let olga = signed_in(&app, "olga@example.com").await;
        let (_, _, html) = page(&app, "/settings", Some(&olga)).await;
        assert!(html.contains("Create the project"), "{html}");

        let create = |name: &str| format!("organization_id={organization}&name={}", encoded(name));
        let (status, location) = post_form(
            &app,
            "/settings/projects",
            &olga,
            &create(" team-p staging_2 "),
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/settings?notice=project-created")
        );
        let (new_organization, role): (String, String) = sqlx::query_as(
            "SELECT p.organization_id, m.role FROM projects p JOIN memberships m ON m.project_id = p.id \
             WHERE p.name = 'team-p staging_2'",
        )
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("the new project, trimmed");
        assert_eq!(
            (new_organization.as_str(), role.as_str()),
            (organization.as_str(), "owner")
        );
        let (_, _, html) = page(&app, "/settings", Some(&olga)).await;
        assert!(html.contains("Members of team-p staging_2"), "{html}");
        let (_, _, html) = page(&app, "/clusters/new", Some(&olga)).await;
        assert!(
            html.contains(">team-p staging_2<"),
            "the create-cluster form offers it: {html}"
        );

        // Names: unique, 1 to 64 letters, digits, spaces, - and _.
        let before = people(&app).await;
        for (name, reason) in [
            ("team-p", "already exists"),
            ("bad/name", "letters, digits, spaces"),
            ("   ", "1 to 64 characters"),
            (&"n".repeat(65), "1 to 64 characters"),
        ] {
            let (status, location) =
                post_form(&app, "/settings/projects", &olga, &create(name)).await;
            assert_eq!(status, 303);
            assert!(
                location.starts_with("/settings?problem=invalid&field=name")
                    && location.contains(&format!("organization={organization}")),
                "{name}: {location}"
            );
            let (_, _, html) = page(&app, &location, Some(&olga)).await;
            assert!(html.contains(reason), "{name}: {html}");
            if name == "bad/name" {
                assert!(html.contains(r#"value="bad/name""#), "kept: {html}");
            }
        }
        assert_eq!(people(&app).await, before, "refused names create nothing");

        // A viewer of the organization's project may not; another organisation finds nothing.
        let val = signed_in(&app, "val@example.com").await;
        let (_, _, html) = page(&app, "/settings", Some(&val)).await;
        assert!(!html.contains("Create the project"), "{html}");
        let (_, location) = post_form(&app, "/settings/projects", &val, &create("by-val")).await;
        assert_eq!(location, "/settings?problem=owners-only");
        let zed = signed_in(&app, "zed@example.com").await;
        let (status, _) = post_form(&app, "/settings/projects", &zed, &create("by-zed")).await;
        assert_eq!(status, 404);
        let (status, _) = post_form(
            &app,
            "/settings/projects",
            &zed,
            "organization_id=&name=by-zed",
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(people(&app).await, before, "nothing was created");
    }
);

on_both_databases!(
    two_owners_removing_each_other_at_once_leave_one_owner,
    |database: Database| async move {
        let app = TestApp::new(database);
        for round in 0..5 {
            let project = format!("team-race-{round}");
            let (a, b) = (
                format!("a{round}@example.com"),
                format!("b{round}@example.com"),
            );
            person(&app, &a, &project).await;
            person(&app, &b, &project).await;
            let id = project_id(&app, &project).await;
            let (a_id, b_id) = (user_id(&app, &a).await, user_id(&app, &b).await);
            let database = &app.provisioning.database;
            let (as_a, as_b) = (in_console(&a_id, &a), in_console(&b_id, &b));
            let (by_a, by_b) = (app.fixture_path(&as_a), app.fixture_path(&as_b));
            let (first, second) = if round % 2 == 0 {
                tokio::join!(
                    identity::remove_member(database, by_a, &id, &b_id),
                    identity::remove_member(database, by_b, &id, &a_id),
                )
            } else {
                tokio::join!(
                    identity::change_member_role(database, by_a, &id, &b_id, "viewer"),
                    identity::change_member_role(database, by_b, &id, &a_id, "viewer"),
                )
            };
            assert!(
                first.is_ok() != second.is_ok(),
                "exactly one wins: {:?} {:?}",
                first.err(),
                second.err()
            );
            let owners: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM memberships WHERE project_id = $1 AND role = 'owner'",
            )
            .bind(&id)
            .fetch_one(database.pool())
            .await
            .expect("owners");
            assert_eq!(owners, 1, "round {round}");
        }
    }
);

on_both_databases!(
    a_cluster_page_stream_rings_when_the_cluster_changes,
    |database: Database| async move {
        let app = TestApp::new(database);
        let (token, id, session) = member_with_cluster(&app, "rin@example.com", "team-r").await;
        let mut body = open_stream(&app, &format!("/clusters/fr-par/{id}/live"), &session).await;
        let first = next_event(&mut body).await;
        assert!(first.starts_with("data: "), "{first}");

        // Someone resizes the pool elsewhere: the page's stream rings with another fingerprint.
        let (_, pools) = app
            .api("GET", &format!("{R}/clusters/{id}/pools"), &token, None)
            .await;
        let pool = pools["pools"][0]["id"].as_str().expect("pool").to_string();
        let (status, _) = app
            .api(
                "PATCH",
                &format!("{R}/pools/{pool}"),
                &token,
                Some(json!({ "size": 3 })),
            )
            .await;
        assert_eq!(status, 200);
        let second = next_event(&mut body).await;
        assert!(second.starts_with("data: "), "{second}");
        assert_ne!(first, second, "a change rings with a new fingerprint");
    }
);

/// The next event of a Server-Sent Events body, waiting ten seconds at most.
async fn next_event(body: &mut Body) -> String {
    use http_body_util::BodyExt;
    let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
        .await
        .expect("an event in time")
        .expect("a frame")
        .expect("data");
    String::from_utf8_lossy(frame.data_ref().expect("data")).to_string()
}
