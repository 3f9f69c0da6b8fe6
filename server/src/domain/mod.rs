//! Wheelhouse's shared vocabulary: the types every layer speaks (clusters, pools, nodes,
//! versions, errors, request inputs, list orders). The rules live with whoever enforces them:
//! Wheelhouse's services above the provisioning port, the provider below it.

pub mod change;
pub mod error;
pub mod ids;
pub mod input;
pub mod listing;
pub mod model;
pub mod requests;
pub mod restore;
pub mod version;

pub use error::DomainError;
