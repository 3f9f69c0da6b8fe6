//! The audit log service: appends each change to its organization's log inside the
//! transaction that makes the change (see [`crate::services::changes`]; refusals in one of
//! their own), signs checkpoints with the installation's key (on demand, after every provider
//! operator's action, and hourly for every log that grew), and reads the log back: pages of
//! entries for people allowed to see them, an entry with its inclusion proof, exports (JSON
//! Lines with checkpoints and proofs, or CSV) and the live log's verification.

use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::AnyConnection;

use crate::audit::checkpoint::{AuditKey, Checkpoint, PublicKey, SignedCheckpoint};
use crate::audit::entry::{canonical_text, entry_leaf, entry_value, format_time};
use crate::audit::export::{checkpoint_line, end_line, entry_line, header_line, Line, Scope};
use crate::audit::merkle::{decode_hash, Frontier, Hash, Levels};
use crate::audit::verify::{Failure, Problem, Reading, Verified, Verifier};
use crate::clock::SharedClock;
use crate::domain::change::{Actor, Change, Outcome};
use crate::store::audit::{self as store, CheckpointRow, EntryFilter, EntryRow, NewEntry};
use crate::store::rows::{millis, time};
use crate::store::Database;

/// How many entries an export reads from the database at a time (its memory stays flat).
const EXPORT_BATCH: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit log could not be read or written: {0}")]
    Store(#[from] sqlx::Error),
    #[error("the audit log's stored state is unreadable: {0}")]
    Corrupt(String),
    #[error("no such entry")]
    NotFound,
    #[error("the export could not be written: {0}")]
    Write(#[from] std::io::Error),
}

/// An entry that cannot be written refuses the change it records, as the store failing.
impl From<AuditError> for crate::store::StoreError {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::Store(error) => error.into(),
            other => sqlx::Error::Protocol(other.to_string()).into(),
        }
    }
}

impl From<AuditError> for crate::domain::DomainError {
    fn from(error: AuditError) -> Self {
        crate::domain::DomainError::Store(error.into())
    }
}

/// Who reads a log, and which of its entries they may see: a project's API key its project's;
/// a person the projects where they are an owner or an editor, or a viewer while the project
/// lets viewers read it; the provider's operators everything. Others find no log at all.
#[derive(Clone, Debug)]
pub struct Reader {
    pub organization_id: String,
    /// `None`: every entry of the organization.
    pub projects: Option<Vec<String>>,
    pub actor: Actor,
    pub source: crate::domain::change::Source,
}

impl Reader {
    /// The reader's view of the entries `query` selects.
    fn filter(&self, query: &AuditQuery) -> Result<EntryFilter, (&'static str, String)> {
        let mut filter = query.filter()?;
        filter.projects = self.projects.clone();
        // Entries outside any project (people's own changes, the organization's) are for
        // whoever sees the whole organization.
        filter.unscoped = self.projects.is_none();
        Ok(filter)
    }

    /// Records the reader's read or export of the log (or its refusal), as the issue of
    /// evidence asks: who looked at the evidence is evidence too.
    fn change(&self, action: &'static str, detail: Value, refused: Option<String>) -> Change {
        Change {
            actor: self.actor.clone(),
            source: self.source.clone(),
            action,
            target: crate::domain::change::Target {
                organization_id: self.organization_id.clone(),
                project_id: self
                    .projects
                    .as_ref()
                    .filter(|projects| projects.len() == 1)
                    .map(|projects| projects[0].clone()),
                kind: "audit_log",
                id: self.organization_id.clone(),
                cluster_id: None,
            },
            before: None,
            after: Some(detail),
            outcome: match refused {
                None => Outcome::Done,
                Some(reason) => Outcome::Refused { reason },
            },
        }
    }
}

/// Why a read of the log was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// A reader's filter as typed (a console form, an API query, command-line flags), before it
/// is checked; empty fields select everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub cluster: Option<String>,
    pub outcome: Option<String>,
    /// RFC 3339, or a date (from its start).
    pub since: Option<String>,
    /// RFC 3339, or a date (to its end).
    pub until: Option<String>,
}

impl AuditQuery {
    /// The filter, or why a field is wrong (naming it).
    pub fn filter(&self) -> Result<EntryFilter, (&'static str, String)> {
        let text = |field: &Option<String>| {
            field
                .as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        let outcome = text(&self.outcome);
        if let Some(outcome) = &outcome {
            if outcome != "done" && outcome != "refused" {
                return Err(("outcome", "the outcome is done or refused".into()));
            }
        }
        let since = match text(&self.since) {
            Some(since) => Some(parse_time(&since, false).ok_or((
                "since",
                format!("`{since}` is not a time: use 2026-11-01 or 2026-11-01T08:00:00Z"),
            ))?),
            None => None,
        };
        let until = match text(&self.until) {
            Some(until) => Some(parse_time(&until, true).ok_or((
                "until",
                format!("`{until}` is not a time: use 2026-11-01 or 2026-11-01T08:00:00Z"),
            ))?),
            None => None,
        };
        if let (Some(since), Some(until)) = (since, until) {
            if until <= since {
                return Err((
                    "until",
                    "the end of the range comes before its start".into(),
                ));
            }
        }
        for (name, field) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target", &self.target),
            ("cluster", &self.cluster),
        ] {
            if field
                .as_deref()
                .is_some_and(|text| text.chars().count() > 200)
            {
                return Err((
                    name,
                    format!("the {name} filter has at most 200 characters"),
                ));
            }
        }
        Ok(EntryFilter {
            projects: None,
            unscoped: true,
            cluster_id: text(&self.cluster),
            actor: text(&self.actor),
            action: text(&self.action),
            target: text(&self.target),
            outcome,
            from_ms: since,
            to_ms: until,
        })
    }

    /// The filter as an export's header shows it (only what was set).
    pub fn shown(&self) -> Value {
        let mut shown = serde_json::Map::new();
        for (name, field) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target", &self.target),
            ("cluster", &self.cluster),
            ("outcome", &self.outcome),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(text) = field.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                shown.insert(name.into(), Value::from(text));
            }
        }
        Value::Object(shown)
    }
}

/// A time as filters take it, in unix milliseconds: RFC 3339, or a date (its start; with
/// `end_of_day`, the start of the next day, so "until 2026-11-01" includes that day).
fn parse_time(text: &str, end_of_day: bool) -> Option<i64> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_millis());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let date = if end_of_day { date.succ_opt()? } else { date };
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Where an export goes: lines are written to a buffer, handed on after each batch, so an
/// export of any length streams in bounded memory (to a file, or to an HTTP response).
#[async_trait::async_trait]
pub trait ExportOut: Send {
    fn buffer(&mut self) -> &mut Vec<u8>;
    /// Hands the buffer's content on and empties it.
    async fn flush(&mut self) -> std::io::Result<()>;
}

/// An export to a writer (a file, standard output).
pub struct WriterOut<W: std::io::Write + Send> {
    buffer: Vec<u8>,
    writer: W,
}

impl<W: std::io::Write + Send> WriterOut<W> {
    pub fn new(writer: W) -> WriterOut<W> {
        WriterOut {
            buffer: Vec::new(),
            writer,
        }
    }

    /// The writer, once the export is written (and flushed).
    pub fn into_inner(self) -> W {
        self.writer
    }
}

#[async_trait::async_trait]
impl<W: std::io::Write + Send> ExportOut for WriterOut<W> {
    fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        self.writer.write_all(&self.buffer)?;
        self.buffer.clear();
        self.writer.flush()
    }
}

/// An export streamed as an HTTP body: each batch is one chunk; a reader that went away
/// ends the export.
pub struct ChannelOut {
    buffer: Vec<u8>,
    sender: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
}

impl ChannelOut {
    pub fn new(sender: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>) -> ChannelOut {
        ChannelOut {
            buffer: Vec::new(),
            sender,
        }
    }
}

#[async_trait::async_trait]
impl ExportOut for ChannelOut {
    fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buffer);
        self.sender
            .send(Ok(chunk))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader left"))
    }
}

/// The installation's audit log.
#[derive(Clone)]
pub struct AuditLog {
    database: Database,
    clock: SharedClock,
    key: Arc<AuditKey>,
}

/// An entry appended: its place in its organization's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub organization_id: String,
    pub seq: u64,
}

/// An entry as the console and the API show it, with the checkpoint that proves it (if one
/// covers it yet).
pub struct ProvenEntry {
    pub entry: EntryRow,
    pub checkpoint: Option<SignedCheckpoint>,
    /// The audit path in the checkpoint's tree, verified before it is shown.
    pub proof: Vec<Hash>,
    pub verified: bool,
}

impl AuditLog {
    pub fn new(database: Database, clock: SharedClock, key: AuditKey) -> AuditLog {
        AuditLog {
            database,
            clock,
            key: Arc::new(key),
        }
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// Appends `change` to its organization's log inside the caller's transaction: if the
    /// transaction does not commit, neither entry nor change exists. A provider operator's
    /// action is followed by a signed checkpoint in the same transaction.
    pub async fn append(
        &self,
        conn: &mut AnyConnection,
        change: &Change,
    ) -> Result<Appended, AuditError> {
        let organization_id = change.target.organization_id.as_str();
        let head = store::lock_head(conn, organization_id).await?;
        let mut frontier = Frontier::decode(&head.frontier)
            .filter(|frontier| frontier.size() == head.size as u64)
            .ok_or_else(|| AuditError::Corrupt(format!("the head of {organization_id}")))?;
        let seq = frontier.size();
        let now = self.clock.now();
        let value = entry_value(seq, now, change);
        let text = canonical_text(&value);
        let leaf = entry_leaf(&value);
        frontier.push(leaf);
        let (actor_kind, actor) = actor_columns(&change.actor);
        store::append(
            conn,
            &NewEntry {
                organization_id,
                seq: seq as i64,
                time_ms: millis(now),
                project_id: change.target.project_id.as_deref(),
                cluster_id: change.target.cluster_id.as_deref(),
                actor: &actor,
                actor_kind,
                interface: interface_name(&value),
                action: change.action,
                target_kind: change.target.kind,
                target_id: &change.target.id,
                outcome: match change.outcome {
                    Outcome::Done => "done",
                    Outcome::Refused { .. } => "refused",
                },
                entry: &text,
                leaf_hash: &hex::encode(leaf),
            },
            &frontier.encode(),
        )
        .await?;
        if matches!(change.actor, Actor::Operator { .. }) {
            self.sign(conn, organization_id, &frontier, now).await?;
        }
        Ok(Appended {
            organization_id: organization_id.to_string(),
            seq,
        })
    }

    /// Appends `change` in a transaction of its own (a refusal, or a change whose own writes
    /// are elsewhere).
    pub async fn record(&self, change: &Change) -> Result<Appended, AuditError> {
        let mut transaction = self.database.begin().await?;
        let appended = self.append(&mut transaction, change).await?;
        transaction.commit().await?;
        Ok(appended)
    }

    async fn sign(
        &self,
        conn: &mut AnyConnection,
        organization_id: &str,
        frontier: &Frontier,
        now: DateTime<Utc>,
    ) -> Result<SignedCheckpoint, AuditError> {
        let signed = self.key.sign(Checkpoint {
            organization_id: organization_id.to_string(),
            tree_size: frontier.size(),
            root_hash: frontier.root(),
            time: now,
            key_id: self.key.public().key_id(),
        });
        store::insert_checkpoint(
            conn,
            organization_id,
            &hex::encode(signed.checkpoint.root_hash),
            &signed.checkpoint.key_id,
            &CheckpointRow {
                tree_size: signed.checkpoint.tree_size as i64,
                time_ms: millis(now),
                body: canonical_text(&signed.checkpoint.body()),
                signature: signed.signature_base64(),
            },
        )
        .await?;
        Ok(signed)
    }

    /// A signed checkpoint of the organization's log as it is now: a new one if the log grew
    /// since the last, else the last.
    pub async fn checkpoint(&self, organization_id: &str) -> Result<SignedCheckpoint, AuditError> {
        let mut transaction = self.database.begin().await?;
        let head = store::lock_head(&mut transaction, organization_id).await?;
        if let Some(last) = store::latest_checkpoint(&mut transaction, organization_id).await? {
            if last.tree_size == head.size {
                transaction.commit().await?;
                return stored_checkpoint(&last);
            }
        }
        let frontier = Frontier::decode(&head.frontier)
            .ok_or_else(|| AuditError::Corrupt(format!("the head of {organization_id}")))?;
        let signed = self
            .sign(
                &mut transaction,
                organization_id,
                &frontier,
                self.clock.now(),
            )
            .await?;
        transaction.commit().await?;
        Ok(signed)
    }

    /// The organization's latest signed checkpoint, if it has one.
    pub async fn latest_checkpoint(
        &self,
        organization_id: &str,
    ) -> Result<Option<SignedCheckpoint>, AuditError> {
        let mut conn = self.database.pool().acquire().await?;
        store::latest_checkpoint(&mut conn, organization_id)
            .await?
            .as_ref()
            .map(stored_checkpoint)
            .transpose()
    }

    /// The hourly pass: a checkpoint of every log that grew since its last.
    pub async fn checkpoint_grown(&self) -> Result<usize, AuditError> {
        let mut conn = self.database.pool().acquire().await?;
        let grown = store::unchecked(&mut conn).await?;
        drop(conn);
        for organization_id in &grown {
            self.checkpoint(organization_id).await?;
        }
        Ok(grown.len())
    }

    /// Checkpoints every grown log each `every`, until `stop`; the first pass waits one
    /// interval (a server that starts has nothing new to sign).
    pub async fn run_until(
        self,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(every) => {}
            }
            match self.checkpoint_grown().await {
                Ok(0) => {}
                Ok(signed) => tracing::info!(logs = signed, "audit checkpoints signed"),
                Err(error) => tracing::warn!(%error, "the audit checkpoint pass failed"),
            }
        }
    }

    /// A page of the entries the reader may see and asked for, newest first, and how many
    /// match; the read is recorded.
    pub async fn read_page(
        &self,
        reader: &Reader,
        query: &AuditQuery,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<EntryRow>, i64), ReadError> {
        let filter = self.checked(reader, "audit.read", query).await?;
        let rows = self
            .page(&reader.organization_id, &filter, page, per_page)
            .await?;
        self.record(&reader.change(
            "audit.read",
            json!({ "filter": query.shown(), "page": page }),
            None,
        ))
        .await?;
        Ok(rows)
    }

    /// One entry the reader may see, with its proof; the read is recorded.
    pub async fn read_entry(&self, reader: &Reader, seq: i64) -> Result<ProvenEntry, ReadError> {
        let filter = reader
            .filter(&AuditQuery::default())
            .map_err(|(field, reason)| ReadError::Invalid(field, reason))?;
        let entry = self
            .proven_entry(&reader.organization_id, &filter, seq)
            .await?;
        self.record(&reader.change("audit.read", json!({ "seq": seq }), None))
            .await?;
        Ok(entry)
    }

    /// Exports what the reader may see and asked for (JSON Lines or CSV); the export is
    /// recorded before a line is written. A reader who sees the whole organization with no
    /// filter gets a complete export.
    pub async fn export_for(
        &self,
        reader: &Reader,
        query: &AuditQuery,
        csv: bool,
        out: &mut dyn ExportOut,
    ) -> Result<u64, ReadError> {
        let filter = self.checked(reader, "audit.export", query).await?;
        let format = if csv { "csv" } else { "jsonl" };
        self.record(&reader.change(
            "audit.export",
            json!({ "filter": query.shown(), "format": format }),
            None,
        ))
        .await?;
        let written = if csv {
            self.export_csv(&reader.organization_id, &filter, out)
                .await?
        } else {
            self.export_jsonl(&reader.organization_id, &filter, query.shown(), out)
                .await?
        };
        Ok(written)
    }

    /// The reader's filter, or the refusal of a bad one (recorded).
    async fn checked(
        &self,
        reader: &Reader,
        action: &'static str,
        query: &AuditQuery,
    ) -> Result<EntryFilter, ReadError> {
        match reader.filter(query) {
            Ok(filter) => Ok(filter),
            Err((field, reason)) => {
                self.record(&reader.change(
                    action,
                    json!({ "filter": query.shown() }),
                    Some(reason.clone()),
                ))
                .await?;
                Err(ReadError::Invalid(field, reason))
            }
        }
    }

    /// Which of a person's projects they may read the entries of: those where they change
    /// things (owners, editors), and those they view while the project lets viewers read it.
    pub async fn readable_projects(
        &self,
        projects: &[crate::services::identity::ProjectAccess],
    ) -> Result<Vec<crate::services::identity::ProjectAccess>, AuditError> {
        let viewed: Vec<String> = projects
            .iter()
            .filter(|access| !access.role.can_change())
            .map(|access| access.project_id.clone())
            .collect();
        let mut conn = self.database.pool().acquire().await?;
        let open = store::open_to_viewers(&mut conn, &viewed).await?;
        Ok(projects
            .iter()
            .filter(|access| access.role.can_change() || open.contains(&access.project_id))
            .cloned()
            .collect())
    }

    /// Every organization that has a log.
    pub async fn organizations(&self) -> Result<Vec<String>, AuditError> {
        let mut conn = self.database.pool().acquire().await?;
        Ok(store::organizations(&mut conn).await?)
    }

    /// A page (from 1) of the entries `filter` selects, newest first, and how many match.
    pub async fn page(
        &self,
        organization_id: &str,
        filter: &EntryFilter,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<EntryRow>, i64), AuditError> {
        let mut conn = self.database.pool().acquire().await?;
        let total = store::count(&mut conn, organization_id, filter).await?;
        let offset = (page.max(1) - 1) * per_page;
        let rows =
            store::newest_first(&mut conn, organization_id, filter, per_page, offset).await?;
        Ok((rows, total))
    }

    /// One entry the filter lets the reader see, with its proof in the first checkpoint that
    /// covers it, checked here before it is shown.
    pub async fn proven_entry(
        &self,
        organization_id: &str,
        filter: &EntryFilter,
        seq: i64,
    ) -> Result<ProvenEntry, AuditError> {
        let mut conn = self.database.pool().acquire().await?;
        // Whether the reader may see it is the filter's projects; its time does not matter.
        let mut only = filter.clone();
        only.from_ms = None;
        only.to_ms = None;
        let rows = store::batch(&mut conn, organization_id, &only, seq - 1, seq + 1, 1).await?;
        let entry = rows.into_iter().next().ok_or(AuditError::NotFound)?;
        let Some(row) = store::checkpoint_covering(&mut conn, organization_id, seq).await? else {
            return Ok(ProvenEntry {
                entry,
                checkpoint: None,
                proof: Vec::new(),
                verified: false,
            });
        };
        let checkpoint = stored_checkpoint(&row)?;
        let levels = levels(&mut conn, organization_id, row.tree_size).await?;
        let proof = levels.inclusion_proof(seq as usize, row.tree_size as usize);
        let leaf = crate::audit::merkle::leaf_hash(entry.entry.as_bytes());
        let verified = self.key.public().verifies(&checkpoint)
            && crate::audit::merkle::verify_inclusion(
                &leaf,
                seq as u64,
                checkpoint.checkpoint.tree_size,
                &proof,
                &checkpoint.checkpoint.root_hash,
            );
        Ok(ProvenEntry {
            entry,
            checkpoint: Some(checkpoint),
            proof,
            verified,
        })
    }

    /// Writes an export of the organization's log as JSON Lines to `out`. With no filter it is
    /// complete (every entry from the first, each checkpoint after the entry that completes it,
    /// consistency proofs between them); with one, each selected entry carries its inclusion
    /// proof in a checkpoint taken now. Reads in batches, so memory stays flat however long the
    /// log. Returns how many entries were written.
    pub async fn export_jsonl(
        &self,
        organization_id: &str,
        filter: &EntryFilter,
        filter_shown: Value,
        out: &mut dyn ExportOut,
    ) -> Result<u64, AuditError> {
        let last = self.checkpoint(organization_id).await?;
        let size = last.checkpoint.tree_size as i64;
        let complete = is_complete(filter);
        let scope = if complete {
            Scope::Complete
        } else {
            Scope::Filtered
        };
        writeln!(
            out.buffer(),
            "{}",
            header_line(
                organization_id,
                &format_time(self.clock.now()),
                &self.key.public(),
                scope,
                filter_shown,
            )
        )?;
        let mut conn = self.database.pool().acquire().await?;
        let (written, checkpoints) = if complete {
            self.write_complete(&mut conn, organization_id, size, out)
                .await?
        } else {
            let levels = levels(&mut conn, organization_id, size).await?;
            let mut written = 0;
            let mut after = -1;
            loop {
                let rows = store::batch(
                    &mut conn,
                    organization_id,
                    filter,
                    after,
                    size,
                    EXPORT_BATCH,
                )
                .await?;
                let Some(last_row) = rows.last() else { break };
                after = last_row.seq;
                for row in &rows {
                    let leaf = stored_leaf(row)?;
                    let path = levels.inclusion_proof(row.seq as usize, size as usize);
                    writeln!(
                        out.buffer(),
                        "{}",
                        entry_line(&row.entry, &leaf, Some((size as u64, &path)))
                    )?;
                    written += 1;
                }
                out.flush().await?;
            }
            writeln!(out.buffer(), "{}", checkpoint_line(&last, None))?;
            (written, 1)
        };
        writeln!(out.buffer(), "{}", end_line(written, checkpoints))?;
        out.flush().await?;
        Ok(written)
    }

    async fn write_complete(
        &self,
        conn: &mut AnyConnection,
        organization_id: &str,
        size: i64,
        out: &mut dyn ExportOut,
    ) -> Result<(u64, u64), AuditError> {
        let checkpoints: Vec<CheckpointRow> = store::checkpoints(conn, organization_id)
            .await?
            .into_iter()
            .filter(|row| row.tree_size <= size)
            .collect();
        // Consistency proofs need the subtrees of each later tree: the recorded leaf hashes are
        // read once into the tree's levels (about 64 bytes an entry).
        let levels = levels(conn, organization_id, size).await?;
        let mut pending = checkpoints.iter().peekable();
        let mut previous: Option<i64> = None;
        let mut written_checkpoints = 0;
        let mut write_due = |upto: i64, out: &mut dyn ExportOut| -> Result<(), AuditError> {
            while let Some(row) = pending.next_if(|row| row.tree_size == upto) {
                let signed = stored_checkpoint(row)?;
                let proof = previous
                    .map(|from| levels.consistency_proof(from as usize, row.tree_size as usize));
                writeln!(
                    out.buffer(),
                    "{}",
                    checkpoint_line(&signed, proof.as_deref())
                )?;
                previous = Some(row.tree_size);
                written_checkpoints += 1;
            }
            Ok(())
        };
        write_due(0, out)?;
        let everything = EntryFilter::default();
        let mut after = -1;
        let mut written = 0u64;
        loop {
            let rows = store::batch(
                conn,
                organization_id,
                &everything,
                after,
                size,
                EXPORT_BATCH,
            )
            .await?;
            let Some(last_row) = rows.last() else { break };
            after = last_row.seq;
            for row in &rows {
                writeln!(
                    out.buffer(),
                    "{}",
                    entry_line(&row.entry, &stored_leaf(row)?, None)
                )?;
                written += 1;
                write_due(row.seq + 1, out)?;
            }
            out.flush().await?;
        }
        Ok((written, written_checkpoints))
    }

    /// Writes the selected entries as CSV (for spreadsheets; the JSON Lines export is the one
    /// that proves itself). Returns how many entries were written.
    pub async fn export_csv(
        &self,
        organization_id: &str,
        filter: &EntryFilter,
        out: &mut dyn ExportOut,
    ) -> Result<u64, AuditError> {
        let mut conn = self.database.pool().acquire().await?;
        let mut header = csv::Writer::from_writer(Vec::new());
        header
            .write_record([
                "seq",
                "time",
                "actor",
                "interface",
                "action",
                "target_kind",
                "target_id",
                "outcome",
                "reason",
                "before",
                "after",
            ])
            .map_err(csv_error)?;
        out.buffer().append(
            &mut header
                .into_inner()
                .map_err(|error| csv_error(error.into_error().into()))?,
        );
        let mut after = -1;
        let mut written = 0;
        loop {
            let rows = store::batch(
                &mut conn,
                organization_id,
                filter,
                after,
                i64::MAX,
                EXPORT_BATCH,
            )
            .await?;
            let Some(last_row) = rows.last() else { break };
            after = last_row.seq;
            let mut writer = csv::Writer::from_writer(Vec::new());
            for row in &rows {
                let value: Value = serde_json::from_str(&row.entry)
                    .map_err(|error| AuditError::Corrupt(error.to_string()))?;
                let field = |name: &str| match value.get(name) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                };
                writer
                    .write_record([
                        row.seq.to_string(),
                        format_time(time(row.time_ms)),
                        row.actor.clone(),
                        row.interface.clone(),
                        row.action.clone(),
                        row.target_kind.clone(),
                        row.target_id.clone(),
                        row.outcome.clone(),
                        field("reason"),
                        field("before"),
                        field("after"),
                    ])
                    .map_err(csv_error)?;
                written += 1;
            }
            out.buffer().append(
                &mut writer
                    .into_inner()
                    .map_err(|error| csv_error(error.into_error().into()))?,
            );
            out.flush().await?;
        }
        out.flush().await?;
        Ok(written)
    }

    /// Verifies the organization's live log as an export would be: every checkpoint's
    /// signature, that the entries rebuild each root, and each entry against its recorded
    /// leaf; entries after the last checkpoint are reported as not yet checkpointed.
    pub async fn verify(&self, organization_id: &str) -> Result<Verified, Failure> {
        let fail = |problem| Failure { line: 0, problem };
        let unreadable = |error: AuditError| {
            fail(Problem::Unreadable {
                line: 0,
                reason: error.to_string(),
            })
        };
        let mut conn = self
            .database
            .pool()
            .acquire()
            .await
            .map_err(|error| unreadable(error.into()))?;
        let checkpoints = store::checkpoints(&mut conn, organization_id)
            .await
            .map_err(|error| unreadable(error.into()))?;
        let mut verifier =
            Verifier::new(Reading::Live, Some(self.key.public())).for_organization(organization_id);
        let mut pending = checkpoints.iter().peekable();
        let mut feed_due = |upto: i64, verifier: &mut Verifier| -> Result<(), Failure> {
            while let Some(row) = pending.next_if(|row| row.tree_size == upto) {
                let signed = stored_checkpoint(row).map_err(unreadable)?;
                verifier
                    .item(Line::Checkpoint {
                        signed,
                        consistency: None,
                    })
                    .map_err(fail)?;
            }
            Ok(())
        };
        feed_due(0, &mut verifier)?;
        let everything = EntryFilter::default();
        let mut after = -1;
        loop {
            let rows = store::batch(
                &mut conn,
                organization_id,
                &everything,
                after,
                i64::MAX,
                EXPORT_BATCH,
            )
            .await
            .map_err(|error| unreadable(error.into()))?;
            let Some(last_row) = rows.last() else { break };
            after = last_row.seq;
            for row in &rows {
                // The entry's text is the record: its own seq, not the row's, says where it
                // belongs, so rows renumbered around an insertion or a removal show as such.
                let value: Option<Value> = serde_json::from_str(&row.entry).ok();
                verifier
                    .item(Line::Entry {
                        text: row.entry.clone(),
                        seq: value.as_ref().and_then(crate::audit::entry::seq_of),
                        organization_id: value
                            .as_ref()
                            .and_then(|value| value.get("organization_id"))
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        leaf_hash: decode_hash(&row.leaf_hash),
                        proof: None,
                    })
                    .map_err(|problem| match problem {
                        // A row whose text claims no place at all was edited.
                        Problem::OutOfPlace {
                            seq: None,
                            expected,
                        } => fail(Problem::Edited { seq: expected }),
                        problem => fail(problem),
                    })?;
                feed_due(row.seq + 1, &mut verifier)?;
            }
        }
        // Checkpoints beyond the entries present: entries at their end were removed.
        if let Some(row) = pending.next() {
            let signed = stored_checkpoint(row).map_err(unreadable)?;
            verifier
                .item(Line::Checkpoint {
                    signed,
                    consistency: None,
                })
                .map_err(fail)?;
        }
        // What no checkpoint covers yet is checked against the head the appends keep.
        let head = store::head(&mut conn, organization_id)
            .await
            .map_err(|error| unreadable(error.into()))?;
        if let Some(head) = head {
            let (size, root) = verifier.rebuilt();
            let head_size = head.size as u64;
            if size > head_size {
                return Err(fail(Problem::BeyondHead {
                    seq: head_size,
                    size: head_size,
                }));
            }
            let head_root = Frontier::decode(&head.frontier).map(|frontier| frontier.root());
            if size < head_size || head_root != Some(root) {
                return Err(fail(Problem::HeadMismatch {
                    from: verifier.proven_up_to(),
                }));
            }
        }
        verifier.finish()
    }
}

/// Whether a filter selects the whole log (then the export is complete).
fn is_complete(filter: &EntryFilter) -> bool {
    filter.projects.is_none()
        && filter.cluster_id.is_none()
        && filter.actor.is_none()
        && filter.action.is_none()
        && filter.target.is_none()
        && filter.outcome.is_none()
        && filter.from_ms.is_none()
        && filter.to_ms.is_none()
}

fn csv_error(error: csv::Error) -> AuditError {
    AuditError::Write(std::io::Error::other(error.to_string()))
}

fn actor_columns(actor: &Actor) -> (&'static str, String) {
    let kind = match actor {
        Actor::Person { .. } => "person",
        Actor::ApiKey { .. } => "api_key",
        Actor::Operator { .. } => "operator",
        Actor::System { .. } => "system",
    };
    (kind, actor.name())
}

fn interface_name(value: &Value) -> &'static str {
    match value
        .get("source")
        .and_then(|source| source.get("interface"))
        .and_then(Value::as_str)
    {
        Some("console") => "console",
        Some("scaleway_api") => "scaleway_api",
        Some("extension_api") => "extension_api",
        Some("cli") => "cli",
        _ => "job",
    }
}

fn stored_leaf(row: &EntryRow) -> Result<Hash, AuditError> {
    decode_hash(&row.leaf_hash)
        .ok_or_else(|| AuditError::Corrupt(format!("the leaf hash of entry {}", row.seq)))
}

fn stored_checkpoint(row: &CheckpointRow) -> Result<SignedCheckpoint, AuditError> {
    let body: Value =
        serde_json::from_str(&row.body).map_err(|error| AuditError::Corrupt(error.to_string()))?;
    let checkpoint = Checkpoint::from_body(&body)
        .ok_or_else(|| AuditError::Corrupt(format!("checkpoint {}", row.tree_size)))?;
    let signature = SignedCheckpoint::decode_signature(&row.signature)
        .ok_or_else(|| AuditError::Corrupt(format!("checkpoint {}", row.tree_size)))?;
    Ok(SignedCheckpoint {
        checkpoint,
        signature,
    })
}

/// The recorded leaf hashes of entries `0..size` as the levels of their tree, read in
/// batches (32 bytes an entry, never the whole log's text at once).
async fn levels(
    conn: &mut AnyConnection,
    organization_id: &str,
    size: i64,
) -> Result<Levels, AuditError> {
    let mut leaves = Vec::with_capacity(size.max(0) as usize);
    let mut from = 0;
    while from < size {
        let to = (from + 10 * EXPORT_BATCH).min(size);
        for text in store::leaf_hashes(conn, organization_id, from, to).await? {
            leaves.push(
                decode_hash(&text)
                    .ok_or_else(|| AuditError::Corrupt("a stored leaf hash".into()))?,
            );
        }
        from = to;
    }
    if leaves.len() as i64 != size {
        return Err(AuditError::Corrupt(format!(
            "the log of {organization_id} has {} of its {size} entries",
            leaves.len()
        )));
    }
    Ok(Levels::build(leaves))
}
