//! The upgrade wizard, one page in steps: choose the target → pre-flight (GO / GO with warnings
//! / NO-GO, with evidence) → changelog → plan → typed confirmation; while an upgrade runs, its
//! live progress per pool and per node instead. The target is in the address (`?version=`), so
//! every step works without JavaScript and can be shared. A rollback (`?rollback=cluster` during
//! a soak period, or `?rollback=<pool id>` after an aborted pool upgrade) goes through the same
//! pre-flight, plan and confirmation.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::use_cluster;
use crate::api::upgrade::get_upgrade_page;
use crate::components::card::Card;
use crate::components::confirm::TypedConfirmation;
use crate::components::hidden_fields::HiddenFields;
use crate::components::loaded::Loaded;
use crate::components::status::{StatusBadge, Tone};
use crate::components::upgrade_progress::UpgradeProgress;
use crate::model::upgrade::{Assessment, Check, UpgradePage, UpgradeView, SOAK_DAYS_MAX};
use crate::routes::{self, Tab};

#[component]
pub fn ClusterUpgrade() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let params = params.read();
            (
                params.get("region").unwrap_or_default(),
                params.get("id").unwrap_or_default(),
                query.read().get("version").filter(|v| !v.is_empty()),
                query.read().get("kept").filter(|v| !v.is_empty()),
                query.read().get("rollback").filter(|v| !v.is_empty()),
            )
        },
        |(region, id, version, kept, rollback)| {
            get_upgrade_page(region, id, version, kept, rollback)
        },
    );
    view! {
        <Loaded resource=page what="the upgrade wizard" let:page>
            {match page {
                UpgradePage::Found(view) => view! { <Wizard view=*view /> }.into_any(),
                UpgradePage::NotFound => view! { <p class="text-sm text-muted">"No cluster of yours has this address."</p> }.into_any(),
                UpgradePage::SignedOut => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
            }}
        </Loaded>
    }
}

#[component]
fn Wizard(view: UpgradeView) -> impl IntoView {
    let Some(cluster) = use_cluster() else {
        return ().into_any();
    };
    let (region, cluster_id) = (cluster.region.clone(), cluster.id.clone());
    let path = routes::cluster_tab(&region, &cluster_id, Tab::Upgrade);
    let control_action = routes::cluster_form(&region, &cluster_id, routes::CONTROL_UPGRADE);
    if let Some(progress) = view.progress.clone().filter(|p| p.active) {
        let control = view.can_change.then(|| control_action.clone());
        return view! {
            <Card title="Upgrade">
                <UpgradeProgress progress control />
                <p class="mt-4 text-sm text-muted">
                    "With JavaScript this view follows the upgrade by itself; otherwise, "
                    <a href=path.clone() class="underline">"look again"</a> "."
                </p>
            </Card>
        }
        .into_any();
    }
    let last = view.progress.clone().map(|progress| {
        let reason = progress
            .override_reason
            .clone()
            .map(|reason| format!(" over a NO-GO (reason: {reason})"))
            .unwrap_or_default();
        let outcome = match progress.state.as_str() {
            "soaking" => "finished, soaking",
            "finished" => "finished",
            _ => "aborted",
        };
        let lagging: Vec<String> = progress
            .pools
            .iter()
            .filter(|pool| pool.stage.starts_with("stopped"))
            .map(|pool| format!("{} ({} of {} nodes on {})", pool.name, pool.nodes_on_target, pool.nodes_total, progress.to_version))
            .collect();
        let resume = (!progress.finished && !lagging.is_empty() && view.can_change).then(|| view! {
            <form method="post" action=control_action.action class="mt-2">
                <HiddenFields to=control_action.clone() />
                <input type="hidden" name="action" value="resume" />
                <p class="mb-2 text-sm">{format!("Pools left on the previous version: {}.", lagging.join(", "))}</p>
                <button type="submit" class="min-h-11 rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle">"Resume: upgrade those pools"</button>
            </form>
        });
        let soak = progress.rollback_until.clone().zip(progress.rollback_to.clone()).map(|(until, to)| view! {
            <div class="mt-2 rounded-md border border-line p-3 text-ink" data-testid="soak">
                <p>{format!("Soaking until {until}: the control plane keeps {to}'s behaviour, so the cluster can still go back to {to}. After that, the upgrade is complete.")}</p>
                {view.can_change.then(|| view! {
                    <a href=format!("{path}?rollback=cluster") class="mt-2 inline-flex min-h-11 items-center rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle">{format!("Roll back to {to}…")}</a>
                })}
            </div>
        });
        let pool_rollbacks: Vec<_> = progress
            .pools
            .iter()
            .filter(|pool| pool.can_roll_back && view.can_change)
            .map(|pool| view! {
                <a href=format!("{path}?rollback={}", pool.id) class="inline-flex min-h-11 items-center rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle">{format!("Roll back pool {}…", pool.name)}</a>
            })
            .collect();
        let pool_rollbacks = (!pool_rollbacks.is_empty()).then(|| view! {
            <div class="mt-2 flex flex-wrap gap-2" data-testid="pool-rollbacks">{pool_rollbacks}</div>
        });
        view! {
            <div class="mb-4 text-sm text-muted" data-testid="last-upgrade">
                <p>
                    {format!(
                        "Last {}: {} → {}, started by {} at {}{reason}; {outcome}.",
                        progress.what().to_lowercase(), progress.from_version, progress.to_version, progress.started_by, progress.started_at
                    )}
                </p>
                {resume}
                {soak}
                {pool_rollbacks}
            </div>
        }
    });
    if let Some(choice) = view.rollback.clone() {
        let cancel = path.clone();
        return view! {
            <div class="space-y-4">
                {last}
                <Card title=format!("1. Roll back {}", choice.label)>
                    <p class="text-sm">
                        "A rollback goes back to the version before the latest upgrade: the pools first, wave by wave as in an upgrade, then the control plane. "
                        <a href=cancel class="underline">"Cancel"</a>
                    </p>
                </Card>
                {view.assessment.clone().map(|assessment| view! {
                    <AssessmentView assessment view=view.clone() region=region.clone() cluster_id=cluster_id.clone() />
                })}
            </div>
        }
        .into_any();
    }
    view! {
        <div class="space-y-4">
            {last}
            <TargetChoice view=view.clone() path=path.clone() />
            {view.assessment.clone().map(|assessment| view! {
                <AssessmentView assessment view=view.clone() region=region.clone() cluster_id=cluster_id.clone() />
            })}
        </div>
    }
    .into_any()
}

#[component]
fn TargetChoice(view: UpgradeView, path: String) -> impl IntoView {
    if view.targets.is_empty() {
        return view! {
            <Card title="1. Choose the version">
                <p class="text-sm" data-testid="no-target">
                    {format!("No newer version is offered for this cluster yet: it runs {}, the newest it can have.", view.current_version)}
                </p>
            </Card>
        }
        .into_any();
    }
    let chosen = view.chosen.clone();
    view! {
        <Card title="1. Choose the version">
            <form method="get" action=path class="space-y-3" data-testid="target-form">
                <fieldset>
                    <legend class="mb-2 text-sm">{format!("The cluster runs {}. Move it to:", view.current_version)}</legend>
                    <div class="grid gap-2 sm:grid-cols-2">
                        {view
                            .targets
                            .into_iter()
                            .map(|target| {
                                let checked = chosen.as_deref() == Some(target.version.as_str());
                                let id = format!("target-{}", target.version.replace('.', "-"));
                                let label_for = id.clone();
                                view! {
                                    <label for=label_for class="flex min-h-11 items-start gap-3 rounded-md border border-line p-3 text-sm">
                                        <input id=id type="radio" name="version" value=target.version.clone() checked=checked required class="mt-1 size-5" />
                                        <span>
                                            <span class="font-medium">{target.version.clone()}</span>
                                            <span class="text-muted">{format!(" · {} · {}", target.kind, target.support)}</span>
                                        </span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                </fieldset>
                <button type="submit" class="min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Run the pre-flight"</button>
            </form>
        </Card>
    }
    .into_any()
}

fn verdict_words(verdict: &str) -> (Tone, &'static str, &'static str) {
    match verdict {
        "go" => (Tone::Good, "GO", "Every check passes."),
        "go_with_warnings" => (Tone::Warning, "GO with warnings", "Nothing blocks the upgrade; read the warnings first."),
        _ => (Tone::Critical, "NO-GO", "At least one check fails: the upgrade would break something. Fix it and run the pre-flight again."),
    }
}

fn check_tone(status: &str) -> (Tone, &'static str) {
    match status {
        "pass" => (Tone::Good, "pass"),
        "warning" => (Tone::Warning, "warning"),
        _ => (Tone::Critical, "fail"),
    }
}

#[component]
fn CheckItem(check: Check) -> impl IntoView {
    let (tone, word) = check_tone(&check.status);
    view! {
        <li class="rounded-md border border-line p-3" data-testid="check" data-status=check.status.clone()>
            <div class="flex flex-wrap items-center justify-between gap-2">
                <span class="font-medium">{check.title.clone()}</span>
                <StatusBadge tone label=word />
            </div>
            <p class="mt-1 text-sm">{check.summary.clone()}</p>
            {(!check.evidence.is_empty()).then(|| view! {
                <ul class="mt-2 list-disc space-y-1 pl-5 text-sm text-muted" aria-label="Evidence">
                    {check.evidence.iter().map(|line| view! { <li class="break-words">{line.clone()}</li> }).collect_view()}
                </ul>
            })}
            {check.recommendation.clone().map(|advice| view! {
                <p class="mt-2 text-sm"><strong>"What to do: "</strong>{advice}</p>
            })}
        </li>
    }
}

#[component]
fn AssessmentView(
    assessment: Assessment,
    view: UpgradeView,
    region: String,
    cluster_id: String,
) -> impl IntoView {
    let (tone, verdict, meaning) = verdict_words(&assessment.verdict);
    if !assessment.target_valid {
        // An impossible target: only why, and the choice above.
        return view! {
            <Card title="2. Pre-flight">
                <div class="mb-3 flex flex-wrap items-center gap-3" data-testid="verdict" data-verdict=assessment.verdict.clone()>
                    <StatusBadge tone label=verdict />
                    <span class="text-sm">{if view.rollback.is_some() { "This rollback may not happen now." } else { "Choose one of the versions above." }}</span>
                </div>
                <ul class="space-y-2">
                    {assessment.checks.into_iter().map(|check| view! { <CheckItem check /> }).collect_view()}
                </ul>
            </Card>
        }
        .into_any();
    }
    let no_go = assessment.verdict == "no_go";
    let typed_reason = view.typed_reason.clone();
    let target = assessment.target.clone();
    let rollback = view.rollback.clone();
    let what = if rollback.is_some() {
        "rollback"
    } else {
        "upgrade"
    };
    // A rollback posts its scope to its own address; an upgrade its target (and soak period).
    let (action, button) = match &rollback {
        Some(_) => (
            routes::cluster_form(&region, &cluster_id, routes::START_ROLLBACK),
            "Start the rollback",
        ),
        None => (
            routes::cluster_form(&region, &cluster_id, routes::START_UPGRADE),
            "Start the upgrade",
        ),
    };
    let hidden = match rollback.clone() {
        Some(choice) => {
            view! { <input type="hidden" name="scope" value=choice.scope /> }.into_any()
        }
        None => view! { <input type="hidden" name="version" value=target.clone() /> }.into_any(),
    };
    let soak = (rollback.is_none() && assessment.minor).then(|| view! {
        <div>
            <label for="soak-days" class="mb-1 block text-sm font-medium">"Soak period"</label>
            <select id="soak-days" name="soak_days" class="block min-h-11 w-full rounded-md border border-line bg-canvas px-3 text-base sm:w-auto">
                {(0..=SOAK_DAYS_MAX).map(|days| {
                    let label = match days {
                        0 => "None: the upgrade completes at once".to_string(),
                        1 => "1 day".to_string(),
                        days => format!("{days} days"),
                    };
                    view! { <option value=days.to_string() selected=days == 0>{label}</option> }
                }).collect_view()}
            </select>
            <p class="mt-1 text-sm text-muted">"During the soak the control plane keeps the previous minor's behaviour, and one action rolls the pools and the control plane back."</p>
        </div>
    });
    let confirm = if !view.can_change {
        view! { <p class="text-sm text-muted">"Your role in this project lets you look at the plan, not start it."</p> }.into_any()
    } else if no_go && !view.can_override {
        view! { <p class="text-sm" data-testid="owner-only">"NO-GO: fix what the pre-flight shows. Only an owner of the project may start it anyway, with a written reason."</p> }.into_any()
    } else {
        view! {
            <TypedConfirmation to=action name=view.cluster_name.clone() button=button>
                {hidden}
                {soak}
                {no_go.then(|| view! {
                    <div>
                        <label for="override-reason" class="mb-1 block text-sm font-medium">{format!("Why start despite the NO-GO? (recorded with the {what})")}</label>
                        <textarea id="override-reason" name="override_reason" required maxlength="1000" rows="3" class="block w-full rounded-md border border-line bg-canvas p-3 text-base">{typed_reason.clone()}</textarea>
                    </div>
                })}
            </TypedConfirmation>
        }
        .into_any()
    };
    view! {
        <Card title="2. Pre-flight">
            <div class="mb-3 flex flex-wrap items-center gap-3" data-testid="verdict" data-verdict=assessment.verdict.clone()>
                <StatusBadge tone label=verdict />
                <span class="text-sm">{format!("{} → {}: {meaning}", view.current_version, assessment.target).replace("the upgrade", &format!("the {what}"))}</span>
            </div>
            <ul class="space-y-2">
                {assessment.checks.into_iter().map(|check| view! { <CheckItem check /> }).collect_view()}
            </ul>
        </Card>
        <Card title="3. What changes">
            {assessment.changelog.into_iter().map(|entry| view! {
                <h3 class="mt-2 font-medium">{entry.version.clone()}</h3>
                <ul class="list-disc pl-5 text-sm">
                    {entry.notes.iter().map(|note| view! { <li>{note.clone()}</li> }).collect_view()}
                    {entry.removed.iter().map(|removed| view! { <li>{format!("Removed: {removed}")}</li> }).collect_view()}
                </ul>
            }).collect_view()}
            <h3 class="mt-4 font-medium">"On your side of the shared responsibility"</h3>
            <ul class="list-disc pl-5 text-sm">
                {assessment.your_responsibility.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}
            </ul>
        </Card>
        <Card title="4. Plan">
            <p class="mb-2 text-sm" data-testid="plan-duration">{format!("Estimated duration: {}.", assessment.duration)}</p>
            <ol class="space-y-2">
                {assessment.steps.into_iter().map(|step| view! {
                    <li class="rounded-md border border-line p-3" data-testid="plan-step">
                        <div class="flex flex-wrap justify-between gap-2">
                            <span class="font-medium">{step.name.clone()}</span>
                            <span class="text-sm text-muted">{step.duration.clone()}</span>
                        </div>
                        {(!step.waves.is_empty()).then(|| view! {
                            <ul class="mt-1 list-disc pl-5 text-sm text-muted">
                                {step.waves.iter().map(|wave| view! { <li class="break-words">{wave.clone()}</li> }).collect_view()}
                            </ul>
                        })}
                    </li>
                }).collect_view()}
            </ol>
            {(!assessment.skipped_pools.is_empty()).then(|| view! {
                <p class="mt-2 text-sm text-muted">{format!("Left alone: {}.", assessment.skipped_pools.join("; "))}</p>
            })}
        </Card>
        <Card title="5. Confirm">
            {confirm}
        </Card>
    }
    .into_any()
}
