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
        crate::audit::every_change_is_one_entry(&app).await;
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
        crate::audit::every_change_is_one_entry(&app).await;
    }
);

// ---- Wheelhouse's own objects: people, memberships, keys, projects ---------------------------

/// Posts a settings form as `cookie`; returns the status and where it sends the browser.
async fn post_settings(app: &TestApp, path: &str, cookie: &str, form: &str) -> (u16, String) {
    let (path, form) = crate::forms::as_page_posts(path, form);
    let request = axum::http::Request::post(path)
        .header("host", "127.0.0.1:3000")
        .header("cookie", cookie)
        .header("user-agent", "one-path-test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(form))
        .expect("request");
    let (response, _) = crate::support::read(app.send(request).await).await;
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (response.status().as_u16(), location)
}

/// What a page shows once in the element with this test id (a new key's secret, a password).
async fn shown_once(app: &TestApp, location: &str, cookie: &str, test_id: &str) -> String {
    let request = axum::http::Request::get(location)
        .header("host", "127.0.0.1:3000")
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let (_, html) = crate::support::read(app.send(request).await).await;
    html.split(&format!(r#"data-testid="{test_id}""#))
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split('<').next())
        .unwrap_or_else(|| panic!("{location} shows no {test_id}: {html}"))
        .to_string()
}

async fn user_id_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.provisioning.database.pool())
        .await
        .expect("user")
}

/// The one change `action` recorded since `from`, made by `actor` from the console.
fn the_change(app: &TestApp, from: usize, action: &str, actor: &Actor) -> Change {
    let changes = since(app, from);
    let change = changes
        .iter()
        .find(|change| change.action == action)
        .unwrap_or_else(|| panic!("no {action} recorded: {changes:?}"))
        .clone();
    assert_eq!(&change.actor, actor, "{action}");
    assert_eq!(change.source.interface, Interface::Console, "{action}");
    assert_eq!(
        change.source.user_agent.as_deref(),
        Some("one-path-test"),
        "{action}: the request's own source"
    );
    change
}

on_both_databases!(
    every_settings_form_reaches_the_one_path_as_the_person_who_sent_it_without_secrets,
    |database: Database| async move {
        let app = TestApp::new(database);
        let olga = session(&app, "olga@example.com", "team-o", Role::Owner).await;
        let vera = session(&app, "vera@example.com", "team-o", Role::Viewer).await;
        let olga_id = user_id_of(&app, "olga@example.com").await;
        let as_olga = Actor::Person {
            user_id: olga_id.clone(),
            email: "olga@example.com".into(),
        };
        let (project_id, organization_id): (String, String) =
            sqlx::query_as("SELECT id, organization_id FROM projects WHERE name = 'team-o'")
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("project");

        // A key: made (its secret shown once), then revoked.
        let from = app.recorded.count();
        let (status, location) = post_settings(
            &app,
            "/settings/api-keys",
            &olga,
            &format!("project_id={project_id}&description=ci"),
        )
        .await;
        assert_eq!(status, 303, "{location}");
        let secret = shown_once(&app, &location, &olga, "new-secret-key").await;
        let access_key: String =
            sqlx::query_scalar("SELECT access_key FROM api_keys WHERE project_id = $1")
                .bind(&project_id)
                .fetch_one(app.provisioning.database.pool())
                .await
                .expect("key");
        let created = the_change(&app, from, "api_key.create", &as_olga);
        assert_eq!(created.outcome, Outcome::Done);
        assert_eq!(created.target.kind, "api_key");
        assert_eq!(created.target.id, access_key);
        assert_eq!(created.target.organization_id, organization_id);
        assert_eq!(
            created.target.project_id.as_deref(),
            Some(project_id.as_str())
        );
        assert_eq!(created.after, Some(json!({ "description": "ci" })));

        // A viewer may not make one: refused, and recorded so, as the viewer.
        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            "/settings/api-keys",
            &vera,
            &format!("project_id={project_id}&description=mine"),
        )
        .await;
        assert_eq!(location, "/settings?problem=forbidden");
        let as_vera = Actor::Person {
            user_id: user_id_of(&app, "vera@example.com").await,
            email: "vera@example.com".into(),
        };
        let forbidden = the_change(&app, from, "api_key.create", &as_vera);
        assert!(
            matches!(forbidden.outcome, Outcome::Refused { .. }),
            "{forbidden:?}"
        );
        assert_eq!(forbidden.target.organization_id, organization_id);

        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            &format!("/settings/api-keys/{access_key}/revoke"),
            &olga,
            &format!("project_id={project_id}&confirm=yes"),
        )
        .await;
        assert_eq!(location, "/settings?notice=revoked");
        let revoked = the_change(&app, from, "api_key.revoke", &as_olga);
        assert_eq!(revoked.outcome, Outcome::Done);
        assert_eq!(revoked.target.id, access_key);
        assert_eq!(revoked.before, Some(json!({ "description": "ci" })));

        // A member: added (a new account, its password shown once), their role changed, removed.
        let members = format!("/settings/projects/{project_id}/members");
        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            &members,
            &olga,
            "email=newbie%40example.com&role=editor",
        )
        .await;
        let password = shown_once(&app, &location, &olga, "new-member-password").await;
        let added = the_change(&app, from, "member.add", &as_olga);
        assert_eq!(added.outcome, Outcome::Done);
        assert_eq!(added.target.id, "newbie@example.com");
        assert_eq!(
            added.after,
            Some(json!({ "role": "editor", "account": "created" }))
        );
        let newbie = user_id_of(&app, "newbie@example.com").await;

        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            &format!("{members}/{newbie}/role"),
            &olga,
            "role=viewer",
        )
        .await;
        assert_eq!(location, "/settings?notice=role-changed");
        let changed = the_change(&app, from, "member.change_role", &as_olga);
        assert_eq!(changed.target.id, "newbie@example.com");
        assert_eq!(changed.before, Some(json!({ "role": "editor" })));
        assert_eq!(changed.after, Some(json!({ "role": "viewer" })));

        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            &format!("{members}/{newbie}/remove"),
            &olga,
            "confirm=yes",
        )
        .await;
        assert_eq!(location, "/settings?notice=member-removed");
        let removed = the_change(&app, from, "member.remove", &as_olga);
        assert_eq!(removed.outcome, Outcome::Done);
        assert_eq!(removed.before, Some(json!({ "role": "viewer" })));

        // The last owner stays: refused, and recorded as refused.
        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            &format!("{members}/{olga_id}/remove"),
            &olga,
            "confirm=yes",
        )
        .await;
        assert_eq!(location, "/settings?problem=last-owner");
        let kept = the_change(&app, from, "member.remove", &as_olga);
        assert_eq!(
            kept.outcome,
            Outcome::Refused {
                reason: "a project keeps at least one owner".into()
            }
        );
        assert_eq!(kept.target.id, "olga@example.com");

        // A project, then a duplicate of it (refused).
        let from = app.recorded.count();
        let form = format!("organization_id={organization_id}&name=second");
        let (_, location) = post_settings(&app, "/settings/projects", &olga, &form).await;
        assert_eq!(location, "/settings?notice=project-created");
        let made = the_change(&app, from, "project.create", &as_olga);
        assert_eq!(made.outcome, Outcome::Done);
        assert_eq!(made.target.organization_id, organization_id);
        assert_eq!(made.after, Some(json!({ "name": "second" })));
        let from = app.recorded.count();
        post_settings(&app, "/settings/projects", &olga, &form).await;
        let duplicate = the_change(&app, from, "project.create", &as_olga);
        assert!(
            matches!(duplicate.outcome, Outcome::Refused { .. }),
            "{duplicate:?}"
        );

        // The password: a wrong current one is refused; the right one changes it.
        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            "/settings/password",
            &olga,
            "current=not+the+password&new=another+long+password&again=another+long+password",
        )
        .await;
        assert_eq!(location, "/settings?problem=password-wrong");
        let wrong = the_change(&app, from, "user.change_password", &as_olga);
        assert!(
            matches!(wrong.outcome, Outcome::Refused { .. }),
            "{wrong:?}"
        );
        let from = app.recorded.count();
        let (_, location) = post_settings(
            &app,
            "/settings/password",
            &olga,
            "current=a+long+enough+password&new=another+long+password&again=another+long+password",
        )
        .await;
        assert_eq!(location, "/login?error=changed");
        let changed = the_change(&app, from, "user.change_password", &as_olga);
        assert_eq!(changed.outcome, Outcome::Done);
        assert_eq!(changed.target.kind, "user");
        assert_eq!(changed.target.id, "olga@example.com");
        assert_eq!(changed.after, Some(json!({ "password": "changed" })));

        // No secret travels the path: not the key's secret, a password, nor a hash.
        let text = serde_json::to_string(&app.recorded.all()).expect("json");
        for secret in [
            secret.as_str(),
            password.as_str(),
            "a long enough password",
            "another long password",
            "not the password",
            "$argon2",
        ] {
            assert!(!text.contains(secret), "{secret} was recorded: {text}");
        }
        crate::audit::every_change_is_one_entry(&app).await;
    }
);

/// Runs the real `wheelhouse` with JSON logs, as the operating-system account `user` (none
/// when `None`); returns its output and the changes it logged (target `wheelhouse::changes`).
fn run_cli(args: &[&str], user: Option<&str>) -> (std::process::Output, Vec<serde_json::Value>) {
    let mut command = crate::support::wheelhouse_command();
    command
        .args(args)
        .args(["--log-format", "json"])
        .env("WHEELHOUSE_LOG", "info")
        .env_remove("WHEELHOUSE_DATABASE_URL");
    match user {
        Some(user) => command.env("USER", user),
        None => command.env_remove("USER"),
    };
    let output = command.output().expect("run wheelhouse");
    let changes = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["target"] == "wheelhouse::changes")
        .map(|line| {
            serde_json::from_str(line["change"].as_str().expect("the change, as JSON text"))
                .expect("a change")
        })
        .collect();
    (output, changes)
}

/// The logged change `action`, made by the operator `name` from the command line.
fn cli_change<'a>(
    changes: &'a [serde_json::Value],
    action: &str,
    name: &str,
) -> &'a serde_json::Value {
    let change = changes
        .iter()
        .find(|change| change["action"] == action)
        .unwrap_or_else(|| panic!("no {action} logged: {changes:?}"));
    assert_eq!(
        change["actor"],
        json!({ "kind": "operator", "name": name }),
        "{action}"
    );
    assert_eq!(change["source"]["interface"], "cli", "{action}");
    change
}

#[test]
fn the_command_line_reaches_the_one_path_as_the_operator_running_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("w.db").display());

    let (output, changes) = run_cli(
        &[
            "api-key",
            "create",
            "--project",
            "shop",
            "--description",
            "deploys",
            "--database-url",
            &url,
        ],
        Some("ada-ops"),
    );
    assert!(output.status.success(), "{output:?}");
    let key: serde_json::Value = serde_json::from_slice(&output.stdout).expect("key json");
    let created = cli_change(&changes, "api_key.create", "ada-ops");
    assert_eq!(created["outcome"], "done");
    assert_eq!(created["target"]["id"], key["access_key"]);
    assert_eq!(created["target"]["organization_id"], key["organization_id"]);
    assert_eq!(created["after"]["description"], "deploys");
    let project = cli_change(&changes, "project.create", "ada-ops");
    assert_eq!(project["target"]["id"], key["project_id"]);
    let secret = key["secret_key"].as_str().expect("secret");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains(secret),
        "the secret is printed once, never logged"
    );

    // Without $USER, the operator is "cli".
    let (output, changes) = run_cli(
        &[
            "user",
            "create",
            "--email",
            "Bea@Example.com",
            "--project",
            "shop",
            "--role",
            "editor",
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(output.status.success(), "{output:?}");
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("user json");
    let made = cli_change(&changes, "user.create", "cli");
    assert_eq!(made["outcome"], "done");
    assert_eq!(made["target"]["kind"], "user");
    assert_eq!(made["target"]["id"], "bea@example.com");
    assert_eq!(made["target"]["organization_id"], key["organization_id"]);
    assert_eq!(
        made["after"],
        json!({ "role": "editor", "operator": false })
    );
    assert!(
        changes
            .iter()
            .all(|change| change["action"] != "project.create"),
        "the project existed: {changes:?}"
    );
    let password = printed["password"].as_str().expect("password");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(password));

    let (output, changes) = run_cli(
        &[
            "user",
            "reset-password",
            "--email",
            "bea@example.com",
            "--database-url",
            &url,
        ],
        Some("ada-ops"),
    );
    assert!(output.status.success(), "{output:?}");
    let reset = cli_change(&changes, "user.reset_password", "ada-ops");
    assert_eq!(reset["after"], json!({ "password": "reset" }));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let password = printed["password"].as_str().expect("password");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(password));

    // The admin commands that change the provider's state: done, or refused.
    let (output, changes) = run_cli(
        &["admin", "clock", "advance", "2d", "--database-url", &url],
        Some("ada-ops"),
    );
    assert!(output.status.success(), "{output:?}");
    let advanced = cli_change(&changes, "clock.advance", "ada-ops");
    assert_eq!(advanced["target"]["organization_id"], "provider");
    assert_eq!(advanced["after"]["offset_seconds"], 2 * 86_400);
    for (expected, success) in [("done", true), ("refused", false)] {
        let (output, changes) = run_cli(
            &[
                "admin",
                "os-image",
                "publish",
                "ubuntu-noble-k8s-2030-01-01",
                "--database-url",
                &url,
            ],
            Some("ada-ops"),
        );
        assert_eq!(output.status.success(), success, "{output:?}");
        let published = cli_change(&changes, "os_image.publish", "ada-ops");
        assert_eq!(published["outcome"], expected, "{published}");
        assert_eq!(published["target"]["id"], "ubuntu-noble-k8s-2030-01-01");
    }
}

on_both_databases!(
    the_demo_seed_makes_its_project_and_key_under_its_own_name,
    |database: Database| async move {
        let app = TestApp::new(database);
        let printed = wheelhouse::services::demo::seed(&app.state)
            .await
            .expect("seed")
            .expect("a key printed");
        let changes = app.recorded.all();
        for action in ["project.create", "api_key.create"] {
            let change = changes
                .iter()
                .find(|change| change.action == action)
                .unwrap_or_else(|| panic!("no {action}: {changes:?}"));
            assert_eq!(change.actor, Actor::system("demo-seed"), "{action}");
            assert_eq!(change.source.interface, Interface::Job, "{action}");
            assert_eq!(change.outcome, Outcome::Done, "{action}");
        }
        let text = serde_json::to_string(&changes).expect("json");
        assert!(
            !text.contains(&printed.1),
            "the key's secret is not recorded"
        );
        crate::audit::every_change_is_one_entry(&app).await;
    }
);

on_both_databases!(
    a_viewers_refused_console_change_is_recorded_as_theirs,
    |database: Database| async move {
        let app = TestApp::new(database);
        let key = app.api_key("shop").await;
        let (cluster_id, _) = ready_cluster(&app, &key, "shop-prod", "1.35.1", 1).await;
        let viewer = session(&app, "vera@example.com", "shop", Role::Viewer).await;
        let from = app.recorded.count();
        let path = format!("/clusters/fr-par/{cluster_id}/settings");
        let (status, _) =
            console(&app, "POST", &path, &viewer, "name=mine&description=&tags=").await;
        assert_eq!(status, 303);
        let changes = since(&app, from);
        let refusal = changes
            .iter()
            .find(|change| change.action == "cluster.change")
            .unwrap_or_else(|| panic!("nothing recorded: {changes:?}"));
        assert!(
            matches!(refusal.outcome, Outcome::Refused { .. }),
            "{refusal:?}"
        );
        assert!(
            matches!(&refusal.actor, Actor::Person { email, .. } if email == "vera@example.com"),
            "{refusal:?}"
        );
        assert_eq!(refusal.target.id, cluster_id);
        crate::audit::every_change_is_one_entry(&app).await;
    }
);
