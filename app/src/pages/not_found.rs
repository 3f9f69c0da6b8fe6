//! The page for unknown routes, served with HTTP 404.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::routes;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="mx-auto max-w-md py-16 text-center">
            <p class="text-sm font-medium text-accent">"404"</p>
            <h1 class="mt-2 text-2xl font-semibold">"This page does not exist"</h1>
            <p class="mt-2 text-sm text-muted">"Check the address, or go back to the overview."</p>
            <a
                href=routes::OVERVIEW.path
                class="mt-6 inline-flex min-h-11 items-center rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:bg-accent-strong"
            >
                "Back to the overview"
            </a>
        </div>
    }
}
