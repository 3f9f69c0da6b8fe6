//! What the sandbox provider offers: regions and zones, node types, cluster types, and the
//! Kubernetes versions catalog (seeded from `server/data/versions.json`).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::backend::sandbox::store::versions;
use crate::domain::model::KubeVersionEntry;
use crate::store::{Database, StoreError};

pub const REGIONS: &[(&str, &[&str])] = &[
    ("fr-par", &["fr-par-1", "fr-par-2", "fr-par-3"]),
    ("nl-ams", &["nl-ams-1", "nl-ams-2", "nl-ams-3"]),
    ("pl-waw", &["pl-waw-1", "pl-waw-2", "pl-waw-3"]),
];

/// The regions' names, the default first (as [`REGIONS`] lists them).
pub const REGION_NAMES: &[&str] = &["fr-par", "nl-ams", "pl-waw"];

pub fn zones_of(region: &str) -> Option<&'static [&'static str]> {
    REGIONS
        .iter()
        .find(|(name, _)| *name == region)
        .map(|(_, zones)| *zones)
}

/// Instance types a pool may use (Scaleway's names, shared vocabulary).
pub use crate::domain::model::NODE_TYPES;

/// `PRO2-XS` and `pro2_xs` name the same type.
pub fn canonical_node_type(name: &str) -> Option<&'static str> {
    let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
    NODE_TYPES.iter().copied().find(|known| *known == wanted)
}

/// A control-plane offer (Scaleway's ClusterType).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClusterType {
    pub name: &'static str,
    pub availability: &'static str,
    pub max_nodes: i64,
    pub commitment_delay_seconds: Option<i64>,
    pub sla: f64,
    pub resiliency: &'static str,
    pub memory: i64,
    pub dedicated: bool,
    pub audit_logs_supported: bool,
    pub max_etcd_size: i64,
    /// "kapsule" clusters run Scaleway pools only; "multicloud" ones accept external pools.
    pub family: &'static str,
}

const GIB: i64 = 1024 * 1024 * 1024;
const MIB: i64 = 1024 * 1024;

pub const CLUSTER_TYPES: &[ClusterType] = &[
    ClusterType {
        name: "kapsule",
        availability: "available",
        max_nodes: 150,
        commitment_delay_seconds: None,
        sla: 0.0,
        resiliency: "standard",
        memory: 4 * GIB,
        dedicated: false,
        audit_logs_supported: false,
        max_etcd_size: 55 * MIB,
        family: "kapsule",
    },
    ClusterType {
        name: "kapsule-dedicated-4",
        availability: "available",
        max_nodes: 250,
        commitment_delay_seconds: Some(30 * 86_400),
        sla: 99.5,
        resiliency: "high_availability",
        memory: 4 * GIB,
        dedicated: true,
        audit_logs_supported: true,
        max_etcd_size: 200 * MIB,
        family: "kapsule",
    },
    ClusterType {
        name: "kapsule-dedicated-8",
        availability: "available",
        max_nodes: 500,
        commitment_delay_seconds: Some(30 * 86_400),
        sla: 99.5,
        resiliency: "high_availability",
        memory: 8 * GIB,
        dedicated: true,
        audit_logs_supported: true,
        max_etcd_size: 500 * MIB,
        family: "kapsule",
    },
    ClusterType {
        name: "kapsule-dedicated-16",
        availability: "scarce",
        max_nodes: 500,
        commitment_delay_seconds: Some(30 * 86_400),
        sla: 99.5,
        resiliency: "high_availability",
        memory: 16 * GIB,
        dedicated: true,
        audit_logs_supported: true,
        max_etcd_size: GIB,
        family: "kapsule",
    },
    ClusterType {
        name: "multicloud",
        availability: "available",
        max_nodes: 150,
        commitment_delay_seconds: None,
        sla: 0.0,
        resiliency: "standard",
        memory: 4 * GIB,
        dedicated: false,
        audit_logs_supported: false,
        max_etcd_size: 55 * MIB,
        family: "multicloud",
    },
    ClusterType {
        name: "multicloud-dedicated-4",
        availability: "available",
        max_nodes: 250,
        commitment_delay_seconds: Some(30 * 86_400),
        sla: 99.5,
        resiliency: "high_availability",
        memory: 4 * GIB,
        dedicated: true,
        audit_logs_supported: true,
        max_etcd_size: 200 * MIB,
        family: "multicloud",
    },
];

pub fn cluster_type(name: &str) -> Option<&'static ClusterType> {
    CLUSTER_TYPES
        .iter()
        .find(|candidate| candidate.name == name)
}

/// Types a cluster may switch to: the same family, and never below its current offer
/// (dedicated offers cannot go back to mutualised ones).
impl ClusterType {
    /// The offer as the provisioning port describes it.
    pub fn offer(&self) -> crate::domain::model::ClusterOffer {
        crate::domain::model::ClusterOffer {
            name: self.name.to_string(),
            availability: self.availability.to_string(),
            max_nodes: self.max_nodes,
            commitment_delay_seconds: self.commitment_delay_seconds,
            sla: self.sla,
            resiliency: self.resiliency.to_string(),
            memory: self.memory,
            dedicated: self.dedicated,
            audit_logs_supported: self.audit_logs_supported,
            max_etcd_size: self.max_etcd_size,
        }
    }
}

pub fn available_types_from(current: &str) -> Vec<&'static ClusterType> {
    let Some(current) = cluster_type(current) else {
        return Vec::new();
    };
    CLUSTER_TYPES
        .iter()
        .filter(|candidate| candidate.family == current.family && candidate.name != current.name)
        .filter(|candidate| {
            candidate.memory >= current.memory && (candidate.dedicated || !current.dedicated)
        })
        .collect()
}

/// The OS image new nodes boot: the sandbox's current image.
pub const CURRENT_OS_IMAGE: &str = "ubuntu-noble-k8s-2026-11-02";

#[derive(Deserialize)]
struct SeedFile {
    versions: Vec<SeedVersion>,
}

#[derive(Deserialize)]
struct SeedVersion {
    name: String,
    released_at: DateTime<Utc>,
    deprecated_at: Option<DateTime<Utc>>,
    end_of_life_at: Option<DateTime<Utc>>,
    available_cnis: Vec<String>,
    available_runtimes: Vec<String>,
    feature_gates: Vec<String>,
    admission_plugins: Vec<String>,
    kubelet_args: serde_json::Map<String, serde_json::Value>,
    removed_apis: Vec<String>,
    changelog: Vec<String>,
}

const SEED: &str = include_str!("../../../data/versions.json");

pub fn seed_versions() -> Vec<KubeVersionEntry> {
    // The seed file is part of the build and parsed by a unit test, so it cannot be malformed.
    let seed: SeedFile = serde_json::from_str(SEED).unwrap_or(SeedFile { versions: vec![] });
    seed.versions
        .into_iter()
        .map(|version| KubeVersionEntry {
            label: format!("Kubernetes {}", version.name),
            name: version.name,
            released_at: version.released_at,
            deprecated_at: version.deprecated_at,
            end_of_life_at: version.end_of_life_at,
            available_cnis: version.available_cnis,
            available_runtimes: version.available_runtimes,
            feature_gates: version.feature_gates,
            admission_plugins: version.admission_plugins,
            kubelet_args: version.kubelet_args,
            removed_apis: version.removed_apis,
            changelog: version.changelog,
        })
        .collect()
}

/// Adds the seed versions that the catalog does not have yet.
pub async fn seed_catalog(database: &Database) -> Result<(), StoreError> {
    let mut conn = database.pool().acquire().await?;
    for entry in seed_versions() {
        versions::insert_if_absent(&mut conn, &entry).await?;
    }
    for image in super::components::seed_os_images() {
        crate::backend::sandbox::store::inventory::insert_os_image_if_absent(&mut conn, &image)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::version::KubeVersion;

    #[test]
    fn region_names_follow_the_regions() {
        let names: Vec<&str> = REGIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, REGION_NAMES);
    }

    #[test]
    fn the_seed_catalog_parses_and_names_valid_versions() {
        let seed: SeedFile = serde_json::from_str(SEED).expect("versions.json parses");
        assert!(seed.versions.len() >= 5);
        for version in &seed.versions {
            version
                .name
                .parse::<KubeVersion>()
                .expect("valid version name");
            assert!(version.available_cnis.contains(&"cilium".to_string()));
            if let (Some(deprecated), Some(eol)) = (version.deprecated_at, version.end_of_life_at) {
                assert!(
                    deprecated < eol,
                    "{} is deprecated before its end of life",
                    version.name
                );
            }
        }
    }

    #[test]
    fn node_types_are_matched_whatever_their_spelling() {
        assert_eq!(canonical_node_type("PRO2-XS"), Some("pro2_xs"));
        assert_eq!(canonical_node_type("pro2_xs"), Some("pro2_xs"));
        assert_eq!(canonical_node_type("H100-1-80G"), None);
    }

    #[test]
    fn cluster_types_only_move_up_within_their_family() {
        let from_shared: Vec<_> = available_types_from("kapsule")
            .iter()
            .map(|t| t.name)
            .collect();
        assert!(from_shared.contains(&"kapsule-dedicated-4"));
        assert!(!from_shared.contains(&"multicloud"));
        let from_dedicated: Vec<_> = available_types_from("kapsule-dedicated-8")
            .iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(from_dedicated, vec!["kapsule-dedicated-16"]);
    }
}

const PRICES: &str = include_str!("../../../data/prices.json");

/// The sandbox provider's list prices (a data file an operator may replace).
pub fn price_list() -> Option<crate::domain::model::ProviderPrices> {
    #[derive(serde::Deserialize)]
    struct File {
        about: String,
        currency: String,
        control_plane_per_hour: std::collections::BTreeMap<String, f64>,
        node_per_hour: std::collections::BTreeMap<String, f64>,
    }
    let file: File = serde_json::from_str(PRICES).ok()?;
    Some(crate::domain::model::ProviderPrices {
        currency: file.currency,
        about: file.about,
        control_plane_per_hour: file.control_plane_per_hour.into_iter().collect(),
        node_per_hour: file.node_per_hour.into_iter().collect(),
    })
}

#[cfg(test)]
mod price_tests {
    #[test]
    fn every_node_type_and_cluster_type_has_a_list_price() {
        let prices = super::price_list().expect("the price list parses");
        for node_type in super::NODE_TYPES {
            assert!(
                prices
                    .node_per_hour
                    .iter()
                    .any(|(name, _)| name == node_type),
                "{node_type}"
            );
        }
        for cluster_type in super::CLUSTER_TYPES {
            assert!(
                prices
                    .control_plane_per_hour
                    .iter()
                    .any(|(name, _)| name == cluster_type.name),
                "{}",
                cluster_type.name
            );
        }
    }
}
