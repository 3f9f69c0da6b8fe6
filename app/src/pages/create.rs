//! The create-cluster form: project, region, type, version and CNI, one or more pools (name,
//! node type, size or autoscaling bounds, autohealing, node lifespan), and the monthly cost
//! estimate of every pool from the provider's price list. A plain form: "Add a pool", "Remove
//! pool N" and "Update the estimate" come back with everything typed, "Create" makes the
//! cluster; a refusal comes back with the reason beside its field (`pool2_size`) and
//! everything typed kept. With JavaScript the estimate follows the typing.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{LoadError, PageHeader};
use crate::api::create::get_create_choices;
use crate::components::cost_estimate::CostEstimate;
use crate::model::create::{
    pool_field, read_pools, CreateChoices, CreatePage, TypedPool, MAX_POOLS_AT_CREATION,
};
use crate::routes;

#[component]
pub fn CreateClusterPage() -> impl IntoView {
    let choices = Resource::new(|| (), |_| get_create_choices());
    view! {
        <Title text=routes::NEW_CLUSTER.title />
        <PageHeader title="Create a cluster" summary="A managed control plane and one or more pools of nodes." />
        <Suspense fallback=|| view! { <p class="text-sm text-muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Ok(CreatePage::Ready(choices)) => view! { <CreateForm choices=*choices /> }.into_any(),
                    Ok(CreatePage::SignedOut) => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
                    Err(error) => view! { <LoadError what="the form" error=error.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The options of a select; a typed value the list lacks stays shown (and the server says why).
fn options(items: &[String], selected: &str) -> impl IntoView {
    let mut items = items.to_vec();
    if !selected.is_empty() && !items.iter().any(|item| item == selected) {
        items.push(selected.to_string());
    }
    items
        .into_iter()
        .map(|item| {
            let is_selected = item == selected;
            view! { <option value=item.clone() selected=is_selected>{item.clone()}</option> }
        })
        .collect_view()
}

/// The refused field and its reason, from the query (`problem=invalid&field=…&message=…`).
#[derive(Clone, Default)]
struct Problem {
    field: Option<String>,
    message: String,
}

impl Problem {
    fn for_field(&self, field: &str) -> Option<String> {
        (self.field.as_deref() == Some(field)).then(|| self.message.clone())
    }

    /// The id of the message beside `field`, for the control's `aria-describedby`.
    fn described_by(&self, field: &str) -> Option<String> {
        self.for_field(field).map(|_| format!("{field}-problem"))
    }

    fn shown(&self, field: &str) -> impl IntoView {
        let id = format!("{field}-problem");
        let testid = format!("problem-{field}");
        self.for_field(field).map(|message| {
            view! { <p id=id class="mt-1 text-sm text-bad" data-testid=testid>{message}</p> }
        })
    }
}

/// Bounds of a node count, and of a lifespan in days, as the form offers them.
const NODES: (u32, u32) = (0, 500);
const LIFESPAN_DAYS: (u32, u32) = (1, 365);

/// A labelled number input of a pool (its name and id are `id`), with its refusal beside it;
/// `wide` spans both columns.
fn number_field(
    id: String,
    label: &'static str,
    (min, max): (u32, u32),
    value: String,
    wide: bool,
    problem: &Problem,
) -> impl IntoView {
    view! {
        <div class=wide.then_some("sm:col-span-2")>
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id.clone() name=id.clone() type="number" min=min max=max value=value class=FIELD
                aria-describedby=problem.described_by(&id) />
            {problem.shown(&id)}
        </div>
    }
}

const FIELD: &str = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
const LABEL: &str = "mb-1 block text-sm font-medium";

/// Pool `number`'s fieldset; `removable` when it is not the only one.
fn pool_fieldset(
    number: usize,
    pool: TypedPool,
    node_types: &[String],
    removable: bool,
    problem: &Problem,
) -> impl IntoView {
    let id = |field: &str| pool_field(number, field);
    let legend = format!("Pool {number}");
    let remove = removable.then(|| {
        view! {
            <div class="flex justify-end sm:col-span-2">
                <button type="submit" name="intent" value=format!("remove-pool-{number}") formnovalidate=true
                    class="min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle">
                    {format!("Remove pool {number}")}
                </button>
            </div>
        }
    });
    view! {
        <fieldset id=format!("pool-{number}") class="grid gap-4 rounded-lg border border-line bg-surface p-4 sm:grid-cols-2" data-testid="pool-fieldset">
            <legend class="px-1 text-base font-semibold">{legend}</legend>
            <div>
                <label for=id("name") class=LABEL>"Pool name"</label>
                <input id=id("name") name=id("name") type="text" required value=pool.name class=FIELD
                    aria-describedby=problem.described_by(&id("name")) />
                {problem.shown(&id("name"))}
            </div>
            <div>
                <label for=id("node_type") class=LABEL>"Node type"</label>
                <select id=id("node_type") name=id("node_type") class=FIELD
                    aria-describedby=problem.described_by(&id("node_type"))>
                    {options(node_types, &pool.node_type)}
                </select>
                {problem.shown(&id("node_type"))}
            </div>
            {number_field(id("size"), "Nodes", NODES, pool.size, false, problem)}
            <label class="flex min-h-11 items-center gap-2 self-end text-sm">
                <input type="checkbox" name=id("autohealing") value="yes" checked=pool.autohealing class="size-5" />
                "Autohealing (replace nodes that stay NotReady)"
            </label>
            {number_field(id("lifespan"), "Node lifespan (days; empty: off)", LIFESPAN_DAYS, pool.lifespan, true, problem)}
            <label class="flex min-h-11 items-center gap-2 text-sm sm:col-span-2">
                <input type="checkbox" name=id("autoscaling") value="yes" checked=pool.autoscaling class="size-5" />
                "Autoscaling between:"
            </label>
            {number_field(id("min_size"), "At least", NODES, pool.min_size, false, problem)}
            {number_field(id("max_size"), "At most", NODES, pool.max_size, false, problem)}
            {remove}
        </fieldset>
    }
}

#[component]
fn CreateForm(choices: CreateChoices) -> impl IntoView {
    if choices.projects.is_empty() {
        return view! {
            <p class="text-sm text-muted">"You have no project where you may create clusters (your role is viewer everywhere)."</p>
        }
        .into_any();
    }
    let query = use_query_map().read_untracked().clone();
    let typed = |key: &str, default: &str| query.get(key).unwrap_or_else(|| default.to_string());
    let problem = Problem {
        field: (query.get("problem").as_deref() == Some("invalid"))
            .then(|| query.get("field"))
            .flatten(),
        message: query.get("message").unwrap_or_default(),
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
    // The pools come back in the query after "Add a pool", "Remove" or a refusal; a first
    // visit shows one, pre-filled (with the recommended lifespan).
    let pools = if query.get("pools").is_some() {
        read_pools(&|key: &str| query.get(key))
    } else {
        vec![TypedPool::fresh(&[])]
    };
    let removable = pools.len() > 1;
    let fieldsets = pools
        .iter()
        .cloned()
        .enumerate()
        .map(|(index, pool)| {
            pool_fieldset(index + 1, pool, &choices.node_types, removable, &problem)
        })
        .collect_view();
    let at_limit = pools.len() >= MAX_POOLS_AT_CREATION;
    let estimate = match choices.prices.clone() {
        Some(prices) => view! {
            <CostEstimate prices=prices cluster_type=cluster_type.clone() pools=pools.clone() />
        }
        .into_any(),
        None => view! {
            <section class="rounded-lg border border-line bg-surface p-4" aria-labelledby="estimate-title">
                <h2 id="estimate-title" class="text-base font-semibold">"Estimated cost"</h2>
                <p class="mt-1 text-lg" data-testid="estimate">"The provider publishes no price list."</p>
            </section>
        }
        .into_any(),
    };
    let projects = choices
        .projects
        .iter()
        .map(|(id, name)| {
            let is_selected = *id == project;
            view! { <option value=id.clone() selected=is_selected>{name.clone()}</option> }
        })
        .collect_view();

    view! {
        <form method="post" action=routes::CREATE_CLUSTER.axum_path class="grid max-w-3xl gap-6" data-testid="create-form">
            // Enter in a field presses the form's first button: let it update the estimate,
            // never remove a pool. Out of sight and out of the tab order; the visible one is below.
            <button type="submit" name="intent" value="estimate" formnovalidate=true class="sr-only" tabindex="-1" aria-hidden="true">
                "Update the estimate"
            </button>
            <input type="hidden" name="pools" value=pools.len().to_string() />
            // A refused field may sit far down the form: say so at the top, with a way there.
            {problem.field.clone().map(|field| view! {
                <p role="alert" class="rounded-md border border-bad bg-bad-soft p-3 text-sm text-bad" data-testid="problem">
                    "Nothing was created: "{problem.message.clone()}" "
                    <a href=format!("#{field}-problem") class="inline-flex min-h-11 items-center font-medium underline">"Go to the field"</a>
                </p>
            })}
            <fieldset class="grid gap-4 rounded-lg border border-line bg-surface p-4 sm:grid-cols-2">
                <legend class="px-1 text-base font-semibold">"Cluster"</legend>
                <div>
                    <label for="project" class=LABEL>"Project"</label>
                    <select id="project" name="project" class=FIELD aria-describedby=problem.described_by("project")>{projects}</select>
                    {problem.shown("project")}
                </div>
                <div>
                    <label for="region" class=LABEL>"Region"</label>
                    <select id="region" name="region" class=FIELD>{options(&choices.regions, &region)}</select>
                </div>
                <div class="sm:col-span-2">
                    <label for="name" class=LABEL>"Name"</label>
                    <input id="name" name="name" type="text" required value=name class=FIELD placeholder="e.g. shop-prod"
                        aria-describedby=problem.described_by("name") />
                    {problem.shown("name")}
                </div>
                <div>
                    <label for="version" class=LABEL>"Kubernetes version"</label>
                    <select id="version" name="version" class=FIELD aria-describedby=problem.described_by("version")>{options(&choices.versions, &version)}</select>
                    {problem.shown("version")}
                </div>
                <div>
                    <label for="cni" class=LABEL>"Network plugin (CNI)"</label>
                    <select id="cni" name="cni" class=FIELD aria-describedby=problem.described_by("cni")>{options(&choices.cnis, &cni)}</select>
                    {problem.shown("cni")}
                </div>
                <div class="sm:col-span-2">
                    <label for="type" class=LABEL>"Control plane"</label>
                    <select id="type" name="type" class=FIELD aria-describedby=problem.described_by("type")>{options(&choices.cluster_types, &cluster_type)}</select>
                    {problem.shown("type")}
                </div>
            </fieldset>
            {fieldsets}
            <div class="grid gap-2">
                <div class="flex flex-wrap items-center gap-3">
                    <button type="submit" name="intent" value="add-pool" formnovalidate=true
                        class="min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle"
                        aria-describedby=problem.described_by("pools")>
                        "Add a pool"
                    </button>
                    <p class="text-sm text-muted">
                        {if at_limit {
                            format!("{MAX_POOLS_AT_CREATION} pools is the most a new cluster takes; add more from its pools tab later.")
                        } else {
                            format!("Up to {MAX_POOLS_AT_CREATION} pools; each needs a name of its own.")
                        }}
                    </p>
                </div>
                {problem.shown("pools")}
            </div>
            {estimate}
            <div class="flex flex-wrap items-center gap-3">
                <a href=routes::CLUSTERS.path class="inline-flex min-h-11 items-center px-2 text-sm text-accent underline">"Cancel"</a>
                <button type="submit" name="intent" value="estimate" formnovalidate=true class="min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle">"Update the estimate"</button>
                <button type="submit" name="intent" value="create" class="min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Create the cluster"</button>
            </div>
        </form>
    }
    .into_any()
}
