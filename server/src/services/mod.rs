//! Wheelhouse's own services, above the provisioning port: identity (projects and API keys), the
//! provisioning service (tenancy over whichever provider is behind the port), the demo seed.
//! Each owns its tables; none reaches past the port.

pub mod alerts;
pub mod audit;
pub mod changes;
pub mod demo;
pub mod freshness;
pub mod identity;
pub mod maintenance;
pub mod provisioning;
pub mod restore;
pub mod upgrade;
