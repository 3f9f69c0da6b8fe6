//! Signing in and out: plain forms that post here (they work without JavaScript); the server
//! sets or clears the session cookie and sends the browser on.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The sign-in form as posted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

#[server(prefix = "/console", endpoint = "sign-in")]
pub async fn sign_in(#[server(flatten)] form: SignInForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SessionConsole>()?;
    super::ssr::answer(console.sign_in(&caller, form).await)
}

#[server(prefix = "/console", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::SessionConsole>()?;
    super::ssr::answer(console.sign_out(&caller).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::SignInForm;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait SessionConsole: Send + Sync {
        /// Checks the credentials; on to the clusters with a new session's cookie, or back to
        /// the form with the reason.
        async fn sign_in(
            &self,
            caller: &ConsoleCaller,
            form: SignInForm,
        ) -> Result<Done, ConsoleError>;
        /// Ends the caller's session and clears its cookie.
        async fn sign_out(&self, caller: &ConsoleCaller) -> Result<Done, ConsoleError>;
    }
}
