//! The cluster at a glance, and who manages each of its components (the responsibility matrix).

use leptos::prelude::*;

use super::use_cluster;
use crate::components::card::Card;
use crate::components::status::{StatusBadge, Tone};
use crate::model::cluster::ComponentRow;
use crate::model::clusters::Lifecycle;

#[component]
pub fn ClusterOverview() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    let lifecycle_tone = match cluster.lifecycle {
        Lifecycle::Supported => Tone::Good,
        Lifecycle::Deprecated { days_left } if days_left > 30 => Tone::Warning,
        Lifecycle::Deprecated { .. } | Lifecycle::EndOfLife => Tone::Critical,
        Lifecycle::Unknown => Tone::Neutral,
    };
    let facts = [
        ("Region", cluster.region.clone()),
        ("Type", cluster.cluster_type.clone()),
        ("CNI", cluster.cni.clone()),
        ("API endpoint", cluster.cluster_url.clone()),
        ("Created", cluster.created_at.clone()),
        (
            "Description",
            if cluster.description.is_empty() {
                "—".into()
            } else {
                cluster.description.clone()
            },
        ),
        (
            "Tags",
            if cluster.tags.is_empty() {
                "—".into()
            } else {
                cluster.tags.join(", ")
            },
        ),
    ];
    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <Card title="Cluster">
                <dl class="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm" data-testid="cluster-facts">
                    <dt class="text-muted">"Kubernetes"</dt>
                    <dd class="flex flex-wrap items-center gap-2">
                        <span class="font-mono text-xs">{cluster.version.clone()}</span>
                        <StatusBadge tone=lifecycle_tone label=cluster.lifecycle.label() />
                    </dd>
                    {facts
                        .into_iter()
                        .map(|(name, value)| view! {
                            <dt class="text-muted">{name}</dt>
                            <dd class="min-w-0 break-words">{value}</dd>
                        })
                        .collect_view()}
                </dl>
            </Card>
            <Card title="Who manages what">
                {match cluster.components.clone() {
                    None => view! {
                        <p class="text-sm text-muted">"The provider behind this console does not report its components."</p>
                    }.into_any(),
                    Some(components) => view! { <Responsibilities components /> }.into_any(),
                }}
            </Card>
        </div>
    }
    .into_any()
}

#[component]
fn Responsibilities(components: Vec<ComponentRow>) -> impl IntoView {
    let cell = "block px-2 py-1 sm:table-cell sm:py-2 before:mr-2 before:text-xs before:text-muted before:content-[attr(data-label)] sm:before:content-none";
    view! {
        <table class="block w-full text-sm sm:table" data-testid="responsibilities">
            <thead class="hidden text-left text-xs uppercase tracking-wide text-muted sm:table-header-group">
                <tr>
                    <th scope="col" class="px-2 py-1 font-medium">"Component"</th>
                    <th scope="col" class="px-2 py-1 font-medium">"Version"</th>
                    <th scope="col" class="px-2 py-1 font-medium">"Health"</th>
                    <th scope="col" class="px-2 py-1 font-medium">"Managed by"</th>
                </tr>
            </thead>
            <tbody class="block sm:table-row-group">
                {components
                    .into_iter()
                    .map(|component| {
                        let health_tone = match component.health.as_str() {
                            "healthy" => Tone::Good,
                            "degraded" => Tone::Warning,
                            _ => Tone::Critical,
                        };
                        view! {
                            <tr class="mb-2 block border-b border-line py-1 sm:mb-0 sm:table-row">
                                <td class=cell data-label="Component">
                                    <span class="font-medium">{component.name.clone()}</span>
                                    <span class="ml-2 text-xs text-muted">{component.kind.clone()}</span>
                                </td>
                                <td class=format!("{cell} font-mono text-xs") data-label="Version">{component.version.clone()}</td>
                                <td class=cell data-label="Health"><StatusBadge tone=health_tone label=component.health.replace('_', " ") /></td>
                                <td class=cell data-label="Managed by">{component.managed_by.clone()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
