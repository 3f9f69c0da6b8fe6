//! The sandbox provider's tables: plain sqlx queries, one module per aggregate.

pub mod certificates;
pub mod clusters;
pub mod events;
pub mod external_nodes;
pub mod holds;
pub mod inventory;
pub mod nodes;
pub mod operations;
pub mod pools;
pub mod snapshots;
pub mod versions;
