//! The audit log: an organization's entries (filtered, paged, exported), one entry with its
//! proof, and a cluster's entries in its Audit tab. Filters live in the address (a plain GET
//! form), so a filtered view can be linked and works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::PageHeader;
use crate::api::audit::{get_audit_entry, get_audit_page, get_cluster_audit};
use crate::components::banner::{outcome_in_query, NoticeBanner, ProblemBanner};
use crate::components::card::Card;
use crate::components::hidden_fields::HiddenFields;
use crate::components::loaded::{Empty, Loaded};
use crate::components::status::{StatusBadge, Tone};
use crate::model::audit::{
    AuditEntryDetail, AuditEntryPage, AuditFilters, AuditLogView, AuditPage, AuditProof,
};
use crate::pages::not_found::NotFound;
use crate::routes;

/// The filters and the page of the current address.
fn filters_from_query() -> (AuditFilters, i64) {
    let query = use_query_map().read_untracked();
    let text = |key: &str| query.get(key).unwrap_or_default();
    let page = query
        .get("page")
        .and_then(|page| page.parse().ok())
        .unwrap_or(1)
        .max(1);
    (
        AuditFilters {
            actor: text("actor"),
            action: text("action"),
            target: text("target"),
            outcome: text("outcome"),
            since: text("since"),
            until: text("until"),
        },
        page,
    )
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let (filters, page) = filters_from_query();
    let organization = use_query_map()
        .read_untracked()
        .get("organization")
        .filter(|organization| !organization.is_empty());
    let log = Resource::new(
        move || (organization.clone(), filters.clone(), page),
        |(organization, filters, page)| get_audit_page(organization, filters, page),
    );
    view! {
        <Title text=routes::AUDIT.title />
        <Loaded resource=log what="the audit log" let:found>
            {match found {
                AuditPage::Found(view) => view! {
                    <PageHeader title="Audit log" summary="Every change to your projects, by anyone — you, your API keys, Wheelhouse's jobs and the provider's operators — in a log no one can rewrite unnoticed." />
                    <AuditLog view=*view base=routes::AUDIT.path.to_string() />
                }
                .into_any(),
                AuditPage::NotFound => view! {
                    <PageHeader title="Audit log" summary="You are not a member of a project whose log you may read." />
                }
                .into_any(),
                AuditPage::SignedOut => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
            }}
        </Loaded>
    }
}

/// A cluster's entries: its Audit tab.
#[component]
pub fn ClusterAudit() -> impl IntoView {
    let params = use_params_map().read_untracked();
    let region = params.get("region").unwrap_or_default();
    let id = params.get("id").unwrap_or_default();
    let base = routes::cluster_tab(&region, &id, routes::Tab::Audit);
    let (filters, page) = filters_from_query();
    let log = Resource::new(
        move || (region.clone(), id.clone(), filters.clone(), page),
        |(region, id, filters, page)| get_cluster_audit(region, id, filters, page),
    );
    view! {
        <Loaded resource=log what="the cluster's audit entries" let:found>
            {match found {
                AuditPage::Found(view) => view! { <AuditLog view=*view base=base.clone() /> }.into_any(),
                _ => view! { <p class="text-sm text-muted">"No audit entry of this cluster is yours to read."</p> }.into_any(),
            }}
        </Loaded>
    }
}

/// Filters, the entries, pages, and exports: the same on both pages.
#[component]
fn AuditLog(view: AuditLogView, base: String) -> impl IntoView {
    let notice = outcome_in_query("notice", |code| match code {
        "checkpoint-signed" => Some("A checkpoint of the log was signed now."),
        _ => None,
    });
    let organization_query = if view.cluster_id.is_none() && view.organizations.len() > 1 {
        format!("organization={}&", view.organization_id)
    } else {
        String::new()
    };
    let filter_query = view.filters.query();
    let export = |format: &str| {
        let mut query = format!("format={format}");
        if let Some(cluster) = &view.cluster_id {
            query.push_str(&format!("&cluster={cluster}"));
        }
        if !filter_query.is_empty() {
            query.push_str(&format!("&{filter_query}"));
        }
        format!(
            "{}?{query}",
            routes::AUDIT_EXPORT.url(&[view.organization_id.as_str()])
        )
    };
    let (jsonl, csv) = (export("jsonl"), export("csv"));
    let checkpoint_words = match view.checkpointed {
        Some(size) => format!("The latest signed checkpoint covers the first {size} entries."),
        None => "No checkpoint is signed yet: one is signed within the hour.".to_string(),
    };
    // Back to this very view (its organization and filters) once the checkpoint is signed.
    let here = {
        let query = format!("{organization_query}{filter_query}");
        let query = query.trim_end_matches('&');
        if query.is_empty() {
            base.clone()
        } else {
            format!("{base}?{query}")
        }
    };
    let to = routes::form_to(routes::SIGN_CHECKPOINT)
        .with("organization", &view.organization_id)
        .with("back", &here);
    let scope = if view.projects.is_empty() {
        String::new()
    } else {
        format!("Entries of {}.", view.projects.join(", "))
    };
    view! {
        {notice.map(|words| view! { <NoticeBanner>{words}</NoticeBanner> })}
        {view.problem.clone().map(|(_, message)| view! { <ProblemBanner>{message}</ProblemBanner> })}
        <OrganizationSwitch view=view.clone() />
        <AuditFilterForm filters=view.filters.clone() base=base.clone() organization=(!organization_query.is_empty()).then(|| view.organization_id.clone()) problem=view.problem.clone() />
        <p class="mb-3 text-sm text-muted" data-testid="audit-count">
            {format!("{} matching {}. {scope}", view.total, if view.total == 1 { "entry" } else { "entries" })}
        </p>
        {if view.rows.is_empty() {
            view! { <Empty testid="no-audit-entries">"No entry matches these filters."</Empty> }.into_any()
        } else {
            view! { <AuditTable view=view.clone() /> }.into_any()
        }}
        <AuditPages view=view.clone() base=base.clone() prefix=organization_query.clone() />
        <div class="mt-6 grid grid-cols-1 gap-4 lg:grid-cols-2">
            <Card title="Export">
                <p class="mb-3 text-sm text-muted">"The entries these filters select. JSON Lines carries a checkpoint signed now and each entry's proof: anyone can verify it offline with the public key (" <code>"wheelhouse audit verify"</code> ")."</p>
                <div class="flex flex-wrap gap-3">
                    <a href=jsonl class="inline-flex min-h-11 items-center rounded-md border border-line px-4 text-sm hover:bg-subtle" data-testid="export-jsonl" download>"Export JSON Lines"</a>
                    <a href=csv class="inline-flex min-h-11 items-center rounded-md border border-line px-4 text-sm hover:bg-subtle" data-testid="export-csv" download>"Export CSV"</a>
                </div>
            </Card>
            <Card title="Integrity">
                <p class="mb-3 text-sm text-muted" data-testid="checkpoint-status">{checkpoint_words}</p>
                <p class="mb-3 text-sm text-muted">{format!("Checkpoints are signed with the installation's Ed25519 key {}.", view.key_id)}</p>
                <div class="flex flex-wrap items-center gap-3">
                    <a href=routes::AUDIT_PUBLIC_KEY.axum_path class="inline-flex min-h-11 items-center text-sm text-accent underline" data-testid="public-key" download>"Download the public key"</a>
                    <form method="post" action=to.action>
                        <HiddenFields to=to.clone() />
                        <button type="submit" class="min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle" data-testid="sign-checkpoint">"Sign a checkpoint now"</button>
                    </form>
                </div>
            </Card>
        </div>
    }
}

/// The organizations whose logs the person reads, when there are several.
#[component]
fn OrganizationSwitch(view: AuditLogView) -> impl IntoView {
    if view.cluster_id.is_some() || view.organizations.len() < 2 {
        return ().into_any();
    }
    view! {
        <nav aria-label="Organizations" class="mb-4 flex flex-wrap gap-2 text-sm">
            {view
                .organizations
                .iter()
                .map(|organization| {
                    let current = *organization == view.organization_id;
                    let href = format!("{}?organization={organization}", routes::AUDIT.path);
                    view! {
                        <a href=href aria-current=current.then_some("page") class="inline-flex min-h-11 items-center rounded-md border border-line px-3 aria-[current=page]:bg-subtle">
                            {format!("Organization {}", short(organization))}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
    .into_any()
}

/// How an interface is named to people.
fn interface_name(interface: &str) -> &'static str {
    match interface {
        "console" => "console",
        "scaleway_api" => "Scaleway API",
        "extension_api" => "extension API",
        "cli" => "command line",
        _ => "background job",
    }
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

#[component]
fn AuditFilterForm(
    filters: AuditFilters,
    base: String,
    organization: Option<String>,
    problem: Option<(String, String)>,
) -> impl IntoView {
    let field = "block min-h-11 w-full rounded-md border border-line bg-canvas px-3 text-sm";
    let invalid = move |name: &str| {
        problem
            .as_ref()
            .is_some_and(|(field, _)| field == name)
            .then_some("true")
    };
    let outcome = filters.outcome.clone();
    let clear = base.clone();
    view! {
        <form method="get" action=base class="mb-4 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-7 lg:items-end" data-testid="audit-filters">
            {organization.map(|organization| view! { <input type="hidden" name="organization" value=organization /> })}
            <div>
                <label for="audit-actor" class="mb-1 block text-xs text-muted">"Actor"</label>
                <input id="audit-actor" name="actor" value=filters.actor.clone() placeholder="email, api-key…" class=field />
            </div>
            <div>
                <label for="audit-action" class="mb-1 block text-xs text-muted">"Action"</label>
                <input id="audit-action" name="action" value=filters.action.clone() placeholder="cluster.update" class=field />
            </div>
            <div>
                <label for="audit-target" class="mb-1 block text-xs text-muted">"Target id"</label>
                <input id="audit-target" name="target" value=filters.target.clone() class=field />
            </div>
            <div>
                <label for="audit-outcome" class="mb-1 block text-xs text-muted">"Outcome"</label>
                <select id="audit-outcome" name="outcome" class=field aria-invalid=invalid("outcome")>
                    <option value="" selected=outcome.is_empty()>"Any"</option>
                    <option value="done" selected=outcome == "done">"Done"</option>
                    <option value="refused" selected=outcome == "refused">"Refused"</option>
                </select>
            </div>
            <div>
                <label for="audit-since" class="mb-1 block text-xs text-muted">"From"</label>
                <input id="audit-since" name="since" type="date" value=filters.since.clone() class=field aria-invalid=invalid("since") />
            </div>
            <div>
                <label for="audit-until" class="mb-1 block text-xs text-muted">"Until"</label>
                <input id="audit-until" name="until" type="date" value=filters.until.clone() class=field aria-invalid=invalid("until") />
            </div>
            <div class="flex gap-3">
                <button type="submit" class="min-h-11 rounded-md border border-line px-4 text-sm hover:bg-subtle">"Filter"</button>
                <a href=clear class="inline-flex min-h-11 items-center text-sm text-accent underline">"Clear"</a>
            </div>
        </form>
    }
}

#[component]
fn AuditTable(view: AuditLogView) -> impl IntoView {
    let cell = "block px-3 py-1 sm:table-cell sm:py-2 before:mr-2 before:text-xs before:text-muted before:content-[attr(data-label)] sm:before:content-none";
    let organization = view.organization_id.clone();
    view! {
        <div class="overflow-x-auto rounded-lg border border-line bg-surface">
            <table class="w-full text-left text-sm" data-testid="audit-entries">
                <thead class="hidden border-b border-line text-xs text-muted sm:table-header-group">
                    <tr>
                        <th class="px-3 py-2 font-medium">"#"</th>
                        <th class="px-3 py-2 font-medium">"Time (UTC)"</th>
                        <th class="px-3 py-2 font-medium">"Actor"</th>
                        <th class="px-3 py-2 font-medium">"Action"</th>
                        <th class="px-3 py-2 font-medium">"Target"</th>
                        <th class="px-3 py-2 font-medium">"Outcome"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-line">
                    {view
                        .rows
                        .into_iter()
                        .map(|row| {
                            let href = routes::AUDIT_ENTRY.url(&[organization.as_str(), &row.seq.to_string()]);
                            let (tone, label) = if row.outcome == "done" {
                                (Tone::Good, "Done".to_string())
                            } else {
                                (Tone::Critical, "Refused".to_string())
                            };
                            view! {
                                <tr class="block py-2 sm:table-row sm:py-0" data-testid="audit-row">
                                    <td class=cell data-label="#">
                                        <a href=href class="text-accent underline" aria-label=format!("Entry {}", row.seq)>{row.seq}</a>
                                    </td>
                                    <td class=format!("{cell} font-mono text-xs") data-label="Time">{row.time.replace('T', " ")}</td>
                                    <td class=format!("{cell} [overflow-wrap:anywhere]") data-label="Actor">
                                        {row.actor}
                                        <span class="ml-1 whitespace-nowrap text-xs text-muted">{format!("({})", interface_name(&row.interface))}</span>
                                    </td>
                                    <td class=format!("{cell} font-mono text-xs") data-label="Action">{row.action}</td>
                                    <td class=format!("{cell} break-all text-xs") data-label="Target">{row.target}</td>
                                    <td class=cell data-label="Outcome">
                                        <StatusBadge tone label />
                                        {row.reason.map(|reason| view! { <span class="ml-1 text-xs text-muted">{reason}</span> })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn AuditPages(view: AuditLogView, base: String, prefix: String) -> impl IntoView {
    if view.pages <= 1 {
        return ().into_any();
    }
    let filters = view.filters.query();
    let link = move |page: i64| {
        let mut query = format!("{prefix}page={page}");
        if !filters.is_empty() {
            query.push_str(&format!("&{filters}"));
        }
        format!("{base}?{query}")
    };
    let (current, pages) = (view.page.min(view.pages), view.pages);
    view! {
        <nav aria-label="Pages" class="mt-4 flex items-center gap-3 text-sm" data-testid="pages">
            {(current > 1).then(|| view! { <a href=link(current - 1) class="inline-flex min-h-11 items-center text-accent underline">"Newer"</a> })}
            <span class="text-muted">{format!("Page {current} of {pages}")}</span>
            {(current < pages).then(|| view! { <a href=link(current + 1) class="inline-flex min-h-11 items-center text-accent underline">"Older"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
pub fn AuditEntryPageView() -> impl IntoView {
    let params = use_params_map().read_untracked();
    let organization = params.get("organization").unwrap_or_default();
    let seq = params.get("seq").unwrap_or_default();
    let entry = Resource::new(
        move || (organization.clone(), seq.clone()),
        |(organization, seq)| get_audit_entry(organization, seq),
    );
    view! {
        <Loaded resource=entry what="the audit entry" let:found>
            {match found {
                AuditEntryPage::Found(detail) => view! { <EntryDetail detail=*detail /> }.into_any(),
                AuditEntryPage::NotFound => view! { <NotFound /> }.into_any(),
                AuditEntryPage::SignedOut => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
            }}
        </Loaded>
    }
}

#[component]
fn EntryDetail(detail: AuditEntryDetail) -> impl IntoView {
    let title = format!("Audit entry {}", detail.seq);
    let back = if detail.organization_id.is_empty() {
        routes::AUDIT.path.to_string()
    } else {
        format!(
            "{}?organization={}",
            routes::AUDIT.path,
            detail.organization_id
        )
    };
    let (tone, outcome) = if detail.outcome == "done" {
        (Tone::Good, "Done".to_string())
    } else {
        (Tone::Critical, "Refused".to_string())
    };
    let facts = |pairs: Vec<(String, String)>| {
        view! {
            <dl class="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
                {pairs
                    .into_iter()
                    .map(|(name, value)| view! {
                        <dt class="text-muted">{name}</dt>
                        <dd class="min-w-0 break-all font-mono text-xs leading-5">{value}</dd>
                    })
                    .collect_view()}
            </dl>
        }
    };
    let fields = |label: &'static str, json: Option<String>| {
        json.map(|json| view! {
            <div>
                <h3 class="mb-1 text-sm font-medium">{label}</h3>
                <pre tabindex="0" aria-label=label class="max-h-80 overflow-auto rounded-md border border-line bg-canvas p-3 text-xs">{json}</pre>
            </div>
        })
    };
    view! {
        <Title text=title.clone() />
        <PageHeader title=title summary=format!("{} by {} at {} (UTC).", detail.action, detail.actor, detail.time.replace('T', " ")) />
        <p class="mb-4 text-sm"><a href=back class="inline-flex min-h-11 items-center text-accent underline">"Back to the audit log"</a></p>
        <div class="grid grid-cols-1 gap-4 lg:grid-cols-2">
            <Card title="What happened">
                <div class="grid grid-cols-1 gap-3" data-testid="entry-facts">
                    <p class="flex flex-wrap items-center gap-2 text-sm">
                        <StatusBadge tone label=outcome />
                        {detail.reason.clone().map(|reason| view! { <span>{reason}</span> })}
                    </p>
                    {facts(detail.target.clone())}
                    {fields("Before", detail.before.clone())}
                    {fields("After", detail.after.clone())}
                </div>
            </Card>
            <Card title="Where it came from">
                {facts(detail.source.clone())}
            </Card>
            <div class="lg:col-span-2">
                <Card title="Proof">
                    <ProofView proof=detail.proof.clone() leaf_hash=detail.leaf_hash.clone() />
                    <details class="mt-3 text-sm">
                        <summary class="min-h-11 cursor-pointer py-2 text-accent">"The entry as hashed (RFC 8785)"</summary>
                        <pre tabindex="0" aria-label="The entry as hashed" class="overflow-auto whitespace-pre-wrap break-all rounded-md border border-line bg-canvas p-3 text-xs" data-testid="canonical">{detail.canonical.clone()}</pre>
                    </details>
                </Card>
            </div>
        </div>
    }
}

#[component]
fn ProofView(proof: Option<AuditProof>, leaf_hash: String) -> impl IntoView {
    match proof {
        None => view! {
            <p class="text-sm text-muted" data-testid="proof">
                "Not yet under a signed checkpoint: checkpoints are signed within the hour, or now from the audit log's page."
            </p>
        }
        .into_any(),
        Some(proof) => {
            let (tone, label) = if proof.verified {
                (Tone::Good, format!("Verified against checkpoint {}", proof.tree_size))
            } else {
                (Tone::Critical, format!("Does not verify against checkpoint {}", proof.tree_size))
            };
            view! {
                <div class="grid grid-cols-1 gap-2 text-sm" data-testid="proof">
                    <p><StatusBadge tone label /></p>
                    <p class="break-all text-muted">{format!(
                        "Checkpoint {} (the first {} entries, signed {} UTC with key {}) has root {}. This entry's leaf hash is {}; its audit path has {} hashes.",
                        proof.tree_size, proof.tree_size, proof.time.replace('T', " "), proof.key_id, proof.root_hash, leaf_hash, proof.path.len()
                    )}</p>
                    <details>
                        <summary class="min-h-11 cursor-pointer py-2 text-accent">"The audit path"</summary>
                        <ol class="list-decimal pl-6 font-mono text-xs break-all">
                            {proof.path.into_iter().map(|hash| view! { <li>{hash}</li> }).collect_view()}
                        </ol>
                    </details>
                </div>
            }
            .into_any()
        }
    }
}
