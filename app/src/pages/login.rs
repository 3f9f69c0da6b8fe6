//! The sign-in form: a plain form post (works without JavaScript); the server sets the session
//! cookie and sends the browser to its clusters, or back here with the reason.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::banner::ProblemBanner;
use crate::model::identity::sign_in_problem;
use crate::routes;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let problem = move || {
        query
            .read()
            .get("error")
            .and_then(|code| sign_in_problem(&code))
    };
    let email = query.read_untracked().get("email").unwrap_or_default();
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base focus:outline-2 focus:outline-accent";

    view! {
        <Title text=routes::LOGIN.title />
        <div class="mx-auto mt-4 max-w-sm md:mt-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Sign in"</h1>
            <p class="mt-1 text-sm text-muted">"to see and run your Kubernetes clusters."</p>
            {move || problem().map(|text| view! {
                <ProblemBanner spacing="mt-4" testid="sign-in-problem">{text}</ProblemBanner>
            })}
            <form method="post" action=routes::SIGN_IN.axum_path class="mt-6 space-y-4">
                <div>
                    <label for="email" class="mb-1 block text-sm font-medium">"Email"</label>
                    <input id="email" name="email" type="email" required autocomplete="username" value=email class=field />
                </div>
                <div>
                    <label for="password" class="mb-1 block text-sm font-medium">"Password"</label>
                    <input id="password" name="password" type="password" required autocomplete="current-password" class=field />
                </div>
                <button type="submit" class="min-h-11 w-full rounded-md bg-accent px-4 font-medium text-on-accent hover:opacity-90">
                    "Sign in"
                </button>
            </form>
            <p class="mt-6 text-xs text-muted">
                "The first start prints an administrator's password; "
                <code class="font-mono">"wheelhouse user create"</code>
                " adds people."
            </p>
        </div>
    }
}
