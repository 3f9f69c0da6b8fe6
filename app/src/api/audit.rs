//! The audit log's screens: an organization's log (filtered, paged), a cluster's entries (its
//! Audit tab), one entry with its proof, and signing a checkpoint now.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::audit::{AuditEntryPage, AuditFilters, AuditPage};

#[server]
pub async fn get_audit_page(
    organization: Option<String>,
    filters: AuditFilters,
    page: i64,
) -> Result<AuditPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AuditConsole>()?;
    Ok(console
        .audit_page(&caller, organization.as_deref(), &filters, page)
        .await?)
}

#[server]
pub async fn get_cluster_audit(
    region: String,
    id: String,
    filters: AuditFilters,
    page: i64,
) -> Result<AuditPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AuditConsole>()?;
    Ok(console
        .cluster_audit(&caller, &region, &id, &filters, page)
        .await?)
}

#[server]
pub async fn get_audit_entry(
    organization: String,
    seq: String,
) -> Result<AuditEntryPage, ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AuditConsole>()?;
    Ok(console.audit_entry(&caller, &organization, &seq).await?)
}

/// Which log to checkpoint, and the page to come back to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointForm {
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub back: String,
}

#[server(prefix = "/console", endpoint = "audit/checkpoint")]
pub async fn sign_checkpoint(#[server(flatten)] form: CheckpointForm) -> Result<(), ServerFnError> {
    let (console, caller) = super::ssr::port_and_caller::<dyn ssr::AuditConsole>()?;
    super::ssr::answer(console.sign_checkpoint(&caller, form).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::api::ssr::{ConsoleCaller, ConsoleError, Done};

    #[async_trait::async_trait]
    pub trait AuditConsole: Send + Sync {
        /// A page of an organization's log (the person's first when none is named), as the
        /// person may see it; the read is recorded.
        async fn audit_page(
            &self,
            caller: &ConsoleCaller,
            organization: Option<&str>,
            filters: &AuditFilters,
            page: i64,
        ) -> Result<AuditPage, ConsoleError>;
        /// A page of a cluster's entries, for the people of its project.
        async fn cluster_audit(
            &self,
            caller: &ConsoleCaller,
            region: &str,
            id: &str,
            filters: &AuditFilters,
            page: i64,
        ) -> Result<AuditPage, ConsoleError>;
        /// One entry with its inclusion proof.
        async fn audit_entry(
            &self,
            caller: &ConsoleCaller,
            organization: &str,
            seq: &str,
        ) -> Result<AuditEntryPage, ConsoleError>;
        /// Signs a checkpoint of the organization's log now.
        async fn sign_checkpoint(
            &self,
            caller: &ConsoleCaller,
            form: CheckpointForm,
        ) -> Result<Done, ConsoleError>;
    }
}
