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
}

/// The signed-in person's clusters across their projects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub user: crate::model::identity::ConsoleUser,
    pub clusters: Vec<ClusterSummary>,
}
