//! What the console shows of an organization's audit log: a filtered page of entries, one
//! entry with its proof, and the filters as typed.

use serde::{Deserialize, Serialize};

/// The filters of the audit log, as typed in its form (and carried in its address).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilters {
    pub actor: String,
    pub action: String,
    pub target: String,
    /// `done`, `refused`, or empty for both.
    pub outcome: String,
    /// A date (YYYY-MM-DD) from its start, or empty.
    pub since: String,
    /// A date (YYYY-MM-DD) to its end, or empty.
    pub until: String,
}

impl AuditFilters {
    /// The filters as a query string (without `?`), only those set, for links that keep them
    /// (pages, exports).
    pub fn query(&self) -> String {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target", &self.target),
            ("outcome", &self.outcome),
            ("since", &self.since),
            ("until", &self.until),
        ]
        .into_iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(name, value)| format!("{name}={}", encode(value.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    pub fn is_empty(&self) -> bool {
        self.query().is_empty()
    }
}

/// Percent-encodes a query value (letters, digits and `-._~` stay).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// What loading an audit page found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditPage {
    Found(Box<AuditLogView>),
    /// No log the person may read (another organization's, or none of theirs).
    NotFound,
    SignedOut,
}

/// A page of an organization's log, as the person may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogView {
    pub organization_id: String,
    /// The organizations whose logs the person may read (to switch between them).
    pub organizations: Vec<String>,
    /// The projects whose entries are shown.
    pub projects: Vec<String>,
    /// When the view is a cluster's: its id (its entries only).
    pub cluster_id: Option<String>,
    pub rows: Vec<AuditRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub filters: AuditFilters,
    /// A filter that was refused: its field and why.
    pub problem: Option<(String, String)>,
    /// How many entries the latest signed checkpoint covers, if there is one.
    pub checkpointed: Option<i64>,
    /// The installation's signing key, by its id.
    pub key_id: String,
}

/// One entry in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub time: String,
    pub actor: String,
    pub interface: String,
    pub action: String,
    pub target: String,
    /// `done` or `refused`.
    pub outcome: String,
    pub reason: Option<String>,
}

/// What loading one entry found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditEntryPage {
    Found(Box<AuditEntryDetail>),
    NotFound,
    SignedOut,
}

/// One entry in full, with its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryDetail {
    pub organization_id: String,
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub reason: Option<String>,
    /// Where it came from: interface, address, user agent, request id (those known).
    pub source: Vec<(String, String)>,
    /// What it acted on: kind, id, project, cluster (those known).
    pub target: Vec<(String, String)>,
    /// The fields before and after, as indented JSON.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The entry exactly as hashed (RFC 8785 canonical JSON).
    pub canonical: String,
    pub leaf_hash: String,
    pub proof: Option<AuditProof>,
}

/// The entry's inclusion proof in the first signed checkpoint that covers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditProof {
    /// The checkpoint's tree size (it covers entries 0 to `tree_size - 1`).
    pub tree_size: i64,
    pub time: String,
    pub root_hash: String,
    pub key_id: String,
    /// The audit path, lowercase hex, from the leaf's sibling up.
    pub path: Vec<String>,
    /// Whether the server checked the signature and the path before showing them.
    pub verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_keep_only_what_was_typed_encoded() {
        let filters = AuditFilters {
            actor: " kim@example.com ".into(),
            action: "cluster".into(),
            outcome: String::new(),
            ..AuditFilters::default()
        };
        assert_eq!(filters.query(), "actor=kim%40example.com&action=cluster");
        assert!(AuditFilters::default().is_empty());
    }
}
