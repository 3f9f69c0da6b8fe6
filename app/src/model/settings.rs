//! The signed-in person's settings: their projects' API keys, and their password.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub access_key: String,
    pub description: String,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectKeys {
    pub project_id: String,
    pub project_name: String,
    pub role: String,
    pub can_change: bool,
    pub keys: Vec<KeyRow>,
}

/// A key just made: its secret is shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewKey {
    pub access_key: String,
    pub secret_key: String,
    pub project_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsData {
    pub email: String,
    pub projects: Vec<ProjectKeys>,
    pub new_key: Option<NewKey>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SettingsPage {
    Ready(Box<SettingsData>),
    SignedOut,
}

pub const SETTINGS_PATH: &str = "/settings";

/// Why the settings page came back, from `notice` / `problem`.
pub fn settings_message(code: &str) -> Option<&'static str> {
    match code {
        "revoked" => {
            Some("The API key was revoked: requests signed with it are refused from now on.")
        }
        "confirm" => Some("Tick the confirmation box to go ahead."),
        "forbidden" => Some("Your role in this project lets you look, not change."),
        "description" => Some("A description has at most 200 characters."),
        "password-mismatch" => Some("The two new passwords differ: nothing was changed."),
        "password-short" => Some("A password has at least 12 characters: nothing was changed."),
        "password-wrong" => Some("The current password is not right: nothing was changed."),
        "unknown-key" => Some("That key is not in this project (already revoked?)."),
        _ => None,
    }
}
