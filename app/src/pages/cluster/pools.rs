//! The cluster's pools: size, status, version, node type, autoscaling and autohealing.

use leptos::prelude::*;

use super::{status_tone, use_cluster};
use crate::components::status::StatusBadge;

#[component]
pub fn ClusterPools() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    if cluster.pools.is_empty() {
        return view! {
            <p class="rounded-lg border border-dashed border-line p-6 text-sm text-muted" data-testid="no-pools">
                "This cluster has no pool yet: its workloads have no node to run on."
            </p>
        }
        .into_any();
    }
    let cell = "block px-3 py-1 sm:table-cell sm:py-3 before:mr-2 before:text-xs before:text-muted before:content-[attr(data-label)] sm:before:content-none";
    view! {
        <table class="block w-full text-sm sm:table" data-testid="pools">
            <thead class="hidden border-b border-line text-left text-xs uppercase tracking-wide text-muted sm:table-header-group">
                <tr>
                    <th scope="col" class="px-3 py-2 font-medium">"Pool"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Status"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Version"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Nodes"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Autoscaling"</th>
                    <th scope="col" class="px-3 py-2 font-medium">"Autohealing"</th>
                </tr>
            </thead>
            <tbody class="block sm:table-row-group">
                {cluster
                    .pools
                    .into_iter()
                    .map(|pool| view! {
                        <tr class="mb-3 block rounded-lg border border-line bg-surface py-2 sm:mb-0 sm:table-row sm:rounded-none sm:border-0 sm:border-b sm:bg-transparent" data-testid="pool-row">
                            <td class=cell data-label="Pool">
                                <span class="font-medium">{pool.name.clone()}</span>
                                <span class="ml-2 text-xs text-muted">{pool.node_type.clone()}</span>
                            </td>
                            <td class=cell data-label="Status"><StatusBadge tone=status_tone(&pool.status) label=pool.status.clone() /></td>
                            <td class=format!("{cell} font-mono text-xs") data-label="Version">{pool.version.clone()}</td>
                            <td class=cell data-label="Nodes">{pool.size}</td>
                            <td class=cell data-label="Autoscaling">
                                {match pool.autoscaling {
                                    Some((min, max)) => format!("{min} to {max} nodes"),
                                    None => "off".to_string(),
                                }}
                            </td>
                            <td class=cell data-label="Autohealing">{if pool.autohealing { "on" } else { "off" }}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
