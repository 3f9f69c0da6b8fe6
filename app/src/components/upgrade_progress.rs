//! A running upgrade's progress, per pool and per node, kept current without reloading: the
//! island starts from the state rendered on the server and replaces it with each state the
//! server streams (Server-Sent Events, JSON of [`Progress`]). Without JavaScript the page shows
//! the state at render time and a link to look again.

use leptos::prelude::*;

use crate::components::status::{status_tone, StatusBadge, Tone};
use crate::model::upgrade::Progress;

#[island]
pub fn UpgradeProgressLive(
    /// The state when the page was rendered.
    initial: Progress,
    /// The progress stream.
    url: String,
    /// Where pause, resume and abort post; `None` for people who may only look.
    control: Option<String>,
) -> impl IntoView {
    let progress = RwSignal::new(initial);
    let connected = RwSignal::new(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::listen(&url, progress, connected);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&url, connected);
    });
    view! {
        <div
            data-testid="upgrade-progress"
            data-connected=move || if connected.get() { "true" } else { "false" }
            data-finished=move || if progress.read().finished { "true" } else { "false" }
            aria-live="polite"
        >
            {move || view! { <ProgressBody progress=progress.get() control=control.clone() /> }}
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
fn Controls(progress: Progress, action: String) -> impl IntoView {
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
                <form method="post" action=action.clone()>
                    <input type="hidden" name="action" value=pause_or_resume.0 />
                    <button type="submit" class=button>{pause_or_resume.1}</button>
                </form>
            })}
            {abortable.then(|| view! {
                <details class="rounded-md border border-line px-3">
                    <summary class="flex min-h-11 cursor-pointer items-center text-sm">"Abort…"</summary>
                    <form method="post" action=action.clone() class="space-y-2 pb-3">
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
fn ProgressBody(progress: Progress, control: Option<String>) -> impl IntoView {
    let left_behind = progress.state == "aborted"
        && !progress.active
        && progress
            .pools
            .iter()
            .any(|pool| pool.stage.starts_with("stopped"));
    let resume_pools = control
        .clone()
        .filter(|_| left_behind)
        .map(|action| view! {
            <form method="post" action=action class="mt-4">
                <input type="hidden" name="action" value="resume" />
                <button type="submit" class="min-h-11 rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle">"Resume: upgrade those pools"</button>
            </form>
        });
    // Finished and soaking: the way back is one click away (the wizard shows its pre-flight).
    let roll_back = control
        .clone()
        .zip(progress.rollback_until.clone().zip(progress.rollback_to.clone()))
        .filter(|_| progress.finished)
        .map(|(action, (until, to))| {
            let wizard = action.trim_end_matches("/control").to_string();
            view! {
                <div class="mt-4 rounded-md border border-line p-3 text-sm" data-testid="soak-live">
                    <p>{format!("Soaking until {until}: the control plane keeps {to}'s behaviour, so the cluster can still go back.")}</p>
                    <a href=format!("{wizard}?rollback=cluster") class="mt-2 inline-flex min-h-11 items-center rounded-md border border-line px-4 text-sm font-medium hover:bg-subtle">{format!("Roll back to {to}…")}</a>
                </div>
            }
        });
    let controls = control
        .filter(|_| progress.active)
        .map(|action| view! { <Controls progress=progress.clone() action /> });
    let what = progress.what();
    let headline = if progress.finished {
        format!("{what} to {} finished", progress.to_version)
    } else if progress.state == "aborted" && !progress.active {
        format!("{what} to {} aborted", progress.to_version)
    } else if progress.state == "aborted" {
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
        {resume_pools}
        {roll_back}
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    use crate::model::upgrade::Progress;

    pub fn listen(url: &str, progress: RwSignal<Progress>, connected: RwSignal<bool>) {
        let Ok(source) = web_sys::EventSource::new(url) else {
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || connected.set(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let state = event
                    .data()
                    .as_string()
                    .and_then(|data| serde_json::from_str::<Progress>(&data).ok());
                if let Some(state) = state {
                    progress.set(state);
                }
            },
        );
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
    }
}
