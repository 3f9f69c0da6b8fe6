//! `wheelhouse audit …`: verify an export offline (no server, no database) or the live log,
//! export an organization's log, sign checkpoints now, print the public key. Exports and live
//! verifications are recorded in the log they read, as the operator's.

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::checkpoint::PublicKey;
use super::verify::{verify_export, Verified};
use crate::cli::{
    AuditCommand, AuditExportOptions, AuditVerifyOptions, DatabaseOptions, ExportFormat,
};
use crate::clock::SystemClock;
use crate::domain::change::{Change, Outcome, Target};
use crate::serve::{load_audit_key, prepare_database, StartError};
use crate::services::audit::{AuditLog, AuditQuery, WriterOut};

pub async fn run(command: AuditCommand) -> Result<(), StartError> {
    match command {
        AuditCommand::Verify(options) => verify(options).await,
        AuditCommand::Export(options) => export(options).await,
        AuditCommand::Checkpoint {
            organization,
            database,
        } => checkpoint(organization, database).await,
        AuditCommand::PublicKey { database } => {
            print!("{}", load_audit_key(&database)?.public().pem());
            Ok(())
        }
    }
}

async fn open(options: &DatabaseOptions) -> Result<AuditLog, StartError> {
    let database = prepare_database(&options.database_url).await?;
    Ok(AuditLog::new(
        database,
        Arc::new(SystemClock),
        load_audit_key(options)?,
    ))
}

/// A key given as a file's path (PEM or base64) or as base64 itself.
fn read_public_key(given: &str) -> Result<PublicKey, StartError> {
    let text = if Path::new(given).is_file() {
        std::fs::read_to_string(given).map_err(|error| {
            StartError::Invalid(format!("the public key {given} could not be read: {error}"))
        })?
    } else {
        given.to_string()
    };
    PublicKey::parse(&text).map_err(|error| StartError::Invalid(error.to_string()))
}

fn describe(verified: &Verified) -> String {
    let origin = if verified.key_pinned {
        "the given key"
    } else {
        "the key the export names (pass --public-key to check who signed it)"
    };
    format!(
        "OK: organization {}: {} entries ({}), {} checkpoints, the last over {} entries, signed by key {} ({origin})",
        verified.organization_id,
        verified.entries,
        verified.scope.as_str(),
        verified.checkpoints,
        verified.checkpointed,
        verified.key_id,
    )
}

async fn verify(options: AuditVerifyOptions) -> Result<(), StartError> {
    let pinned = match &options.public_key {
        Some(given) => Some(read_public_key(given)?),
        None => None,
    };
    if let Some(url) = &options.database_url {
        if options.export.is_some() {
            return Err(StartError::Invalid(
                "verify either an export or --database-url, not both".into(),
            ));
        }
        let database = DatabaseOptions {
            database_url: url.clone(),
            audit_key_file: options.audit_key_file.clone(),
        };
        return verify_live(&database, options.organization.as_deref(), pinned).await;
    }
    let Some(path) = options.export else {
        return Err(StartError::Invalid(
            "name an export to verify (or `-` for standard input), or --database-url".into(),
        ));
    };
    let verified = if path.as_os_str() == "-" {
        verify_export(std::io::stdin().lock(), pinned)
    } else {
        let file = std::fs::File::open(&path).map_err(|error| {
            StartError::Invalid(format!("{} could not be read: {error}", path.display()))
        })?;
        verify_export(BufReader::with_capacity(1 << 20, file), pinned)
    };
    match verified {
        Ok(verified) => {
            println!("{}", describe(&verified));
            Ok(())
        }
        Err(failure) => Err(StartError::Invalid(format!("FAILED: {failure}"))),
    }
}

async fn verify_live(
    options: &DatabaseOptions,
    organization: Option<&str>,
    pinned: Option<PublicKey>,
) -> Result<(), StartError> {
    let audit = open(options).await?;
    if let Some(pinned) = pinned {
        if pinned != audit.public_key() {
            return Err(StartError::Invalid(format!(
                "FAILED: the installation's key {} is not the given key {}",
                audit.public_key().key_id(),
                pinned.key_id()
            )));
        }
    }
    let organizations = match organization {
        Some(organization) => vec![organization.to_string()],
        None => audit
            .organizations()
            .await
            .map_err(|error| StartError::Invalid(error.to_string()))?,
    };
    let mut failed = Vec::new();
    for organization in &organizations {
        match audit.verify(organization).await {
            Ok(verified) => println!(
                "OK: organization {organization}: {} entries, {} checkpoints, {} entries not yet under a checkpoint",
                verified.entries,
                verified.checkpoints,
                verified.entries - verified.checkpointed
            ),
            Err(failure) => {
                println!("FAILED: organization {organization}: {failure}");
                failed.push(organization.clone());
            }
        }
    }
    audit.database().close().await;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(StartError::Invalid(format!(
            "the audit log of {} failed verification",
            failed.join(", ")
        )))
    }
}

async fn export(options: AuditExportOptions) -> Result<(), StartError> {
    let audit = open(&options.database).await?;
    let query = AuditQuery {
        actor: options.actor.clone(),
        action: options.action.clone(),
        target: options.target.clone(),
        cluster: options.cluster.clone(),
        outcome: options.outcome.clone(),
        since: options.since.clone(),
        until: options.until.clone(),
    };
    let format = match options.format {
        ExportFormat::Jsonl => "jsonl",
        ExportFormat::Csv => "csv",
    };
    let context = crate::cli::operator_context();
    let filter = query.filter();
    // The export is recorded (or its refusal) before a line is written.
    audit
        .record(&Change {
            actor: context.actor.clone(),
            source: context.source.clone(),
            action: "audit.export",
            target: Target {
                organization_id: options.organization.clone(),
                project_id: None,
                kind: "audit_log",
                id: options.organization.clone(),
                cluster_id: None,
            },
            before: None,
            after: Some(json!({ "format": format, "filter": query.shown() })),
            outcome: match &filter {
                Ok(_) => Outcome::Done,
                Err((_, reason)) => Outcome::Refused {
                    reason: reason.clone(),
                },
            },
        })
        .await
        .map_err(|error| StartError::Invalid(error.to_string()))?;
    let filter =
        filter.map_err(|(field, reason)| StartError::Invalid(format!("--{field}: {reason}")))?;
    let written = match &options.output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|error| {
                StartError::Invalid(format!("{} could not be written: {error}", path.display()))
            })?;
            write_export(&audit, &options.organization, &filter, &query, format, file).await
        }
        None => {
            write_export(
                &audit,
                &options.organization,
                &filter,
                &query,
                format,
                std::io::stdout(),
            )
            .await
        }
    }
    .map_err(|error| StartError::Invalid(error.to_string()))?;
    if options.output.is_some() {
        eprintln!("exported {written} entries");
    }
    audit.database().close().await;
    Ok(())
}

async fn write_export<W: std::io::Write + Send>(
    audit: &AuditLog,
    organization: &str,
    filter: &crate::store::audit::EntryFilter,
    query: &AuditQuery,
    format: &str,
    writer: W,
) -> Result<u64, crate::services::audit::AuditError> {
    let mut out = WriterOut::new(writer);
    if format == "csv" {
        audit.export_csv(organization, filter, &mut out).await
    } else {
        audit
            .export_jsonl(organization, filter, query.shown(), &mut out)
            .await
    }
}

async fn checkpoint(
    organization: Option<String>,
    options: DatabaseOptions,
) -> Result<(), StartError> {
    let audit = open(&options).await?;
    let organizations = match organization {
        Some(organization) => vec![organization],
        None => audit
            .organizations()
            .await
            .map_err(|error| StartError::Invalid(error.to_string()))?,
    };
    for organization in organizations {
        let signed = audit
            .checkpoint(&organization)
            .await
            .map_err(|error| StartError::Invalid(error.to_string()))?;
        println!("{}", crate::audit::export::checkpoint_line(&signed, None));
    }
    audit.database().close().await;
    Ok(())
}
