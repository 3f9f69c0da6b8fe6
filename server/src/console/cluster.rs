//! What the console's cluster pages do besides reading: plain form posts and downloads that
//! work without JavaScript, each answering with a redirect back to the page and the outcome in
//! its query (`notice` or `problem`). Every one resolves the session, finds the project that
//! owns the cluster among the person's, and checks the role before calling the service.

use app::api::cluster::ssr::ClusterConsole;
use app::api::cluster::{
    AclRuleForm, ClusterAt, ConfirmedForm, NewPoolForm, NodeActionForm, PoolActionForm,
    SettingsForm,
};
use app::model::cluster::{
    AttachedRow, ClusterDetail, ClusterPage, ComponentRow, EventRow, NodeRow, PoolRow,
};
use app::routes::cluster_path;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::port::lifecycle;
use super::request::ConsoleRequest;
use super::session::signed_in;
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::domain::ids::{ClusterId, NodeId, PoolId};
use crate::domain::model::Caller;
use crate::domain::requests::SettingsEdit;
use crate::domain::DomainError;
use crate::services::identity::{self, ProjectAccess};
use crate::state::AppState;

/// The person's access to the project owning the cluster; `None` when they have none (the
/// cluster is then "not found" for them, as any stranger's).
pub async fn access_to_cluster(
    state: &AppState,
    headers: &ConsoleRequest,
    region: &str,
    cluster_id: &str,
) -> Result<Option<(Caller, ProjectAccess)>, ConsoleError> {
    Ok(person_on_cluster(state, headers, region, cluster_id)
        .await?
        .map(|(_, caller, access)| (caller, access)))
}

/// [`access_to_cluster`], with the signed-in person (for what records who did it).
pub async fn person_on_cluster(
    state: &AppState,
    headers: &ConsoleRequest,
    region: &str,
    cluster_id: &str,
) -> Result<Option<(identity::SessionUser, Caller, ProjectAccess)>, ConsoleError> {
    let (_, user) = signed_in(state, headers).await?;
    let owner = state.service.owner_of(cluster_id).await.map_err(|error| {
        tracing::error!(%error, "owner lookup failed");
        ConsoleError::Unavailable
    })?;
    let Some((project_id, owner_region)) = owner else {
        return Ok(None);
    };
    if owner_region != region {
        return Ok(None);
    }
    let Some(access) = user
        .projects
        .iter()
        .find(|access| access.project_id == project_id)
        .cloned()
    else {
        return Ok(None);
    };
    let caller = access.caller().from_source(headers.source.clone());
    Ok(Some((user, caller, access)))
}

/// The signed-in person, when their role lets them change this cluster. Otherwise the refusal:
/// sign in, not found (not theirs), or back to `page` with `problem=forbidden`.
pub(super) async fn changer_of_cluster(
    state: &AppState,
    headers: &ConsoleRequest,
    region: &str,
    cluster_id: &str,
    page: &str,
) -> Result<Caller, ConsoleError> {
    match access_to_cluster(state, headers, region, cluster_id).await? {
        None => Err(ConsoleError::NotFound),
        Some((caller, access)) if !access.role.can_change() => {
            // A refused change is recorded too: a viewer tried to change the cluster.
            let error = crate::domain::DomainError::PermissionDenied(format!(
                "a {} of the project may look, not change",
                access.role.as_str()
            ));
            state
                .recorded
                .refusal(
                    &caller,
                    "cluster.change",
                    crate::services::changes::target_of(
                        &caller,
                        "cluster",
                        cluster_id,
                        Some(cluster_id),
                    ),
                    &error,
                )
                .await;
            Err(ConsoleError::Back(back_with(
                page,
                &[("problem", "forbidden")],
            )))
        }
        Some((caller, _)) => Ok(caller),
    }
}

/// Back to `page` with a general reason: `busy` when another change is under way, otherwise
/// `refused` (logged). Field-level refusals are answered by each form, which knows what to keep.
pub(super) fn busy_or_refused(page: &str, error: DomainError, what: &'static str) -> ConsoleError {
    if let DomainError::TransientState { .. } = error {
        return ConsoleError::Back(back_with(page, &[("problem", "busy")]));
    }
    tracing::warn!(%error, "{what}");
    ConsoleError::Back(back_with(page, &[("problem", "refused")]))
}

/// Back with the first invalid field and its message, keeping `typed`.
pub(super) fn invalid(
    page: &str,
    error: &DomainError,
    typed: &[(&str, &str)],
) -> Option<ConsoleError> {
    let DomainError::InvalidArguments(arguments) = error else {
        return None;
    };
    let first = arguments.first()?;
    let mut pairs = vec![
        ("problem", "invalid"),
        ("field", first.argument_name.as_str()),
        ("message", first.help_message.as_str()),
    ];
    pairs.extend_from_slice(typed);
    Some(ConsoleError::Back(back_with(page, &pairs)))
}

/// A new pool's lifespan as typed in a console form: empty is none, else 1 to 365 days.
pub(super) fn lifespan_field(typed: &str) -> Result<Option<u32>, &'static str> {
    match typed.trim() {
        "" => Ok(None),
        days => match days.parse::<u32>() {
            Ok(days) if (1..=crate::services::freshness::MAX_MAX_NODE_AGE_DAYS).contains(&days) => {
                Ok(Some(days))
            }
            _ => Err("a node lifespan is 1 to 365 days (30 recommended), or empty for none"),
        },
    }
}

/// The reason to show for a refused form: the help of the first argument at fault.
fn first_help(arguments: &[crate::domain::error::InvalidArgument]) -> String {
    arguments
        .first()
        .map(|a| a.help_message.clone())
        .unwrap_or_default()
}

/// The `NODE_ACTION` form: reboot or replace, after the confirmation box.
pub async fn node_action(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    node_id: String,
    form: NodeActionForm,
) -> Result<Done, ConsoleError> {
    let back = format!("{}/nodes", cluster_path(&region, &cluster_id));
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &back).await?;
    if form.confirm.as_deref() != Some("yes") {
        return Err(ConsoleError::Back(format!("{back}?problem=confirm")));
    }
    let node_id = NodeId::from(node_id);
    // The node must be this cluster's: the service checks the project, this the cluster.
    match state.service.get_node(&caller, &region, &node_id).await {
        Ok(node) if node.cluster_id == cluster_id => {}
        _ => return Err(ConsoleError::NotFound),
    }
    let outcome = match form.action.as_str() {
        "reboot" => state
            .service
            .reboot_node(&caller, &region, &node_id)
            .await
            .map(|_| "rebooting"),
        "replace" => state
            .service
            .replace_node(&caller, &region, &node_id)
            .await
            .map(|_| "replacing"),
        _ => {
            return Err(ConsoleError::Text(
                StatusCode::BAD_REQUEST,
                "unknown node action",
            ))
        }
    };
    match outcome {
        Ok(notice) => Ok(Done::to(format!("{back}?notice={notice}"))),
        Err(DomainError::NotFound { .. }) => Err(ConsoleError::NotFound),
        Err(error) => Err(busy_or_refused(&back, error, "a node action was refused")),
    }
}

/// GET /clusters/{region}/{id}/kubeconfig: the file, for the person's own clusters.
pub async fn kubeconfig(
    State(state): State<AppState>,
    headers: super::request::ConsoleRequest,
    Path((region, cluster_id)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let (caller, access) = access_to_cluster(&state, &headers, &region, &cluster_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    // The kubeconfig carries the admin token: full control of the cluster, not for viewers.
    if !access.role.can_change() {
        return Err(ConsoleError::Text(
            StatusCode::FORBIDDEN,
            "your role in this project lets you look at the cluster, not take its admin credentials",
        ));
    }
    match state
        .service
        .kubeconfig(&caller, &region, &ClusterId::from(cluster_id), false)
        .await
    {
        Ok(yaml) => Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/yaml"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"kubeconfig.yaml\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            yaml,
        )
            .into_response()),
        Err(DomainError::TransientState { .. }) => Err(ConsoleError::Text(
            StatusCode::CONFLICT,
            "the cluster is still being created: its kubeconfig comes once it is ready",
        )),
        Err(error) => {
            tracing::warn!(%error, "kubeconfig refused");
            Err(ConsoleError::NotFound)
        }
    }
}

/// The page's address with the outcome of a form, URL-encoded.
pub(super) fn back_with(page: &str, pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return page.to_string();
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(key, value)| {
            format!(
                "{key}={}",
                url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
            )
        })
        .collect();
    format!("{page}?{}", query.join("&"))
}

/// The tags of the settings form's text: comma-separated, trimmed, empty ones dropped.
fn tags_of(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `SAVE_SETTINGS` form: name, description and tags. A refusal comes back with
/// the field at fault, its reason and what was typed, so nothing is lost.
pub async fn save_settings(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: SettingsForm,
) -> Result<Done, ConsoleError> {
    let page = format!("{}/settings", cluster_path(&region, &cluster_id));
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    // Only what the person changed is saved, compared under the cluster's lock with what
    // they saw: a field someone else changed meanwhile keeps their value, unless the person
    // changed it too (then they are asked to look again).
    let edit = SettingsEdit {
        name: (
            form.name.trim().to_string(),
            form.was_name.as_deref().map(|was| was.trim().to_string()),
        ),
        description: (form.description.clone(), form.was_description.clone()),
        tags: (tags_of(&form.tags), form.was_tags.as_deref().map(tags_of)),
    };
    let id = ClusterId::from(cluster_id.clone());
    let refused = |field: &str, message: &str| {
        let mut pairs = vec![
            ("problem", "invalid"),
            ("field", field),
            ("message", message),
            ("name", form.name.as_str()),
            ("description", form.description.as_str()),
            ("tags", form.tags.as_str()),
        ];
        for (key, value) in [
            ("was_name", &form.was_name),
            ("was_description", &form.was_description),
            ("was_tags", &form.was_tags),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.as_str()));
            }
        }
        ConsoleError::Back(back_with(&page, &pairs))
    };
    // Nothing changed here: nothing to check or write.
    let Some(changes) = edit.changes() else {
        return Ok(Done::to(back_with(&page, &[("notice", "saved")])));
    };
    match state
        .service
        .update_cluster(&caller, &region, &id, changes)
        .await
    {
        Ok(_) => Ok(Done::to(back_with(&page, &[("notice", "saved")]))),
        Err(DomainError::InvalidArguments(arguments)) => {
            let first = arguments.first();
            let field = first
                .map(|a| {
                    a.argument_name
                        .split(['[', '.'])
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
                .unwrap_or_default();
            let message = first.map(|a| a.help_message.clone()).unwrap_or_default();
            Err(refused(&field, &message))
        }
        Err(error) => Err(busy_or_refused(&page, error, "cluster settings refused")),
    }
}

/// The checks of a destructive action: the person may change the cluster, and typed its name.
/// Refusals come back to `page` with the reason.
async fn confirmed_by_name(
    state: &AppState,
    headers: &ConsoleRequest,
    region: &str,
    cluster_id: &str,
    form: &ConfirmedForm,
    page: &str,
) -> Result<(Caller, ClusterId), ConsoleError> {
    let caller = changer_of_cluster(state, headers, region, cluster_id, page).await?;
    let id = ClusterId::from(cluster_id);
    let cluster = match state.service.get_cluster(&caller, region, &id).await {
        Ok(cluster) => cluster,
        Err(_) => return Err(ConsoleError::NotFound),
    };
    if form.confirm_name.trim() != cluster.name {
        return Err(ConsoleError::Back(back_with(
            page,
            &[("problem", "typed-name")],
        )));
    }
    Ok((caller, id))
}

/// The `DELETE_CLUSTER` form: after typing the cluster's name.
pub async fn delete_cluster(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: ConfirmedForm,
) -> Result<Done, ConsoleError> {
    let page = format!("{}/settings", cluster_path(&region, &cluster_id));
    let (caller, id) =
        confirmed_by_name(state, headers, &region, &cluster_id, &form, &page).await?;
    let with_resources = form.with_additional_resources.as_deref() == Some("yes");
    match state
        .service
        .delete_cluster(&caller, &region, &id, with_resources)
        .await
    {
        Ok(_) => Ok(Done::to(back_with("/clusters", &[("notice", "deleting")]))),
        Err(error) => Err(busy_or_refused(&page, error, "cluster deletion refused")),
    }
}

/// The `RESET_ADMIN_TOKEN` form: after typing the cluster's name; every
/// kubeconfig downloaded before stops working.
pub async fn reset_admin_token(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: ConfirmedForm,
) -> Result<Done, ConsoleError> {
    let page = format!("{}/access", cluster_path(&region, &cluster_id));
    let (caller, id) =
        confirmed_by_name(state, headers, &region, &cluster_id, &form, &page).await?;
    match state.service.reset_admin_token(&caller, &region, &id).await {
        Ok(()) => Ok(Done::to(back_with(&page, &[("notice", "token-reset")]))),
        Err(error) => {
            tracing::warn!(%error, "admin token reset refused");
            Err(ConsoleError::Back(back_with(
                &page,
                &[("problem", "refused")],
            )))
        }
    }
}

/// The `ADD_POOL` form: a new pool; a refusal comes back with its reason and
/// what was typed.
pub async fn add_pool(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: NewPoolForm,
) -> Result<Done, ConsoleError> {
    let page = format!("{}/pools", cluster_path(&region, &cluster_id));
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let refused = |message: &str| {
        ConsoleError::Back(back_with(
            &page,
            &[
                ("problem", "invalid"),
                ("message", message),
                ("name", &form.name),
                ("node_type", &form.node_type),
                ("size", &form.size),
                ("lifespan", &form.lifespan),
            ],
        ))
    };
    let Ok(size) = form.size.trim().parse::<i64>() else {
        return Err(refused(&format!(
            "`{}` is not a whole number of nodes",
            form.size
        )));
    };
    let lifespan = lifespan_field(&form.lifespan).map_err(refused)?;
    let spec = crate::domain::requests::NewPool {
        name: Some(form.name.trim().to_string()),
        node_type: Some(form.node_type.clone()),
        size: Some(size),
        autohealing: Some(form.autohealing.is_some()),
        ..Default::default()
    };
    match state
        .service
        .create_pool(&caller, &region, &ClusterId::from(cluster_id.clone()), spec)
        .await
    {
        Ok(pool) => {
            let pool_id = PoolId::from(pool.id);
            if let Err(error) = state
                .freshness()
                .set_lifespan(&caller, &region, &pool_id, lifespan)
                .await
            {
                tracing::warn!(%error, "a new pool's lifespan was not kept");
            }
            Ok(Done::to(back_with(&page, &[("notice", "pool-added")])))
        }
        Err(DomainError::InvalidArguments(arguments)) => Err(refused(&first_help(&arguments))),
        Err(error) => Err(busy_or_refused(&page, error, "pool creation refused")),
    }
}

/// The `POOL_ACTION` form: resize a pool, or delete it after its name
/// was typed.
pub async fn pool_action(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    pool_id: String,
    form: PoolActionForm,
) -> Result<Done, ConsoleError> {
    let page = format!("{}/pools", cluster_path(&region, &cluster_id));
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let pool_id = PoolId::from(pool_id);
    // The pool must be this cluster's: the service checks the project, this the cluster.
    let pool = match state.service.get_pool(&caller, &region, &pool_id).await {
        Ok(pool) if pool.cluster_id == cluster_id => pool,
        _ => return Err(ConsoleError::NotFound),
    };
    let refused = |message: &str| {
        ConsoleError::Back(back_with(
            &page,
            &[
                ("problem", "invalid"),
                ("message", message),
                ("pool", pool_id.as_str()),
            ],
        ))
    };
    let outcome = match form.action.as_str() {
        "resize" => {
            let typed = form.size.unwrap_or_default();
            let Ok(size) = typed.trim().parse::<i64>() else {
                return Err(refused(&format!(
                    "`{typed}` is not a whole number of nodes"
                )));
            };
            let changes = crate::domain::requests::PoolChanges {
                size: Some(size),
                ..Default::default()
            };
            state
                .service
                .update_pool(&caller, &region, &pool_id, changes)
                .await
                .map(|_| "resized")
        }
        "settings" => {
            let number = |typed: &Option<String>, what: &str| {
                let typed = typed.clone().unwrap_or_default();
                typed
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("{what}: `{typed}` is not a whole number"))
            };
            let parsed = (
                number(&form.min_size, "minimum size"),
                number(&form.max_size, "maximum size"),
                number(&form.max_surge, "max surge"),
                number(&form.max_unavailable, "max unavailable"),
            );
            let (min_size, max_size, max_surge, max_unavailable) = match parsed {
                (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
                (a, b, c, d) => {
                    let message = [a.err(), b.err(), c.err(), d.err()]
                        .into_iter()
                        .flatten()
                        .next()
                        .unwrap_or_default();
                    return Err(refused(&message));
                }
            };
            // "name=value" per line; any argument makes the kubelet the user's to look after.
            let mut kubelet_args = serde_json::Map::new();
            for line in form.kubelet_args.clone().unwrap_or_default().lines() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let Some((name, value)) = line.split_once('=') else {
                    return Err(refused(&format!(
                        "kubelet argument `{line}`: write it as name=value"
                    )));
                };
                kubelet_args.insert(
                    name.trim().to_string(),
                    serde_json::Value::String(value.trim().to_string()),
                );
            }
            if !kubelet_args.is_empty()
                && pool.kubelet_args != kubelet_args
                && form.kubelet_ack.is_none()
            {
                return Err(ConsoleError::Back(back_with(
                    &page,
                    &[("problem", "kubelet-ack"), ("pool", pool_id.as_str())],
                )));
            }
            let changes = crate::domain::requests::PoolChanges {
                autoscaling: Some(form.autoscaling.is_some()),
                min_size: Some(min_size),
                max_size: Some(max_size),
                upgrade_policy: Some(crate::domain::requests::UpgradePolicyInput {
                    max_surge: Some(max_surge),
                    max_unavailable: Some(max_unavailable),
                }),
                kubelet_args: Some(kubelet_args),
                ..Default::default()
            };
            state
                .service
                .update_pool(&caller, &region, &pool_id, changes)
                .await
                .map(|_| "pool-settings-saved")
        }
        "delete" => {
            if form.confirm_name.as_deref().map(str::trim) != Some(pool.name.as_str()) {
                return Err(ConsoleError::Back(back_with(
                    &page,
                    &[("problem", "typed-pool-name")],
                )));
            }
            state
                .service
                .delete_pool(&caller, &region, &pool_id)
                .await
                .map(|_| "pool-deleting")
        }
        _ => {
            return Err(ConsoleError::Text(
                StatusCode::BAD_REQUEST,
                "unknown pool action",
            ))
        }
    };
    match outcome {
        Ok(notice) => Ok(Done::to(back_with(&page, &[("notice", notice)]))),
        Err(DomainError::InvalidArguments(arguments)) => Err(refused(&first_help(&arguments))),
        Err(DomainError::NotFound { .. }) => Err(ConsoleError::NotFound),
        Err(error) => Err(busy_or_refused(&page, error, "a pool action was refused")),
    }
}

/// The `ADD_ACL_RULE` form: one more rule (an IP range, a description); a
/// refusal comes back beside the form with what was typed, and nothing changes.
pub async fn add_acl_rule(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    form: AclRuleForm,
) -> Result<Done, ConsoleError> {
    let page = format!("{}/access", cluster_path(&region, &cluster_id));
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let rule = crate::domain::requests::AclRuleInput {
        ip: Some(form.ip.trim().to_string()),
        scaleway_ranges: None,
        description: Some(form.description.trim().to_string()),
    };
    match state
        .service
        .write_acl_rules(
            &caller,
            &region,
            &ClusterId::from(cluster_id.clone()),
            vec![rule],
            false,
        )
        .await
    {
        Ok(_) => Ok(Done::to(back_with(&page, &[("notice", "acl-added")]))),
        Err(error) => Err(invalid(
            &page,
            &error,
            &[
                ("ip", form.ip.as_str()),
                ("description", form.description.as_str()),
            ],
        )
        .unwrap_or_else(|| busy_or_refused(&page, error, "an ACL rule was refused"))),
    }
}

/// The `DELETE_ACL_RULE` form: removes one of this cluster's rules
/// (404 when the rule is not this cluster's).
pub async fn delete_acl_rule(
    state: &AppState,
    headers: &ConsoleRequest,
    ClusterAt {
        region,
        cluster: cluster_id,
    }: ClusterAt,
    rule_id: String,
) -> Result<Done, ConsoleError> {
    let page = format!("{}/access", cluster_path(&region, &cluster_id));
    let caller = changer_of_cluster(state, headers, &region, &cluster_id, &page).await?;
    let id = ClusterId::from(cluster_id.clone());
    match state.service.list_acl_rules(&caller, &region, &id).await {
        Ok(rules) if rules.iter().any(|rule| rule.id == rule_id) => {}
        Ok(_) | Err(DomainError::NotFound { .. }) => return Err(ConsoleError::NotFound),
        Err(error) => return Err(busy_or_refused(&page, error, "ACL rules could not be read")),
    }
    match state
        .service
        .delete_acl_rule(
            &caller,
            &region,
            &crate::domain::ids::AclRuleId::from(rule_id),
        )
        .await
    {
        Ok(()) => Ok(Done::to(back_with(&page, &[("notice", "acl-deleted")]))),
        Err(error) => Err(busy_or_refused(
            &page,
            error,
            "an ACL rule deletion was refused",
        )),
    }
}

#[async_trait::async_trait]
impl ClusterConsole for Console {
    async fn cluster_page(
        &self,
        caller: &ConsoleCaller,
        region: &str,
        id: &str,
    ) -> Result<ClusterPage, ConsoleError> {
        self.load_cluster_page(&ConsoleRequest::of(caller), region, id)
            .await
            .map_err(ConsoleError::Failed)
    }

    async fn node_action(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        node: String,
        form: NodeActionForm,
    ) -> Result<Done, ConsoleError> {
        node_action(&self.state, &ConsoleRequest::of(caller), at, node, form).await
    }

    async fn save_settings(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: SettingsForm,
    ) -> Result<Done, ConsoleError> {
        save_settings(&self.state, &ConsoleRequest::of(caller), at, form).await
    }

    async fn delete_cluster(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: ConfirmedForm,
    ) -> Result<Done, ConsoleError> {
        delete_cluster(&self.state, &ConsoleRequest::of(caller), at, form).await
    }

    async fn reset_admin_token(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: ConfirmedForm,
    ) -> Result<Done, ConsoleError> {
        reset_admin_token(&self.state, &ConsoleRequest::of(caller), at, form).await
    }

    async fn add_pool(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: NewPoolForm,
    ) -> Result<Done, ConsoleError> {
        add_pool(&self.state, &ConsoleRequest::of(caller), at, form).await
    }

    async fn pool_action(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        pool: String,
        form: PoolActionForm,
    ) -> Result<Done, ConsoleError> {
        pool_action(&self.state, &ConsoleRequest::of(caller), at, pool, form).await
    }

    async fn add_acl_rule(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        form: AclRuleForm,
    ) -> Result<Done, ConsoleError> {
        add_acl_rule(&self.state, &ConsoleRequest::of(caller), at, form).await
    }

    async fn delete_acl_rule(
        &self,
        caller: &ConsoleCaller,
        at: ClusterAt,
        rule: String,
    ) -> Result<Done, ConsoleError> {
        delete_acl_rule(&self.state, &ConsoleRequest::of(caller), at, rule).await
    }
}

/// The page's read, for the request's person.
impl Console {
    pub(super) async fn load_cluster_page(
        &self,
        request: &ConsoleRequest,
        region: &str,
        id: &str,
    ) -> Result<ClusterPage, String> {
        let state = &self.state;
        let failed = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "a cluster page could not be loaded");
            "the cluster could not be loaded; try again in a moment".to_string()
        };
        let (caller, access) =
            match super::cluster::access_to_cluster(state, request, region, id).await {
                Ok(Some(found)) => found,
                Ok(None) => return Ok(ClusterPage::NotFound),
                Err(_) => return Ok(ClusterPage::SignedOut),
            };
        let cluster_id = ClusterId::from(id);
        let cluster = match state
            .service
            .get_cluster(&caller, region, &cluster_id)
            .await
        {
            Ok(cluster) => cluster,
            Err(crate::domain::DomainError::NotFound { .. }) => return Ok(ClusterPage::NotFound),
            Err(error) => return Err(failed(&error)),
        };
        let now = state.clock.now();
        let catalog = state
            .service
            .list_versions(region)
            .await
            .map_err(|e| failed(&e))?;
        let pools = state
            .service
            .list_pools(&caller, region, &cluster_id)
            .await
            .map_err(|e| failed(&e))?;
        let nodes = state
            .service
            .list_nodes(&caller, region, &cluster_id)
            .await
            .map_err(|e| failed(&e))?;
        let inventory = state
            .service
            .cluster_inventory(&caller, region, &cluster_id)
            .await
            .map_err(|e| failed(&e))?;
        let acl_rules = state
            .service
            .list_acl_rules(&caller, region, &cluster_id)
            .await
            .map_err(|e| failed(&e))?;
        let events = state
            .service
            .cluster_events(&caller, region, &cluster_id)
            .await
            .map_err(|e| failed(&e))?;
        let pool_name = |pool_id: &str| {
            pools
                .iter()
                .find(|pool| pool.id == pool_id)
                .map(|pool| pool.name.clone())
                .unwrap_or_default()
        };
        let pdbs = inventory
            .as_ref()
            .map(|inventory| inventory.pod_disruption_budgets.clone())
            .unwrap_or_default();
        let freshness = state
            .freshness()
            .report_of(&cluster, &pools, &nodes, &pdbs)
            .await
            .map_err(|e| failed(&e))?;
        let detail =
            ClusterDetail {
                node_types: state
                    .service
                    .node_types()
                    .iter()
                    .map(|name| name.to_string())
                    .collect(),
                id: cluster.id.clone(),
                name: cluster.name.clone(),
                description: cluster.description.clone(),
                project: access.project_name.clone(),
                region: region.to_string(),
                status: cluster.status.as_str().to_string(),
                version: cluster.version.clone(),
                lifecycle: lifecycle(&cluster.version, &catalog, now),
                cni: cluster.cni.clone(),
                cluster_type: cluster.cluster_type.clone(),
                cluster_url: cluster.cluster_url.clone(),
                created_at: cluster.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                tags: cluster.tags.clone(),
                can_change: access.role.can_change(),
                components: inventory.as_ref().map(|inventory| {
                    inventory
                        .components
                        .iter()
                        .map(|component| ComponentRow {
                            name: component.name.clone(),
                            kind: if component.kind == "control_plane" {
                                "Control plane"
                            } else {
                                "System app"
                            }
                            .to_string(),
                            version: component.version.clone(),
                            health: component.health.clone(),
                            managed_by: if component.managed_by == "provider" {
                                "Provider"
                            } else {
                                "You"
                            }
                            .to_string(),
                        })
                        // A pool's kubelet with arguments of the user's is the user's to look after.
                        .chain(
                            pools
                                .iter()
                                .filter(|pool| !pool.kubelet_args.is_empty())
                                .map(|pool| ComponentRow {
                                    name: format!("kubelet (pool {}, custom arguments)", pool.name),
                                    kind: "Node".to_string(),
                                    version: format!("v{}", pool.version),
                                    // As its nodes report it.
                                    health: if nodes.iter().filter(|n| n.pool_id == pool.id).all(
                                        |n| n.status == crate::domain::model::NodeStatus::Ready,
                                    ) {
                                        "healthy"
                                    } else {
                                        "degraded"
                                    }
                                    .to_string(),
                                    managed_by: "You".to_string(),
                                }),
                        )
                        .collect()
                }),
                pools: pools
                    .iter()
                    .map(|pool| PoolRow {
                        id: pool.id.clone(),
                        name: pool.name.clone(),
                        status: pool.status.as_str().to_string(),
                        version: pool.version.clone(),
                        node_type: pool.node_type.clone(),
                        size: pool.size,
                        autoscaling: pool.autoscaling.then_some((pool.min_size, pool.max_size)),
                        autohealing: pool.autohealing,
                        min_size: pool.min_size,
                        max_size: pool.max_size,
                        max_surge: pool.max_surge,
                        max_unavailable: pool.max_unavailable,
                        kubelet_args: pool
                            .kubelet_args
                            .iter()
                            .map(|(name, value)| {
                                format!(
                                    "{name}={}",
                                    value
                                        .as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| value.to_string())
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    })
                    .collect(),
                nodes: nodes
                    .iter()
                    .map(|node| NodeRow {
                        id: node.id.clone(),
                        name: node.name.clone(),
                        pool: pool_name(&node.pool_id),
                        status: node.status.as_str().to_string(),
                        version: node.version.clone(),
                        os_image: node.os_image.clone(),
                        age_days: (now - node.created_at).num_seconds().max(0) as f64 / 86_400.0,
                        ready: node
                            .conditions
                            .get("Ready")
                            .and_then(|value| value.as_str())
                            .unwrap_or("Unknown")
                            .to_string(),
                        public_ip: node.public_ip_v4.clone(),
                        actionable: !node.status.is_transient() && node.operation_id.is_none(),
                        expires: freshness
                            .nodes
                            .iter()
                            .find(|expiry| expiry.node_id == node.id)
                            .and_then(|expiry| expiry.expires_at)
                            .map(|at| app::model::cluster::expires_in((at - now).num_seconds())),
                        waiting: freshness
                            .nodes
                            .iter()
                            .find(|expiry| expiry.node_id == node.id)
                            .and_then(|expiry| expiry.waiting.clone()),
                        newer_image: freshness
                            .nodes
                            .iter()
                            .find(|expiry| expiry.node_id == node.id && expiry.outdated_image)
                            .and_then(|_| freshness.current_os_image.clone()),
                    })
                    .collect(),
                volumes: inventory
                    .as_ref()
                    .map(|inventory| attached(&inventory.volumes)),
                load_balancers: inventory
                    .as_ref()
                    .map(|inventory| attached(&inventory.load_balancers)),
                acl_rules: acl_rules
                    .iter()
                    .map(|rule| app::model::cluster::AclRow {
                        id: rule.id.clone(),
                        range: rule
                            .ip
                            .clone()
                            .unwrap_or_else(|| "Scaleway ranges".to_string()),
                        description: rule.description.clone(),
                    })
                    .collect(),
                events: events.map(|events| {
                    events
                        .into_iter()
                        .map(|event| EventRow {
                            at: event.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                            object_kind: event.object_kind,
                            reason: event.reason,
                            message: event.message,
                        })
                        .collect()
                }),
                freshness: freshness_view(freshness, now),
            };
        Ok(ClusterPage::Found(Box::new(detail)))
    }
}

fn attached(items: &[crate::domain::model::AttachedResourceState]) -> Vec<AttachedRow> {
    items
        .iter()
        .map(|item| AttachedRow {
            id: item.id.clone(),
            name: item.name.clone(),
            status: item.status.clone(),
        })
        .collect()
}

fn freshness_view(
    report: crate::services::freshness::FreshnessReport,
    now: chrono::DateTime<chrono::Utc>,
) -> app::model::cluster::Freshness {
    let minute = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    let pool_name = |id: &str| {
        report
            .pools
            .iter()
            .find(|p| p.pool_id == id)
            .map(|p| p.pool_name.clone())
            .unwrap_or_default()
    };
    app::model::cluster::Freshness {
        window: report.window.describe(),
        window_days: report.window.days.clone(),
        window_start_hour: report.window.start_hour,
        window_duration_hours: report.window.duration_hours,
        window_set: report.window_set,
        window_open_now: report.window_open_now,
        window_next_open: minute(report.window_next_open),
        lifespans: report
            .pools
            .iter()
            .map(|p| (p.pool_id.clone(), p.pool_name.clone(), p.max_node_age_days))
            .collect(),
        planned: report
            .planned
            .iter()
            .map(|r| {
                (
                    r.node_name.clone(),
                    pool_name(&r.pool_id),
                    minute(r.replaced_from),
                    r.reason.clone(),
                )
            })
            .collect(),
        replaced: report
            .replaced
            .iter()
            .map(|r| {
                (
                    r.node_name.clone(),
                    minute(r.expired_at),
                    minute(r.replaced_at),
                )
            })
            .collect(),
        exclusions: report
            .exclusions
            .iter()
            .map(|e| {
                let described = e.describe();
                let words = described
                    .strip_prefix("maintenance exclusion: ")
                    .unwrap_or(&described);
                (e.id.clone(), words.to_string(), e.in_force(now))
            })
            .collect(),
        timeline: crate::services::freshness::timeline::timeline(&report, now)
            .into_iter()
            .take(12)
            .map(|entry| (minute(entry.starts_at), entry.summary))
            .collect(),
        autohealing: report
            .pools
            .iter()
            .map(|p| {
                (
                    p.pool_id.clone(),
                    p.pool_name.clone(),
                    p.autohealing,
                    p.autohealing_cap_percent,
                )
            })
            .collect(),
        autohealing_stopped: report
            .autohealing_stopped
            .iter()
            .map(|stop| stop.message.clone())
            .collect(),
        unhealthy: report
            .unhealthy
            .iter()
            .map(|n| {
                let mut line = format!(
                    "{} NotReady since {}",
                    n.node_name,
                    minute(n.not_ready_since)
                );
                if let Some(at) = n.rebooted_at {
                    line.push_str(&format!(", rebooted at {}", minute(at)));
                }
                if let Some(at) = n.replaced_at {
                    line.push_str(&format!(", replacement started at {}", minute(at)));
                }
                line
            })
            .collect(),
        auto_upgrade: report.auto_upgrade.enabled,
        next_patch: report.auto_upgrade.next_patch.clone(),
        auto_upgrade_waiting: report.auto_upgrade.waiting.clone(),
    }
}
