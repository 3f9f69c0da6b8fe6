//! One cluster as its detail pages show it: facts, responsibility matrix, pools, nodes, storage
//! and load balancers, access.

use serde::{Deserialize, Serialize};

use super::clusters::Lifecycle;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentRow {
    pub name: String,
    /// "Control plane", "System app" or "Node".
    pub kind: String,
    pub version: String,
    pub health: String,
    /// "Provider" or "You".
    pub managed_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub version: String,
    pub node_type: String,
    pub size: i64,
    pub autoscaling: Option<(i64, i64)>,
    pub autohealing: bool,
    /// The autoscaler's bounds, kept when autoscaling is off.
    pub min_size: i64,
    pub max_size: i64,
    pub max_surge: i64,
    pub max_unavailable: i64,
    /// "name=value" lines; any makes the kubelet the user's responsibility.
    pub kubelet_args: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeRow {
    pub id: String,
    pub name: String,
    pub pool: String,
    pub status: String,
    pub version: String,
    pub os_image: String,
    pub age_days: f64,
    /// The Ready condition: "True", "False" or "Unknown".
    pub ready: String,
    pub public_ip: Option<String>,
    /// Whether a reboot or a replacement can be asked for now (not in a transition).
    pub actionable: bool,
    /// "in 12 d", "overdue by 3 h"; `None` when its pool has no lifespan.
    pub expires: Option<String>,
    /// Why an overdue node still waits (the window, an upgrade, a PDB …).
    pub waiting: Option<String>,
    /// The image new nodes boot, when this node runs an older (outdated) one.
    pub newer_image: Option<String>,
}

/// A cluster's maintenance window, its pools' node lifespans, and the replacements ahead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Freshness {
    /// "every day 00:00–04:00 UTC".
    pub window: String,
    pub window_days: Vec<String>,
    pub window_start_hour: u32,
    pub window_duration_hours: u32,
    /// False while the default window applies.
    pub window_set: bool,
    pub window_open_now: bool,
    pub window_next_open: String,
    /// (pool id, pool name, lifespan in days or off)
    pub lifespans: Vec<(String, String, Option<u32>)>,
    /// (node, pool, from when, why), the next 30 days.
    pub planned: Vec<(String, String, String, String)>,
    /// (node, expired at, replaced at), newest first.
    pub replaced: Vec<(String, String, String)>,
    /// (id, "no node replacement from … until … (why)", in force now), soonest first.
    pub exclusions: Vec<(String, String, bool)>,
    /// Patch auto-upgrade: on or off, the newest patch, and why it does not start now.
    pub auto_upgrade: bool,
    pub next_patch: Option<String>,
    pub auto_upgrade_waiting: Option<String>,
    /// (when, what), the next 30 days in time order (the first 12).
    pub timeline: Vec<(String, String)>,
    /// (pool id, pool name, autohealing on, cap in percent)
    pub autohealing: Vec<(String, String, bool, u32)>,
    /// Why autohealing stopped for a pool (its cap was reached).
    pub autohealing_stopped: Vec<String>,
    /// "node-a NotReady since …, rebooted at …".
    pub unhealthy: Vec<String>,
}

/// The scopes a maintenance exclusion may have: (value, words).
pub const EXCLUSION_SCOPES: [(&str, &str); 3] = [
    (
        "no_node_replacement",
        "No node replacement (lifespan and upgrades)",
    ),
    ("no_upgrades", "No upgrades"),
    ("no_minor_upgrades", "No minor upgrades"),
];

/// The days a maintenance window may open on, in week order.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// What the console pre-fills as a pool's lifespan (the shared responsibility model's advice).
pub const RECOMMENDED_LIFESPAN_DAYS: u32 = 30;

/// "in 3 d", "in 5 h", "overdue by 2 h": how far `seconds` from now is.
pub fn expires_in(seconds: i64) -> String {
    let span = |s: i64| {
        if s >= 2 * 86_400 {
            format!("{} d", s / 86_400)
        } else if s >= 3_600 {
            format!("{} h", s / 3_600)
        } else {
            format!("{} min", (s / 60).max(1))
        }
    };
    if seconds > 0 {
        format!("in {}", span(seconds))
    } else {
        format!("overdue by {}", span(-seconds))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachedRow {
    pub id: String,
    pub name: String,
    pub status: String,
}

/// One rule of who may reach the cluster's API server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AclRow {
    pub id: String,
    /// An IP range (CIDR), or "Scaleway ranges".
    pub range: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterDetail {
    pub id: String,
    pub name: String,
    pub description: String,
    pub project: String,
    pub region: String,
    pub status: String,
    pub version: String,
    pub lifecycle: Lifecycle,
    pub cni: String,
    pub cluster_type: String,
    pub cluster_url: String,
    pub created_at: String,
    pub tags: Vec<String>,
    /// Owners and editors change things; viewers look.
    pub can_change: bool,
    /// The node types the provider offers new pools.
    pub node_types: Vec<String>,
    /// `None` when the provider does not report its components.
    pub components: Option<Vec<ComponentRow>>,
    pub pools: Vec<PoolRow>,
    pub nodes: Vec<NodeRow>,
    pub volumes: Option<Vec<AttachedRow>>,
    pub load_balancers: Option<Vec<AttachedRow>>,
    /// (range, description); the range is "Scaleway ranges" for that rule kind.
    pub acl_rules: Vec<AclRow>,
    /// The latest events, newest first; `None` when the provider does not report them.
    pub events: Option<Vec<EventRow>>,
    pub freshness: Freshness,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub at: String,
    pub object_kind: String,
    pub reason: String,
    pub message: String,
}

/// What loading a cluster's page found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ClusterPage {
    Found(Box<ClusterDetail>),
    /// Not the signed-in person's (or gone): the same answer either way.
    NotFound,
    SignedOut,
}

/// Whether a notice speaks of work under way ("the upgrade started"): it is shown only while the
/// cluster or one of its pools is still busy, so it does not outlive the work it announces.
pub fn announces_work_in_progress(code: &str) -> bool {
    matches!(
        code,
        "upgrade-started" | "rollback-started" | "pool-rollback-started"
    )
}

/// Why a form came back to the page, from its `notice` / `problem` query parameters.
pub fn action_message(code: &str) -> Option<&'static str> {
    match code {
        "rebooting" => Some("The node is rebooting."),
        "replacing" => Some("The node is being replaced: a new node boots, then the old one is drained and removed."),
        "confirm" => Some("Tick the confirmation box to go ahead."),
        "busy" => Some("That node or its pool is busy with another change; try again when it settles."),
        "forbidden" => Some("Your role in this project lets you look, not change."),
        "refused" => Some("The provider refused the action."),
        "saved" => Some("Saved."),
        "pool-added" => Some("The pool was added: its nodes are booting."),
        "resized" => Some("The pool is being resized."),
        "pool-settings-saved" => Some("The pool's settings were saved."),
        "kubelet-ack" => Some("Tick the box to take on the kubelet's arguments: nothing was saved."),
        "pool-deleting" => Some("The pool is being deleted: its nodes are drained and removed."),
        "typed-pool-name" => Some("The name typed does not match the pool's name: nothing was done."),
        "invalid" => Some("Nothing was saved: see the field below."),
        "typed-name" => Some("The name typed does not match the cluster's name: nothing was done."),
        "token-reset" => Some("The admin token was reset: kubeconfigs downloaded before no longer work; download a new one."),
        "deleting" => Some("The cluster is being deleted."),
        "upgrade-started" => Some("The upgrade started: the control plane first, then each pool in turn."),
        "no-go" => Some("The pre-flight says NO-GO: nothing was started. Fix what it shows, or (owners) give a written reason to override."),
        "override-owner" => Some("Only an owner of the project may override a NO-GO: nothing was started."),
        "bad-version" => Some("That version cannot be chosen for this cluster: nothing was started."),
        "reason-too-long" => Some("The reason is at most 1,000 characters: nothing was started."),
        "paused" => Some("The upgrade pauses after the current wave."),
        "resumed" => Some("The upgrade resumed."),
        "aborting" => Some("The upgrade stops after the current wave: nothing is left half-drained."),
        "not-rolling" => Some("No upgrade is rolling out on this cluster now."),
        "bad-soak" => Some("A soak period lasts 0 to 7 days and applies to minor upgrades only: nothing was started."),
        "rollback-started" => Some("The rollback started: the pools first, then the control plane."),
        "pool-rollback-started" => Some("The pool is going back to the previous version, wave by wave."),
        "no-rollback" => Some("That rollback may not happen now (see why below): nothing was started."),
        "rollback-no-go" => Some("The rollback pre-flight says NO-GO: nothing was started. Fix what it shows, or (owners) give a written reason to override."),
        "window-saved" => Some("The maintenance window was saved."),
        "exclusion-added" => Some("The exclusion was added: what it holds waits until it ends."),
        "exclusion-removed" => Some("The exclusion was removed."),
        "auto-upgrade-on" => Some("Patch auto-upgrade is on: new patches are applied in the window, after their pre-flight."),
        "auto-upgrade-off" => Some("Patch auto-upgrade is off."),
        "autohealing-saved" => Some("Autohealing was saved."),
        "lifespan-saved" => Some("The pool's node lifespan was saved: the preview below shows what it replaces and when."),
        "acl-added" => Some("The ACL rule was added: the API server answers that range too."),
        "acl-deleted" => Some("The ACL rule was deleted."),
        "over-quota" => Some("The project's node quota leaves no room for the upgrade's surge nodes: nothing was started."),
        _ => None,
    }
}
