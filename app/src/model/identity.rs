//! Who is signed in to the console, and the cookie and paths that carry it.

use serde::{Deserialize, Serialize};

/// The session cookie (HttpOnly: only the server reads it).
pub const SESSION_COOKIE: &str = "wh_session";
/// The sign-in page's address, where a signed-out browser is sent: the site map's `LOGIN` page
/// (kept here so that the console's answers need no more than the model).
pub const SIGN_IN_PATH: &str = "/login";

/// A signed-in person, as pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleUser {
    pub email: String,
    pub is_operator: bool,
    /// (project name, role)
    pub projects: Vec<(String, String)>,
}

/// Who the request comes from, as the server found it once from the session cookie (the session
/// middleware puts it in the request's extensions): the layout reads it to offer the provider's
/// pages to operators only. Pages still check access through their console port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub email: String,
    pub is_operator: bool,
}

/// The viewer of the request being rendered, if signed in.
#[cfg(feature = "ssr")]
pub fn viewer() -> Option<Viewer> {
    leptos::prelude::use_context::<http::request::Parts>()?
        .extensions
        .get::<Viewer>()
        .cloned()
}

/// Why the sign-in form came back, from its `error` query parameter.
pub fn sign_in_problem(code: &str) -> Option<&'static str> {
    match code {
        "credentials" => Some("The email or the password is not right."),
        "throttled" => Some("Too many failed attempts. Wait 15 minutes, then try again."),
        "unavailable" => Some("Signing in is not possible right now. Try again in a moment."),
        "required" => Some("Sign in to see your clusters."),
        "changed" => Some("Your password was changed: sign in with the new one."),
        _ => None,
    }
}
