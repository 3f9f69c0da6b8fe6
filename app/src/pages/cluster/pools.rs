//! The cluster's pools: size, status, version, node type, autoscaling and autohealing.

use leptos::prelude::*;

use super::{status_tone, use_cluster};
use crate::components::confirm::TypedConfirmation;
use crate::components::hidden_fields::HiddenFields;
use crate::components::loaded::Empty;
use crate::components::status::StatusBadge;
use crate::routes;

#[component]
pub fn ClusterPools() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    let add = cluster
        .can_change
        .then(|| view! { <AddPool to=routes::cluster_form(&cluster.region, &cluster.id, routes::ADD_POOL) node_types=cluster.node_types.clone() /> });
    if cluster.pools.is_empty() {
        return view! {
            <Empty testid="no-pools">"This cluster has no pool yet: its workloads have no node to run on."</Empty>
            {add}
        }
        .into_any();
    }
    let (region, id) = (cluster.region.clone(), cluster.id.clone());
    let can_change = cluster.can_change;
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
                    {can_change.then(|| view! { <th scope="col" class="px-3 py-2 font-medium"><span class="sr-only">"Actions"</span></th> })}
                </tr>
            </thead>
            <tbody class="block sm:table-row-group">
                {cluster
                    .pools
                    .into_iter()
                    .map(|pool| view! {
                        <tr class="mb-3 block rounded-lg border border-line bg-surface py-2 sm:mb-0 sm:table-row sm:rounded-none sm:border-0 sm:border-b sm:bg-transparent" data-testid="pool-row" data-live-region=format!("pool-{}", pool.id)>
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
                            {can_change.then(|| view! {
                                <td class=cell>
                                    <PoolActions to=routes::cluster_form(&region, &id, routes::POOL_ACTION).with("pool", &pool.id) pool=pool.clone() />
                                </td>
                            })}
                        </tr>
                    }.into_any())
                    .collect_view()}
            </tbody>
        </table>
        {add}
    }
    .into_any()
}

/// A new pool: name, node type, size, autohealing (the full pool settings come later).
#[component]
fn AddPool(to: routes::FormTo, node_types: Vec<String>) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map().read_untracked();
    let typed = |key: &str, default: &str| query.get(key).unwrap_or_else(|| default.to_string());
    // A refusal about an existing pool (`pool=` set) is shown beside that pool instead.
    let message = (query.get("problem").as_deref() == Some("invalid")
        && query.get("pool").is_none())
    .then(|| query.get("message").unwrap_or_default());
    let (name, node_type, size) = (
        typed("name", ""),
        typed("node_type", "pro2_xs"),
        typed("size", "2"),
    );
    // New pools get the recommended lifespan unless the person clears it.
    let lifespan = typed(
        "lifespan",
        &crate::model::cluster::RECOMMENDED_LIFESPAN_DAYS.to_string(),
    );
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
    view! {
        <section class="mt-6 rounded-lg border border-line bg-surface p-4" aria-labelledby="add-pool-title">
            <h2 id="add-pool-title" class="mb-3 text-base font-semibold">"Add a pool"</h2>
            <form method="post" action=to.action class="grid gap-3 sm:grid-cols-4 sm:items-end" data-testid="add-pool">
                <HiddenFields to=to.clone() />
                <div>
                    <label for="pool-name" class="mb-1 block text-sm font-medium">"Pool name"</label>
                    <input id="pool-name" name="name" type="text" required value=name class=field />
                </div>
                <div>
                    <label for="pool-node-type" class="mb-1 block text-sm font-medium">"Node type"</label>
                    <select id="pool-node-type" name="node_type" class=field>
                        {node_types
                            .into_iter()
                            .map(|name| {
                                let selected = name == node_type;
                                view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div>
                    <label for="pool-size" class="mb-1 block text-sm font-medium">"Nodes"</label>
                    <input id="pool-size" name="size" type="number" min="1" max="500" value=size class=field />
                </div>
                <div>
                    <label for="pool-lifespan" class="mb-1 block text-sm font-medium">"Node lifespan (days; empty: off)"</label>
                    <input id="pool-lifespan" name="lifespan" type="number" min="1" max="365" value=lifespan class=field />
                </div>
                <label class="flex min-h-11 items-center gap-2 text-sm">
                    <input type="checkbox" name="autohealing" value="yes" checked=true class="size-5" />
                    "Autohealing"
                </label>
                {message.map(|text| view! { <p class="text-sm text-bad sm:col-span-4" data-testid="problem-pool">{text}</p> })}
                <button type="submit" class="min-h-11 w-fit rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Add the pool"</button>
            </form>
        </section>
    }
    .into_any()
}

/// Resize a pool, or delete it after typing its name; a refusal is shown here, beside the pool.
/// (This table's views are type-erased with `into_any`: the full nested type overflows the
/// wasm build's type-layout depth limit.)
#[component]
fn PoolActions(to: routes::FormTo, pool: crate::model::cluster::PoolRow) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map().read_untracked();
    let message = (query.get("problem").as_deref() == Some("invalid")
        && query.get("pool").as_deref() == Some(pool.id.as_str()))
    .then(|| query.get("message").unwrap_or_default());
    let open = message.is_some();
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
    let size_id = format!("size-{}", pool.id);
    let autoscaled = pool.autoscaling.is_some();
    view! {
        <details class="text-sm" open=open data-testid="pool-actions">
            <summary class="flex min-h-11 cursor-pointer items-center text-accent">"Resize, settings or delete…"</summary>
            <div class="mt-2 grid gap-4 rounded-md border border-line bg-surface p-3">
                {message.map(|text| view! { <p role="alert" class="text-bad" data-testid="problem-pool-action">{text}</p> })}
                <form method="post" action=to.action class="grid gap-2">
                    <HiddenFields to=to.clone() />
                    <input type="hidden" name="action" value="resize" />
                    <label for=size_id.clone() class="font-medium">"Nodes"</label>
                    <input id=size_id name="size" type="number" min="0" max="500" value=pool.size.to_string() class=field />
                    {autoscaled.then(|| view! { <p class="text-xs text-muted">"Autoscaling is on: the autoscaler moves the size within its bounds."</p> })}
                    <button type="submit" class="min-h-11 w-fit rounded-md border border-line px-4 font-medium hover:bg-canvas">"Resize"</button>
                </form>
                <PoolSettings to=to.clone() pool=pool.clone() />
                <TypedConfirmation to=to name=pool.name.clone() button="Delete the pool">
                    <input type="hidden" name="action" value="delete" />
                    <p class="text-muted">"Deleting the pool drains and removes its nodes."</p>
                </TypedConfirmation>
            </div>
        </details>
    }
    .into_any()
}

/// Autoscaling bounds, the upgrade policy, and kubelet arguments (behind a warning: with any,
/// the kubelet becomes the user's responsibility). Lifespan and autohealing live in the
/// cluster's Maintenance tab, beside the window they depend on.
#[component]
fn PoolSettings(to: routes::FormTo, pool: crate::model::cluster::PoolRow) -> impl IntoView {
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
    let id = |what: &str| format!("{what}-{}", pool.id);
    let number = |what: &'static str, label: &'static str, value: i64, min: &'static str| {
        let input_id = id(what);
        let label_for = input_id.clone();
        view! {
            <div>
                <label for=label_for class="font-medium">{label}</label>
                <input id=input_id name=what type="number" min=min max="500" value=value.to_string() required class=field />
            </div>
        }
    };
    let (autoscaling_id, args_id, ack_id) =
        (id("autoscaling"), id("kubelet-args"), id("kubelet-ack"));
    let (autoscaling_for, args_for, ack_for) =
        (autoscaling_id.clone(), args_id.clone(), ack_id.clone());
    view! {
        <form method="post" action=to.action class="grid gap-2 sm:grid-cols-2" data-testid="pool-settings">
            <HiddenFields to=to.clone() />
            <input type="hidden" name="action" value="settings" />
            <label for=autoscaling_for class="flex min-h-11 items-center gap-2 sm:col-span-2">
                <input id=autoscaling_id type="checkbox" name="autoscaling" checked=pool.autoscaling.is_some() class="size-5" />
                "Autoscaling, between"
            </label>
            {number("min_size", "Autoscaling minimum", pool.min_size, "0")}
            {number("max_size", "Autoscaling maximum", pool.max_size, "1")}
            {number("max_surge", "Max surge (added before draining)", pool.max_surge, "0")}
            {number("max_unavailable", "Max unavailable (drained in place)", pool.max_unavailable, "0")}
            <div class="sm:col-span-2">
                <label for=args_for class="font-medium">"Kubelet arguments (name=value, one per line)"</label>
                <textarea id=args_id name="kubelet_args" rows="2" class="block w-full rounded-md border border-line bg-canvas p-3 text-base">{pool.kubelet_args.clone()}</textarea>
                <label for=ack_for class="mt-1 flex min-h-11 items-start gap-2 text-warn">
                    <input id=ack_id type="checkbox" name="kubelet_ack" value="yes" class="mt-1 size-5" />
                    <span>"With arguments of my own, the kubelet becomes my responsibility: the overview's responsibility matrix says so."</span>
                </label>
            </div>
            <button type="submit" class="min-h-11 w-fit rounded-md border border-line px-4 font-medium hover:bg-canvas">"Save the settings"</button>
        </form>
    }
}
