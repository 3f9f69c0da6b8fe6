//! One module per screen; each page loads its data on the server.

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

/// A failed load, said plainly; the rest of the page stays usable.
#[component]
pub fn LoadError(#[prop(into)] what: String, #[prop(into)] error: String) -> impl IntoView {
    view! {
        <div role="alert" class="rounded-lg border border-bad bg-bad-soft p-4 text-sm text-bad">
            <p class="font-medium">{format!("Could not load {what}.")}</p>
            <p class="mt-1">{error}</p>
        </div>
    }
}
