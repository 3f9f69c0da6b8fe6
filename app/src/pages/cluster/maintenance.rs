//! The cluster's maintenance: its window (the weekdays and hours, UTC, when Wheelhouse may
//! replace nodes), each pool's node lifespan, the replacements planned for the next 30 days and
//! why, and those a lifespan already made. Plain forms: they work without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::use_cluster;
use crate::components::card::Card;
use crate::components::field::{Field, Refusal};
use crate::components::hidden_fields::HiddenFields;
use crate::model::cluster::{Freshness, EXCLUSION_SCOPES, RECOMMENDED_LIFESPAN_DAYS, WEEKDAYS};
use crate::routes;

const INPUT: &str = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
const BUTTON: &str =
    "min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90";

#[component]
pub fn ClusterMaintenance() -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    let (region, cluster_id) = (cluster.region.clone(), cluster.id.clone());
    let form = |route| routes::cluster_form(&region, &cluster_id, route);
    let freshness = cluster.freshness.clone();
    let can_change = cluster.can_change;
    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <WindowCard freshness=freshness.clone() to=form(routes::SAVE_WINDOW) can_change />
            <LifespanCard freshness=freshness.clone() region=region.clone() cluster_id=cluster_id.clone() can_change />
            <AutoUpgradeCard freshness=freshness.clone() to=form(routes::SAVE_AUTO_UPGRADE) can_change />
            <AutohealingCard freshness=freshness.clone() region=region.clone() cluster_id=cluster_id.clone() can_change />
        </div>
        <div class="mt-4 grid gap-4">
            <ExclusionsCard freshness=freshness.clone() region=region.clone() cluster_id=cluster_id.clone() can_change />
            <TimelineCard freshness=freshness.clone() ics=routes::cluster_route(&region, &cluster_id, routes::MAINTENANCE_ICS) />
            <PlannedCard freshness=freshness.clone() />
            <ReplacedCard freshness />
        </div>
    }
    .into_any()
}

/// The problem a refused form came back with, for `field` (and `pool`, when it names one).
fn problem_for(field: &str, pool: Option<&str>) -> Option<String> {
    let query = use_query_map().read_untracked().clone();
    (query.get("problem").as_deref() == Some("invalid")
        && query.get("field").as_deref() == Some(field)
        && (pool.is_none() || query.get("pool").as_deref() == pool))
        .then(|| query.get("message").unwrap_or_default())
}

#[component]
fn WindowCard(freshness: Freshness, to: routes::FormTo, can_change: bool) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let typed_days: Vec<String> = query
        .get("days")
        .map(|days| days.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| freshness.window_days.clone());
    let start_hour = query
        .get("start_hour")
        .and_then(|h| h.parse::<u32>().ok())
        .unwrap_or(freshness.window_start_hour);
    let duration = query
        .get("duration_hours")
        .unwrap_or_else(|| freshness.window_duration_hours.to_string());
    let state = if freshness.window_open_now {
        "open now".to_string()
    } else {
        format!("next opens {}", freshness.window_next_open)
    };
    let origin = if freshness.window_set {
        ""
    } else {
        " (the default)"
    };
    let summary = format!("{}{origin}: {state}.", freshness.window);
    let days_problem = problem_for("days", None);
    let days_described_by = days_problem.is_some().then_some("days-problem");
    let form = can_change.then(|| view! {
        <form method="post" action=to.action class="mt-3 space-y-4" data-testid="window-form">
            <HiddenFields to=to.clone() />
            <fieldset aria-describedby=days_described_by>
                <legend class="mb-2 text-sm font-medium">"Days"</legend>
                <div class="grid grid-cols-2 gap-1 sm:grid-cols-4">
                    {WEEKDAYS
                        .iter()
                        .map(|day| {
                            let checked = typed_days.iter().any(|d| d == day);
                            let id = format!("day-{day}");
                            let label_for = id.clone();
                            view! {
                                <label for=label_for class="flex min-h-11 items-center gap-2 text-sm">
                                    <input id=id type="checkbox" name=format!("day_{day}") checked=checked class="size-5" />
                                    <span class="capitalize">{*day}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                {days_problem.map(|text| view! { <Refusal id="days-problem" testid="problem-field">{text}</Refusal> })}
            </fieldset>
            <div class="grid gap-3 sm:grid-cols-2">
                <Field id="start-hour" label="Opens at (UTC)" refusal=problem_for("start_hour", None) refusal_id="start-problem">
                    <select id="start-hour" name="start_hour" class=INPUT>
                        {(0..24u32).map(|hour| view! {
                            <option value=hour.to_string() selected=hour == start_hour>{format!("{hour:02}:00")}</option>
                        }).collect_view()}
                    </select>
                </Field>
                <Field id="duration" label="Open for (hours, 2 to 24)" refusal=problem_for("duration_hours", None) refusal_id="duration-problem">
                    <input id="duration" name="duration_hours" type="number" min="2" max="24" value=duration required class=INPUT />
                </Field>
            </div>
            <button type="submit" class=BUTTON>"Save the window"</button>
        </form>
    });
    view! {
        <Card title="Maintenance window">
            <p class="text-sm" data-testid="window-summary">{summary}</p>
            <p class="mt-1 text-sm text-muted">"Nodes past their pool's lifespan are replaced only while the window is open, never during an upgrade or a rollback."</p>
            {form}
        </Card>
    }
}

#[component]
fn LifespanCard(
    freshness: Freshness,
    region: String,
    cluster_id: String,
    can_change: bool,
) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    view! {
        <Card title="Node lifespan per pool">
            <p class="mb-3 text-sm text-muted">
                {format!("Nodes older than this are replaced in the window: surge first, one at a time per pool (or its max_surge), within its PodDisruptionBudgets, staggered so nodes created together do not go together. {RECOMMENDED_LIFESPAN_DAYS} days is recommended; empty turns it off.")}
            </p>
            <ul class="space-y-3">
                {freshness
                    .lifespans
                    .into_iter()
                    .map(|(pool_id, pool_name, days)| {
                        let current = match days {
                            Some(1) => "1 day".to_string(),
                            Some(days) => format!("{days} days"),
                            None => "off".to_string(),
                        };
                        let typed = (query.get("pool").as_deref() == Some(pool_id.as_str()))
                            .then(|| query.get("max_node_age_days"))
                            .flatten()
                            .unwrap_or_else(|| days.map(|d| d.to_string()).unwrap_or_default());
                        let problem = problem_for("max_node_age_days", Some(&pool_id));
                        let id = format!("lifespan-{pool_id}");
                        let problem_id = format!("lifespan-problem-{pool_id}");
                        let form = can_change.then(|| view! {
                            <form method="post" action=routes::SAVE_LIFESPAN.axum_path class="mt-2 flex flex-wrap items-end gap-2">
                                <HiddenFields to=routes::cluster_form(&region, &cluster_id, routes::SAVE_LIFESPAN).with("pool", &pool_id) />
                                <Field id=id.clone() label=format!("Lifespan of {pool_name}'s nodes (days)") class="min-w-0 flex-1" refusal=problem refusal_id=problem_id>
                                    <input id=id type="number" min="1" max="365" name="max_node_age_days" value=typed placeholder="off" class=INPUT />
                                </Field>
                                <button type="submit" class=BUTTON>"Save"</button>
                            </form>
                        });
                        view! {
                            <li class="rounded-md border border-line p-3" data-testid="pool-lifespan">
                                <p class="text-sm"><span class="font-medium">{format!("Pool {pool_name}")}</span>{format!(": {current}")}</p>
                                {form}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </Card>
    }
}

#[component]
fn AutohealingCard(
    freshness: Freshness,
    region: String,
    cluster_id: String,
    can_change: bool,
) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    view! {
        <Card title="Autohealing">
            <p class="mb-3 text-sm text-muted">"A node NotReady for 15 minutes is rebooted; still NotReady at 30, replaced. Past a pool's cap (the share of its nodes unhealthy at once), autohealing stops for it and says so: a provider-wide fault must not become a mass replacement."</p>
            {freshness.autohealing_stopped.into_iter().map(|why| view! {
                <p role="alert" class="mb-2 rounded-md border border-warn bg-warn-soft p-3 text-sm text-warn" data-testid="autohealing-stopped">{why}</p>
            }).collect_view()}
            {(!freshness.unhealthy.is_empty()).then(|| view! {
                <ul class="mb-3 list-disc pl-5 text-sm" data-testid="unhealthy">
                    {freshness.unhealthy.into_iter().map(|line| view! { <li class="break-words">{line}</li> }).collect_view()}
                </ul>
            })}
            <ul class="space-y-3">
                {freshness
                    .autohealing
                    .into_iter()
                    .map(|(pool_id, pool_name, enabled, cap)| {
                        let typed = (query.get("pool").as_deref() == Some(pool_id.as_str()))
                            .then(|| query.get("cap_percent"))
                            .flatten()
                            .unwrap_or_else(|| cap.to_string());
                        let problem = problem_for("cap_percent", Some(&pool_id));
                        let (check_id, cap_id) = (format!("heal-{pool_id}"), format!("cap-{pool_id}"));
                        let check_for = check_id.clone();
                        let form = can_change.then(|| view! {
                            <form method="post" action=routes::SAVE_AUTOHEALING.axum_path class="mt-2 flex flex-wrap items-end gap-3">
                                <HiddenFields to=routes::cluster_form(&region, &cluster_id, routes::SAVE_AUTOHEALING).with("pool", &pool_id) />
                                <label for=check_for class="flex min-h-11 items-center gap-2 text-sm">
                                    <input id=check_id type="checkbox" name="enabled" checked=enabled class="size-5" />
                                    "On"
                                </label>
                                <Field id=cap_id.clone() label=format!("Cap for {pool_name} (%)") class="min-w-0 flex-1" refusal=problem>
                                    <input id=cap_id type="number" min="1" max="100" name="cap_percent" value=typed required class=INPUT />
                                </Field>
                                <button type="submit" class=BUTTON>"Save"</button>
                            </form>
                        });
                        view! {
                            <li class="rounded-md border border-line p-3" data-testid="pool-autohealing">
                                <p class="text-sm"><span class="font-medium">{format!("Pool {pool_name}")}</span>{format!(": {}, cap {cap} %", if enabled { "on" } else { "off" })}</p>
                                {form}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </Card>
    }
}

#[component]
fn AutoUpgradeCard(freshness: Freshness, to: routes::FormTo, can_change: bool) -> impl IntoView {
    let state = match (&freshness.next_patch, &freshness.auto_upgrade_waiting) {
        (None, _) => "The cluster runs the newest patch of its minor.".to_string(),
        (Some(next), _) if !freshness.auto_upgrade => {
            format!("{next} is available: with auto-upgrade on, it would be applied in the window.")
        }
        (Some(next), Some(why)) => format!("{next} waits: {why}."),
        (Some(next), None) => format!("{next} starts at the next pass (within seconds)."),
    };
    let (value, button) = if freshness.auto_upgrade {
        ("off", "Turn auto-upgrade off")
    } else {
        ("on", "Turn auto-upgrade on")
    };
    view! {
        <Card title="Patch auto-upgrade">
            <p class="text-sm" data-testid="auto-upgrade">
                {if freshness.auto_upgrade { "On. " } else { "Off. " }}{state}
            </p>
            <p class="mt-1 text-sm text-muted">"Patch versions only, through the same pre-flight as a manual upgrade (a NO-GO is never overridden), inside the window, outside exclusions. Minor upgrades stay yours to start."</p>
            {can_change.then(|| view! {
                <form method="post" action=to.action class="mt-3">
                    <HiddenFields to=to.clone() />
                    <input type="hidden" name="enable" value=value />
                    <button type="submit" class="min-h-11 rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle">{button}</button>
                </form>
            })}
        </Card>
    }
}

#[component]
fn ExclusionsCard(
    freshness: Freshness,
    region: String,
    cluster_id: String,
    can_change: bool,
) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let typed = |key: &str| query.get(key).unwrap_or_default();
    let (from, until, scope, reason) = (
        typed("from"),
        typed("until"),
        typed("scope"),
        typed("reason"),
    );
    let list = if freshness.exclusions.is_empty() {
        view! { <p class="text-sm text-muted" data-testid="no-exclusion">"None: the window alone says when Wheelhouse may act."</p> }.into_any()
    } else {
        view! {
            <ul class="space-y-2" data-testid="exclusions">
                {freshness
                    .exclusions
                    .into_iter()
                    .map(|(id, words, in_force)| {
                        let remove = can_change.then(|| view! {
                            <form method="post" action=routes::REMOVE_EXCLUSION.axum_path>
                                <HiddenFields to=routes::cluster_form(&region, &cluster_id, routes::REMOVE_EXCLUSION).with("exclusion", &id) />
                                <button type="submit" class="min-h-11 rounded-md border border-line px-3 text-sm hover:bg-subtle">"Remove"</button>
                            </form>
                        });
                        view! {
                            <li class="flex flex-wrap items-center justify-between gap-2 rounded-md border border-line p-3 text-sm" data-testid="exclusion">
                                <span class="min-w-0 break-words">{if in_force { format!("In force: {words}") } else { format!("Planned: {words}") }}</span>
                                {remove}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let form = can_change.then(|| view! {
        <form method="post" action=routes::ADD_EXCLUSION.axum_path class="mt-4 grid gap-3 sm:grid-cols-2" data-testid="exclusion-form">
            <HiddenFields to=routes::cluster_form(&region, &cluster_id, routes::ADD_EXCLUSION) />
            <Field id="exclusion-from" label="From (UTC)" refusal=problem_for("from", None) refusal_id="from-problem">
                <input id="exclusion-from" name="from" type="date" required value=from class=INPUT />
            </Field>
            <Field id="exclusion-until" label="Until (UTC, that day included)" refusal=problem_for("until", None) refusal_id="until-problem">
                <input id="exclusion-until" name="until" type="date" required value=until class=INPUT />
            </Field>
            <Field id="exclusion-scope" label="What it holds" refusal=problem_for("scope", None) refusal_id="scope-problem">
                <select id="exclusion-scope" name="scope" class=INPUT>
                    {EXCLUSION_SCOPES.iter().map(|(value, words)| view! {
                        <option value=*value selected=scope == *value>{*words}</option>
                    }).collect_view()}
                </select>
            </Field>
            <Field id="exclusion-reason" label="Why (optional)" refusal=problem_for("reason", None) refusal_id="reason-problem">
                <input id="exclusion-reason" name="reason" type="text" maxlength="200" value=reason class=INPUT />
            </Field>
            <button type="submit" class=format!("{BUTTON} w-fit")>"Add the exclusion"</button>
        </form>
    });
    view! {
        <Card title="Maintenance exclusions">
            <p class="mb-3 text-sm text-muted">"Date ranges (at most 90 days) when Wheelhouse leaves the cluster alone: no node replacement, no upgrades, or no minor upgrades. The upgrade pre-flight says NO-GO while one holds an upgrade."</p>
            {list}
            {form}
        </Card>
    }
}

#[component]
fn TimelineCard(freshness: Freshness, ics: String) -> impl IntoView {
    view! {
        <Card title="The next 30 days">
            <ol class="space-y-1 text-sm" data-testid="timeline">
                {freshness
                    .timeline
                    .into_iter()
                    .map(|(when, what)| view! {
                        <li class="break-words"><span class="font-mono text-xs">{when}</span>" · "{what}</li>
                    })
                    .collect_view()}
            </ol>
            <a href=ics download class="mt-3 inline-flex min-h-11 items-center rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle">"Download the timeline (iCalendar)"</a>
        </Card>
    }
}

#[component]
fn PlannedCard(freshness: Freshness) -> impl IntoView {
    let body = if freshness.planned.is_empty() {
        let why = if freshness
            .lifespans
            .iter()
            .all(|(_, _, days)| days.is_none())
        {
            "No pool has a node lifespan: nothing is replaced for age."
        } else {
            "No node reaches its pool's lifespan in the next 30 days."
        };
        view! { <p class="text-sm text-muted" data-testid="no-replacement">{why}</p> }.into_any()
    } else {
        view! {
            <ol class="grid gap-2 md:grid-cols-2" data-testid="planned">
                {freshness
                    .planned
                    .into_iter()
                    .map(|(node, pool, from, why)| view! {
                        <li class="rounded-md border border-line p-3 text-sm" data-testid="planned-replacement">
                            <p class="break-all font-mono text-xs font-medium">{node}</p>
                            <p>{format!("Pool {pool} · replaced from {from}")}</p>
                            <p class="text-muted">{why}</p>
                        </li>
                    })
                    .collect_view()}
            </ol>
        }
        .into_any()
    };
    view! {
        <Card title="Replacements in the next 30 days">
            {body}
        </Card>
    }
}

#[component]
fn ReplacedCard(freshness: Freshness) -> impl IntoView {
    (!freshness.replaced.is_empty()).then(|| view! {
        <Card title="Replaced for their age">
            <ul class="space-y-1 text-sm" data-testid="replaced">
                {freshness
                    .replaced
                    .into_iter()
                    .map(|(node, expired, replaced)| view! {
                        <li class="break-words">{format!("{node}: expired {expired}, replacement started {replaced}")}</li>
                    })
                    .collect_view()}
            </ul>
        </Card>
    })
}
