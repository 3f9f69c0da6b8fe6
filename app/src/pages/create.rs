//! The create-cluster form: project, region, type, version and CNI, a pool (node type, size or
//! autoscaling bounds, autohealing), and the monthly cost estimate from the provider's price
//! list. A plain form: "Estimate" comes back with the figures, "Create" makes the cluster; a
//! refusal comes back with the reason beside its field and everything typed kept.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{LoadError, PageHeader};
use crate::api::create::get_create_choices;
use crate::model::create::{CreateChoices, CreatePage, CREATE_PATH};

#[component]
pub fn CreateClusterPage() -> impl IntoView {
    let choices = Resource::new(|| (), |_| get_create_choices());
    view! {
        <Title text="Create a cluster" />
        <PageHeader title="Create a cluster" summary="A managed control plane and a first pool of nodes." />
        <Suspense fallback=|| view! { <p class="text-sm text-muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Ok(CreatePage::Ready(choices)) => view! { <CreateForm choices=*choices /> }.into_any(),
                    Ok(CreatePage::SignedOut) => view! { <a href="/login" class="text-accent underline">"Sign in"</a> }.into_any(),
                    Err(error) => view! { <LoadError what="the form" error=error.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn options(items: &[String], selected: &str) -> impl IntoView {
    items
        .iter()
        .map(|item| {
            let is_selected = item == selected;
            view! { <option value=item.clone() selected=is_selected>{item.clone()}</option> }
        })
        .collect_view()
}

#[component]
fn CreateForm(choices: CreateChoices) -> impl IntoView {
    if choices.projects.is_empty() {
        return view! {
            <p class="text-sm text-muted">"You have no project where you may create clusters (your role is viewer everywhere)."</p>
        }
        .into_any();
    }
    let query = use_query_map().read_untracked();
    let typed = |key: &str, default: &str| query.get(key).unwrap_or_else(|| default.to_string());
    let problem_field = query.get("field");
    let problem_message = query.get("message").unwrap_or_default();
    let problem = move |field: &'static str| {
        (problem_field.as_deref() == Some(field)).then(|| {
            view! { <p class="mt-1 text-sm text-bad" data-testid=format!("problem-{field}")>{problem_message.clone()}</p> }
        })
    };
    let project = typed("project", &choices.projects[0].0);
    let region = typed("region", "fr-par");
    let name = typed("name", "");
    let version = typed(
        "version",
        choices.versions.first().map(String::as_str).unwrap_or(""),
    );
    let cni = typed("cni", "cilium");
    let cluster_type = typed("type", "kapsule");
    let pool_name = typed("pool_name", "default");
    let node_type = typed("node_type", "pro2_xs");
    let size = typed("size", "3");
    let autoscaling = query.get("autoscaling").is_some();
    let min_size = typed("min_size", "1");
    let max_size = typed("max_size", "5");
    let autohealing = query.get("autohealing").is_some() || query.get("name").is_none();
    // New pools get the recommended lifespan unless the person clears it.
    let lifespan = typed(
        "lifespan",
        &crate::model::cluster::RECOMMENDED_LIFESPAN_DAYS.to_string(),
    );

    // The estimate for what is typed now (the "Estimate" button refreshes it).
    let bounds = if autoscaling {
        (min_size.parse().unwrap_or(0), max_size.parse().unwrap_or(0))
    } else {
        let size = size.parse().unwrap_or(0);
        (size, size)
    };
    let estimate = choices.prices.as_ref().map(|prices| {
        if bounds.0 > bounds.1 {
            return "set \"at least\" no higher than \"at most\" to see an estimate".to_string();
        }
        match prices.monthly(&cluster_type, &[(node_type.clone(), bounds.0, bounds.1)]) {
            Some((low, high)) if (high - low).abs() < 0.005 => {
                format!("about {low:.2} {} per month", prices.currency)
            }
            Some((low, high)) => format!("{low:.2} to {high:.2} {} per month", prices.currency),
            None => "no list price for this choice".to_string(),
        }
    });
    let about = choices.prices.as_ref().map(|prices| prices.about.clone());
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
    let label = "mb-1 block text-sm font-medium";
    let projects = choices
        .projects
        .iter()
        .map(|(id, name)| {
            let is_selected = *id == project;
            view! { <option value=id.clone() selected=is_selected>{name.clone()}</option> }
        })
        .collect_view();

    view! {
        <form method="post" action=CREATE_PATH class="grid max-w-3xl gap-6" data-testid="create-form">
            <fieldset class="grid gap-4 rounded-lg border border-line bg-surface p-4 sm:grid-cols-2">
                <legend class="px-1 text-base font-semibold">"Cluster"</legend>
                <div>
                    <label for="project" class=label>"Project"</label>
                    <select id="project" name="project" class=field>{projects}</select>
                </div>
                <div>
                    <label for="region" class=label>"Region"</label>
                    <select id="region" name="region" class=field>{options(&choices.regions, &region)}</select>
                </div>
                <div class="sm:col-span-2">
                    <label for="name" class=label>"Name"</label>
                    <input id="name" name="name" type="text" required value=name class=field placeholder="e.g. shop-prod" />
                    {problem("name")}
                </div>
                <div>
                    <label for="version" class=label>"Kubernetes version"</label>
                    <select id="version" name="version" class=field>{options(&choices.versions, &version)}</select>
                    {problem("version")}
                </div>
                <div>
                    <label for="cni" class=label>"Network plugin (CNI)"</label>
                    <select id="cni" name="cni" class=field>{options(&choices.cnis, &cni)}</select>
                    {problem("cni")}
                </div>
                <div class="sm:col-span-2">
                    <label for="type" class=label>"Control plane"</label>
                    <select id="type" name="type" class=field>{options(&choices.cluster_types, &cluster_type)}</select>
                    {problem("type")}
                </div>
            </fieldset>
            <fieldset class="grid gap-4 rounded-lg border border-line bg-surface p-4 sm:grid-cols-2">
                <legend class="px-1 text-base font-semibold">"First pool"</legend>
                <div>
                    <label for="pool_name" class=label>"Pool name"</label>
                    <input id="pool_name" name="pool_name" type="text" required value=pool_name class=field />
                    {problem("pools")}
                </div>
                <div>
                    <label for="node_type" class=label>"Node type"</label>
                    <select id="node_type" name="node_type" class=field>{options(&choices.node_types, &node_type)}</select>
                </div>
                <div>
                    <label for="size" class=label>"Nodes"</label>
                    <input id="size" name="size" type="number" min="0" max="500" value=size class=field />
                    {problem("size")}
                </div>
                <label class="flex min-h-11 items-center gap-2 self-end text-sm">
                    <input type="checkbox" name="autohealing" value="yes" checked=autohealing class="size-5" />
                    "Autohealing (replace nodes that stay NotReady)"
                </label>
                <div>
                    <label for="lifespan" class=label>"Node lifespan (days; empty: off)"</label>
                    <input id="lifespan" name="lifespan" type="number" min="1" max="365" value=lifespan class=field />
                    {problem("lifespan")}
                </div>
                <label class="flex min-h-11 items-center gap-2 text-sm sm:col-span-2">
                    <input type="checkbox" name="autoscaling" value="yes" checked=autoscaling class="size-5" />
                    "Autoscaling between:"
                </label>
                <div>
                    <label for="min_size" class=label>"At least"</label>
                    <input id="min_size" name="min_size" type="number" min="0" max="500" value=min_size class=field />
                </div>
                <div>
                    <label for="max_size" class=label>"At most"</label>
                    <input id="max_size" name="max_size" type="number" min="1" max="500" value=max_size class=field />
                </div>
            </fieldset>
            <section class="rounded-lg border border-line bg-surface p-4" aria-labelledby="estimate-title">
                <h2 id="estimate-title" class="text-base font-semibold">"Estimated cost"</h2>
                <p class="mt-1 text-lg" data-testid="estimate">{estimate.unwrap_or_else(|| "The provider publishes no price list.".into())}</p>
                {about.map(|about| view! { <p class="mt-1 text-xs text-muted">{about}</p> })}
            </section>
            <div class="flex flex-wrap items-center gap-3">
                <a href="/clusters" class="inline-flex min-h-11 items-center px-2 text-sm text-accent underline">"Cancel"</a>
                <button type="submit" name="intent" value="estimate" formnovalidate=true class="min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle">"Update the estimate"</button>
                <button type="submit" name="intent" value="create" class="min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Create the cluster"</button>
            </div>
        </form>
    }
    .into_any()
}
