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
    /// What the person saw of the fields they change (the console's settings form carries it):
    /// the provider compares it under the cluster's lock, so a change someone else made
    /// meanwhile is never overwritten unseen. Not part of Scaleway's request body.
    #[serde(skip)]
    pub seen: Option<SeenSettings>,
}

/// The values a form was rendered with, for the fields it changes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SeenSettings {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Why a compare-and-set of cluster settings is refused.
pub const SETTINGS_CLASH: &str = "someone else changed this since the page was shown; nothing was saved: look at the latest, then save again";

/// A settings edit as a form sends it: each field as typed, and as the form showed it (absent
/// from older pages: then the field counts as changed).
#[derive(Debug, Default, Clone)]
pub struct SettingsEdit {
    pub name: (String, Option<String>),
    pub description: (String, Option<String>),
    pub tags: (Vec<String>, Option<Vec<String>>),
}

impl SettingsEdit {
    /// Only what the person changed, with what they saw of it; `None` when nothing changed.
    pub fn changes(self) -> Option<ClusterChanges> {
        fn changed<T: PartialEq>((typed, was): (T, Option<T>)) -> (Option<T>, Option<T>) {
            match was {
                Some(was) if was == typed => (None, None),
                was => (Some(typed), was),
            }
        }
        let (name, seen_name) = changed(self.name);
        let (description, seen_description) = changed(self.description);
        let (tags, seen_tags) = changed(self.tags);
        if name.is_none() && description.is_none() && tags.is_none() {
            return None;
        }
        Some(ClusterChanges {
            name,
            description,
            tags,
            seen: Some(SeenSettings {
                name: seen_name,
                description: seen_description,
                tags: seen_tags,
            }),
            ..ClusterChanges::default()
        })
    }
}

impl SeenSettings {
    /// The first field both this edit and someone else changed, to different values: the
    /// current value is neither what the person saw nor what they typed.
    pub fn clash(
        &self,
        changes: &ClusterChanges,
        current: (&str, &str, &[String]),
    ) -> Option<&'static str> {
        fn both<T: PartialEq + ?Sized>(seen: Option<&T>, typed: Option<&T>, now: &T) -> bool {
            matches!((seen, typed), (Some(seen), Some(typed)) if seen != now && typed != now)
        }
        let (name, description, tags) = current;
        if both(self.name.as_deref(), changes.name.as_deref(), name) {
            Some("name")
        } else if both(
            self.description.as_deref(),
            changes.description.as_deref(),
            description,
        ) {
            Some("description")
        } else if both(self.tags.as_deref(), changes.tags.as_deref(), tags) {
            Some("tags")
        } else {
            None
        }
    }
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
    /// The pool's sizes as sent, named as in the request.
    pub fn size_fields(&self) -> [(&'static str, Option<i64>); 3] {
        [
            ("size", self.size),
            ("min_size", self.min_size),
            ("max_size", self.max_size),
        ]
    }

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
    /// The sizes as sent, named as in the request.
    pub fn size_fields(&self) -> [(&'static str, Option<i64>); 3] {
        [
            ("size", self.size),
            ("min_size", self.min_size),
            ("max_size", self.max_size),
        ]
    }

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

#[cfg(test)]
mod settings_tests {
    use super::*;

    fn edit(name: (&str, Option<&str>)) -> SettingsEdit {
        SettingsEdit {
            name: (name.0.into(), name.1.map(Into::into)),
            description: ("d".into(), Some("d".into())),
            tags: (vec!["a".into()], Some(vec!["a".into()])),
        }
    }

    #[test]
    fn only_changed_fields_are_sent_with_what_was_seen() {
        assert!(edit(("shop", Some("shop"))).changes().is_none());
        let changes = edit(("shop-2", Some("shop"))).changes().expect("a change");
        assert_eq!(changes.name.as_deref(), Some("shop-2"));
        assert_eq!(changes.description, None);
        assert_eq!(changes.tags, None);
        assert_eq!(changes.seen.expect("seen").name.as_deref(), Some("shop"));
        // An older page without what it showed: every field counts as changed, unchecked.
        let changes = edit(("shop", None)).changes().expect("a change");
        assert_eq!(changes.name.as_deref(), Some("shop"));
        assert_eq!(changes.seen.expect("seen").name, None);
    }

    #[test]
    fn a_field_both_changed_to_different_values_clashes() {
        let changes = edit(("mine", Some("shop"))).changes().expect("a change");
        let seen = changes.seen.clone().expect("seen");
        let tags = ["a".to_string()];
        assert_eq!(
            seen.clash(&changes, ("shop", "d", &tags)),
            None,
            "nobody else"
        );
        assert_eq!(
            seen.clash(&changes, ("mine", "d", &tags)),
            None,
            "the same change"
        );
        assert_eq!(
            seen.clash(&changes, ("theirs", "d", &tags)),
            Some("name"),
            "someone else renamed it"
        );
        assert_eq!(
            seen.clash(&changes, ("shop", "changed elsewhere", &tags)),
            None,
            "a field this edit leaves alone"
        );
    }
}
