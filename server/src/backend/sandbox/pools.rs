//! Pool rules: creation, size and policy changes, upgrades to the cluster's version, deletion.

use crate::backend::sandbox::reconciler::kinds::OperationKind;
use serde_json::json;

use super::catalog::{self, ClusterType};
use super::clusters::{parse_version, valid_name};
use super::external_nodes::{is_external, EXTERNAL_NODE_TYPE};
use super::{refuse_if_deleting, require_settled_cluster, Provisioning};
use crate::backend::sandbox::store::{pools, versions};
use crate::domain::error::Validation;
use crate::domain::input;
use crate::domain::model::{Caller, ClusterStatus, KubeVersionEntry, Pool, PoolStatus};
use crate::domain::requests::{
    NewPool, NodeMetadataChange, PoolChanges, TaintInput, UpgradePolicyInput,
};
use crate::domain::DomainError;

pub const ROOT_VOLUME_TYPES: &[&str] =
    &["default_volume_type", "l_ssd", "b_ssd", "sbs_5k", "sbs_15k"];

pub const TAINT_EFFECTS: &[&str] = &["no_schedule", "prefer_no_schedule", "no_execute"];
const MAX_TAINTS: usize = 50;
const MAX_LABELS: usize = 100;
const MAX_USER_DATA_KEYS: usize = 10;
const MAX_USER_DATA_BYTES: usize = 64 * 1024;

/// A Kubernetes qualified name (`name` or `prefix/name`), as label and taint keys are.
fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    name_ok && prefix.is_none_or(|prefix| prefix.len() <= 253 && input::is_dns_name_or_ip(prefix))
}

/// A Kubernetes label value: empty, or up to 63 characters, alphanumeric at both ends.
fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && value
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && value
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric()))
}

/// Labels under the provider's own prefix are the provider's; users set the others.
fn reserved_key(key: &str) -> bool {
    key.starts_with("k8s.scaleway.com/")
        || key.starts_with("kubernetes.io/")
        || key.starts_with("k8s.io/")
}

pub(crate) fn check_labels(
    validation: &mut Validation,
    argument: &str,
    labels: &serde_json::Map<String, serde_json::Value>,
) {
    validation.check(
        labels.len() <= MAX_LABELS,
        argument,
        "constraint",
        format!("at most {MAX_LABELS} labels"),
    );
    for (key, value) in labels {
        let shown = input::shorten(key);
        validation.check(
            is_qualified_name(key) && !reserved_key(key),
            &format!("{argument}.{shown}"),
            "constraint",
            format!("`{shown}` is not a label key you can set: a name of up to 63 letters, digits, '-', '_' or '.', optionally under a DNS prefix other than kubernetes.io/, k8s.io/ or k8s.scaleway.com/"),
        );
        validation.check(
            value.as_str().is_some_and(is_label_value),
            &format!("{argument}.{shown}"),
            "constraint",
            "a label value is a string of up to 63 letters, digits, '-', '_' or '.'",
        );
    }
}

/// Checks taints and returns them in their stored form.
pub(crate) fn check_taints(
    validation: &mut Validation,
    argument: &str,
    taints: &[TaintInput],
) -> Vec<crate::domain::model::Taint> {
    validation.check(
        taints.len() <= MAX_TAINTS,
        argument,
        "constraint",
        format!("at most {MAX_TAINTS} taints"),
    );
    let mut checked = Vec::new();
    for (index, taint) in taints.iter().enumerate() {
        let key = taint.key.clone().unwrap_or_default();
        let value = taint.value.clone().unwrap_or_default();
        // Absent means Scaleway's default; an empty string is a value, and not an effect.
        let effect = taint.effect.clone().unwrap_or_else(|| "no_schedule".into());
        validation.check(
            is_qualified_name(&key) && !reserved_key(&key),
            &format!("{argument}[{index}].key"),
            if key.is_empty() { "required" } else { "constraint" },
            "a taint key is a name of up to 63 letters, digits, '-', '_' or '.', optionally under a DNS prefix other than kubernetes.io/, k8s.io/ or k8s.scaleway.com/",
        );
        validation.check(
            is_label_value(&value),
            &format!("{argument}[{index}].value"),
            "constraint",
            "a taint value is up to 63 letters, digits, '-', '_' or '.'",
        );
        validation.check(
            TAINT_EFFECTS.contains(&effect.as_str()),
            &format!("{argument}[{index}].effect"),
            "constraint",
            format!(
                "{} effect `{}`: use {}",
                if effect.is_empty() {
                    "empty"
                } else {
                    "unknown"
                },
                input::shorten(&effect),
                TAINT_EFFECTS.join(", ")
            ),
        );
        checked.push(crate::domain::model::Taint { key, value, effect });
    }
    checked
}

fn check_user_data(
    validation: &mut Validation,
    argument: &str,
    files: &serde_json::Map<String, serde_json::Value>,
) {
    validation.check(
        files.len() <= MAX_USER_DATA_KEYS,
        argument,
        "constraint",
        format!("at most {MAX_USER_DATA_KEYS} user data files"),
    );
    for (key, content) in files {
        let shown = input::shorten(key);
        validation.check(
            !key.is_empty()
                && key.len() <= 64
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
            &format!("{argument}.{shown}"),
            "constraint",
            "a user data key is 1 to 64 letters, digits, '-', '_' or '.'",
        );
        validation.check(
            content
                .as_str()
                .is_some_and(|text| text.len() <= MAX_USER_DATA_BYTES),
            &format!("{argument}.{shown}"),
            "constraint",
            format!(
                "user data is a string of at most {} KiB",
                MAX_USER_DATA_BYTES / 1024
            ),
        );
    }
}

/// Scaleway's `size`, `min_size` and `max_size` are unsigned and bounded by the cluster type,
/// whether or not autoscaling uses them: a value out of that range is refused as sent, before
/// the bounds that autoscaling ignores are dropped.
pub(crate) fn check_size_fields(
    validation: &mut Validation,
    prefix: &str,
    fields: [(&str, Option<i64>); 3],
    cluster_type: Option<&ClusterType>,
) {
    let most = cluster_type.map_or(i64::from(u32::MAX), |offer| offer.max_nodes);
    for (name, value) in fields {
        let Some(value) = value else { continue };
        validation.check(
            (0..=most).contains(&value),
            &format!("{prefix}{name}"),
            "constraint",
            match cluster_type {
                Some(offer) if value > 0 => format!(
                    "{name} ({value}) is more than a {} cluster's {most} nodes",
                    offer.name
                ),
                _ => format!("{name} ({value}) must be between 0 and {most}"),
            },
        );
    }
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
    for (name, value) in args {
        validation.check(
            version.kubelet_args.contains_key(name),
            &format!("{prefix}kubelet_args"),
            "constraint",
            format!(
                "kubelet argument `{}` is not available on Kubernetes {}",
                input::shorten(name),
                version.name
            ),
        );
        validation.check(
            value.as_str().is_some_and(|text| text.len() <= 1024),
            &format!("{prefix}kubelet_args.{}", input::shorten(name)),
            "constraint",
            "a kubelet argument's value is a string of at most 1024 characters",
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
    if node_type == EXTERNAL_NODE_TYPE {
        if let Some(cluster_type) = cluster_type {
            validation.check(
                cluster_type.family == "multicloud",
                &format!("{prefix}node_type"),
                "constraint",
                format!(
                    "external pools need a multicloud cluster; this one is {}",
                    cluster_type.name
                ),
            );
        }
        validation.check(
            pool.size.unwrap_or(0) == 0 && !pool.autoscaling.unwrap_or(false),
            &format!("{prefix}size"),
            "constraint",
            "an external pool starts empty (size 0, no autoscaling): its nodes join on their own",
        );
        return;
    }
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
    if let Some(tags) = &pool.tags {
        input::check_tags(validation, &format!("{prefix}tags"), tags);
    }
    if let Some(labels) = &pool.labels {
        check_labels(validation, &format!("{prefix}labels"), labels);
    }
    for (field, taints) in [
        ("taints", &pool.taints),
        ("startup_taints", &pool.startup_taints),
    ] {
        if let Some(taints) = taints {
            check_taints(validation, &format!("{prefix}{field}"), taints);
        }
    }
    if let Some(files) = &pool.user_data {
        check_user_data(validation, &format!("{prefix}user_data"), files);
    }
    for (field, value) in [
        ("placement_group_id", &pool.placement_group_id),
        ("security_group_id", &pool.security_group_id),
    ] {
        if let Some(value) = value {
            validation.check(
                input::is_uuid(value),
                &format!("{prefix}{field}"),
                "constraint",
                format!("`{}` is not an ID (a UUID)", input::shorten(value)),
            );
        }
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
    ) -> Result<(crate::domain::model::Cluster, Pool), DomainError> {
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
        let sent_sizes = input.size_fields();
        let input = input.normalised();
        let (mut transaction, mut cluster) =
            self.begin_on_cluster(caller, region, cluster_id).await?;
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
        check_size_fields(&mut validation, "", sent_sizes, Some(cluster_type));
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
            OperationKind::ScalePool,
            cluster_id,
            &pool.id,
            json!({}),
        )
        .await?;
        if cluster.status == ClusterStatus::PoolRequired {
            cluster.status = cluster.status.to(ClusterStatus::Ready)?;
            cluster.updated_at = self.now();
            crate::backend::sandbox::store::clusters::update(&mut transaction, &cluster).await?;
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
        caller.commit_change(transaction, &pool).await?;
        Ok(pool)
    }

    pub async fn update_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
        changes: PoolChanges,
    ) -> Result<Pool, DomainError> {
        let (mut transaction, cluster, mut pool) =
            self.begin_on_pool(caller, region, pool_id).await?;
        require_settled_pool(&pool)?;
        refuse_if_deleting(&cluster)?;
        let cluster_type = catalog::cluster_type(&cluster.cluster_type).ok_or_else(|| {
            DomainError::precondition("unknown_type", "the cluster's type is no longer offered")
        })?;
        let mut validation = Validation::default();
        check_size_fields(
            &mut validation,
            "",
            changes.size_fields(),
            Some(cluster_type),
        );
        validation.finish()?;
        let changes = changes.normalised(pool.autoscaling);
        if is_external(&pool)
            && (changes.size.is_some_and(|size| size != pool.size)
                || changes.autoscaling == Some(true))
        {
            return Err(DomainError::invalid(
                "size",
                "constraint",
                "an external pool grows as its nodes register and shrinks as you delete them",
            ));
        }
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
        if let Some(tags) = &changes.tags {
            input::check_tags(&mut validation, "tags", tags);
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
            pool.status = pool.status.to(PoolStatus::Scaling)?;
            self.enqueue(
                &mut transaction,
                OperationKind::ScalePool,
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
        caller.commit_change(transaction, &pool).await?;
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
        let (mut transaction, cluster, mut pool) =
            self.begin_on_pool(caller, region, pool_id).await?;
        require_settled_pool(&pool)?;
        require_settled_cluster(&cluster)?;
        if is_external(&pool) {
            return Err(DomainError::precondition(
                "external_pool",
                "the nodes of an external pool run elsewhere and are upgraded by their node agent",
            ));
        }
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
        crate::backend::sandbox::reconciler::steps::start_pool_rollout(
            self,
            &mut transaction,
            &mut pool,
            &target_name,
            &[],
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
        caller.commit_change(transaction, &pool).await?;
        Ok(pool)
    }

    pub async fn delete_pool(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
    ) -> Result<Pool, DomainError> {
        let (mut transaction, cluster, mut pool) =
            self.begin_on_pool(caller, region, pool_id).await?;
        if pool.status == PoolStatus::Deleting {
            require_settled_pool(&pool)?;
        }
        if matches!(
            cluster.status,
            ClusterStatus::Updating | ClusterStatus::Creating
        ) {
            require_settled_cluster(&cluster)?;
        }
        pool.status = pool.status.to(PoolStatus::Deleting)?;
        pool.updated_at = self.now();
        pools::update(&mut transaction, &pool).await?;
        self.enqueue(
            &mut transaction,
            OperationKind::DeletePool,
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
        caller.commit_change(transaction, &pool).await?;
        Ok(pool)
    }
}

impl Provisioning {
    /// Replaces the pool's labels, taints or startup taints (Scaleway's set-labels, set-taints
    /// and set-startup-taints); the rest of the pool, and any rollout in progress, is untouched.
    pub async fn set_pool_node_metadata(
        &self,
        caller: &Caller,
        region: &str,
        pool_id: &str,
        change: NodeMetadataChange,
    ) -> Result<Pool, DomainError> {
        let mut validation = Validation::default();
        let (which, value_json) = match &change {
            NodeMetadataChange::Labels(labels) => {
                check_labels(&mut validation, "labels", labels);
                (pools::NodeMetadata::Labels, serde_json::to_string(labels))
            }
            NodeMetadataChange::Taints(taints) => {
                let taints = check_taints(&mut validation, "taints", taints);
                (pools::NodeMetadata::Taints, serde_json::to_string(&taints))
            }
            NodeMetadataChange::StartupTaints(taints) => {
                let taints = check_taints(&mut validation, "startup_taints", taints);
                (
                    pools::NodeMetadata::StartupTaints,
                    serde_json::to_string(&taints),
                )
            }
        };
        validation.finish()?;
        let value_json = value_json.map_err(|error| DomainError::Provider(error.to_string()))?;
        let (mut transaction, cluster, pool) = self.begin_on_pool(caller, region, pool_id).await?;
        refuse_if_deleting(&cluster)?;
        if pool.status == PoolStatus::Deleting {
            require_settled_pool(&pool)?;
        }
        pools::set_node_metadata(&mut transaction, &pool.id, which, &value_json, self.now())
            .await?;
        let what = match which {
            pools::NodeMetadata::Labels => "labels",
            pools::NodeMetadata::Taints => "taints",
            pools::NodeMetadata::StartupTaints => "startup taints",
        };
        self.record_event(
            &mut transaction,
            &cluster.id,
            "pool",
            &pool.id,
            "PoolNodeMetadataSet",
            format!("pool {} {what} replaced", pool.name),
        )
        .await?;
        let updated = pools::get(&mut transaction, &pool.id)
            .await?
            .ok_or_else(|| DomainError::not_found("k8s_pool", pool_id))?;
        caller.commit_change(transaction, &updated).await?;
        Ok(updated)
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
