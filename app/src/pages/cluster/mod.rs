//! One cluster, one URL per tab (nested routes; the tabs are the site map's, `routes::Tab`). The
//! frame loads the cluster once per page view; each tab renders its part. The head and the tab
//! are live regions fed by the cluster's `live` stream (see `components::live`).

pub mod access;
pub mod events;
pub mod maintenance;
pub mod nodes;
pub mod overview;
pub mod pools;
pub mod settings;
pub mod storage;
pub mod upgrade;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_params_map;

use super::PageHeader;
use crate::api::cluster::get_cluster_page;
use crate::components::banner::{outcome_in_query, NoticeBanner, ProblemBanner};
use crate::components::live::{LiveUpdates, StaleNotice};
use crate::components::loaded::Loaded;
pub use crate::components::status::status_tone;
use crate::components::status::StatusBadge;
use crate::model::cluster::{
    action_message, announces_work_in_progress, ClusterDetail, ClusterPage,
};
use crate::routes;

/// The cluster of the current URL, provided to the tabs once loaded.
#[component]
pub fn ClusterFrame() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(
        move || {
            let params = params.read();
            (
                params.get("region").unwrap_or_default(),
                params.get("id").unwrap_or_default(),
            )
        },
        |(region, id)| get_cluster_page(region, id),
    );
    view! {
        <Loaded resource=page what="this cluster" let:page>
            {match page {
                ClusterPage::Found(detail) => {
                    let detail = *detail;
                    provide_context(detail.clone());
                    view! { <Frame detail /> }.into_any()
                }
                ClusterPage::NotFound => {
                    // Not theirs, or gone: the same answer either way, with HTTP 404.
                    #[cfg(feature = "ssr")]
                    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                        response.set_status(http::StatusCode::NOT_FOUND);
                    }
                    view! {
                    <Title text="Cluster not found" />
                    <PageHeader title="Cluster not found" summary="No cluster of yours has this address." />
                    <a href=routes::CLUSTERS.path class="text-accent underline">"Back to your clusters"</a>
                    }.into_any()
                }
                ClusterPage::SignedOut => view! {
                    <PageHeader title="Signed out" summary="Sign in to see this cluster." />
                    <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a>
                }.into_any(),
            }}
        </Loaded>
    }
}

#[component]
fn Frame(detail: ClusterDetail) -> impl IntoView {
    let (region, id) = (detail.region.clone(), detail.id.clone());
    let busy = detail.status != "ready"
        || detail
            .pools
            .iter()
            .any(|pool| matches!(pool.status.as_str(), "upgrading" | "scaling"));
    let notice = outcome_in_query("notice", |code| {
        (busy || !announces_work_in_progress(code))
            .then(|| action_message(code))
            .flatten()
    });
    let problem = outcome_in_query("problem", action_message);
    view! {
        <Title text=detail.name.clone() />
        // The name and status follow the cluster, as does the tab below (live regions).
        <nav aria-label="Breadcrumb" class="mb-2 text-sm text-muted" data-live-region="breadcrumb">
            <a href=routes::CLUSTERS.path class="inline-flex min-h-11 items-center underline">"Clusters"</a>
            " / "
            <span>{format!("{} / {}", detail.project, detail.name)}</span>
        </nav>
        <div class="mb-4 flex flex-wrap items-center gap-3">
            <div class="flex flex-wrap items-center gap-3" data-live-region="cluster-head">
                <h1 class="text-2xl font-semibold tracking-tight">{detail.name.clone()}</h1>
                <StatusBadge tone=status_tone(&detail.status) label=detail.status.replace('_', " ") />
            </div>
            <LiveUpdates url=routes::cluster_route(&region, &id, routes::CLUSTER_LIVE) />
        </div>
        <StaleNotice what="This cluster changed" />
        // A live region: "the upgrade started" goes once the upgrade is over.
        <div data-live-region="notice">
            {notice.map(|text| view! { <NoticeBanner>{text}</NoticeBanner> })}
        </div>
        {problem.map(|text| view! { <ProblemBanner>{text}</ProblemBanner> })}
        <nav aria-label="Cluster" class="mb-5 border-b border-line">
            <ul class="flex flex-wrap gap-x-1">
                {routes::cluster_tabs()
                    .map(|(page, tab)| {
                        let href = routes::cluster_tab(&region, &id, tab);
                        view! {
                            <li>
                                <A
                                    href=href
                                    exact=true
                                    attr:class="inline-flex min-h-11 items-center whitespace-nowrap border-b-2 border-transparent px-3 text-sm text-muted hover:text-ink aria-[current=page]:border-accent aria-[current=page]:text-ink"
                                >
                                    {page.title}
                                </A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
        <div data-live-region="tab">
            <Outlet />
        </div>
    }
}

/// The cluster the frame loaded (tabs render inside it).
pub fn use_cluster() -> Option<ClusterDetail> {
    use_context::<ClusterDetail>()
}
