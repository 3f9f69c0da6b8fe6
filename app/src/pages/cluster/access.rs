//! Reaching the cluster's API server: the kubeconfig, and the ACL rules that say who may.

use leptos::prelude::*;

use super::use_cluster;
use crate::components::card::Card;
use crate::components::confirm::TypedConfirmation;
use crate::model::cluster::cluster_path;

#[component]
pub fn ClusterAccess() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    let kubeconfig = format!("{}/kubeconfig", cluster_path(&cluster.region, &cluster.id));
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
                        action=format!("{}/reset-admin-token", cluster_path(&cluster.region, &cluster.id))
                        name=cluster.name.clone()
                        button="Reset the admin token"
                    />
                </Card>
            })}
            <Card title="Who may reach the API server">
                {if cluster.acl_rules.is_empty() {
                    view! { <p class="text-sm text-muted">"No ACL rule: the API server answers from anywhere."</p> }.into_any()
                } else {
                    view! {
                        <ul class="divide-y divide-line text-sm" data-testid="acl-rules">
                            {cluster
                                .acl_rules
                                .into_iter()
                                .map(|(range, description)| view! {
                                    <li class="flex justify-between gap-3 py-2">
                                        <span class="font-mono text-xs">{range}</span>
                                        <span class="text-muted">{description}</span>
                                    </li>
                                })
                                .collect_view()}
                        </ul>
                    }.into_any()
                }}
            </Card>
        </div>
    }
    .into_any()
}
