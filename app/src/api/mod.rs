//! Server functions, grouped by feature as `pages/` has them: each page's reads (`get_…`) and
//! every form it posts. A form is a plain HTML form that posts to its server function (so it
//! works without JavaScript); the function hands the typed fields to its feature's console port
//! and answers with a 303 to the page that shows the outcome. Each function is thin: find the
//! console and the caller in the request's context, call one port method, answer.

pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod clusters;
pub mod create;
pub mod maintenance;
pub mod preferences;
pub mod session;
pub mod settings;
pub mod system;
pub mod upgrade;

/// Where the console's forms post: every form's server function lives under this prefix.
pub const FORMS_PREFIX: &str = "/console";

/// What every server function uses to reach its feature's port (`cluster::ssr::ClusterConsole`,
/// `settings::ssr::SettingsConsole`, …, each a trait in its feature's file). The `wheelhouse`
/// server implements them all and provides each as a context for every console request; `app`
/// never depends on the server crate.
#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use http::StatusCode;
    use leptos::prelude::{use_context, ServerFnError};

    use crate::model::identity::{SESSION_COOKIE, SIGN_IN_PATH};

    /// A feature's port (`Arc<dyn ClusterConsole>`, …), as the server provides it for every
    /// console request.
    pub fn port<P: ?Sized + Send + Sync + 'static>() -> Result<Arc<P>, ServerFnError> {
        use_context::<Arc<P>>()
            .ok_or_else(|| ServerFnError::new("console services are not configured"))
    }

    /// A feature's port and the caller of the request being served: what every server
    /// function starts with.
    pub fn port_and_caller<P: ?Sized + Send + Sync + 'static>(
    ) -> Result<(Arc<P>, ConsoleCaller), ServerFnError> {
        Ok((port::<P>()?, ConsoleCaller::of_request()?))
    }

    /// Who calls a console port: the request as the server received it (its session cookie,
    /// its address and user agent, its request id, and what the session middleware found of
    /// the person), for the server to name the actor and the source of a change.
    #[derive(Clone, Debug)]
    pub struct ConsoleCaller {
        pub parts: http::request::Parts,
    }

    impl ConsoleCaller {
        /// The caller of the request being served.
        pub fn of_request() -> Result<ConsoleCaller, ServerFnError> {
            use_context::<http::request::Parts>()
                .map(|parts| ConsoleCaller { parts })
                .ok_or_else(|| ServerFnError::new("no request to serve"))
        }

        /// The session cookie's token, if any.
        pub fn session(&self) -> Option<String> {
            session_of(&self.parts.headers)
        }
    }

    fn session_of(headers: &http::HeaderMap) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
            .filter(|value| !value.is_empty())
    }

    /// The session cookie's token of the request being served, if any.
    pub fn session_token() -> Option<String> {
        session_of(&use_context::<http::request::Parts>()?.headers)
    }

    /// What a form's port method did: the page to show next (with its `notice`), and a cookie
    /// to set (signing in and out).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Done {
        pub location: String,
        pub set_cookie: Option<String>,
    }

    impl Done {
        /// On to this page.
        pub fn to(location: impl Into<String>) -> Done {
            Done {
                location: location.into(),
                set_cookie: None,
            }
        }
    }

    /// Why a console port does not give what was asked, and the answer the person gets
    /// instead. The rule: `Ok` is the outcome the person asked for (the page with its
    /// `notice`, the new cluster, the file, the create form again after "Add a pool"); every
    /// refusal or detour is an `Err` (sign in first, not found, unavailable, back to the page
    /// with its `problem` and what was typed, a request no page sends).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum ConsoleError {
        /// No session, or it ended: 303 to the sign-in form with `error=required`.
        SignIn,
        /// Not this person's (a stranger's cluster, another cluster's pool): 404.
        NotFound,
        /// The session or owner lookup failed (its cause is logged where it happened): 503.
        Unavailable,
        /// A page's data could not be read: its error box shows this message (a form gets a
        /// 503 with it).
        Failed(String),
        /// 303 back to this address, a page with the outcome (`problem`, `field`, `message`)
        /// and what was typed in its query; the server's refusal seal signs its `message`.
        Back(String),
        /// Answered in plain text with this status: a request no page sends (400), a download
        /// the role or the cluster's state does not allow (403, 409), a file not made (503).
        Text(StatusCode, &'static str),
    }

    impl std::fmt::Display for ConsoleError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                ConsoleError::SignIn => write!(f, "sign in first"),
                ConsoleError::NotFound => write!(f, "not found"),
                ConsoleError::Unavailable => write!(f, "unavailable"),
                ConsoleError::Failed(message) => write!(f, "{message}"),
                ConsoleError::Back(to) => write!(f, "back to {to}"),
                ConsoleError::Text(_, text) => write!(f, "{text}"),
            }
        }
    }

    impl std::error::Error for ConsoleError {}

    /// The answer of a download or a stream (served by the server's own handlers).
    impl axum::response::IntoResponse for ConsoleError {
        fn into_response(self) -> axum::response::Response {
            match self {
                ConsoleError::SignIn => see_other(&format!("{SIGN_IN_PATH}?error=required")),
                ConsoleError::NotFound => StatusCode::NOT_FOUND.into_response(),
                ConsoleError::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                ConsoleError::Failed(message) => {
                    (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
                }
                ConsoleError::Back(to) => see_other(&to),
                ConsoleError::Text(status, text) => (status, text).into_response(),
            }
        }
    }

    /// A 303 to `location`: after a form, the browser gets the page with GET.
    pub fn see_other(location: &str) -> axum::response::Response {
        use axum::response::IntoResponse;
        (
            StatusCode::SEE_OTHER,
            [(http::header::LOCATION, location.to_string())],
        )
            .into_response()
    }

    /// How a form's server function answers its port's outcome: a 303 to the page that shows
    /// it (or to the sign-in form), the cookie it sets, or the status of a refusal no page
    /// shows.
    pub fn answer(outcome: Result<Done, ConsoleError>) -> Result<(), ServerFnError> {
        let response = use_context::<leptos_axum::ResponseOptions>()
            .ok_or_else(|| ServerFnError::new("no response to answer with"))?;
        let go_to = |location: &str| {
            // Sets the Location (and tells a JavaScript caller to follow it); the status makes
            // it a 303 for everyone, so the browser asks for the page with GET.
            leptos_axum::redirect(location);
            response.set_status(StatusCode::SEE_OTHER);
        };
        match outcome {
            Ok(done) => {
                if let Some(cookie) = done
                    .set_cookie
                    .and_then(|cookie| http::HeaderValue::from_str(&cookie).ok())
                {
                    response.append_header(http::header::SET_COOKIE, cookie);
                }
                go_to(&done.location);
                Ok(())
            }
            Err(ConsoleError::Back(location)) => {
                go_to(&location);
                Ok(())
            }
            Err(ConsoleError::SignIn) => {
                go_to(&format!("{SIGN_IN_PATH}?error=required"));
                Ok(())
            }
            Err(ConsoleError::NotFound) => {
                response.set_status(StatusCode::NOT_FOUND);
                Err(ServerFnError::new("not found"))
            }
            Err(ConsoleError::Unavailable) => {
                response.set_status(StatusCode::SERVICE_UNAVAILABLE);
                Err(ServerFnError::new("unavailable; try again in a moment"))
            }
            Err(ConsoleError::Failed(message)) => {
                response.set_status(StatusCode::SERVICE_UNAVAILABLE);
                Err(ServerFnError::new(message))
            }
            Err(ConsoleError::Text(status, text)) => {
                response.set_status(status);
                Err(ServerFnError::new(text))
            }
        }
    }
}
