//! Verification, with no server and no database: every checkpoint's signature, that the entries
//! rebuild each checkpoint's root, that each checkpoint extends the one before, and, when
//! something is wrong, the first entry that is. The same [`Verifier`] reads an export's lines
//! and a live log's rows.

use std::fmt;

use super::checkpoint::{PublicKey, SignedCheckpoint};
use super::export::{parse_line, Line, Scope};
use super::merkle::{leaf_hash, verify_consistency, verify_inclusion, Frontier, Hash};

/// What was checked, when everything held.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub organization_id: String,
    pub entries: u64,
    pub checkpoints: u64,
    /// The tree size of the last checkpoint.
    pub checkpointed: u64,
    /// The key the signatures were checked against, and whether the caller gave it (else it
    /// is the one the export names, which proves integrity but not origin).
    pub key_id: String,
    pub key_pinned: bool,
    pub scope: Scope,
}

/// The first thing found wrong, naming the first bad entry where there is one.
#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    Unreadable {
        line: u64,
        reason: String,
    },
    NoHeader,
    NoKey,
    ForeignEntry {
        seq: u64,
        organization_id: String,
    },
    Missing {
        seq: u64,
        next: Option<u64>,
    },
    OutOfPlace {
        seq: Option<u64>,
        expected: u64,
    },
    Edited {
        seq: u64,
    },
    NotRebuilt {
        tree_size: u64,
        first_unproven: u64,
    },
    BadSignature {
        tree_size: u64,
    },
    ForeignCheckpoint {
        tree_size: u64,
    },
    Inconsistent {
        from: u64,
        to: u64,
    },
    NotIncluded {
        seq: u64,
    },
    Uncovered {
        from: u64,
        to: u64,
    },
    Cut {
        last_seq: Option<u64>,
    },
    Counts {
        said: (u64, u64),
        found: (u64, u64),
    },
    AfterEnd {
        line: u64,
    },
    /// A live log: rows beyond what its head counts were added behind its back.
    BeyondHead {
        seq: u64,
        size: u64,
    },
    /// A live log: the entries after its last checkpoint do not rebuild its head.
    HeadMismatch {
        from: u64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable { line, reason } => write!(f, "line {line} is unreadable: {reason}"),
            Problem::NoHeader => write!(f, "the export does not begin with its header line"),
            Problem::NoKey => write!(
                f,
                "no public key: the export names none and none was given (--public-key)"
            ),
            Problem::ForeignEntry {
                seq,
                organization_id,
            } => write!(
                f,
                "entry {seq} belongs to organization {organization_id}, not to this log"
            ),
            Problem::Missing { seq, next: Some(next) } => write!(
                f,
                "entry {seq} is missing where it belongs: entry {next} comes there instead (removed or reordered)"
            ),
            Problem::Missing { seq, next: None } => {
                write!(f, "entry {seq} is missing (removed) before a checkpoint that covers it")
            }
            Problem::OutOfPlace {
                seq: Some(seq),
                expected,
            } => write!(
                f,
                "entry {expected} is not where it belongs: entry {seq} is there instead (inserted or reordered)"
            ),
            Problem::OutOfPlace {
                seq: None,
                expected,
            } => write!(f, "entry {expected} has no seq: an entry was inserted"),
            Problem::Edited { seq } => write!(
                f,
                "entry {seq} was edited: its content does not hash to its recorded leaf"
            ),
            Problem::NotRebuilt {
                tree_size,
                first_unproven,
            } => write!(
                f,
                "the entries do not rebuild the root of checkpoint {tree_size}: an entry from {first_unproven} to {} was edited, removed, inserted or reordered",
                tree_size.saturating_sub(1)
            ),
            Problem::BadSignature { tree_size } => write!(
                f,
                "checkpoint {tree_size} fails its signature: it was forged or altered"
            ),
            Problem::ForeignCheckpoint { tree_size } => {
                write!(f, "checkpoint {tree_size} is another organization's")
            }
            Problem::Inconsistent { from, to } => write!(
                f,
                "checkpoint {to} does not extend checkpoint {from}: the log was rewritten between them"
            ),
            Problem::NotIncluded { seq } => write!(
                f,
                "entry {seq} is not in the checkpoint's tree: it was edited or its proof does not hold"
            ),
            Problem::Uncovered { from, to } => write!(
                f,
                "entries {from} to {to} come after the last checkpoint: the export was cut or changed after it"
            ),
            Problem::Cut { last_seq: Some(seq) } => write!(
                f,
                "the export is cut: it stops after entry {seq} without its end line"
            ),
            Problem::Cut { last_seq: None } => {
                write!(f, "the export is cut: it stops without its end line")
            }
            Problem::Counts { said, found } => write!(
                f,
                "the end line counts {} entries and {} checkpoints, the export holds {} and {}",
                said.0, said.1, found.0, found.1
            ),
            Problem::AfterEnd { line } => write!(f, "line {line} comes after the end line"),
            Problem::BeyondHead { seq, size } => write!(
                f,
                "entry {seq} was inserted: the log's head counts {size} entries"
            ),
            Problem::HeadMismatch { from } => write!(
                f,
                "the entries from {from} on (not yet checkpointed) do not rebuild the log's head: one was edited, removed or inserted"
            ),
        }
    }
}

/// A failure and the line it was found on (0 when it is about the whole).
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub line: u64,
    pub problem: Problem,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{} (line {})", self.problem, self.line)
        } else {
            write!(f, "{}", self.problem)
        }
    }
}

/// Whether the log being read is an export (everything must be covered and end properly) or a
/// live log (entries after the last checkpoint are simply not checkpointed yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    Export,
    Live,
}

/// A filtered export's entry waiting for its checkpoint: its seq, leaf and proof.
type PendingEntry = (u64, Hash, Option<(u64, Vec<Hash>)>);

/// Reads a log line by line and checks it as it goes, in memory of O(log n) for a complete log.
pub struct Verifier {
    reading: Reading,
    pinned: Option<PublicKey>,
    key: Option<PublicKey>,
    organization_id: Option<String>,
    scope: Scope,
    frontier: Frontier,
    /// The first entry not yet under a checkpoint whose root held.
    proven_up_to: u64,
    last_checkpoint: Option<(u64, Hash)>,
    checkpoints: u64,
    /// A filtered export's entries, checked against the checkpoint that follows them.
    pending: Vec<PendingEntry>,
    filtered_entries: u64,
    last_seq: Option<u64>,
    ended: Option<u64>,
}

impl Verifier {
    pub fn new(reading: Reading, pinned: Option<PublicKey>) -> Verifier {
        Verifier {
            reading,
            key: pinned.clone(),
            pinned,
            organization_id: None,
            scope: Scope::Complete,
            frontier: Frontier::default(),
            proven_up_to: 0,
            last_checkpoint: None,
            checkpoints: 0,
            pending: Vec::new(),
            filtered_entries: 0,
            last_seq: None,
            ended: None,
        }
    }

    /// For a live log: whose it is (an export's header says it instead).
    pub fn for_organization(mut self, organization_id: &str) -> Verifier {
        self.organization_id = Some(organization_id.to_string());
        self
    }

    /// Reads one line of an export.
    pub fn line(&mut self, number: u64, text: &str) -> Result<(), Failure> {
        let at = |problem| Failure {
            line: number,
            problem,
        };
        if self.ended.is_some() {
            if text.trim().is_empty() {
                return Ok(());
            }
            return Err(at(Problem::AfterEnd { line: number }));
        }
        let line = parse_line(text).map_err(|reason| {
            at(Problem::Unreadable {
                line: number,
                reason,
            })
        })?;
        if self.organization_id.is_none() && !matches!(line, Line::Header { .. }) {
            return Err(at(Problem::NoHeader));
        }
        self.item(line).map_err(at)?;
        if let Some(ended) = self.ended.as_mut() {
            *ended = number;
        }
        Ok(())
    }

    /// Reads one item, from an export's line or a live log's row.
    pub fn item(&mut self, line: Line) -> Result<(), Problem> {
        match line {
            Line::Header {
                organization_id,
                public_key,
                scope,
            } => {
                self.organization_id = Some(organization_id);
                self.scope = scope;
                if self.pinned.is_none() {
                    self.key = public_key;
                }
                Ok(())
            }
            Line::Entry {
                text,
                seq,
                organization_id,
                leaf_hash: recorded,
                proof,
            } => self.entry(&text, seq, organization_id, recorded, proof),
            Line::Checkpoint {
                signed,
                consistency,
            } => self.checkpoint(&signed, consistency.as_deref()),
            Line::End {
                entries,
                checkpoints,
            } => {
                let found = (self.entry_count(), self.checkpoints);
                if (entries, checkpoints) != found {
                    return Err(Problem::Counts {
                        said: (entries, checkpoints),
                        found,
                    });
                }
                self.ended = Some(0);
                Ok(())
            }
        }
    }

    fn entry_count(&self) -> u64 {
        match self.scope {
            Scope::Complete => self.frontier.size(),
            Scope::Filtered => self.filtered_entries,
        }
    }

    fn entry(
        &mut self,
        text: &str,
        seq: Option<u64>,
        organization_id: Option<String>,
        recorded: Option<Hash>,
        proof: Option<(u64, Vec<Hash>)>,
    ) -> Result<(), Problem> {
        let leaf = leaf_hash(text.as_bytes());
        let this_organization = self.organization_id.as_deref().unwrap_or_default();
        if let (Some(seq), Some(organization)) = (seq, organization_id.as_deref()) {
            if organization != this_organization {
                return Err(Problem::ForeignEntry {
                    seq,
                    organization_id: organization.to_string(),
                });
            }
        }
        match self.scope {
            Scope::Complete => {
                let expected = self.frontier.size();
                match seq {
                    Some(seq) if seq == expected => {}
                    Some(seq) if seq > expected => {
                        return Err(Problem::Missing {
                            seq: expected,
                            next: Some(seq),
                        })
                    }
                    seq => return Err(Problem::OutOfPlace { seq, expected }),
                }
                if recorded.is_some_and(|recorded| recorded != leaf) {
                    return Err(Problem::Edited { seq: expected });
                }
                self.frontier.push(leaf);
            }
            Scope::Filtered => {
                let Some(seq) = seq else {
                    return Err(Problem::OutOfPlace {
                        seq: None,
                        expected: self.last_seq.map_or(0, |last| last + 1),
                    });
                };
                if self.last_seq.is_some_and(|last| seq <= last) {
                    return Err(Problem::OutOfPlace {
                        seq: Some(seq),
                        expected: self.last_seq.map_or(0, |last| last + 1),
                    });
                }
                if recorded.is_some_and(|recorded| recorded != leaf) {
                    return Err(Problem::Edited { seq });
                }
                self.pending.push((seq, leaf, proof));
                self.filtered_entries += 1;
            }
        }
        self.last_seq = seq;
        Ok(())
    }

    fn checkpoint(
        &mut self,
        signed: &SignedCheckpoint,
        consistency: Option<&[Hash]>,
    ) -> Result<(), Problem> {
        let checkpoint = &signed.checkpoint;
        let tree_size = checkpoint.tree_size;
        if Some(checkpoint.organization_id.as_str()) != self.organization_id.as_deref() {
            return Err(Problem::ForeignCheckpoint { tree_size });
        }
        let key = self.key.as_ref().ok_or(Problem::NoKey)?;
        if !key.verifies(signed) {
            return Err(Problem::BadSignature { tree_size });
        }
        if let Some((size, root)) = self.last_checkpoint {
            let extends = tree_size >= size
                && match consistency {
                    Some(proof) => {
                        verify_consistency(size, tree_size, &root, &checkpoint.root_hash, proof)
                    }
                    // Without a proof, a complete log proves it by rebuilding both roots.
                    None => self.scope == Scope::Complete,
                };
            if !extends {
                return Err(Problem::Inconsistent {
                    from: size,
                    to: tree_size,
                });
            }
        }
        match self.scope {
            Scope::Complete => {
                let entries = self.frontier.size();
                if entries < tree_size {
                    return Err(Problem::Missing {
                        seq: entries,
                        next: None,
                    });
                }
                if entries > tree_size {
                    // Entries beyond the tree the checkpoint covers stand before it.
                    return Err(Problem::OutOfPlace {
                        seq: Some(tree_size),
                        expected: tree_size,
                    });
                }
                if self.frontier.root() != checkpoint.root_hash {
                    return Err(Problem::NotRebuilt {
                        tree_size,
                        first_unproven: self.proven_up_to,
                    });
                }
                self.proven_up_to = tree_size;
            }
            Scope::Filtered => {
                for (seq, leaf, proof) in std::mem::take(&mut self.pending) {
                    let included = proof.is_some_and(|(size, path)| {
                        size == tree_size
                            && verify_inclusion(&leaf, seq, size, &path, &checkpoint.root_hash)
                    });
                    if !included {
                        return Err(Problem::NotIncluded { seq });
                    }
                }
                self.proven_up_to = tree_size;
            }
        }
        self.last_checkpoint = Some((tree_size, checkpoint.root_hash));
        self.checkpoints += 1;
        Ok(())
    }

    /// The size and root the entries read so far rebuild (a complete log).
    pub fn rebuilt(&self) -> (u64, Hash) {
        (self.frontier.size(), self.frontier.root())
    }

    /// The first entry not yet under a checkpoint that held.
    pub fn proven_up_to(&self) -> u64 {
        self.proven_up_to
    }

    /// The verdict once every line was read.
    pub fn finish(self) -> Result<Verified, Failure> {
        let whole = |problem| Failure { line: 0, problem };
        let organization_id = self
            .organization_id
            .clone()
            .ok_or_else(|| whole(Problem::NoHeader))?;
        if self.reading == Reading::Export {
            if self.ended.is_none() {
                return Err(whole(Problem::Cut {
                    last_seq: self.last_seq,
                }));
            }
            let uncovered = match self.scope {
                Scope::Complete => (self.frontier.size() > self.proven_up_to)
                    .then(|| (self.proven_up_to, self.frontier.size() - 1)),
                Scope::Filtered => self
                    .pending
                    .first()
                    .map(|(seq, _, _)| (*seq, self.last_seq.unwrap_or(*seq))),
            };
            if let Some((from, to)) = uncovered {
                return Err(whole(Problem::Uncovered { from, to }));
            }
        }
        Ok(Verified {
            organization_id,
            entries: self.entry_count(),
            checkpoints: self.checkpoints,
            checkpointed: self.last_checkpoint.map_or(0, |(size, _)| size),
            key_id: self.key.as_ref().map(PublicKey::key_id).unwrap_or_default(),
            key_pinned: self.pinned.is_some(),
            scope: self.scope,
        })
    }
}

/// Verifies an export read from `reader`, line by line.
pub fn verify_export(
    reader: impl std::io::BufRead,
    pinned: Option<PublicKey>,
) -> Result<Verified, Failure> {
    let mut verifier = Verifier::new(Reading::Export, pinned);
    let mut number = 0;
    for line in reader.lines() {
        number += 1;
        let text = line.map_err(|error| Failure {
            line: number,
            problem: Problem::Unreadable {
                line: number,
                reason: error.to_string(),
            },
        })?;
        verifier.line(number, &text)?;
    }
    verifier.finish()
}
