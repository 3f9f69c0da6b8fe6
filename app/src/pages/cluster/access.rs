//! Reaching the cluster's API server: the kubeconfig, and the ACL rules that say who may.

use leptos::prelude::*;

use super::use_cluster;
use crate::components::card::Card;
use crate::components::confirm::TypedConfirmation;
use crate::components::hidden_fields::HiddenFields;
use crate::model::cluster::AclRow;
use crate::routes;

#[component]
pub fn ClusterAccess() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    let (region, id) = (cluster.region.clone(), cluster.id.clone());
    let kubeconfig = routes::cluster_route(&region, &id, routes::KUBECONFIG);
    let reset_admin_token = routes::cluster_form(&region, &id, routes::RESET_ADMIN_TOKEN);
    let (rules, can_change) = (cluster.acl_rules.clone(), cluster.can_change);
    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <Card title="kubeconfig">
                {if cluster.can_change {
                    view! {
                        <p class="mb-3 text-sm text-muted">
                            "A kubeconfig with the cluster's CA and admin token, for "
                            <code class="font-mono">"kubectl --kubeconfig kubeconfig.yaml get nodes"</code>
                            ". Keep it secret: it gives full access to the cluster."
                        </p>
                        <a
                            href=kubeconfig.clone()
                            download="kubeconfig.yaml"
                            class="inline-flex min-h-11 items-center rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90"
                            data-testid="download-kubeconfig"
                        >
                            "Download kubeconfig"
                        </a>
                    }.into_any()
                } else {
                    view! {
                        <p class="text-sm text-muted" data-testid="no-kubeconfig">
                            "The kubeconfig carries the cluster's admin token: owners and editors of the project download it; your role is viewer."
                        </p>
                    }.into_any()
                }}
            </Card>
            {cluster.can_change.then(|| view! {
                <Card title="Reset the admin token">
                    <p class="mb-3 text-sm text-muted">
                        "A new admin token: every kubeconfig downloaded before stops working at once. Use it when one may have leaked."
                    </p>
                    <TypedConfirmation
                        to=reset_admin_token
                        name=cluster.name.clone()
                        button="Reset the admin token"
                    />
                </Card>
            })}
            <Card title="Who may reach the API server">
                <AclRules rules region cluster_id=id can_change />
            </Card>
        </div>
    }
    .into_any()
}

/// The ACL rules, each with its delete button, and a form for one more (owners and editors).
#[component]
fn AclRules(
    rules: Vec<AclRow>,
    region: String,
    cluster_id: String,
    can_change: bool,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map()
        .read_untracked()
        .clone();
    let typed = |key: &str| query.get(key).unwrap_or_default();
    // A refused rule comes back with its reason, beside the form, and what was typed.
    let message = (query.get("problem").as_deref() == Some("invalid")
        && query
            .get("field")
            .is_some_and(|field| field.starts_with("acls")))
    .then(|| query.get("message").unwrap_or_default());
    let (ip, description) = (typed("ip"), typed("description"));
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
    let list = if rules.is_empty() {
        view! { <p class="text-sm text-muted">"No ACL rule: the API server answers from anywhere."</p> }.into_any()
    } else {
        view! {
            <ul class="divide-y divide-line text-sm" data-testid="acl-rules">
                {rules
                    .into_iter()
                    .map(|rule| {
                        let action = routes::cluster_form(&region, &cluster_id, routes::DELETE_ACL_RULE).with("rule", &rule.id);
                        let label = format!("Delete the rule {}", rule.range);
                        view! {
                            <li class="flex flex-wrap items-center justify-between gap-3 py-2">
                                <span class="break-all font-mono text-xs">{rule.range}</span>
                                <span class="min-w-0 flex-1 break-words text-muted">{rule.description}</span>
                                {can_change.then(|| view! {
                                    <form method="post" action=action.action>
                                        <HiddenFields to=action.clone() />
                                        <button
                                            type="submit"
                                            aria-label=label
                                            class="min-h-11 rounded-md border border-line px-3 text-sm hover:bg-canvas"
                                        >
                                            "Delete"
                                        </button>
                                    </form>
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {list}
        {can_change.then(|| view! {
            <form method="post" action=routes::ADD_ACL_RULE.axum_path class="mt-4 grid gap-3 sm:grid-cols-3 sm:items-end" data-testid="add-acl-rule">
                <HiddenFields to=routes::cluster_form(&region, &cluster_id, routes::ADD_ACL_RULE) />
                <div>
                    <label for="acl-ip" class="mb-1 block text-sm font-medium">"IP range (CIDR)"</label>
                    <input id="acl-ip" name="ip" type="text" required placeholder="203.0.113.0/24" value=ip class=field />
                </div>
                <div>
                    <label for="acl-description" class="mb-1 block text-sm font-medium">"Description"</label>
                    <input id="acl-description" name="description" type="text" maxlength="200" value=description class=field />
                </div>
                <button type="submit" class="min-h-11 w-fit rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Add the rule"</button>
                {message.map(|text| view! { <p role="alert" class="text-sm text-bad sm:col-span-3" data-testid="problem-acl">{text}</p> })}
                <p class="text-xs text-muted sm:col-span-3">
                    "With at least one rule, the API server answers only the ranges listed; deleting the last one opens it to anywhere again."
                </p>
            </form>
        })}
    }
}
