//! The Wheelhouse console: the HTML shell, the site map and the pages. Pages are server components;
//! only `#[island]`s run in the browser (DESIGN.md: islands keep the wasm small and every page
//! usable without JavaScript).

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

pub mod api;
pub mod components;
pub mod model;
pub mod pages;
pub mod routes;

use components::layout::ConsoleLayout;
use model::theme::Theme;

/// The whole HTML document, rendered on the server for every console route.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="description" content="Wheelhouse: managed Kubernetes clusters, upgrades and node lifespan" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="stylesheet" id="leptos" href="/pkg/wheelhouse.css" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body class="bg-canvas text-ink antialiased">
                <App />
            </body>
        </html>
    }
}

/// The pages of the site map (`routes::PAGES`), as Leptos routes: `path!` takes literals, so a
/// test (`server/tests/integration/console.rs`) checks that these are exactly the listed pages.
/// `SsrMode::Async` renders a page only once its data is loaded, so the HTML is complete without
/// JavaScript (no streamed fragments to patch in).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let theme = Theme::from_request();

    view! {
        <Html attr:data-theme=theme.attribute() />
        <Title formatter=|page: String| if page.is_empty() { "Wheelhouse".to_string() } else { format!("{page} · Wheelhouse") } />
        <Router>
            <ConsoleLayout theme>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("") view=pages::overview::OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("clusters") view=pages::clusters::ClustersPage ssr=SsrMode::Async />
                    <Route path=path!("clusters/new") view=pages::create::CreateClusterPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("clusters/:region/:id") view=pages::cluster::ClusterFrame ssr=SsrMode::Async>
                        <Route path=path!("") view=pages::cluster::overview::ClusterOverview />
                        <Route path=path!("pools") view=pages::cluster::pools::ClusterPools />
                        <Route path=path!("nodes") view=pages::cluster::nodes::ClusterNodes />
                        <Route path=path!("storage") view=pages::cluster::storage::ClusterStorage />
                        <Route path=path!("upgrade") view=pages::cluster::upgrade::ClusterUpgrade />
                        <Route path=path!("maintenance") view=pages::cluster::maintenance::ClusterMaintenance />
                        <Route path=path!("alerts") view=pages::alerts::ClusterAlerts />
                        <Route path=path!("events") view=pages::cluster::events::ClusterEvents />
                        <Route path=path!("access") view=pages::cluster::access::ClusterAccess />
                        <Route path=path!("audit") view=pages::audit::ClusterAudit />
                        <Route path=path!("settings") view=pages::cluster::settings::ClusterSettings />
                    </ParentRoute>
                    <Route path=path!("login") view=pages::login::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("alerts") view=pages::alerts::AlertsPageView ssr=SsrMode::Async />
                    <Route path=path!("audit") view=pages::audit::AuditLogPage ssr=SsrMode::Async />
                    <Route path=path!("audit/:organization/:seq") view=pages::audit::AuditEntryPageView ssr=SsrMode::Async />
                    <Route path=path!("settings") view=pages::settings::SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("provider/system") view=pages::system::SystemPage ssr=SsrMode::Async />
                </Routes>
            </ConsoleLayout>
        </Router>
    }
}

/// Called by the `frontend` cdylib once the wasm module is loaded; islands hydrate themselves.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
