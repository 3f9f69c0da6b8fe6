//! The clusters list (its live stream is in `live.rs`).

use app::api::clusters::ssr::ClustersConsole;
use app::model::clusters::{
    matches, AgeSpread, ClusterSummary, Dashboard, DashboardFilters, AGE_BUCKETS, PAGE_SIZE,
};
use app::model::identity::ConsoleUser;

use super::port::{lifecycle, person};
use super::request::ConsoleRequest;
use super::{Console, ConsoleCaller, ConsoleError};
use crate::domain::model::Caller;

#[async_trait::async_trait]
impl ClustersConsole for Console {
    async fn dashboard(
        &self,
        caller: &ConsoleCaller,
        filters: DashboardFilters,
    ) -> Result<Option<Dashboard>, ConsoleError> {
        self.load_dashboard(&ConsoleRequest::of(caller), filters)
            .await
            .map_err(ConsoleError::Failed)
    }
}

/// The page's read, for the request's person.
impl Console {
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
        let project_ids: Vec<String> = user.projects.iter().map(|p| p.project_id.clone()).collect();
        let firing = state
            .alerts()
            .firing_counts(&project_ids)
            .await
            .map_err(|error| failed(&error))?;
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
                        firing_alerts: firing.get(&cluster.id).copied().unwrap_or(0),
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
