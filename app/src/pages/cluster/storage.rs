//! What Kubernetes provisioned for the cluster's workloads: persistent volumes and load
//! balancers (deleted with the cluster or kept, as the owner chooses when deleting it).

use leptos::prelude::*;

use super::use_cluster;
use crate::components::card::Card;
use crate::model::cluster::AttachedRow;

#[component]
pub fn ClusterStorage() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <Card title="Persistent volumes">
                <Attached items=cluster.volumes.clone() empty="No persistent volume." />
            </Card>
            <Card title="Load balancers">
                <Attached items=cluster.load_balancers.clone() empty="No load balancer." />
            </Card>
        </div>
    }
    .into_any()
}

#[component]
fn Attached(items: Option<Vec<AttachedRow>>, empty: &'static str) -> impl IntoView {
    match items {
        None => view! {
            <p class="text-sm text-muted">"The provider behind this console does not report these."</p>
        }
        .into_any(),
        Some(items) if items.is_empty() => view! { <p class="text-sm text-muted">{empty}</p> }.into_any(),
        Some(items) => view! {
            <ul class="divide-y divide-line text-sm">
                {items
                    .into_iter()
                    .map(|item| view! {
                        <li class="flex justify-between gap-3 py-2">
                            <span class="break-all">{item.name}</span>
                            <span class="text-muted">{item.status}</span>
                        </li>
                    })
                    .collect_view()}
            </ul>
        }
        .into_any(),
    }
}
