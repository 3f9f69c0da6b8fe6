//! What the console shows of alerts: a cluster's (its Alerts tab) or an organization's (the
//! Alerts page), each with its owner, evidence and recommendation, and the silences in force.

use serde::{Deserialize, Serialize};

/// What loading an alerts page found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertsPage {
    Found(Box<AlertsView>),
    NotFound,
    SignedOut,
}

/// The states a listing may be narrowed to, as its filter offers them.
pub const STATES: &[(&str, &str)] = &[
    ("", "All"),
    ("firing", "Firing"),
    ("pending", "Pending"),
    ("silenced", "Silenced"),
    ("resolved", "Resolved"),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertsView {
    /// The cluster, when the view is a cluster's tab: region and id.
    pub cluster: Option<(String, String)>,
    /// The state shown (empty: all).
    pub state: String,
    pub alerts: Vec<AlertRow>,
    pub silences: Vec<SilenceRow>,
    /// The projects shown, by id, with their names and whether the person may acknowledge
    /// and silence there (owners and editors).
    pub projects: Vec<ProjectChoice>,
    /// The rules, for the silence form: id and title.
    pub rules: Vec<(String, String)>,
    /// Firing alerts (not silenced), by severity: critical, warning, info.
    pub firing: [usize; 3],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectChoice {
    pub id: String,
    pub name: String,
    pub may_act: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: String,
    pub rule: String,
    pub title: String,
    /// critical, warning or info.
    pub severity: String,
    /// provider or user.
    pub owner: String,
    /// pending, firing or resolved.
    pub state: String,
    pub silenced_by: Option<String>,
    pub project_id: String,
    pub project_name: String,
    /// The cluster's region, id and name (none for a project's alert).
    pub cluster: Option<(String, String, String)>,
    /// What it is about: `node worker-1`, `component coredns`, …
    pub target: String,
    pub summary: String,
    pub active_since: String,
    pub fired_at: Option<String>,
    pub resolved_at: Option<String>,
    pub evidence: Option<EvidenceView>,
    pub recommendation: RecommendationView,
    /// Who acknowledged it, when, and their note.
    pub acknowledgement: Option<(String, String, String)>,
    /// Whether the person may acknowledge it (an owner or editor of its project, still open,
    /// not yet acknowledged).
    pub may_acknowledge: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationView {
    pub text: String,
    pub console_path: Option<String>,
    pub command: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceView {
    pub collected_at: String,
    /// At, reason, object, message.
    pub events: Vec<(String, String, String, String)>,
    /// Condition type, status and reason/message, for a node.
    pub node_conditions: Vec<(String, String)>,
    /// Name, health, managed by.
    pub components: Vec<(String, String, String)>,
    /// The audit entries: seq (a link to the entry), at, actor, action, outcome, and the
    /// organization whose log holds them.
    pub audit_entries: Vec<(i64, String, String, String, String)>,
    pub organization_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceRow {
    pub id: String,
    pub project_name: String,
    /// Its matchers in words: `cluster shop-prod`, `rule node_not_ready`, `severity warning`.
    pub matchers: Vec<String>,
    pub reason: String,
    pub created_by: String,
    pub expires_at: String,
    pub may_end: bool,
}

/// Words for a notice or problem code an alerts form sends back.
pub fn alerts_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "acknowledged" => "The alert is acknowledged.",
        "silenced" => "The silence is in force.",
        "silence-ended" => "The silence has ended.",
        "checked" => "Every rule was checked on this cluster now.",
        "note-required" => "Say what is being done about it: a note is required.",
        "note-too-long" => "A note is at most 500 characters.",
        "already-acknowledged" => "This alert was already acknowledged.",
        "matchers-required" => "Name at least a cluster, a rule or a severity to silence.",
        "reason-required" => "Say why these alerts may be silent: a reason is required.",
        "reason-too-long" => "A reason is at most 500 characters.",
        "duration" => "A silence lasts from 1 hour to 30 days.",
        "silence-ended-already" => "This silence had already ended.",
        "not-allowed" => "Only the project's owners and editors may do this.",
        "unknown-cluster" => "No cluster of this project has this id.",
        "refused" => "This was refused; nothing changed.",
        _ => return None,
    })
}
