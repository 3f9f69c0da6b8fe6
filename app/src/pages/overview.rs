//! The landing page: who is responsible for what, and whether the service itself is healthy.

use leptos::prelude::*;
use leptos_meta::Title;

use super::PageHeader;
use crate::api::system::get_service_health;
use crate::components::card::Card;
use crate::components::loaded::Loaded;
use crate::components::status::{StatusBadge, Tone};
use crate::routes;

/// The shared responsibility model of a managed Kubernetes service (DESIGN.md), shown to every
/// cluster owner so that nobody has to guess who fixes what.
const RESPONSIBILITIES: &[(&str, &str, &str)] = &[
    (
        "Control plane",
        "etcd, API server, scheduler, controller managers",
        "Provider",
    ),
    ("System apps", "CoreDNS, kube-proxy, CNI, CSI", "Provider"),
    (
        "Nodes and OS images",
        "provisioning, images, autohealing",
        "Provider",
    ),
    (
        "Your workloads",
        "applications and every resource they deploy",
        "You",
    ),
    (
        "Upgrades",
        "applying patch and minor upgrades when offered",
        "You",
    ),
    (
        "Node freshness",
        "a node lifespan (30 days recommended)",
        "You",
    ),
    (
        "Notices",
        "following deprecation and end-of-life notices",
        "You",
    ),
];

#[component]
pub fn OverviewPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_service_health());

    view! {
        <Title text=routes::OVERVIEW.title />
        <PageHeader
            title="Overview"
            summary="Managed Kubernetes with the shared responsibility model made visible."
        />
        <div class="grid gap-4 lg:grid-cols-3">
            <div class="lg:col-span-2">
                <Card title="Who manages what">
                    <ul class="divide-y divide-line" data-testid="responsibilities">
                        {RESPONSIBILITIES
                            .iter()
                            .map(|(area, scope, owner)| {
                                let tone = if *owner == "Provider" { Tone::Neutral } else { Tone::Good };
                                view! {
                                    <li class="flex items-start justify-between gap-3 py-2.5">
                                        <div class="min-w-0">
                                            <p class="text-sm font-medium">{*area}</p>
                                            <p class="text-sm text-muted">{*scope}</p>
                                        </div>
                                        <StatusBadge tone label=*owner />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    <p class="mt-3 text-xs text-muted">
                        "A pre-installed component that you modify (for example kubelet flags) becomes yours to manage."
                    </p>
                </Card>
            </div>
            <Card title="Service">
                <Loaded resource=status what="the service status" loading="Checking…" let:status>
                    {
                        let (tone, label) = if status.database_reachable {
                            (Tone::Good, "Operational")
                        } else {
                            (Tone::Critical, "Database unreachable")
                        };
                        view! {
                            <div data-testid="service-status">
                                <StatusBadge tone label />
                                <p class="mt-3 text-sm text-muted">
                                    {format!("Wheelhouse {}", status.version)}
                                </p>
                            </div>
                        }
                    }
                </Loaded>
            </Card>
        </div>
    }
}
