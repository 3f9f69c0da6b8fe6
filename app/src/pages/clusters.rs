//! The dashboard: every cluster of the signed-in person's projects, with what needs attention
//! first (status, version support, nodes ready, node ages). A table on wide screens, cards on
//! phones, from the same markup.

use leptos::prelude::*;
use leptos_meta::Title;

use super::PageHeader;
use crate::api::clusters::get_dashboard;
use crate::components::banner::{outcome_in_query, NoticeBanner};
use crate::components::live::{LiveUpdates, StaleNotice};
use crate::components::loaded::{Empty, Loaded};
use crate::components::status::{status_tone, StatusBadge, Tone};
use crate::model::cluster::action_message;
use crate::model::clusters::{
    AgeSpread, ClusterSummary, Dashboard, DashboardFilters, Lifecycle, PAGE_SIZE,
};
use crate::routes;

/// The filters of the current address (`?project=…&status=…&version=…&page=…`).
fn filters_from_query() -> DashboardFilters {
    let query = leptos_router::hooks::use_query_map().read_untracked();
    let present = |key: &str| query.get(key).filter(|value| !value.is_empty());
    DashboardFilters {
        project: present("project"),
        status: present("status"),
        version: present("version"),
        page: present("page")
            .and_then(|page| page.parse().ok())
            .unwrap_or(1)
            .max(1),
    }
}

#[component]
pub fn ClustersPage() -> impl IntoView {
    let filters = filters_from_query();
    let dashboard = Resource::new(move || filters.clone(), get_dashboard);

    view! {
        <Title text=routes::CLUSTERS.title />
        <Loaded resource=dashboard what="your clusters" let:dashboard>
            {match dashboard {
                Some(dashboard) => view! { <DashboardView dashboard /> }.into_any(),
                // The server sends signed-out browsers to the form before rendering; this is
                // for a session that ended in between.
                None => {
                    view! {
                        <PageHeader title="Clusters" summary="Sign in to see your clusters." />
                        <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a>
                    }.into_any()
                }
            }}
        </Loaded>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard) -> impl IntoView {
    let Dashboard {
        user,
        clusters,
        filters,
        matching,
        total,
        project_choices,
        status_choices,
        version_choices,
        versions_in_use,
        node_ages,
    } = dashboard;
    let notice = outcome_in_query("notice", action_message);
    let may_create = user
        .projects
        .iter()
        .any(|(_, role)| role == "owner" || role == "editor");
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
            <div class="flex flex-wrap items-center gap-3 text-sm">
                {may_create.then(|| view! {
                    <a href=routes::NEW_CLUSTER.path class="inline-flex min-h-11 items-center rounded-md bg-accent px-4 font-medium text-on-accent hover:opacity-90">"Create a cluster"</a>
                })}
                <span class="text-muted" data-testid="signed-in-as">{user.email.clone()}</span>
            </div>
        </div>
        {notice.map(|text| view! { <NoticeBanner>{text}</NoticeBanner> })}
        <LiveUpdates url=routes::CLUSTERS_LIVE.axum_path.to_string() />
        <StaleNotice what="Your clusters changed" />
        // Live regions (see `components::live`): the charts, the list and its pages follow the
        // clusters; the filters' choices too, unless a filter is being chosen.
        <div data-live-region="dashboard">
            {if total == 0 {
                view! { <EmptyState may_create /> }.into_any()
            } else {
                view! {
                    <div class="mb-6 grid gap-4 lg:grid-cols-2" data-live-region="charts">
                        <BarChart title="Versions in use" unit="clusters" bars=versions_in_use testid="versions-chart" />
                        <BarChart title="Node ages" unit="nodes" bars=node_ages testid="ages-chart" />
                    </div>
                    <Filters filters=filters.clone() projects=project_choices statuses=status_choices versions=version_choices />
                    <div data-live-region="cluster-list">
                        {if clusters.is_empty() {
                            view! { <Empty testid="no-match">"No cluster matches these filters."</Empty> }.into_any()
                        } else {
                            view! { <ClusterTable clusters /> }.into_any()
                        }}
                        <Pages filters matching />
                    </div>
                }.into_any()
            }}
        </div>
    }
}

/// A labelled horizontal bar chart as inline SVG (no script, no library): each bar carries its
/// label and count as text, so it reads without colour and without hovering.
#[component]
fn BarChart(
    title: &'static str,
    unit: &'static str,
    bars: Vec<(String, usize)>,
    testid: &'static str,
) -> impl IntoView {
    let largest = bars
        .iter()
        .map(|(_, count)| *count)
        .max()
        .unwrap_or(0)
        .max(1);
    let row = 28;
    let height = (bars.len().max(1) * row) as i32;
    let summary = bars
        .iter()
        .map(|(label, count)| {
            // "1 cluster", "2 clusters".
            let unit = if *count == 1 {
                unit.trim_end_matches('s')
            } else {
                unit
            };
            format!("{label}: {count} {unit}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <section class="rounded-lg border border-line bg-surface p-4" data-testid=testid>
            <h2 class="mb-3 text-base font-semibold">{title}</h2>
            <svg viewBox=format!("0 0 400 {height}") class="w-full" role="img" aria-label=format!("{title}: {summary}")>
                {bars
                    .into_iter()
                    .enumerate()
                    .map(|(index, (label, count))| {
                        let y = (index * row) as i32;
                        let width = 220 * count / largest;
                        view! {
                            <g>
                                <text x="0" y=y + 18 class="fill-current text-[12px]">{label.clone()}</text>
                                <rect x="110" y=y + 6 width=width.max(2) height="16" rx="3" class="fill-accent"></rect>
                                <text x=114 + width as i32 + 4 y=y + 18 class="fill-current text-[12px]">{count}</text>
                            </g>
                        }
                    })
                    .collect_view()}
            </svg>
        </section>
    }
}

fn select_options(choices: &[String], selected: &Option<String>) -> impl IntoView {
    let any_selected = selected.is_none();
    view! {
        <option value="" selected=any_selected>"Any"</option>
        {choices
            .iter()
            .map(|choice| {
                let is_selected = selected.as_deref() == Some(choice.as_str());
                view! { <option value=choice.clone() selected=is_selected>{choice.replace('_', " ")}</option> }
            })
            .collect_view()}
    }
}

/// A plain GET form: the filters live in the address, so a filtered view can be linked.
#[component]
fn Filters(
    filters: DashboardFilters,
    projects: Vec<String>,
    statuses: Vec<String>,
    versions: Vec<String>,
) -> impl IntoView {
    let field = "block min-h-11 rounded-md border border-line bg-canvas px-3 text-sm";
    view! {
        <form method="get" action=routes::CLUSTERS.path class="mb-4 flex flex-wrap items-end gap-3" data-testid="filters">
            <div>
                <label for="filter-project" class="mb-1 block text-xs text-muted">"Project"</label>
                <select id="filter-project" name="project" class=field>{select_options(&projects, &filters.project)}</select>
            </div>
            <div>
                <label for="filter-status" class="mb-1 block text-xs text-muted">"Status"</label>
                <select id="filter-status" name="status" class=field>{select_options(&statuses, &filters.status)}</select>
            </div>
            <div>
                <label for="filter-version" class="mb-1 block text-xs text-muted">"Version"</label>
                <select id="filter-version" name="version" class=field>{select_options(&versions, &filters.version)}</select>
            </div>
            <button type="submit" class="min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle">"Filter"</button>
        </form>
    }
}

/// Previous / next page links that keep the filters.
#[component]
fn Pages(filters: DashboardFilters, matching: usize) -> impl IntoView {
    let pages = matching.div_ceil(PAGE_SIZE).max(1);
    if pages <= 1 {
        return ().into_any();
    }
    let link = move |page: usize| {
        let mut pairs = vec![format!("page={page}")];
        for (key, value) in [
            ("project", &filters.project),
            ("status", &filters.status),
            ("version", &filters.version),
        ] {
            if let Some(value) = value {
                pairs.push(format!("{key}={value}"));
            }
        }
        format!("{}?{}", routes::CLUSTERS.path, pairs.join("&"))
    };
    let current = filters.page.min(pages);
    view! {
        <nav aria-label="Pages" class="mt-4 flex items-center gap-3 text-sm" data-testid="pages">
            {(current > 1).then(|| view! { <a href=link(current - 1) class="inline-flex min-h-11 items-center text-accent underline">"Previous"</a> })}
            <span class="text-muted">{format!("Page {current} of {pages}")}</span>
            {(current < pages).then(|| view! { <a href=link(current + 1) class="inline-flex min-h-11 items-center text-accent underline">"Next"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn EmptyState(
    /// Whether the person may create clusters in one of their projects (owners and editors).
    may_create: bool,
) -> impl IntoView {
    let next = if may_create {
        view! {
            <a href=routes::NEW_CLUSTER.path class="text-accent underline">"Create a cluster"</a>
            " here, or with the Scaleway-compatible API or an official SDK; it appears here either way."
        }
        .into_any()
    } else {
        "Clusters your projects' owners or editors create appear here; viewers can look but not create.".into_any()
    };
    view! {
        <div class="rounded-lg border border-dashed border-line p-8 text-center" data-testid="no-clusters">
            <p class="font-medium">"No clusters yet."</p>
            <p class="mt-1 text-sm text-muted">{next}</p>
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
                    <th scope="col" class="px-3 py-2 font-medium">"Alerts"</th>
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
                                    <a href=routes::cluster(&cluster.region, &cluster.id) class="inline-flex min-h-11 items-center font-medium text-accent underline-offset-2 hover:underline">{cluster.name.clone()}</a>
                                    <span class="ml-2 text-xs text-muted">{format!("{} · {}", cluster.project, cluster.region)}</span>
                                </td>
                                <td class=cell data-label="Status"><StatusBadge tone=status_tone(&cluster.status) label=status_label /></td>
                                <td class=cell data-label="Version">
                                    <span class="mr-2 font-mono text-xs">{cluster.version.clone()}</span>
                                    <StatusBadge tone=lifecycle_tone(&cluster.lifecycle) label=cluster.lifecycle.label() />
                                </td>
                                <td class=cell data-label="Nodes ready">{format!("{} of {}", cluster.ready_nodes, cluster.total_nodes)}</td>
                                <td class=cell data-label="Pools">{cluster.pools}</td>
                                <td class=cell data-label="Node age">{ages(&cluster.node_ages)}</td>
                                <td class=cell data-label="Alerts" data-testid="firing-alerts">
                                    {if cluster.firing_alerts == 0 {
                                        view! { <span class="text-muted">"None firing"</span> }.into_any()
                                    } else {
                                        let href = routes::cluster_tab(&cluster.region, &cluster.id, routes::Tab::Alerts);
                                        let words = if cluster.firing_alerts == 1 { "1 firing".to_string() } else { format!("{} firing", cluster.firing_alerts) };
                                        view! { <a href=href class="inline-flex min-h-11 items-center font-medium text-bad underline">{words}</a> }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
