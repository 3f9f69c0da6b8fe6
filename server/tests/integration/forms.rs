//! Posting a console form as its page does. Tests name a form by what it acts on, in the shape
//! of a resource address (`/clusters/fr-par/{id}/nodes/{node}`, `/settings/projects/{p}/members`);
//! a page posts that form to its server function (`app::api`) with the object in hidden
//! fields. `as_page_posts` turns the one into the other, so the tests read as before while
//! the requests are exactly what the pages send.

use app::routes::{self, ServerRoute};

/// The server function's address and the body a page sends for the form acting on `address`
/// with the typed `fields` (a url-encoded body). Addresses already under the forms' prefix are
/// sent as they are.
pub fn as_page_posts(address: &str, fields: &str) -> (String, String) {
    if address.starts_with(app::api::FORMS_PREFIX) {
        return (address.to_string(), fields.to_string());
    }
    let segments: Vec<&str> = address.trim_start_matches('/').split('/').collect();
    let (route, hidden): (ServerRoute, Vec<(&str, &str)>) = match segments.as_slice() {
        ["login"] => (routes::SIGN_IN, vec![]),
        ["logout"] => (routes::SIGN_OUT, vec![]),
        ["preferences", "theme"] => (routes::SET_THEME, vec![]),
        ["settings", "api-keys"] => (routes::CREATE_API_KEY, vec![]),
        ["settings", "api-keys", key, "revoke"] => {
            (routes::REVOKE_API_KEY, vec![("access_key", *key)])
        }
        ["settings", "password"] => (routes::CHANGE_PASSWORD, vec![]),
        ["settings", "projects"] => (routes::CREATE_PROJECT, vec![]),
        ["settings", "projects", project, "members"] => {
            (routes::ADD_MEMBER, vec![("project_id", *project)])
        }
        ["settings", "projects", project, "members", member, "role"] => (
            routes::CHANGE_MEMBER_ROLE,
            vec![("project_id", *project), ("member", *member)],
        ),
        ["settings", "projects", project, "members", member, "remove"] => (
            routes::REMOVE_MEMBER,
            vec![("project_id", *project), ("member", *member)],
        ),
        ["clusters", "new"] => (routes::CREATE_CLUSTER, vec![]),
        ["clusters", region, cluster, rest @ ..] => {
            let at = [("region", *region), ("cluster", *cluster)];
            let (route, more): (ServerRoute, Vec<(&str, &str)>) = match rest {
                ["nodes", node] => (routes::NODE_ACTION, vec![("node", *node)]),
                ["pools"] => (routes::ADD_POOL, vec![]),
                ["pools", pool] => (routes::POOL_ACTION, vec![("pool", *pool)]),
                ["pools", pool, "lifespan"] => (routes::SAVE_LIFESPAN, vec![("pool", *pool)]),
                ["pools", pool, "autohealing"] => (routes::SAVE_AUTOHEALING, vec![("pool", *pool)]),
                ["settings"] => (routes::SAVE_SETTINGS, vec![]),
                ["delete"] => (routes::DELETE_CLUSTER, vec![]),
                ["reset-admin-token"] => (routes::RESET_ADMIN_TOKEN, vec![]),
                ["acl-rules"] => (routes::ADD_ACL_RULE, vec![]),
                ["acl-rules", rule, "delete"] => (routes::DELETE_ACL_RULE, vec![("rule", *rule)]),
                ["upgrade"] => (routes::START_UPGRADE, vec![]),
                ["upgrade", "control"] => (routes::CONTROL_UPGRADE, vec![]),
                ["rollback"] => (routes::START_ROLLBACK, vec![]),
                ["maintenance-window"] => (routes::SAVE_WINDOW, vec![]),
                ["maintenance-exclusions"] => (routes::ADD_EXCLUSION, vec![]),
                ["maintenance-exclusions", exclusion, "delete"] => {
                    (routes::REMOVE_EXCLUSION, vec![("exclusion", *exclusion)])
                }
                ["auto-upgrade"] => (routes::SAVE_AUTO_UPGRADE, vec![]),
                _ => panic!("no console form acts on {address}"),
            };
            (route, at.into_iter().chain(more).collect())
        }
        _ => panic!("no console form acts on {address}"),
    };
    let mut body: Vec<String> = hidden
        .into_iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    if !fields.is_empty() {
        body.push(fields.to_string());
    }
    (route.axum_path.to_string(), body.join("&"))
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Posts a form's fields to its server function as a signed-in browser; (status, Location).
pub async fn post(
    app: &crate::support::TestApp,
    path: &str,
    cookie: &str,
    body: &str,
) -> (u16, String) {
    let request = axum::http::Request::post(path)
        .header("host", "127.0.0.1:3000")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let response = app.send(request).await;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (response.status().as_u16(), location)
}
