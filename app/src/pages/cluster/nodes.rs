//! The cluster's nodes: age, OS image, status and readiness; reboot and replace, each behind a
//! confirmation box (plain forms: they work without JavaScript).

use leptos::prelude::*;

use super::{status_tone, use_cluster};
use crate::components::hidden_fields::HiddenFields;
use crate::components::loaded::Empty;
use crate::components::status::StatusBadge;
use crate::model::cluster::NodeRow;
use crate::routes;

#[component]
pub fn ClusterNodes() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    if cluster.nodes.is_empty() {
        return view! { <Empty testid="no-nodes">"No nodes yet: they appear here as they boot."</Empty> }
            .into_any();
    }
    let (region, id) = (cluster.region.clone(), cluster.id.clone());
    let can_change = cluster.can_change;
    view! {
        <ul class="grid gap-3 md:grid-cols-2 xl:grid-cols-3" data-testid="nodes">
            {cluster
                .nodes
                .into_iter()
                .map(|node| {
                    let action = routes::cluster_form(&region, &id, routes::NODE_ACTION).with("node", &node.id);
                    view! { <NodeCard node action can_change /> }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn NodeCard(node: NodeRow, action: routes::FormTo, can_change: bool) -> impl IntoView {
    let age = crate::pages::clusters::age(node.age_days);
    let facts = [
        ("Pool", node.pool.clone()),
        ("Age", age),
        ("Kubelet", node.version.clone()),
        (
            "OS image",
            match &node.newer_image {
                Some(newer) => format!("{} (outdated: new nodes boot {newer})", node.os_image),
                None => node.os_image.clone(),
            },
        ),
        (
            "Expires",
            node.expires.clone().unwrap_or_else(|| "no lifespan".into()),
        ),
        ("Ready", node.ready.clone()),
        (
            "Public IP",
            node.public_ip.clone().unwrap_or_else(|| "none".into()),
        ),
    ];
    let show_actions = can_change && node.actionable;
    view! {
        <li class="rounded-lg border border-line bg-surface p-4" data-testid="node-card" data-status=node.status.clone() data-live-region=format!("node-{}", node.id)>
            <div class="mb-2 flex items-start justify-between gap-2">
                <span class="break-all font-mono text-xs font-medium">{node.name.clone()}</span>
                <StatusBadge tone=status_tone(&node.status) label=node.status.replace('_', " ") />
            </div>
            <dl class="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                {facts
                    .into_iter()
                    .map(|(name, value)| view! {
                        <dt class="text-muted">{name}</dt>
                        <dd class="min-w-0 break-words">{value}</dd>
                    })
                    .collect_view()}
            </dl>
            {node.waiting.clone().map(|why| view! {
                <p class="mt-2 rounded-md border border-warn bg-warn-soft p-2 text-sm text-warn" data-testid="node-waiting">{format!("Waiting: {why}")}</p>
            })}
            {show_actions.then(|| view! {
                <details class="mt-3">
                    <summary class="inline-flex min-h-11 cursor-pointer items-center text-sm text-accent">"Reboot or replace…"</summary>
                    <form method="post" action=action.action class="mt-2 space-y-3">
                        <HiddenFields to=action.clone() />
                        <label class="flex min-h-11 items-start gap-2 text-sm">
                            <input type="checkbox" name="confirm" value="yes" required class="mt-1 size-5" />
                            <span>"I understand: the node is drained first, so its pods move to other nodes."</span>
                        </label>
                        <div class="flex flex-wrap gap-2">
                            <button type="submit" name="action" value="reboot" class="min-h-11 rounded-md border border-line px-3 text-sm hover:bg-subtle">"Reboot"</button>
                            <button type="submit" name="action" value="replace" class="min-h-11 rounded-md border border-bad px-3 text-sm text-bad hover:bg-bad-soft">"Replace"</button>
                        </div>
                    </form>
                </details>
            })}
        </li>
    }
}
