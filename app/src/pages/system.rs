//! The running service: build, database and schema migrations, for operators and bug reports.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{LoadError, PageHeader};
use crate::api::system::get_system_status;
use crate::components::card::Card;
use crate::components::status::{StatusBadge, Tone};
use crate::model::system::{human_duration, SystemStatus};

#[component]
pub fn SystemPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_system_status());

    view! {
        <Title text="System" />
        <PageHeader title="System" summary="The Wheelhouse service answering this console." />
        <Suspense fallback=|| view! { <p class="text-sm text-muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) => view! { <SystemDetails status /> }.into_any(),
                    Err(error) => view! { <LoadError what="the system status" error=error.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
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
