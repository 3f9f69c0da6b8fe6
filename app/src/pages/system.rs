//! The running service: build, database and schema migrations, for the provider's operators.

use leptos::prelude::*;
use leptos_meta::Title;

use super::PageHeader;
use crate::api::system::get_system_page;
use crate::components::card::Card;
use crate::components::loaded::Loaded;
use crate::components::status::{StatusBadge, Tone};
use crate::model::system::{human_duration, ProviderSummary, SystemPage, SystemStatus};
use crate::pages::not_found::NotFound;
use crate::routes;

#[component]
pub fn SystemPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_system_page());

    view! {
        <Loaded resource=status what="the system status" let:page>
            {match page {
                SystemPage::Found(status) => view! {
                    <Title text=routes::SYSTEM.title />
                    <PageHeader title="System" summary="The Wheelhouse service answering this console: for the provider's operators." />
                    <SystemDetails status=*status />
                }
                .into_any(),
                SystemPage::NotFound => view! { <NotFound /> }.into_any(),
                SystemPage::SignedOut => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
            }}
        </Loaded>
    }
}

#[component]
fn SystemDetails(status: SystemStatus) -> impl IntoView {
    let (tone, reachability) = if status.database_reachable {
        (Tone::Good, "Reachable")
    } else {
        (Tone::Critical, "Unreachable")
    };
    let facts = [
        ("Version", status.version.clone()),
        ("Started", status.started_at.clone()),
        ("Uptime", human_duration(status.uptime_seconds)),
        ("Database", status.database_kind.clone()),
        ("Location", status.database_location.clone()),
    ];

    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <Card title="Service">
                <dl class="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm" data-testid="system-facts">
                    {facts
                        .into_iter()
                        .map(|(name, value)| {
                            view! {
                                <dt class="text-muted">{name}</dt>
                                <dd class="min-w-0 break-words font-mono text-xs leading-5">{value}</dd>
                            }
                        })
                        .collect_view()}
                    <dt class="text-muted">"Database status"</dt>
                    <dd><StatusBadge tone label=reachability /></dd>
                </dl>
            </Card>
            <Card title="Schema migrations">
                <MigrationList migrations=status.migrations />
            </Card>
            {status.provider.map(|provider| view! { <ProviderCard provider /> })}
        </div>
    }
}

/// What the sandbox provider runs, in counts only (no tenant's details).
#[component]
fn ProviderCard(provider: ProviderSummary) -> impl IntoView {
    let tone_of = |status: &str| match status {
        "ready" => Tone::Good,
        "creation_error" | "not_ready" | "warning" => Tone::Critical,
        _ => Tone::Warning,
    };
    let rows = move |counts: Vec<(String, i64)>| {
        if counts.is_empty() {
            return view! { <p class="text-sm text-muted">"None yet."</p> }.into_any();
        }
        view! {
            <ul class="flex flex-wrap gap-2">
                {counts
                    .into_iter()
                    .map(|(status, count)| {
                        let label = format!("{count} {}", status.replace('_', " "));
                        view! { <li><StatusBadge tone=tone_of(&status) label /></li> }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let operations = format!(
        "{} operation(s) in progress, {} failed",
        provider.pending_operations, provider.failed_operations
    );
    view! {
        <div class="lg:col-span-2">
            <Card title="Sandbox provider">
                <div class="grid gap-4 sm:grid-cols-2" data-testid="provider-summary">
                    <div>
                        <h3 class="mb-2 text-sm font-medium">{format!("Clusters ({})", provider.total_clusters())}</h3>
                        {rows(provider.clusters.clone())}
                    </div>
                    <div>
                        <h3 class="mb-2 text-sm font-medium">{format!("Nodes ({})", provider.total_nodes())}</h3>
                        {rows(provider.nodes.clone())}
                    </div>
                </div>
                <p class="mt-3 text-sm text-muted">{operations}</p>
            </Card>
        </div>
    }
}

#[component]
fn MigrationList(migrations: Vec<crate::model::system::AppliedMigration>) -> impl IntoView {
    if migrations.is_empty() {
        return view! { <p class="text-sm text-muted">"No migration has been applied."</p> }
            .into_any();
    }
    view! {
        <ol class="divide-y divide-line text-sm" data-testid="migrations">
            {migrations
                .into_iter()
                .map(|migration| {
                    view! {
                        <li class="flex flex-wrap items-baseline justify-between gap-x-4 py-2">
                            <span>
                                <span class="font-mono text-xs text-muted">{migration.version}</span>
                                " "
                                {migration.description}
                            </span>
                            <span class="font-mono text-xs text-muted">{migration.installed_at}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
