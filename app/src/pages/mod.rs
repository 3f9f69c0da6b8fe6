//! One module per screen; each page loads its data on the server.

pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod clusters;
pub mod create;
pub mod login;
pub mod not_found;
pub mod overview;
pub mod settings;
pub mod system;

use leptos::prelude::*;

/// The heading block every page starts with.
#[component]
pub fn PageHeader(#[prop(into)] title: String, #[prop(into)] summary: String) -> impl IntoView {
    view! {
        <div class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight">{title}</h1>
            <p class="mt-1 text-sm text-muted">{summary}</p>
        </div>
    }
}
