//! The dashboard: every cluster of the signed-in person's projects, with what needs attention
//! first (status, version support, nodes ready, node ages). A table on wide screens, cards on
//! phones, from the same markup.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{LoadError, PageHeader};
use crate::api::clusters::get_dashboard;
use crate::components::live::LiveUpdates;
use crate::components::status::{status_tone, StatusBadge, Tone};
use crate::model::cluster::{action_message, cluster_path};
use crate::model::clusters::{AgeSpread, ClusterSummary, Dashboard, Lifecycle};
use crate::model::create::CREATE_PATH;

/// The dashboard's live status stream (Server-Sent Events).
pub const LIVE_PATH: &str = "/clusters/events";
use crate::model::identity::{SIGN_IN_PATH, SIGN_OUT_PATH};

#[component]
pub fn ClustersPage() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| get_dashboard());

    view! {
        <Title text="Clusters" />
        <Suspense fallback=|| view! { <p class="text-sm text-muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(Some(dashboard)) => view! { <DashboardView dashboard /> }.into_any(),
                    // The server sends signed-out browsers to the form before rendering; this is
                    // for a session that ended in between.
                    Ok(None) => {
                        view! {
                            <PageHeader title="Clusters" summary="Sign in to see your clusters." />
                            <a href=SIGN_IN_PATH class="text-accent underline">"Sign in"</a>
                        }.into_any()
                    }
                    Err(error) => view! { <LoadError what="your clusters" error=error.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard) -> impl IntoView {
    let Dashboard { user, clusters } = dashboard;
    let query = leptos_router::hooks::use_query_map();
    let notice = move || {
        query
            .read()
            .get("notice")
            .and_then(|code| action_message(&code))
    };
    let projects = user
        .projects
        .iter()
        .map(|(name, role)| format!("{name} ({role})"))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="mb-6 flex flex-wrap items-start justify-between gap-3">
            <PageHeader
                title="Clusters"
                summary=format!("Your clusters in {}.", if projects.is_empty() { "no project yet".to_string() } else { projects })
            />
            <form method="post" action=SIGN_OUT_PATH class="flex flex-wrap items-center gap-3 text-sm">
                <a href=CREATE_PATH class="inline-flex min-h-11 items-center rounded-md bg-accent px-4 font-medium text-white hover:opacity-90">"Create a cluster"</a>
                <span class="text-muted" data-testid="signed-in-as">{user.email.clone()}</span>
                <button type="submit" class="min-h-11 rounded-md border border-line px-3 hover:bg-subtle">"Sign out"</button>
            </form>
        </div>
        {move || notice().map(|text| view! {
            <p role="status" class="mb-4 rounded-md border border-line bg-good-soft p-3 text-sm text-good" data-testid="notice">{text}</p>
        })}
        <LiveUpdates url=LIVE_PATH.to_string() />
        {if clusters.is_empty() {
            view! { <EmptyState /> }.into_any()
        } else {
            view! { <ClusterTable clusters /> }.into_any()
        }}
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <div class="rounded-lg border border-dashed border-line p-8 text-center" data-testid="no-clusters">
            <p class="font-medium">"No clusters yet."</p>
            <p class="mt-1 text-sm text-muted">
                <a href=CREATE_PATH class="text-accent underline">"Create a cluster"</a>
                " here, or with the Scaleway-compatible API or an official SDK; it appears here either way."
            </p>
        </div>
    }
}

fn lifecycle_tone(lifecycle: &Lifecycle) -> Tone {
    match lifecycle {
        Lifecycle::Supported => Tone::Good,
        Lifecycle::Deprecated { days_left } if *days_left > 30 => Tone::Warning,
        Lifecycle::Deprecated { .. } | Lifecycle::EndOfLife => Tone::Critical,
        Lifecycle::Unknown => Tone::Neutral,
    }
}

/// An age as people say it: hours under two days, days after.
pub fn age(days: f64) -> String {
    if days < 2.0 {
        format!("{:.0} h", (days * 24.0).floor())
    } else {
        format!("{:.0} d", days.floor())
    }
}

fn ages(spread: &Option<AgeSpread>) -> String {
    match spread {
        None => "no nodes".into(),
        Some(spread) => format!(
            "{} / {} / {}",
            age(spread.oldest_days),
            age(spread.median_days),
            age(spread.newest_days)
        ),
    }
}

/// One markup: a table from 640 px up, stacked cards below (each cell labels itself).
#[component]
fn ClusterTable(clusters: Vec<ClusterSummary>) -> impl IntoView {
    let cell = "block px-3 py-1 sm:table-cell sm:py-3 before:mr-2 before:text-xs before:text-muted before:content-[attr(data-label)] sm:before:content-none";
    view! {
        <table class="block w-full text-sm sm:table" data-testid="clusters">
            <thead class="hidden border-b border-line text-left text-xs uppercase tracking-wide text-muted sm:table-header-group">
                <tr>
                    <th scope="col" class="px-3 py-2 font-medium">"Cluster"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Status"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Version"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Nodes ready"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Pools"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Node age (oldest / median / newest)"</th>
                </tr>
            </thead>
            <tbody class="block sm:table-row-group">
                {clusters
                    .into_iter()
                    .map(|cluster| {
                        let status_label = cluster.status.replace('_', " ");
                        view! {
                            <tr class="mb-3 block rounded-lg border border-line bg-surface py-2 sm:mb-0 sm:table-row sm:rounded-none sm:border-0 sm:border-b sm:bg-transparent" data-testid="cluster-row">
                                <td class=format!("{cell} font-medium") data-label="Cluster">
                                    <a href=cluster_path(&cluster.region, &cluster.id) class="font-medium text-accent underline-offset-2 hover:underline">{cluster.name.clone()}</a>
                                    <span class="ml-2 text-xs text-muted">{format!("{} · {}", cluster.project, cluster.region)}</span>
                                </td>
                                <td class=cell data-label="Status"><StatusBadge tone=status_tone(&cluster.status) label=status_label live=cluster.id.clone() /></td>
                                <td class=cell data-label="Version">
                                    <span class="mr-2 font-mono text-xs">{cluster.version.clone()}</span>
                                    <StatusBadge tone=lifecycle_tone(&cluster.lifecycle) label=cluster.lifecycle.label() />
                                </td>
                                <td class=cell data-label="Nodes ready"><span data-live-nodes=cluster.id.clone()>{format!("{} of {}", cluster.ready_nodes, cluster.total_nodes)}</span></td>
                                <td class=cell data-label="Pools">{cluster.pools}</td>
                                <td class=cell data-label="Node age">{ages(&cluster.node_ages)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
