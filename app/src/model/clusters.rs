//! The dashboard's view of clusters: what a cluster owner scans first.

use serde::{Deserialize, Serialize};

/// Where a Kubernetes version stands in its support life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lifecycle {
    Supported,
    /// Deprecated: still supported until its end of support, in this many days.
    Deprecated {
        days_left: i64,
    },
    EndOfLife,
    /// Not in the provider's catalog.
    Unknown,
}

impl Lifecycle {
    pub fn label(&self) -> String {
        match self {
            Lifecycle::Supported => "Supported".into(),
            Lifecycle::Deprecated { days_left } if *days_left <= 0 => "End of support today".into(),
            Lifecycle::Deprecated { days_left: 1 } => "End of support in 1 day".into(),
            Lifecycle::Deprecated { days_left } => format!("End of support in {days_left} days"),
            Lifecycle::EndOfLife => "End of life".into(),
            Lifecycle::Unknown => "Unknown version".into(),
        }
    }
}

/// Node ages in days, as a spread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgeSpread {
    pub oldest_days: f64,
    pub median_days: f64,
    pub newest_days: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub id: String,
    pub name: String,
    pub project: String,
    pub region: String,
    pub status: String,
    pub version: String,
    pub lifecycle: Lifecycle,
    pub ready_nodes: usize,
    pub total_nodes: usize,
    pub pools: usize,
    pub node_ages: Option<AgeSpread>,
    /// Alerts firing now (not silenced).
    pub firing_alerts: i64,
}

/// What the dashboard's filters ask for (empty = any).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardFilters {
    pub project: Option<String>,
    pub status: Option<String>,
    pub version: Option<String>,
    /// From 1.
    pub page: usize,
}

/// Clusters shown per dashboard page.
pub const PAGE_SIZE: usize = 20;

/// The signed-in person's clusters across their projects: one page of those the filters keep,
/// the choices the filters offer, and charts over all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub user: crate::model::identity::ConsoleUser,
    pub clusters: Vec<ClusterSummary>,
    pub filters: DashboardFilters,
    /// How many clusters the filters keep (all pages).
    pub matching: usize,
    /// How many clusters the person has in all.
    pub total: usize,
    pub project_choices: Vec<String>,
    pub status_choices: Vec<String>,
    pub version_choices: Vec<String>,
    /// (version, clusters on it), over all clusters.
    pub versions_in_use: Vec<(String, usize)>,
    /// (age bucket, nodes in it), over all nodes.
    pub node_ages: Vec<(String, usize)>,
}

/// The node-age buckets of the histogram: (label, up to this many days).
pub const AGE_BUCKETS: &[(&str, f64)] = &[
    ("under 1 day", 1.0),
    ("1–7 days", 7.0),
    ("7–14 days", 14.0),
    ("14–30 days", 30.0),
    ("over 30 days", f64::INFINITY),
];

/// Keeps the clusters the filters ask for.
pub fn matches(cluster: &ClusterSummary, filters: &DashboardFilters) -> bool {
    filters
        .project
        .as_ref()
        .is_none_or(|p| &cluster.project == p)
        && filters.status.as_ref().is_none_or(|s| &cluster.status == s)
        && filters
            .version
            .as_ref()
            .is_none_or(|v| &cluster.version == v)
}
