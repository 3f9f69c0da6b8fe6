//! Signing in to the console: passwords (argon2id), sessions in the database, rate limits, the
//! same-site check, and a dashboard that shows each person only their projects' clusters.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use wheelhouse::services::identity::{self, NewUser, Role};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::{read, TestApp};

const R: &str = "/k8s/v1/regions/fr-par";
const PASSWORD: &str = "a long enough password";

async fn person(app: &TestApp, email: &str, project: &str) {
    identity::create_user(
        &app.provisioning.database,
        app.state.ids.as_ref(),
        &app.clock,
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
async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    origin: Option<&str>,
) -> (u16, String, String) {
    let mut request = Request::post("/login")
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

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (u16, String, String) {
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

fn session_of(set_cookie: &str) -> String {
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
        assert_eq!(
            (status, location.as_str()),
            (303, "/login?error=credentials")
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
        let request = Request::post("/logout")
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
            assert_eq!(location, "/login?error=credentials");
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
            "eve@example.com",
        )
        .await
        .expect("reset");
        let (_, location, _) = page(&app, "/clusters", Some(&ada)).await;
        assert!(location.starts_with("/login"), "{location}");
    }
);
