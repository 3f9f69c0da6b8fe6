//! The cluster's name, description and tags; and deleting it (with or without the volumes and
//! load balancers its workloads made), after typing its name.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::use_cluster;
use crate::components::card::Card;
use crate::components::confirm::TypedConfirmation;
use crate::components::field::Field;
use crate::components::hidden_fields::HiddenFields;
use crate::routes;

#[component]
pub fn ClusterSettings() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    if !cluster.can_change {
        return view! {
            <p class="text-sm text-muted">"Your role in this project lets you look at this cluster, not change it."</p>
        }
        .into_any();
    }
    let (settings_action, delete_action) = (
        routes::cluster_form(&cluster.region, &cluster.id, routes::SAVE_SETTINGS),
        routes::cluster_form(&cluster.region, &cluster.id, routes::DELETE_CLUSTER),
    );
    // After a refusal the page comes back with what was typed and the field at fault.
    let query = use_query_map();
    let typed = |key: &str, default: String| query.read_untracked().get(key).unwrap_or(default);
    let name = typed("name", cluster.name.clone());
    let description = typed("description", cluster.description.clone());
    let tags = typed("tags", cluster.tags.join(", "));
    // The values this form started from (kept through a refusal): the server saves only the
    // fields the person changed, so a change someone else made meanwhile is not undone.
    let was_name = typed("was_name", cluster.name.clone());
    let was_description = typed("was_description", cluster.description.clone());
    let was_tags = typed("was_tags", cluster.tags.join(", "));
    let (problem_field, problem_message) = {
        let query = query.read_untracked();
        (query.get("field"), query.get("message").unwrap_or_default())
    };
    let field_problem = move |field: &'static str| {
        (problem_field.as_deref() == Some(field)).then(|| problem_message.clone())
    };
    let input = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <Card title="Name, description and tags">
                <form method="post" action=settings_action.action class="space-y-4" data-testid="settings-form">
                    <HiddenFields to=settings_action.clone() />
                    <input type="hidden" name="was_name" value=was_name />
                    <input type="hidden" name="was_description" value=was_description />
                    <input type="hidden" name="was_tags" value=was_tags />
                    <Field id="name" label="Name" refusal=field_problem("name")>
                        <input id="name" name="name" type="text" value=name required class=input />
                    </Field>
                    <Field id="description" label="Description" refusal=field_problem("description")>
                        <input id="description" name="description" type="text" value=description class=input />
                    </Field>
                    <Field id="tags" label="Tags (separated by commas)" refusal=field_problem("tags")>
                        <input id="tags" name="tags" type="text" value=tags class=input />
                    </Field>
                    <button type="submit" class="min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Save"</button>
                </form>
            </Card>
            <Card title="Delete this cluster">
                <p class="mb-3 text-sm text-muted">
                    "The control plane, the pools and every node are deleted. Volumes and load balancers made by your workloads are kept unless you tick the box (kept ones are still billed)."
                </p>
                <TypedConfirmation to=delete_action name=cluster.name.clone() button="Delete the cluster">
                    <label class="flex min-h-11 items-start gap-2 text-sm">
                        <input type="checkbox" name="with_additional_resources" value="yes" class="mt-1 size-5" />
                        <span>"Also delete its volumes and load balancers"</span>
                    </label>
                </TypedConfirmation>
            </Card>
        </div>
    }
    .into_any()
}
