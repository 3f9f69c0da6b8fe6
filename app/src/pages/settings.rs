//! Settings: API keys per project (made here, the secret shown once; revoked after a
//! confirmation) and the password. Plain forms: they work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{LoadError, PageHeader};
use crate::api::settings::get_settings_page;
use crate::components::card::Card;
use crate::model::settings::{
    settings_message, NewKey, ProjectKeys, SettingsData, SettingsPage, SETTINGS_PATH,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let query = use_query_map();
    let shown = query.read_untracked().get("shown");
    let page = Resource::new(move || shown.clone(), get_settings_page);
    view! {
        <Title text="Settings" />
        <PageHeader title="Settings" summary="API keys of your projects, and your password." />
        <Suspense fallback=|| view! { <p class="text-sm text-muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(SettingsPage::Ready(data)) => view! { <Settings data=*data /> }.into_any(),
                    Ok(SettingsPage::SignedOut) => view! { <a href="/login" class="text-accent underline">"Sign in"</a> }.into_any(),
                    Err(error) => view! { <LoadError what="your settings" error=error.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Settings(data: SettingsData) -> impl IntoView {
    let query = use_query_map().read_untracked();
    let notice = query.get("notice").and_then(|code| settings_message(&code));
    let problem = query
        .get("problem")
        .and_then(|code| settings_message(&code));
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
    view! {
        {notice.map(|text| view! { <p role="status" class="mb-4 rounded-md border border-line bg-good-soft p-3 text-sm text-good" data-testid="notice">{text}</p> })}
        {problem.map(|text| view! { <p role="alert" class="mb-4 rounded-md border border-bad bg-bad-soft p-3 text-sm text-bad" data-testid="problem">{text}</p> })}
        {data.new_key.map(|key| view! { <NewKeyShown key /> })}
        <div class="grid gap-4">
            {data.projects.into_iter().map(|project| view! { <ProjectKeysCard project /> }).collect_view()}
            <Card title="Password">
                <form method="post" action=format!("{SETTINGS_PATH}/password") class="grid max-w-md gap-3" data-testid="password-form">
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

#[component]
fn ProjectKeysCard(project: ProjectKeys) -> impl IntoView {
    let field = "block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base";
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
                            let revoke = format!("{SETTINGS_PATH}/api-keys/{}/revoke", key.access_key);
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-3 py-2">
                                    <div>
                                        <span class="font-mono text-xs">{key.access_key.clone()}</span>
                                        <span class="ml-2 text-muted">{if key.description.is_empty() { "no description".to_string() } else { key.description.clone() }}</span>
                                        <span class="ml-2 text-xs text-muted">{key.created_at.clone()}</span>
                                    </div>
                                    {can_change.then(|| view! {
                                        <form method="post" action=revoke class="flex flex-wrap items-center gap-2">
                                            <input type="hidden" name="project_id" value=project_id.clone() />
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
                <form method="post" action=format!("{SETTINGS_PATH}/api-keys") class="mt-4 flex flex-wrap items-end gap-3">
                    <input type="hidden" name="project_id" value=project_id.clone() />
                    <div class="min-w-0 flex-1">
                        <label for=format!("description-{project_id}") class="mb-1 block text-sm font-medium">"Description of a new key"</label>
                        <input id=format!("description-{project_id}") name="description" type="text" maxlength="200" class=field placeholder="e.g. CI pipeline" />
                    </div>
                    <button type="submit" class="min-h-11 rounded-md bg-accent px-4 text-sm font-medium text-on-accent hover:opacity-90">"Create an API key"</button>
                </form>
            })}
        </Card>
    }
}
