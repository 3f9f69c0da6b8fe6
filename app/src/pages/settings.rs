//! Settings: per project its API keys (made here, the secret shown once; revoked after a
//! confirmation) and its members (owners add them by email, a new account's password shown
//! once, change roles, remove after a confirmation); new projects; the password. Plain forms:
//! they work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::PageHeader;
use crate::api::settings::get_settings_page;
use crate::components::banner::{outcome_in_query, NoticeBanner, ProblemBanner};
use crate::components::card::Card;
use crate::components::field::Field;
use crate::components::hidden_fields::HiddenFields;
use crate::components::loaded::Loaded;
use crate::model::settings::{
    settings_message, MemberRow, NewKey, NewMember, OrganizationChoice, ProjectSettings,
    SettingsData, SettingsPage, ROLES,
};
use crate::routes;

const FIELD: &str = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
const PRIMARY: &str =
    "min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90";

/// The message of a refused form for `field`, when it came back from the form that `scope`
/// names (`project=…`, `member=…` or `organization=…`: each card has its own forms).
fn problem_for(field: &str, scope: (&str, &str)) -> Option<String> {
    let query = use_query_map().read_untracked().clone();
    (query.get("problem").as_deref() == Some("invalid")
        && query.get("field").as_deref() == Some(field)
        && query.get(scope.0).as_deref() == Some(scope.1))
    .then(|| query.get("message").unwrap_or_default())
}

/// What was typed in `key` of the refused form that `scope` names, else `default`.
fn typed(key: &str, scope: (&str, &str), default: &str) -> String {
    let query = use_query_map().read_untracked().clone();
    if query.get("problem").as_deref() == Some("invalid")
        && query.get(scope.0).as_deref() == Some(scope.1)
    {
        query.get(key).unwrap_or_else(|| default.to_string())
    } else {
        default.to_string()
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let query = use_query_map();
    let shown = query.read_untracked().get("shown");
    let page = Resource::new(move || shown.clone(), get_settings_page);
    view! {
        <Title text=routes::SETTINGS.title />
        <PageHeader title="Settings" summary="API keys and members of your projects, new projects, and your password." />
        <Loaded resource=page what="your settings" let:page>
            {match page {
                SettingsPage::Ready(data) => view! { <Settings data=*data /> }.into_any(),
                SettingsPage::SignedOut => view! { <a href=routes::LOGIN.path class="text-accent underline">"Sign in"</a> }.into_any(),
            }}
        </Loaded>
    }
}

#[component]
fn Settings(data: SettingsData) -> impl IntoView {
    let notice = outcome_in_query("notice", settings_message);
    let problem = outcome_in_query("problem", settings_message);
    let field = FIELD;
    let organizations = data.organizations;
    view! {
        {notice.map(|text| view! { <NoticeBanner>{text}</NoticeBanner> })}
        {problem.map(|text| view! { <ProblemBanner>{text}</ProblemBanner> })}
        {data.new_key.map(|key| view! { <NewKeyShown key /> })}
        {data.new_member.map(|member| view! { <NewMemberShown member /> })}
        <div class="grid gap-4">
            {data.projects.into_iter().map(|project| view! {
                <ProjectKeysCard project=project.clone() />
                <MembersCard project />
            }).collect_view()}
            {(!organizations.is_empty()).then(|| view! { <NewProjectCard organizations /> })}
            <Card title="Password">
                <form method="post" action=routes::CHANGE_PASSWORD.axum_path class="grid max-w-md gap-3" data-testid="password-form">
                    <input type="hidden" name="username" value=data.email.clone() autocomplete="username" />
                    <div>
                        <label for="current" class="mb-1 block text-sm font-medium">"Current password"</label>
                        <input id="current" name="current" type="password" required autocomplete="current-password" class=field />
                    </div>
                    <div>
                        <label for="new" class="mb-1 block text-sm font-medium">"New password (12 characters or more)"</label>
                        <input id="new" name="new" type="password" required minlength="12" autocomplete="new-password" class=field />
                    </div>
                    <div>
                        <label for="again" class="mb-1 block text-sm font-medium">"New password again"</label>
                        <input id="again" name="again" type="password" required minlength="12" autocomplete="new-password" class=field />
                    </div>
                    <p class="text-xs text-muted">"Every session ends with the change, this one too: you sign in again."</p>
                    <button type="submit" class="min-h-11 w-fit rounded-md border border-line px-4 text-sm hover:bg-subtle">"Change the password"</button>
                </form>
            </Card>
        </div>
    }
}

#[component]
fn NewKeyShown(key: NewKey) -> impl IntoView {
    view! {
        <section role="status" class="mb-4 rounded-lg border border-accent bg-accent-soft p-4" data-testid="new-key">
            <h2 class="text-base font-semibold">"Your new API key"</h2>
            <p class="mt-1 text-sm">"Copy the secret key now: it is shown this once and never again."</p>
            <dl class="mt-3 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                <dt class="text-muted">"Access key"</dt>
                <dd class="break-all font-mono text-xs" data-testid="new-access-key">{key.access_key}</dd>
                <dt class="text-muted">"Secret key"</dt>
                <dd class="break-all font-mono text-xs" data-testid="new-secret-key">{key.secret_key}</dd>
                <dt class="text-muted">"Project ID"</dt>
                <dd class="break-all font-mono text-xs">{key.project_id}</dd>
            </dl>
        </section>
    }
}

/// The password of an account made when its owner added someone new: shown this once.
#[component]
fn NewMemberShown(member: NewMember) -> impl IntoView {
    view! {
        <section role="status" class="mb-4 rounded-lg border border-accent bg-accent-soft p-4" data-testid="new-member">
            <h2 class="text-base font-semibold">{format!("{} can now sign in", member.email)}</h2>
            <p class="mt-1 text-sm">
                "An account was made for them with this one-time password. It is shown this once and never again. "
                "Wheelhouse has no mail server: pass the password on to them yourself, over a channel you trust. "
                "They should change it under Settings after signing in."
            </p>
            <dl class="mt-3 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                <dt class="text-muted">"Email"</dt>
                <dd class="break-all" data-testid="new-member-email">{member.email}</dd>
                <dt class="text-muted">"Project"</dt>
                <dd class="break-all">{member.project_name}</dd>
                <dt class="text-muted">"One-time password"</dt>
                <dd class="break-all font-mono text-sm" data-testid="new-member-password">{member.password}</dd>
            </dl>
        </section>
    }
}

/// A project's members: a table from 640 px up, stacked cards below (each cell labels itself).
/// Owners get a role form and a removal form per member, and the form that adds one.
#[component]
fn MembersCard(project: ProjectSettings) -> impl IntoView {
    let cell = "block px-3 py-1 sm:table-cell sm:py-3 sm:align-middle before:mr-2 before:text-xs before:text-muted before:content-[attr(data-label)] sm:before:content-none";
    let manage = project.can_manage_members;
    let project_id = project.project_id.clone();
    let rows = project
        .members
        .into_iter()
        .map(|member| {
            let project_id = project_id.clone();
            view! { <MemberRowView member project_id manage cell /> }
        })
        .collect_view();
    view! {
        <Card title=format!("Members of {}", project.project_name)>
            <table class="block w-full text-sm sm:table" data-testid="members" data-project=project.project_name.clone()>
                <thead class="hidden border-b border-line text-left text-xs uppercase tracking-wide text-muted sm:table-header-group">
                    <tr>
                        <th scope="col" class="px-3 py-2 font-medium">"Member"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Role"</th>
                        {manage.then(|| view! { <th scope="col" class="px-3 py-2 font-medium">"Remove"</th> })}
                    </tr>
                </thead>
                <tbody class="block sm:table-row-group">{rows}</tbody>
            </table>
            {if manage {
                let action = routes::form_to(routes::ADD_MEMBER).with("project_id", &project_id);
                let audit = routes::form_to(routes::SET_AUDIT_VIEWERS).with("project_id", &project_id);
                let allowed = project.audit_for_viewers;
                let box_id = format!("audit-viewers-{project_id}");
                let label_for = box_id.clone();
                view! {
                    <AddMemberForm project_id action />
                    <form method="post" action=audit.action class="mt-4 flex flex-wrap items-center gap-3 border-t border-line pt-4" data-testid="audit-viewers">
                        <HiddenFields to=audit.clone() />
                        <label for=label_for class="flex min-h-11 items-center gap-2 text-sm">
                            <input id=box_id type="checkbox" name="allowed" value="yes" checked=allowed class="size-5" />
                            "Viewers may read this project's audit log"
                        </label>
                        <button type="submit" class="min-h-11 rounded-md border border-line px-3 text-sm hover:bg-subtle">"Save"</button>
                    </form>
                }
                .into_any()
            } else {
                view! { <p class="mt-3 text-sm text-muted">"Only the project's owners add members, change their roles or remove them."</p> }.into_any()
            }}
        </Card>
    }
}

#[component]
fn MemberRowView(
    member: MemberRow,
    project_id: String,
    manage: bool,
    cell: &'static str,
) -> impl IntoView {
    let of_member = |route| {
        routes::form_to(route)
            .with("project_id", &project_id)
            .with("member", &member.user_id)
    };
    let (role_action, remove_action) = (
        of_member(routes::CHANGE_MEMBER_ROLE),
        of_member(routes::REMOVE_MEMBER),
    );
    let scope = ("member", member.user_id.as_str());
    let role_problem = problem_for("role", scope);
    let role_id = format!("role-{}", member.user_id);
    let problem_id = format!("role-problem-{}", member.user_id);
    let email = member.email.clone();
    let role_cell = if manage {
        let current = member.role.clone();
        view! {
            <form method="post" action=role_action.action class="flex flex-wrap items-center gap-2">
                <HiddenFields to=role_action.clone() />
                <Field id=role_id.clone() label=format!("Role of {email}") label_class="sr-only" refusal=role_problem refusal_id=problem_id>
                    <select id=role_id name="role" class="min-h-11 rounded-md border border-line bg-canvas px-3 text-base">
                        {ROLES.iter().map(|(value, _)| view! {
                            <option value=*value selected=*value == current>{*value}</option>
                        }).collect_view()}
                    </select>
                </Field>
                <button type="submit" class="min-h-11 rounded-md border border-line px-3 text-sm hover:bg-subtle">"Change role"</button>
            </form>
        }
        .into_any()
    } else {
        view! { <span data-testid="member-role">{member.role.clone()}</span> }.into_any()
    };
    view! {
        <tr class="mb-3 block rounded-lg border border-line bg-surface py-2 sm:mb-0 sm:table-row sm:rounded-none sm:border-0 sm:border-b sm:bg-transparent" data-testid="member-row">
            <td class=format!("{cell} break-all") data-label="Member">
                <span class="font-medium">{member.email.clone()}</span>
                {member.is_you.then(|| view! { <span class="ml-2 whitespace-nowrap rounded-full border border-line px-2 py-0.5 text-xs text-muted" data-testid="you">"you"</span> })}
            </td>
            <td class=cell data-label="Role">{role_cell}</td>
            {manage.then(|| view! {
                <td class=cell data-label="Remove">
                    <form method="post" action=remove_action.action class="flex flex-wrap items-center gap-2">
                        <HiddenFields to=remove_action.clone() />
                        <label class="flex min-h-11 items-center gap-2 text-sm">
                            <input type="checkbox" name="confirm" value="yes" required class="size-5" />
                            "I am sure"
                            <span class="sr-only">{format!("to remove {}", member.email)}</span>
                        </label>
                        <button type="submit" class="min-h-11 rounded-md border border-bad px-3 text-sm text-bad hover:bg-bad-soft">
                            "Remove"<span class="sr-only">{format!(" {}", member.email)}</span>
                        </button>
                    </form>
                </td>
            })}
        </tr>
    }
}

#[component]
fn AddMemberForm(project_id: String, action: routes::FormTo) -> impl IntoView {
    let scope = ("project", project_id.as_str());
    let email = typed("email", scope, "");
    let role = typed("role", scope, "viewer");
    let email_problem = problem_for("email", scope);
    let role_problem = problem_for("role", scope);
    let (email_id, role_id) = (
        format!("member-email-{project_id}"),
        format!("member-role-{project_id}"),
    );
    let (email_problem_id, role_problem_id, help_id) = (
        format!("member-email-problem-{project_id}"),
        format!("member-role-problem-{project_id}"),
        format!("member-help-{project_id}"),
    );
    view! {
        <form method="post" action=action.action class="mt-4 grid gap-3 sm:grid-cols-[1fr_auto_auto] sm:items-start" data-testid="add-member">
            <HiddenFields to=action.clone() />
            <Field id=email_id.clone() label="Email of the person to add" class="min-w-0" described_by=help_id.clone()
                refusal=email_problem refusal_id=email_problem_id>
                <input id=email_id name="email" type="email" required maxlength="254" autocomplete="off" value=email class=FIELD />
            </Field>
            <Field id=role_id.clone() label="Role" refusal=role_problem refusal_id=role_problem_id>
                <select id=role_id name="role" class=FIELD>
                    {ROLES.iter().map(|(value, _)| view! {
                        <option value=*value selected=*value == role>{*value}</option>
                    }).collect_view()}
                </select>
            </Field>
            <div class="sm:pt-6">
                <button type="submit" class=PRIMARY>"Add the member"</button>
            </div>
            <div id=help_id class="text-xs text-muted sm:col-span-3">
                <p>{ROLES.iter().map(|(_, words)| *words).collect::<Vec<_>>().join(" · ")}</p>
                <p class="mt-1">"Someone without an account gets one, with a password shown to you once: Wheelhouse sends no email, so you pass it on."</p>
            </div>
        </form>
    }
}

/// A new project in an organization where the person owns a project.
#[component]
fn NewProjectCard(organizations: Vec<OrganizationChoice>) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let typed_organization = query.get("organization");
    let chosen = typed_organization
        .clone()
        .filter(|id| organizations.iter().any(|o| &o.organization_id == id))
        .or_else(|| organizations.first().map(|o| o.organization_id.clone()))
        .unwrap_or_default();
    let scope = ("organization", chosen.as_str());
    let name = typed("name", scope, "");
    let name_problem = problem_for("name", scope);
    let organization_field = if organizations.len() == 1 {
        view! { <input type="hidden" name="organization_id" value=chosen.clone() /> }.into_any()
    } else {
        view! {
            <div>
                <label for="new-project-organization" class="mb-1 block text-sm font-medium">"Organization"</label>
                <select id="new-project-organization" name="organization_id" class=FIELD>
                    {organizations.iter().map(|choice| view! {
                        <option value=choice.organization_id.clone() selected=choice.organization_id == chosen>{choice.label.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
        }
        .into_any()
    };
    let label = match organizations.as_slice() {
        [only] => Some(only.label.clone()),
        _ => None,
    };
    view! {
        <Card title="New project">
            <p class="mb-3 text-sm text-muted">
                {match label {
                    Some(label) => format!("{label}: you become the new project's owner; it is offered when a cluster is created."),
                    None => "You become the new project's owner; it is offered when a cluster is created.".to_string(),
                }}
            </p>
            <form method="post" action=routes::CREATE_PROJECT.axum_path class="grid gap-3 sm:grid-cols-[1fr_auto] sm:items-start" data-testid="new-project">
                {organization_field}
                <Field id="new-project-name" label="Project name" class="min-w-0 sm:col-start-1"
                    help="1 to 64 letters, digits, spaces, - and _; unique." refusal=name_problem>
                    <input id="new-project-name" name="name" type="text" required maxlength="64" value=name class=FIELD />
                </Field>
                <div class="sm:pt-6">
                    <button type="submit" class=PRIMARY>"Create the project"</button>
                </div>
            </form>
        </Card>
    }
}

#[component]
fn ProjectKeysCard(project: ProjectSettings) -> impl IntoView {
    let field = FIELD;
    let project_id = project.project_id.clone();
    let can_change = project.can_change;
    view! {
        <Card title=format!("API keys of {} ({})", project.project_name, project.role)>
            {if project.keys.is_empty() {
                view! { <p class="text-sm text-muted">"No API key yet."</p> }.into_any()
            } else {
                let project_id = project_id.clone();
                view! {
                    <ul class="divide-y divide-line text-sm" data-testid="api-keys">
                        {project.keys.into_iter().map(|key| {
                            let revoke = routes::form_to(routes::REVOKE_API_KEY)
                                .with("access_key", &key.access_key)
                                .with("project_id", &project_id);
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-3 py-2">
                                    <div>
                                        <span class="font-mono text-xs">{key.access_key.clone()}</span>
                                        <span class="ml-2 text-muted">{if key.description.is_empty() { "no description".to_string() } else { key.description.clone() }}</span>
                                        <span class="ml-2 text-xs text-muted">{key.created_at.clone()}</span>
                                    </div>
                                    {can_change.then(|| view! {
                                        <form method="post" action=revoke.action class="flex flex-wrap items-center gap-2">
                                            <HiddenFields to=revoke.clone() />
                                            <label class="flex min-h-11 items-center gap-2 text-sm">
                                                <input type="checkbox" name="confirm" value="yes" required class="size-5" />
                                                "I understand"
                                            </label>
                                            <button type="submit" class="min-h-11 rounded-md border border-bad px-3 text-sm text-bad hover:bg-bad-soft">"Revoke"</button>
                                        </form>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {can_change.then(|| view! {
                <form method="post" action=routes::CREATE_API_KEY.axum_path class="mt-4 flex flex-wrap items-end gap-3">
                    <input type="hidden" name="project_id" value=project_id.clone() />
                    <div class="min-w-0 flex-1 basis-56">
                        <label for=format!("description-{project_id}") class="mb-1 block text-sm font-medium">"Description of a new key"</label>
                        <input id=format!("description-{project_id}") name="description" type="text" maxlength="200" class=field placeholder="e.g. CI pipeline" />
                    </div>
                    <button type="submit" class="min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Create an API key"</button>
                </form>
            })}
        </Card>
    }
}
