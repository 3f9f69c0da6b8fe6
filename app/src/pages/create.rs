//! The create-cluster form: project, region, type, version and CNI, one or more pools (name,
//! node type, size or autoscaling bounds, autohealing, node lifespan), and the monthly cost
//! estimate of every pool from the provider's price list. A plain form: "Add a pool", "Remove
//! pool N" and "Update the estimate" come back with everything typed, "Create" makes the
//! cluster; a refusal comes back with the reason beside its field (`pool2_size`) and
//! everything typed kept. With JavaScript the estimate follows the typing.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::PageHeader;
use crate::api::create::get_create_choices;
use crate::components::banner::ProblemBanner;
use crate::components::cost_estimate::CostEstimate;
use crate::components::field::{Field, Refusal};
use crate::components::loaded::Loaded;
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
        <Loaded resource=choices what="the form" let:page>
            {match page {
                CreatePage::Ready(choices) => view! { <CreateForm choices=*choices /> }.into_any(),
                CreatePage::SignedOut => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
            }}
        </Loaded>
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

    /// The message beside a control that is not a field of its own (the "Add a pool" button).
    fn shown(&self, field: &str) -> impl IntoView {
        let (id, testid) = (format!("{field}-problem"), format!("problem-{field}"));
        self.for_field(field)
            .map(|message| view! { <Refusal id testid>{message}</Refusal> })
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
        <Field id=id.clone() label class=if wide { "sm:col-span-2" } else { "" }
            refusal=problem.for_field(&id) refusal_testid=format!("problem-{id}")>
            <input id=id.clone() name=id type="number" min=min max=max value=value class=FIELD />
        </Field>
    }
}

const FIELD: &str = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";

/// Pool `number`'s fieldset; `removable` when it is not the only one.
fn pool_fieldset(
    number: usize,
    pool: TypedPool,
    node_types: &[String],
    removable: bool,
    problem: &Problem,
) -> impl IntoView {
    let id = |field: &str| pool_field(number, field);
    let (name_id, node_type_id) = (id("name"), id("node_type"));
    let node_type_options = options(node_types, &pool.node_type);
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
            <Field id=name_id.clone() label="Pool name"
                refusal=problem.for_field(&name_id) refusal_testid=format!("problem-{name_id}")>
                <input id=name_id.clone() name=name_id type="text" required value=pool.name class=FIELD />
            </Field>
            <Field id=node_type_id.clone() label="Node type"
                refusal=problem.for_field(&node_type_id) refusal_testid=format!("problem-{node_type_id}")>
                <select id=node_type_id.clone() name=node_type_id class=FIELD>{node_type_options}</select>
            </Field>
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
    let (region_options, version_options, cni_options, type_options) = (
        options(&choices.regions, &region),
        options(&choices.versions, &version),
        options(&choices.cnis, &cni),
        options(&choices.cluster_types, &cluster_type),
    );
    let message = problem.message.clone();
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
                <ProblemBanner spacing="">
                    "Nothing was created: "{message}" "
                    <a href=format!("#{field}-problem") class="inline-flex min-h-11 items-center font-medium underline">"Go to the field"</a>
                </ProblemBanner>
            })}
            <fieldset class="grid gap-4 rounded-lg border border-line bg-surface p-4 sm:grid-cols-2">
                <legend class="px-1 text-base font-semibold">"Cluster"</legend>
                <Field id="project" label="Project" refusal=problem.for_field("project") refusal_testid="problem-project">
                    <select id="project" name="project" class=FIELD>{projects}</select>
                </Field>
                <Field id="region" label="Region" refusal=problem.for_field("region") refusal_testid="problem-region">
                    <select id="region" name="region" class=FIELD>{region_options}</select>
                </Field>
                <Field id="name" label="Name" class="sm:col-span-2" refusal=problem.for_field("name") refusal_testid="problem-name">
                    <input id="name" name="name" type="text" required value=name class=FIELD placeholder="e.g. shop-prod" />
                </Field>
                <Field id="version" label="Kubernetes version" refusal=problem.for_field("version") refusal_testid="problem-version">
                    <select id="version" name="version" class=FIELD>{version_options}</select>
                </Field>
                <Field id="cni" label="Network plugin (CNI)" refusal=problem.for_field("cni") refusal_testid="problem-cni">
                    <select id="cni" name="cni" class=FIELD>{cni_options}</select>
                </Field>
                <Field id="type" label="Control plane" class="sm:col-span-2" refusal=problem.for_field("type") refusal_testid="problem-type">
                    <select id="type" name="type" class=FIELD>{type_options}</select>
                </Field>
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
