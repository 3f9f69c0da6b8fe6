//! Pool rules: creation, size and policy changes, upgrades to the cluster's version, deletion.

use serde::Deserialize;
use serde_json::json;

use super::catalog::{self, ClusterType};
use super::clusters::{parse_version, valid_name};
use super::error::Validation;
use super::model::{Caller, ClusterStatus, KubeVersionEntry, Pool, PoolStatus};
use super::{refuse_if_deleting, require_settled_cluster, DomainError, Provisioning};
use crate::store::{pools, versions};

pub const ROOT_VOLUME_TYPES: &[&str] =
    &["default_volume_type", "l_ssd", "b_ssd", "sbs_5k", "sbs_15k"];

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct UpgradePolicyInput {
    pub max_unavailable: Option<i64>,
    pub max_surge: Option<i64>,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct NewPool {
    pub name: Option<String>,
    pub node_type: Option<String>,
    pub placement_group_id: Option<String>,
    pub autoscaling: Option<bool>,
    pub size: Option<i64>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub container_runtime: Option<String>,
    pub autohealing: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub kubelet_args: Option<serde_json::Map<String, serde_json::Value>>,
    pub upgrade_policy: Option<UpgradePolicyInput>,
    pub zone: Option<String>,
    pub root_volume_type: Option<String>,
    pub root_volume_size: Option<i64>,
    pub public_ip_disabled: Option<bool>,
    pub security_group_id: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct PoolChanges {
    pub autoscaling: Option<bool>,
    pub size: Option<i64>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub autohealing: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub kubelet_args: Option<serde_json::Map<String, serde_json::Value>>,
    pub upgrade_policy: Option<UpgradePolicyInput>,
}

/// The size rules shared by creation and updates.
fn check_sizes(
    validation: &mut Validation,
    prefix: &str,
    size: i64,
    min: i64,
    max: i64,
    autoscaling: bool,
    cluster_type: &ClusterType,
) {
    validation.check(
        size >= 0,
        &format!("{prefix}size"),
        "constraint",
        "a pool cannot have a negative size",
    );
    validation.check(
        min >= 0 && min <= size,
        &format!("{prefix}min_size"),
        "constraint",
        format!("min_size ({min}) must be between 0 and the size ({size})"),
    );
    validation.check(
        max >= size && max >= 1,
        &format!("{prefix}max_size"),
        "constraint",
        format!("max_size ({max}) must be at least the size ({size}) and at least 1"),
    );
    validation.check(
        max <= cluster_type.max_nodes,
        &format!("{prefix}max_size"),
        "constraint",
        format!(
            "a {} cluster supports at most {} nodes",
            cluster_type.name, cluster_type.max_nodes
        ),
    );
    if !autoscaling {
        validation.check(
            size >= 1,
            &format!("{prefix}size"),
            "constraint",
            "a pool without autoscaling needs at least one node",
        );
    }
}

fn check_policy(validation: &mut Validation, prefix: &str, policy: &UpgradePolicyInput) {
    let surge = policy.max_surge.unwrap_or(0);
    let unavailable = policy.max_unavailable.unwrap_or(1);
    validation.check(
        (0..=20).contains(&surge),
        &format!("{prefix}upgrade_policy.max_surge"),
        "constraint",
        "max_surge is 0 to 20",
    );
    validation.check(
        (0..=20).contains(&unavailable),
        &format!("{prefix}upgrade_policy.max_unavailable"),
        "constraint",
        "max_unavailable is 0 to 20",
    );
    validation.check(
        surge + unavailable > 0,
        &format!("{prefix}upgrade_policy"),
        "constraint",
        "max_surge and max_unavailable cannot both be 0: nodes could never be replaced",
    );
}

fn check_kubelet_args(
    validation: &mut Validation,
    prefix: &str,
    args: &serde_json::Map<String, serde_json::Value>,
    version: &KubeVersionEntry,
) {
    for name in args.keys() {
        validation.check(
            version.kubelet_args.contains_key(name),
            &format!("{prefix}kubelet_args"),
            "constraint",
            format!(
                "kubelet argument `{name}` is not available on Kubernetes {}",
                version.name
            ),
        );
    }
}

/// Checks a new pool; the checks that need the cluster's version or type are skipped when
/// those are themselves invalid (they are reported on their own).
pub(crate) fn validate_new_pool(
    validation: &mut Validation,
    prefix: &str,
    pool: &NewPool,
    version: Option<&KubeVersionEntry>,
    cluster_type: Option<&ClusterType>,
    zones: &[&str],
) {
    let name = pool.name.clone().unwrap_or_default();
    validation.check(
        valid_name(&name) && name.len() <= 63,
        &format!("{prefix}name"),
        if name.is_empty() {
            "required"
        } else {
            "constraint"
        },
        "a pool name is 1 to 63 letters, digits, '-', '_' or '.'",
    );
    let node_type = pool.node_type.clone().unwrap_or_default();
    validation.check(
        catalog::canonical_node_type(&node_type).is_some(),
        &format!("{prefix}node_type"),
        if node_type.is_empty() {
            "required"
        } else {
            "constraint"
        },
        format!(
            "unknown node type `{node_type}`; available: {}",
            catalog::NODE_TYPES.join(", ")
        ),
    );
    let autoscaling = pool.autoscaling.unwrap_or(false);
    let size = pool.size.unwrap_or(1);
    let min = pool.min_size.unwrap_or(if autoscaling { 0 } else { size });
    if let Some(cluster_type) = cluster_type {
        let max = pool.max_size.unwrap_or(if autoscaling {
            cluster_type.max_nodes.min(size.max(1) * 4)
        } else {
            size.max(1)
        });
        check_sizes(
            validation,
            prefix,
            size,
            min,
            max,
            autoscaling,
            cluster_type,
        );
    }
    if let Some(version) = version {
        let runtime = pool
            .container_runtime
            .clone()
            .unwrap_or_else(|| "containerd".into());
        validation.check(
            version.available_runtimes.contains(&runtime),
            &format!("{prefix}container_runtime"),
            "constraint",
            format!(
                "runtime `{runtime}` is not available on Kubernetes {}",
                version.name
            ),
        );
        check_kubelet_args(
            validation,
            prefix,
            &pool.kubelet_args.clone().unwrap_or_default(),
            version,
        );
    }
    if let Some(zone) = &pool.zone {
        validation.check(
            zones.contains(&zone.as_str()),
            &format!("{prefix}zone"),
            "constraint",
            format!(
                "zone `{zone}` is not in this region; use one of {}",
                zones.join(", ")
            ),
        );
    }
    if let Some(volume) = &pool.root_volume_type {
        validation.check(
            ROOT_VOLUME_TYPES.contains(&volume.as_str()),
            &format!("{prefix}root_volume_type"),
            "constraint",
            format!("unknown volume type `{volume}`"),
        );
    }
    if let Some(volume_size) = pool.root_volume_size {
        validation.check(
            (10_000_000_000..=1_000_000_000_000).contains(&volume_size),
            &format!("{prefix}root_volume_size"),
            "constraint",
            "the root volume is 10 GB to 1 TB (in bytes)",
        );
    }
    check_policy(
        validation,
        prefix,
        &pool.upgrade_policy.clone().unwrap_or_default(),
    );
}

impl Provisioning {
    /// The caller's pool, or "not found" (also for other projects' pools).
    pub(crate) async fn owned_pool(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        region: &str,
        pool_id: &str,
    ) -> Result<(super::model::Cluster, Pool), DomainError> {
        let pool = pools::get(conn, pool_id)
            .await?
            .ok_or_else(|| DomainError::not_found("k8s_pool", pool_id))?;
        let cluster = self
            .owned_cluster(conn, caller, region, &pool.cluster_id)
            .await
            .map_err(|_| DomainError::not_found("k8s_pool", pool_id))?;
        Ok((cluster, pool))
    }

    pub async fn get_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
    ) -> Result<Pool, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(self.owned_pool(&mut conn, caller, region, pool_id).await?.1)
    }

    pub async fn list_pools(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
    ) -> Result<Vec<Pool>, DomainError> {
        let mut conn = self.database.pool().acquire().await?;
        self.owned_cluster(&mut conn, caller, region, cluster_id)
            .await?;
        Ok(pools::of_cluster(&mut conn, cluster_id).await?)
    }

    pub async fn create_pool(
        &self,
        caller: &Caller,
        region: &str,
        cluster_id: &str,
        input: NewPool,
    ) -> Result<Pool, DomainError> {
        let mut transaction = self.database.pool().begin().await?;
        let mut cluster = self
            .owned_cluster(&mut transaction, caller, region, cluster_id)
            .await?;
        if matches!(
            cluster.status,
            ClusterStatus::Deleting | ClusterStatus::Locked
        ) {
            require_settled_cluster(&cluster)?;
        }
        let version = versions::get(&mut transaction, &cluster.version)
            .await?
            .ok_or_else(|| {
                DomainError::precondition(
                    "unknown_version",
                    format!(
                        "the cluster's version {} is no longer in the catalog",
                        cluster.version
                    ),
                )
            })?;
        let cluster_type = catalog::cluster_type(&cluster.cluster_type).ok_or_else(|| {
            DomainError::precondition("unknown_type", "the cluster's type is no longer offered")
        })?;
        let zones = catalog::zones_of(region).unwrap_or(&[]);
        let mut validation = Validation::default();
        validate_new_pool(
            &mut validation,
            "",
            &input,
            Some(&version),
            Some(cluster_type),
            zones,
        );
        let existing = pools::of_cluster(&mut transaction, cluster_id).await?;
        let name = input.name.clone().unwrap_or_default();
        validation.check(
            !existing.iter().any(|pool| pool.name == name),
            "name",
            "constraint",
            format!("the cluster already has a pool named `{name}`"),
        );
        validation.finish()?;
        let pool = self.pool_from_input(&cluster, &input, cluster_type, zones);
        pools::insert(&mut transaction, &pool).await?;
        self.enqueue(
            &mut transaction,
            "scale_pool",
            cluster_id,
            &pool.id,
            json!({}),
        )
        .await?;
        if cluster.status == ClusterStatus::PoolRequired {
            cluster.status = ClusterStatus::Ready;
            cluster.updated_at = self.now();
            crate::store::clusters::update(&mut transaction, &cluster).await?;
        }
        self.record_event(
            &mut transaction,
            cluster_id,
            "pool",
            &pool.id,
            "PoolCreated",
            format!(
                "pool {} created with {} node(s) of type {}",
                pool.name, pool.size, pool.node_type
            ),
        )
        .await?;
        transaction.commit().await?;
        Ok(pool)
    }

    pub async fn update_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
        changes: PoolChanges,
    ) -> Result<Pool, DomainError> {
        let mut transaction = self.database.pool().begin().await?;
        let (cluster, mut pool) = self
            .owned_pool(&mut transaction, caller, region, pool_id)
            .await?;
        require_settled_pool(&pool)?;
        refuse_if_deleting(&cluster)?;
        let cluster_type = catalog::cluster_type(&cluster.cluster_type).ok_or_else(|| {
            DomainError::precondition("unknown_type", "the cluster's type is no longer offered")
        })?;
        let autoscaling = changes.autoscaling.unwrap_or(pool.autoscaling);
        let size = changes.size.unwrap_or(pool.size);
        let min = changes.min_size.unwrap_or(pool.min_size.min(size));
        let max = changes.max_size.unwrap_or(pool.max_size.max(size));
        let mut validation = Validation::default();
        check_sizes(
            &mut validation,
            "",
            size,
            min,
            max,
            autoscaling,
            cluster_type,
        );
        if let Some(policy) = &changes.upgrade_policy {
            let merged = UpgradePolicyInput {
                max_surge: policy.max_surge.or(Some(pool.max_surge)),
                max_unavailable: policy.max_unavailable.or(Some(pool.max_unavailable)),
            };
            check_policy(&mut validation, "", &merged);
        }
        if let Some(args) = &changes.kubelet_args {
            if let Some(version) = versions::get(&mut transaction, &pool.version).await? {
                check_kubelet_args(&mut validation, "", args, &version);
            }
        }
        validation.finish()?;
        let resized = size != pool.size;
        pool.autoscaling = autoscaling;
        pool.size = size;
        pool.min_size = min;
        pool.max_size = max;
        if let Some(autohealing) = changes.autohealing {
            pool.autohealing = autohealing;
        }
        if let Some(tags) = changes.tags {
            pool.tags = tags;
        }
        if let Some(args) = changes.kubelet_args {
            pool.kubelet_args = args;
        }
        if let Some(policy) = changes.upgrade_policy {
            if let Some(surge) = policy.max_surge {
                pool.max_surge = surge;
            }
            if let Some(unavailable) = policy.max_unavailable {
                pool.max_unavailable = unavailable;
            }
        }
        pool.updated_at = self.now();
        if resized {
            pool.status = PoolStatus::Scaling;
            self.enqueue(
                &mut transaction,
                "scale_pool",
                &cluster.id,
                &pool.id,
                json!({}),
            )
            .await?;
            self.record_event(
                &mut transaction,
                &cluster.id,
                "pool",
                &pool.id,
                "PoolScaling",
                format!("pool {} scaling to {} node(s)", pool.name, pool.size),
            )
            .await?;
        }
        pools::update(&mut transaction, &pool).await?;
        transaction.commit().await?;
        Ok(pool)
    }

    /// Rolls the pool's nodes onto the cluster's version (the only version a pool may move to).
    pub async fn upgrade_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
        version: Option<String>,
    ) -> Result<Pool, DomainError> {
        let target_name = version.unwrap_or_default();
        if target_name.is_empty() {
            return Err(DomainError::invalid(
                "version",
                "required",
                "the version to upgrade the pool to: the cluster's version",
            ));
        }
        let target = parse_version("version", &target_name)?;
        let mut transaction = self.database.pool().begin().await?;
        let (cluster, mut pool) = self
            .owned_pool(&mut transaction, caller, region, pool_id)
            .await?;
        require_settled_pool(&pool)?;
        require_settled_cluster(&cluster)?;
        let current = parse_version("version", &pool.version)?;
        let cluster_version = parse_version("version", &cluster.version)?;
        if target < current {
            return Err(DomainError::invalid("version", "constraint", format!("version {target} is older than the pool's {current}: downgrades are not possible")));
        }
        if target == current {
            return Err(DomainError::invalid(
                "version",
                "constraint",
                format!("the pool already runs {current}"),
            ));
        }
        if target != cluster_version {
            return Err(DomainError::invalid("version", "constraint", format!(
                "a pool can only be upgraded to its cluster's version ({cluster_version}); upgrade the cluster first to go beyond it")));
        }
        pool.version = target_name.clone();
        pool.status = PoolStatus::Upgrading;
        pool.updated_at = self.now();
        pools::update(&mut transaction, &pool).await?;
        self.enqueue(
            &mut transaction,
            "upgrade_pool",
            &cluster.id,
            &pool.id,
            json!({ "version": target_name }),
        )
        .await?;
        self.record_event(
            &mut transaction,
            &cluster.id,
            "pool",
            &pool.id,
            "PoolUpgradeStarted",
            format!("pool {} upgrading from {current} to {target}", pool.name),
        )
        .await?;
        transaction.commit().await?;
        Ok(pool)
    }

    pub async fn delete_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
    ) -> Result<Pool, DomainError> {
        let mut transaction = self.database.pool().begin().await?;
        let (cluster, mut pool) = self
            .owned_pool(&mut transaction, caller, region, pool_id)
            .await?;
        if pool.status == PoolStatus::Deleting {
            require_settled_pool(&pool)?;
        }
        if matches!(
            cluster.status,
            ClusterStatus::Updating | ClusterStatus::Creating
        ) {
            require_settled_cluster(&cluster)?;
        }
        pool.status = PoolStatus::Deleting;
        pool.updated_at = self.now();
        pools::update(&mut transaction, &pool).await?;
        self.enqueue(
            &mut transaction,
            "delete_pool",
            &cluster.id,
            &pool.id,
            json!({}),
        )
        .await?;
        self.record_event(
            &mut transaction,
            &cluster.id,
            "pool",
            &pool.id,
            "PoolDeleting",
            format!("pool {} is being deleted", pool.name),
        )
        .await?;
        transaction.commit().await?;
        Ok(pool)
    }
}

pub(crate) fn require_settled_pool(pool: &Pool) -> Result<(), DomainError> {
    if pool.status.is_transient() || pool.status == PoolStatus::Locked {
        return Err(DomainError::TransientState {
            resource: "k8s_pool",
            resource_id: pool.id.clone(),
            current_state: pool.status.as_str().to_string(),
        });
    }
    Ok(())
}
