//! Reusable pieces of the console.

pub mod banner;
pub mod card;
pub mod confirm;
pub mod cost_estimate;
pub mod field;
pub mod hidden_fields;
pub mod icon;
pub mod layout;
pub mod live;
pub mod loaded;
pub mod status;
pub mod theme_toggle;
pub mod upgrade_progress;
