//! Serde types shared by the server and the browser: no sqlx, no tokio, nothing server-only.

pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod clusters;
pub mod create;
pub mod identity;
pub mod settings;
pub mod system;
pub mod theme;
pub mod upgrade;
