//! What happened to the cluster and its pools and nodes, newest first (the last 100 events).

use leptos::prelude::*;

use super::use_cluster;

#[component]
pub fn ClusterEvents() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    match cluster.events {
        None => view! {
            <p class="text-sm text-muted">"The provider behind this console does not report events."</p>
        }
        .into_any(),
        Some(events) if events.is_empty() => {
            view! { <p class="text-sm text-muted">"No event yet."</p> }.into_any()
        }
        Some(events) => view! {
            <ol class="divide-y divide-line rounded-lg border border-line bg-surface text-sm" data-testid="events">
                {events
                    .into_iter()
                    .map(|event| view! {
                        <li class="grid gap-1 p-3 sm:grid-cols-[12rem_15rem_1fr] sm:gap-3">
                            <span class="font-mono text-xs text-muted">{event.at}</span>
                            <span class="min-w-0 break-words font-medium">{event.reason}<span class="ml-1 text-xs text-muted">{format!("({})", event.object_kind)}</span></span>
                            <span class="min-w-0 break-words">{event.message}</span>
                        </li>
                    })
                    .collect_view()}
            </ol>
        }
        .into_any(),
    }
}
