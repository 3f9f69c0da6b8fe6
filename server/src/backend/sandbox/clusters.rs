//! Cluster rules: creation with its pools, updates, upgrades, type changes, deletion, access
//! (kubeconfig, admin token, ACL rules).

use crate::backend::sandbox::reconciler::kinds::OperationKind;
use serde_json::{json, Value};

use super::catalog::{self, ClusterType};
use super::pools::{check_size_fields, validate_new_pool};
use super::{refuse_if_deleting, require_settled_cluster, Provisioning};
use crate::backend::sandbox::store::{clusters, pools, versions};
use crate::domain::error::Validation;
use crate::domain::input::{self, AutoscalerConfigInput, OidcConfigInput, MAX_TEXT};
use crate::domain::model::{
    AclRule, Caller, Cluster, ClusterStatus, KubeVersionEntry, Pool, PoolStatus,
};
use crate::domain::requests::{
    AclRuleInput, ClusterChanges, MaintenanceWindowInput, NewCluster, NewPool, SETTINGS_CLASH,
};
use crate::domain::version::{KubeVersion, UpgradeRefusal};
use crate::domain::DomainError;

pub const WEEK_DAYS: &[&str] = &[
    "any",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Kubelets may lag the API server by up to three minors (Kubernetes version skew policy).
pub const MAX_KUBELET_SKEW_MINORS: u32 = 3;

/// Most ACL rules one cluster's API server takes.
pub const MAX_ACL_RULES: usize = 100;

pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_subset(
    validation: &mut Validation,
    argument: &str,
    given: &[String],
    allowed: &[String],
    version: &str,
) {
    for item in given {
        validation.check(
            allowed.contains(item),
            argument,
            "constraint",
            format!(
                "`{item}` is not available on Kubernetes {version}; available: {}",
                allowed.join(", ")
            ),
        );
    }
}

/// The checks a cluster's free-form settings get on creation and on update alike.
fn check_settings(
    validation: &mut Validation,
    description: Option<&str>,
    tags: Option<&[String]>,
    autoscaler_config: Option<&AutoscalerConfigInput>,
    oidc_config: Option<&OidcConfigInput>,
    apiserver_cert_sans: Option<&[String]>,
) {
    if let Some(description) = description {
        input::check_text(validation, "description", description, MAX_TEXT);
    }
    if let Some(tags) = tags {
        input::check_tags(validation, "tags", tags);
    }
    if let Some(config) = autoscaler_config {
        input::check_autoscaler_config(validation, config);
    }
    if let Some(config) = oidc_config {
        input::check_oidc_config(validation, config);
    }
    if let Some(sans) = apiserver_cert_sans {
        validation.check(
            sans.len() <= 20,
            "apiserver_cert_sans",
            "constraint",
            "at most 20 names",
        );
        for (index, san) in sans.iter().enumerate() {
            validation.check(
                input::is_dns_name_or_ip(san),
                &format!("apiserver_cert_sans[{index}]"),
                "constraint",
                format!(
                    "`{}` is not a DNS name or an IP address",
                    input::shorten(san)
                ),
            );
        }
    }
}

/// The stored form of a typed settings object: known fields only, merged over `base`.
fn merged(mut base: Value, changes: &impl serde::Serialize) -> Value {
    if let Ok(changes) = serde_json::to_value(changes) {
        merge_json(&mut base, changes);
    }
    base
}

fn check_window(validation: &mut Validation, window: &MaintenanceWindowInput) {
    if let Some(hour) = window.start_hour {
        validation.check(
            (0..=23).contains(&hour),
            "auto_upgrade.maintenance_window.start_hour",
            "constraint",
            format!("{hour} is not an hour of the day: use 0 to 23 (UTC)"),
        );
    }
    if let Some(day) = &window.day {
        validation.check(
            WEEK_DAYS.contains(&day.as_str()),
            "auto_upgrade.maintenance_window.day",
            "constraint",
            format!("`{day}` is not a day: use any or monday … sunday"),
        );
    }
}

impl Provisioning {
    pub async fn version_entry(&self, name: &str) -> Result<Option<KubeVersionEntry>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(versions::get(&mut conn, name).await?)
    }

    /// Versions offered in a region, newest first.
    pub async fn list_versions(&self) -> Result<Vec<KubeVersionEntry>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        let mut all = versions::all(&mut conn).await?;
        sort_newest_first(&mut all);
        Ok(all)
    }

    pub async fn get_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
    ) -> Result<Cluster, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        self.owned_cluster(&mut conn, caller, region, id).await
    }

    /// Every cluster of the filter (its project and region), in no particular order: callers
    /// sort and page with [`crate::domain::listing`].
    pub async fn list_clusters(
        &self,
        filter: &clusters::ClusterFilter,
    ) -> Result<Vec<Cluster>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(clusters::list(&mut conn, filter).await?)
    }

    /// Every cluster of these projects in the region with its pools and nodes, as summaries
    /// (see `ClusterSnapshot`). A few projects (a user's dashboard) are read project by
    /// project, three queries each; many (the maintenance pass) in three queries over the
    /// whole region.
    pub async fn snapshot(
        &self,
        region: &str,
        callers: &[Caller],
    ) -> Result<Vec<crate::backend::ClusterSnapshot>, DomainError> {
        const PROJECT_BY_PROJECT: usize = 20;
        let projects: std::collections::HashSet<&str> =
            callers.iter().map(|c| c.project_id.as_str()).collect();
        let (mut all_clusters, mut all_pools, mut all_nodes) = (Vec::new(), Vec::new(), Vec::new());
        if projects.len() <= PROJECT_BY_PROJECT {
            for project in &projects {
                let (clusters, pools, nodes) = self.fleet_read(Some(project), region).await?;
                all_clusters.extend(clusters);
                all_pools.extend(pools);
                all_nodes.extend(nodes);
            }
        } else {
            let (clusters, pools, nodes) = self.fleet_read(None, region).await?;
            all_clusters = clusters
                .into_iter()
                .filter(|cluster| projects.contains(cluster.project_id.as_str()))
                .collect();
            (all_pools, all_nodes) = (pools, nodes);
        }
        let mut pools_of: std::collections::HashMap<String, Vec<_>> = Default::default();
        for pool in all_pools {
            pools_of
                .entry(pool.cluster_id.clone())
                .or_default()
                .push(pool);
        }
        let mut nodes_of: std::collections::HashMap<String, Vec<_>> = Default::default();
        for node in all_nodes {
            nodes_of
                .entry(node.cluster_id.clone())
                .or_default()
                .push(node);
        }
        // Each cluster's pools and nodes oldest first, as reading one cluster returns them
        // (sorted here, per cluster, rather than by the database over the whole region).
        for pools in pools_of.values_mut() {
            pools.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        }
        for nodes in nodes_of.values_mut() {
            nodes.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        }
        Ok(all_clusters
            .into_iter()
            .map(|cluster| crate::backend::ClusterSnapshot {
                pools: pools_of.remove(&cluster.id).unwrap_or_default(),
                nodes: nodes_of.remove(&cluster.id).unwrap_or_default(),
                cluster,
            })
            .collect())
    }

    /// Every cluster of these projects in the region as a digest: what `snapshot` returns,
    /// with pools and nodes counted by the database instead of read one by one.
    pub async fn digest(
        &self,
        region: &str,
        callers: &[Caller],
    ) -> Result<Vec<crate::backend::ClusterDigest>, DomainError> {
        use crate::backend::sandbox::store::nodes;
        const PROJECT_BY_PROJECT: usize = 20;
        let projects: std::collections::HashSet<&str> =
            callers.iter().map(|c| c.project_id.as_str()).collect();
        let scopes: Vec<Option<&str>> = if projects.len() <= PROJECT_BY_PROJECT {
            projects.iter().map(|project| Some(*project)).collect()
        } else {
            vec![None]
        };
        let (pool, kind) = (self.database.pool(), self.database.kind());
        let mut digests = Vec::new();
        for project in scopes {
            let (clusters, mut pool_counts, mut tallies) = tokio::try_join!(
                self.cluster_summaries(project, region),
                async {
                    let mut conn = pool.acquire().await?;
                    pools::counts(&mut conn, project, region).await
                },
                async {
                    let mut conn = pool.acquire().await?;
                    nodes::tallies(&mut conn, kind, project, region).await
                },
            )?;
            for cluster in clusters {
                if !projects.contains(cluster.project_id.as_str()) {
                    continue;
                }
                let tally = tallies.remove(&cluster.id).unwrap_or_default();
                digests.push(crate::backend::ClusterDigest {
                    pools: pool_counts.remove(&cluster.id).unwrap_or(0),
                    ready_nodes: tally.ready,
                    node_created: tally.created,
                    cluster,
                });
            }
        }
        Ok(digests)
    }

    /// The clusters of a project in a region (or of the whole region), as summaries, on a
    /// connection of their own (so that the reads beside it overlap).
    async fn cluster_summaries(
        &self,
        project: Option<&str>,
        region: &str,
    ) -> Result<Vec<Cluster>, sqlx::Error> {
        let mut conn = self.database.pool().acquire().await?;
        match project {
            Some(project) => clusters::summaries_of_project(&mut conn, project, region).await,
            None => clusters::summaries_in_region(&mut conn, region).await,
        }
    }

    /// The clusters, pools and nodes of a project in a region (or of the whole region), as
    /// summaries: three reads, each on a connection of its own so that they overlap.
    async fn fleet_read(
        &self,
        project: Option<&str>,
        region: &str,
    ) -> Result<(Vec<Cluster>, Vec<Pool>, Vec<crate::domain::model::Node>), sqlx::Error> {
        use crate::backend::sandbox::store::nodes;
        let pool = self.database.pool();
        tokio::try_join!(
            self.cluster_summaries(project, region),
            async {
                let mut conn = pool.acquire().await?;
                match project {
                    Some(project) => pools::summaries_of_project(&mut conn, project, region).await,
                    None => pools::summaries_in_region(&mut conn, region).await,
                }
            },
            async {
                let mut conn = pool.acquire().await?;
                match project {
                    Some(project) => nodes::summaries_of_project(&mut conn, project, region).await,
                    None => nodes::summaries_in_region(&mut conn, region).await,
                }
            },
        )
    }

    pub async fn create_cluster(
        &self,
        caller: &Caller,
        region: &str,
        input: NewCluster,
    ) -> Result<Cluster, DomainError> {
        let mut validation = Validation::default();
        let zones = catalog::zones_of(region);
        validation.check(
            zones.is_some(),
            "region",
            "constraint",
            format!("unknown region `{region}`: use fr-par, nl-ams or pl-waw"),
        );
        if let Some(project) = &input.project_id {
            if project != &caller.project_id {
                return Err(DomainError::PermissionDenied(format!(
                    "this API key belongs to project {}, not to project {project}",
                    caller.project_id
                )));
            }
        }
        if let Some(organization) = &input.organization_id {
            if organization != &caller.organization_id {
                return Err(DomainError::PermissionDenied(format!(
                    "this API key belongs to organization {}, not to organization {organization}",
                    caller.organization_id
                )));
            }
        }
        let name = input.name.clone().unwrap_or_default();
        validation.check(
            valid_name(&name),
            "name",
            if name.is_empty() {
                "required"
            } else {
                "constraint"
            },
            "a cluster name is 1 to 100 letters, digits, '-', '_' or '.'",
        );
        let description = input.description.clone().unwrap_or_default();
        check_settings(
            &mut validation,
            Some(&description),
            input.tags.as_deref(),
            input.autoscaler_config.as_ref(),
            input.open_id_connect_config.as_ref(),
            input.apiserver_cert_sans.as_deref(),
        );
        if let Some(network) = &input.private_network_id {
            validation.check(
                input::is_uuid(network),
                "private_network_id",
                "constraint",
                "a private network ID is a UUID",
            );
        }
        for (argument, value) in [
            ("pod_cidr", &input.pod_cidr),
            ("service_cidr", &input.service_cidr),
        ] {
            if let Some(value) = value {
                validation.check(
                    value.contains('/') && valid_cidr(value),
                    argument,
                    "constraint",
                    format!(
                        "`{}` is not an IP range such as 10.32.0.0/20",
                        input::shorten(value)
                    ),
                );
            }
        }
        if let Some(ip) = &input.service_dns_ip {
            validation.check(
                ip.parse::<std::net::IpAddr>().is_ok(),
                "service_dns_ip",
                "constraint",
                format!("`{}` is not an IP address", input::shorten(ip)),
            );
        }
        let type_name = input
            .cluster_type
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "kapsule".into());
        let cluster_type = catalog::cluster_type(&type_name);
        validation.check(
            cluster_type.is_some(),
            "type",
            "constraint",
            format!("unknown cluster type `{type_name}`: see the cluster-types endpoint"),
        );

        let version_name = input.version.clone().unwrap_or_default();
        let now = self.now();
        let version = if version_name.is_empty() {
            validation.check(
                false,
                "version",
                "required",
                "the Kubernetes version to run, e.g. 1.35.1",
            );
            None
        } else {
            match self.version_entry(&version_name).await? {
                Some(entry) if entry.is_end_of_life_at(now) || entry.is_deprecated_at(now) => {
                    validation.check(false, "version", "constraint", format!(
                        "Kubernetes {version_name} is deprecated: new clusters must use a supported version"));
                    None
                }
                Some(entry) => Some(entry),
                None => {
                    validation.check(
                        false,
                        "version",
                        "constraint",
                        format!(
                            "Kubernetes {version_name} is not offered: see the versions endpoint"
                        ),
                    );
                    None
                }
            }
        };
        let cni = input.cni.clone().unwrap_or_else(|| "cilium".into());
        if let Some(version) = &version {
            validation.check(
                version.available_cnis.contains(&cni),
                "cni",
                "constraint",
                format!(
                    "CNI `{cni}` is not available on Kubernetes {}; available: {}",
                    version.name,
                    version.available_cnis.join(", ")
                ),
            );
            check_subset(
                &mut validation,
                "feature_gates",
                input.feature_gates.as_deref().unwrap_or_default(),
                &version.feature_gates,
                &version.name,
            );
            check_subset(
                &mut validation,
                "admission_plugins",
                input.admission_plugins.as_deref().unwrap_or_default(),
                &version.admission_plugins,
                &version.name,
            );
        }
        let auto_upgrade = input.auto_upgrade.clone().unwrap_or_default();
        let window = auto_upgrade.maintenance_window.clone().unwrap_or_default();
        check_window(&mut validation, &window);

        for (index, pool) in input.pools.iter().flatten().enumerate() {
            check_size_fields(
                &mut validation,
                &format!("pools[{index}]."),
                pool.size_fields(),
                cluster_type,
            );
        }
        let new_pools: Vec<NewPool> = input
            .pools
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(NewPool::normalised)
            .collect();
        validation.check(
            new_pools.len() <= 20,
            "pools",
            "constraint",
            "at most 20 pools at creation",
        );
        let mut pool_names = std::collections::HashSet::new();
        for (index, pool) in new_pools.iter().enumerate() {
            let pool_name = pool.name.clone().unwrap_or_default();
            validation.check(
                pool_names.insert(pool_name.clone()),
                &format!("pools[{index}].name"),
                "constraint",
                format!("two pools are named `{pool_name}`"),
            );
            validate_new_pool(
                &mut validation,
                &format!("pools[{index}]."),
                pool,
                version.as_ref(),
                cluster_type,
                zones.unwrap_or(&[]),
            );
        }
        validation.finish()?;
        // Validation guarantees these are present.
        let (Some(version), Some(cluster_type), Some(zones)) = (version, cluster_type, zones)
        else {
            return Err(DomainError::invalid(
                "version",
                "constraint",
                "invalid cluster",
            ));
        };

        let id = self.ids.uuid();
        let cluster = Cluster {
            id: id.clone(),
            project_id: caller.project_id.clone(),
            organization_id: caller.organization_id.clone(),
            region: region.to_string(),
            name,
            description,
            cluster_type: cluster_type.name.to_string(),
            version: version.name.clone(),
            target_version: None,
            cni,
            status: ClusterStatus::Creating,
            tags: input.tags.unwrap_or_default(),
            feature_gates: input.feature_gates.unwrap_or_default(),
            admission_plugins: input.admission_plugins.unwrap_or_default(),
            apiserver_cert_sans: input.apiserver_cert_sans.unwrap_or_default(),
            autoscaler_config: merged(
                default_autoscaler_config(),
                &input.autoscaler_config.unwrap_or_default(),
            ),
            open_id_connect_config: merged(
                json!({}),
                &input.open_id_connect_config.unwrap_or_default(),
            ),
            auto_upgrade_enabled: auto_upgrade.enable.unwrap_or(false),
            maintenance_day: window.day.unwrap_or_else(|| "any".into()),
            maintenance_start_hour: window.start_hour.unwrap_or(0),
            pod_cidr: input.pod_cidr.unwrap_or_else(|| "100.64.0.0/15".into()),
            service_cidr: input.service_cidr.unwrap_or_else(|| "10.32.0.0/20".into()),
            service_dns_ip: input.service_dns_ip.unwrap_or_else(|| "10.32.0.10".into()),
            private_network_id: input.private_network_id,
            admin_token: self.ids.token(32),
            created_at: now,
            updated_at: now,
            cluster_url: String::new(),
            upgrade_available: false,
            commitment_ends_at: None,
        };
        let mut transaction = self.database.begin().await?;
        clusters::insert(&mut transaction, &cluster).await?;
        self.enqueue(
            &mut transaction,
            OperationKind::CreateCluster,
            &id,
            &id,
            json!({}),
        )
        .await?;
        for new_pool in &new_pools {
            let pool = self.pool_from_input(&cluster, new_pool, cluster_type, zones);
            pools::insert(&mut transaction, &pool).await?;
            self.enqueue(
                &mut transaction,
                OperationKind::ScalePool,
                &id,
                &pool.id,
                json!({}),
            )
            .await?;
        }
        self.record_event(
            &mut transaction,
            &id,
            "cluster",
            &id,
            "ClusterCreating",
            format!(
                "cluster {} is being created on Kubernetes {}",
                cluster.name, cluster.version
            ),
        )
        .await?;
        caller.commit_change(transaction, &cluster).await?;
        Ok(cluster)
    }

    pub async fn update_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
        changes: ClusterChanges,
    ) -> Result<Cluster, DomainError> {
        let (mut transaction, mut cluster) = self.begin_on_cluster(caller, region, id).await?;
        refuse_if_deleting(&cluster)?;
        // Compare-and-set under the cluster's lock: a field someone else changed meanwhile
        // is not overwritten unseen.
        if let Some(seen) = &changes.seen {
            let current = (
                cluster.name.as_str(),
                cluster.description.as_str(),
                cluster.tags.as_slice(),
            );
            if let Some(field) = seen.clash(&changes, current) {
                return Err(DomainError::invalid(field, "constraint", SETTINGS_CLASH));
            }
        }
        let mut validation = Validation::default();
        if let Some(name) = &changes.name {
            validation.check(
                valid_name(name),
                "name",
                "constraint",
                "a cluster name is 1 to 100 letters, digits, '-', '_' or '.'",
            );
        }
        check_settings(
            &mut validation,
            changes.description.as_deref(),
            changes.tags.as_deref(),
            changes.autoscaler_config.as_ref(),
            changes.open_id_connect_config.as_ref(),
            changes.apiserver_cert_sans.as_deref(),
        );
        let version = versions::get(&mut transaction, &cluster.version).await?;
        if let Some(version) = &version {
            check_subset(
                &mut validation,
                "feature_gates",
                changes.feature_gates.as_deref().unwrap_or_default(),
                &version.feature_gates,
                &version.name,
            );
            check_subset(
                &mut validation,
                "admission_plugins",
                changes.admission_plugins.as_deref().unwrap_or_default(),
                &version.admission_plugins,
                &version.name,
            );
        }
        let auto_upgrade = changes.auto_upgrade.clone().unwrap_or_default();
        if let Some(window) = &auto_upgrade.maintenance_window {
            check_window(&mut validation, window);
        }
        validation.finish()?;

        if let Some(name) = changes.name {
            cluster.name = name;
        }
        if let Some(description) = changes.description {
            cluster.description = description;
        }
        if let Some(tags) = changes.tags {
            cluster.tags = tags;
        }
        if let Some(config) = changes.autoscaler_config {
            cluster.autoscaler_config = merged(cluster.autoscaler_config, &config);
        }
        if let Some(config) = changes.open_id_connect_config {
            cluster.open_id_connect_config = merged(cluster.open_id_connect_config, &config);
        }
        if let Some(gates) = changes.feature_gates {
            cluster.feature_gates = gates;
        }
        if let Some(plugins) = changes.admission_plugins {
            cluster.admission_plugins = plugins;
        }
        if let Some(sans) = changes.apiserver_cert_sans {
            cluster.apiserver_cert_sans = sans;
        }
        if let Some(enable) = auto_upgrade.enable {
            cluster.auto_upgrade_enabled = enable;
        }
        if let Some(window) = auto_upgrade.maintenance_window {
            if let Some(hour) = window.start_hour {
                cluster.maintenance_start_hour = hour;
            }
            if let Some(day) = window.day {
                cluster.maintenance_day = day;
            }
        }
        cluster.updated_at = self.now();
        clusters::update_settings(&mut transaction, &cluster).await?;
        caller.commit_change(transaction, &cluster).await?;
        Ok(cluster)
    }

    /// Starts deleting the cluster, its pools and nodes.
    pub async fn delete_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
        with_additional_resources: bool,
    ) -> Result<Cluster, DomainError> {
        let (mut transaction, mut cluster) = self.begin_on_cluster(caller, region, id).await?;
        refuse_if_deleting(&cluster)?;
        cluster.status = cluster.status.to(ClusterStatus::Deleting)?;
        cluster.updated_at = self.now();
        clusters::update(&mut transaction, &cluster).await?;
        for pool in pools::of_cluster(&mut transaction, id).await? {
            pools::set_status(
                &mut transaction,
                &pool.id,
                PoolStatus::Deleting,
                cluster.updated_at,
            )
            .await?;
        }
        self.enqueue(
            &mut transaction,
            OperationKind::DeleteCluster,
            id,
            id,
            json!({ "with_additional_resources": with_additional_resources }),
        )
        .await?;
        self.record_event(
            &mut transaction,
            id,
            "cluster",
            id,
            "ClusterDeleting",
            format!("cluster {} is being deleted", cluster.name),
        )
        .await?;
        caller.commit_change(transaction, &cluster).await?;
        Ok(cluster)
    }

    /// Versions this cluster may upgrade to: newer patches of its minor and the next minor's,
    /// except end-of-life ones; oldest first.
    pub async fn available_versions(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
    ) -> Result<Vec<KubeVersionEntry>, DomainError> {
        let cluster = self.get_cluster(caller, region, id).await?;
        let current: KubeVersion = parse_version("version", &cluster.version)?;
        let now = self.now();
        let mut candidates: Vec<KubeVersionEntry> = self
            .list_versions()
            .await?
            .into_iter()
            .filter(|entry| !entry.is_end_of_life_at(now))
            .filter(|entry| {
                entry
                    .name
                    .parse::<KubeVersion>()
                    .is_ok_and(|v| current.can_upgrade_to(&v).is_ok())
            })
            .collect();
        candidates.reverse();
        Ok(candidates)
    }

    pub async fn upgrade_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
        version: Option<String>,
        upgrade_pools: bool,
    ) -> Result<Cluster, DomainError> {
        let target_name = version.unwrap_or_default();
        if target_name.is_empty() {
            return Err(DomainError::invalid(
                "version",
                "required",
                "the version to upgrade to, e.g. 1.35.1",
            ));
        }
        let target = parse_version("version", &target_name)?;
        let (mut transaction, mut cluster) = self.begin_on_cluster(caller, region, id).await?;
        require_settled_cluster(&cluster)?;
        let current = parse_version("version", &cluster.version)?;
        if let Err(refusal) = current.can_upgrade_to(&target) {
            let help = match refusal {
                UpgradeRefusal::SameVersion => format!("the cluster already runs {current}"),
                UpgradeRefusal::Downgrade => format!("version {target} is older than the cluster's {current}: downgrades are not possible"),
                UpgradeRefusal::SkipsMinor => format!("version {target} skips a minor: upgrade {current} to {}.{}.x first", current.major, current.minor + 1),
            };
            return Err(DomainError::invalid("version", "constraint", help));
        }
        let entry = versions::get(&mut transaction, &target_name).await?;
        match entry {
            None => {
                return Err(DomainError::invalid(
                    "version",
                    "constraint",
                    format!(
                    "Kubernetes {target_name} is not offered: see the available-versions endpoint"
                ),
                ))
            }
            Some(entry) if entry.is_end_of_life_at(self.now()) => {
                return Err(DomainError::invalid(
                    "version",
                    "constraint",
                    format!("Kubernetes {target_name} has reached its end of life"),
                ))
            }
            Some(_) => {}
        }
        let cluster_pools = pools::of_cluster(&mut transaction, id).await?;
        if let Some(busy) = cluster_pools.iter().find(|pool| pool.status.is_transient()) {
            return Err(DomainError::TransientState {
                resource: "k8s_pool",
                resource_id: busy.id.clone(),
                current_state: busy.status.as_str().into(),
            });
        }
        if !upgrade_pools {
            for pool in &cluster_pools {
                let pool_version = parse_version("version", &pool.version)?;
                if pool_version.major != target.major
                    || target.minor > pool_version.minor + MAX_KUBELET_SKEW_MINORS
                {
                    return Err(DomainError::precondition("pool_version_skew", format!(
                        "pool {} runs {pool_version}, more than {MAX_KUBELET_SKEW_MINORS} minors behind {target}: upgrade it with the cluster (upgrade_pools) or first",
                        pool.name)));
                }
            }
        }
        // etcd as it was before the upgrade, for a restore to pick.
        self.take_snapshot(&mut transaction, &cluster, super::restore::PRE_UPGRADE)
            .await?;
        cluster.status = cluster.status.to(ClusterStatus::Updating)?;
        cluster.target_version = Some(target_name.clone());
        cluster.updated_at = self.now();
        clusters::update(&mut transaction, &cluster).await?;
        self.enqueue(
            &mut transaction,
            OperationKind::UpgradeCluster,
            id,
            id,
            json!({ "version": target_name, "upgrade_pools": upgrade_pools }),
        )
        .await?;
        self.record_event(
            &mut transaction,
            id,
            "cluster",
            id,
            "UpgradeStarted",
            format!("control plane upgrade from {current} to {target} started"),
        )
        .await?;
        caller.commit_change(transaction, &cluster).await?;
        Ok(cluster)
    }

    pub async fn available_types(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
    ) -> Result<Vec<&'static ClusterType>, DomainError> {
        let cluster = self.get_cluster(caller, region, id).await?;
        Ok(catalog::available_types_from(&cluster.cluster_type))
    }

    pub async fn set_cluster_type(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
        type_name: Option<String>,
    ) -> Result<Cluster, DomainError> {
        let type_name = type_name.unwrap_or_default();
        let (mut transaction, mut cluster) = self.begin_on_cluster(caller, region, id).await?;
        require_settled_cluster(&cluster)?;
        let allowed = catalog::available_types_from(&cluster.cluster_type);
        let Some(new_type) = allowed.iter().find(|candidate| candidate.name == type_name) else {
            let names: Vec<_> = allowed.iter().map(|t| t.name).collect();
            return Err(DomainError::invalid(
                "type",
                if type_name.is_empty() {
                    "required"
                } else {
                    "constraint"
                },
                format!(
                    "a {} cluster can switch to: {}",
                    cluster.cluster_type,
                    if names.is_empty() {
                        "no other type".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        };
        let node_count = crate::backend::sandbox::store::nodes::of_cluster(&mut transaction, id)
            .await?
            .len() as i64;
        if node_count > new_type.max_nodes {
            return Err(DomainError::precondition(
                "too_many_nodes",
                format!(
                    "{} supports {} nodes and the cluster has {node_count}",
                    new_type.name, new_type.max_nodes
                ),
            ));
        }
        let previous = std::mem::replace(&mut cluster.cluster_type, new_type.name.to_string());
        cluster.updated_at = self.now();
        clusters::update(&mut transaction, &cluster).await?;
        self.record_event(
            &mut transaction,
            id,
            "cluster",
            id,
            "TypeChanged",
            format!(
                "control plane offer changed from {previous} to {}",
                new_type.name
            ),
        )
        .await?;
        caller.commit_change(transaction, &cluster).await?;
        Ok(cluster)
    }

    /// A new admin token: the previous one stops working at once.
    pub async fn reset_admin_token(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
    ) -> Result<(), DomainError> {
        let (mut transaction, mut cluster) = self.begin_on_cluster(caller, region, id).await?;
        cluster.admin_token = self.ids.token(32);
        cluster.updated_at = self.now();
        clusters::update(&mut transaction, &cluster).await?;
        self.record_event(
            &mut transaction,
            id,
            "cluster",
            id,
            "AdminTokenReset",
            "the admin token was reset".into(),
        )
        .await?;
        caller.commit_change(transaction, &()).await?;
        Ok(())
    }

    /// A kubeconfig (YAML) with the cluster's endpoint and admin token.
    pub async fn kubeconfig(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
        redacted: bool,
    ) -> Result<(Cluster, String), DomainError> {
        let cluster = self.get_cluster(caller, region, id).await?;
        if cluster.status == ClusterStatus::Creating {
            return Err(DomainError::TransientState {
                resource: "k8s_cluster",
                resource_id: cluster.id.clone(),
                current_state: cluster.status.as_str().into(),
            });
        }
        let token = if redacted {
            "REDACTED".to_string()
        } else {
            cluster.admin_token.clone()
        };
        let context = format!("admin@{}", cluster.name);
        let authority = if self.api_server_ca_pem.is_empty() {
            String::new()
        } else {
            format!(
                "\n    certificate-authority-data: {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    self.api_server_ca_pem.as_bytes()
                )
            )
        };
        let yaml = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: \"{name}\"\n  cluster:\n    server: \"{url}\"{authority}\ncontexts:\n- name: \"{context}\"\n  context:\n    cluster: \"{name}\"\n    user: \"{name}-admin\"\ncurrent-context: \"{context}\"\nusers:\n- name: \"{name}-admin\"\n  user:\n    token: \"{token}\"\n",
            name = cluster.name,
            url = self.cluster_url(&cluster),
        );
        Ok((cluster, yaml))
    }

    pub async fn acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
    ) -> Result<Vec<AclRule>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        self.owned_cluster(&mut conn, caller, region, id).await?;
        Ok(clusters::acl_rules(&mut conn, id).await?)
    }

    /// Adds rules (`replace = false`) or replaces the whole list; returns the rules written.
    pub async fn write_acl_rules(
        &self,
        caller: &Caller,
        region: &str,
        id: &str,
        inputs: Vec<AclRuleInput>,
        replace: bool,
    ) -> Result<Vec<AclRule>, DomainError> {
        let mut validation = Validation::default();
        validation.check(
            inputs.len() <= MAX_ACL_RULES,
            "acls",
            "constraint",
            format!("a cluster has at most {MAX_ACL_RULES} ACL rules"),
        );
        let mut new_rules = Vec::new();
        for (index, input) in inputs.iter().enumerate() {
            if let Some(description) = &input.description {
                input::check_text(
                    &mut validation,
                    &format!("acls[{index}].description"),
                    description,
                    MAX_TEXT,
                );
            }
            let scaleway_ranges = input.scaleway_ranges.unwrap_or(false);
            let ip = input.ip.clone().filter(|ip| !ip.is_empty());
            validation.check(
                ip.is_some() != scaleway_ranges,
                &format!("acls[{index}]"),
                "constraint",
                "give either an ip (CIDR) or scaleway_ranges: true",
            );
            if let Some(ip) = &ip {
                validation.check(
                    valid_cidr(ip),
                    &format!("acls[{index}].ip"),
                    "constraint",
                    format!("`{ip}` is not an IP range such as 203.0.113.0/24"),
                );
            }
            new_rules.push(AclRule {
                id: self.ids.uuid(),
                ip,
                scaleway_ranges,
                description: input.description.clone().unwrap_or_default(),
            });
        }
        validation.finish()?;
        let (mut transaction, cluster) = self.begin_on_cluster(caller, region, id).await?;
        refuse_if_deleting(&cluster)?;
        let mut all = if replace {
            Vec::new()
        } else {
            clusters::acl_rules(&mut transaction, id).await?
        };
        all.extend(new_rules.iter().cloned());
        if all.len() > MAX_ACL_RULES {
            return Err(DomainError::invalid(
                "acls",
                "constraint",
                format!(
                    "a cluster has at most {MAX_ACL_RULES} ACL rules; it has {} already",
                    all.len() - new_rules.len()
                ),
            ));
        }
        clusters::replace_acl_rules(&mut transaction, id, &all).await?;
        let written = if replace { all } else { new_rules };
        caller.commit_change(transaction, &written).await?;
        Ok(written)
    }

    pub async fn delete_acl_rule(
        &self,
        caller: &Caller,
        region: &str,
        rule_id: &str,
    ) -> Result<(), DomainError> {
        let cluster_id = {
            let mut conn = self.database.pool().acquire().await?;
            clusters::cluster_of_acl_rule(&mut conn, rule_id)
                .await?
                .ok_or_else(|| DomainError::not_found("k8s_acl", rule_id))?
        };
        let (mut transaction, _) = self
            .begin_on_cluster(caller, region, &cluster_id)
            .await
            .map_err(|_| DomainError::not_found("k8s_acl", rule_id))?;
        clusters::delete_acl_rule(&mut transaction, rule_id).await?;
        caller.commit_change(transaction, &()).await?;
        Ok(())
    }

    pub(crate) fn pool_from_input(
        &self,
        cluster: &Cluster,
        input: &NewPool,
        cluster_type: &ClusterType,
        zones: &[&str],
    ) -> Pool {
        let now = self.now();
        let size = input.size.unwrap_or(1);
        let autoscaling = input.autoscaling.unwrap_or(false);
        let policy = input.upgrade_policy.clone().unwrap_or_default();
        Pool {
            id: self.ids.uuid(),
            cluster_id: cluster.id.clone(),
            region: cluster.region.clone(),
            zone: input.zone.clone().unwrap_or_else(|| zones[0].to_string()),
            name: input.name.clone().unwrap_or_default(),
            node_type: match input.node_type.as_deref() {
                Some(super::external_nodes::EXTERNAL_NODE_TYPE) => {
                    super::external_nodes::EXTERNAL_NODE_TYPE.to_string()
                }
                other => other
                    .and_then(catalog::canonical_node_type)
                    .unwrap_or("pro2_xs")
                    .to_string(),
            },
            status: if size > 0 {
                PoolStatus::Scaling
            } else {
                PoolStatus::Ready
            },
            version: cluster.version.clone(),
            size,
            min_size: input.min_size.unwrap_or(if autoscaling { 0 } else { size }),
            max_size: input.max_size.unwrap_or(if autoscaling {
                cluster_type.max_nodes.min(size.max(1) * 4)
            } else {
                size
            }),
            autoscaling,
            autohealing: input.autohealing.unwrap_or(false),
            container_runtime: input
                .container_runtime
                .clone()
                .unwrap_or_else(|| "containerd".into()),
            kubelet_args: input.kubelet_args.clone().unwrap_or_default(),
            tags: input.tags.clone().unwrap_or_default(),
            root_volume_type: input
                .root_volume_type
                .clone()
                .filter(|t| t != "default_volume_type")
                .unwrap_or_else(|| "sbs_5k".into()),
            root_volume_size: input.root_volume_size.unwrap_or(20_000_000_000),
            public_ip_disabled: input.public_ip_disabled.unwrap_or(false),
            placement_group_id: input.placement_group_id.clone(),
            security_group_id: input
                .security_group_id
                .clone()
                .unwrap_or_else(|| self.ids.uuid()),
            max_surge: policy.max_surge.unwrap_or(0),
            max_unavailable: policy.max_unavailable.unwrap_or(1),
            labels: input.labels.clone().unwrap_or_default(),
            // Validation has accepted these; the conversion only fills in default effects.
            taints: super::pools::check_taints(
                &mut Validation::default(),
                "taints",
                input.taints.as_deref().unwrap_or_default(),
            ),
            startup_taints: super::pools::check_taints(
                &mut Validation::default(),
                "startup_taints",
                input.startup_taints.as_deref().unwrap_or_default(),
            ),
            user_data: input.user_data.clone().unwrap_or_default(),
            created_at: now,
            updated_at: now,
        }
    }
}

pub fn parse_version(argument: &str, text: &str) -> Result<KubeVersion, DomainError> {
    text.parse::<KubeVersion>()
        .map_err(|error| DomainError::invalid(argument, "constraint", error.to_string()))
}

pub fn sort_newest_first(entries: &mut [KubeVersionEntry]) {
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.name.parse::<KubeVersion>().ok()));
}

fn merge_json(target: &mut Value, changes: Value) {
    match (target, changes) {
        (Value::Object(target), Value::Object(changes)) => {
            for (key, value) in changes {
                if !value.is_null() {
                    target.insert(key, value);
                }
            }
        }
        (target, changes) => *target = changes,
    }
}

fn default_autoscaler_config() -> Value {
    json!({
        "scale_down_disabled": false,
        "scale_down_delay_after_add": "10m",
        "estimator": "binpacking",
        "expander": "random",
        "ignore_daemonsets_utilization": false,
        "balance_similar_node_groups": false,
        "expendable_pods_priority_cutoff": -10,
        "scale_down_unneeded_time": "10m",
        "scale_down_utilization_threshold": 0.5,
        "max_graceful_termination_sec": 600,
        "skip_nodes_with_local_storage": true,
        "log_level": 4
    })
}

/// `a.b.c.d/n` or `a.b.c.d` (IPv4), or an IPv6 range.
pub fn valid_cidr(text: &str) -> bool {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => {
            prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= 32))
        }
        Ok(std::net::IpAddr::V6(_)) => {
            prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= 128))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_cidrs_are_checked() {
        assert!(valid_name("k8s-prod_1.eu"));
        assert!(!valid_name(""));
        assert!(!valid_name("with space"));
        assert!(valid_cidr("203.0.113.0/24"));
        assert!(valid_cidr("2001:db8::/32"));
        assert!(!valid_cidr("203.0.113.0/33"));
        assert!(!valid_cidr("everyone"));
    }
}
