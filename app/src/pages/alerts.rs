//! Alerts: the organization's page (every project the person is a member of) and a cluster's
//! Alerts tab. Each alert says whose it is: a provider-owned alert says what the provider does
//! about it and asks nothing; a user-owned one gives the exact action. Its evidence, frozen when
//! it fired, opens below it. Filters live in the address (a plain GET form); every action is a
//! plain form, so all of it works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::PageHeader;
use crate::api::alerts::{get_alerts_page, get_cluster_alerts};
use crate::components::banner::{outcome_in_query, NoticeBanner, ProblemBanner};
use crate::components::card::Card;
use crate::components::hidden_fields::HiddenFields;
use crate::components::loaded::{Empty, Loaded};
use crate::components::status::{StatusBadge, Tone};
use crate::model::alerts::{alerts_message, AlertRow, AlertsPage, AlertsView, SilenceRow, STATES};
use crate::routes;

const FIELD: &str = "block min-h-11 w-full rounded-md border border-line bg-canvas px-3 text-sm";
const BUTTON: &str = "min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle";

fn state_from_query() -> String {
    use_query_map()
        .read_untracked()
        .get("state")
        .unwrap_or_default()
}

#[component]
pub fn AlertsPageView() -> impl IntoView {
    let state = state_from_query();
    let page = Resource::new(move || state.clone(), get_alerts_page);
    view! {
        <Title text=routes::ALERTS.title />
        <Loaded resource=page what="the alerts" let:found>
            {match found {
                AlertsPage::Found(view) => view! {
                    <PageHeader title="Alerts" summary="What is wrong with your clusters and projects now, whose it is to fix, and the evidence from when it started." />
                    <Alerts view=*view base=routes::ALERTS.path.to_string() />
                }
                .into_any(),
                AlertsPage::NotFound => view! {
                    <PageHeader title="Alerts" summary="You are not a member of any project yet." />
                }
                .into_any(),
                AlertsPage::SignedOut => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
            }}
        </Loaded>
    }
}

/// A cluster's alerts: its Alerts tab.
#[component]
pub fn ClusterAlerts() -> impl IntoView {
    let params = use_params_map().read_untracked();
    let region = params.get("region").unwrap_or_default();
    let id = params.get("id").unwrap_or_default();
    let base = routes::cluster_tab(&region, &id, routes::Tab::Alerts);
    let state = state_from_query();
    let page = Resource::new(
        move || (region.clone(), id.clone(), state.clone()),
        |(region, id, state)| get_cluster_alerts(region, id, state),
    );
    view! {
        <Loaded resource=page what="the cluster's alerts" let:found>
            {match found {
                AlertsPage::Found(view) => view! { <Alerts view=*view base=base.clone() /> }.into_any(),
                _ => view! { <p class="text-sm text-muted">"This cluster's alerts are not yours to read."</p> }.into_any(),
            }}
        </Loaded>
    }
}

fn severity_tone(severity: &str) -> Tone {
    match severity {
        "critical" => Tone::Critical,
        "warning" => Tone::Warning,
        _ => Tone::Neutral,
    }
}

/// The page's body, the same on both pages: outcome, counts and filter, the alerts, the
/// silences and the silence form.
#[component]
fn Alerts(view: AlertsView, base: String) -> impl IntoView {
    let notice = outcome_in_query("notice", alerts_message);
    let problem = outcome_in_query("problem", alerts_message);
    let here = if view.state.is_empty() {
        base.clone()
    } else {
        format!("{base}?state={}", view.state)
    };
    let [critical, warning, info] = view.firing;
    let summary = if critical + warning + info == 0 {
        "Nothing is firing.".to_string()
    } else {
        format!("Firing: {critical} critical, {warning} warning, {info} info.")
    };
    let check = view.cluster.clone().map(|(region, id)| {
        let to = routes::cluster_form(&region, &id, routes::CHECK_ALERTS);
        view! {
            <form method="post" action=to.action class="inline">
                <HiddenFields to=to.clone() />
                <button type="submit" class=BUTTON data-testid="check-alerts">"Re-check now"</button>
            </form>
        }
    });
    let shown_state = view.state.clone();
    let alerts = view.alerts.clone();
    let empty_words = if view.state.is_empty() {
        "No alert has fired here yet.".to_string()
    } else {
        format!("No {} alert.", view.state)
    };
    view! {
        {notice.map(|text| view! { <NoticeBanner>{text}</NoticeBanner> })}
        {problem.map(|text| view! { <ProblemBanner>{text}</ProblemBanner> })}
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <p class="text-sm" data-testid="firing-summary">{summary}</p>
            <div class="flex flex-wrap items-end gap-3">
                <form method="get" action=base.clone() class="flex items-end gap-2" data-testid="alert-filter">
                    <div>
                        <label for="alert-state" class="mb-1 block text-xs text-muted">"Show"</label>
                        <select id="alert-state" name="state" class=FIELD>
                            {STATES
                                .iter()
                                .map(|(value, label)| view! { <option value=*value selected=shown_state == *value>{*label}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <button type="submit" class=BUTTON>"Filter"</button>
                </form>
                {check}
            </div>
        </div>
        {if alerts.is_empty() {
            view! { <Empty testid="no-alerts">{empty_words}</Empty> }.into_any()
        } else {
            view! {
                <ol class="mb-6 grid gap-3" data-testid="alerts">
                    {alerts
                        .into_iter()
                        .map(|alert| view! { <li><AlertCard alert back=here.clone() show_cluster=view.cluster.is_none() /></li> }.into_any())
                        .collect_view()}
                </ol>
            }
            .into_any()
        }}
        <Silences view=view.clone() back=here.clone() />
    }
}

#[component]
fn AlertCard(alert: AlertRow, back: String, show_cluster: bool) -> impl IntoView {
    let owner_words = if alert.owner == "provider" {
        "The provider's"
    } else {
        "Yours"
    };
    let state_tone = match alert.state.as_str() {
        "firing" if alert.silenced_by.is_none() => severity_tone(&alert.severity),
        "resolved" => Tone::Good,
        _ => Tone::Neutral,
    };
    let state_label = match (&alert.silenced_by, alert.state.as_str()) {
        (Some(_), state) if state != "resolved" => format!("{state}, silenced"),
        (_, state) => state.to_string(),
    };
    let when = match (&alert.resolved_at, &alert.fired_at) {
        (Some(resolved), _) => format!("resolved {resolved}"),
        (None, Some(fired)) => format!("firing since {fired}"),
        (None, None) => format!("pending since {}", alert.active_since),
    };
    let place = match (&alert.cluster, show_cluster) {
        (Some((region, id, name)), true) => Some(view! {
            <a href=routes::cluster_tab(region, id, routes::Tab::Alerts) class="text-accent underline">{format!("cluster {name}")}</a>
            " · "
        }),
        _ => None,
    };
    let recommendation = alert.recommendation.clone();
    let heading = if alert.owner == "provider" {
        "What the provider does"
    } else {
        "What to do"
    };
    let acknowledgement = match (&alert.acknowledgement, alert.may_acknowledge) {
        (Some((by, at, note)), _) => view! {
            <p class="text-sm" data-testid="acknowledgement">
                <span class="font-medium">{format!("Acknowledged by {by} at {at}: ")}</span>
                {note.clone()}
            </p>
        }
        .into_any(),
        (None, true) => {
            let to = routes::form_to(routes::ACKNOWLEDGE_ALERT)
                .with("alert", &alert.id)
                .with("back", &back);
            let field_id = format!("note-{}", alert.id);
            view! {
                <details class="text-sm">
                    <summary class="inline-flex min-h-11 cursor-pointer items-center text-accent underline">"Acknowledge"</summary>
                    <form method="post" action=to.action class="mt-2 grid gap-2 sm:grid-cols-[1fr_auto] sm:items-end" data-testid="acknowledge-form">
                        <HiddenFields to=to.clone() />
                        <div>
                            <label for=field_id.clone() class="mb-1 block text-xs text-muted">"What is being done about it"</label>
                            <input id=field_id name="note" required maxlength="500" class=FIELD />
                        </div>
                        <button type="submit" class=BUTTON>"Acknowledge"</button>
                    </form>
                </details>
            }
            .into_any()
        }
        (None, false) => ().into_any(),
    };
    let evidence = alert.evidence.clone().map(|evidence| {
        let organization = evidence.organization_id.clone();
        view! {
            <details class="text-sm" data-testid="evidence">
                <summary class="inline-flex min-h-11 cursor-pointer items-center text-accent underline">{format!("Evidence, as it was at {}", evidence.collected_at)}</summary>
                <div class="mt-2 grid gap-3">
                    <section>
                        <h4 class="mb-1 text-xs font-medium uppercase text-muted">"Events of the hour before"</h4>
                        {if evidence.events.is_empty() {
                            view! { <p class="text-muted">"None."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="grid gap-1">
                                    {evidence.events.into_iter().map(|(at, reason, object, message)| view! {
                                        <li class="break-words"><span class="font-mono text-xs text-muted">{at}</span>" "<span class="font-medium">{reason}</span>{format!(" ({object}) ")}{message}</li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                    {(!evidence.node_conditions.is_empty()).then(|| view! {
                        <section>
                            <h4 class="mb-1 text-xs font-medium uppercase text-muted">"Node conditions"</h4>
                            <ul class="grid gap-1">
                                {evidence.node_conditions.into_iter().map(|(kind, status)| view! { <li class="break-words"><span class="font-medium">{kind}</span>": "{status}</li> }).collect_view()}
                            </ul>
                        </section>
                    })}
                    {(!evidence.components.is_empty()).then(|| view! {
                        <section>
                            <h4 class="mb-1 text-xs font-medium uppercase text-muted">"Components"</h4>
                            <ul class="grid gap-1 sm:grid-cols-2">
                                {evidence.components.into_iter().map(|(name, health, managed_by)| view! {
                                    <li>{name}": "<span class=if health == "healthy" { "" } else { "font-medium text-bad" }>{health.replace('_', " ")}</span><span class="text-muted">{format!(" (managed by {managed_by})")}</span></li>
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                    <section>
                        <h4 class="mb-1 text-xs font-medium uppercase text-muted">"Audit entries of the hour before"</h4>
                        {if evidence.audit_entries.is_empty() {
                            view! { <p class="text-muted">"No change was recorded."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="grid gap-1">
                                    {evidence.audit_entries.into_iter().map(|(seq, at, actor, action, outcome)| {
                                        let href = routes::AUDIT_ENTRY.url(&[organization.as_str(), &seq.to_string()]);
                                        view! { <li class="break-words"><a href=href class="text-accent underline">{format!("#{seq}")}</a>" "<span class="font-mono text-xs text-muted">{at}</span>{format!(" {actor}: {action} ({outcome})")}</li> }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                </div>
            </details>
        }
        .into_any()
    });
    let recommendation = view! {
        <div class="rounded-md bg-subtle p-3 text-sm" data-testid="recommendation">
            <p class="mb-1 text-xs font-medium uppercase text-muted">{heading}</p>
            <p class="break-words">{recommendation.text}</p>
            {recommendation.command.map(|command| view! { <pre class="mt-2 overflow-x-auto whitespace-pre-wrap break-all rounded bg-canvas p-2 font-mono text-xs">{command}</pre> })}
            {recommendation.console_path.map(|path| view! { <a href=path class="mt-1 inline-flex min-h-11 items-center text-accent underline">"Go there"</a> })}
        </div>
    }
    .into_any();
    let head = view! {
        <div class="flex flex-wrap items-center gap-2">
            <StatusBadge tone=severity_tone(&alert.severity) label=alert.severity.clone() />
            <StatusBadge tone=state_tone label=state_label />
            <span class="rounded-full border border-line px-2 py-0.5 text-xs" data-testid="owner">{owner_words}</span>
            <h3 class="font-medium">{alert.title.clone()}</h3>
        </div>
        <p class="break-words text-sm">{alert.summary.clone()}</p>
        <p class="text-xs text-muted">{place}{format!("{} · {} · {when}", alert.project_name, alert.target)}</p>
    }
    .into_any();
    view! {
        <article class="grid gap-2 rounded-lg border border-line bg-surface p-4 shadow-sm" data-testid="alert" data-rule=alert.rule.clone() data-state=alert.state.clone() data-owner=alert.owner.clone()>
            {head}
            {recommendation}
            {acknowledgement}
            {evidence}
        </article>
    }
    .into_any()
}

#[component]
fn Silences(view: AlertsView, back: String) -> impl IntoView {
    let actable: Vec<_> = view
        .projects
        .iter()
        .filter(|p| p.may_act)
        .cloned()
        .collect();
    let silences = view.silences.clone();
    let form = (!actable.is_empty()).then(|| {
        let mut to = routes::form_to(routes::SILENCE_ALERTS).with("back", &back);
        if let Some((_, id)) = &view.cluster {
            to = to.with("cluster", id);
        }
        let project_field = if actable.len() == 1 {
            view! { <input type="hidden" name="project" value=actable[0].id.clone() /> }.into_any()
        } else {
            view! {
                <div>
                    <label for="silence-project" class="mb-1 block text-xs text-muted">"Project"</label>
                    <select id="silence-project" name="project" class=FIELD>
                        {actable.iter().map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()}
                    </select>
                </div>
            }
            .into_any()
        };
        let cluster_field = view.cluster.is_none().then(|| view! {
            <div>
                <label for="silence-cluster" class="mb-1 block text-xs text-muted">"Cluster id (any if empty)"</label>
                <input id="silence-cluster" name="cluster" class=FIELD />
            </div>
        });
        view! {
            <form method="post" action=to.action class="mt-3 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3 lg:items-end" data-testid="silence-form">
                <HiddenFields to=to.clone() />
                {project_field}
                {cluster_field}
                <div>
                    <label for="silence-rule" class="mb-1 block text-xs text-muted">"Rule"</label>
                    <select id="silence-rule" name="rule" class=FIELD>
                        <option value="">"Any rule"</option>
                        {view.rules.iter().map(|(id, title)| view! { <option value=id.clone()>{title.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="silence-severity" class="mb-1 block text-xs text-muted">"Severity"</label>
                    <select id="silence-severity" name="severity" class=FIELD>
                        <option value="">"Any severity"</option>
                        <option value="critical">"Critical"</option>
                        <option value="warning">"Warning"</option>
                        <option value="info">"Info"</option>
                    </select>
                </div>
                <div>
                    <label for="silence-hours" class="mb-1 block text-xs text-muted">"For (hours, up to 720)"</label>
                    <input id="silence-hours" name="hours" type="number" min="1" max="720" value="4" required class=FIELD />
                </div>
                <div class="sm:col-span-2">
                    <label for="silence-reason" class="mb-1 block text-xs text-muted">"Reason"</label>
                    <input id="silence-reason" name="reason" required maxlength="500" class=FIELD />
                </div>
                <button type="submit" class=BUTTON>"Silence"</button>
            </form>
        }
    });
    view! {
        <Card title="Silences">
            <p class="text-sm text-muted">"A silence hides nothing: matching alerts are still evaluated and listed, marked silenced, until it ends."</p>
            {if silences.is_empty() {
                view! { <p class="mt-2 text-sm" data-testid="no-silences">"No silence is in force."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-line text-sm" data-testid="silences">
                        {silences.into_iter().map(|silence| view! { <li><SilenceLine silence back=back.clone() /></li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {form}
        </Card>
    }
}

#[component]
fn SilenceLine(silence: SilenceRow, back: String) -> impl IntoView {
    let end = silence.may_end.then(|| {
        let to = routes::form_to(routes::END_SILENCE)
            .with("silence", &silence.id)
            .with("back", &back);
        view! {
            <form method="post" action=to.action>
                <HiddenFields to=to.clone() />
                <button type="submit" class=BUTTON>"End now"</button>
            </form>
        }
    });
    view! {
        <div class="flex flex-wrap items-center justify-between gap-2 py-2">
            <div class="min-w-0 break-words">
                <p class="font-medium">{silence.matchers.join(", ")}</p>
                <p class="text-muted">{format!("{} · by {} · until {}: {}", silence.project_name, silence.created_by, silence.expires_at, silence.reason)}</p>
            </div>
            {end}
        </div>
    }
}
