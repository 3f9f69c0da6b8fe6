//! The pages' reads behind the feature ports (`clusters.rs`, `cluster.rs`, …): each calls the
//! domain and returns the console's model types.

use app::model::cluster::{
    AttachedRow, ClusterDetail, ClusterPage, ComponentRow, EventRow, NodeRow, PoolRow,
};
use app::model::clusters::{
    matches, AgeSpread, ClusterSummary, Dashboard, DashboardFilters, Lifecycle, AGE_BUCKETS,
    PAGE_SIZE,
};
use app::model::create::{CreateChoices, CreatePage, PriceList};
use app::model::identity::ConsoleUser;
use app::model::settings::{
    KeyRow, MemberRow, OrganizationChoice, ProjectSettings, SettingsData, SettingsPage, ShownOnce,
};
use app::model::system::{
    AppliedMigration, ProviderSummary, ServiceHealth, SystemPage, SystemStatus,
};

use crate::domain::ids::ClusterId;
use crate::domain::model::{Caller, KubeVersionEntry};
use crate::services::identity;

use super::request::ConsoleRequest;
use crate::state::AppState;

pub struct Console {
    pub(super) state: AppState,
}

impl Console {
    pub fn new(state: AppState) -> Console {
        Console { state }
    }
}

/// A price list's figures in millionths (the console's estimate counts in whole numbers).
fn per_hour_in_micros(prices: Vec<(String, f64)>) -> Vec<(String, u64)> {
    prices
        .into_iter()
        .map(|(name, price)| (name, app::model::create::micros(price)))
        .collect()
}

fn lifecycle(
    version: &str,
    catalog: &[KubeVersionEntry],
    now: chrono::DateTime<chrono::Utc>,
) -> Lifecycle {
    match catalog.iter().find(|entry| entry.name == version) {
        None => Lifecycle::Unknown,
        Some(entry) if entry.is_end_of_life_at(now) => Lifecycle::EndOfLife,
        Some(entry) if entry.is_deprecated_at(now) => Lifecycle::Deprecated {
            days_left: entry
                .end_of_life_at
                .map(|end| (end - now).num_days())
                .unwrap_or(0),
        },
        Some(_) => Lifecycle::Supported,
    }
}

fn age_spread(mut ages_days: Vec<f64>) -> Option<AgeSpread> {
    if ages_days.is_empty() {
        return None;
    }
    ages_days.sort_by(|a, b| a.total_cmp(b));
    let median = if ages_days.len() % 2 == 1 {
        ages_days[ages_days.len() / 2]
    } else {
        (ages_days[ages_days.len() / 2 - 1] + ages_days[ages_days.len() / 2]) / 2.0
    };
    Some(AgeSpread {
        oldest_days: ages_days[ages_days.len() - 1],
        median_days: median,
        newest_days: ages_days[0],
    })
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

/// The request's person as the session middleware found them (once per request): `None` when
/// signed out, `Err` when the lookup failed (logged where it did).
async fn person(
    state: &AppState,
    request: &ConsoleRequest,
) -> Result<Option<(String, identity::SessionUser)>, ()> {
    match super::session::signed_in(state, request).await {
        Ok(found) => Ok(Some(found)),
        Err(super::ConsoleError::SignIn) => Ok(None),
        Err(_) => Err(()),
    }
}

/// The pages' reads, for the request's person (the feature files' ports call them).
impl Console {
    pub(super) async fn load_settings_page(
        &self,
        request: &ConsoleRequest,
        shown: Option<&str>,
    ) -> Result<SettingsPage, String> {
        let state = &self.state;
        let failed = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "the settings could not be loaded");
            "the settings could not be loaded; try again in a moment".to_string()
        };
        let Some((session, user)) = person(state, request)
            .await
            .map_err(|()| failed(&"the session could not be looked up"))?
        else {
            return Ok(SettingsPage::SignedOut);
        };
        // What a form kept for this page to show once (a new key's secret, a new account's
        // password); taken, so a reload shows nothing.
        let shown = match shown {
            Some(id) => {
                identity::take_shown_once(&state.database, state.clock.as_ref(), &session, id)
                    .await
                    .map_err(|error| failed(&error))?
                    .and_then(|content| serde_json::from_str::<ShownOnce>(&content).ok())
            }
            None => None,
        };
        let (new_key, new_member) = match shown {
            Some(ShownOnce::ApiKey(key)) => (Some(key), None),
            Some(ShownOnce::Member(member)) => (None, Some(member)),
            None => (None, None),
        };
        let mut projects = Vec::new();
        for access in &user.projects {
            let keys = identity::api_keys(&state.database, &access.project_id)
                .await
                .map_err(|error| failed(&error))?;
            let members = identity::members(&state.database, &access.project_id)
                .await
                .map_err(|error| failed(&error))?;
            projects.push(ProjectSettings {
                project_id: access.project_id.clone(),
                project_name: access.project_name.clone(),
                role: access.role.as_str().to_string(),
                can_change: access.role.can_change(),
                can_manage_members: access.role == identity::Role::Owner,
                keys: keys
                    .into_iter()
                    .map(|key| KeyRow {
                        access_key: key.access_key,
                        description: key.description,
                        created_at: key.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    })
                    .collect(),
                members: members
                    .into_iter()
                    .map(|member| MemberRow {
                        is_you: member.user_id == user.user_id,
                        user_id: member.user_id,
                        email: member.email,
                        role: member.role.as_str().to_string(),
                    })
                    .collect(),
            });
        }
        // Where they may create projects: the organizations of the projects they own.
        let mut organizations: Vec<OrganizationChoice> = Vec::new();
        for access in user
            .projects
            .iter()
            .filter(|access| access.role == identity::Role::Owner)
        {
            match organizations
                .iter_mut()
                .find(|choice| choice.organization_id == access.organization_id)
            {
                Some(choice) => choice.label.push_str(&format!(", {}", access.project_name)),
                None => organizations.push(OrganizationChoice {
                    organization_id: access.organization_id.clone(),
                    label: format!("The organization of {}", access.project_name),
                }),
            }
        }
        Ok(SettingsPage::Ready(Box::new(SettingsData {
            email: user.email,
            projects,
            organizations,
            new_key,
            new_member,
        })))
    }

    pub(super) async fn load_create_choices(
        &self,
        request: &ConsoleRequest,
    ) -> Result<CreatePage, String> {
        let state = &self.state;
        let failed = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "the create form could not be loaded");
            "the form could not be loaded; try again in a moment".to_string()
        };
        let Some((_, user)) = person(state, request)
            .await
            .map_err(|()| failed(&"the session could not be looked up"))?
        else {
            return Ok(CreatePage::SignedOut);
        };
        let now = state.clock.now();
        let versions = state
            .service
            .list_versions(self.state.service.regions()[0])
            .await
            .map_err(|e| failed(&e))?;
        let offered: Vec<&KubeVersionEntry> = versions
            .iter()
            .filter(|v| !v.is_deprecated_at(now) && !v.is_end_of_life_at(now))
            .collect();
        let mut cnis: Vec<String> = Vec::new();
        for version in &offered {
            for cni in &version.available_cnis {
                if !cnis.contains(cni) {
                    cnis.push(cni.clone());
                }
            }
        }
        let types = state
            .service
            .list_cluster_types(self.state.service.regions()[0])
            .await
            .map_err(|e| failed(&e))?;
        let prices = state.service.price_list();
        Ok(CreatePage::Ready(Box::new(CreateChoices {
            projects: user
                .projects
                .iter()
                .filter(|access| access.role.can_change())
                .map(|access| (access.project_id.clone(), access.project_name.clone()))
                .collect(),
            regions: self
                .state
                .service
                .regions()
                .iter()
                .map(|r| r.to_string())
                .collect(),
            versions: offered.iter().map(|v| v.name.clone()).collect(),
            cnis,
            cluster_types: types.iter().map(|t| t.name.clone()).collect(),
            node_types: self
                .state
                .service
                .node_types()
                .iter()
                .map(|n| n.to_string())
                .collect(),
            prices: prices.map(|p| PriceList {
                currency: p.currency,
                about: p.about,
                control_plane_per_hour: per_hour_in_micros(p.control_plane_per_hour),
                node_per_hour: per_hour_in_micros(p.node_per_hour),
            }),
        })))
    }

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

    pub(super) async fn load_dashboard(
        &self,
        request: &ConsoleRequest,
        filters: DashboardFilters,
    ) -> Result<Option<Dashboard>, String> {
        let state = &self.state;
        let failed = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "the dashboard could not be loaded");
            "the clusters could not be loaded; try again in a moment".to_string()
        };
        let Some((_, user)) = person(state, request)
            .await
            .map_err(|()| failed(&"the session could not be looked up"))?
        else {
            return Ok(None);
        };
        let now = state.clock.now();
        let catalog = state
            .service
            .list_versions(self.state.service.regions()[0])
            .await
            .map_err(|error| failed(&error))?;
        // One read of the fleet per region for all the user's projects (their clusters with
        // pools and nodes), then the summaries in memory: project by project, oldest first.
        let callers: Vec<Caller> = user
            .projects
            .iter()
            .map(|project| project.caller())
            .collect();
        let mut owned: std::collections::HashMap<
            (String, String),
            Vec<crate::backend::ClusterDigest>,
        > = Default::default();
        for digest in state
            .service
            .digest_of_projects(&callers, state.service.regions())
            .await
            .map_err(|error| failed(&error))?
        {
            owned
                .entry((
                    digest.cluster.project_id.clone(),
                    digest.cluster.region.clone(),
                ))
                .or_default()
                .push(digest);
        }
        let mut clusters = Vec::new();
        let mut all_node_ages: Vec<f64> = Vec::new();
        for project in &user.projects {
            for region in state.service.regions() {
                // Oldest first, as the fleet read returns them.
                let Some(digests) = owned.remove(&(project.project_id.clone(), region.to_string()))
                else {
                    continue;
                };
                for digest in digests {
                    let total_nodes = digest.total_nodes();
                    let crate::backend::ClusterDigest {
                        cluster,
                        pools,
                        ready_nodes,
                        node_created,
                    } = digest;
                    let ages: Vec<f64> = node_created
                        .iter()
                        .map(|created| (now - *created).num_seconds().max(0) as f64 / 86_400.0)
                        .collect();
                    all_node_ages.extend(&ages);
                    clusters.push(ClusterSummary {
                        lifecycle: lifecycle(&cluster.version, &catalog, now),
                        ready_nodes,
                        total_nodes,
                        pools,
                        node_ages: age_spread(ages),
                        id: cluster.id,
                        name: cluster.name,
                        project: project.project_name.clone(),
                        region: region.to_string(),
                        status: cluster.status.as_str().to_string(),
                        version: cluster.version,
                    });
                }
            }
        }
        // Charts and choices over everything; the table shows one page of what the filters keep.
        let mut versions_in_use: Vec<(String, usize)> = Vec::new();
        for cluster in &clusters {
            match versions_in_use
                .iter_mut()
                .find(|(v, _)| *v == cluster.version)
            {
                Some((_, count)) => *count += 1,
                None => versions_in_use.push((cluster.version.clone(), 1)),
            }
        }
        versions_in_use.sort_by(|a, b| {
            b.0.parse::<crate::domain::version::KubeVersion>()
                .ok()
                .cmp(&a.0.parse::<crate::domain::version::KubeVersion>().ok())
        });
        let mut node_ages: Vec<(String, usize)> = AGE_BUCKETS
            .iter()
            .map(|(label, _)| (label.to_string(), 0))
            .collect();
        for age in &all_node_ages {
            if let Some(index) = AGE_BUCKETS.iter().position(|(_, limit)| age < limit) {
                node_ages[index].1 += 1;
            }
        }
        let distinct = |values: Vec<String>| {
            let mut values = values;
            values.sort();
            values.dedup();
            values
        };
        let project_choices = distinct(
            user.projects
                .iter()
                .map(|p| p.project_name.clone())
                .collect(),
        );
        let status_choices = distinct(clusters.iter().map(|c| c.status.clone()).collect());
        let version_choices = versions_in_use.iter().map(|(v, _)| v.clone()).collect();
        let total = clusters.len();
        let kept: Vec<ClusterSummary> = clusters
            .into_iter()
            .filter(|c| matches(c, &filters))
            .collect();
        let matching = kept.len();
        let page = filters.page.max(1);
        let shown = kept
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect();
        Ok(Some(Dashboard {
            user: ConsoleUser {
                email: user.email,
                is_operator: user.is_operator,
                projects: user
                    .projects
                    .iter()
                    .map(|p| (p.project_name.clone(), p.role.as_str().to_string()))
                    .collect(),
            },
            clusters: shown,
            filters: DashboardFilters { page, ..filters },
            matching,
            total,
            project_choices,
            status_choices,
            version_choices,
            versions_in_use,
            node_ages,
        }))
    }

    pub(super) async fn load_service_health(&self) -> ServiceHealth {
        ServiceHealth {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database_reachable: self.state.database.is_reachable().await,
        }
    }

    pub(super) async fn load_system_page(
        &self,
        request: &ConsoleRequest,
    ) -> Result<SystemPage, String> {
        let user = person(&self.state, request)
            .await
            .map_err(|()| {
                "the system status could not be loaded; try again in a moment".to_string()
            })?
            .map(|(_, user)| user);
        Ok(match user {
            None => SystemPage::SignedOut,
            Some(user) if user.is_operator => {
                SystemPage::Found(Box::new(self.system_status().await))
            }
            Some(_) => SystemPage::NotFound,
        })
    }
}

impl Console {
    /// The service's inside: build, database, migrations, the provider's counts.
    async fn system_status(&self) -> SystemStatus {
        let database = &self.state.database;
        let reachable = database.is_reachable().await;
        let migrations = if reachable {
            database.applied_migrations().await.unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot list applied migrations");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let provider = if reachable {
            match self.state.service.provider_stats().await {
                Ok(Some(stats)) => Some(ProviderSummary {
                    clusters: stats.clusters_by_status,
                    nodes: stats.nodes_by_status,
                    pending_operations: stats.operations_pending,
                    failed_operations: stats.operations_failed,
                }),
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(%error, "cannot summarise the provider");
                    None
                }
            }
        } else {
            None
        };
        let now = self.state.clock.now();
        SystemStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database_kind: database.kind().label().to_string(),
            database_location: database.location().to_string(),
            database_reachable: reachable,
            migrations: migrations
                .into_iter()
                .map(|record| AppliedMigration {
                    version: record.version,
                    description: record.description,
                    installed_at: record.installed_at,
                })
                .collect(),
            started_at: self
                .state
                .started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            uptime_seconds: (now - self.state.started_at).num_seconds().max(0) as u64,
            provider,
        }
    }
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
