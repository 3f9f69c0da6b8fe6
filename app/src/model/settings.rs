//! The signed-in person's settings: their projects' API keys and members, new projects, and
//! their password.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub access_key: String,
    pub description: String,
    pub created_at: String,
}

/// A member of a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    /// owner, editor or viewer
    pub role: String,
    /// The signed-in person themselves.
    pub is_you: bool,
}

/// One project of the signed-in person: its API keys and its members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectSettings {
    pub project_id: String,
    pub project_name: String,
    /// The signed-in person's role in it.
    pub role: String,
    /// Owners and editors make and revoke keys.
    pub can_change: bool,
    /// Owners add members, change their roles and remove them.
    pub can_manage_members: bool,
    pub keys: Vec<KeyRow>,
    pub members: Vec<MemberRow>,
    /// Whether its viewers read its audit entries (owners and editors always do).
    pub audit_for_viewers: bool,
}

/// An organization in which the signed-in person may create projects (they own one of its
/// projects). Organizations have no names: the label lists their projects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub organization_id: String,
    pub label: String,
}

/// A key just made: its secret is shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewKey {
    pub access_key: String,
    pub secret_key: String,
    pub project_id: String,
}

/// An account made when an owner added someone new: its generated password is shown this once
/// to that owner, who passes it on (there is no mail server).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewMember {
    pub email: String,
    pub password: String,
    pub project_name: String,
}

/// What a form keeps for the session that posted it, for the next page to show once (never in
/// a URL: the redirect names it by an id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ShownOnce {
    ApiKey(NewKey),
    Member(NewMember),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsData {
    pub email: String,
    pub projects: Vec<ProjectSettings>,
    /// Where a new project may be created (empty: nowhere).
    pub organizations: Vec<OrganizationChoice>,
    pub new_key: Option<NewKey>,
    pub new_member: Option<NewMember>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SettingsPage {
    Ready(Box<SettingsData>),
    SignedOut,
}

/// The roles a member may have, most powerful first, with what each may do.
pub const ROLES: &[(&str, &str)] = &[
    ("owner", "Owner: everything, and manages members"),
    ("editor", "Editor: changes clusters and API keys"),
    ("viewer", "Viewer: looks, changes nothing"),
];

/// Why the settings page came back, from `notice` / `problem`.
pub fn settings_message(code: &str) -> Option<&'static str> {
    match code {
        "revoked" => {
            Some("The API key was revoked: requests signed with it are refused from now on.")
        }
        "confirm" => Some("Tick the confirmation box to go ahead."),
        "forbidden" => Some("Your role in this project lets you look, not change."),
        "owners-only" => {
            Some("Only the project's owners add, change or remove members: nothing was changed.")
        }
        "last-owner" => Some(
            "A project keeps at least one owner: make someone else an owner first. Nothing was changed.",
        ),
        "unknown-member" => Some("That person is not a member of this project (already removed?)."),
        "member-added" => Some("The person was added: they see the project when they next load a page."),
        "role-changed" => Some("The role was changed."),
        "member-removed" => Some("The member was removed: they no longer see this project."),
        "project-created" => Some("The project was created and you are its owner."),
        "audit-viewers-saved" => Some("Saved: who reads the project's audit log changes at once."),
        "invalid" => Some("Nothing was changed: see the message beside the field."),
        "description" => Some("A description has at most 200 characters."),
        "password-mismatch" => Some("The two new passwords differ: nothing was changed."),
        "password-short" => Some("A password has at least 12 characters: nothing was changed."),
        "password-wrong" => Some("The current password is not right: nothing was changed."),
        "unknown-key" => Some("That key is not in this project (already revoked?)."),
        _ => None,
    }
}
