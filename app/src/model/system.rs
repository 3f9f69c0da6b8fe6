//! What the console shows about the running service itself.

use serde::{Deserialize, Serialize};

/// What anyone may know of the service: whether it answers, and its build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceHealth {
    pub version: String,
    pub database_reachable: bool,
}

/// What loading the system page found: only the provider's operators see the service's inside
/// (database location, migrations, the whole fleet's counts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SystemPage {
    Found(Box<SystemStatus>),
    /// Signed in, not an operator: the same answer as a page that does not exist.
    NotFound,
    SignedOut,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// The `wheelhouse` build that answered (crate version).
    pub version: String,
    /// "SQLite" or "PostgreSQL".
    pub database_kind: String,
    /// Where the data lives, without credentials (a file path or host/database).
    pub database_location: String,
    /// Whether the database answered a query just now.
    pub database_reachable: bool,
    /// Applied schema migrations, oldest first.
    pub migrations: Vec<AppliedMigration>,
    /// RFC 3339 time at which this process started serving.
    pub started_at: String,
    pub uptime_seconds: u64,
    /// What the sandbox provider is running; `None` when the database did not answer.
    pub provider: Option<ProviderSummary>,
}

/// Aggregate counts across all projects: what an operator needs to see the provider at work,
/// without any tenant's details.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSummary {
    /// (status, count), e.g. ("ready", 3).
    pub clusters: Vec<(String, i64)>,
    pub nodes: Vec<(String, i64)>,
    pub pending_operations: i64,
    pub failed_operations: i64,
}

impl ProviderSummary {
    pub fn total_clusters(&self) -> i64 {
        self.clusters.iter().map(|(_, count)| count).sum()
    }

    pub fn total_nodes(&self) -> i64 {
        self.nodes.iter().map(|(_, count)| count).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
    /// RFC 3339.
    pub installed_at: String,
}

/// "3 d 4 h", "12 min", "40 s": uptime as people read it.
pub fn human_duration(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match seconds {
        s if s >= DAY => format!("{} d {} h", s / DAY, (s % DAY) / HOUR),
        s if s >= HOUR => format!("{} h {} min", s / HOUR, (s % HOUR) / MINUTE),
        s if s >= MINUTE => format!("{} min", s / MINUTE),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn human_duration_uses_the_largest_sensible_units() {
        assert_eq!(human_duration(0), "0 s");
        assert_eq!(human_duration(59), "59 s");
        assert_eq!(human_duration(60), "1 min");
        assert_eq!(human_duration(3_599), "59 min");
        assert_eq!(human_duration(3_600 + 120), "1 h 2 min");
        assert_eq!(human_duration(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
    }
}
