//! What requests ask of a provider, in Scaleway's k8s v1 terms: the bodies of cluster, pool,
//! node-metadata and ACL requests, parsed strictly (see [`super::input`]). The same types travel
//! through the provisioning port to whichever provider is behind it.

use serde::Deserialize;

use super::input::{self, AutoscalerConfigInput, OidcConfigInput};

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct MaintenanceWindowInput {
    pub start_hour: Option<i64>,
    pub day: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AutoUpgradeInput {
    pub enable: Option<bool>,
    #[serde(deserialize_with = "input::object")]
    pub maintenance_window: Option<MaintenanceWindowInput>,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct NewCluster {
    pub project_id: Option<String>,
    pub organization_id: Option<String>,
    #[serde(rename = "type")]
    pub cluster_type: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub version: Option<String>,
    pub cni: Option<String>,
    #[serde(deserialize_with = "input::objects")]
    pub pools: Option<Vec<NewPool>>,
    #[serde(deserialize_with = "input::object")]
    pub autoscaler_config: Option<AutoscalerConfigInput>,
    #[serde(deserialize_with = "input::object")]
    pub auto_upgrade: Option<AutoUpgradeInput>,
    pub feature_gates: Option<Vec<String>>,
    pub admission_plugins: Option<Vec<String>>,
    #[serde(deserialize_with = "input::object")]
    pub open_id_connect_config: Option<OidcConfigInput>,
    pub apiserver_cert_sans: Option<Vec<String>>,
    pub private_network_id: Option<String>,
    pub pod_cidr: Option<String>,
    pub service_cidr: Option<String>,
    pub service_dns_ip: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ClusterChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    #[serde(deserialize_with = "input::object")]
    pub autoscaler_config: Option<AutoscalerConfigInput>,
    #[serde(deserialize_with = "input::object")]
    pub auto_upgrade: Option<AutoUpgradeInput>,
    pub feature_gates: Option<Vec<String>>,
    pub admission_plugins: Option<Vec<String>>,
    #[serde(deserialize_with = "input::object")]
    pub open_id_connect_config: Option<OidcConfigInput>,
    pub apiserver_cert_sans: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AclRuleInput {
    pub ip: Option<String>,
    pub scaleway_ranges: Option<bool>,
    pub description: Option<String>,
}

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
    #[serde(deserialize_with = "input::object")]
    pub kubelet_args: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(deserialize_with = "input::object")]
    pub upgrade_policy: Option<UpgradePolicyInput>,
    pub zone: Option<String>,
    pub root_volume_type: Option<String>,
    pub root_volume_size: Option<i64>,
    pub public_ip_disabled: Option<bool>,
    pub security_group_id: Option<String>,
    #[serde(deserialize_with = "input::object")]
    pub labels: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(deserialize_with = "input::objects")]
    pub taints: Option<Vec<TaintInput>>,
    #[serde(deserialize_with = "input::objects")]
    pub startup_taints: Option<Vec<TaintInput>>,
    #[serde(deserialize_with = "input::object")]
    pub user_data: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A taint as requests give it; `effect` defaults to `no_schedule` as Scaleway's does.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct TaintInput {
    pub key: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
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
    #[serde(deserialize_with = "input::object")]
    pub kubelet_args: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(deserialize_with = "input::object")]
    pub upgrade_policy: Option<UpgradePolicyInput>,
}

impl NewPool {
    /// Reads the values SDKs send by default the way Scaleway reads them: `min_size` and
    /// `max_size` only count with autoscaling, and zero, empty or "unknown" values mean "the
    /// default" (the Python SDK sends `root_volume_size: 0`, `min_size: 0`, `max_size: 0`).
    pub fn normalised(mut self) -> NewPool {
        if !self.autoscaling.unwrap_or(false) {
            self.min_size = None;
            self.max_size = None;
        }
        self.root_volume_size = self.root_volume_size.filter(|size| *size != 0);
        self.container_runtime = self
            .container_runtime
            .filter(|runtime| !runtime.is_empty() && runtime != "unknown_runtime");
        for field in [
            &mut self.zone,
            &mut self.placement_group_id,
            &mut self.security_group_id,
            &mut self.root_volume_type,
        ] {
            *field = field.take().filter(|value| !value.is_empty());
        }
        self
    }
}

impl PoolChanges {
    /// As [`NewPool::normalised`]: bounds sent without autoscaling are not used.
    pub fn normalised(mut self, autoscaling: bool) -> PoolChanges {
        if !self.autoscaling.unwrap_or(autoscaling) {
            self.min_size = self.min_size.filter(|size| *size != 0);
            self.max_size = self.max_size.filter(|size| *size != 0);
        }
        self
    }
}

/// What a set-labels / set-taints / set-startup-taints request replaces.
#[derive(Debug, Clone)]
pub enum NodeMetadataChange {
    Labels(serde_json::Map<String, serde_json::Value>),
    Taints(Vec<TaintInput>),
    StartupTaints(Vec<TaintInput>),
}

/// Filters of a cluster list (Scaleway's ListClusters query); `None` means any.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ClusterQuery {
    pub name_contains: Option<String>,
    pub status: Option<String>,
    pub cluster_type: Option<String>,
    pub private_network_id: Option<String>,
    pub version: Option<String>,
}
