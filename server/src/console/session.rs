//! Signing in and out of the console (plain form posts to server functions: they work without
//! JavaScript), the one session lookup of each request, the sign-in rule, and the cross-site
//! request check every state-changing console request passes.

use std::net::SocketAddr;

use app::api::session::ssr::SessionConsole;
use app::api::session::SignInForm;
use app::model::identity::{Viewer, SESSION_COOKIE};
use app::routes::SIGN_IN_PATH;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::request::{ConsoleRequest, SessionLookup};
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::services::identity::{self, IdentityError, SessionUser};
use crate::state::AppState;

/// The session cookie: HttpOnly always, Secure when the console is served over HTTPS.
fn session_cookie(state: &AppState, value: &str, max_age_seconds: i64) -> String {
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Lax{secure}")
}

/// 303 to `to`: where every console form goes after a POST (the browser then GETs it).
pub(super) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// The value of one cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// The session's token and person: sign in first when there is none, unavailable (logged) when
/// it could not be looked up. The middleware's lookup is used when there is one.
pub(super) async fn signed_in(
    state: &AppState,
    request: &ConsoleRequest,
) -> Result<(String, SessionUser), ConsoleError> {
    match &request.session {
        Some(SessionLookup::Found { token, user }) => return Ok((token.clone(), user.clone())),
        Some(SessionLookup::Ended) => return Err(ConsoleError::SignIn),
        Some(SessionLookup::Failed) => return Err(ConsoleError::Unavailable),
        None => {}
    }
    let Some(token) = cookie(&request.headers, SESSION_COOKIE) else {
        return Err(ConsoleError::SignIn);
    };
    match identity::session_user(&state.database, state.clock.as_ref(), &token).await {
        Ok(Some(user)) => Ok((token, user)),
        Ok(None) => Err(ConsoleError::SignIn),
        Err(error) => {
            tracing::error!(%error, "session lookup failed");
            Err(ConsoleError::Unavailable)
        }
    }
}

/// Signing in and out: the forms' server functions (`app::api::session`) call these.
#[async_trait::async_trait]
impl SessionConsole for Console {
    async fn sign_in(
        &self,
        caller: &ConsoleCaller,
        form: SignInForm,
    ) -> Result<Done, ConsoleError> {
        let state = &self.state;
        let peer = caller
            .parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        let outcome = identity::sign_in(
            &state.database,
            state.ids.as_ref(),
            state.clock.as_ref(),
            &form.email,
            &form.password,
            &peer,
        )
        .await;
        match outcome {
            Ok(token) => Ok(Done {
                location: "/clusters".to_string(),
                set_cookie: Some(session_cookie(
                    state,
                    &token,
                    identity::SESSION_HOURS * 3600,
                )),
            }),
            Err(IdentityError::BadCredentials) => Err(ConsoleError::Back(format!(
                "{SIGN_IN_PATH}?error=credentials&email={}",
                url::form_urlencoded::byte_serialize(form.email.trim().as_bytes())
                    .collect::<String>()
            ))),
            Err(IdentityError::Throttled(_)) => Err(ConsoleError::Back(format!(
                "{SIGN_IN_PATH}?error=throttled"
            ))),
            Err(error) => {
                tracing::error!(%error, "sign-in failed");
                Err(ConsoleError::Back(format!(
                    "{SIGN_IN_PATH}?error=unavailable"
                )))
            }
        }
    }

    async fn sign_out(&self, caller: &ConsoleCaller) -> Result<Done, ConsoleError> {
        let state = &self.state;
        if let Some(token) = caller.session() {
            if let Err(error) = identity::sign_out(&state.database, &token).await {
                tracing::error!(%error, "sign-out failed");
            }
        }
        Ok(Done {
            location: SIGN_IN_PATH.to_string(),
            set_cookie: Some(session_cookie(state, "", 0)),
        })
    }
}

pub async fn require_session(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut request = request;
    // Who asks, looked up once per request: the layout offers the provider's pages to
    // operators by it, and the console's reads and forms find the person in it.
    if let Some(token) = cookie(request.headers(), SESSION_COOKIE) {
        let lookup =
            match identity::session_user(&state.database, state.clock.as_ref(), &token).await {
                Ok(Some(user)) => {
                    request.extensions_mut().insert(Viewer {
                        email: user.email.clone(),
                        is_operator: user.is_operator,
                    });
                    SessionLookup::Found { token, user }
                }
                Ok(None) => SessionLookup::Ended,
                Err(error) => {
                    tracing::error!(%error, "session lookup failed");
                    SessionLookup::Failed
                }
            };
        request.extensions_mut().insert(lookup);
    }
    // The site map's sign-in rule: the sections of the pages for signed-in people (and
    // operators) send others to the sign-in form first (before the page renders, so it works the
    // same with or without JavaScript).
    let protected = app::routes::needs_sign_in(request.uri().path());
    if protected && request.method() == Method::GET {
        if request.extensions().get::<Viewer>().is_none() {
            return see_other(&format!("{SIGN_IN_PATH}?error=required"));
        }
        // A signed-in page must not come back from the browser's cache after signing out.
        let mut response = next.run(request).await;
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    next.run(request).await
}

/// Refuses state-changing requests that another site's page sent (an Origin, or failing that a
/// Referer, naming another host than the one addressed). With SameSite=Lax session cookies this
/// closes cross-site request forgery for forms and server functions alike.
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && !from_this_site(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            "this request came from another site and was refused",
        )
            .into_response();
    }
    next.run(request).await
}

fn from_this_site(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return true; // no Host: not a browser
    };
    let same_host = |source: &str| {
        url::Url::parse(source).is_ok_and(|url| {
            let authority = match url.port() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_string(),
            };
            authority == host
        })
    };
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => same_host(origin),
        (None, Some(referer)) => same_host(referer),
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).expect("value"));
        }
        headers
    }

    #[test]
    fn only_this_sites_pages_may_change_state() {
        assert!(from_this_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!from_this_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example")
        ])));
        assert!(!from_this_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "null")
        ])));
        assert!(!from_this_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("referer", "http://localhost:3000/x")
        ])));
        assert!(from_this_site(&headers(&[("host", "127.0.0.1:3000")])));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let h = headers(&[("cookie", "a=1; wh_session=abc; b=2")]);
        assert_eq!(cookie(&h, "wh_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
