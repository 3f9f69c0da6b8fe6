//! A running upgrade's progress, per pool and per node. It is a live region (see
//! `components::live`): with JavaScript the cluster page's live updates bring each new state in
//! place as the upgrade moves; without, the page shows the state at render time and a link to
//! look again.

use leptos::prelude::*;

use crate::components::hidden_fields::HiddenFields;
use crate::components::status::{status_tone, StatusBadge, Tone};
use crate::model::upgrade::Progress;

#[component]
pub fn UpgradeProgress(
    /// The state to show.
    progress: Progress,
    /// Where pause, resume and abort post; `None` for people who may only look.
    control: Option<crate::routes::FormTo>,
) -> impl IntoView {
    // The live region is replaced as the upgrade moves; the wrapper stays, so screen readers
    // announce the change.
    view! {
        <div aria-live="polite">
            <div data-testid="upgrade-progress" data-live-region="upgrade-progress">
                <ProgressBody progress control />
            </div>
        </div>
    }
}

fn stage_tone(stage: &str) -> Tone {
    match stage {
        "done" => Tone::Good,
        "upgrading" => Tone::Warning,
        _ => Tone::Neutral,
    }
}

/// Pause, resume and abort, as plain forms (they work without JavaScript too).
#[component]
fn Controls(progress: Progress, action: crate::routes::FormTo) -> impl IntoView {
    let button = "min-h-11 rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle";
    let pause_or_resume = if progress.state == "paused" {
        ("resume", "Resume")
    } else {
        ("pause", "Pause after this wave")
    };
    let aborted = progress.state == "aborted";
    // A rollback is not aborted halfway: its pools would be left behind their control plane.
    let abortable = !aborted && progress.kind != "rollback";
    view! {
        <div class="mt-4 flex flex-wrap items-start gap-3" data-testid="rollout-controls">
            {(!aborted).then(|| view! {
                <form method="post" action=action.action>
                    <HiddenFields to=action.clone() />
                    <input type="hidden" name="action" value=pause_or_resume.0 />
                    <button type="submit" class=button>{pause_or_resume.1}</button>
                </form>
            })}
            {abortable.then(|| view! {
                <details class="rounded-md border border-line px-3">
                    <summary class="flex min-h-11 cursor-pointer items-center text-sm">"Abort…"</summary>
                    <form method="post" action=action.action class="space-y-2 pb-3">
                        <HiddenFields to=action.clone() />
                        <input type="hidden" name="action" value="abort" />
                        <label class="flex min-h-11 items-start gap-2 text-sm">
                            <input type="checkbox" name="confirm" value="yes" required class="mt-1 size-5" />
                            <span>"Stop after the current wave. Nodes already replaced stay on the new version; the others keep theirs."</span>
                        </label>
                        <button type="submit" class="min-h-11 rounded-md border border-bad px-4 text-sm font-medium text-bad hover:bg-bad-soft">"Abort the upgrade"</button>
                    </form>
                </details>
            })}
        </div>
    }
}

#[component]
fn ProgressBody(progress: Progress, control: Option<crate::routes::FormTo>) -> impl IntoView {
    // Shown while the run is active (a finished or settled one is the wizard's "Last upgrade").
    let controls = control.map(|action| view! { <Controls progress=progress.clone() action /> });
    let what = progress.what();
    let headline = if progress.state == "aborted" {
        format!(
            "Aborting the {} to {} after the current wave",
            what.to_lowercase(),
            progress.to_version
        )
    } else if progress.state == "paused" {
        format!(
            "{what} from {} to {} paused",
            progress.from_version, progress.to_version
        )
    } else if progress.kind == "upgrade" {
        format!(
            "Upgrading from {} to {}",
            progress.from_version, progress.to_version
        )
    } else {
        format!(
            "Rolling back from {} to {}",
            progress.from_version, progress.to_version
        )
    };
    let control_plane = progress.control_plane_stage();
    let reason = progress.override_reason.clone();
    view! {
        <h2 class="text-lg font-semibold" data-testid="progress-headline">{headline}</h2>
        <p class="mt-1 text-sm text-muted">
            {format!("Started by {} at {}", progress.started_by, progress.started_at)}
        </p>
        {reason.map(|reason| view! {
            <p class="mt-2 rounded-md border border-warn bg-warn-soft p-3 text-sm text-warn">
                {format!("Started over a NO-GO. Reason given: {reason}")}
            </p>
        })}
        <ol class="mt-4 space-y-3">
            <li class="rounded-lg border border-line p-3">
                <div class="flex flex-wrap items-center justify-between gap-2">
                    <span class="font-medium">"Control plane"</span>
                    <StatusBadge tone=stage_tone(control_plane) label=control_plane />
                </div>
                <p class="mt-1 text-sm text-muted">{format!("Runs {}", progress.control_plane_version)}</p>
            </li>
            {progress
                .pools
                .into_iter()
                .map(|pool| {
                    let done = pool.nodes_on_target;
                    let total = pool.nodes_total.max(1);
                    let width = format!("width: {}%", done * 100 / total);
                    view! {
                        <li class="rounded-lg border border-line p-3" data-testid="pool-progress">
                            <div class="flex flex-wrap items-center justify-between gap-2">
                                <span class="font-medium">{format!("Pool {}", pool.name)}</span>
                                <StatusBadge tone=stage_tone(&pool.stage) label=pool.stage.clone() />
                            </div>
                            <p class="mt-1 text-sm text-muted">
                                {format!("{done} of {} nodes on {} · pool version {}", pool.nodes_total, progress.to_version, pool.version)}
                            </p>
                            {pool.held_by.clone().map(|why| view! {
                                <p class="mt-1 rounded-md border border-warn bg-warn-soft p-2 text-sm text-warn" data-testid="held-by">
                                    {format!("Waiting: {why}")}
                                </p>
                            })}
                            <div class="mt-2 h-2 rounded-full bg-subtle" aria-hidden="true">
                                <div class="h-2 rounded-full bg-accent" style=width></div>
                            </div>
                            <ul class="mt-2 grid gap-1 text-sm sm:grid-cols-2">
                                {pool
                                    .nodes
                                    .into_iter()
                                    .map(|(name, status, version)| view! {
                                        <li class="flex flex-wrap items-center justify-between gap-2 rounded border border-line px-2 py-1">
                                            <span class="break-all">{name}</span>
                                            <span class="flex items-center gap-2">
                                                <span class="text-muted">{version}</span>
                                                <StatusBadge tone=status_tone(&status) label=status.replace('_', " ") />
                                            </span>
                                        </li>
                                    })
                                    .collect_view()}
                            </ul>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        {controls}
    }
    .into_any()
}
